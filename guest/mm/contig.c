/*
 * contig.c - making an aligned run of physical frames free, for a large page: the search for
 * the run that costs least to clear, and the page relocation that clears it (the "soft fault"
 * page migration: a resident page moves to another frame, its PTE and PFN follow, nothing is
 * read or written to disk and the process sees nothing but a TB miss).
 *
 * A frame of a candidate run is, by its PFN:
 *   free      on the Zeroed, Free or Standby list: taken off (a Standby page's old PTE gets
 *             its OriginalPte back first, as when any Standby page is reused);
 *   movable   an active private user page (mapped by one PTE of a user page table, share
 *             and reference count 1, no I/O, not AWE), a page of a working-set list but its
 *             first, or a user page table (its PDE below the system PDEs, not a large PDE):
 *             copied to a frame outside the run, its PTE or PDE rewritten, its PFN moved (a
 *             page table's pages get the new PteFrame);
 *   fixed     anything else (the kernel, nonpaged memory, page directories, hyperspace,
 *             working-set lists, section pages, Modified pages, pages under I/O, AWE frames,
 *             large pages): the run cannot be used.
 * The search looks at every aligned run (highest first: low memory holds the kernel) and
 * takes the one with the fewest movable frames, if there are enough frames outside it to
 * move them to. Nothing changes until a run has been chosen and found possible.
 *
 * The host unit test (tests/unit/test_contig.c) runs this file on a small PFN database.
 */
#include "../include/mm.h"

ULONG MmPagesRelocated;     /* since boot */
BOOLEAN MiLogRunSearch = TRUE;   /* say why each run was passed over (the verbose log) */

/* How many frames a clearing leaves available besides the run itself, so that moving its
 * pages does not leave the system without any (a variable: the host test's RAM is small). */
ULONG MiRelocationReserve = 64;

static BOOLEAN MiIsUserPteAddress(ULONG_PTR PteAddress)
{
    return PteAddress >= PTE_BASE && PteAddress < PTE_BASE + MI_FIRST_SYSTEM_PDE * PAGE_SIZE;
}

static BOOLEAN MiIsUserPdeAddress(ULONG_PTR PteAddress)
{
    return PteAddress >= PDE_BASE && PteAddress < PDE_BASE + MI_FIRST_SYSTEM_PDE * sizeof(MMPTE);
}

/* A page of a working-set list past its first (which the process keeps by frame number,
 * EPROCESS.WorkingSetPage): reached only through its hyperspace address, so it can move. */
static BOOLEAN MiIsWorkingSetListPte(ULONG_PTR PteAddress)
{
    ULONG_PTR First = (ULONG_PTR)MiAddressToPte(MI_WORKING_SET_LIST);

    return PteAddress > First && PteAddress < MI_PTE_VA(HYPER_SPACE) + PAGE_SIZE;
}

static PCSTR MiPageLocationName(ULONG Location)
{
    static const PCSTR Names[] = { "zeroed", "free", "standby", "modified",
                                   "modified-no-write", "bad", "active", "in transition" };

    return Location < sizeof(Names) / sizeof(Names[0]) ? Names[Location] : "?";
}

/* What Page is, for a run that wants it (see the top of the file). */
MI_RUN_PAGE MiClassifyRunPage(PFN_NUMBER Page)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
    ULONG_PTR PteAddress;
    PMMPTE PointerPte;
    MMPTE TempPte;

    switch (Pfn1->u3.e1.PageLocation)
    {
    case ZeroedPageList:
    case FreePageList:
    case StandbyPageList:
        return MiRunPageFree;
    case ActiveAndValid:
        break;
    default:
        return MiRunPageFixed;
    }
    PteAddress = (ULONG_PTR)Pfn1->PteAddress;
    if (Pfn1->u2.ShareCount == 0 || Pfn1->u3.ReferenceCount != 1 || Pfn1->u4.AweAllocation ||
        Pfn1->u3.e1.PrototypePte || Pfn1->u3.e1.ReadInProgress ||
        Pfn1->u3.e1.WriteInProgress || (PteAddress & 1) || Pfn1->u4.PteFrame == 0)
        return MiRunPageFixed;
    if (MiIsUserPteAddress(PteAddress) || MiIsWorkingSetListPte(PteAddress))
    {
        if (Pfn1->u2.ShareCount != 1)
            return MiRunPageFixed;
    }
    else if (!MiIsUserPdeAddress(PteAddress))
    {
        return MiRunPageFixed;
    }
    /* The PTE (or PDE) must map this very frame, and not as a large page. */
    PointerPte = MiMapPteOfPage(Pfn1);
    TempPte = MI_READ_PTE(PointerPte);
    MiUnmapPageInHyperSpace((PVOID)ALIGN_DOWN_BY(PointerPte, PAGE_SIZE));
    if (!TempPte.u.Hard.Valid || TempPte.u.Hard.PageFrameNumber != Page ||
        TempPte.u.Hard.LargePage)
        return MiRunPageFixed;
    return MiRunPageMovable;
}

