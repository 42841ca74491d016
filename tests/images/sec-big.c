/*
 * sec-big - a 4 MiB section, larger than the RAM left to it (run with --mem 3M), mapped twice:
 * every page is written through one view, read back through the other, rewritten through the
 * second and checked through the first. Its pages leave the working set (prototype PTEs in
 * transition), go to the pagefile and come back through both views intact.
 * With the argument "keep" the process ends with both views mapped and the handle open: the
 * section goes at process end, its pages and pagefile slots with it (no slot may leak).
 * NEEDS-PAGEFILE
 * Expected: the steps, the pagefile used, then "end".
 */
#include <ntapi.h>

#define SECTION_BYTES 0x400000u
#define PAGE_BYTES    0x1000u
#define PAGES         (SECTION_BYTES / PAGE_BYTES)

static ULONG Pattern(ULONG Page, ULONG Round)
{
    return 0x9E3779B9u * (Page + 1) ^ (Round * 0x01000193u);
}

static VOID Fill(volatile ULONG *View, ULONG Round)
{
    ULONG Page;

    for (Page = 0; Page < PAGES; Page++)
    {
        View[Page * (PAGE_BYTES / 4)] = Pattern(Page, Round);
        View[Page * (PAGE_BYTES / 4) + PAGE_BYTES / 4 - 1] = ~Pattern(Page, Round);
    }
}

static VOID Verify(volatile ULONG *View, ULONG Round, const char *What)
{
    ULONG Page;

    for (Page = 0; Page < PAGES; Page++)
        if (View[Page * (PAGE_BYTES / 4)] != Pattern(Page, Round) ||
            View[Page * (PAGE_BYTES / 4) + PAGE_BYTES / 4 - 1] != ~Pattern(Page, Round))
            fail("%s: page %lu is wrong", What, (unsigned long)Page);
    msg("%s: all %u pages intact", What, PAGES);
}

int main(int argc, char **argv)
{
    HANDLE Section = NULL;
    ULONGLONG MaximumSize = SECTION_BYTES;
    PVOID View1 = NULL, View2 = NULL;
    SIZE_T Size1 = 0, Size2 = 0;
    PV_MM_COUNTERS Before, After;

    msg("begin");
    check_status(PvQueryMmCounters(&Before, sizeof(Before)), STATUS_SUCCESS, "counters");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &MaximumSize,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create a 4 MiB section");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View1, 0, 0, NULL, &Size1,
                                    ViewShare, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map view 1");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View2, 0, 0, NULL, &Size2,
                                    ViewShare, MEM_TOP_DOWN, PAGE_READWRITE),
                 STATUS_SUCCESS, "map view 2");
    Fill((volatile ULONG *)View1, 1);
    Verify((volatile ULONG *)View2, 1, "written through view 1, read through view 2");
    Fill((volatile ULONG *)View2, 2);
    Verify((volatile ULONG *)View1, 2, "rewritten through view 2, read through view 1");
    Verify((volatile ULONG *)View2, 2, "and through view 2 again");
    check_status(PvQueryMmCounters(&After, sizeof(After)), STATUS_SUCCESS, "counters");
    CHECK(After.DirtyPagesWritten - Before.DirtyPagesWritten >= PAGES / 2,
          "at least %u section pages went to the pagefile", PAGES / 2);
    CHECK(After.PagesRead - Before.PagesRead >= PAGES / 2,
          "and at least %u came back from it", PAGES / 2);
    if (argc > 1 && strcmp(argv[1], "keep") == 0)
    {
        msg("end, views mapped and the handle open");
        return 0;
    }
    check_status(NtClose(Section), STATUS_SUCCESS, "close the section");
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), View1), STATUS_SUCCESS, "unmap view 1");
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), View2), STATUS_SUCCESS,
                 "unmap view 2 (the section goes, its pages and slots freed)");
    msg("end");
    return 0;
}
