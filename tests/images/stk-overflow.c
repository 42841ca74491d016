/*
 * stk-overflow - unbounded recursion with 1 KiB frames. The stack grows through its guard page
 * page by page until the guard page is the page just above the last page of its 1 MiB
 * reservation; touching that one is STATUS_STACK_OVERFLOW (0xC00000FD), which ends the process
 * (there is no user exception dispatch). The kernel lives on: the integration case runs hello
 * after it.
 * Expected: begin, the "recursing" line, then the process is killed:
 * "stk-overflow: exit(0xC00000FD) STATUS_STACK_OVERFLOW".
 */
#include <ntapi.h>

static volatile ULONG Deepest, Limit = 0xFFFFFFFFu;   /* a limit the compiler cannot see */

static ULONG Recurse(ULONG Depth)
{
    volatile char Frame[1024];

    Frame[0] = (char)Depth;
    Deepest = Depth;
    if (Depth == Limit)
        return 0;
    return Recurse(Depth + 1) + Frame[0];   /* not a tail call: the frame is used after */
}

int main(void)
{
    msg("begin");
    msg("recursing with 1 KiB frames until the 1 MiB stack reservation is used up");
    Recurse(0);
    fail("the recursion returned");
}
