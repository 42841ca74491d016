/*
 * pagein.c - resolving a fault on a page that is not valid but exists somewhere: still in RAM
 * on a list (a transition PTE: a soft fault, no I/O, no VM exit), in the pagefile (a hard
 * fault: one PV_HC_PAGEFILE_IO read, clustered), or nowhere yet (demand zero); image pages
 * are read for their image section (mm/section.c). The same
 * resolvers bring back user page tables that left memory (PDE in transition or in the
 * pagefile), which then rejoin the working set like any page.
 *
 * Page-in clustering (NT's MmReadClusterSize, mm/mminit.c sets it from the RAM size as NT did,
 * pv.readcluster=N overrides): with the faulting PTE, the neighbouring PTEs of the same page
 * table whose pages sit in the neighbouring pagefile slots are read in the same call: forward
 * first, then backward, up to the read-around size in all, and only while there are pages to
 * spare above MmMinimumFreePages. The extra pages are not made valid: they go to the Standby
 * list, their PTEs stay transition PTEs, so touching one later is a soft fault (NT does the
 * same). Page tables are read alone. Image, section and clone-block page-ins cluster the same
 * way (mm/section.c), each with its own read-around state.
 *
 * Read-around adapts (MiReadAroundSize; one MI_READ_AROUND per process for its private
 * pagefile pages, per section for its image or pagefile pages, one for the clone-block pool):
 * a hard fault on the position
 * right after the last read (the next slot, file page or prototype) is sequential and doubles
 * the size, up to PV_PAGEFILE_CLUSTER_MAX (16 pages: one call); any other fault is random and
 * reads that page alone (pv.readaroundmax=N caps the doubling at N). The first read of a store uses the base size (MmReadClusterSize for
 * the pagefile, NT's 8 pages for code and 4 for data in a section). So a scan costs one call
 * per 16 pages once it is going, and random faults read only the page they need.
 *
 * While a read runs, each page being read is in transition with ReadInProgress and one I/O
 * reference, and its PTE a transition PTE pointing at it: a second fault on it (a collided
 * fault) would find the read in progress and wait for it on the PFN's event. With one process
 * running at a time and no preemption nothing can run during the call, so MiResolveTransitionFault
 * treats ReadInProgress as impossible for now (bug check 0x1A/0x100D); that is where the wait
 * would go.
 *
 * In-page errors: a read the host fails (PV_EIO: an I/O error, or data that did not match the
 * checksum the host kept when it wrote the slot) leaves the PTE as it was (pagefile or image
 * PTE) and the frame on the Free list, and returns STATUS_IN_PAGE_ERROR: KiTrap0E ends a user
 * process with it, fails a fault-safe copy with it, and bug-checks 0x7A
 * KERNEL_DATA_INPAGE_ERROR for any other kernel access (MmLastInPageError has its parameters).
 * Pages of a failed cluster that were read before the failure are good and go to Standby.
 */
#include "mm.h"
#include "hv.h"
#include "ldr.h"
#include "ps.h"
#include "intrin.h"

MI_IN_PAGE_ERROR MmLastInPageError;
ULONG MmReadClusterSize = 8;
ULONG MmReadAroundMaximum = PV_PAGEFILE_CLUSTER_MAX;

/* The page (table) holding a PTE: for a PTE the page table, for a PDE the page directory. */
static PFN_NUMBER MiPteFrameOf(PMMPTE PointerPte)
{
    return MI_READ_PTE(MiAddressToPte(PointerPte)).u.Hard.PageFrameNumber;
}

/* The valid PTE (or PDE) for a page that was not: dirty only for a write. */
static MMPTE MiMakeValid(PFN_NUMBER Page, ULONG Protection, BOOLEAN Write, BOOLEAN PageTable)
{
    if (PageTable)
        return MiMakeUserValidPde(Page, Write);
    return MiMakeUserValidPte(Page, Protection, Write && MiIsAccessAllowed(Protection, TRUE));
}

