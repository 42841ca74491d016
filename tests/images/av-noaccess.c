/*
 * av-noaccess - committed PAGE_NOACCESS memory (ReactOS' CheckAdjacentVADs): committed, so
 * charged, but any access is an access violation (its PTE is NT's no-access PTE 0x300).
 * Expected: begin, the commit line, then the process is killed (no "end"):
 * "av-noaccess: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0x30000000".
 */
#include <ntapi.h>

int main(void)
{
    PVOID Base = (PVOID)0x30000000u;
    SIZE_T Size = 0x1000;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_NOACCESS),
                 STATUS_SUCCESS, "commit a PAGE_NOACCESS page at 0x30000000");
    (void)*(volatile ULONG *)Base;
    msg("end");
    return 0;
}
