/*
 * stk-grow-64k - port of Pintos' pt-big-stk-obj: a 64 KiB object on the stack, zeroed, ARC4
 * ("foobar") encrypted and checksummed. The frame is 16 pages below a stack that has one
 * committed page and a guard page: it works because user code is compiled with stack probes
 * (-fstack-clash-protection, NT's __chkstk), which touch the frame a page at a time from the
 * top, so each probe hits the current guard page and the stack grows page by page, 16 times
 * at least.
 * Expected: begin, "cksum: 3256410166" (Pintos' value), the growth line, end;
 * "stk-grow-64k: exit(0)".
 */
#include <ntapi.h>

static __attribute__((noinline)) unsigned long Grow(void)
{
    char stk_obj[65536];
    struct arc4 arc4;

    arc4_init(&arc4, "foobar", 6);
    memset(stk_obj, 0, sizeof(stk_obj));
    arc4_crypt(&arc4, stk_obj, sizeof(stk_obj));
    return cksum(stk_obj, sizeof(stk_obj));
}

int main(void)
{
    PV_MM_COUNTERS Before, After;
    unsigned long Sum;
    ULONG Growths;

    msg("begin");
    PvQueryMmCounters(&Before, sizeof(Before));
    Sum = Grow();
    PvQueryMmCounters(&After, sizeof(After));
    msg("cksum: %lu", Sum);
    Growths = After.FaultsByResolution[PV_FAULT_STACK_GROWTH] -
              Before.FaultsByResolution[PV_FAULT_STACK_GROWTH];
    CHECK(Growths >= 16 && After.FaultsByResolution[PV_FAULT_ACCESS_VIOLATION] ==
                               Before.FaultsByResolution[PV_FAULT_ACCESS_VIOLATION],
          "the stack grew page by page through its guard page, 16 times or more");
    msg("end");
    return 0;
}
