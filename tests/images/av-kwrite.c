/*
 * av-kwrite - a ring-3 write to the kernel image at 0x80100000 is an access violation.
 * Expected: "(av-kwrite) begin", then the process is killed (no "end"):
 * "av-kwrite: exit(0xC0000005) STATUS_ACCESS_VIOLATION writing 0x80100000".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    *(volatile ULONG *)0x80100000u = 0;
    msg("end");
    return 0;
}
