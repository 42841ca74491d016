/*
 * forksup.c - process duplication, the address-space half of NT's fork (NtCreateProcess with no
 * section clones the parent, as the POSIX subsystem used it): MmCloneProcessAddressSpace, and
 * the fault on and the deletion of the pages a process shares with its clone.
 *
 * Design: NT's fork prototype PTEs, with one simplification (mm/clonblk.c says why it is
 * sound). Every private page that has contents (valid, in transition on a list, or in the
 * pagefile) becomes the prototype page of a clone block: the block's ProtoPte holds what the
 * private PTE held, its CloneRefCount counts the process PTEs that refer to it (2 after a
 * clone). The parent's valid PTE keeps mapping the page, read-only with the CopyOnWrite bit
 * when the page is writable; the parent's other PTEs and all of the child's become fork
 * prototype PTEs (index of the block | Prototype | protection << 5). So a shared page keeps
 * one PFN, whose share count counts the valid PTEs mapping it, and it can still be trimmed
 * from either working set, written to the pagefile and read back, exactly like a section's
 * page (the same code: MiResolvePrototype, MiTrimSharedPage, MiDropSharedPte). A write by either
 * process gives the writer its own copy (mm/wrtfault.c, PV_FAULT_COPY_ON_WRITE); the last
 * reference left, the page simply becomes that process's private page again, without a copy.
 *
 * Not shared, because nothing is lost by copying the PTE: demand-zero, decommitted, guard and
 * no-access PTEs; image PTEs and clean image pages (the child reads the image itself: the
 * image's segments are copied into it); a view's section pages (the child maps the same
 * section: its VAD is copied, the section gets one more view, its PTEs start zero). Commitment:
 * each copied VAD is charged to the child as it was to the parent, so that every later copy
 * is already paid for. Page tables are the child's own, made here and holding only software
 * PTEs (none resident), joined to the child's working set.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"
#include "rtl.h"

/* The protection a shared page has (both processes map it with it). */
static ULONG MiForkBlockProtection(PMMCLONE_BLOCK Block)
{
    MMPTE TempProto = MI_READ_PTE(&Block->ProtoPte);

    if (TempProto.u.Hard.Valid)
        return MI_PTE_PROTECTION(
            MI_PFN_ELEMENT(TempProto.u.Hard.PageFrameNumber)->OriginalPte.u.Long);
    return MI_PTE_PROTECTION(TempProto.u.Long);
}

/*
 * A fault on a fork prototype PTE (page table resident and held, Protection the PTE's, access
 * checked): the clone block's prototype resolved like a section's, the page mapped read-only
 * + copy on write if writable. A write, or a protection of this process's own that differs
 * from the page's (NtProtectVirtualMemory after the clone), then gives the process its copy.
 */
NTSTATUS MiResolveForkPteFault(PMMPTE PointerPte, MMPTE TempPte, ULONG_PTR Va, ULONG Protection,
                               BOOLEAN Write)
{
    PMMCLONE_BLOCK Block = MiGetCloneBlock(MI_PROTO_PTE_INDEX(TempPte.u.Long));
    ULONG Shared = MiForkBlockProtection(Block);
    MMPTE NoDemandZero = { { 0 } };
    PFN_NUMBER Page;
    NTSTATUS Status, ReadStatus = STATUS_SUCCESS;

    if (MI_PTE_HAS_PAGEFILE_SLOT(MI_READ_PTE(&Block->ProtoPte).u.Long))
    {
        /* Read back with its cluster (mm/section.c), then resolved like a valid one. */
        ReadStatus = MiReadCloneBlockPagefilePage(MI_PROTO_PTE_INDEX(TempPte.u.Long));
        if (!NT_SUCCESS(ReadStatus))
            return ReadStatus;
    }
    Status = MiResolvePrototype(PointerPte, &Block->ProtoPte, Va, Shared, Write, TRUE,
                                NoDemandZero, &Page);
    if (!NT_SUCCESS(Status))
        return Status;
    if (ReadStatus == STATUS_PAGE_FAULT_PAGING_FILE)
        Status = ReadStatus;
    if (Protection != Shared || (Write && MiIsAccessAllowed(Protection, TRUE)))
        return MiCopyOnWrite(PointerPte, MI_READ_PTE(PointerPte), Va, Protection);
    return Status;
}

