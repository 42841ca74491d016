/*
 * mmquery.c - pagevisor's own memory-manager queries, for test images that must see what the
 * memory manager did (laziness, fault counts, commit charge):
 *   PvQueryMmCounters (0x1001)   the counters of ntmmapi.h's PV_MM_COUNTERS
 *   PvQueryPhysicalPage (0x1002) the frame behind a user address, 0 if not resident (the
 *                                catalog's query_pfn, cf. KAIST's get_phys_addr)
 */
#include "mm.h"
#include "ps.h"
#include "rtl.h"

/*
 * NTSTATUS PvQueryMmCounters(PPV_MM_COUNTERS Counters, ULONG Length) - service 0x1001.
 * Length must be sizeof(PV_MM_COUNTERS) (else STATUS_INFO_LENGTH_MISMATCH); a bad pointer is
 * STATUS_ACCESS_VIOLATION.
 */
NTSTATUS PvQueryMmCounters(PPV_MM_COUNTERS Counters, ULONG Length)
{
    PMMPROCESS_VM Vm = MiGetCurrentProcessVm();
    PV_MM_COUNTERS Snapshot;
    ULONG i;

    if (Length != sizeof(Snapshot))
        return STATUS_INFO_LENGTH_MISMATCH;
    memset(&Snapshot, 0, sizeof(Snapshot));
    Snapshot.PageFaults = MmFaultCount;
    for (i = 0; i < PV_FAULT_RESOLUTION_MAX; i++)
        Snapshot.FaultsByResolution[i] = MmFaultsByResolution[i];
    Snapshot.PageTablesCreated = MmPageTablesCreated;
    Snapshot.ProcessPageFaults = Vm->PageFaultCount;
    Snapshot.ProcessCommitCharge = Vm->CommitCharge;
    Snapshot.ProcessCommitPeak = Vm->CommitChargePeak;
    Snapshot.ProcessPrivatePages = Vm->PrivatePages;
    Snapshot.TotalCommittedPages = MmTotalCommittedPages;
    Snapshot.CommitLimit = MmTotalCommitLimit;
    Snapshot.AvailablePages = MmAvailablePages;
    Snapshot.PagefileSlots = MmPagefileSlots;
    return MmCopyToUser(Counters, &Snapshot, sizeof(Snapshot));
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
    BOOLEAN TableExists;
    MMPTE TempPte;

    if (Va >= MM_USER_PROBE_ADDRESS)
        return STATUS_INVALID_PARAMETER_1;
    TempPte.u.Long = MiReadUserPte(Va, &TableExists);
    if (TempPte.u.Hard.Valid)
        Pfn = TempPte.u.Hard.PageFrameNumber;
    return MmCopyToUser(PageFrameNumber, &Pfn, sizeof(Pfn));
}