/* A page that had been read (or was being read) for PointerPte becomes valid there. */
static VOID MiCompletePageIn(PMMPTE PointerPte, PFN_NUMBER Page, BOOLEAN Write,
                             BOOLEAN PageTable)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
    MMPTE TempPte;

    Pfn1->u2.ShareCount = 1;
    Pfn1->u3.e1.PageLocation = ActiveAndValid;
    TempPte = MiMakeValid(Page, MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long), Write, PageTable);
    if (TempPte.u.Hard.Dirty)
        Pfn1->u3.e1.Modified = 1;
    MI_WRITE_PTE(PointerPte, TempPte);
    __invlpg(MiPteToAddress(PointerPte));
    MiAddToWorkingSet((ULONG_PTR)MiPteToAddress(PointerPte), Page, PageTable);
}

/* A read failed: the PTE gets its pagefile or image PTE back, the frame goes to Free. */
static VOID MiAbandonPageIn(PMMPTE PointerPte, PFN_NUMBER Page)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
    PFN_NUMBER PteFrame = Pfn1->u4.PteFrame;

    Pfn1->u4.InPageError = 1;
    MI_WRITE_PTE(PointerPte, Pfn1->OriginalPte);
    Pfn1->OriginalPte.u.Long = 0;
    MI_SET_PFN_DELETED(Pfn1);
    MiDecrementReferenceCount(Pfn1, Page);
    MiDecrementShareCount(MI_PFN_ELEMENT(PteFrame), PteFrame);
}

NTSTATUS MiInPageError(PMMPTE PointerPte, NTSTATUS IoStatus)
{
    MmInfoCounters.InPageErrors++;
    MmLastInPageError.PointerPte = PointerPte;
    MmLastInPageError.PteContents = MI_READ_PTE(PointerPte).u.Long;
    MmLastInPageError.IoStatus = IoStatus;
    MmLastInPageError.Va = (ULONG)(ULONG_PTR)MiPteToAddress(PointerPte);
    DbgPrint("mm: in-page error: PTE 0x%08X (0x%08X), status 0x%08X\n",
             (ULONG)(ULONG_PTR)PointerPte, MmLastInPageError.PteContents, (ULONG)IoStatus);
    return STATUS_IN_PAGE_ERROR;
}

NTSTATUS MiResolveTransitionFault(PMMPTE PointerPte, MMPTE TempPte, BOOLEAN Write,
                                  BOOLEAN PageTable)
{
    PFN_NUMBER Page = TempPte.u.Trans.PageFrameNumber;
    PMMPFN Pfn1 = Page <= MmHighestPhysicalPage ? MI_PFN_ELEMENT(Page) : NULL;
    ULONG Location;

    if (Pfn1 == NULL || MI_PFN_PTE_ADDRESS(Pfn1) != PointerPte)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE, (ULONG_PTR)PointerPte,
                     TempPte.u.Long, Pfn1 != NULL ? (ULONG_PTR)Pfn1->PteAddress : 0);
    if (Pfn1->u3.e1.ReadInProgress || Pfn1->u3.e1.WriteInProgress)
    {
        /* A collided fault: the page is being read (or written). NT waits on the PFN's event
         * (u1.Event) for the read to finish, then retries. Nothing can run while a read is in
         * progress yet (one process, no preemption, synchronous hypercalls). */
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_COLLIDED_FAULT, (ULONG_PTR)PointerPte,
                     TempPte.u.Long, Page);
    }
    Location = Pfn1->u3.e1.PageLocation;
    if (Location != StandbyPageList && Location != ModifiedPageList &&
        Location != ModifiedNoWritePageList)
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x99, Page, Location, Pfn1->u2.ShareCount);
    MiUnlinkPageFromList(Pfn1);
    Pfn1->u3.ReferenceCount = 1;
    MiCompletePageIn(PointerPte, Page, Write, PageTable);
    return STATUS_PAGE_FAULT_TRANSITION;
}

