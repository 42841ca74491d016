/*
 * av-kread - a ring-3 read of a system address (0xC0000000, the page tables) is an access violation.
 * Expected: "(av-kread) begin", then the process is killed (no "end"):
 * "av-kread: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0xC0000000".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    (void)*(volatile ULONG *)0xC0000000u;
    msg("end");
    return 0;
}
