/*
 * pagfault.c - MmAccessFault, called by KiTrap0E for every page fault. It decides from the
 * PDE, the PTE (read through the self-map) and the process's VADs, as NT does:
 *
 *   raised IRQL (DISPATCH_LEVEL or above): nothing can be resolved there. A translation that
 *     is valid after all is a stale TB entry (retried), a write to a read-only page is bug
 *     check 0xBE, anything else 0x0A IRQL_NOT_LESS_OR_EQUAL (VA, IRQL, 1 write | 8 execute,
 *     EIP).
 *   system space: from user mode an access violation. A kernel touch of a user page table
 *     through the self-map (0xC0000000-0xC01FFFFF) whose PDE is not valid makes it resident:
 *     a new one demand-zeroed (PV_FAULT_PAGE_TABLE: how the virtual-memory services make page
 *     tables, see mm/userpte.c), or one that left memory taken back from its list
 *     (PV_FAULT_TRANSITION) or read from the pagefile (PV_FAULT_PAGEFILE_READ). Otherwise
 *     every system page table exists from boot, so an invalid PDE or PTE is bug check 0x50
 *     PAGE_FAULT_IN_NONPAGED_AREA (VA, 0 read / 1 write, EIP, 0) and a write to a read-only
 *     page 0xBE ATTEMPTED_WRITE_TO_READONLY_MEMORY (VA, PTE, trap frame, 0).
 *   user space, either mode (the kernel touches user memory for system calls):
 *     first, pages: if free pages run low, modified pages are written and working sets
 *       trimmed (mm/wsmanagr.c; not for a soft fault, which needs no new page); then a
 *       page table that left memory comes back, and is held (an extra reference) until the
 *       fault is resolved;
 *     valid PTE: a write to a read-only page is a copy on write if the PTE's CopyOnWrite bit
 *       is set (a shared page: mm/wrtfault.c), else an access violation; else a stale TB entry;
 *     no VAD, reserved-but-uncommitted (zero PTE without MemCommit, or 0x200 decommitted):
 *       access violation;
 *     PAGE_GUARD: the guard bit goes, once. In the stack's VAD the stack grows
 *       (MiCheckForUserStackOverflow: the next lower page becomes the guard page, up to the
 *       last page of the reservation: then STATUS_STACK_OVERFLOW); elsewhere
 *       STATUS_GUARD_PAGE_VIOLATION;
 *     protection not allowing the access (PAGE_NOACCESS, write to read-only): access
 *       violation;
 *     a fork prototype PTE (a page shared with a clone) or a view's page not mapped yet: the
 *       prototype PTE resolved (mm/forksup.c, mm/section.c), then a copy for a write to a
 *       copy-on-write page (PV_FAULT_COPY_ON_WRITE);
 *     then by the PTE (mm/pagein.c): transition, the page taken back from the Standby or
 *       Modified list (a soft fault, no I/O); pagefile, the page (and its neighbours) read
 *       back; image PTE, the page read from the image file; demand zero (protection << 5, or
 *       a zero PTE in a MemCommit VAD), a zeroed page. The page joins the working set (the
 *       oldest page leaving first if the process is at its maximum).
 *   A missing user page table on that path is made first (directly: the fault path does not
 *   fault on itself). Resolution reported for the trace: the data page's, as NT dispatches the
 *   page-table fault inside the data fault; PV_FAULT_PAGE_TABLE only when the page table was
 *   all that was done (the self-map touch above).
 *
 * What the caller sees: a success status (the instruction is retried), or a failure that
 * KiTrap0E turns into the end of the process (ring 3) or into the failure of a fault-safe user
 * copy (ring 0, the system call returns the status). A read the host failed is
 * STATUS_IN_PAGE_ERROR (the process ends with it; other kernel accesses bug-check 0x7A). What
 * a user-mode guard-page violation does: there is no user exception dispatch yet, so the
 * process ends with STATUS_GUARD_PAGE_VIOLATION (0x80000001), guard bit cleared; a system call
 * touching a guard page fails with that status once and succeeds when called again (MSDN: "If
 * a guard page exception occurs during a system service, the service fails").
 *
 * Every fault, resolved or fatal, becomes one record in the trace ring (mm/faulttrace.c): a
 * bug check writes its record before stopping, a fatal user fault before KiTrap0E ends the
 * process. Faults resolved without I/O cost no VM exit; a pagefile or image read costs the one
 * exit of its hypercall.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"

/* Guards against retrying a "spurious" fault forever. */
static ULONG MiLastSpuriousAddress, MiLastSpuriousEip, MiSpuriousRepeats;

