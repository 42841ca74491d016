/*
 * pagefile-full - a pagefile too small for what is asked of it (the case gives it 64 slots,
 * 256 KiB, with --mem 3M). The commit limit counts the pagefile, so a commitment past it is
 * refused with STATUS_COMMITMENT_LIMIT (0xC000012D) and the process goes on; what is left is
 * committed and used: the process keeps at most 64 pages in its working set
 * (PvSetWorkingSetLimits), so its dirty pages go to the Modified list and the modified page
 * writer fills the pagefile; once it is full the remaining dirty pages wait on the Modified
 * list, nothing is lost: every page reads back what was written. The next image on the
 * command line then runs.
 * NEEDS-PAGEFILE
 * Expected: the lines below; "pagefile-full: exit(0)".
 */
#include <ntapi.h>

static PV_MM_COUNTERS Counters;

static __attribute__((noinline)) void GrowStack(void)
{
    volatile char Deep[16384];

    Deep[0] = 1;
    Deep[sizeof(Deep) - 1] = 1;
}

int main(void)
{
    PVOID Base = NULL;
    SIZE_T Size;
    ULONG Left, i, Wrong = 0, MostSlots = 0;
    volatile ULONG *Words;
    NTSTATUS TooMuch, Exactly;

    msg("begin");
    GrowStack();
    check_status(PvSetWorkingSetLimits(16, 64), STATUS_SUCCESS,
                 "limit the working set to 64 pages");
    PvQueryMmCounters(&Counters, sizeof(Counters));
    Left = Counters.CommitLimit - Counters.TotalCommittedPages;
    CHECK(Counters.PagefileSlots == 64 && Left > Counters.AvailablePages / 2,
          "a pagefile of 64 slots; the commit limit counts them");

    Size = (Left + 1) * 0x1000;
    TooMuch = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                      MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    Base = NULL;
    Size = Left * 0x1000;
    Exactly = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                      MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    check_status(TooMuch, STATUS_COMMITMENT_LIMIT, "commit one page more than is left");
    check_status(Exactly, STATUS_SUCCESS, "commit what is left");

    Words = Base;
    for (i = 0; i < Left; i++)
    {
        Words[i * 1024] = i ^ 0x5A5A0000u;
        if ((i & 15) == 0)
        {
            PvQueryMmCounters(&Counters, sizeof(Counters));
            if (Counters.PagefileSlotsInUse > MostSlots)
                MostSlots = Counters.PagefileSlotsInUse;
        }
    }
    for (i = 0; i < Left; i++)
        Wrong += Words[i * 1024] != (i ^ 0x5A5A0000u);
    CHECK(MostSlots == 63, "the pagefile filled up (all 63 slots of pages in use)");
    CHECK(Wrong == 0, "every committed page reads back what was written");
    Size = 0;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE),
                 STATUS_SUCCESS, "release it");
    PvQueryMmCounters(&Counters, sizeof(Counters));
    CHECK(Counters.PagefileSlotsInUse < 16, "its pagefile slots are free again (%s)",
          "what is left belongs to the stack and data");
    msg("end");
    return 0;
}