/*
 * The aligned run of Pages frames (a power of two) that is cheapest to clear, other than the
 * NExclude runs already chosen (whose clearing needs Needed available pages): *First its
 * first frame, *Movable how many of its frames would move, *Needed grown by what clearing it
 * takes from the available pages (its free frames, and a frame outside it per page moved).
 * FALSE when every run holds a fixed frame, or there are not enough available pages.
 */
BOOLEAN MiFindContiguousRun(ULONG Pages, const PFN_NUMBER *Exclude, ULONG NExclude,
                            PULONG Needed, PPFN_NUMBER First, PULONG Movable)
{
    PFN_NUMBER Start, Page, Best = 0;
    ULONG BestMovable = ~0u, BestCost = 0, Free, Moving, i;
    BOOLEAN Found = FALSE;

    if (MmHighestPhysicalPage + 1 < Pages)
        return FALSE;
    for (Start = ALIGN_DOWN_BY(MmHighestPhysicalPage + 1 - Pages, Pages);; Start -= Pages)
    {
        for (i = 0; i < NExclude && Exclude[i] != Start; i++)
            ;
        Free = Moving = 0;
        for (Page = Start; i == NExclude && Page < Start + Pages; Page++)
        {
            MI_RUN_PAGE Kind = Page == 0 ? MiRunPageFixed : MiClassifyRunPage(Page);

            if (Kind == MiRunPageFixed)
            {
                PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

                if (MiLogRunSearch)
                    DbgPrint("mm: run 0x%X-0x%X: frame 0x%X cannot move (%s, PTE at "
                             "0x%08X, share %u, references %u, flags 0x%X)\n", Start,
                             Start + Pages - 1, Page,
                             MiPageLocationName(Pfn1->u3.e1.PageLocation),
                             (ULONG)(ULONG_PTR)Pfn1->PteAddress, (ULONG)Pfn1->u2.ShareCount,
                             Pfn1->u3.ReferenceCount, Pfn1->u3.e2.ShortFlags);
                break;
            }
            if (Kind == MiRunPageFree)
                Free++;
            else
                Moving++;
        }
        if (i == NExclude && Page == Start + Pages && Moving < BestMovable &&
            MmAvailablePages >= *Needed + Free + Moving + MiRelocationReserve)
        {
            Best = Start;
            BestMovable = Moving;
            BestCost = Free + Moving;
            Found = TRUE;
        }
        if (Start == 0 || BestMovable == 0)
            break;
    }
    *First = Best;
    *Movable = Found ? BestMovable : 0;
    if (Found)
        *Needed += BestCost;
    return Found;
}

/* Copies one frame into another through hyperspace. */
static VOID MiCopyPhysicalPage(PFN_NUMBER To, PFN_NUMBER From)
{
    PULONG Destination = MiMapPageInHyperSpace(To);
    PULONG Source = MiMapPageInHyperSpace(From);
    ULONG i;

    for (i = 0; i < PAGE_SIZE / sizeof(ULONG); i++)
        Destination[i] = Source[i];
    MiUnmapPageInHyperSpace(Source);
    MiUnmapPageInHyperSpace(Destination);
}

/* A page table moved: the resident pages it maps (valid or transition PTEs) name it as their
 * PteFrame. */
