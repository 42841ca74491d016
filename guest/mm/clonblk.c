/*
 * clonblk.c - clone blocks: the fork prototype PTEs through which a process and its clone
 * (MmCloneProcessAddressSpace, mm/forksup.c) share their private pages copy-on-write, and the
 * page-state changes around them that need no hardware (pure C over the PFN database and the
 * pagefile bitmap, so it also builds on the host: tests/unit/test_fork.c).
 *
 * A clone block (NT's MMCLONE_BLOCK) is one prototype PTE plus the number of process PTEs that
 * refer to it: a valid PTE mapping its page (the page's PFN has PrototypePte set and PteAddress
 * = the block's ProtoPte), or a fork prototype PTE naming the block's index (nt_pte.h,
 * MI_MAKE_FORK_PROTO_PTE). Its ProtoPte is what a private PTE would be: valid (the page is
 * mapped by ShareCount process PTEs), transition (the page is on the Standby or Modified list,
 * mapped by none) or a pagefile PTE; never demand zero (a page with nothing in it is not
 * cloned: both processes keep their demand-zero PTE). The page is a prototype page like a
 * section's (mm/section.c): trimmed from a working set, the process PTE becomes the fork
 * prototype PTE and drops a share; the last share gone, the ProtoPte goes to transition and
 * the page to Modified or Standby; the modified page writer writes it, and when its frame is
 * reused MiRestoreTransitionPte puts its pagefile PTE into the ProtoPte.
 *
 * NT keeps clone blocks in pool, one array per fork (a clone header, with a count of the
 * processes that still use it) described in each process by clone descriptors, so that it can
 * free the pool and find the blocks of an address. pagevisor keeps every clone block in one
 * fixed pool (MmCloneBlocks, 8191 blocks: 32 MiB of shared private pages; pv.cloneblocks=N
 * allows fewer, for tests of a clone that runs out of them) and counts references
 * per block: a process's references are exactly its own PTEs, which its deletion walks anyway,
 * so no descriptor is needed; a block whose count reaches zero is free again at once (its page
 * freed, its pagefile slot released).
 */
#include "../include/mm.h"

MMCLONE_BLOCK MmCloneBlocks[MI_CLONE_BLOCKS];
ULONG MmCloneBlocksInUse;
ULONG MmCloneBlockLimit = MI_CLONE_BLOCKS - 1;   /* pv.cloneblocks=N: a smaller pool */
static ULONG MiCloneBlockHint = 1;

ULONG MiAllocateCloneBlock(VOID)
{
    ULONG Tried, Index = MiCloneBlockHint;

    if (MmCloneBlocksInUse >= MmCloneBlockLimit)
        return 0;
    for (Tried = 1; Tried < MI_CLONE_BLOCKS; Tried++)
    {
        if (Index >= MI_CLONE_BLOCKS)
            Index = 1;
        if (MmCloneBlocks[Index].CloneRefCount == 0)
        {
            MmCloneBlocks[Index].CloneRefCount = 1;
            MmCloneBlocks[Index].ProtoPte.u.Long = 0;
            MmCloneBlocksInUse++;
            MiCloneBlockHint = Index + 1;
            return Index;
        }
        Index++;
    }
    return 0;
}

PMMCLONE_BLOCK MiGetCloneBlock(ULONG Index)
{
    if (Index == 0 || Index >= MI_CLONE_BLOCKS || MmCloneBlocks[Index].CloneRefCount == 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_CLONE_BLOCK, Index,
                     Index < MI_CLONE_BLOCKS ? MmCloneBlocks[Index].CloneRefCount : 0, 0);
    return &MmCloneBlocks[Index];
}

/* The block whose ProtoPte a prototype page's PteAddress names; 0 for a section's page. */
ULONG MiCloneBlockIndexOfPfn(PMMPFN Pfn1)
{
    ULONG_PTR Address = (ULONG_PTR)MI_PFN_PTE_ADDRESS(Pfn1);
    ULONG_PTR First = (ULONG_PTR)&MmCloneBlocks[0];

    if (!Pfn1->u3.e1.PrototypePte || Address < First ||
        Address >= (ULONG_PTR)&MmCloneBlocks[MI_CLONE_BLOCKS])
        return 0;
    return (ULONG)((Address - First) / sizeof(MMCLONE_BLOCK));
}

VOID MiReferenceCloneBlock(ULONG Index)
{
    MiGetCloneBlock(Index)->CloneRefCount++;
}

/*
 * A prototype PTE nobody refers to any more (a section's, or a clone block's): a page in
 * transition leaves its list for the Free list, a pagefile slot is released. A valid prototype
 * would still be mapped: a share-count bug.
 */
