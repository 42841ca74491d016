/*
 * modwrite.c - the modified page writer: Modified pages (dirty pages that left a working set)
 * go to the pagefile in clusters, then to the Standby list, from where they can be taken back
 * by a soft fault or reused for something else (their PTE then becomes a pagefile PTE, see
 * MiRestoreTransitionPte).
 *
 * NT runs it as a system thread woken when the Modified list passes MmModifiedPageMaximum or
 * free pages run low; pagevisor has no threads yet, so it runs inline at the same moments:
 * before a fault takes pages (mm/wsmanagr.c, MiEnsureAvailablePages). One pass writes from the
 * head of the Modified list (the oldest) until the list is down to Target:
 *
 *   up to PV_PAGEFILE_CLUSTER_MAX (16) pages at a time, sorted by the address of their PTE (so
 *   by virtual address: pages next to each other in a process land next to each other in the
 *   pagefile, which is what lets a later page-in read them as one cluster), into a run of
 *   contiguous free slots (mm/pagefile.c; a shorter run when no long one is free), with one
 *   PV_HC_PAGEFILE_IO call. While the call runs each page is off every list, WriteInProgress,
 *   with one reference for the I/O (a fault on it would be a collided fault; none can happen
 *   yet, nothing runs during the call).
 *   Written pages: OriginalPte becomes the pagefile PTE (slot, protection), Modified clears,
 *   the I/O reference goes and the page lands on the Standby list.
 *   A failed write (the host reports PV_EIO after `done` pages): the pages it wrote are fine;
 *   the slot of the page that failed is marked bad (never used again); the later pages' slots
 *   go back; those pages stay dirty and go back to the Modified list, to be written again, to
 *   other slots, by a later pass. Nothing is lost: the data never left RAM. The pass stops
 *   there, so a pagefile that fails every write cannot keep the writer spinning.
 *
 * Pagefile full: the Modified pages wait on their list (soft faults still bring them back) until
 * slots are freed; pages are found for faults by trimming clean ones meanwhile. The commit
 * limit counts RAM (less a reserve) plus the pagefile, so what is committed always fits in the
 * two together. The host's file system full (PV_ENOSPC) is another matter: see
 * MiPagefileHostFull. Without a pagefile at all there is nothing to write: dirty pages leaving a
 * working set go to the ModifiedNoWrite list instead (pfnlist.c) and only a soft fault brings
 * them back.
 */
#include "mm.h"
#include "hv.h"
#include "ps.h"

MMINFO_COUNTERS MmInfoCounters;
ULONG MmModifiedPageMaximum = 100, MmModifiedPageMinimum = 40;

/* Take up to Count pages bound for the pagefile off the Modified list, oldest first, for
 * writing, sorted by PTE address (a mapped file's pages stay: they go to their file). */
static ULONG MiGatherModifiedPages(PPFN_NUMBER Pages, ULONG Count)
{
    PFN_NUMBER Page = MmModifiedPageListHead.Flink, Next;
    ULONG n = 0, i;

    for (; n < Count && Page != LIST_HEAD; Page = Next)
    {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

        Next = Pfn1->u1.Flink;
        if (MI_IS_FILE_BACKED_PFN(Pfn1))
            continue;
        MiUnlinkPageFromList(Pfn1);
        Pfn1->u3.ReferenceCount = 1;           /* the I/O's */
        Pfn1->u3.e1.PageLocation = TransitionPage;
        Pfn1->u3.e1.WriteInProgress = 1;
        /* Insertion sort by PteAddress: at most 16 pages. */
        for (i = n; i > 0 && MI_PFN_ELEMENT(Pages[i - 1])->PteAddress > Pfn1->PteAddress; i--)
            Pages[i] = Pages[i - 1];
        Pages[i] = Page;
        n++;
    }
    return n;
}

