/*
 * dz-sparse - sparse touches over a 256 MiB reservation (the catalog's dz-sparse, after xv6's
 * "lazy alloc" / "lazy unmap" tests). 256 MiB at 0x10000000 is reserved, far more than the
 * commit limit allows at once in 16 MiB of RAM, so it is committed in pieces: one page every
 * 64 pages (every 256 KiB), 1024 pages in all, each written with its own address. Committing
 * makes the 64 page tables the range needs (one per 4 MiB, through the self-map) and no data
 * page; the writes take exactly 1024 demand-zero faults; every address reads back. Releasing
 * the reservation frees it all: it is free memory again, and a write to an address that
 * was in it ends the process with an access violation.
 * Expected: begin, the lines below, "test lazy alloc: OK", "test lazy unmap: OK", then the
 * process is killed: "dz-sparse: exit(0xC0000005) STATUS_ACCESS_VIOLATION writing 0x10000000".
 */
#include <ntapi.h>

#define SPARSE_BASE   0x10000000u
#define SPARSE_SIZE   (256u << 20)
#define SPARSE_STRIDE (64u * 0x1000u)
#define SPARSE_PAGES  (SPARSE_SIZE / SPARSE_STRIDE)

int main(void)
{
    PVOID Base = (PVOID)SPARSE_BASE, Page;
    SIZE_T Size = SPARSE_SIZE;
    MEMORY_BASIC_INFORMATION Info;
    PV_MM_COUNTERS Before, After;
    ULONG i, Frame, Failed = 0, Wrong = 0, Resident = 0;
    NTSTATUS Status = STATUS_SUCCESS;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve 256 MiB at 0x%08X", SPARSE_BASE);

    PvQueryMmCounters(&Before, sizeof(Before));
    for (i = 0; i < SPARSE_PAGES; i++)
    {
        Page = (PVOID)(SPARSE_BASE + i * SPARSE_STRIDE);
        Size = 0x1000;
        Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Page, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE);
        if (!NT_SUCCESS(Status))
        {
            Failed++;
            break;
        }
    }
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(Failed == 0, "commit one page every 64 pages: %u pages", i);
    CHECK(After.PageTablesCreated - Before.PageTablesCreated == 64 &&
              After.FaultsByResolution[PV_FAULT_PAGE_TABLE] -
                      Before.FaultsByResolution[PV_FAULT_PAGE_TABLE] == 64,
          "committing made %u page tables, each a page-table fault",
          After.PageTablesCreated - Before.PageTablesCreated);
    CHECK(After.FaultsByResolution[PV_FAULT_DEMAND_ZERO] ==
              Before.FaultsByResolution[PV_FAULT_DEMAND_ZERO] &&
              After.ProcessCommitCharge - Before.ProcessCommitCharge == SPARSE_PAGES,
          "and no data page: %u pages charged, none resident",
          After.ProcessCommitCharge - Before.ProcessCommitCharge);

    PvQueryMmCounters(&Before, sizeof(Before));
    for (i = 0; i < SPARSE_PAGES; i++)
        *(volatile ULONG *)(SPARSE_BASE + i * SPARSE_STRIDE) = SPARSE_BASE + i * SPARSE_STRIDE;
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(After.PageFaults - Before.PageFaults == SPARSE_PAGES &&
              After.FaultsByResolution[PV_FAULT_DEMAND_ZERO] -
                      Before.FaultsByResolution[PV_FAULT_DEMAND_ZERO] == SPARSE_PAGES,
          "writing each page its address took %u demand-zero faults",
          After.FaultsByResolution[PV_FAULT_DEMAND_ZERO] -
              Before.FaultsByResolution[PV_FAULT_DEMAND_ZERO]);
    for (i = 0; i < SPARSE_PAGES; i++)
        Wrong += *(volatile ULONG *)(SPARSE_BASE + i * SPARSE_STRIDE) !=
                 SPARSE_BASE + i * SPARSE_STRIDE;
    NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)(SPARSE_BASE + 0x1000),
                         MemoryBasicInformation, &Info, sizeof(Info), NULL);
    CHECK(Wrong == 0 && Info.State == MEM_RESERVE && Info.RegionSize == SPARSE_STRIDE - 0x1000,
          "test lazy alloc: OK");

    Base = (PVOID)SPARSE_BASE;
    Size = 0;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE),
                 STATUS_SUCCESS, "release the reservation");
    for (i = 0; i < SPARSE_PAGES; i++)
    {
        PvQueryPhysicalPage((PVOID)(SPARSE_BASE + i * SPARSE_STRIDE), &Frame);
        Resident += Frame != 0;
    }
    NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)SPARSE_BASE, MemoryBasicInformation, &Info,
                         sizeof(Info), NULL);
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(Resident == 0 && Info.State == MEM_FREE && Info.RegionSize >= SPARSE_SIZE &&
              After.ProcessCommitCharge == Before.ProcessCommitCharge - SPARSE_PAGES,
          "test lazy unmap: OK");
    msg("writing to 0x%08X, which was released", SPARSE_BASE);
    *(volatile ULONG *)SPARSE_BASE = 1;
    fail("the write to released memory succeeded");
}
