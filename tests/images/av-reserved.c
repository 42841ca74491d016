/*
 * av-reserved - a ring-3 read of memory that is reserved but not committed (64 KiB reserved
 * at 0x30000000) is an access violation: the PTE is zero and the VAD says reserved only.
 * Expected: begin, the reservation line, then the process is killed (no "end"):
 * "av-reserved: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0x30000000".
 */
#include <ntapi.h>

int main(void)
{
    PVOID Base = (PVOID)0x30000000u;
    SIZE_T Size = 0x10000;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve 64 KiB at 0x30000000");
    (void)*(volatile ULONG *)Base;
    msg("end");
    return 0;
}