ULONG MiReadAroundSize(PMI_READ_AROUND State, ULONG Position, ULONG Base)
{
    ULONG Size;

    if (State->Size == 0)
        Size = Base;
    else if (Position == State->Next)
        Size = State->Size * 2;
    else
        Size = 1;
    if (Size > MmReadAroundMaximum)
        Size = MmReadAroundMaximum;
    if (Size == 0)
        Size = 1;
    State->Size = Size;
    /* Bounded by free memory: the neighbours only while pages are left above the minimum. */
    if (MmAvailablePages < MmMinimumFreePages + 1)
        return 1;
    if (Size > MmAvailablePages - MmMinimumFreePages)
        Size = MmAvailablePages - MmMinimumFreePages;
    return Size;
}

VOID MiReadAroundDone(PMI_READ_AROUND State, ULONG First, ULONG Count)
{
    State->Next = First + Count;
}

/* Neighbours of PointerPte in its page table whose pages are in the slots next to Slot. */
static ULONG MiBuildReadCluster(PMMPTE PointerPte, MMPTE TempPte, PMMPTE *Ptes, PULONG First,
                                PMI_READ_AROUND ReadAround)
{
    ULONG Slot = MI_PAGEFILE_HIGH(TempPte.u.Long), Count = 1, j;
    ULONG Limit = MiReadAroundSize(ReadAround, Slot, MmReadClusterSize);
    PMMPTE TableStart = (PMMPTE)ALIGN_DOWN_BY(PointerPte, PAGE_SIZE);
    PMMPTE TableEnd = TableStart + PTE_PER_PAGE;
    PMMPTE Cluster[2 * PV_PAGEFILE_CLUSTER_MAX];
    ULONG Back = 0;

    Cluster[PV_PAGEFILE_CLUSTER_MAX] = PointerPte;
    for (j = 1; Count < Limit && PointerPte + j < TableEnd; j++)
    {
        ULONG Value = MI_READ_PTE(PointerPte + j).u.Long;
        if (!MI_PTE_HAS_PAGEFILE_SLOT(Value) || MI_PAGEFILE_HIGH(Value) != Slot + j ||
            MI_PAGEFILE_LOW(Value) != MI_PAGEFILE_LOW(TempPte.u.Long))
            break;
        Cluster[PV_PAGEFILE_CLUSTER_MAX + j] = PointerPte + j;
        Count++;
    }
    for (j = 1; Count < Limit && PointerPte - j >= TableStart && Slot > j; j++)
    {
        ULONG Value = MI_READ_PTE(PointerPte - j).u.Long;
        if (!MI_PTE_HAS_PAGEFILE_SLOT(Value) || MI_PAGEFILE_HIGH(Value) != Slot - j ||
            MI_PAGEFILE_LOW(Value) != MI_PAGEFILE_LOW(TempPte.u.Long))
            break;
        Cluster[PV_PAGEFILE_CLUSTER_MAX - j] = PointerPte - j;
        Back++;
        Count++;
    }
    for (j = 0; j < Count; j++)
        Ptes[j] = Cluster[PV_PAGEFILE_CLUSTER_MAX - Back + j];
    *First = Back;
    return Count;
}

