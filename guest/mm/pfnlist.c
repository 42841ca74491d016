/*
 * pfnlist.c - the PFN database's page lists (NT's MMPFNLIST heads: Zeroed, Free, Standby,
 * Modified, ModifiedNoWrite, Bad) and the life of a page:
 *
 *   taken from a list (MiRemoveAnyPage: Free, Zeroed, then Standby; MiRemoveZeroPage: Zeroed,
 *     Free zeroed through hyperspace, then Standby zeroed). A Standby page taken for another
 *     use still backs a transition PTE of its old owner: MiRestoreTransitionPte writes that
 *     PTE's OriginalPte back into it (a pagefile PTE, a demand-zero PTE for a clean page that
 *     never reached the pagefile, an image PTE for a clean image page) and the old page table
 *     loses the share the page held;
 *   made active (MiInitializePfn: ShareCount 1, ReferenceCount 1, PteFrame the page table,
 *     which gains a share), or in transition for a read (MiInitializeTransitionPfn:
 *     ReadInProgress, ReferenceCount 1 for the I/O, a transition PTE pointing at it);
 *   when its last PTE goes (MiDecrementShareCount) and its last reference
 *     (MiDecrementReferenceCount): a deleted page (freed, or its process gone) to the Free
 *     list; a page that was trimmed to the Modified list if dirty (ModifiedNoWrite when there
 *     is no pagefile to write it to), else to Standby. Its PTE is then a transition PTE and
 *     the page still holds a share of its page table, so that a page table stays resident as
 *     long as any page it maps is in memory.
 *
 * Lists link PFN numbers through u1.Flink/u2.Blink. The Bad list stays empty: nothing reports
 * bad RAM. No hardware access here except through hyperspace (zeroing, restoring a PTE) and
 * reading a page-table frame through the self-map (MiInitializePfn), so the list logic also
 * compiles for the host unit tests (tests/unit/test_pfn.c).
 */
#include "../include/mm.h"

PMMPFN MmPfnDatabase;
PFN_NUMBER MmHighestPhysicalPage;
PFN_NUMBER MmAvailablePages;
ULONG MmPageWaiters;         /* faults waiting for a page (mm/wsmanagr.c) */

MMPFNLIST MmZeroedPageListHead = { 0, ZeroedPageList, LIST_HEAD, LIST_HEAD };
MMPFNLIST MmFreePageListHead = { 0, FreePageList, LIST_HEAD, LIST_HEAD };
MMPFNLIST MmStandbyPageListHead = { 0, StandbyPageList, LIST_HEAD, LIST_HEAD };
MMPFNLIST MmModifiedPageListHead = { 0, ModifiedPageList, LIST_HEAD, LIST_HEAD };
MMPFNLIST MmModifiedNoWritePageListHead = { 0, ModifiedNoWritePageList, LIST_HEAD, LIST_HEAD };
MMPFNLIST MmBadPageListHead = { 0, BadPageList, LIST_HEAD, LIST_HEAD };

PMMPFNLIST MmPageLocationList[8] = {
    &MmZeroedPageListHead, &MmFreePageListHead, &MmStandbyPageListHead,
    &MmModifiedPageListHead, &MmModifiedNoWritePageListHead, &MmBadPageListHead, NULL, NULL,
};

/* Pages on these lists can be handed out without I/O. */
static BOOLEAN MiIsAvailableList(MMLISTS ListName)
{
    return ListName == ZeroedPageList || ListName == FreePageList || ListName == StandbyPageList;
}

/* Zeroed pages go to the head, every other list is FIFO (tail). */
VOID MiInsertPageInList(PMMPFNLIST ListHead, PFN_NUMBER PageFrameIndex)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);

    if (PageFrameIndex > MmHighestPhysicalPage)
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x8C, PageFrameIndex, ListHead->ListName, 0);

    Pfn1->u3.e1.PageLocation = ListHead->ListName;
    if (ListHead->ListName == ZeroedPageList)
    {
        Pfn1->u1.Flink = ListHead->Flink;
        Pfn1->u2.Blink = LIST_HEAD;
        if (ListHead->Flink != LIST_HEAD)
            MI_PFN_ELEMENT(ListHead->Flink)->u2.Blink = PageFrameIndex;
        else
            ListHead->Blink = PageFrameIndex;
        ListHead->Flink = PageFrameIndex;
    }
    else
    {
        Pfn1->u1.Flink = LIST_HEAD;
        Pfn1->u2.Blink = ListHead->Blink;
        if (ListHead->Blink != LIST_HEAD)
            MI_PFN_ELEMENT(ListHead->Blink)->u1.Flink = PageFrameIndex;
        else
            ListHead->Flink = PageFrameIndex;
        ListHead->Blink = PageFrameIndex;
    }
    ListHead->Total++;
    if (MiIsAvailableList(ListHead->ListName))
    {
        MmAvailablePages++;
        if (MmPageWaiters != 0)
            MiWakePageWaiters();   /* a fault waits for a page: it tries again */
    }
}

