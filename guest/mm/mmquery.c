/*
 * mmquery.c - pagevisor's own memory-manager queries, for test images that must see what the
 * memory manager did (laziness, fault counts, commit charge):
 *   PvQueryMmCounters (0x1001)   the counters of ntmmapi.h's PV_MM_COUNTERS
 *   PvQueryPhysicalPage (0x1002) the frame behind a user address, 0 if not resident (the
 *                                catalog's query_pfn, cf. KAIST's get_phys_addr)
 * (PvSetWorkingSetLimits, 0x1003, is in mm/wsmanagr.c.)
 */
#include "mm.h"
#include "ps.h"
#include "rtl.h"

/*
 * NTSTATUS PvQueryMmCounters(PPV_MM_COUNTERS Counters, ULONG Length) - service 0x1001.
 * Length must be sizeof(PV_MM_COUNTERS), or PV_MM_COUNTERS_V1_SIZE for an image built before
 * the page-wait counters, PV_MM_COUNTERS_V2_SIZE for one built before the clustered page-in
 * counters (each gets the fields it knows), else STATUS_INFO_LENGTH_MISMATCH; a bad
 * pointer is STATUS_ACCESS_VIOLATION.
 */
NTSTATUS PvQueryMmCounters(PPV_MM_COUNTERS Counters, ULONG Length)
{
    PMMPROCESS_VM Vm = MiGetCurrentProcessVm();
    PMMSUPPORT Ws = MiGetCurrentWorkingSet();
    PV_MM_COUNTERS Snapshot;
    ULONG i;

    if (Length != sizeof(Snapshot) && Length != PV_MM_COUNTERS_V1_SIZE &&
        Length != PV_MM_COUNTERS_V2_SIZE && Length != PV_MM_COUNTERS_V3_SIZE)
        return STATUS_INFO_LENGTH_MISMATCH;
    memset(&Snapshot, 0, sizeof(Snapshot));
    Snapshot.PageFaults = MmFaultCount;
    for (i = 0; i < PV_MM_FAULT_RESOLUTIONS; i++)
        Snapshot.FaultsByResolution[i] = MmFaultsByResolution[i];
    Snapshot.FileReadFaults = MmFaultsByResolution[PV_FAULT_FILE_READ];
    Snapshot.PageTablesCreated = MmPageTablesCreated;
    Snapshot.ProcessPageFaults = Vm->PageFaultCount;
    Snapshot.ProcessCommitCharge = Vm->CommitCharge;
    Snapshot.ProcessCommitPeak = Vm->CommitChargePeak;
    Snapshot.ProcessPrivatePages = Vm->PrivatePages;
    Snapshot.TotalCommittedPages = MmTotalCommittedPages;
    Snapshot.CommitLimit = MmTotalCommitLimit;
    Snapshot.AvailablePages = MmAvailablePages;
    Snapshot.PagefileSlots = MmPagefileSlots;
    if (Ws->VmWorkingSetList != NULL)
        Snapshot.WorkingSetSize = Ws->VmWorkingSetList->Count;
    Snapshot.WorkingSetPeak = Ws->PeakWorkingSetSize;
    Snapshot.WorkingSetMinimum = Ws->MinimumWorkingSetSize;
    Snapshot.WorkingSetMaximum = Ws->MaximumWorkingSetSize;
    Snapshot.WorkingSetReplaced = Ws->PagesReplaced;
    Snapshot.WorkingSetTrimmed = Ws->PagesTrimmed;
    Snapshot.ZeroedPages = MmZeroedPageListHead.Total;
    Snapshot.FreePages = MmFreePageListHead.Total;
    Snapshot.StandbyPages = MmStandbyPageListHead.Total;
    Snapshot.ModifiedPages = MmModifiedPageListHead.Total;
    Snapshot.ModifiedNoWritePages = MmModifiedNoWritePageListHead.Total;
    Snapshot.BadPages = MmBadPageListHead.Total;
    Snapshot.PageReadIoCount = MmInfoCounters.PageReadIoCount;
    Snapshot.PagesRead = MmInfoCounters.PagesRead;
    Snapshot.ClusterPagesRead = MmInfoCounters.ClusterPagesRead;
    Snapshot.ImagePagesRead = MmInfoCounters.ImagePagesRead;
    Snapshot.DirtyWriteIoCount = MmInfoCounters.DirtyWriteIoCount;
    Snapshot.DirtyPagesWritten = MmInfoCounters.DirtyPagesWritten;
    Snapshot.WriteFailures = MmInfoCounters.WriteFailures;
    Snapshot.InPageErrors = MmInfoCounters.InPageErrors;
    Snapshot.StandbyReused = MmInfoCounters.StandbyReused;
    Snapshot.PagesZeroed = MmInfoCounters.PagesZeroed;
    Snapshot.PagefileSlotsInUse = MmPagingFile.InUse;
    Snapshot.PagefileBadSlots = MmPagingFile.BadSlots;
    Snapshot.PageTablesOut = MmInfoCounters.PageTablesOut;
    Snapshot.PageTablesIn = MmInfoCounters.PageTablesIn;
    Snapshot.PageWaits = MmInfoCounters.PageWaits;
    Snapshot.PagefileFullWrites = MmInfoCounters.PagefileFullWrites;
    Snapshot.ImageReadIoCount = MmInfoCounters.ImageReadIoCount;
    Snapshot.PrototypeReadIoCount = MmInfoCounters.PrototypeReadIoCount;
    Snapshot.PrototypePagesRead = MmInfoCounters.PrototypePagesRead;
    Snapshot.FilePagesRead = MmInfoCounters.FilePagesRead;
    Snapshot.MappedWriteCount = MmInfoCounters.MappedWriteCount;
    Snapshot.PagesRelocated = MmPagesRelocated;
    Snapshot.LargePages = MmLargePagesAllocated;
    Snapshot.AwePages = MmAwePagesAllocated;
    Snapshot.ProcessLockedPages = PsGetCurrentProcess()->LargePages * (MI_LARGE_PAGE_SIZE / PAGE_SIZE) +
                                  PsGetCurrentProcess()->AwePages;
    Snapshot.MappedPagesWritten = MmInfoCounters.MappedPagesWritten;
    Snapshot.FileReadIoCount = MmInfoCounters.FileReadIoCount;
    return MmCopyToUser(Counters, &Snapshot, Length);
}

