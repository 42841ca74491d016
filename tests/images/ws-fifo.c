/*
 * ws-fifo - the working set from ring 3: limits, FIFO replacement, soft faults. The process
 * sets its working set to at most 16 pages (PvSetWorkingSetLimits: a maximum below 16 or a
 * minimum above the maximum is refused), then writes 40 pages of a fresh allocation one after
 * another. Each new page pushes the oldest page of the working set out (NT 3.x/4.0 local FIFO;
 * its code, stack and page tables count too), so afterwards exactly the most recently written
 * pages of the 40 are valid (PvQueryPhysicalPage), a run at the end, and the working set holds
 * 16 pages. The pages that left are still in RAM on a list: touching one is a soft fault (a
 * transition fault, no read), its contents intact. Emptying the working set (0xFFFFFFFF twice)
 * leaves no page of the 40 valid, and they still read back. No pagefile is needed: without one
 * the dirty pages wait on the ModifiedNoWrite list.
 * Expected: the lines below; "ws-fifo: exit(0)".
 */
#include <ntapi.h>

#define PAGES 40u

static ULONG Resident(volatile ULONG *Base, ULONG Page)
{
    ULONG Frame = 0;

    PvQueryPhysicalPage((PVOID)(Base + Page * 1024), &Frame);
    return Frame != 0;
}

int main(void)
{
    PVOID Base = NULL;
    SIZE_T Size = PAGES * 0x1000;
    volatile ULONG *Words;
    PV_MM_COUNTERS Before, After;
    ULONG i, First = PAGES, Gaps = 0, Wrong = 0, Valid = 0;

    msg("begin");
    check_status(PvSetWorkingSetLimits(4, 15), STATUS_INVALID_PARAMETER_2,
                 "a maximum below 16 pages is refused");
    check_status(PvSetWorkingSetLimits(17, 16), STATUS_INVALID_PARAMETER_1,
                 "a minimum above the maximum is refused");
    check_status(PvSetWorkingSetLimits(4, 16), STATUS_SUCCESS, "limits 4-16 pages");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit %u pages", PAGES);
    Words = Base;
    for (i = 0; i < PAGES; i++)
        Words[i * 1024] = 0xF1F0u + i;

    /* Which of the 40 are valid: a run at the end (the newest), nothing before it. */
    for (i = 0; i < PAGES; i++)
    {
        if (Resident(Words, i))
        {
            if (First == PAGES)
                First = i;
        }
        else if (First != PAGES)
        {
            Gaps++;
        }
    }
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(First < PAGES && Gaps == 0 && PAGES - First >= 8 && PAGES - First < 16,
          "only the newest pages are valid, the older ones left in order (FIFO)");
    CHECK(After.WorkingSetSize == 16 && After.WorkingSetPeak == 16 &&
              After.WorkingSetMaximum == 16 && After.WorkingSetReplaced >= PAGES - 16,
          "the working set holds 16 pages; the others were replaced");

    PvQueryMmCounters(&Before, sizeof(Before));
    Wrong += Words[0] != 0xF1F0u;
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(Wrong == 0 && Resident(Words, 0) &&
              After.FaultsByResolution[PV_FAULT_TRANSITION] -
                      Before.FaultsByResolution[PV_FAULT_TRANSITION] == 1 &&
              After.PagesRead == Before.PagesRead,
          "the oldest page comes back by a soft fault, intact");

    check_status(PvSetWorkingSetLimits(0xFFFFFFFFu, 0xFFFFFFFFu), STATUS_SUCCESS,
                 "empty the working set");
    for (i = 0; i < PAGES; i++)
        Valid += Resident(Words, i);
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(Valid == 0 && After.WorkingSetMaximum == 16, "no page of the %u is valid now", PAGES);
    for (i = 0; i < PAGES; i++)
        Wrong += Words[i * 1024] != 0xF1F0u + i;
    CHECK(Wrong == 0, "all %u read back what was written", PAGES);
    msg("end");
    return 0;
}