static VOID MiInsertUnusedPage(PMMPFNLIST ListHead, PFN_NUMBER PageFrameIndex)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);

    Pfn1->u3.ReferenceCount = 0;
    Pfn1->u3.e2.ShortFlags = 0;
    Pfn1->u4.Priority = 3;
    MiInsertPageInList(ListHead, PageFrameIndex);
}

VOID MiInsertPageInFreeList(PFN_NUMBER PageFrameIndex)
{
    MiInsertUnusedPage(&MmFreePageListHead, PageFrameIndex);
}

/* A frame known to hold zeroes without being zeroed: RAM nothing has written since the VM
 * started (mm/mminit.c). */
VOID MiInsertPageInZeroedList(PFN_NUMBER PageFrameIndex)
{
    MiInsertUnusedPage(&MmZeroedPageListHead, PageFrameIndex);
}

/* Take a page off whatever list it is on. */
VOID MiUnlinkPageFromList(PMMPFN Pfn1)
{
    PFN_NUMBER PageFrameIndex = (PFN_NUMBER)(Pfn1 - MmPfnDatabase);
    ULONG Location = Pfn1->u3.e1.PageLocation;
    PMMPFNLIST ListHead;

    if (Location >= ActiveAndValid || (ListHead = MmPageLocationList[Location]) == NULL ||
        ListHead->Total == 0)
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x8F, PageFrameIndex, Location, 0);

    if (Pfn1->u2.Blink != LIST_HEAD)
        MI_PFN_ELEMENT(Pfn1->u2.Blink)->u1.Flink = Pfn1->u1.Flink;
    else
        ListHead->Flink = Pfn1->u1.Flink;
    if (Pfn1->u1.Flink != LIST_HEAD)
        MI_PFN_ELEMENT(Pfn1->u1.Flink)->u2.Blink = Pfn1->u2.Blink;
    else
        ListHead->Blink = Pfn1->u2.Blink;

    ListHead->Total--;
    if (MiIsAvailableList(ListHead->ListName))
        MmAvailablePages--;
    Pfn1->u1.Flink = 0;
    Pfn1->u2.Blink = 0;
    Pfn1->u3.e1.PageLocation = ActiveAndValid;
}

/* Remove the first page of a list; LIST_HEAD if the list is empty. */
PFN_NUMBER MiRemovePageFromList(PMMPFNLIST ListHead)
{
    PFN_NUMBER PageFrameIndex = ListHead->Flink;

    if (PageFrameIndex == LIST_HEAD)
        return LIST_HEAD;
    MiUnlinkPageFromList(MI_PFN_ELEMENT(PageFrameIndex));
    return PageFrameIndex;
}

/* The PTE that maps (or maps in transition) a page, through a hyperspace mapping of its page
 * table, so it may belong to any process. */
PMMPTE MiMapPteOfPage(PMMPFN Pfn1)
{
    PUCHAR Table = MiMapPageInHyperSpace(Pfn1->u4.PteFrame);

    return (PMMPTE)(Table + ((ULONG_PTR)MI_PFN_PTE_ADDRESS(Pfn1) & (PAGE_SIZE - 1)));
}

/*
 * A Standby page is about to be used for something else. Its old PTE, still a transition PTE
 * pointing at it, gets the page's OriginalPte back (where the data lives now: the pagefile
 * slot, the image, or nothing for a clean demand-zero page), and the page table loses the
 * share this page held. The page's PFN is left unlinked, counts zero, for the new user.
 */
