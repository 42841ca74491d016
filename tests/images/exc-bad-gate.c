/*
 * exc-bad-gate - int 0x80 (a gate ring 3 may not use, #GP) is an access violation; NT reports it as a read of 0xFFFFFFFF.
 * Expected: "(exc-bad-gate) begin", then the process is killed (no "end"):
 * "exc-bad-gate: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0xFFFFFFFF".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    __asm__ volatile("int $0x80");
    msg("end");
    return 0;
}