NTSTATUS MiResolvePageFileFault(PMMPTE PointerPte, MMPTE TempPte, BOOLEAN Write,
                                BOOLEAN PageTable)
{
    PMMPTE Ptes[PV_PAGEFILE_CLUSTER_MAX];
    PFN_NUMBER Pages[PV_PAGEFILE_CLUSTER_MAX];
    PFN_NUMBER PteFrame = MiPteFrameOf(PointerPte);
    ULONG Count, Faulting = 0, FirstSlot, Done = 0, i, Got = 0;
    BOOLEAN FaultingRead = FALSE;
    PMMPROCESS_VM Vm = PageTable ? NULL : MiGetCurrentProcessVm();
    LONG Result;

    if (Vm == NULL)
    {
        Ptes[0] = PointerPte;
        Count = 1;
    }
    else
    {
        Count = MiBuildReadCluster(PointerPte, TempPte, Ptes, &Faulting,
                                   &Vm->PagefileReadAround);
    }
    FirstSlot = MI_PAGEFILE_HIGH(TempPte.u.Long) - Faulting;

    /* Frames for the cluster, each in transition for its PTE. The faulting page must get one;
     * a neighbour that does not trims the cluster to what is contiguous. */
    for (i = 0; i < Count; i++)
    {
        MMPTE Original = MI_READ_PTE(Ptes[i]);
        PFN_NUMBER Page = MmAvailablePages != 0 ? MiRemoveAnyPage() : 0;

        if (Page == 0)
            break;
        MiInitializeTransitionPfn(Page, Ptes[i], Original, PteFrame);
        MI_WRITE_PTE(Ptes[i], (MMPTE){ { MI_MAKE_TRANSITION_PTE(
                                            Page, MI_PTE_PROTECTION(Original.u.Long)) } });
        Pages[i] = Page;
        Got++;
    }
    if (Got <= Faulting)
    {
        for (i = 0; i < Got; i++)
            MiAbandonPageIn(Ptes[i], Pages[i]);
        return STATUS_NO_MEMORY;
    }
    Count = Got;
    if (Vm != NULL)
        MiReadAroundDone(&Vm->PagefileReadAround, FirstSlot, Count);

    Result = HvPagefileIo(PV_PAGEFILE_READ, FirstSlot, Count, Pages, &Done);
    MmInfoCounters.PageReadIoCount++;
    for (i = 0; i < Count; i++)
    {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Pages[i]);

        Pfn1->u3.e1.ReadInProgress = 0;
        if (Result != PV_OK && i >= Done)
        {
            MiAbandonPageIn(Ptes[i], Pages[i]);
            continue;
        }
        MmInfoCounters.PagesRead++;
        if (i == Faulting)
        {
            FaultingRead = TRUE;
            continue;   /* made valid last, after its neighbours are on Standby */
        }
        /* A neighbour: stays in transition, on the Standby list, clean (its slot holds it). */
        MmInfoCounters.ClusterPagesRead++;
        MiDecrementReferenceCount(Pfn1, Pages[i]);
    }
    if (!FaultingRead)
        return MiInPageError(PointerPte, STATUS_IO_DEVICE_ERROR);
    MiCompletePageIn(PointerPte, Pages[Faulting], Write, PageTable);
    return STATUS_PAGE_FAULT_PAGING_FILE;
}

NTSTATUS MiResolveDemandZeroFault(PMMPTE PointerPte, ULONG Protection, BOOLEAN Write)
{
    PFN_NUMBER Page = MmAvailablePages != 0 ? MiRemoveZeroPage() : 0;
    MMPTE TempPte;

    if (Page == 0)
        return STATUS_NO_MEMORY;
    /* The PFN's OriginalPte is the PTE as it was: the protection, for the page's life. */
    TempPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(Protection);
    MI_WRITE_PTE(PointerPte, TempPte);
    MiInitializePfn(Page, PointerPte, FALSE);
    MiCompletePageIn(PointerPte, Page, Write, FALSE);
    return STATUS_PAGE_FAULT_DEMAND_ZERO;
}

NTSTATUS MiResolvePageTableFault(PMMPTE PointerPde, PULONG Kind)
{
    MMPTE TempPde = MI_READ_PTE(PointerPde);

    MmInfoCounters.PageTablesIn++;
    switch (mi_pte_kind(TempPde.u.Long))
    {
    case MI_PTE_TRANSITION:
        *Kind = PV_FAULT_TRANSITION;
        return MiResolveTransitionFault(PointerPde, TempPde, FALSE, TRUE);
    case MI_PTE_PAGEFILE:
        *Kind = PV_FAULT_PAGEFILE_READ;
        return MiResolvePageFileFault(PointerPde, TempPde, FALSE, TRUE);
    default:
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE,
                     (ULONG)(ULONG_PTR)MiPteToAddress(PointerPde), TempPde.u.Long,
                     (ULONG_PTR)PointerPde);
    }
}