VOID MiRestoreTransitionPte(PFN_NUMBER PageFrameIndex)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);
    PFN_NUMBER PteFrame = Pfn1->u4.PteFrame;
    PMMPTE PointerPte;
    MMPTE TempPte;

    if (Pfn1->u3.e1.PrototypePte)
    {
        /* A section page: its prototype PTE is in system space, no page table holds it. */
        PointerPte = MI_PFN_PTE_ADDRESS(Pfn1);
        TempPte = MI_READ_PTE(PointerPte);
        if (TempPte.u.Hard.Valid || !TempPte.u.Soft.Transition ||
            TempPte.u.Trans.PageFrameNumber != PageFrameIndex)
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE,
                         (ULONG_PTR)Pfn1->PteAddress, TempPte.u.Long, PageFrameIndex);
        MI_WRITE_PTE(PointerPte, Pfn1->OriginalPte);
        Pfn1->u3.e1.PrototypePte = 0;
        goto Done;
    }
    PointerPte = MiMapPteOfPage(Pfn1);
    TempPte = MI_READ_PTE(PointerPte);

    if (TempPte.u.Hard.Valid || !TempPte.u.Soft.Transition || TempPte.u.Soft.Prototype ||
        TempPte.u.Trans.PageFrameNumber != PageFrameIndex)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE,
                     (ULONG_PTR)Pfn1->PteAddress, TempPte.u.Long, PageFrameIndex);
    MI_WRITE_PTE(PointerPte, Pfn1->OriginalPte);
    MiUnmapPageInHyperSpace((PVOID)ALIGN_DOWN_BY(PointerPte, PAGE_SIZE));

    /* The page table changed behind the self-map's back: it must be written if it leaves. */
    MI_PFN_ELEMENT(PteFrame)->u3.e1.Modified = 1;
    MiDecrementShareCount(MI_PFN_ELEMENT(PteFrame), PteFrame);

Done:
    Pfn1->PteAddress = NULL;
    Pfn1->OriginalPte.u.Long = 0;
    Pfn1->u3.e1.Modified = 0;
    Pfn1->u4.EntireFrame = 0;
    MmInfoCounters.StandbyReused++;
}

/* The oldest Standby page, its old PTE restored; LIST_HEAD if there is none. */
static PFN_NUMBER MiRemoveStandbyPage(VOID)
{
    PFN_NUMBER PageFrameIndex = MiRemovePageFromList(&MmStandbyPageListHead);

    if (PageFrameIndex != LIST_HEAD)
        MiRestoreTransitionPte(PageFrameIndex);
    return PageFrameIndex;
}

/*
 * A page for any use: Free first, then Zeroed, then the oldest Standby page. The page is
 * returned unlinked, PageLocation ActiveAndValid, counts zero: the caller initializes it.
 * Returns 0 when no page is available (PFN 0 is never handed out); callers check
 * MmAvailablePages first.
 */
PFN_NUMBER MiRemoveAnyPage(VOID)
{
    PFN_NUMBER PageFrameIndex = MiRemovePageFromList(&MmFreePageListHead);

    if (PageFrameIndex == LIST_HEAD)
        PageFrameIndex = MiRemovePageFromList(&MmZeroedPageListHead);
    if (PageFrameIndex == LIST_HEAD)
        PageFrameIndex = MiRemoveStandbyPage();
    return PageFrameIndex == LIST_HEAD ? 0 : PageFrameIndex;
}

/* A page that reads as zeroes: from the Zeroed list, or from Free (then Standby) and zeroed
 * through hyperspace. Returns 0 when no page is available. */
PFN_NUMBER MiRemoveZeroPage(VOID)
{
    PFN_NUMBER PageFrameIndex = MiRemovePageFromList(&MmZeroedPageListHead);

    if (PageFrameIndex != LIST_HEAD)
        return PageFrameIndex;
    PageFrameIndex = MiRemovePageFromList(&MmFreePageListHead);
    if (PageFrameIndex == LIST_HEAD)
        PageFrameIndex = MiRemoveStandbyPage();
    if (PageFrameIndex == LIST_HEAD)
        return 0;
    MiZeroPhysicalPage(PageFrameIndex);
    MmInfoCounters.PagesZeroed++;
    return PageFrameIndex;
}

/* Shared by both initializers: the page becomes active, mapped by one PTE in PteFramePage. */
static VOID MiInitializePfnCommon(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte,
                                  MMPTE OriginalPte, PFN_NUMBER PteFramePage, BOOLEAN Modified)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);

    if (Pfn1->u3.e1.PageLocation != ActiveAndValid || Pfn1->u3.ReferenceCount != 0)
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x9A, PageFrameIndex, Pfn1->u3.e1.PageLocation,
                     Pfn1->u3.ReferenceCount);
    Pfn1->PteAddress = PointerPte;
    Pfn1->OriginalPte = OriginalPte;
    Pfn1->u1.WsIndex = 0;
    Pfn1->u2.ShareCount = 1;
    Pfn1->u3.ReferenceCount = 1;
    Pfn1->u3.e2.ShortFlags = 0;
    Pfn1->u3.e1.PageLocation = ActiveAndValid;
    Pfn1->u3.e1.Modified = Modified ? 1 : 0;
    Pfn1->u4.EntireFrame = 0;
    Pfn1->u4.PteFrame = PteFramePage;

    /* A page table stays alive while it maps pages: each mapped page holds a share of it. */
    if (PteFramePage != PageFrameIndex)
        MI_PFN_ELEMENT(PteFramePage)->u2.ShareCount++;
}

