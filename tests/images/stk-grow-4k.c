/*
 * stk-grow-4k - port of Pintos' pt-grow-stack: a 4096-byte array on the stack, zeroed, ARC4
 * ("foobar") encrypted and checksummed. The process starts with one committed stack page and
 * the guard page below it, so the array's frame grows the stack through the guard page (NT's
 * way: the touched guard page is committed, the next lower page becomes the guard page).
 * Expected: begin, "cksum: 3424492700" (Pintos' value), the growth line, end;
 * "stk-grow-4k: exit(0)".
 */
#include <ntapi.h>

static __attribute__((noinline)) unsigned long Grow(void)
{
    char stack_obj[4096];
    struct arc4 arc4;

    arc4_init(&arc4, "foobar", 6);
    memset(stack_obj, 0, sizeof(stack_obj));
    arc4_crypt(&arc4, stack_obj, sizeof(stack_obj));
    return cksum(stack_obj, sizeof(stack_obj));
}

int main(void)
{
    PV_MM_COUNTERS Before, After;
    unsigned long Sum;

    msg("begin");
    PvQueryMmCounters(&Before, sizeof(Before));
    Sum = Grow();
    PvQueryMmCounters(&After, sizeof(After));
    msg("cksum: %lu", Sum);
    CHECK(After.FaultsByResolution[PV_FAULT_STACK_GROWTH] >
              Before.FaultsByResolution[PV_FAULT_STACK_GROWTH],
          "the stack grew through its guard page");
    msg("end");
    return 0;
}