/*
 * NTSTATUS PvQueryPhysicalPage(PVOID VirtualAddress, PULONG PageFrameNumber) - service
 * 0x1002. *PageFrameNumber receives the frame mapped at the user address VirtualAddress, or 0
 * when no valid PTE maps it (never touched, decommitted, guard or no-access). It touches
 * nothing, so it never faults the page in. A system address is STATUS_INVALID_PARAMETER_1.
 */
NTSTATUS PvQueryPhysicalPage(PVOID VirtualAddress, PULONG PageFrameNumber)
{
    ULONG Va = (ULONG)(ULONG_PTR)VirtualAddress, Pfn = 0;
    MMPTE TempPte;

    if (Va >= MmUserProbeAddress)
        return STATUS_INVALID_PARAMETER_1;
    /* A page table that left memory maps nothing valid: no need to bring it back. */
    TempPte.u.Long = 0;
    if (MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid)
    {
        MMPTE TempPde = MI_READ_PTE(MiAddressToPde(Va));

        if (TempPde.u.Hard.LargePage)          /* no PTE: the PDE maps 1024 frames */
            Pfn = TempPde.u.Hard.PageFrameNumber + ((Va >> PAGE_SHIFT) & (PTE_PER_PAGE - 1));
        else
            TempPte.u.Long = MI_READ_PTE(MiAddressToPte(Va)).u.Long;
    }
    if (TempPte.u.Hard.Valid)
        Pfn = TempPte.u.Hard.PageFrameNumber;
    return MmCopyToUser(PageFrameNumber, &Pfn, sizeof(Pfn));
}

/*
 * NTSTATUS PvGetLargePageMinimum(PSIZE_T Minimum) - system service 0x1008 (what
 * GetLargePageMinimum answers): 4 MiB, the size of a large page with CR4.PSE on and PAE off;
 * a MEM_LARGE_PAGES size and address must be multiples of it.
 */
NTSTATUS PvGetLargePageMinimum(PSIZE_T Minimum)
{
    SIZE_T Size = MI_LARGE_PAGE_SIZE;

    return MmCopyToUser(Minimum, &Size, sizeof(Size));
}
