/*
 * sec-reserve - a SEC_RESERVE section: its pages are committed through a view with
 * NtAllocateVirtualMemory(MEM_COMMIT) and then shared by every view; a page never committed
 * is an access violation through any view.
 * Expected: the steps, then the process is killed (no "end"):
 * "sec-reserve: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0x31020000".
 */
#include <ntapi.h>

int main(void)
{
    HANDLE Section = NULL;
    ULONGLONG MaximumSize = 0x100000;
    PVOID View1 = (PVOID)0x30000000u, View2 = (PVOID)0x31000000u, Base;
    SIZE_T Size1 = 0, Size2 = 0, Size;

    msg("begin");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &MaximumSize,
                                 PAGE_READWRITE, SEC_RESERVE, NULL),
                 STATUS_SUCCESS, "create a 1 MiB SEC_RESERVE section");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View1, 0, 0, NULL, &Size1,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map it at 0x30000000");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View2, 0, 0, NULL, &Size2,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "and at 0x31000000");
    Base = (PVOID)0x30010000u;
    Size = 0x2000;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                         PAGE_READONLY),
                 STATUS_INVALID_PAGE_PROTECTION, "commit two pages read-only in a read/write view");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "commit two pages through view 1");
    CHECK(Base == (PVOID)0x30010000u && Size == 0x2000, "committed 0x30010000, 8 KiB");
    *(volatile ULONG *)0x30010000u = 0xC0FFEE01u;
    *(volatile ULONG *)0x31011000u = 0xC0FFEE02u;
    CHECK(*(volatile ULONG *)0x31010000u == 0xC0FFEE01u &&
          *(volatile ULONG *)0x30011000u == 0xC0FFEE02u,
          "both views share the committed pages");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "committing them again changes nothing");
    CHECK(*(volatile ULONG *)0x31010000u == 0xC0FFEE01u, "the data stays");
    msg("touch an uncommitted page through view 2");
    (void)*(volatile ULONG *)0x31020000u;
    msg("end");
    return 0;
}
