/*
 * cow-views - copy-on-write views: a 64 KiB pagefile-backed section mapped read/write (V) and
 * PAGE_WRITECOPY (C) in one process. Reads through C share the section's pages (same frame);
 * the first write to a page of C gives the process its own copy (a new frame; V does not see
 * it), both for a page C had mapped read-only already (a protection fault) and for a page C
 * never touched (a not-present write); V's later writes are seen through C on the pages C did
 * not copy, not on the ones it did. A second copy-on-write view sees the section, not C's
 * copies. NtQueryVirtualMemory reports PAGE_WRITECOPY for C's pages until written, then
 * PAGE_READWRITE; the view's commitment (all its pages) is charged when it is mapped and
 * returned when it is unmapped. View protections follow NT's compatibility rule: a copy-on-write
 * view of a read-only section is allowed (and its writes stay private), a read/write one is not.
 * Expected: the steps, then "end".
 */
#include <ntapi.h>

#define VIEW_BYTES 0x10000u
#define PAGES      (VIEW_BYTES / 0x1000u)
#define WORDS      (0x1000u / 4)

static ULONG Word(volatile ULONG *View, ULONG Page)
{
    return View[Page * WORDS + 7];
}

static ULONG Frame(volatile ULONG *View, ULONG Page)
{
    ULONG Pfn = 0;

    if (PvQueryPhysicalPage((PVOID)&View[Page * WORDS], &Pfn) != STATUS_SUCCESS)
        fail("PvQueryPhysicalPage");
    return Pfn;
}

static VOID Query(PVOID Address, ULONG Protect, SIZE_T Size, const char *What)
{
    MEMORY_BASIC_INFORMATION Info;
    SIZE_T Length = 0;

    if (NtQueryVirtualMemory(NtCurrentProcess(), Address, MemoryBasicInformation, &Info,
                             sizeof(Info), &Length) != STATUS_SUCCESS)
        fail("NtQueryVirtualMemory");
    CHECK(Info.Type == MEM_MAPPED && Info.State == MEM_COMMIT && Info.Protect == Protect &&
              Info.RegionSize == Size &&
              (Info.AllocationProtect == PAGE_WRITECOPY ||
               Info.AllocationProtect == PAGE_EXECUTE_WRITECOPY),
          "%s: protect 0x%lx, %lu bytes (got 0x%lx, %lu)", What, (unsigned long)Protect,
          (unsigned long)Size, (unsigned long)Info.Protect, (unsigned long)Info.RegionSize);
}

static ULONG CommitCharge(VOID)
{
    PV_MM_COUNTERS Counters;

    if (PvQueryMmCounters(&Counters, sizeof(Counters)) != STATUS_SUCCESS)
        fail("PvQueryMmCounters");
    return Counters.ProcessCommitCharge;
}