static VOID MiRetargetPageTable(PFN_NUMBER NewTable, PFN_NUMBER OldTable)
{
    PMMPTE Table = MiMapPageInHyperSpace(NewTable);
    ULONG i;

    for (i = 0; i < PTE_PER_PAGE; i++)
    {
        MMPTE TempPte = MI_READ_PTE(&Table[i]);
        PFN_NUMBER Frame;

        if (TempPte.u.Hard.Valid)
            Frame = TempPte.u.Hard.PageFrameNumber;
        else if (mi_pte_kind(TempPte.u.Long) == MI_PTE_TRANSITION)
            Frame = TempPte.u.Trans.PageFrameNumber;
        else
            continue;
        if (Frame <= MmHighestPhysicalPage && MI_PFN_ELEMENT(Frame)->u4.PteFrame == OldTable)
            MI_PFN_ELEMENT(Frame)->u4.PteFrame = NewTable;
    }
    MiUnmapPageInHyperSpace(Table);
}

/*
 * Moves the movable page Old to a frame taken from the lists (outside the run: its free
 * frames are off the lists by now). The PTE (or PDE) keeps its bits with the new frame; the
 * PFN goes with the page; Old is left unlinked, ActiveAndValid with zero counts, for the
 * caller. The TB is the caller's to flush (once, after every move).
 */
PFN_NUMBER MiRelocatePage(PFN_NUMBER Old, PMI_RELOCATION Record)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Old);
    BOOLEAN IsTable = MiIsUserPdeAddress((ULONG_PTR)Pfn1->PteAddress);
    PFN_NUMBER New = MiRemoveAnyPage();
    PMMPTE PointerPte;
    MMPTE TempPte;

    if (New == 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_OUT_OF_PAGES, MmAvailablePages, Old, 0);
    MiCopyPhysicalPage(New, Old);
    *MI_PFN_ELEMENT(New) = *Pfn1;
    PointerPte = MiMapPteOfPage(Pfn1);
    TempPte = MI_READ_PTE(PointerPte);
    Record->PteAddress = (ULONG_PTR)Pfn1->PteAddress;
    Record->DirectoryFrame = IsTable ? Pfn1->u4.PteFrame : 0;
    Record->TableFrame = IsTable ? 0 : Pfn1->u4.PteFrame;
    Record->PteBefore = TempPte.u.Long;
    TempPte.u.Hard.PageFrameNumber = New;
    MI_WRITE_PTE(PointerPte, TempPte);
    Record->PteAfter = TempPte.u.Long;
    MiUnmapPageInHyperSpace((PVOID)ALIGN_DOWN_BY(PointerPte, PAGE_SIZE));
    if (IsTable)
        MiRetargetPageTable(New, Old);

    Pfn1->PteAddress = NULL;
    Pfn1->OriginalPte.u.Long = 0;
    Pfn1->u1.Flink = 0;
    Pfn1->u2.ShareCount = 0;
    Pfn1->u3.ReferenceCount = 0;
    Pfn1->u3.e2.ShortFlags = 0;
    Pfn1->u3.e1.PageLocation = ActiveAndValid;
    Pfn1->u4.EntireFrame = 0;
    Record->OldFrame = Old;
    Record->NewFrame = New;
    Record->PageTable = IsTable;
    MmPagesRelocated++;
    return New;
}

/*
 * Clears the run [First, First + Pages) that MiFindContiguousRun chose: its free frames come
 * off their lists, then its movable pages move out (each reported to Moved, which may be
 * NULL). Every frame is then unlinked, ActiveAndValid with zero counts, for the caller.
 * Returns the pages moved.
 */
ULONG MiClaimContiguousRun(PFN_NUMBER First, ULONG Pages,
                           VOID (*Moved)(const MI_RELOCATION *Record))
{
    PFN_NUMBER Page;
    ULONG Count = 0;

    for (Page = First; Page < First + Pages; Page++)
    {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
        ULONG Location = Pfn1->u3.e1.PageLocation;

        if (Location == ZeroedPageList || Location == FreePageList || Location == StandbyPageList)
        {
            MiUnlinkPageFromList(Pfn1);
            if (Location == StandbyPageList)
                MiRestoreTransitionPte(Page);
            Pfn1->u3.e1.PageLocation = ActiveAndValid;
        }
    }
    for (Page = First; Page < First + Pages; Page++)
    {
        MI_RELOCATION Record;

        if (MI_PFN_ELEMENT(Page)->u3.ReferenceCount == 0)
            continue;                       /* one that was free */
        (void)MiRelocatePage(Page, &Record);
        Count++;
        if (Moved != NULL)
            Moved(&Record);
    }
    return Count;
}