VOID MiDeletePrototypePte(PMMPTE ProtoPte)
{
    MMPTE TempPte = MI_READ_PTE(ProtoPte);

    if (TempPte.u.Hard.Valid)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_SHARE_COUNT, TempPte.u.Hard.PageFrameNumber,
                     MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber)->u2.ShareCount, 0);
    if (TempPte.u.Soft.Transition && !TempPte.u.Soft.Prototype)
    {
        PFN_NUMBER Page = TempPte.u.Trans.PageFrameNumber;
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

        if (MI_PFN_PTE_ADDRESS(Pfn1) != ProtoPte || Pfn1->u3.ReferenceCount != 0)
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE, (ULONG_PTR)ProtoPte,
                         TempPte.u.Long, Page);
        MiUnlinkPageFromList(Pfn1);
        MiReleasePageFileSpace(Pfn1->OriginalPte);
        Pfn1->OriginalPte.u.Long = 0;
        Pfn1->u3.e1.PrototypePte = 0;
        MI_SET_PFN_DELETED(Pfn1);
        MiInsertPageInFreeList(Page);
    }
    else if (MI_PTE_HAS_PAGEFILE_SLOT(TempPte.u.Long))
    {
        MiReleasePageFileSpace(TempPte);
    }
    ProtoPte->u.Long = 0;
}

/* One process PTE less refers to the block; the last one frees it (and its page or slot). */
VOID MiDereferenceCloneBlock(ULONG Index)
{
    PMMCLONE_BLOCK Block = MiGetCloneBlock(Index);

    if (--Block->CloneRefCount != 0)
        return;
    MiDeletePrototypePte(&Block->ProtoPte);
    MmCloneBlocksInUse--;
}

/*
 * A private page (valid, or in transition on a list) becomes the prototype page of clone block
 * Index. Dirty: its valid PTE had the Dirty bit. A written page's pagefile or image copy is
 * stale: it goes, the page is Modified. The share of its page table that the page held now
 * belongs to the valid PTE mapping it (section.c's accounting: one share per valid PTE), so a
 * page in transition gives its share back: the caller does that (MiDecrementShareCount on the
 * table) once this returns, as it knows the table.
 */
VOID MiMakeForkPrototypePage(PFN_NUMBER Page, ULONG Index, BOOLEAN Dirty, ULONG Protection)
{
    PMMCLONE_BLOCK Block = MiGetCloneBlock(Index);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
    enum mi_pte_kind Original = mi_pte_kind(Pfn1->OriginalPte.u.Long);
    BOOLEAN Valid = Pfn1->u3.e1.PageLocation == ActiveAndValid;

    if (Dirty)
        Pfn1->u3.e1.Modified = 1;
    if (Pfn1->u3.e1.Modified && (Original == MI_PTE_PAGEFILE || Original == MI_PTE_PROTOTYPE))
    {
        MiReleasePageFileSpace(Pfn1->OriginalPte);
        Pfn1->OriginalPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(Protection);
    }
    Pfn1->OriginalPte.u.Long = MI_PTE_WITH_PROTECTION(Pfn1->OriginalPte.u.Long, Protection);
    Pfn1->PteAddress = &Block->ProtoPte;
    Pfn1->u3.e1.PrototypePte = 1;
    Pfn1->u4.EntireFrame = 0;
    Block->ProtoPte.u.Long = Valid ? PTE_FROM_PFN(Page) | PTE_VALID | PTE_WRITE | PTE_ACCESSED
                                   : MI_MAKE_TRANSITION_PTE(Page, Protection);
}

/*
 * A copy-on-write fault found the page's clone block referred to by the faulting PTE alone:
 * no copy, the page becomes that PTE's private page again (its prototype gone, the block free).
 * PteFrame is the page table holding PointerPte; its share for the valid PTE stays, now held
 * by the page as for any private page. The caller makes the PTE writable.
 */
VOID MiMakeForkPagePrivate(PFN_NUMBER Page, ULONG Index, PMMPTE PointerPte, PFN_NUMBER PteFrame)
{
    PMMCLONE_BLOCK Block = MiGetCloneBlock(Index);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

    if (Block->CloneRefCount != 1 || Pfn1->u2.ShareCount != 1 ||
        MI_PFN_PTE_ADDRESS(Pfn1) != &Block->ProtoPte)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_CLONE_BLOCK, Index, Block->CloneRefCount,
                     Pfn1->u2.ShareCount);
    Pfn1->PteAddress = PointerPte;
    Pfn1->u3.e1.PrototypePte = 0;
    Pfn1->u4.EntireFrame = 0;
    Pfn1->u4.PteFrame = PteFrame;
    Block->ProtoPte.u.Long = 0;
    Block->CloneRefCount = 0;
    MmCloneBlocksInUse--;
}