/* Write one cluster: FALSE when nothing could be written (no slot) or the write failed. */
static BOOLEAN MiWriteModifiedCluster(PULONG Written)
{
    PFN_NUMBER Pages[PV_PAGEFILE_CLUSTER_MAX];
    ULONG Wanted = MmModifiedPageListHead.Total, Slot, Count, Done = 0, i;
    LONG Result;

    if (Wanted > PV_PAGEFILE_CLUSTER_MAX)
        Wanted = PV_PAGEFILE_CLUSTER_MAX;
    Count = MiAllocatePagefileSlots(Wanted, &Slot);
    if (Count == 0)
        return FALSE;   /* the pagefile is full: the pages wait */
    Done = MiGatherModifiedPages(Pages, Count);
    for (i = Done; i < Count; i++)
        MiReleasePagefileSlot(Slot + i);   /* fewer pagefile pages than slots taken */
    Count = Done;
    Done = 0;
    if (Count == 0)
        return FALSE;

    Result = HvPagefileIo(PV_PAGEFILE_WRITE, Slot, Count, Pages, &Done);
    MmInfoCounters.DirtyWriteIoCount++;
    for (i = 0; i < Count; i++)
    {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Pages[i]);
        ULONG Protection = MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long);

        Pfn1->u3.e1.WriteInProgress = 0;
        if (Result == PV_OK || i < Done)
        {
            Pfn1->OriginalPte.u.Long = MI_MAKE_PAGEFILE_PTE(0, Slot + i, Protection);
            Pfn1->u3.e1.Modified = 0;
            MmInfoCounters.DirtyPagesWritten++;
            (*Written)++;
        }
        else if (i == Done && Result == PV_EIO)
        {
            MiMarkPagefileSlotBad(Slot + i);   /* PV_ENOSPC: the slot is fine, it goes back */
        }
        else
        {
            MiReleasePagefileSlot(Slot + i);
        }
        MiDecrementReferenceCount(Pfn1, Pages[i]);   /* to Standby, or back to Modified */
    }
    if (Result != PV_OK)
    {
        MmInfoCounters.WriteFailures++;
        MmPagingFile.LastWriteStatus = Result;
        if (Result == PV_ENOSPC)
            MiPagefileHostFull(Slot + Done, Count - Done);
        else
            DbgPrint("mm: pagefile write of slots %u-%u failed (%d) after %u pages: slot %u "
                     "marked bad, %u pages stay modified\n", Slot, Slot + Count - 1,
                     (int)Result, Done, Slot + Done, Count - Done);
        return FALSE;
    }
    return TRUE;
}

/*
 * The host's file system is full (PV_ENOSPC): the pagefile cannot grow past the slots it
 * holds. Those are what it is worth now, so the commit limit shrinks to the RAM part plus the
 * slots in use (commitment already given stays given; new commits past the limit fail with
 * STATUS_COMMITMENT_LIMIT). The pages stay Modified, in RAM; slots that come free were written
 * before and can be written again, so the writer keeps trying. If memory runs out meanwhile,
 * a fault that cannot get a page fails with STATUS_COMMITMENT_LIMIT (MmResolvePageWaitDeadlock).
 */
VOID MiPagefileHostFull(ULONG Slot, ULONG Pages)
{
    ULONG RamPart = MmTotalCommitLimit - MmPagingFile.CommitSlots, Limit;

    MmInfoCounters.PagefileFullWrites++;
    if (MmPagingFile.HostFull)
        return;
    MmPagingFile.HostFull = TRUE;
    Limit = RamPart + MmPagingFile.InUse;
    DbgPrint("mm: the host's file system is full at pagefile slot %u: %u pages stay modified; "
             "commit limit %u -> %u pages (%u committed)\n", Slot, Pages, MmTotalCommitLimit,
             Limit < MmTotalCommitLimit ? Limit : MmTotalCommitLimit, MmTotalCommittedPages);
    if (Limit < MmTotalCommitLimit)
    {
        MmPagingFile.CommitSlots = MmPagingFile.InUse;
        MmTotalCommitLimit = Limit;
    }
}

ULONG MiModifiedPageWriter(ULONG Target)
{
    /* Mapped files' pages to their files first (mm/section.c), then the pagefile's. */
    ULONG Written = MiMappedPageWriter(Target);

    if (MmPagingFile.Size <= 1)
        return Written;
    while (MmModifiedPageListHead.Total > Target)
    {
        if (!MiWriteModifiedCluster(&Written))
            break;
    }
    return Written;
}
