/*
 * img-cluster - clustered page-ins seen through the memory manager's counters
 * (PvQueryMmCounters), for two backing stores and two access patterns:
 *   code: 128 one-page functions of this image, none touched before, each called once: its
 *         page is read from the image file for the image section;
 *   section: a 4 MiB SEC_COMMIT section (run with --mem 3M: larger than RAM), every page
 *         written through a view first, so that most go to the pagefile, then each read
 *         back once through the view (section prototype page-ins).
 * seq touches the pages in order: the read-around grows, so one read brings in several pages
 * (at most one read per 4 pages touched); random touches them in a scattered order (page
 * i * 0x9E3779B1 mod N): the read-around shrinks to one page, so about one page is read per
 * page that needs one (at most 10 % more pages read than pages touched, and at least 9 of
 * 10 reads a single page).
 * ARGS: code|section seq|random.
 * NEEDS-PAGEFILE
 * Expected: begin, the checks, end.
 */
#include <ntapi.h>

#define SECTION_PAGES 1024u
#define MAGIC         0x5A17C0DEu

/* One function per page (numbers pasted from digits, as big-code.c). */
#define FN(n) static __attribute__((noinline, aligned(4096))) ULONG Code##n(ULONG x) \
    { __asm__ volatile(".fill 4000, 1, 0x90"); return x + n; }
#define FN8(n) FN(n##0) FN(n##1) FN(n##2) FN(n##3) FN(n##4) FN(n##5) FN(n##6) FN(n##7)
#define FN64(n) FN8(n##0) FN8(n##1) FN8(n##2) FN8(n##3) FN8(n##4) FN8(n##5) FN8(n##6) FN8(n##7)
FN64(1) FN64(2)

#define E(n) Code##n,
#define E8(n) E(n##0) E(n##1) E(n##2) E(n##3) E(n##4) E(n##5) E(n##6) E(n##7)
#define E64(n) E8(n##0) E8(n##1) E8(n##2) E8(n##3) E8(n##4) E8(n##5) E8(n##6) E8(n##7)

static ULONG (*const Functions[])(ULONG) = { E64(1) E64(2) };

#define CODE_PAGES (sizeof(Functions) / sizeof(Functions[0]))

static ULONG Order(ULONG i, ULONG Pages, BOOLEAN Random)
{
    return Random ? (i * 0x9E3779B1u) & (Pages - 1) : i;
}

/* Calls the first Count functions in order (0: touches only this code and the table). */
static __attribute__((noinline)) ULONG CallAll(BOOLEAN Random, ULONG Count)
{
    ULONG i, Sum = 0;

    for (i = 0; i < Count; i++)
        Sum = Functions[Order(i, CODE_PAGES, Random)](Sum);
    return Sum + (((ULONG (*const volatile *)(ULONG))Functions)[CODE_PAGES - 1] != NULL ? 0 : 1);
}

int main(int argc, char **argv)
{
    BOOLEAN Code = argc > 1 && strcmp(argv[1], "code") == 0;
    BOOLEAN Random = argc > 2 && strcmp(argv[2], "random") == 0;
    ULONG Pages = Code ? CODE_PAGES : SECTION_PAGES, i, Page, Bad = 0, Expected = 0;
    ULONG Reads, PagesRead;
    PV_MM_COUNTERS Before, After;
    ULONGLONG SectionSize = (ULONGLONG)SECTION_PAGES * 4096;
    HANDLE Section = NULL;
    PVOID View = NULL;
    SIZE_T ViewSize = 0;
    volatile ULONG *Words;

    if (argc != 3 || (!Code && strcmp(argv[1], "section") != 0) ||
        (!Random && strcmp(argv[2], "seq") != 0))
        fail("usage: img-cluster code|section seq|random");
    msg("begin");
    if (Code)
    {
        for (i = 0; i < CODE_PAGES; i++)
            Expected += (i / 64 + 1) * 100 + (i / 8 % 8) * 10 + i % 8;
        CallAll(Random, 0);
        check_status(PvQueryMmCounters(&Before, sizeof(Before)), STATUS_SUCCESS, "counters");
        CHECK(CallAll(Random, CODE_PAGES) == Expected, "%u one-page functions called",
              (ULONG)CODE_PAGES);
        check_status(PvQueryMmCounters(&After, sizeof(After)), STATUS_SUCCESS, "counters");
        Reads = After.ImageReadIoCount - Before.ImageReadIoCount;
        PagesRead = After.ImagePagesRead - Before.ImagePagesRead;
    }
    else
    {
        check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &SectionSize,
                                     PAGE_READWRITE, SEC_COMMIT, NULL),
                     STATUS_SUCCESS, "create a 4 MiB section");
        check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View, 0, 0, NULL,
                                        &ViewSize, ViewShare, 0, PAGE_READWRITE),
                     STATUS_SUCCESS, "map a view of it");
        Words = View;
        for (Page = 0; Page < Pages; Page++)
            Words[Page * 1024] = MAGIC ^ Page;
        check_status(PvQueryMmCounters(&Before, sizeof(Before)), STATUS_SUCCESS, "counters");
        for (i = 0; i < Pages; i++)
        {
            Page = Order(i, Pages, Random);
            Bad += Words[Page * 1024] != (MAGIC ^ Page);
        }
        check_status(PvQueryMmCounters(&After, sizeof(After)), STATUS_SUCCESS, "counters");
        CHECK(Bad == 0, "every page read back holds what was written");
        Reads = After.PrototypeReadIoCount - Before.PrototypeReadIoCount;
        PagesRead = After.PrototypePagesRead - Before.PrototypePagesRead;
        CHECK(PagesRead >= Pages / 2, "at least half the pages came back from the pagefile");
    }
    if (Random)
    {
        CHECK(PagesRead <= Pages + Pages / 10, "no more pages read than touched + 10 %%");
        CHECK(Reads * 10 >= PagesRead * 9, "random faults read their page alone (9 in 10)");
    }
    else
    {
        CHECK(Reads * 4 <= Pages, "sequential faults read clusters (4 pages a read or more)");
    }
    msg("end");
    return 0;
}
