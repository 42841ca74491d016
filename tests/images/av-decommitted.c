/*
 * av-decommitted - memory that was committed, written and then decommitted is reserved again
 * (its PTE is the decommitted PTE 0x200): a ring-3 read of it is an access violation.
 * Expected: begin, the steps, then the process is killed (no "end"):
 * "av-decommitted: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0x30001000".
 */
#include <ntapi.h>

int main(void)
{
    PVOID Base = (PVOID)0x30000000u, Page = (PVOID)0x30001000u;
    SIZE_T Size = 0x10000;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve and commit 64 KiB at 0x30000000");
    *(volatile ULONG *)Page = 42;
    CHECK(*(volatile ULONG *)Page == 42, "0x30001000 holds 42");
    Size = 0x1000;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Page, &Size, MEM_DECOMMIT),
                 STATUS_SUCCESS, "decommit the page at 0x30001000");
    CHECK(*(volatile ULONG *)0x30000000u == 0, "its neighbour is still committed");
    (void)*(volatile ULONG *)0x30001000u;
    msg("end");
    return 0;
}
