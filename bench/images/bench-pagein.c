/*
 * bench-pagein - the full-system benchmark's page-in workload, for a guest with less RAM than
 * the memory it uses (run it with --mem 4M): commit PAGES pages at PVBENCH_BASE (a power of
 * two, several times RAM), write every page (the fill: they are all dirty, so the memory
 * manager has to write most of them to the pagefile to make room), then read every page
 * back once in the timed pass, sequentially or in a scattered order, checking what it wrote
 * (the first and last word of each page) as it goes.
 * Pages that left memory come back through the pagefile (hard faults) or, while still on the
 * standby or modified list, without I/O (soft faults); the counters around the timed pass
 * say which.
 *
 * ARGS: PAGES PATTERN READ
 *   PATTERN seq: page 0, 1, 2, ...; random: page (i * 0x9E3779B1) mod PAGES, a permutation
 *           that computes each index instead of reading it from a table (so the order itself
 *           takes no faults) and puts neighbours far apart.
 *   READ 1: the timed pass; 0: the fill only (the driver subtracts such a run's counters).
 * Output: "pvbench pagein pattern=... read=... pages=... cycles=... tsc_start=... tsc_end=...
 *          faults=... kinds=... fill_cycles=... fill_faults=... fill_kinds=... available=...
 *          bad=...", then the image's exit line.
 */
#include "pvbench.h"

#define MAGIC 0x5A17C0DEu

static __attribute__((noinline)) VOID Fill(volatile ULONG *Base, ULONG Pages)
{
    ULONG i;

    for (i = 0; i < Pages; i++)
    {
        Base[i * (PVB_PAGE / sizeof(ULONG))] = MAGIC ^ i;
        Base[(i + 1) * (PVB_PAGE / sizeof(ULONG)) - 1] = ~i;
    }
}

/* Reads the first and last word of every page in the pattern's order (one fault at most per
 * page, and the check of what the fill wrote); returns how many pages were wrong. */
static __attribute__((noinline)) ULONG ReadBack(volatile ULONG *Base, ULONG Pages, ULONG Random)
{
    ULONG i, Page, Bad = 0;

    for (i = 0; i < Pages; i++)
    {
        Page = Random ? (i * 0x9E3779B1u) & (Pages - 1) : i;
        Bad += Base[Page * (PVB_PAGE / sizeof(ULONG))] != (MAGIC ^ Page) ||
               Base[(Page + 1) * (PVB_PAGE / sizeof(ULONG)) - 1] != ~Page;
    }
    return Bad;
}

int main(int argc, char **argv)
{
    ULONG Pages = PvbNumber(argc > 1 ? argv[1] : NULL, 4096);
    const char *Pattern = argc > 2 ? argv[2] : "seq";
    ULONG Read = PvbNumber(argc > 3 ? argv[3] : NULL, 1);
    ULONG Random = strcmp(Pattern, "random") == 0, Bad = 0;
    PV_MM_COUNTERS Start, Before, After;
    ULONGLONG FillStart, FillEnd, ReadStart, ReadEnd;
    PVOID Base = (PVOID)PVBENCH_BASE;
    SIZE_T Size;
    NTSTATUS Status;
    char FillFaults[256], Faults[256];

    if (Pages == 0 || (Pages & (Pages - 1)) != 0 || Read > 1 ||
        (!Random && strcmp(Pattern, "seq") != 0))
        fail("usage: bench-pagein PAGES(a power of two) seq|random 0|1");
    Size = (SIZE_T)Pages * PVB_PAGE;
    Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                     MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (Status != STATUS_SUCCESS)
        fail("committing %u pages at 0x%08X: status 0x%08X", Pages, PVBENCH_BASE, Status);

    ReadBack((volatile ULONG *)Base, 0, Random);
    PvbQueryCounters(&Start);
    FillStart = PvbReadTsc();
    Fill((volatile ULONG *)Base, Pages);
    FillEnd = PvbReadTsc();
    PvbQueryCounters(&Before);
    ReadStart = PvbReadTsc();
    if (Read)
        Bad = ReadBack((volatile ULONG *)Base, Pages, Random);
    ReadEnd = PvbReadTsc();
    PvbQueryCounters(&After);

    PvbFormatFaults(FillFaults, sizeof(FillFaults), "fill_", &Start, &Before);
    PvbFormatFaults(Faults, sizeof(Faults), "", &Before, &After);
    PvPrint("pvbench pagein pattern=%s read=%u pages=%u cycles=%08X%08X tsc_start=%08X%08X "
            "tsc_end=%08X%08X%s fill_cycles=%08X%08X%s available=%u bad=%u\n", Pattern, Read,
            Pages, PVB_HEX64(ReadEnd - ReadStart), PVB_HEX64(ReadStart), PVB_HEX64(ReadEnd),
            Faults, PVB_HEX64(FillEnd - FillStart), FillFaults, Start.AvailablePages, Bad);
    Size = 0;
    NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE);
    return Bad ? 1 : 0;
}
