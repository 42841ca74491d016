/*
 * av-exec - a ring-3 jump to an unmapped user address (0x20000000) is an access violation on the instruction fetch.
 * Expected: "(av-exec) begin", then the process is killed (no "end"):
 * "av-exec: exit(0xC0000005) STATUS_ACCESS_VIOLATION executing 0x20000000".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    ((void (*)(void))0x20000000u)();
    msg("end");
    return 0;
}
