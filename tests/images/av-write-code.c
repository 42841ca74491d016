/*
 * av-write-code - a ring-3 write to its own read-only image (the headers page at 0x00400000) is an access violation.
 * Expected: "(av-write-code) begin", then the process is killed (no "end"):
 * "av-write-code: exit(0xC0000005) STATUS_ACCESS_VIOLATION writing 0x00400000".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    *(volatile ULONG *)0x00400000u = 0;
    msg("end");
    return 0;
}
