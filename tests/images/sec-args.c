/*
 * sec-args - bad arguments to the section services return NT's statuses and leave nothing
 * behind; good ones still work afterwards. Expected: every step with its status, then "end".
 */
#include <ntapi.h>

int main(void)
{
    HANDLE Section = NULL, Other = NULL;
    ULONGLONG Size = 0x20000, Zero = 0, Huge = 0x100000000ull, Offset = 0x1000;
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    PVOID Taken = (PVOID)0x30000000u;
    SIZE_T TakenSize = 0x10000;

    msg("begin");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, NULL, PAGE_READWRITE,
                                 SEC_COMMIT, NULL),
                 STATUS_INVALID_PARAMETER_4, "no size");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Zero, PAGE_READWRITE,
                                 SEC_COMMIT, NULL),
                 STATUS_INVALID_PARAMETER_4, "size 0");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Huge, PAGE_READWRITE,
                                 SEC_COMMIT, NULL),
                 STATUS_SECTION_TOO_BIG, "4 GiB");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Size, 0x12345,
                                 SEC_COMMIT, NULL),
                 STATUS_INVALID_PAGE_PROTECTION, "bad protection");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READWRITE,
                                 0x1234, NULL),
                 STATUS_INVALID_PARAMETER_6, "bad allocation attributes");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READWRITE,
                                 SEC_COMMIT, (HANDLE)0x44),
                 STATUS_INVALID_HANDLE, "a file handle (file-backed sections: not yet)");
    check_status(NtCreateSection((PHANDLE)0x80001000u, SECTION_ALL_ACCESS, NULL, &Size,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_ACCESS_VIOLATION, "handle pointer in system space");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READWRITE,
                                 SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "a good 128 KiB section");
    check_status(NtCreateSection(&Other, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READONLY,
                                 SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "a read-only one");

    check_status(NtMapViewOfSection((HANDLE)0x1000, NtCurrentProcess(), &Base, 0, 0, NULL,
                                    &ViewSize, ViewShare, 0, PAGE_READWRITE),
                 STATUS_INVALID_HANDLE, "map: bad section handle");
    check_status(NtMapViewOfSection(Section, (HANDLE)0x1234, &Base, 0, 0, NULL, &ViewSize,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_INVALID_HANDLE, "map: bad process handle");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 22, 0, NULL, &ViewSize,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_INVALID_PARAMETER_4, "map: zero bits 22");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, &Offset,
                                    &ViewSize, ViewShare, 0, PAGE_READWRITE),
                 STATUS_INVALID_PARAMETER_6, "map: offset not 64 KiB aligned");
    ViewSize = 0x30000;
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_INVALID_VIEW_SIZE, "map: view larger than the section");
    ViewSize = 0;
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    3, 0, PAGE_READWRITE),
                 STATUS_INVALID_PARAMETER_8, "map: bad inherit disposition");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewShare, MEM_COMMIT, PAGE_READWRITE),
                 STATUS_INVALID_PARAMETER_9, "map: bad allocation type");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewShare, 0, PAGE_READWRITE | PAGE_GUARD),
                 STATUS_INVALID_PAGE_PROTECTION, "map: guard protection");
    check_status(NtMapViewOfSection(Other, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_SECTION_PROTECTION, "map: read/write view of a read-only section");
    Base = (PVOID)0x30001000u;
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_INVALID_PARAMETER_3, "map: base not 64 KiB aligned");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Taken, 0, &TakenSize,
                                         MEM_RESERVE, PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve 64 KiB at 0x30000000");
    Base = (PVOID)0x30000000u;
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_CONFLICTING_ADDRESSES, "map: over a private reservation");
    Base = NULL;
    ViewSize = 0;
    check_status(NtMapViewOfSection(Other, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewShare, MEM_TOP_DOWN, PAGE_READONLY),
                 STATUS_SUCCESS, "map the read-only section read-only, top down");
    CHECK(*(volatile ULONG *)Base == 0 && (ULONG_PTR)Base > 0x70000000u,
          "it reads zero, high in the address space");
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), (PVOID)0x30000000u),
                 STATUS_NOT_MAPPED_VIEW, "unmap a private reservation");
    check_status(NtUnmapViewOfSection((HANDLE)0x1234, Base), STATUS_INVALID_HANDLE,
                 "unmap: bad process handle");
    check_status(NtClose((HANDLE)0x1000), STATUS_INVALID_HANDLE, "close a bad handle");
    check_status(NtClose(Section), STATUS_SUCCESS, "close the first section");
    check_status(NtClose(Other), STATUS_SUCCESS, "close the read-only one (still mapped)");
    msg("end (the view goes at exit)");
    return 0;
}
