/*
 * av-null - a ring-3 read through a NULL pointer (the low 64 KiB are never mapped) is an access violation.
 * Expected: "(av-null) begin", then the process is killed (no "end"):
 * "av-null: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0x00000000".
 */
#include <ntapi.h>

int main(void)
{
    volatile ULONG *Pointer = NULL;

    msg("begin");

    /* Hide the NULL from the optimizer, which would otherwise replace the load by a trap. */
    __asm__ volatile("" : "+r"(Pointer));
    (void)*Pointer;
    msg("end");
    return 0;
}
