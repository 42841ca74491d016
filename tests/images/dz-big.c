/*
 * dz-big - demand zero over a large region: reserve 2 MiB at 0x20000000, then commit all of it.
 * Committing gives no page a frame (PvQueryPhysicalPage reads 0 for all 512); reading every
 * word of every page reads zero and takes exactly one fault per page, a demand-zero fault,
 * and nothing else; the page is mapped writable by that read, so writing a pattern into every
 * word afterwards takes no fault at all; the pattern reads back; every page has its own frame.
 * Releasing returns the commitment and the frames.
 * Expected: begin, one line per check, end; "dz-big: exit(0)".
 */
#include <ntapi.h>

#define BIG_BASE  0x20000000u
#define BIG_SIZE  (2u << 20)
#define BIG_PAGES (BIG_SIZE >> 12)

static ULONG Frames[BIG_PAGES];

static ULONG Delta(const PV_MM_COUNTERS *Before, const PV_MM_COUNTERS *After, ULONG Resolution)
{
    return After->FaultsByResolution[Resolution] - Before->FaultsByResolution[Resolution];
}

int main(void)
{
    PVOID Base = (PVOID)BIG_BASE;
    SIZE_T Size = BIG_SIZE;
    MEMORY_BASIC_INFORMATION Info;
    PV_MM_COUNTERS Start, Before, After;
    volatile ULONG *Words = (volatile ULONG *)BIG_BASE;
    ULONG i, j, Charge, Resident = 0, NonZero = 0, Wrong = 0, Distinct = 1;

    msg("begin");
    PvQueryMmCounters(&Start, sizeof(Start));
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve 2 MiB at 0x%08X", BIG_BASE);
    NtQueryVirtualMemory(NtCurrentProcess(), Base, MemoryBasicInformation, &Info, sizeof(Info),
                         NULL);
    CHECK(Info.State == MEM_RESERVE && Info.RegionSize == BIG_SIZE && Info.Protect == 0,
          "the region is reserved, 0x%X bytes", (ULONG)Info.RegionSize);
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "commit all of it");
    NtQueryVirtualMemory(NtCurrentProcess(), Base, MemoryBasicInformation, &Info, sizeof(Info),
                         NULL);
    CHECK(Info.State == MEM_COMMIT && Info.RegionSize == BIG_SIZE &&
              Info.Protect == PAGE_READWRITE,
          "the region is committed read/write, 0x%X bytes", (ULONG)Info.RegionSize);
    PvQueryMmCounters(&Before, sizeof(Before));
    Charge = Before.ProcessCommitCharge - Start.ProcessCommitCharge;
    CHECK(Charge == BIG_PAGES, "the commit charge went up by %u pages", Charge);
    for (i = 0; i < BIG_PAGES; i++)
    {
        PvQueryPhysicalPage((PVOID)(BIG_BASE + i * 0x1000), &Frames[i]);
        Resident += Frames[i] != 0;
    }
    CHECK(Resident == 0, "no page has a frame yet (%u do)", Resident);

    PvQueryMmCounters(&Before, sizeof(Before));
    for (i = 0; i < BIG_SIZE / 4; i++)
        NonZero += Words[i] != 0;
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(NonZero == 0, "all %u words read zero", BIG_SIZE / 4);
    CHECK(Delta(&Before, &After, PV_FAULT_DEMAND_ZERO) == BIG_PAGES &&
              After.PageFaults - Before.PageFaults == BIG_PAGES,
          "reading took %u faults, %u of them demand zero: one per page",
          After.PageFaults - Before.PageFaults, Delta(&Before, &After, PV_FAULT_DEMAND_ZERO));

    PvQueryMmCounters(&Before, sizeof(Before));
    for (i = 0; i < BIG_SIZE / 4; i++)
        Words[i] = i * 2654435761u;
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(After.PageFaults == Before.PageFaults,
          "writing every word took %u faults", After.PageFaults - Before.PageFaults);
    for (i = 0; i < BIG_SIZE / 4; i++)
        Wrong += Words[i] != i * 2654435761u;
    CHECK(Wrong == 0, "every word holds what was written");

    for (i = 0; i < BIG_PAGES; i++)
    {
        PvQueryPhysicalPage((PVOID)(BIG_BASE + i * 0x1000), &Frames[i]);
        if (Frames[i] == 0)
            Distinct = 0;
        for (j = 0; j < i && Distinct; j++)
            if (Frames[j] == Frames[i])
                Distinct = 0;
    }
    CHECK(Distinct, "each page has a frame of its own");
    CHECK(After.ProcessPrivatePages - Start.ProcessPrivatePages == BIG_PAGES,
          "the process has %u more resident pages",
          After.ProcessPrivatePages - Start.ProcessPrivatePages);

    Size = 0;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE),
                 STATUS_SUCCESS, "release it");
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(After.ProcessCommitCharge == Start.ProcessCommitCharge &&
              After.ProcessPrivatePages == Start.ProcessPrivatePages,
          "its commitment and its pages are gone");
    PvQueryPhysicalPage((PVOID)BIG_BASE, &Frames[0]);
    CHECK(Frames[0] == 0, "its first page has no frame");
    msg("end");
    return 0;
}
