/*
 * demo-paging - the demo `make run` shows: a process whose working set is larger than the
 * machine's RAM. 16 MiB are committed (with --mem 6M the guest has about 5 MiB for pages), a
 * pattern written into every word, then read back from the end to the start, then 5,000 pages
 * picked at random (a fixed seed) are read and checked. Pages move between RAM and the host's
 * pagefile all along: FIFO out of the working set, written by the modified page writer in
 * clusters, read back in clusters, or taken back from the Standby list by soft faults.
 * With the argument "summary" it prints what the memory manager did (from PvQueryMmCounters);
 * pagevisor's --stats prints the host's side (faults by kind, pagefile traffic, VM exits).
 * NEEDS-PAGEFILE
 * Expected (no argument): begin, one line per phase, end.
 */
#include <ntapi.h>

#define BASE   0x10000000u
#define SIZE   (16u << 20)
#define WORDS  (SIZE / 4)
#define PAGES  (SIZE / 4096)
#define PROBES 5000u

static ULONG Pattern(ULONG Index)
{
    return Index * 2654435761u ^ 0xDE30u;
}

int main(int argc, char **argv)
{
    PVOID Base = (PVOID)BASE;
    SIZE_T Size = SIZE;
    volatile ULONG *Words = (volatile ULONG *)BASE;
    PV_MM_COUNTERS Before, After;
    ULONG i, Wrong = 0, Seed = 12345;
    BOOLEAN Summary = argc > 1 && strcmp(argv[1], "summary") == 0;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 16 MiB at 0x%08X", BASE);
    PvQueryMmCounters(&Before, sizeof(Before));
    for (i = 0; i < WORDS; i++)
        Words[i] = Pattern(i);
    msg("wrote a pattern into all %u pages", PAGES);
    for (i = WORDS; i-- > 0;)
        Wrong += Words[i] != Pattern(i);
    CHECK(Wrong == 0, "read them all back, last page first: intact");
    for (i = 0; i < PROBES; i++)
    {
        ULONG Page, Word;

        Seed = Seed * 1103515245u + 12345u;
        Page = (Seed >> 8) % PAGES;
        Word = Page * 1024 + (Seed & 1023);
        Wrong += Words[Word] != Pattern(Word);
    }
    CHECK(Wrong == 0, "read %u words of random pages: intact", PROBES);
    PvQueryMmCounters(&After, sizeof(After));
    if (Summary)
    {
        ULONG Reads = After.PageReadIoCount - Before.PageReadIoCount;
        ULONG Read = After.PagesRead - Before.PagesRead;
        ULONG Writes = After.DirtyWriteIoCount - Before.DirtyWriteIoCount;
        ULONG Written = After.DirtyPagesWritten - Before.DirtyPagesWritten;

        msg("RAM available to processes: %u pages; this process touched %u pages (peak working "
            "set %u pages)", Before.AvailablePages, PAGES, After.WorkingSetPeak);
        msg("page faults: %u demand-zero, %u soft (transition), %u pagefile reads, %u image "
            "reads, %u page tables",
            After.FaultsByResolution[PV_FAULT_DEMAND_ZERO] -
                Before.FaultsByResolution[PV_FAULT_DEMAND_ZERO],
            After.FaultsByResolution[PV_FAULT_TRANSITION] -
                Before.FaultsByResolution[PV_FAULT_TRANSITION],
            After.FaultsByResolution[PV_FAULT_PAGEFILE_READ] -
                Before.FaultsByResolution[PV_FAULT_PAGEFILE_READ],
            After.FaultsByResolution[PV_FAULT_IMAGE_READ] -
                Before.FaultsByResolution[PV_FAULT_IMAGE_READ],
            After.FaultsByResolution[PV_FAULT_PAGE_TABLE] -
                Before.FaultsByResolution[PV_FAULT_PAGE_TABLE]);
        msg("modified page writer: %u pages in %u writes (%u.%u pages per write)", Written,
            Writes, Writes ? Written / Writes : 0, Writes ? Written * 10 / Writes % 10 : 0);
        msg("page-ins: %u pages in %u reads (%u.%u pages per read, %u read ahead to Standby)",
            Read, Reads, Reads ? Read / Reads : 0, Reads ? Read * 10 / Reads % 10 : 0,
            After.ClusterPagesRead - Before.ClusterPagesRead);
        msg("working set: %u pages replaced FIFO, %u trimmed; %u Standby pages reused; page "
            "tables %u out, %u back in", After.WorkingSetReplaced, After.WorkingSetTrimmed,
            After.StandbyReused - Before.StandbyReused, After.PageTablesOut - Before.PageTablesOut,
            After.PageTablesIn - Before.PageTablesIn);
    }
    msg("end");
    return 0;
}
