/*
 * sec-views - a pagefile-backed section (SEC_COMMIT, 128 KiB) mapped twice in one process, at a
 * chosen address and at a free one: each view sees the other's writes, both map the same
 * physical page (one page, two PTEs: prototype PTE faults), a view is MEM_MAPPED, a system
 * call writing into a view is seen through the other; closing the
 * section handle while the views exist keeps the data; unmapping one view leaves the other
 * intact, and touching the unmapped one is an access violation.
 * Expected: the steps, then the process is killed (no "end"):
 * "sec-views: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0x30000010".
 */
#include <ntapi.h>

int main(void)
{
    HANDLE Section = NULL;
    ULONGLONG MaximumSize = 0x20000;
    PVOID View1 = (PVOID)0x30000000u, View2 = NULL;
    SIZE_T Size1 = 0, Size2 = 0, Length = 0;
    volatile ULONG *A, *B;
    ULONG Frame1 = 0, Frame2 = 0, Index;
    MEMORY_BASIC_INFORMATION Info;

    msg("begin");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &MaximumSize,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create a 128 KiB section");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View1, 0, 0, NULL, &Size1,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map it at 0x30000000");
    CHECK(View1 == (PVOID)0x30000000u && Size1 == 0x20000, "view 1 at %p, %lu bytes", View1,
          (unsigned long)Size1);
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View2, 0, 0, NULL, &Size2,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map it again at a free address");
    CHECK(View2 != NULL && View2 != View1 && Size2 == 0x20000, "view 2 elsewhere, 128 KiB");

    A = (volatile ULONG *)View1;
    B = (volatile ULONG *)View2;
    CHECK(A[4] == 0 && B[100] == 0, "both read zero at first");
    for (Index = 0; Index < 0x10000 / 4; Index += 1024)
        A[Index + 4] = 0x5EC70000u + Index;
    for (Index = 0; Index < 0x10000 / 4; Index += 1024)
        if (B[Index + 4] != 0x5EC70000u + Index)
            fail("view 2 does not see view 1's write at page %lu", (unsigned long)Index / 1024);
    msg("view 2 sees view 1's writes on the first 16 pages");
    B[5] = 0xB0B0B0B0u;
    CHECK(A[5] == 0xB0B0B0B0u, "view 1 sees view 2's write");
    check_status(PvQueryPhysicalPage((PVOID)&A[5], &Frame1), STATUS_SUCCESS, "frame of view 1");
    check_status(PvQueryPhysicalPage((PVOID)&B[5], &Frame2), STATUS_SUCCESS, "frame of view 2");
    CHECK(Frame1 != 0 && Frame1 == Frame2, "both views map one physical page");
    check_status(NtQueryVirtualMemory(NtCurrentProcess(), View2, MemoryBasicInformation, &Info,
                                      sizeof(Info), &Length),
                 STATUS_SUCCESS, "query view 2");
    CHECK(Info.Type == MEM_MAPPED && Info.State == MEM_COMMIT && Info.RegionSize == 0x20000 &&
          Info.Protect == PAGE_READWRITE, "view 2 is MEM_MAPPED, committed, read/write");
    /* A system call writes into a view page nobody touched yet: a prototype fault in kernel
     * mode, seen through the other view. */
    check_status(NtQueryVirtualMemory(NtCurrentProcess(), View1, MemoryBasicInformation,
                                      (PVOID)&A[30 * 1024], sizeof(Info), &Length),
                 STATUS_SUCCESS, "query view 1 into page 30 of view 1");
    CHECK(((MEMORY_BASIC_INFORMATION *)&B[30 * 1024])->BaseAddress == View1 &&
          ((MEMORY_BASIC_INFORMATION *)&B[30 * 1024])->Type == MEM_MAPPED,
          "view 2 sees what the kernel wrote");
    Size1 = 0;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &View2, &Size1, MEM_RELEASE),
                 STATUS_UNABLE_TO_DELETE_SECTION, "NtFreeVirtualMemory on a view");

    check_status(NtClose(Section), STATUS_SUCCESS, "close the section handle");
    check_status(NtClose(Section), STATUS_INVALID_HANDLE, "close it again");
    CHECK(A[5] == 0xB0B0B0B0u && B[4 + 1024 * 15] == 0x5EC70000u + 1024 * 15,
          "the data stays while views exist");
    A[20 * 1024 + 3] = 0x12345678u;   /* page 20: not touched before, after the close */
    CHECK(B[20 * 1024 + 3] == 0x12345678u, "a new page after the close is shared too");

    check_status(NtUnmapViewOfSection(NtCurrentProcess(), View2), STATUS_SUCCESS,
                 "unmap view 2");
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), View2), STATUS_NOT_MAPPED_VIEW,
                 "unmap view 2 again");
    CHECK(A[5] == 0xB0B0B0B0u && A[4 + 1024 * 15] == 0x5EC70000u + 1024 * 15,
          "view 1 is intact");
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), View1), STATUS_SUCCESS,
                 "unmap view 1 (the section goes with it)");
    msg("touch view 1");
    (void)A[4];
    msg("end");
    return 0;
}
