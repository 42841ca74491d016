/*
 * av-freed - memory that was allocated, written and released (MEM_RELEASE) is free: no VAD
 * covers it any more, and a ring-3 write to it is an access violation.
 * Expected: begin, the steps, then the process is killed (no "end"):
 * "av-freed: exit(0xC0000005) STATUS_ACCESS_VIOLATION writing 0x30000010".
 */
#include <ntapi.h>

int main(void)
{
    PVOID Base = (PVOID)0x30000000u;
    SIZE_T Size = 0x3000;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "allocate 12 KiB at 0x30000000");
    *(volatile ULONG *)0x30000010u = 7;
    Size = 0;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE),
                 STATUS_SUCCESS, "release it");
    *(volatile ULONG *)0x30000010u = 8;
    msg("end");
    return 0;
}
