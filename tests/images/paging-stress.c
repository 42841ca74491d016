/*
 * paging-stress - the virtual-memory services on memory that pages. Four 2 MiB regions (each
 * in its own 4 MiB, so with its own page table) are used at random, with a fixed seed, through
 * 20,000 operations while RAM (--mem 3M) holds well under half of them: write a page, check a
 * page, decommit a run of pages (they are in RAM, on a list, or in the pagefile: all must go),
 * commit a run again (it reads zero), make a run read-only and back, release a whole region
 * and reserve and commit it again. A model of every page's value (kept in the image's own
 * memory, which pages too) says what each page must read. At the end every committed page is
 * checked, everything is released, and no pagefile slot is left in use.
 * NEEDS-PAGEFILE
 * Expected: the lines below; "paging-stress: exit(0)".
 */
#include <ntapi.h>

#define REGIONS      4u
#define REGION_PAGES 512u
#define REGION_BASE(r) (0x10000000u + (r) * 0x400000u)
#define DECOMMITTED  0xFFFFFFFFu
#define OPERATIONS   20000u

static ULONG Model[REGIONS][REGION_PAGES];   /* 0: reads zero; DECOMMITTED; else the value */
static ULONG Seed = 2024;
static ULONG Counts[7];

static ULONG Random(ULONG Limit)
{
    Seed = Seed * 1103515245u + 12345u;
    return (Seed >> 8) % Limit;
}

static volatile ULONG *Word(ULONG Region, ULONG Page)
{
    return (volatile ULONG *)(REGION_BASE(Region) + Page * 4096u + (Page % 1021) * 4);
}

static NTSTATUS Allocate(ULONG Region, ULONG First, ULONG Count, ULONG Type, ULONG Protect)
{
    PVOID Base = (PVOID)(REGION_BASE(Region) + First * 4096u);
    SIZE_T Size = Count * 4096u;

    return NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, Type, Protect);
}

static NTSTATUS Free(ULONG Region, ULONG First, ULONG Count, ULONG Type)
{
    PVOID Base = (PVOID)(REGION_BASE(Region) + First * 4096u);
    SIZE_T Size = Count * 4096u;

    return NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, Type);
}

static NTSTATUS Protect(ULONG Region, ULONG First, ULONG Count, ULONG Protection)
{
    PVOID Base = (PVOID)(REGION_BASE(Region) + First * 4096u);
    SIZE_T Size = Count * 4096u;
    ULONG Old;

    return NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, Protection, &Old);
}

static BOOLEAN AllCommitted(ULONG Region, ULONG First, ULONG Count)
{
    ULONG i;

    for (i = First; i < First + Count; i++)
        if (Model[Region][i] == DECOMMITTED)
            return FALSE;
    return TRUE;
}

int main(void)
{
    PV_MM_COUNTERS Counters;
    ULONG r, i, Op, Wrong = 0, Failed = 0;

    msg("begin");
    for (r = 0; r < REGIONS; r++)
        Failed += Allocate(r, 0, REGION_PAGES, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) != 0;
    CHECK(Failed == 0, "reserve and commit four regions of 2 MiB");

    for (Op = 0; Op < OPERATIONS; Op++)
    {
        ULONG Kind = Random(1000), Region = Random(REGIONS), Page = Random(REGION_PAGES);
        ULONG Count = 1 + Random(16), Value;

        if (Page + Count > REGION_PAGES)
            Count = REGION_PAGES - Page;
        if (Kind < 600)
        {
            if (Model[Region][Page] == DECOMMITTED)
                continue;
            Value = 1 + Random(0x7FFFFFFF);
            *Word(Region, Page) = Value;
            Model[Region][Page] = Value;
            Counts[0]++;
        }
        else if (Kind < 900)
        {
            if (Model[Region][Page] == DECOMMITTED)
                continue;
            Wrong += *Word(Region, Page) != Model[Region][Page];
            Counts[1]++;
        }
        else if (Kind < 940)
        {
            Failed += Free(Region, Page, Count, MEM_DECOMMIT) != 0;
            for (i = Page; i < Page + Count; i++)
                Model[Region][i] = DECOMMITTED;
            Counts[2]++;
        }
        else if (Kind < 980)
        {
            Failed += Allocate(Region, Page, Count, MEM_COMMIT, PAGE_READWRITE) != 0;
            for (i = Page; i < Page + Count; i++)
                if (Model[Region][i] == DECOMMITTED)
                    Model[Region][i] = 0;
            Counts[3]++;
        }
        else if (Kind < 997)
        {
            if (!AllCommitted(Region, Page, Count))
                continue;
            Failed += Protect(Region, Page, Count, PAGE_READONLY) != 0;
            for (i = Page; i < Page + Count; i++)
                Wrong += *Word(Region, i) != Model[Region][i];
            Failed += Protect(Region, Page, Count, PAGE_READWRITE) != 0;
            Counts[4]++;
        }
        else
        {
            Failed += Free(Region, 0, 0, MEM_RELEASE) != 0;
            Failed += Allocate(Region, 0, REGION_PAGES, MEM_RESERVE | MEM_COMMIT,
                               PAGE_READWRITE) != 0;
            for (i = 0; i < REGION_PAGES; i++)
                Model[Region][i] = 0;
            Counts[5]++;
        }
    }
    CHECK(Failed == 0 && Wrong == 0, "%u operations: every call succeeded, every read matched",
          OPERATIONS);
    CHECK(Counts[0] > 1000 && Counts[1] > 1000 && Counts[2] > 100 && Counts[3] > 100 &&
              Counts[4] > 10 && Counts[5] > 5,
          "writes, reads, decommits, commits, protections and releases all happened");

    for (r = 0; r < REGIONS; r++)
        for (i = 0; i < REGION_PAGES; i++)
            if (Model[r][i] != DECOMMITTED)
                Wrong += *Word(r, i) != Model[r][i];
    CHECK(Wrong == 0, "every committed page reads what the model says");
    PvQueryMmCounters(&Counters, sizeof(Counters));
    CHECK(Counters.DirtyPagesWritten > 1000 && Counters.PagesRead > 1000,
          "pages went to the pagefile and came back all along");
    for (r = 0; r < REGIONS; r++)
        Failed += Free(r, 0, 0, MEM_RELEASE) != 0;
    PvQueryMmCounters(&Counters, sizeof(Counters));
    CHECK(Failed == 0 && Counters.PagefileSlotsInUse < 8,
          "released all four; their pagefile slots are free");
    msg("end");
    return 0;
}