int main(void)
{
    HANDLE Section = NULL, ReadOnly = NULL;
    ULONGLONG MaximumSize = VIEW_BYTES;
    PVOID PV = NULL, PC = NULL, PC2 = NULL, PR = NULL;
    SIZE_T SV = 0, SC = 0, SC2 = 0, SR = 0;
    volatile ULONG *V, *C, *C2, *R;
    ULONG Page, Charge, CowBefore, Available;
    PV_MM_COUNTERS Counters;

    msg("begin");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &MaximumSize,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create a 64 KiB read/write section");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PV, 0, 0, NULL, &SV, ViewShare,
                                    0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map V read/write");
    Charge = CommitCharge();
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PC, 0, 0, NULL, &SC, ViewShare,
                                    0, PAGE_WRITECOPY),
                 STATUS_SUCCESS, "map C PAGE_WRITECOPY");
    CHECK(CommitCharge() == Charge + PAGES, "mapping C charged its %u pages", PAGES);
    V = (volatile ULONG *)PV;
    C = (volatile ULONG *)PC;
    Query(PC, PAGE_WRITECOPY, VIEW_BYTES, "C untouched");

    for (Page = 0; Page < PAGES; Page++)
        V[Page * WORDS + 7] = 0x11110000u + Page;
    for (Page = 0; Page < 12; Page++)
        if (Word(C, Page) != 0x11110000u + Page)
            fail("C page %lu does not see V's write", (unsigned long)Page);
    msg("C reads V's writes on pages 0-11");
    CHECK(Frame(C, 3) == Frame(V, 3), "C and V map one frame for page 3");
    Query(PC, PAGE_WRITECOPY, VIEW_BYTES, "C read");

    check_status(PvQueryMmCounters(&Counters, sizeof(Counters)), STATUS_SUCCESS, "counters");
    CowBefore = Counters.FaultsByResolution[PV_FAULT_COPY_ON_WRITE];
    for (Page = 0; Page < 4; Page++)
        C[Page * WORDS + 7] = 0xC0C00000u + Page;   /* mapped read-only: protection faults */
    C[14 * WORDS + 7] = 0xC0C0000Eu;                /* never touched: a not-present write */
    for (Page = 0; Page < 4; Page++)
        CHECK(Word(C, Page) == 0xC0C00000u + Page && Word(V, Page) == 0x11110000u + Page,
              "C page %lu has its own copy, V keeps the section's", (unsigned long)Page);
    CHECK(Word(C, 14) == 0xC0C0000Eu && Word(V, 14) == 0x1111000Eu,
          "C page 14, written first, has its own copy too");
    CHECK(Frame(C, 2) != Frame(V, 2) && Frame(C, 14) != Frame(V, 14),
          "copied pages have frames of their own");
    CHECK(C[2 * WORDS + 8] == 0 && C[14 * WORDS + 100] == 0, "the rest of a copied page came along");
    check_status(PvQueryMmCounters(&Counters, sizeof(Counters)), STATUS_SUCCESS, "counters");
    CHECK(Counters.FaultsByResolution[PV_FAULT_COPY_ON_WRITE] - CowBefore == 5,
          "5 copy-on-write faults (got %lu)",
          (unsigned long)(Counters.FaultsByResolution[PV_FAULT_COPY_ON_WRITE] - CowBefore));
    CHECK(CommitCharge() == Charge + PAGES, "the copies were charged already");
    Query(PC, PAGE_READWRITE, 4 * 0x1000u, "C pages 0-3 copied");
    Query((PUCHAR)PC + 4 * 0x1000u, PAGE_WRITECOPY, 10 * 0x1000u, "C pages 4-13 shared");
    Query((PUCHAR)PC + 14 * 0x1000u, PAGE_READWRITE, 0x1000u, "C page 14 copied");

    for (Page = 0; Page < PAGES; Page++)
        V[Page * WORDS + 7] = 0x22220000u + Page;
    for (Page = 0; Page < PAGES; Page++)
    {
        ULONG Want = Page < 4 || Page == 14 ? 0xC0C00000u + Page : 0x22220000u + Page;
        if (Word(C, Page) != Want)
            fail("C page %lu reads 0x%lx, not 0x%lx", (unsigned long)Page,
                 (unsigned long)Word(C, Page), (unsigned long)Want);
    }
    msg("V's new writes show through C on the pages C did not copy, only there");

    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PC2, 0, 0, NULL, &SC2,
                                    ViewShare, 0, PAGE_WRITECOPY),
                 STATUS_SUCCESS, "map C2 PAGE_WRITECOPY");
    C2 = (volatile ULONG *)PC2;
    CHECK(Word(C2, 0) == 0x22220000u && Word(C2, 14) == 0x2222000Eu,
          "C2 sees the section, not C's copies");
    C2[0 * WORDS + 7] = 0xC2C20000u;
    CHECK(Word(C2, 0) == 0xC2C20000u && Word(C, 0) == 0xC0C00000u && Word(V, 0) == 0x22220000u,
          "C2's copy is its own");

    check_status(PvQueryMmCounters(&Counters, sizeof(Counters)), STATUS_SUCCESS, "counters");
    Available = Counters.AvailablePages;
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), PC), STATUS_SUCCESS,
                 "unmap C (its copies freed)");
    check_status(PvQueryMmCounters(&Counters, sizeof(Counters)), STATUS_SUCCESS, "counters");
    CHECK(Counters.AvailablePages >= Available + 5, "C's 5 copies are available pages again");
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), PC2), STATUS_SUCCESS, "unmap C2");
    CHECK(CommitCharge() == Charge, "their charge returned");
    CHECK(Word(V, 0) == 0x22220000u && Word(V, 14) == 0x2222000Eu, "V is intact");

    MaximumSize = 0x2000;
    check_status(NtCreateSection(&ReadOnly, SECTION_ALL_ACCESS, NULL, &MaximumSize,
                                 PAGE_READONLY, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create a read-only section");
    check_status(NtMapViewOfSection(ReadOnly, NtCurrentProcess(), &PR, 0, 0, NULL, &SR,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_SECTION_PROTECTION, "a read/write view of it");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PR, 0, 0, NULL, &SR,
                                    ViewShare, 0, PAGE_EXECUTE_WRITECOPY),
                 STATUS_SECTION_PROTECTION, "an execute copy-on-write view of the read/write one");
    check_status(NtMapViewOfSection(ReadOnly, NtCurrentProcess(), &PR, 0, 0, NULL, &SR,
                                    ViewShare, 0, PAGE_WRITECOPY),
                 STATUS_SUCCESS, "a copy-on-write view of the read-only section");
    R = (volatile ULONG *)PR;
    CHECK(R[1] == 0, "it reads zero");
    R[1] = 0x0B0B0B0Bu;
    CHECK(R[1] == 0x0B0B0B0Bu, "and its write stays in the process's copy");
    check_status(NtClose(ReadOnly), STATUS_SUCCESS, "close the read-only section");

    MaximumSize = 0x2000;
    check_status(NtCreateSection(&ReadOnly, SECTION_ALL_ACCESS, NULL, &MaximumSize,
                                 PAGE_EXECUTE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create an execute/read/write section");
    PR = NULL;
    SR = 0;
    check_status(NtMapViewOfSection(ReadOnly, NtCurrentProcess(), &PR, 0, 0, NULL, &SR,
                                    ViewShare, 0, PAGE_EXECUTE_WRITECOPY),
                 STATUS_SUCCESS, "a PAGE_EXECUTE_WRITECOPY view of it");
    R = (volatile ULONG *)PR;
    R[0x400 + 1] = 0x0E0E0E0Eu;
    Query(PR, PAGE_EXECUTE_WRITECOPY, 0x1000u, "page 0 not written");
    Query((PUCHAR)PR + 0x1000u, PAGE_EXECUTE_READWRITE, 0x1000u, "page 1 written");
    check_status(NtClose(ReadOnly), STATUS_SUCCESS, "close it");
    check_status(NtClose(Section), STATUS_SUCCESS, "close the section");
    msg("end");
    return 0;
}