static NTSTATUS MiSpuriousFault(PMI_FAULT_INFO Fault)
{
    ULONG Va = Fault->Va, Eip = Fault->TrapFrame->Eip;

    if (Va == MiLastSpuriousAddress && Eip == MiLastSpuriousEip)
    {
        if (++MiSpuriousRepeats >= 4)
        {
            MiSpuriousRepeats = 0;
            return STATUS_ACCESS_VIOLATION;
        }
    }
    else
    {
        MiLastSpuriousAddress = Va;
        MiLastSpuriousEip = Eip;
        MiSpuriousRepeats = 0;
    }
    __invlpg((PVOID)(ULONG_PTR)Va);
    Fault->Resolution = PV_FAULT_SPURIOUS;
    return STATUS_SUCCESS;
}

/* The record first, then the stop: the bug-check hypercall is an exit, at which the host
 * drains the ring. */
static DECLSPEC_NORETURN VOID MiBugCheckFault(PMI_FAULT_INFO Fault, ULONG Code, ULONG_PTR P1,
                                              ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    MiEndFaultRecord(Fault, PV_FAULT_BUGCHECK, (NTSTATUS)Code);
    KeBugCheckWithTf(Code, P1, P2, P3, P4, Fault->TrapFrame);
}

static BOOLEAN MiIsFetch(PMI_FAULT_INFO Fault)
{
    return MI_IS_INSTRUCTION_FETCH(Fault->FaultCode) || Fault->Va == Fault->TrapFrame->Eip;
}

/* ------------------------------------------------------------------------------ resolvers */

/* Pages a fault on Va may take: a page table (if its PDE is not valid), a page for the
 * working-set list, and by the PTE: the page (and the neighbours a pagefile read may bring in).
 * A soft fault (transition PTE under a valid PDE) takes none: 0, nothing is trimmed for it
 * (its working-set entry, if the list is full, replaces the process's oldest). Read without
 * faulting: an unknown PTE counts as a pagefile read. *Required: the pages it cannot do
 * without (the cluster's neighbours are read only if pages are there for them). */
static ULONG MiFaultPagesNeeded(ULONG Va, PULONG Required)
{
    MMPTE TempPde = MI_READ_PTE(MiAddressToPde(Va)), TempPte;

    if (!TempPde.u.Hard.Valid)
    {
        *Required = 2;
        return 2 + MmReadClusterSize;
    }
    TempPte = MI_READ_PTE(MiAddressToPte(Va));
    switch (mi_pte_kind(TempPte.u.Long))
    {
    case MI_PTE_TRANSITION:
        *Required = 0;
        return 0;
    case MI_PTE_VALID:
        *Required = 1;
        return 1;
    case MI_PTE_PAGEFILE:
        *Required = 1;
        return 1 + MmReadClusterSize;
    default:
        *Required = 2;
        return 2;
    }
}

/*
 * The guard page of the stack was touched (its guard bit is gone already): make the page
 * below the new guard page, unless that would be the last page of the reservation, which
 * stays reserved so that the stack can never run into what lies below it. Then the process
 * has overflowed its stack.
 */
static NTSTATUS MiCheckForUserStackOverflow(PMMPROCESS_VM Vm, PMMVAD Vad, ULONG Va)
{
    ULONG NextGuard = ALIGN_DOWN_BY(Va, PAGE_SIZE) - PAGE_SIZE;
    ULONG Protection;

    if (NextGuard < MI_VPN_TO_VA(Vad->StartingVpn) + PAGE_SIZE)
        return STATUS_STACK_OVERFLOW;
    if (MiQueryPageProtection(Vad, NextGuard, &Protection))
        return STATUS_PAGE_FAULT_GUARD_PAGE;   /* committed already */
    if (!NT_SUCCESS(MiMakePdeExistAndMakeValid(NextGuard)) ||
        !NT_SUCCESS(MiCommitPages(Vm, Vad, NextGuard, NextGuard + PAGE_SIZE - 1,
                                  MM_READWRITE | MM_GUARD_PAGE)))
        return STATUS_STACK_OVERFLOW;          /* no page table, or past the commit limit */
    return STATUS_PAGE_FAULT_GUARD_PAGE;
}

/* ------------------------------------------------------------------------- the fault kinds */

/* The page table of Va exists (created now if it did not): it is held (an extra reference)
 * while the fault is resolved, so that nothing trims it meanwhile. */
