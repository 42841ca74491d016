/*
 * va-bad-ptr - the new services never trust a user pointer: NtAllocateVirtualMemory,
 * NtFreeVirtualMemory, NtProtectVirtualMemory, NtQueryVirtualMemory, PvQueryMmCounters and
 * PvQueryPhysicalPage with NULL, kernel, unmapped, reserved-only, read-only and misaligned
 * pointers return STATUS_ACCESS_VIOLATION (or STATUS_DATATYPE_MISALIGNMENT for a misaligned
 * pointer, as NT's ProbeForWrite), change nothing, and the process (and the kernel) go on.
 * Pointers the services write are probed before anything is done, so a failed call leaves no
 * allocation behind.
 * Expected: one line per call, end; "va-bad-ptr: exit(0)".
 */
#include <ntapi.h>

#define SELF NtCurrentProcess()

static const ULONG ReadOnlyWords[2] = { 0x10000, 0x1000 };   /* .rodata: read-only pages */
extern char _end[];

int main(void)
{
    PVOID Base = (PVOID)0x30000000u, Reserved = NULL, Page;
    SIZE_T Size = 0x1000, Big = 0x10000;
    MEMORY_BASIC_INFORMATION Info;
    PV_MM_COUNTERS Counters;
    ULONG Old, Frame, EndOfImage = ((ULONG)_end + 0xFFF) & ~0xFFFu;
    ULONG Aligned[4];

    msg("begin");
    check_status(NtAllocateVirtualMemory(SELF, NULL, 0, &Size, MEM_RESERVE, PAGE_READWRITE),
                 STATUS_ACCESS_VIOLATION, "NtAllocateVirtualMemory, BaseAddress NULL");
    check_status(NtAllocateVirtualMemory(SELF, (PVOID *)0x80100000u, 0, &Size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_ACCESS_VIOLATION, "NtAllocateVirtualMemory, BaseAddress in the kernel");
    check_status(NtAllocateVirtualMemory(SELF, &Base, 0, (PSIZE_T)0x10000000u, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_ACCESS_VIOLATION, "NtAllocateVirtualMemory, RegionSize unmapped");
    check_status(NtAllocateVirtualMemory(SELF, &Base, 0, (PSIZE_T)&ReadOnlyWords[1],
                                         MEM_RESERVE, PAGE_READWRITE),
                 STATUS_ACCESS_VIOLATION, "NtAllocateVirtualMemory, RegionSize read-only");
    check_status(NtAllocateVirtualMemory(SELF, (PVOID *)((char *)Aligned + 2), 0, &Size,
                                         MEM_RESERVE, PAGE_READWRITE),
                 STATUS_DATATYPE_MISALIGNMENT, "NtAllocateVirtualMemory, BaseAddress misaligned");
    NtQueryVirtualMemory(SELF, (PVOID)0x30000000u, MemoryBasicInformation, &Info, sizeof(Info),
                         NULL);
    CHECK(Info.State == MEM_FREE, "none of them reserved anything at 0x30000000");

    check_status(NtAllocateVirtualMemory(SELF, &Reserved, 0, &Big, MEM_RESERVE, PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve 64 KiB (not committed)");
    check_status(NtQueryVirtualMemory(SELF, NULL, MemoryBasicInformation, Reserved,
                                      sizeof(Info), NULL),
                 STATUS_ACCESS_VIOLATION, "NtQueryVirtualMemory into reserved memory");
    check_status(NtQueryVirtualMemory(SELF, NULL, MemoryBasicInformation, (PVOID)0xC0000000u,
                                      sizeof(Info), NULL),
                 STATUS_ACCESS_VIOLATION, "NtQueryVirtualMemory into the page tables");
    check_status(NtQueryVirtualMemory(SELF, NULL, MemoryBasicInformation,
                                      (PVOID)ReadOnlyWords, sizeof(Info), NULL),
                 STATUS_ACCESS_VIOLATION, "NtQueryVirtualMemory into read-only data");
    check_status(NtQueryVirtualMemory(SELF, NULL, MemoryBasicInformation,
                                      (PVOID)(EndOfImage - 8), sizeof(Info), NULL),
                 STATUS_ACCESS_VIOLATION, "NtQueryVirtualMemory across the end of the image");
    check_status(NtQueryVirtualMemory(SELF, NULL, MemoryBasicInformation, &Info, sizeof(Info),
                                      (PSIZE_T)0x7FFF0000u),
                 STATUS_ACCESS_VIOLATION, "NtQueryVirtualMemory, ReturnLength in the guard area");

    Page = Reserved;
    check_status(NtFreeVirtualMemory(SELF, &Page, (PSIZE_T)0xFFFFF000u, MEM_RELEASE),
                 STATUS_ACCESS_VIOLATION, "NtFreeVirtualMemory, RegionSize at 0xFFFFF000");
    check_status(NtFreeVirtualMemory(SELF, NULL, &Size, MEM_RELEASE),
                 STATUS_ACCESS_VIOLATION, "NtFreeVirtualMemory, BaseAddress NULL");
    NtQueryVirtualMemory(SELF, Reserved, MemoryBasicInformation, &Info, sizeof(Info), NULL);
    CHECK(Info.State == MEM_RESERVE, "the reservation is still there");

    Page = Reserved;
    Size = 0x1000;
    check_status(NtAllocateVirtualMemory(SELF, &Page, 0, &Size, MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit its first page");
    check_status(NtProtectVirtualMemory(SELF, &Page, &Size, PAGE_READONLY, NULL),
                 STATUS_ACCESS_VIOLATION, "NtProtectVirtualMemory, OldAccessProtection NULL");
    check_status(NtProtectVirtualMemory(SELF, &Page, &Size, PAGE_READONLY,
                                        (PULONG)&ReadOnlyWords[0]),
                 STATUS_ACCESS_VIOLATION,
                 "NtProtectVirtualMemory, OldAccessProtection read-only");
    check_status(NtProtectVirtualMemory(SELF, &Page, &Size, PAGE_NOACCESS, &Old),
                 STATUS_SUCCESS, "NtProtectVirtualMemory, PAGE_NOACCESS");
    check_status(NtProtectVirtualMemory(SELF, &Page, &Size, PAGE_READWRITE, (PULONG)Page),
                 STATUS_ACCESS_VIOLATION,
                 "NtProtectVirtualMemory, OldAccessProtection in the no-access page itself");
    check_status(NtProtectVirtualMemory(SELF, &Page, &Size, PAGE_READWRITE, &Old),
                 STATUS_SUCCESS, "NtProtectVirtualMemory, PAGE_READWRITE again");
    CHECK(Old == PAGE_NOACCESS, "the failed calls changed nothing: it was PAGE_NOACCESS");

    check_status(PvQueryMmCounters(NULL, sizeof(Counters)), STATUS_ACCESS_VIOLATION,
                 "PvQueryMmCounters(NULL)");
    check_status(PvQueryMmCounters((PPV_MM_COUNTERS)0x80400000u, sizeof(Counters)),
                 STATUS_ACCESS_VIOLATION, "PvQueryMmCounters into the PFN database");
    check_status(PvQueryMmCounters(&Counters, sizeof(Counters) - 1),
                 STATUS_INFO_LENGTH_MISMATCH, "PvQueryMmCounters with a short length");
    check_status(PvQueryPhysicalPage(Reserved, NULL), STATUS_ACCESS_VIOLATION,
                 "PvQueryPhysicalPage, PageFrameNumber NULL");
    check_status(PvQueryPhysicalPage(Reserved, (PULONG)((char *)Reserved + 0x1000)),
                 STATUS_ACCESS_VIOLATION, "PvQueryPhysicalPage, PageFrameNumber reserved");
    check_status(PvQueryPhysicalPage((PVOID)0x80100000u, &Frame), STATUS_INVALID_PARAMETER_1,
                 "PvQueryPhysicalPage of a kernel address");
    Size = 0;
    check_status(NtFreeVirtualMemory(SELF, &Reserved, &Size, MEM_RELEASE), STATUS_SUCCESS,
                 "release the reservation");
    msg("end");
    return 0;
}