/* The page is about to be mapped by PointerPte of the current address space (whose page table
 * must be valid). OriginalPte is the PTE's current (software) value. */
VOID MiInitializePfn(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte, BOOLEAN Modified)
{
    PMMPTE PointerPtePte = MiAddressToPte(PointerPte);
    MMPTE OriginalPte = MI_READ_PTE(PointerPte);

    if (!PointerPtePte->u.Hard.Valid)
        KeBugCheckEx(MEMORY_MANAGEMENT, 0x61940, (ULONG_PTR)PointerPte,
                     PointerPtePte->u.Long, (ULONG_PTR)MiPteToAddress(PointerPte));
    if (OriginalPte.u.Hard.Valid)
        OriginalPte.u.Long = MM_DEMAND_ZERO_WRITE_PTE;
    MiInitializePfnCommon(PageFrameIndex, PointerPte, OriginalPte,
                          PointerPtePte->u.Hard.PageFrameNumber, Modified);
}

/* A page about to be read for PointerPte (whose current contents, a pagefile or image PTE,
 * become its OriginalPte) in page table PteFramePage: in transition with a read in progress,
 * one reference for the I/O. The caller points the PTE at it with a transition PTE, so that a
 * second fault on it would find the read (a collided fault; none can happen while one process
 * runs at a time without preemption, but the state is NT's, ready for it). */
VOID MiInitializeTransitionPfn(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte, MMPTE OriginalPte,
                               PFN_NUMBER PteFramePage)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);

    /* As an active page, then: no PTE maps it yet (share 0), it is in transition, read. */
    MiInitializePfnCommon(PageFrameIndex, PointerPte, OriginalPte, PteFramePage, FALSE);
    Pfn1->u2.ShareCount = 0;
    Pfn1->u3.e1.PageLocation = TransitionPage;
    Pfn1->u3.e1.ReadInProgress = 1;
}

/* A page taken for memory no working set holds and nothing pages out (a large page's frame,
 * an AWE frame): active with one reference, ShareCount mappings by PointerPte (NULL: none
 * yet) in PteFramePage, whose own share count the caller keeps; dirty, no pagefile copy. */
VOID MiInitializeLockedPfn(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte, PFN_NUMBER PteFramePage,
                           ULONG ShareCount)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);

    Pfn1->PteAddress = PointerPte;
    Pfn1->OriginalPte.u.Long = MM_DEMAND_ZERO_WRITE_PTE;
    Pfn1->u1.WsIndex = 0;
    Pfn1->u2.ShareCount = ShareCount;
    Pfn1->u3.ReferenceCount = 1;
    Pfn1->u3.e2.ShortFlags = 0;
    Pfn1->u3.e1.PageLocation = ActiveAndValid;
    Pfn1->u3.e1.Modified = 1;
    Pfn1->u4.EntireFrame = 0;
    Pfn1->u4.PteFrame = PteFramePage;
}

/* The page will be mapped by PointerPte (an address as seen inside another process) in the
 * page PteFramePage. Used while building a new address space. */
VOID MiInitializePfnForOtherProcess(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte,
                                    PFN_NUMBER PteFramePage)
{
    MMPTE OriginalPte;

    OriginalPte.u.Long = MM_DEMAND_ZERO_WRITE_PTE;
    MiInitializePfnCommon(PageFrameIndex, PointerPte, OriginalPte, PteFramePage, TRUE);
}

/* One PTE less maps the page. At zero the page is no longer mapped anywhere: drop the
 * reference its mapping held. */
VOID MiDecrementShareCount(PMMPFN Pfn1, PFN_NUMBER PageFrameIndex)
{
    if (Pfn1->u2.ShareCount == 0 || Pfn1->u3.e1.PageLocation != ActiveAndValid)
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x99, PageFrameIndex, Pfn1->u3.e1.PageLocation,
                     Pfn1->u2.ShareCount);
    Pfn1->u2.ShareCount--;
    if (Pfn1->u2.ShareCount == 0)
    {
        Pfn1->u3.e1.PageLocation = TransitionPage;
        MiDecrementReferenceCount(Pfn1, PageFrameIndex);
    }
}