static NTSTATUS MiHoldPageTable(ULONG Va, PMMPFN *TablePfn)
{
    NTSTATUS Status;

    if (*TablePfn != NULL)
        return STATUS_SUCCESS;
    Status = MiMakeUserPageTableValid(Va);
    if (!NT_SUCCESS(Status))
        return Status;
    *TablePfn = MI_PFN_ELEMENT(MI_READ_PTE(MiAddressToPde(Va)).u.Hard.PageFrameNumber);
    (*TablePfn)->u3.ReferenceCount++;
    return STATUS_SUCCESS;
}

/* A user-space fault once the page table (if there is one) is resident and held. */
static NTSTATUS MiDispatchUserFault(PMI_FAULT_INFO Fault, PMMVAD Vad, PMMPFN *TablePfn)
{
    ULONG Va = Fault->Va;
    BOOLEAN Write = MI_IS_WRITE_ACCESS(Fault->FaultCode);
    PMMPTE PointerPte = MiAddressToPte(Va);
    PMMPROCESS_VM Vm = MiGetCurrentProcessVm();
    ULONG Protection;
    MMPTE TempPte;
    NTSTATUS Status;

    TempPte.u.Long = *TablePfn != NULL ? MI_READ_PTE(PointerPte).u.Long : 0;
    if (TempPte.u.Hard.Valid)
    {
        if (Fault->Mode == UserMode && !TempPte.u.Hard.Owner)
            return STATUS_ACCESS_VIOLATION;
        if (Write && !TempPte.u.Hard.Write)
        {
            /* Read-only: a shared page the process may write to gets copied (wrtfault.c). */
            if (!(TempPte.u.Long & PTE_COPY_ON_WRITE))
                return STATUS_ACCESS_VIOLATION;
            Status = MiCopyOnWrite(PointerPte, TempPte, Va,
                                   MiMakeWriteCopyWritable(MiGetResidentProtection(Va)));
            if (NT_SUCCESS(Status))
                Fault->Resolution = PV_FAULT_COPY_ON_WRITE;
            return Status;
        }
        return MiSpuriousFault(Fault);
    }
    if (Vad == NULL || !MiQueryPageProtection(Vad, Va, &Protection))
        return STATUS_ACCESS_VIOLATION;   /* free, reserved or decommitted */
    if (TempPte.u.Soft.Prototype && !MI_IS_PROTO_LOOKUP_PTE(TempPte.u.Long) &&
        !MI_IS_FORK_PROTO_PTE(TempPte.u.Long))
        MiBugCheckFault(Fault, MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, Va, TempPte.u.Long,
                        (ULONG_PTR)PointerPte);

    if ((Protection & MM_PROTECT_SPECIAL) == MM_GUARD_PAGE)
    {
        Status = MiHoldPageTable(Va, TablePfn);
        if (!NT_SUCCESS(Status))
            return Status;
        Protection &= ~MM_GUARD_PAGE;
        if (MiIsResidentUserPte(PointerPte, TempPte))
            MiSetResidentProtection(Va, Protection);
        else if (TempPte.u.Long == 0)
            MI_WRITE_PTE(PointerPte, (MMPTE){ { MI_MAKE_DEMAND_ZERO_PTE(Protection) } });
        else
            MI_WRITE_PTE(PointerPte,
                         (MMPTE){ { MI_PTE_WITH_PROTECTION(TempPte.u.Long, Protection) } });
        if (Vad == Vm->StackVad)
        {
            Status = MiCheckForUserStackOverflow(Vm, Vad, Va);
            if (NT_SUCCESS(Status))
                Fault->Resolution = PV_FAULT_STACK_GROWTH;
            return Status;
        }
        Fault->Resolution = PV_FAULT_GUARD_PAGE;
        return STATUS_GUARD_PAGE_VIOLATION;
    }
    if (!MiIsAccessAllowed(Protection, Write))
        return STATUS_ACCESS_VIOLATION;

    Status = MiHoldPageTable(Va, TablePfn);
    if (!NT_SUCCESS(Status))
        return Status;
    if (MI_IS_FORK_PROTO_PTE(TempPte.u.Long) ||
        (MI_IS_VIEW_VAD(Vad) &&
         (TempPte.u.Long == 0 || MI_IS_PROTO_LOOKUP_PTE(TempPte.u.Long))))
    {
        /* A page shared with a clone (mm/forksup.c), or a view's page not mapped yet
         * (mm/section.c); a write to either may be a copy on write. A view's private copies
         * are private pages: the cases below. */
        Status = MI_IS_FORK_PROTO_PTE(TempPte.u.Long)
                     ? MiResolveForkPteFault(PointerPte, TempPte, Va, Protection, Write)
                     : MiResolveProtoPteFault(PointerPte, Vad, Va, Protection, Write);
        if (NT_SUCCESS(Status))
            Fault->Resolution = Status == STATUS_PAGE_FAULT_COPY_ON_WRITE
                                    ? PV_FAULT_COPY_ON_WRITE
                                : Status != STATUS_PAGE_FAULT_PAGING_FILE
                                    ? PV_FAULT_PROTOTYPE
                                : MI_IS_IMAGE_VIEW_VAD(Vad)
                                    ? PV_FAULT_IMAGE_READ
                                : MiIsFileView(Vad) ? PV_FAULT_FILE_READ : PV_FAULT_PROTOTYPE;
        return Status;
    }
    switch (mi_pte_kind(TempPte.u.Long))
    {
    case MI_PTE_TRANSITION:
        Status = MiResolveTransitionFault(PointerPte, TempPte, Write, FALSE);
        if (NT_SUCCESS(Status))
            Fault->Resolution = PV_FAULT_TRANSITION;
        return Status;
    case MI_PTE_PAGEFILE:
        Status = MiResolvePageFileFault(PointerPte, TempPte, Write, FALSE);
        if (NT_SUCCESS(Status))
            Fault->Resolution = PV_FAULT_PAGEFILE_READ;
        return Status;
    default:
        Status = MiResolveDemandZeroFault(PointerPte, Protection, Write);
        if (NT_SUCCESS(Status))
            Fault->Resolution = PV_FAULT_DEMAND_ZERO;
        return Status;
    }
}