VOID MiDeleteForkPte(PMMPTE PointerPte, MMPTE TempPte)
{
    ULONG_PTR Va = (ULONG_PTR)MiPteToAddress(PointerPte);
    ULONG Index;

    if (TempPte.u.Hard.Valid)
    {
        Index = MiCloneBlockIndexOfPfn(MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber));
        if (Index == 0)
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, Va, TempPte.u.Long,
                         (ULONG_PTR)PointerPte);
        MiForgetWorkingSetVa(Va);
        MI_WRITE_PTE(PointerPte, (MMPTE){ { 0 } });
        __invlpg((PVOID)Va);
        MiDropSharedPte(PointerPte, TempPte);
    }
    else
    {
        Index = MI_PROTO_PTE_INDEX(TempPte.u.Long);
        MI_WRITE_PTE(PointerPte, (MMPTE){ { 0 } });
    }
    MiDereferenceCloneBlock(Index);
}

/* ------------------------------------------------------------------------------ the clone */

/* A private page of the parent gets a clone block: the parent's PTE refers to it (valid, made
 * read-only + copy on write, or the fork prototype PTE), the child's will. */
static ULONG MiShareResidentPage(PMMPTE PointerPte, MMPTE TempPte, ULONG Index)
{
    PFN_NUMBER Page = TempPte.u.Hard.PageFrameNumber;
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
    PFN_NUMBER PteFrame = Pfn1->u4.PteFrame;
    ULONG Protection = MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long);
    MMPTE NewPte;

    if (Pfn1->u3.e1.ReadInProgress || Pfn1->u3.e1.WriteInProgress)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_COLLIDED_FAULT, (ULONG_PTR)PointerPte,
                     TempPte.u.Long, Page);
    MiMakeForkPrototypePage(Page, Index, TempPte.u.Hard.Valid && TempPte.u.Hard.Dirty,
                            Protection);
    MiReferenceCloneBlock(Index);
    if (TempPte.u.Hard.Valid)
    {
        NewPte.u.Long = TempPte.u.Long & ~PTE_DIRTY;
        if (NewPte.u.Hard.Write)
            NewPte.u.Long = (NewPte.u.Long & ~PTE_WRITE) | PTE_COPY_ON_WRITE;
    }
    else
    {
        /* On a list: the page no longer holds a share of the parent's page table. */
        NewPte.u.Long = MI_MAKE_FORK_PROTO_PTE(Index, Protection);
        MiDecrementShareCount(MI_PFN_ELEMENT(PteFrame), PteFrame);
    }
    MI_WRITE_PTE(PointerPte, NewPte);
    __invlpg(MiPteToAddress(PointerPte));
    return MI_MAKE_FORK_PROTO_PTE(Index, Protection);
}

/* The child's PTE for one of the parent's (current process, table resident and held): in
 * *ChildPte. Fails only when the clone block pool is empty. */
