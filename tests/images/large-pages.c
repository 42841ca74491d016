/*
 * large-pages - MEM_LARGE_PAGES in 16 MiB of RAM: four aligned 4 MiB runs of frames, the first
 * the kernel's. A large page on a fresh system; its rules (size, address, MEM_COMMIT,
 * protection, release whole); then memory fragmented on purpose (12 MiB of private pages
 * written, all but every 16th released: the survivors lie scattered over the runs), a large
 * page that succeeds only by moving pages out of its run (their contents kept, their frames
 * changed), and a request no run can meet: STATUS_INSUFFICIENT_RESOURCES with nothing moved.
 * Expected: begin, the lines below, end.
 * NEEDS-OWN-BOOT (the runs it takes are the whole guest's: in the boot of every image under
 * another loader the other images' pages are in them too)
 */
#include <ntapi.h>

#define LARGE   0x400000u
#define SCATTER (12u << 20)
#define KEEP    16u             /* every 16th page of SCATTER survives */

static PV_MM_COUNTERS Counters(void)
{
    PV_MM_COUNTERS C;
    if (PvQueryMmCounters(&C, sizeof(C)) != STATUS_SUCCESS)
        fail("PvQueryMmCounters");
    return C;
}

static NTSTATUS Alloc(PVOID *Base, SIZE_T Size, ULONG Type, ULONG Protect)
{
    return NtAllocateVirtualMemory(NtCurrentProcess(), Base, 0, &Size, Type, Protect);
}

static NTSTATUS Free(PVOID Base, SIZE_T Size, ULONG Type)
{
    return NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, Type);
}

static ULONG Frame(ULONG_PTR Va)
{
    ULONG Pfn = 0;
    PvQueryPhysicalPage((PVOID)Va, &Pfn);
    return Pfn;
}