static NTSTATUS MiUserFault(PMI_FAULT_INFO Fault)
{
    ULONG Va = Fault->Va, Kind, Needed, Required;
    PMMPTE PointerPde = MiAddressToPde(Va);
    PMMPROCESS_VM Vm = MiGetCurrentProcessVm();
    PMMPFN TablePfn = NULL;
    MMPTE TempPde;
    PMMVAD Vad;
    NTSTATUS Status;

    if (!MI_IS_USER_VA(Va))
        return STATUS_ACCESS_VIOLATION;   /* the low 64 KiB and the guard area below system space */
    Vad = MiLocateVad(&Vm->VadRoot, MI_VA_TO_VPN(Va));
    Fault->Vad = Vad;

    /* Pages first (writing and trimming may change other PTEs, not this one's page table
     * once it is held); what protects the pages this instruction needs: mm/wsmanagr.c. With
     * none to be had the fault waits for one (other processes may trim or free meanwhile, so
     * what it needs is counted again), unless the wait ends with a status: the process is
     * ending, or no page will ever come (STATUS_COMMITMENT_LIMIT). */
    while ((Needed = MiFaultPagesNeeded(Va, &Required)) != 0 &&
           !MiEnsureAvailablePages(Needed) && MmAvailablePages < Required)
    {
        Status = MiWaitForAvailablePages(Required);
        if (!NT_SUCCESS(Status))
            return Status;
    }

    TempPde = MI_READ_PTE(PointerPde);
    if (!TempPde.u.Hard.Valid && TempPde.u.Long != 0)
    {
        /* The page table left memory: bring it back first (a soft fault or a read). */
        if (Vad == NULL)
            return STATUS_ACCESS_VIOLATION;
        Status = MiResolvePageTableFault(PointerPde, &Kind);
        if (!NT_SUCCESS(Status))
            return Status;
        TempPde = MI_READ_PTE(PointerPde);
    }
    if (TempPde.u.Hard.Valid)
    {
        TablePfn = MI_PFN_ELEMENT(TempPde.u.Hard.PageFrameNumber);
        TablePfn->u3.ReferenceCount++;
    }
    Status = MiDispatchUserFault(Fault, Vad, &TablePfn);
    if (TablePfn != NULL)
        TablePfn->u3.ReferenceCount--;
    return Status;
}

/* The kernel touched the PTE of a user address whose page table is not resident: a new one
 * (demand zero) or one that left memory (transition or pagefile PDE). */
static NTSTATUS MiPageTableFault(PMI_FAULT_INFO Fault)
{
    ULONG UserVa = MI_PTE_VA_TO_ADDRESS(Fault->Va), Kind;
    PMMPTE PointerPde = MiAddressToPde(UserVa);
    MMPTE TempPde = MI_READ_PTE(PointerPde);
    NTSTATUS Status;

    if (TempPde.u.Hard.Valid)
        return MiSpuriousFault(Fault);
    (void)MiEnsureAvailablePages(2);
    if (TempPde.u.Long == 0)
    {
        if (!NT_SUCCESS(MiMakeUserPageTableValid(UserVa)))
            MiBugCheckFault(Fault, MEMORY_MANAGEMENT, MI_BUGCHECK_OUT_OF_PAGES,
                            MmAvailablePages, Fault->Va, 0);
        Fault->Resolution = PV_FAULT_PAGE_TABLE;
        return STATUS_PAGE_FAULT_DEMAND_ZERO;
    }
    Status = MiResolvePageTableFault(PointerPde, &Kind);
    if (NT_SUCCESS(Status))
        Fault->Resolution = Kind;
    return Status;
}

