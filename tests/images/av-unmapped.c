/*
 * av-unmapped - a ring-3 read of an unmapped user address (0x10000000) is an access violation.
 * Expected: "(av-unmapped) begin", then the process is killed (no "end"):
 * "av-unmapped: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0x10000000".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    (void)*(volatile ULONG *)0x10000000u;
    msg("end");
    return 0;
}
