/*
 * av-readonly - a page written while read/write, then made PAGE_READONLY with
 * NtProtectVirtualMemory: it still reads its value, and a ring-3 write is an access violation.
 * Expected: begin, the steps, then the process is killed (no "end"):
 * "av-readonly: exit(0xC0000005) STATUS_ACCESS_VIOLATION writing 0x30000004".
 */
#include <ntapi.h>

int main(void)
{
    PVOID Base = (PVOID)0x30000000u;
    SIZE_T Size = 0x1000;
    ULONG Old = 0;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit a read/write page at 0x30000000");
    *(volatile ULONG *)0x30000004u = 0x5A5A;
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READONLY, &Old),
                 STATUS_SUCCESS, "make it PAGE_READONLY");
    CHECK(Old == PAGE_READWRITE && *(volatile ULONG *)0x30000004u == 0x5A5A,
          "it was PAGE_READWRITE and still reads 0x5A5A");
    *(volatile ULONG *)0x30000004u = 1;
    msg("end");
    return 0;
}
