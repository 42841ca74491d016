/*
 * pfnlist.c - the PFN database's page lists (NT's MMPFNLIST heads: Zeroed, Free, Standby,
 * Modified, ModifiedNoWrite, Bad) and the life of a page: taken from a list (MiRemoveAnyPage,
 * MiRemoveZeroPage), made active (MiInitializePfn), and when its last PTE and reference go
 * (MiDecrementShareCount, MiDecrementReferenceCount) put back on a list. A deleted page (its
 * process is gone) goes to the Free list. Lists link PFN numbers through u1.Flink/u2.Blink.
 *
 * No hardware access here except zeroing through hyperspace and reading a page-table frame
 * through the self-map, so the list logic can also be compiled for host unit tests.
 */
#include "mm.h"

PMMPFN MmPfnDatabase;
PFN_NUMBER MmHighestPhysicalPage;
PFN_NUMBER MmAvailablePages;

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
        MmAvailablePages++;
}

VOID MiInsertPageInFreeList(PFN_NUMBER PageFrameIndex)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);

    Pfn1->u3.ReferenceCount = 0;
    Pfn1->u3.e1.Modified = 0;
    Pfn1->u3.e1.PrototypePte = 0;
    Pfn1->u4.Priority = 3;
    MiInsertPageInList(&MmFreePageListHead, PageFrameIndex);
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

/*
 * A page for any use: Free first, then Zeroed (standby reuse comes with paging). The page is
 * returned unlinked, PageLocation ActiveAndValid, counts zero: the caller initializes it.
 * Returns 0 when no page is available (PFN 0 is never handed out); callers check
 * MmAvailablePages first.
 */
PFN_NUMBER MiRemoveAnyPage(VOID)
{
    PFN_NUMBER PageFrameIndex = MiRemovePageFromList(&MmFreePageListHead);

    if (PageFrameIndex == LIST_HEAD)
        PageFrameIndex = MiRemovePageFromList(&MmZeroedPageListHead);
    return PageFrameIndex == LIST_HEAD ? 0 : PageFrameIndex;
}

/* A page that reads as zeroes: from the Zeroed list, or from Free and zeroed through
 * hyperspace. Returns 0 when no page is available. */
PFN_NUMBER MiRemoveZeroPage(VOID)
{
    PFN_NUMBER PageFrameIndex = MiRemovePageFromList(&MmZeroedPageListHead);

    if (PageFrameIndex != LIST_HEAD)
        return PageFrameIndex;
    PageFrameIndex = MiRemovePageFromList(&MmFreePageListHead);
    if (PageFrameIndex == LIST_HEAD)
        return 0;
    MiZeroPhysicalPage(PageFrameIndex);
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
    Pfn1->u3.e1.PageLocation = ActiveAndValid;
    Pfn1->u3.e1.Modified = Modified ? 1 : 0;
    Pfn1->u3.e1.PrototypePte = 0;
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
        MiInsertPageInList(&MmModifiedPageListHead, PageFrameIndex);
    else
        MiInsertPageInList(&MmStandbyPageListHead, PageFrameIndex);
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