static NTSTATUS MiSystemFault(PMI_FAULT_INFO Fault)
{
    ULONG Va = Fault->Va;
    BOOLEAN Write = MI_IS_WRITE_ACCESS(Fault->FaultCode);
    MMPTE TempPde = MI_READ_PTE(MiAddressToPde(Va)), TempPte;

    if (Fault->Mode == UserMode)
        return STATUS_ACCESS_VIOLATION;
    if (MI_IS_USER_PAGE_TABLE_ADDRESS(Va))
        return MiPageTableFault(Fault);

    /* Every system page table exists from boot on, so an invalid PDE or PTE here is a
     * reference to memory that was never allocated (or was freed). */
    if (!TempPde.u.Hard.Valid)
        MiBugCheckFault(Fault, PAGE_FAULT_IN_NONPAGED_AREA, Va, Write, Fault->TrapFrame->Eip, 0);
    TempPte = TempPde.u.Hard.LargePage ? TempPde : MI_READ_PTE(MiAddressToPte(Va));
    if (!TempPte.u.Hard.Valid)
        MiBugCheckFault(Fault, PAGE_FAULT_IN_NONPAGED_AREA, Va, Write, Fault->TrapFrame->Eip, 0);
    if (Write && !TempPte.u.Hard.Write)
        MiBugCheckFault(Fault, ATTEMPTED_WRITE_TO_READONLY_MEMORY, Va, TempPte.u.Long,
                        (ULONG_PTR)Fault->TrapFrame, 0);
    return MiSpuriousFault(Fault);
}

/* At DISPATCH_LEVEL or above the fault path cannot run: only a stale TB entry is fine. */
static NTSTATUS MiRaisedIrqlFault(PMI_FAULT_INFO Fault, KIRQL Irql)
{
    ULONG Va = Fault->Va;
    BOOLEAN Write = MI_IS_WRITE_ACCESS(Fault->FaultCode);
    MMPTE TempPde = MI_READ_PTE(MiAddressToPde(Va)), TempPte;

    if (TempPde.u.Hard.Valid)
    {
        TempPte = TempPde.u.Hard.LargePage ? TempPde : MI_READ_PTE(MiAddressToPte(Va));
        if (TempPte.u.Hard.Valid && !(Fault->Mode == UserMode && !TempPte.u.Hard.Owner))
        {
            if (Write && !TempPte.u.Hard.Write)
                MiBugCheckFault(Fault, ATTEMPTED_WRITE_TO_READONLY_MEMORY, Va, TempPte.u.Long,
                                (ULONG_PTR)Fault->TrapFrame, 0);
            return MiSpuriousFault(Fault);
        }
    }
    MiBugCheckFault(Fault, IRQL_NOT_LESS_OR_EQUAL, Va, Irql,
                    (Write ? 1 : 0) | (MiIsFetch(Fault) ? 8 : 0), Fault->TrapFrame->Eip);
}

NTSTATUS MmAccessFault(ULONG FaultCode, PVOID Address, KPROCESSOR_MODE Mode,
                       PKTRAP_FRAME TrapFrame)
{
    ULONG Va = (ULONG)(ULONG_PTR)Address;
    KIRQL Irql = KeGetCurrentIrql();
    MI_FAULT_INFO Fault;
    NTSTATUS Status;

    MiBeginFaultRecord(&Fault, FaultCode, Va, Mode, TrapFrame);
    if (Irql >= DISPATCH_LEVEL)
        Status = MiRaisedIrqlFault(&Fault, Irql);
    else if (MI_IS_SYSTEM_VA(Va))
        Status = MiSystemFault(&Fault);
    else
        Status = MiUserFault(&Fault);

    if (Fault.Resolution == 0)
        Fault.Resolution = NT_SUCCESS(Status) ? PV_FAULT_SPURIOUS :
                           Status == STATUS_IN_PAGE_ERROR ? PV_FAULT_IN_PAGE_ERROR :
                           PV_FAULT_ACCESS_VIOLATION;
    MiEndFaultRecord(&Fault, Fault.Resolution, NT_SUCCESS(Status) ? STATUS_SUCCESS : Status);
    return Status;
}
