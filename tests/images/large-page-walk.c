/*
 * large-page-walk - what large pages save: the same 16 MiB walked through 4 KiB pages (4096
 * PTEs in 4 page tables, 4096 working-set entries, 4096 TB entries to cover it) and through
 * four 4 MiB pages (4 PDEs, no page table, no working-set entry, 4 TB entries). The walk
 * touches one word per page in a scattered order, many times; with the argument "time" the
 * image also prints the TSC cycles each walk took and their ratio (reported, never asserted:
 * it depends on the CPU's TLBs, and under the KVM runner on QEMU's emulation of them).
 * Run with --mem 64M.
 * Expected: begin, the lines below, end.
 * NEEDS-OWN-BOOT (32 MiB of the guest's memory at once)
 */
#include <ntapi.h>

#define SIZE   (16u << 20)
#define PAGES  (SIZE / 0x1000u)
#define ROUNDS 16u

static PV_MM_COUNTERS Counters(void)
{
    PV_MM_COUNTERS C;
    if (PvQueryMmCounters(&C, sizeof(C)) != STATUS_SUCCESS)
        fail("PvQueryMmCounters");
    return C;
}

static unsigned long long Rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

/* One word per page, pages in a scattered order (a stride coprime to the page count), the
 * whole range ROUNDS times; the sum proves every word was read. */
static ULONG Walk(volatile ULONG *Base, unsigned long long *Cycles)
{
    ULONG Sum = 0;
    unsigned long long Start = Rdtsc();
    for (ULONG r = 0; r < ROUNDS; r++)
        for (ULONG i = 0, p = 0; i < PAGES; i++, p = (p + 1031) % PAGES)
            Sum += Base[p * 1024u + (i & 1023u)];
    *Cycles = Rdtsc() - Start;
    return Sum;
}

static void Fill(volatile ULONG *Base)
{
    for (ULONG p = 0; p < PAGES; p++)
        for (ULONG w = 0; w < 1024; w++)
            Base[p * 1024u + w] = p ^ (w << 12);
}

int main(int argc, char **argv)
{
    int Time = argc > 1 && strcmp(argv[1], "time") == 0;
    PVOID Small = NULL, Large = NULL;
    SIZE_T Size = SIZE;
    unsigned long long SmallCycles, LargeCycles;

    msg("begin");
    PV_MM_COUNTERS Before = Counters();
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Small, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "16 MiB on 4 KiB pages");
    Fill(Small);
    PV_MM_COUNTERS AfterSmall = Counters();
    CHECK(AfterSmall.PageTablesCreated - Before.PageTablesCreated == 4,
          "it took 4 page tables (4096 PTEs)");
    CHECK(AfterSmall.WorkingSetSize - Before.WorkingSetSize >= PAGES,
          "and 4096 working-set entries");
    Size = SIZE;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Large, 0, &Size,
                                         MEM_LARGE_PAGES | MEM_RESERVE | MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "16 MiB on 4 MiB pages");
    Fill(Large);
    PV_MM_COUNTERS AfterLarge = Counters();
    CHECK(AfterLarge.PageTablesCreated == AfterSmall.PageTablesCreated &&
          AfterLarge.LargePages - AfterSmall.LargePages == 4,
          "it took 4 PDEs: no page table");
    CHECK(AfterLarge.WorkingSetSize == AfterSmall.WorkingSetSize,
          "and no working-set entry (large pages are never paged)");
    CHECK(AfterLarge.PageFaults == AfterSmall.PageFaults, "filling it took no page fault");
    ULONG SmallSum = Walk(Small, &SmallCycles), LargeSum = Walk(Large, &LargeCycles);
    CHECK(SmallSum == LargeSum, "both walks read the same words (%u rounds of 4096 pages)",
          ROUNDS);
    if (Time)
    {
        /* ROUNDS * PAGES is 2^16 visits; no 64-bit division in the image runtime. */
        unsigned long long A = SmallCycles, B = LargeCycles;
        while (A > 0x00FFFFFFull || B > 0x00FFFFFFull)
        {
            A >>= 1;
            B >>= 1;
        }
        ULONG Ratio = B ? (ULONG)(A * 100u) / (ULONG)B : 0;
        msg("TSC cycles per page visited: 4 KiB pages %lu, 4 MiB pages %lu: 4 KiB / 4 MiB = "
            "%lu.%02lu", (unsigned long)(SmallCycles >> 16), (unsigned long)(LargeCycles >> 16),
            (unsigned long)(Ratio / 100), (unsigned long)(Ratio % 100));
    }
    msg("end");
    return 0;
}