static NTSTATUS MiClonePte(PMMPTE PointerPte, PULONG ChildPte)
{
    MMPTE TempPte = MI_READ_PTE(PointerPte);
    PMMPFN Pfn1 = NULL;
    ULONG Index;

    *ChildPte = TempPte.u.Long;
    switch (mi_pte_kind(TempPte.u.Long))
    {
    case MI_PTE_ZERO:
    case MI_PTE_DEMAND_ZERO:
        return STATUS_SUCCESS;
    case MI_PTE_PROTOTYPE:
        if (MI_IS_FORK_PROTO_PTE(TempPte.u.Long))
            MiReferenceCloneBlock(MI_PROTO_PTE_INDEX(TempPte.u.Long));
        return STATUS_SUCCESS;   /* else an image's or a view's "look up the VAD" PTE */
    case MI_PTE_VALID:
    case MI_PTE_TRANSITION:
        Pfn1 = MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber);
        Index = MiCloneBlockIndexOfPfn(Pfn1);
        if (Pfn1->u3.e1.PrototypePte)
        {
            /* Shared already: a clone's page (one more reference) or a section's (the
             * child's view maps it itself). */
            if (Index != 0)
                MiReferenceCloneBlock(Index);
            *ChildPte = Index != 0 ? MI_MAKE_FORK_PROTO_PTE(
                                         Index, MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long))
                                   : 0;
            return STATUS_SUCCESS;
        }
        if (mi_pte_kind(Pfn1->OriginalPte.u.Long) == MI_PTE_PROTOTYPE &&
            !Pfn1->u3.e1.Modified && !(TempPte.u.Hard.Valid && TempPte.u.Hard.Dirty))
        {
            *ChildPte = Pfn1->OriginalPte.u.Long;   /* a clean image page: the image's PTE */
            return STATUS_SUCCESS;
        }
        break;
    case MI_PTE_PAGEFILE:
        break;
    }
    Index = MiAllocateCloneBlock();
    if (Index == 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (Pfn1 != NULL)
    {
        *ChildPte = MiShareResidentPage(PointerPte, TempPte, Index);
        return STATUS_SUCCESS;
    }
    /* In the pagefile: the slot moves into the block. */
    MiGetCloneBlock(Index)->ProtoPte = TempPte;
    MiReferenceCloneBlock(Index);
    *ChildPte = MI_MAKE_FORK_PROTO_PTE(Index, MI_PTE_PROTECTION(TempPte.u.Long));
    MI_WRITE_PTE(PointerPte, (MMPTE){ { *ChildPte } });
    return STATUS_SUCCESS;
}

/* The VADs, each charged to the child as to the parent; views map their section once more,
 * but for those mapped ViewUnmap. */
