/*
 * cow-paging - a copy-on-write view's pages through the pagefile: a 2 MiB section mapped
 * read/write (V) and PAGE_WRITECOPY (C) in 3 MiB of RAM. V writes every page; C reads every
 * page (shared, trimmed to the "look up the VAD" form and back) and then writes every page
 * (512 private copies, so 4 MiB in all: the copies go to the pagefile and come back like any
 * private page). Each side keeps its own data through it all: V's rewrite does not reach C's
 * copies, C's copies do not reach V; unmapping C frees its copies and their slots.
 * NEEDS-PAGEFILE
 * Expected: the steps, the pagefile used, then "end".
 */
#include <ntapi.h>

#define SECTION_BYTES 0x200000u
#define PAGES         (SECTION_BYTES / 0x1000u)
#define WORDS         (0x1000u / 4)

static ULONG Pattern(ULONG Page, ULONG Round)
{
    return 0x9E3779B9u * (Page + 1) ^ (Round * 0x01000193u);
}

static VOID Fill(volatile ULONG *View, ULONG Round)
{
    ULONG Page;

    for (Page = 0; Page < PAGES; Page++)
    {
        View[Page * WORDS] = Pattern(Page, Round);
        View[Page * WORDS + WORDS - 1] = ~Pattern(Page, Round);
    }
}

static VOID Verify(volatile ULONG *View, ULONG Round, const char *What)
{
    ULONG Page;

    for (Page = 0; Page < PAGES; Page++)
        if (View[Page * WORDS] != Pattern(Page, Round) ||
            View[Page * WORDS + WORDS - 1] != ~Pattern(Page, Round))
            fail("%s: page %lu is wrong", What, (unsigned long)Page);
    msg("%s: all %u pages intact", What, PAGES);
}

int main(void)
{
    HANDLE Section = NULL;
    ULONGLONG MaximumSize = SECTION_BYTES;
    PVOID PV = NULL, PC = NULL;
    SIZE_T SV = 0, SC = 0;
    PV_MM_COUNTERS Before, After;

    msg("begin");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &MaximumSize,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create a 2 MiB section");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PV, 0, 0, NULL, &SV, ViewShare,
                                    0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map V read/write");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PC, 0, 0, NULL, &SC, ViewShare,
                                    MEM_TOP_DOWN, PAGE_WRITECOPY),
                 STATUS_SUCCESS, "map C PAGE_WRITECOPY");
    check_status(PvQueryMmCounters(&Before, sizeof(Before)), STATUS_SUCCESS, "counters");
    Fill((volatile ULONG *)PV, 1);
    Verify((volatile ULONG *)PC, 1, "written through V, read through C");
    Fill((volatile ULONG *)PC, 2);
    Verify((volatile ULONG *)PC, 2, "C's own copies");
    Verify((volatile ULONG *)PV, 1, "V keeps the section's data");
    Fill((volatile ULONG *)PV, 3);
    Verify((volatile ULONG *)PC, 2, "V rewritten: C's copies unchanged");
    Verify((volatile ULONG *)PV, 3, "and V has its new data");
    check_status(PvQueryMmCounters(&After, sizeof(After)), STATUS_SUCCESS, "counters");
    CHECK(After.FaultsByResolution[PV_FAULT_COPY_ON_WRITE] -
              Before.FaultsByResolution[PV_FAULT_COPY_ON_WRITE] == PAGES,
          "%u copy-on-write faults", PAGES);
    CHECK(After.DirtyPagesWritten - Before.DirtyPagesWritten >= PAGES,
          "at least %u pages went to the pagefile", PAGES);
    CHECK(After.PagesRead - Before.PagesRead >= PAGES / 2,
          "and at least %u came back from it", PAGES / 2);
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), PC), STATUS_SUCCESS,
                 "unmap C (its copies and their slots freed)");
    Verify((volatile ULONG *)PV, 3, "V after C is gone");
    check_status(NtClose(Section), STATUS_SUCCESS, "close the section");
    msg("end");
    return 0;
}
