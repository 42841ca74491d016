/*
 * bench-dz - the full-system benchmark's demand-zero workload: commit PAGES pages at
 * PVBENCH_BASE, then write one word into each page in address order, every write a first
 * touch, so each page takes one demand-zero fault (plus one page-table fault per 1024 pages).
 * The loop is timed with the time stamp counter, nothing else in between; the memory
 * manager's counters around it say which faults it took.
 *
 * ARGS: PAGES MODE TOUCH [CHECK]
 *   MODE cold: the frames the loop gets have never been used since the VM started, so the
 *              first guest access to each also makes the host back it (on KVM: a nested-page
 *              fault, handled in the host kernel).
 *   MODE warm: first the image commits, touches and releases as much memory as is available
 *              (less a margin for page tables), so that the frames the loop gets have all been
 *              used before and the host already backs them; only then the timed pass.
 *   TOUCH 1: touch every page in the timed pass; 0: commit and release exactly the same way
 *              but touch nothing (the driver subtracts such a run's host counters).
 *   CHECK 1 (default): afterwards, check that every page holds what was written and zeroes
 *              elsewhere (two words each); 0: skip it, so that a counting run and its baseline
 *              differ by the timed loop alone.
 * In warm mode, the frames left untouched by the warm-up (the margin) are taken and held by
 * a spacer allocation before the timed pass, so the pass gets only frames used before.
 * Output: "pvbench dz mode=... touch=... pages=... cycles=... tsc_start=... tsc_end=...
 *          faults=... kinds=... prefault=... spacer=... available=... bad=...", then the
 *          image's exit line.
 */
#include "pvbench.h"

/* Frames left alone by the warm-up: page tables, the stack and what the kernel allocates. */
#define WARM_MARGIN_PAGES 64u
/* Where warm mode keeps its spacer: its own page tables, away from the timed region. */
#define SPACER_BASE (PVBENCH_BASE + 0x10000000u)

/* One store per page, first word of each page; noinline so the code the timed loop runs is
 * the code the warm-up call already ran (its code page is resident before the clock starts). */
static __attribute__((noinline)) VOID TouchPages(volatile ULONG *Base, ULONG Pages)
{
    ULONG i;

    for (i = 0; i < Pages; i++)
        Base[i * (PVB_PAGE / sizeof(ULONG))] = i + 1;
}

static PVOID Commit(ULONG Address, ULONG Pages)
{
    PVOID Base = (PVOID)Address;
    SIZE_T Size = (SIZE_T)Pages * PVB_PAGE;
    NTSTATUS Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                              MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);

    if (Status != STATUS_SUCCESS)
        fail("committing %u pages at 0x%08X: status 0x%08X", Pages, Address, Status);
    return Base;
}

static VOID Release(PVOID Base)
{
    SIZE_T Size = 0;
    NTSTATUS Status = NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE);

    if (Status != STATUS_SUCCESS)
        fail("releasing 0x%08X: status 0x%08X", (ULONG)(ULONG_PTR)Base, Status);
}

/* Use (and so make the host back) every frame that is available now, less the margin; then
 * take the frames still never used (the Free list is FIFO: they come first) into a spacer
 * that stays committed and touched. Returns the pages of the warm-up; *Spacer its size. */
static ULONG WarmUp(ULONG AtLeast, ULONG *Spacer)
{
    PV_MM_COUNTERS Counters;
    ULONG Pages;
    PVOID Base;

    PvbQueryCounters(&Counters);
    if (Counters.AvailablePages <= WARM_MARGIN_PAGES + Counters.AvailablePages / 1024 + AtLeast)
        fail("warm mode needs more than %u pages available, %u are: give the guest more RAM",
             WARM_MARGIN_PAGES + Counters.AvailablePages / 1024 + AtLeast,
             Counters.AvailablePages);
    Pages = Counters.AvailablePages - WARM_MARGIN_PAGES - Counters.AvailablePages / 1024;
    Base = Commit(PVBENCH_BASE, Pages);
    TouchPages((volatile ULONG *)Base, Pages);
    Release(Base);

    PvbQueryCounters(&Counters);
    *Spacer = Counters.AvailablePages > Pages ? Counters.AvailablePages - Pages : 0;
    if (*Spacer)
        TouchPages((volatile ULONG *)Commit(SPACER_BASE, *Spacer), *Spacer);
    return Pages;
}

int main(int argc, char **argv)
{
    ULONG Pages = PvbNumber(argc > 1 ? argv[1] : NULL, 8192);
    const char *Mode = argc > 2 ? argv[2] : "cold";
    ULONG Touch = PvbNumber(argc > 3 ? argv[3] : NULL, 1);
    ULONG Check = PvbNumber(argc > 4 ? argv[4] : NULL, 1);
    ULONG Prefault = 0, Spacer = 0, Bad = 0, i;
    PV_MM_COUNTERS Before, After;
    ULONGLONG Start, End;
    volatile ULONG *Words;
    char Faults[256];

    if (Pages == 0 || Touch > 1 || Check > 1 ||
        (strcmp(Mode, "cold") != 0 && strcmp(Mode, "warm") != 0))
        fail("usage: bench-dz PAGES cold|warm 0|1 [0|1]");
    if (strcmp(Mode, "warm") == 0)
        Prefault = WarmUp(Pages, &Spacer);

    Words = (volatile ULONG *)Commit(PVBENCH_BASE, Pages);
    TouchPages(Words, 0);
    PvbQueryCounters(&Before);
    Start = PvbReadTsc();
    TouchPages(Words, Touch ? Pages : 0);
    End = PvbReadTsc();
    PvbQueryCounters(&After);

    for (i = 0; Touch && Check && i < Pages; i++)
        Bad += Words[i * (PVB_PAGE / sizeof(ULONG))] != i + 1 ||
               Words[i * (PVB_PAGE / sizeof(ULONG)) + 1] != 0;
    PvbFormatFaults(Faults, sizeof(Faults), "", &Before, &After);
    PvPrint("pvbench dz mode=%s touch=%u pages=%u cycles=%08X%08X tsc_start=%08X%08X "
            "tsc_end=%08X%08X%s prefault=%u spacer=%u available=%u bad=%u\n", Mode, Touch, Pages,
            PVB_HEX64(End - Start), PVB_HEX64(Start), PVB_HEX64(End), Faults, Prefault, Spacer,
            Before.AvailablePages, Bad);
    Release((PVOID)Words);
    return Bad ? 1 : 0;
}
