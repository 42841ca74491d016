/*
 * wrtfault.c - copy on write (NT's MiCopyOnWrite): a write to a page the process maps
 * read-only with the PTE's CopyOnWrite bit (bit 9, MMPTE_HARDWARE.CopyOnWrite) set. Such a
 * PTE maps a shared prototype page: a section's page in a PAGE_WRITECOPY or
 * PAGE_EXECUTE_WRITECOPY view (mm/section.c), or a private page shared with a clone of the
 * process (mm/forksup.c, mm/clonblk.c).
 *
 * The process gets its own page: a new frame, the contents copied from the shared page (read
 * through the process's own read-only mapping, written through hyperspace), the PTE valid,
 * writable and dirty, the page private (PFN PteAddress = the process PTE, a share of its page
 * table, OriginalPte demand zero with the new protection: it goes to the pagefile like any
 * private page). The shared page loses the share the PTE held (the last one gone, its
 * prototype PTE goes to transition) and, for a clone's page, the clone block a reference.
 * The working-set entry stays, now naming the new page. Commitment was charged already: for
 * the whole of a copy-on-write view when it was mapped, and for a clone's pages when it was
 * made, so the copy cannot fail for commitment, only for want of a page (the fault path made
 * sure one is available).
 *
 * When the clone block is referred to by the faulting PTE alone (the other process wrote its
 * own copy already, or ended), there is nothing to copy: the page becomes this PTE's private
 * page again. The fault's status is STATUS_PAGE_FAULT_COPY_ON_WRITE either way, and the trace
 * resolution PV_FAULT_COPY_ON_WRITE.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"
#include "rtl.h"

ULONG MiMakeWriteCopyWritable(ULONG Protection)
{
    switch (Protection & MM_PROTECT_ACCESS)
    {
    case MM_WRITECOPY:
        return (Protection & ~MM_PROTECT_ACCESS) | MM_READWRITE;
    case MM_EXECUTE_WRITECOPY:
        return (Protection & ~MM_PROTECT_ACCESS) | MM_EXECUTE_READWRITE;
    default:
        return Protection;
    }
}

/* A clone's page referred to only by this PTE: private again, no copy. */
static VOID MiReclaimForkPage(PMMPTE PointerPte, PFN_NUMBER Page, ULONG Index, ULONG WsIndex,
                              PFN_NUMBER Table, ULONG Protection)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

    MiMakeForkPagePrivate(Page, Index, PointerPte, Table);
    Pfn1->u1.WsIndex = WsIndex;
    Pfn1->u3.e1.Modified = 1;
    MiReleasePageFileSpace(Pfn1->OriginalPte);
    Pfn1->OriginalPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(Protection);
    MI_WRITE_PTE(PointerPte, MiMakeUserValidPte(Page, Protection, TRUE));
}

NTSTATUS MiCopyOnWrite(PMMPTE PointerPte, MMPTE TempPte, ULONG_PTR Va, ULONG Protection)
{
    PFN_NUMBER OldPage = TempPte.u.Hard.PageFrameNumber, NewPage;
    PFN_NUMBER Table = MI_READ_PTE(MiAddressToPte(PointerPte)).u.Hard.PageFrameNumber;
    PMMPFN Pfn1 = MI_PFN_ELEMENT(OldPage);
    ULONG Index = MiCloneBlockIndexOfPfn(Pfn1), WsIndex;
    PVOID Mapping;

    Va = ALIGN_DOWN_BY(Va, PAGE_SIZE);
    WsIndex = MiLocateWsle(Va, Pfn1->u1.WsIndex);
    if (!TempPte.u.Hard.Valid || !Pfn1->u3.e1.PrototypePte || WsIndex == MI_WSLE_NONE)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, Va, TempPte.u.Long,
                     (ULONG_PTR)PointerPte);
    if (Index != 0 && MiGetCloneBlock(Index)->CloneRefCount == 1)
    {
        MiReclaimForkPage(PointerPte, OldPage, Index, WsIndex, Table, Protection);
        __invlpg((PVOID)Va);
        return STATUS_PAGE_FAULT_COPY_ON_WRITE;
    }

    NewPage = MmAvailablePages != 0 ? MiRemoveAnyPage() : 0;
    if (NewPage == 0)
        return STATUS_NO_MEMORY;
    Mapping = MiMapPageInHyperSpace(NewPage);
    memcpy(Mapping, (PVOID)Va, PAGE_SIZE);
    MiUnmapPageInHyperSpace(Mapping);

    /* The shared page lets go of this PTE, then the PTE takes the new page. */
    MI_WRITE_PTE(PointerPte, (MMPTE){ { MI_MAKE_DEMAND_ZERO_PTE(Protection) } });
    __invlpg((PVOID)Va);
    MiDropSharedPte(PointerPte, TempPte);
    if (Index != 0)
        MiDereferenceCloneBlock(Index);
    MiInitializePfn(NewPage, PointerPte, TRUE);
    MI_PFN_ELEMENT(NewPage)->u1.WsIndex = WsIndex;
    MI_WRITE_PTE(PointerPte, MiMakeUserValidPte(NewPage, Protection, TRUE));
    __invlpg((PVOID)Va);
    return STATUS_PAGE_FAULT_COPY_ON_WRITE;
}