int main(void)
{
    SIZE_T Minimum = 0;
    PVOID Large = NULL, Scatter = NULL, Base;
    ULONG Type = MEM_LARGE_PAGES | MEM_RESERVE | MEM_COMMIT;
    MEMORY_BASIC_INFORMATION Info;
    SIZE_T Length;

    msg("begin");
    check_status(PvGetLargePageMinimum(&Minimum), STATUS_SUCCESS, "GetLargePageMinimum");
    CHECK(Minimum == LARGE, "it is 4 MiB");

    /* A fresh system: a run is free. */
    PV_MM_COUNTERS Before = Counters();
    check_status(Alloc(&Large, LARGE, Type, PAGE_READWRITE), STATUS_SUCCESS,
                 "a 4 MiB large page on a fresh system");
    ULONG First = Frame((ULONG_PTR)Large);
    CHECK(((ULONG_PTR)Large & (LARGE - 1)) == 0 && (First & 1023) == 0,
          "4 MiB aligned, virtually and physically");
    int Contiguous = 1;
    for (ULONG i = 0; i < 1024; i++)
        Contiguous &= Frame((ULONG_PTR)Large + i * 0x1000u) == First + i;
    CHECK(Contiguous, "its 1024 frames are one physical run");
    volatile ULONG *Words = Large;
    ULONG Zero = 1;
    for (ULONG i = 0; i < LARGE / 4; i += 1024)
        Zero &= Words[i] == 0;
    for (ULONG i = 0; i < LARGE / 4; i++)
        Words[i] = i;
    ULONG Good = 1;
    for (ULONG i = 0; i < LARGE / 4; i++)
        Good &= Words[i] == i;
    CHECK(Zero && Good, "it read zero, then kept 4 MiB written");
    NtQueryVirtualMemory(NtCurrentProcess(), Large, MemoryBasicInformation, &Info, sizeof(Info),
                         &Length);
    CHECK(Info.State == MEM_COMMIT && Info.Protect == PAGE_READWRITE && Info.Type == MEM_PRIVATE &&
          Info.RegionSize == LARGE, "the query: one committed read/write private region of 4 MiB");
    PvDebugBreak("large page mapped", 17);     /* the host's !vad shows it "Large" */
    PV_MM_COUNTERS During = Counters();
    CHECK(During.LargePages == Before.LargePages + 1 &&
          During.ProcessCommitCharge == Before.ProcessCommitCharge + 1024 &&
          During.ProcessLockedPages == Before.ProcessLockedPages + 1024 &&
          During.PagesRelocated == Before.PagesRelocated,
          "one large page, 1024 pages of commit and locked, nothing moved for it");
    CHECK(Before.AvailablePages - During.AvailablePages >= 1024, "1024 fewer pages available");

    /* The rules. */
    Base = NULL;
    check_status(Alloc(&Base, LARGE / 4, Type, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4,
                 "1 MiB: not a multiple of the minimum");
    Base = (PVOID)0x20100000;
    check_status(Alloc(&Base, LARGE, Type, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2,
                 "at an address not 4 MiB aligned");
    Base = NULL;
    check_status(Alloc(&Base, LARGE, MEM_LARGE_PAGES | MEM_RESERVE, PAGE_READWRITE),
                 STATUS_INVALID_PARAMETER_5, "reserved without MEM_COMMIT");
    check_status(Alloc(&Base, LARGE, Type, PAGE_READONLY), STATUS_INVALID_PAGE_PROTECTION,
                 "read-only");
    SIZE_T Size = 0x1000;
    ULONG Old;
    Base = Large;
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READONLY, &Old),
                 STATUS_CONFLICTING_ADDRESSES, "made read-only afterwards");
    check_status(Free(Large, 0x1000, MEM_DECOMMIT), STATUS_INVALID_PARAMETER_4, "decommitted");
    check_status(Free((PVOID)((ULONG_PTR)Large + 0x1000), 0x1000, MEM_RELEASE),
                 STATUS_UNABLE_TO_FREE_VM, "released in part");
    check_status(Free(Large, 0, MEM_RELEASE), STATUS_SUCCESS, "released whole");
    PV_MM_COUNTERS After = Counters();
    CHECK(After.LargePages == Before.LargePages &&
          After.AvailablePages + 16 >= Before.AvailablePages, "its frames are available again");

    /* Fragment memory: 12 MiB written, all but every 16th page released. */
    check_status(Alloc(&Scatter, SCATTER, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 12 MiB of private pages");
    for (ULONG p = 0; p < SCATTER / 0x1000u; p++)
        *(volatile ULONG *)((ULONG_PTR)Scatter + p * 0x1000u) = 0xC0DE0000u | p;
    for (ULONG p = 0; p < SCATTER / 0x1000u; p++)
        if (p % KEEP != 0)
            Free((PVOID)((ULONG_PTR)Scatter + p * 0x1000u), 0x1000, MEM_DECOMMIT);
    ULONG Frames[SCATTER / 0x1000u / KEEP];
    for (ULONG k = 0; k < SCATTER / 0x1000u / KEEP; k++)
        Frames[k] = Frame((ULONG_PTR)Scatter + k * KEEP * 0x1000u);
    msg("kept every 16th page written: 192 pages scattered over the runs");

    /* A large page now needs pages moved out of its run. */
    Before = Counters();
    Large = NULL;
    check_status(Alloc(&Large, LARGE, Type, PAGE_READWRITE), STATUS_SUCCESS,
                 "a 4 MiB large page in fragmented memory");
    After = Counters();
    ULONG Moved = 0, Kept = 0;
    for (ULONG k = 0; k < SCATTER / 0x1000u / KEEP; k++)
    {
        ULONG_PTR Va = (ULONG_PTR)Scatter + k * KEEP * 0x1000u;
        Moved += Frame(Va) != Frames[k];
        Kept += *(volatile ULONG *)Va == (0xC0DE0000u | (k * KEEP));
    }
    CHECK(After.PagesRelocated > Before.PagesRelocated && Moved > 0,
          "it moved pages out of its run (the trace and the log list each)");
    CHECK(Kept == SCATTER / 0x1000u / KEEP, "every kept page still holds what was written");
    First = Frame((ULONG_PTR)Large);
    ULONG Inside = 0;
    for (ULONG k = 0; k < SCATTER / 0x1000u / KEEP; k++)
    {
        ULONG F = Frame((ULONG_PTR)Scatter + k * KEEP * 0x1000u);
        Inside += F >= First && F < First + 1024;
    }
    CHECK(Inside == 0, "none of them is in the large page's run any more");

    /* Three more 4 MiB pages: 12 MiB of the 16 that has the kernel in its first 4. */
    for (ULONG k = 0; k < SCATTER / 0x1000u / KEEP; k++)
        Frames[k] = Frame((ULONG_PTR)Scatter + k * KEEP * 0x1000u);
    Before = Counters();
    Base = NULL;
    check_status(Alloc(&Base, 3 * LARGE, Type, PAGE_READWRITE), STATUS_INSUFFICIENT_RESOURCES,
                 "12 MiB more of large pages");
    After = Counters();
    Moved = 0;
    for (ULONG k = 0; k < SCATTER / 0x1000u / KEEP; k++)
        Moved += Frame((ULONG_PTR)Scatter + k * KEEP * 0x1000u) != Frames[k];
    CHECK(After.PagesRelocated == Before.PagesRelocated && Moved == 0 &&
          After.LargePages == Before.LargePages && After.AvailablePages == Before.AvailablePages &&
          After.ProcessCommitCharge == Before.ProcessCommitCharge,
          "refused with nothing moved, taken or charged");
    check_status(Free(Large, 0, MEM_RELEASE), STATUS_SUCCESS, "release the large page");
    msg("end");
    return 0;
}