/* The last reference gone: a deleted page is free; a page someone may still fault back in
 * goes to the Modified (dirty) or Standby (clean) list. */
VOID MiDecrementReferenceCount(PMMPFN Pfn1, PFN_NUMBER PageFrameIndex)
{
    if (Pfn1->u3.ReferenceCount == 0)
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x8D, PageFrameIndex, Pfn1->u3.e1.PageLocation, 0);
    Pfn1->u3.ReferenceCount--;
    if (Pfn1->u3.ReferenceCount != 0)
        return;
    if (Pfn1->u2.ShareCount != 0)
        KeBugCheckEx(PFN_LIST_CORRUPT, 7, PageFrameIndex, Pfn1->u2.ShareCount, 0);

    if (MI_IS_PFN_DELETED(Pfn1))
        MiInsertPageInFreeList(PageFrameIndex);
    else if (Pfn1->u3.e1.Modified)
        /* A mapped file's page goes back to its file, with or without a pagefile. */
        MiInsertPageInList(MmPagingFile.Size > 1 || MI_IS_FILE_BACKED_PFN(Pfn1)
                               ? &MmModifiedPageListHead : &MmModifiedNoWritePageListHead,
                           PageFrameIndex);
    else
        MiInsertPageInList(&MmStandbyPageListHead, PageFrameIndex);
}

/*
 * One process PTE in page table Table stops mapping a prototype page (a section's or a clone
 * block's): Dirty is the PTE's Dirty bit, which goes to the PFN (a pagefile copy is stale then
 * and released). The table loses the share the PTE held, the page one share; the last share
 * gone, the prototype PTE becomes a transition PTE and the page goes to the Modified or
 * Standby list (MiDecrementShareCount).
 */
VOID MiDecrementPrototypeShare(PFN_NUMBER PageFrameIndex, PFN_NUMBER Table, BOOLEAN Dirty)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);
    ULONG Original = Pfn1->OriginalPte.u.Long;

    if (!Pfn1->u3.e1.PrototypePte)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_SHARE_COUNT, PageFrameIndex,
                     Pfn1->u2.ShareCount, 0);
    if (Dirty && !Pfn1->u3.e1.Modified)
    {
        Pfn1->u3.e1.Modified = 1;
        if (MI_PTE_HAS_PAGEFILE_SLOT(Original))
        {
            MiReleasePageFileSpace(Pfn1->OriginalPte);
            Pfn1->OriginalPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(MI_PTE_PROTECTION(Original));
        }
    }
    MiDecrementShareCount(MI_PFN_ELEMENT(Table), Table);
    if (Pfn1->u2.ShareCount == 1)
        MI_WRITE_PTE(MI_PFN_PTE_ADDRESS(Pfn1),
                     (MMPTE){ { MI_MAKE_TRANSITION_PTE(
                                    PageFrameIndex,
                                    MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long)) } });
    MiDecrementShareCount(Pfn1, PageFrameIndex);
}

/* Walk every list: links, locations and totals must agree. Returns the pages on lists. */
ULONG MiCheckPfnLists(VOID)
{
    ULONG List, Pages = 0;

    for (List = ZeroedPageList; List <= BadPageList; List++)
    {
        PMMPFNLIST ListHead = MmPageLocationList[List];
        PFN_NUMBER Page = ListHead->Flink, Previous = LIST_HEAD;
        ULONG Count = 0;

        while (Page != LIST_HEAD)
        {
            PMMPFN Pfn1;

            if (Page > MmHighestPhysicalPage || Count > ListHead->Total)
                KeBugCheckEx(PFN_LIST_CORRUPT, 0x100 + List, Page, Count, ListHead->Total);
            Pfn1 = MI_PFN_ELEMENT(Page);
            if (Pfn1->u3.e1.PageLocation != List || Pfn1->u2.Blink != Previous)
                KeBugCheckEx(PFN_LIST_CORRUPT, 0x110 + List, Page, Pfn1->u3.e1.PageLocation,
                             Pfn1->u2.Blink);
            Previous = Page;
            Page = Pfn1->u1.Flink;
            Count++;
        }
        if (Count != ListHead->Total || ListHead->Blink != Previous)
            KeBugCheckEx(PFN_LIST_CORRUPT, 0x120 + List, Count, ListHead->Total,
                         ListHead->Blink);
        Pages += Count;
    }
    if (MmAvailablePages != MmZeroedPageListHead.Total + MmFreePageListHead.Total +
                            MmStandbyPageListHead.Total)
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x130, MmAvailablePages, MmZeroedPageListHead.Total,
                     MmFreePageListHead.Total);
    return Pages;
}
