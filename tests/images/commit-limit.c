/*
 * commit-limit - the system commit limit (RAM available at boot, less a reserve, plus the
 * pagefile) holds: a reserve-and-commit of one page more than is left fails with
 * STATUS_COMMITMENT_LIMIT (0xC000012D) and changes nothing, and the process goes on;
 * exactly what is left can be committed (reserving is free: only committing is charged);
 * then not one page more, neither by a new allocation nor by committing inside a
 * reservation; decommitting gives charge back, which can be committed again; releasing
 * returns everything. No line depends on the size of the limit, which follows RAM and the
 * pagefile. The stack is grown first, so that it does not need to grow (a commit) while
 * nothing is left.
 * Expected: the lines below; "commit-limit: exit(0)".
 */
#include <ntapi.h>

#define SELF NtCurrentProcess()

static PV_MM_COUNTERS Counters;

static __attribute__((noinline)) void GrowStack(void)
{
    volatile char Deep[16384];

    Deep[0] = 1;
    Deep[sizeof(Deep) - 1] = 1;
}

static ULONG Left(void)
{
    PvQueryMmCounters(&Counters, sizeof(Counters));
    return Counters.CommitLimit - Counters.TotalCommittedPages;
}

int main(void)
{
    PVOID Big = NULL, Small = NULL, Page;
    SIZE_T Size;
    ULONG Pages, Charge;
    NTSTATUS TooMuch, Exactly, OneMore, InsideReserve, Decommit, Again;

    msg("begin");
    GrowStack();
    Pages = Left();
    Charge = Counters.ProcessCommitCharge;
    CHECK(Pages > 16 && Counters.CommitLimit >= Counters.TotalCommittedPages,
          "some commitment is left below the limit");

    /* No msg() from here on until everything is given back: msg may need stack. */
    Size = (Pages + 1) * 0x1000;
    TooMuch = NtAllocateVirtualMemory(SELF, &Big, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                      PAGE_READWRITE);
    Big = NULL;
    Size = Pages * 0x1000;
    Exactly = NtAllocateVirtualMemory(SELF, &Big, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                      PAGE_READWRITE);
    Size = 0x10000;
    (void)NtAllocateVirtualMemory(SELF, &Small, 0, &Size, MEM_RESERVE, PAGE_READWRITE);
    Page = Small;
    Size = 0x1000;
    InsideReserve = NtAllocateVirtualMemory(SELF, &Page, 0, &Size, MEM_COMMIT, PAGE_READWRITE);
    Page = NULL;
    Size = 0x1000;
    OneMore = NtAllocateVirtualMemory(SELF, &Page, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                      PAGE_READWRITE);
    Page = Big;
    Size = 0x8000;
    Decommit = NtFreeVirtualMemory(SELF, &Page, &Size, MEM_DECOMMIT);
    Page = Small;
    Size = 0x8000;
    Again = NtAllocateVirtualMemory(SELF, &Page, 0, &Size, MEM_COMMIT, PAGE_READWRITE);
    Size = 0;
    NtFreeVirtualMemory(SELF, &Big, &Size, MEM_RELEASE);
    Size = 0;
    NtFreeVirtualMemory(SELF, &Small, &Size, MEM_RELEASE);

    check_status(TooMuch, STATUS_COMMITMENT_LIMIT, "reserve and commit one page more than is left");
    check_status(Exactly, STATUS_SUCCESS, "reserve and commit exactly what is left");
    check_status(InsideReserve, STATUS_COMMITMENT_LIMIT,
                 "then commit a page inside a new reservation");
    check_status(OneMore, STATUS_COMMITMENT_LIMIT, "then reserve and commit one more page");
    check_status(Decommit, STATUS_SUCCESS, "decommit 8 pages");
    check_status(Again, STATUS_SUCCESS, "commit 8 pages elsewhere");
    CHECK(Left() == Pages && Counters.ProcessCommitCharge == Charge,
          "after releasing, the process is charged what it was before");
    msg("end");
    return 0;
}