static NTSTATUS MiCloneVads(PEPROCESS Parent, PEPROCESS Child)
{
    PMMVAD Vad, NewVad;

    for (Vad = MiFirstVadAtOrAbove(&Parent->Vm.VadRoot, 0); Vad != NULL;
         Vad = MiFirstVadAtOrAbove(&Parent->Vm.VadRoot, Vad->EndingVpn + 1))
    {
        if (Vad->NoInherit)
            continue;   /* not inherited: the child has nothing there */
        NewVad = MiAllocateVad();
        if (NewVad == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        if (!MiChargeCommitment(&Child->Vm, Vad->u.VadFlags.CommitCharge))
        {
            MiFreeVad(NewVad);
            return STATUS_COMMITMENT_LIMIT;
        }
        NewVad->StartingVpn = Vad->StartingVpn;
        NewVad->EndingVpn = Vad->EndingVpn;
        NewVad->u.LongFlags = Vad->u.LongFlags;
        NewVad->Section = Vad->Section;
        NewVad->FirstPrototypePte = Vad->FirstPrototypePte;
        if (MI_IS_VIEW_VAD(Vad))
            MiReferenceSectionView(Vad);
        MiInsertVad(&Child->Vm.VadRoot, NewVad);
        if (Vad == Parent->Vm.StackVad)
            Child->Vm.StackVad = NewVad;
    }
    return STATUS_SUCCESS;
}

/* The child's page table for parent PDE Pde: a zeroed page, its PDE written in the child's
 * page directory (through hyperspace: the parent is attached). 0 when no page is left. */
static PFN_NUMBER MiMakeChildPageTable(PEPROCESS Child, ULONG Pde)
{
    PFN_NUMBER Directory = Child->Pcb.DirectoryTableBase[0] >> PAGE_SHIFT, Table;
    PMMPTE PointerPde = MiAddressToPde(Pde << PDE_SHIFT), ChildDirectory;

    if (!MiEnsureAvailablePages(1))
        return 0;
    Table = MiRemoveZeroPage();
    if (Table == 0)
        return 0;
    MiInitializePfnForOtherProcess(Table, PointerPde, Directory);
    ChildDirectory = MiMapPageInHyperSpace(Directory);
    MI_WRITE_PTE(&ChildDirectory[Pde], MiMakeUserValidPde(Table, TRUE));
    MiUnmapPageInHyperSpace(ChildDirectory);
    MmPageTablesCreated++;
    return Table;
}

/* One page table of the parent (resident and held) into the child's new one: the PTEs that
 * lie in one of the child's VADs (not in a view mapped ViewUnmap). */
static NTSTATUS MiClonePageTable(PEPROCESS Child, PMMPTE ParentTable, PFN_NUMBER ChildTable)
{
    PMMPTE ChildPtes;
    ULONG Pte, Value;
    NTSTATUS Status = STATUS_SUCCESS;

    /* Nothing below faults or maps: the child's table stays mapped throughout. */
    ChildPtes = MiMapPageInHyperSpace(ChildTable);
    for (Pte = 0; Pte < PTE_PER_PAGE && NT_SUCCESS(Status); Pte++)
    {
        if (ParentTable[Pte].u.Long == 0 ||
            MiLocateVad(&Child->Vm.VadRoot,
                        MI_VA_TO_VPN(MiPteToAddress(&ParentTable[Pte]))) == NULL)
            continue;
        Status = MiClonePte(&ParentTable[Pte], &Value);
        if (NT_SUCCESS(Status) && Value != 0)
            MI_WRITE_PTE(&ChildPtes[Pte], (MMPTE){ { Value } });
    }
    MiUnmapPageInHyperSpace(ChildPtes);
    return Status;
}

static BOOLEAN MiIsPageTableEmpty(PMMPTE Table)
{
    ULONG Pte;

    for (Pte = 0; Pte < PTE_PER_PAGE; Pte++)
        if (Table[Pte].u.Long != 0)
            return FALSE;
    return TRUE;
}

/* Every user page table of the parent with something in it: brought back if it left memory,
 * held while its PTEs are cloned. The child's tables made are marked in Made. */
static NTSTATUS MiClonePageTables(PEPROCESS Child, PULONG Made)
{
    ULONG Pde;
    NTSTATUS Status = STATUS_SUCCESS;

    for (Pde = 0; Pde < MI_SYSTEM_PDE_FIRST && NT_SUCCESS(Status); Pde++)
    {
        ULONG_PTR Va = (ULONG_PTR)Pde << PDE_SHIFT;
        PMMPTE Table = MiAddressToPte(Va);
        PFN_NUMBER ChildTable;
        PMMPFN TablePfn;

        if (MI_READ_PTE(MiAddressToPde(Va)).u.Long == 0)
            continue;
        if (!MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid && !MiEnsureAvailablePages(2))
            return STATUS_INSUFFICIENT_RESOURCES;
        if (!MiMakeUserPageTableResident(Va))
            continue;
        TablePfn = MI_PFN_ELEMENT(MI_READ_PTE(MiAddressToPde(Va)).u.Hard.PageFrameNumber);
        TablePfn->u3.ReferenceCount++;
        if (!MiIsPageTableEmpty(Table))
        {
            ChildTable = MiMakeChildPageTable(Child, Pde);
            if (ChildTable == 0)
                Status = STATUS_INSUFFICIENT_RESOURCES;
            else
            {
                Made[Pde / 32] |= 1u << (Pde % 32);
                Status = MiClonePageTable(Child, Table, ChildTable);
            }
        }
        TablePfn->u3.ReferenceCount--;
    }
    return Status;
}

/*
 * NTSTATUS MmCloneProcessAddressSpace(PEPROCESS Parent, PEPROCESS Child)
 *
 * For NtCreateProcess with no section (fork): makes Child's user address space a copy of
 * Parent's. Preconditions: Parent is the current process (attached, in a system call of one of
 * its threads; nothing else runs in it meanwhile); Child's address space was just made by
 * MmCreateProcessAddressSpace (empty user half, empty working set) and nothing else uses it.
 * Child's EPROCESS gets the image fields (ImageModule, segments, base, end, entry point) and
 * the working-set limits; its handles, threads and everything outside Mm are the caller's.
 *
 * Effect: every VAD is copied (private, image, stack, views: a view maps the same section
 * again; not a view mapped ViewUnmap, NT's rule) and charged to Child's commitment as it was to Parent's; private pages become shared
 * copy-on-write (this file's top comment). Returns STATUS_SUCCESS, STATUS_COMMITMENT_LIMIT,
 * or STATUS_INSUFFICIENT_RESOURCES (no VAD, clone block or page left): then Child's address
 * space is empty again (its VADs, page tables and references gone, its charge returned) and
 * Parent's pages read and write as before (some may stay prototype pages referred to by
 * Parent alone: its next write to one takes it back without a copy).
 *
 * Deletion: nothing special. Either process, in either order, ends as any process does:
 * MmCleanProcessAddressSpace while attached to it, then MmDeleteProcessAddressSpace from
 * another address space (ke/process.c). Its PTEs give back their clone-block references; the
 * last reference frees a shared page and its pagefile slot.
 *
 * For the scheduler: everything here, like the rest of Mm, assumes that nothing else runs
 * while it works (no PFN lock or working-set mutex yet). With preemption and several
 * processes, a clone needs the parent's other threads stopped and the PFN lock held around
 * the clone-block pool, the PFN entries and the PTE changes (NT: the working-set mutex of the
 * parent and the PFN lock); faults on a clone block's page from two processes at once are
 * then collided faults on the block's prototype PTE, as for a section's page.
 */
NTSTATUS MmCloneProcessAddressSpace(PEPROCESS Parent, PEPROCESS Child)
{
    ULONG Made[MI_SYSTEM_PDE_FIRST / 32] = { 0 }, Pde;
    NTSTATUS Status;

    if (Parent != PsGetCurrentProcess() || Child == Parent ||
        Child->Vm.VadRoot.NumberGenericTableElements != 0 || Child->Pcb.DirectoryTableBase[0] == 0)
        return STATUS_INVALID_PARAMETER;
    Status = MiCloneVads(Parent, Child);
    if (NT_SUCCESS(Status))
        Status = MiClonePageTables(Child, Made);

    /* The child's page tables join its working set (also on failure: its clean-up finds them
     * there). */
    KeAttachProcess(Child);
    for (Pde = 0; Pde < MI_SYSTEM_PDE_FIRST; Pde++)
        if (Made[Pde / 32] & (1u << (Pde % 32)))
            MiAddToWorkingSet((ULONG_PTR)MiAddressToPte((ULONG_PTR)Pde << PDE_SHIFT),
                              MI_READ_PTE(MiAddressToPde((ULONG_PTR)Pde << PDE_SHIFT))
                                  .u.Hard.PageFrameNumber,
                              TRUE);
    if (!NT_SUCCESS(Status))
        MmCleanProcessAddressSpace(Child);
    KeAttachProcess(Parent);
    if (!NT_SUCCESS(Status))
        return Status;

    Child->ImageModule = Parent->ImageModule;
    Child->ImageBase = Parent->ImageBase;
    Child->ImageEnd = Parent->ImageEnd;
    Child->EntryPoint = Parent->EntryPoint;
    Child->ImageSegmentCount = Parent->ImageSegmentCount;
    memcpy(Child->ImageSegments, Parent->ImageSegments, sizeof(Child->ImageSegments));
    Child->Ws.MinimumWorkingSetSize = Parent->Ws.MinimumWorkingSetSize;
    Child->Ws.MaximumWorkingSetSize = Parent->Ws.MaximumWorkingSetSize;
    return STATUS_SUCCESS;
}
