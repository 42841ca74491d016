/*
 * wsmanagr.c - working sets: which valid pages a process has, how many it may have, and which
 * leave first (the list itself is mm/wslist.c; include/ws.h says how it is kept).
 *
 *   Joining: every page the fault path makes valid for a process (and every user page table)
 *     joins its working set as the newest entry (MiAddToWorkingSet).
 *   Replacement, NT 3.x/4.0 style local FIFO: a process at its maximum that faults loses its
 *     oldest page first. A user page table that still maps resident pages (share count above
 *     1) or that the fault path holds (reference count above 1) cannot leave: it is made the
 *     newest entry instead and the next oldest is looked at.
 *   Leaving (MiRemovePageFromWorkingSet): the PTE becomes a transition PTE with the page's
 *     protection, the page keeps its frame and its share of the page table, and goes to the
 *     Modified list if it is dirty (the PTE's Dirty bit, or a page that never reached the
 *     pagefile since it was last written), else to Standby. A dirty page that had a pagefile
 *     slot gives the slot back (what is there is stale); a dirty image page becomes private
 *     (it will go to the pagefile, never back to the image file).
 *   Trimming when free pages run low (MiEnsureAvailablePages, NT's MmWorkingSetManager with
 *     MmMinimumFreePages): before a fault takes pages, if fewer than MmMinimumFreePages plus
 *     what it needs are available (Zeroed + Free + Standby), then in this order, until enough
 *     are: the modified page writer writes a cluster when a cluster's worth (16) is Modified;
 *     the current process loses its oldest pages, MI_TRIM_BATCH (32) at a time, down to its
 *     minimum (and never its MI_FAULT_KEEP_NEWEST newest), then the other processes down to
 *     theirs (clean pages are available at once, dirty ones once written); the writer writes
 *     whatever is Modified; then, only if the fault's own pages are still missing, the other
 *     processes go below their minimums; the current one never does, its fault waits for a
 *     page instead (see MiEnsureAvailablePages: forward progress, and MiWaitForAvailablePages;
 *     a wait nobody can end is NO_PAGES_AVAILABLE). So a process that only reads causes no
 *     pagefile writes. Independently the writer runs whenever the Modified list
 *     reaches MmModifiedPageMaximum, down to MmModifiedPageMinimum.
 *
 * Limits are in pages. Defaults: minimum MmWorkingSetMinimumDefault (NT's 20), maximum
 * MmWorkingSetMaximumDefault (all that is available after boot, so that by default only a
 * shortage of free pages trims); the kernel command line sets them for a run (pv.wsmin=N,
 * pv.wsmax=N), PvSetWorkingSetLimits for the calling process.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"

PMMWSL MmWorkingSetList = (PMMWSL)MI_WORKING_SET_LIST;

ULONG MmMaximumWorkingSetSize;
ULONG MmWorkingSetMinimumDefault = 20;
ULONG MmWorkingSetMaximumDefault;

PMMSUPPORT MiGetCurrentWorkingSet(VOID)
{
    return &PsGetCurrentProcess()->Ws;
}

/* A new process: its list in the page MmCreateProcessAddressSpace made for it (not attached:
 * reached through hyperspace), the run's default limits. */
VOID MiInitializeWorkingSet(PEPROCESS Process, PFN_NUMBER WsListPage)
{
    PMMWSL Wsl = MiMapPageInHyperSpace(WsListPage);

    MiInitializeWsl(Wsl, MI_WSL_CAPACITY(PAGE_SIZE));
    MiUnmapPageInHyperSpace(Wsl);
    Process->Ws.VmWorkingSetList = MmWorkingSetList;
    Process->Ws.WslPages = 1;
    Process->Ws.MinimumWorkingSetSize = MmWorkingSetMinimumDefault;
    Process->Ws.MaximumWorkingSetSize = MmWorkingSetMaximumDefault;
    Process->Ws.PeakWorkingSetSize = 0;
    Process->Ws.PagesReplaced = Process->Ws.PagesTrimmed = 0;
}

/* One more page for the list, in hyperspace after the ones it has. */
static BOOLEAN MiGrowWorkingSetList(PMMSUPPORT Ws)
{
    ULONG Va = MI_WORKING_SET_LIST + Ws->WslPages * PAGE_SIZE;
    PMMPTE PointerPte = MiAddressToPte(Va);
    PFN_NUMBER Page;

    if (Va > HYPER_SPACE_END - PAGE_SIZE + 1 || MmAvailablePages == 0)
        return FALSE;
    Page = MiRemoveZeroPage();
    if (Page == 0)
        return FALSE;
    MI_WRITE_PTE(PointerPte, (MMPTE){ { MM_DEMAND_ZERO_WRITE_PTE } });
    MiInitializePfn(Page, PointerPte, TRUE);
    MI_WRITE_PTE(PointerPte, MI_MAKE_PTE(ValidKernelPteLocal, Page));
    __invlpg((PVOID)Va);
    Ws->WslPages++;
    MiGrowWsl(Ws->VmWorkingSetList, MI_WSL_CAPACITY(Ws->WslPages * PAGE_SIZE));
    return TRUE;
}

/* Leaves the list's first page (MmDeleteProcessAddressSpace frees it) and an empty list. */
VOID MiDeleteWorkingSetList(PEPROCESS Process)
{
    PMMSUPPORT Ws = &Process->Ws;
    ULONG i;

    for (i = Ws->WslPages; i-- > 1;)
    {
        ULONG Va = MI_WORKING_SET_LIST + i * PAGE_SIZE;
        PMMPTE PointerPte = MiAddressToPte(Va);
        PFN_NUMBER Page = PointerPte->u.Hard.PageFrameNumber;
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
        PFN_NUMBER PteFrame = Pfn1->u4.PteFrame;

        MI_WRITE_PTE(PointerPte, (MMPTE){ { 0 } });
        __invlpg((PVOID)Va);
        MI_SET_PFN_DELETED(Pfn1);
        MiDecrementShareCount(Pfn1, Page);
        MiDecrementShareCount(MI_PFN_ELEMENT(PteFrame), PteFrame);
    }
    Ws->WslPages = 1;
    MiInitializeWsl(Ws->VmWorkingSetList, MI_WSL_CAPACITY(PAGE_SIZE));
}

/* The entry's page, checked against its PTE and PFN. */
static PMMPFN MiWsleToPfn(PMMWSL Wsl, ULONG Index, PMMPTE *PointerPte, PMMPTE TempPte)
{
    ULONG Va = Wsl->Wsle[Index].VirtualAddress & ~MI_WSLE_FLAGS;
    PMMPFN Pfn1;

    *PointerPte = MiAddressToPte(Va);
    *TempPte = MI_READ_PTE(*PointerPte);
    if (!TempPte->u.Hard.Valid || TempPte->u.Hard.PageFrameNumber > MmHighestPhysicalPage)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_WORKING_SET, Index, Va, TempPte->u.Long);
    Pfn1 = MI_PFN_ELEMENT(TempPte->u.Hard.PageFrameNumber);
    /* A section page (PrototypePte) may be in several working sets, or twice in one: its
     * PteAddress is its prototype PTE and its WsIndex means nothing. */
    if ((!Pfn1->u3.e1.PrototypePte &&
         (Pfn1->u1.WsIndex != Index || MI_PFN_PTE_ADDRESS(Pfn1) != *PointerPte)) ||
        Pfn1->u3.e1.PageLocation != ActiveAndValid)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_WORKING_SET, Index, Va,
                     TempPte->u.Hard.PageFrameNumber);
    return Pfn1;
}

VOID MiRemovePageFromWorkingSet(PMMSUPPORT Ws, ULONG WsIndex)
{
    PMMWSL Wsl = Ws->VmWorkingSetList;
    ULONG Entry = Wsl->Wsle[WsIndex].VirtualAddress, Va = Entry & ~MI_WSLE_FLAGS;
    BOOLEAN PageTable = (Entry & MI_WSLE_PAGE_TABLE) != 0;
    PMMPTE PointerPte;
    MMPTE TempPte;
    PMMPFN Pfn1 = MiWsleToPfn(Wsl, WsIndex, &PointerPte, &TempPte);
    PFN_NUMBER Page = TempPte.u.Hard.PageFrameNumber;
    ULONG Original = Pfn1->OriginalPte.u.Long;

    if (Pfn1->u3.e1.PrototypePte)
    {
        /* A view's page: the process PTE becomes the "look up the VAD" prototype form. */
        MiRemoveWsle(Wsl, WsIndex);
        PsGetCurrentProcess()->Vm.PrivatePages--;
        MiTrimSharedPage(PointerPte, TempPte, Va);
        return;
    }
    if (TempPte.u.Hard.Dirty)
        Pfn1->u3.e1.Modified = 1;
    if (Pfn1->u3.e1.Modified &&
        (mi_pte_kind(Original) == MI_PTE_PAGEFILE || mi_pte_kind(Original) == MI_PTE_PROTOTYPE))
    {
        /* Written since it was read from its slot or its image: what is there is stale. */
        MiReleasePageFileSpace(Pfn1->OriginalPte);
        Pfn1->OriginalPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(MI_PTE_PROTECTION(Original));
    }
    MI_WRITE_PTE(PointerPte, (MMPTE){ { MI_MAKE_TRANSITION_PTE(
                                           Page, MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long)) } });
    __invlpg((PVOID)Va);
    if (PageTable)
    {
        __invlpg(MiPteToAddress(Va));   /* the user range it mapped (cached PDEs) */
        MmInfoCounters.PageTablesOut++;
    }
    MiRemoveWsle(Wsl, WsIndex);
    if (!PageTable)
        PsGetCurrentProcess()->Vm.PrivatePages--;
    MiDecrementShareCount(Pfn1, Page);
}

VOID MiForgetWorkingSetEntry(PMMPFN Pfn1, PMMPTE PointerPte)
{
    PMMSUPPORT Ws = MiGetCurrentWorkingSet();
    PMMWSL Wsl = Ws->VmWorkingSetList;
    ULONG Index = Pfn1->u1.WsIndex;
    ULONG Va = (ULONG)(ULONG_PTR)MiPteToAddress(PointerPte);

    if (Wsl == NULL || Index >= Wsl->LastInitializedWsle ||
        (Wsl->Wsle[Index].VirtualAddress & ~MI_WSLE_FLAGS) != Va ||
        !(Wsl->Wsle[Index].VirtualAddress & MI_WSLE_VALID))
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_WORKING_SET, Index, Va,
                     Wsl != NULL && Index < Wsl->LastInitializedWsle
                         ? Wsl->Wsle[Index].VirtualAddress : 0);
    if (!(Wsl->Wsle[Index].VirtualAddress & MI_WSLE_PAGE_TABLE))
        PsGetCurrentProcess()->Vm.PrivatePages--;
    MiRemoveWsle(Wsl, Index);
}

/* A shared page's PFN names the entry of the working set that took it last (u1.WsIndex), which
 * is only a hint for the others: then the list is searched (NT hashes shared pages' entries;
 * this list has no hash yet, so a miss costs a walk). */
ULONG MiLocateWsle(ULONG_PTR Va, ULONG Hint)
{
    PMMWSL Wsl = MiGetCurrentWorkingSet()->VmWorkingSetList;
    ULONG Index;

    if (Hint < Wsl->LastInitializedWsle &&
        (Wsl->Wsle[Hint].VirtualAddress & (~MI_WSLE_FLAGS | MI_WSLE_VALID | MI_WSLE_PAGE_TABLE)) ==
            (Va | MI_WSLE_VALID))
        return Hint;
    for (Index = Wsl->Oldest; Index != MI_WSLE_NONE; Index = Wsl->Wsle[Index].Flink)
        if ((Wsl->Wsle[Index].VirtualAddress & ~MI_WSLE_FLAGS) == Va &&
            !(Wsl->Wsle[Index].VirtualAddress & MI_WSLE_PAGE_TABLE))
            return Index;
    return MI_WSLE_NONE;
}

/* A shared page leaves the current working set without being trimmed (its view or its PTE
 * goes): its entry is found by address (a shared page's PFN does not name one entry). */
VOID MiForgetWorkingSetVa(ULONG_PTR Va)
{
    PMMWSL Wsl = MiGetCurrentWorkingSet()->VmWorkingSetList;
    MMPTE TempPte = MI_READ_PTE(MiAddressToPte(Va));
    ULONG Hint = TempPte.u.Hard.Valid
                     ? MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber)->u1.WsIndex : MI_WSLE_NONE;
    ULONG Index = MiLocateWsle(Va, Hint);

    if (Index == MI_WSLE_NONE)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_WORKING_SET, MI_WSLE_NONE, Va, 0);
    MiRemoveWsle(Wsl, Index);
    PsGetCurrentProcess()->Vm.PrivatePages--;
}

/* May the entry's page leave now? Not a page table still mapping resident pages, not a page
 * the fault path holds. */
static BOOLEAN MiIsWsleTrimmable(PMMWSL Wsl, ULONG Index, PVOID Context)
{
    PMMPTE PointerPte;
    MMPTE TempPte;
    PMMPFN Pfn1 = MiWsleToPfn(Wsl, Index, &PointerPte, &TempPte);

    UNREFERENCED_PARAMETER(Context);
    if (Pfn1->u3.ReferenceCount != 1)
        return FALSE;
    return !(Wsl->Wsle[Index].VirtualAddress & MI_WSLE_PAGE_TABLE) || Pfn1->u2.ShareCount == 1;
}

/* Up to Pages of the oldest pages leave, while more than Floor are left. */
static ULONG MiTrimToFloor(PMMSUPPORT Ws, ULONG Pages, ULONG Floor, BOOLEAN Replace)
{
    PMMWSL Wsl = Ws->VmWorkingSetList;
    ULONG Done = 0;

    if (Wsl == NULL)
        return 0;
    while (Done < Pages && Wsl->Count > Floor)
    {
        ULONG Index = MiFindOldestTrimmableWsle(Wsl, Wsl->Count, MiIsWsleTrimmable, NULL);

        if (Index == MI_WSLE_NONE)
            break;
        MiRemovePageFromWorkingSet(Ws, Index);
        Done++;
    }
    if (Replace)
    {
        Ws->PagesReplaced += Done;
        MmInfoCounters.PagesReplaced += Done;
    }
    else
    {
        Ws->PagesTrimmed += Done;
        MmInfoCounters.PagesTrimmed += Done;
    }
    return Done;
}

/* Up to Pages of the oldest pages leave (not below the minimum unless BelowMinimum). */
static ULONG MiTrimOldest(PMMSUPPORT Ws, ULONG Pages, BOOLEAN BelowMinimum, BOOLEAN Replace)
{
    return MiTrimToFloor(Ws, Pages, BelowMinimum ? 0 : Ws->MinimumWorkingSetSize, Replace);
}

ULONG MiTrimWorkingSet(PMMSUPPORT Ws, ULONG Pages, BOOLEAN BelowMinimum)
{
    return MiTrimOldest(Ws, Pages, BelowMinimum, FALSE);
}

VOID MiAddToWorkingSet(ULONG_PTR Va, PFN_NUMBER PageFrameIndex, BOOLEAN PageTable)
{
    PEPROCESS Process = PsGetCurrentProcess();
    PMMSUPPORT Ws = &Process->Ws;
    PMMWSL Wsl = Ws->VmWorkingSetList;
    ULONG Entry = (ULONG)Va | (PageTable ? MI_WSLE_PAGE_TABLE : 0), Index;

    if (Wsl == NULL)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_WORKING_SET, MI_WSLE_NONE, Va,
                     PageFrameIndex);
    /* At its maximum: FIFO, the oldest page makes room. */
    if (Wsl->Count >= Ws->MaximumWorkingSetSize)
        (void)MiTrimOldest(Ws, 1, TRUE, TRUE);
    Index = MiInsertWsle(Wsl, Entry);
    if (Index == MI_WSLE_NONE)
    {
        if (!MiGrowWorkingSetList(Ws))
            (void)MiTrimOldest(Ws, 1, TRUE, TRUE);
        Index = MiInsertWsle(Wsl, Entry);
        if (Index == MI_WSLE_NONE)
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_WORKING_SET, MI_WSLE_NONE, Va,
                         Wsl->Count);
    }
    MI_PFN_ELEMENT(PageFrameIndex)->u1.WsIndex = Index;
    if (!PageTable)
        Process->Vm.PrivatePages++;
    if (Wsl->Count > Ws->PeakWorkingSetSize)
        Ws->PeakWorkingSetSize = Wsl->Count;
}

/* Other processes give up their oldest pages too (NT's working-set manager trims every
 * process): each is attached in turn, since its list and PTEs are only reachable from its own
 * address space. Above their minimums first, then below. */
static ULONG MiTrimOtherWorkingSets(ULONG Pages, BOOLEAN BelowMinimum)
{
    PEPROCESS Current = PsGetCurrentProcess(), Process;
    PLIST_ENTRY Entry;
    ULONG Done = 0;

    for (Entry = PsActiveProcessHead.Flink; Entry != &PsActiveProcessHead && Done < Pages;
         Entry = Entry->Flink)
    {
        Process = CONTAINING_RECORD(Entry, EPROCESS, ActiveProcessLinks);
        if (Process == Current || !Process->AddressSpaceCreated ||
            Process->Ws.VmWorkingSetList == NULL)
            continue;
        KeAttachProcess(Process);
        Done += MiTrimOldest(&Process->Ws, Pages - Done, BelowMinimum, FALSE);
        KeAttachProcess(Current);
    }
    return Done;
}

/*
 * Forward progress. The pages the faulting instruction needs (its code, its operands, its
 * stack, their page tables) are the faulting process's newest working-set entries: it faulted
 * them in last. Trimming that process below its minimum to resolve its own fault took exactly
 * those, and the retried instruction faulted on the page just trimmed, whose fault trimmed the
 * other one: a livelock (one writer alternating soft faults between its code and stack pages at
 * one EIP, issue 10). So, as NT: the faulting process gives up only pages above its minimum
 * (and above MI_FAULT_KEEP_NEWEST), other processes (not running now) give up theirs first
 * above, then below their minimums; the faulting process never goes below its minimum for its
 * own fault. A fault that still finds no page waits for one (MiWaitForAvailablePages), it does
 * not steal from itself. Soft faults do not come here at all (mm/pagfault.c): taking a page
 * back from its list needs no new page.
 */
BOOLEAN MiEnsureAvailablePages(ULONG Pages)
{
    PMMSUPPORT Ws = MiGetCurrentWorkingSet();
    ULONG Round, Floor = Ws->MinimumWorkingSetSize;

    if (Floor < MI_FAULT_KEEP_NEWEST)
        Floor = MI_FAULT_KEEP_NEWEST;
    for (Round = 0; Round < 256; Round++)
    {
        if (MmAvailablePages >= MmMinimumFreePages + Pages)
            break;
        /* A cluster's worth of Modified pages: written, they are Standby pages, available. */
        if (MmModifiedPageListHead.Total >= PV_PAGEFILE_CLUSTER_MAX &&
            MiModifiedPageWriter(MmModifiedPageListHead.Total - PV_PAGEFILE_CLUSTER_MAX) > 0)
            continue;
        /* The oldest pages above the minimums: clean ones are available at once, dirty ones
         * soon. */
        if (MiTrimToFloor(Ws, MI_TRIM_BATCH, Floor, FALSE) > 0 ||
            MiTrimOtherWorkingSets(MI_TRIM_BATCH, FALSE) > 0)
            continue;
        if (MmModifiedPageListHead.Total > 0 && MiModifiedPageWriter(0) > 0)
            continue;
        /* Below their minimums only what the fault truly needs, and only the others. */
        if (MmAvailablePages >= Pages)
            break;
        if (MiTrimOtherWorkingSets(MI_TRIM_BATCH, TRUE) > 0)
            continue;
        break;
    }
    if (MmModifiedPageListHead.Total >= MmModifiedPageMaximum)
        (void)MiModifiedPageWriter(MmModifiedPageMinimum);
    return MmAvailablePages >= Pages;
}

/*
 * Waiting for a page (NT's MmAvailablePagesEvent). A fault that MiEnsureAvailablePages could not
 * serve waits here until pages come back to an available list (a process ends or frees memory,
 * another process's fault trims, a write finishes); every insertion into Zeroed, Free or
 * Standby while someone waits sets the event (mm/pfnlist.c), and the waiter tries again.
 * Nothing here polls: if no thread can run any more, the idle thread finds the waiters
 * (MmResolvePageWaitDeadlock).
 */
KEVENT MmAvailablePagesEvent = { { EventNotificationObject, 0,
                                   { &MmAvailablePagesEvent.Header.WaitListHead,
                                     &MmAvailablePagesEvent.Header.WaitListHead } } };

VOID MiWakePageWaiters(VOID)
{
    (void)KeSetEvent(&MmAvailablePagesEvent);
}

NTSTATUS MiWaitForAvailablePages(ULONG Pages)
{
    PEPROCESS Process = PsGetCurrentProcess();
    NTSTATUS Status;

    if (Process->TerminationRequested)
        return STATUS_PROCESS_IS_TERMINATING;
    if (MmInfoCounters.PageWaits++ == 0)
        DbgPrint("mm: %s (pid %u) waits for %u free page(s): %u available, %u modified, "
                 "%u modified-no-write\n", Process->ImageFileName, Process->UniqueProcessId,
                 Pages, MmAvailablePages, MmModifiedPageListHead.Total,
                 MmModifiedNoWritePageListHead.Total);
    KeResetEvent(&MmAvailablePagesEvent);
    MmPageWaiters++;
    Status = KeWaitForSingleObject(&MmAvailablePagesEvent.Header, NULL);
    MmPageWaiters--;
    return Status;
}

/* Is this thread one of those waiting for a page? */
static BOOLEAN MiIsWaitingForPages(PKTHREAD Thread)
{
    return Thread->State == Waiting && Thread->WaitBlock.Object == &MmAvailablePagesEvent.Header;
}

/*
 * Called by the idle thread when nothing can run and nothing will: are threads waiting for
 * pages that nobody can free? If the host's pagefile file system filled up (PV_ENOSPC, see
 * mm/modwrite.c), the commitment given out can no longer be honoured: the first waiter's fault
 * fails with STATUS_COMMITMENT_LIMIT (its process ends with it, or the service that touched
 * the page returns it), its pages come back and the others go on. Otherwise every page is
 * locked or needed: NO_PAGES_AVAILABLE (0x4D) says so. FALSE when nobody waits for pages.
 */
BOOLEAN MmResolvePageWaitDeadlock(VOID)
{
    PLIST_ENTRY Entry;

    if (MmPageWaiters == 0)
        return FALSE;
    for (Entry = PsActiveProcessHead.Flink; Entry != &PsActiveProcessHead; Entry = Entry->Flink)
    {
        PEPROCESS Process = CONTAINING_RECORD(Entry, EPROCESS, ActiveProcessLinks);

        if (!MiIsWaitingForPages(&Process->Thread))
            continue;
        if (MmPagingFile.HostFull)
        {
            DbgPrint("mm: no page for %s: %u available, %u modified pages cannot be written\n",
                     Process->ImageFileName, MmAvailablePages, MmModifiedPageListHead.Total);
            KiPrintStdout("pagevisor: no page for %s (pid %u): the host's pagefile file system "
                          "is full, its modified pages cannot be written; its fault fails with "
                          "STATUS_COMMITMENT_LIMIT\n", Process->ImageFileName,
                          Process->UniqueProcessId);
            KiAbortWaitWithStatus(&Process->Thread, STATUS_COMMITMENT_LIMIT);
            return TRUE;
        }
        DbgPrint("mm: no page can be had: %u available, %u modified, %u modified-no-write\n",
                 MmAvailablePages, MmModifiedPageListHead.Total,
                 MmModifiedNoWritePageListHead.Total);
        KiPrintStdout("pagevisor: no page can be had: %s (pid %u) waits for one and no thread "
                      "can free any (the bug check's first two numbers: the dirty pages)\n",
                      Process->ImageFileName, Process->UniqueProcessId);
        KeBugCheckEx(NO_PAGES_AVAILABLE,
                     MmModifiedPageListHead.Total + MmModifiedNoWritePageListHead.Total,
                     MmModifiedPageListHead.Total, 0, (ULONG)MmPagingFile.LastWriteStatus);
    }
    return FALSE;
}

/* Every entry is a valid page whose PFN names it; the private-page count agrees. */
VOID MiCheckWorkingSet(PEPROCESS Process)
{
    PMMWSL Wsl = Process->Ws.VmWorkingSetList;
    ULONG Index, Count, Tables = 0;
    PMMPTE PointerPte;
    MMPTE TempPte;

    if (Wsl == NULL)
        return;
    Count = MiCheckWsl(Wsl);
    if (Count == MI_WSLE_NONE)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_WORKING_SET, MI_WSLE_NONE, Wsl->Count,
                     Wsl->LastInitializedWsle);
    for (Index = Wsl->Oldest; Index != MI_WSLE_NONE; Index = Wsl->Wsle[Index].Flink)
    {
        (void)MiWsleToPfn(Wsl, Index, &PointerPte, &TempPte);
        if (Wsl->Wsle[Index].VirtualAddress & MI_WSLE_PAGE_TABLE)
            Tables++;
    }
    if (Count - Tables != Process->Vm.PrivatePages)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_WORKING_SET, Count, Tables,
                     Process->Vm.PrivatePages);
}

/*
 * NTSTATUS PvSetWorkingSetLimits(ULONG MinimumPages, ULONG MaximumPages) - service 0x1003.
 * The calling process's working-set limits, in pages (NT's SetProcessWorkingSetSize, in
 * pages). The maximum must be at least MI_SMALLEST_WORKING_SET_MAXIMUM (16) and at most
 * MmMaximumWorkingSetSize, else STATUS_INVALID_PARAMETER_2; the minimum at most the maximum,
 * else STATUS_INVALID_PARAMETER_1. A working set above its new maximum loses its oldest pages
 * at once. Both 0xFFFFFFFF (NT's (SIZE_T)-1, -1): the limits stay, the working set is emptied
 * (every page that can leave leaves: transition PTEs, pages to Standby or Modified).
 */
NTSTATUS PvSetWorkingSetLimits(ULONG MinimumPages, ULONG MaximumPages)
{
    PMMSUPPORT Ws = MiGetCurrentWorkingSet();
    PMMWSL Wsl = Ws->VmWorkingSetList;

    if (Wsl == NULL)
        return STATUS_INVALID_PARAMETER;
    if (MinimumPages == 0xFFFFFFFFu && MaximumPages == 0xFFFFFFFFu)
    {
        (void)MiTrimWorkingSet(Ws, Wsl->Count, TRUE);
        return STATUS_SUCCESS;
    }
    if (MaximumPages < MI_SMALLEST_WORKING_SET_MAXIMUM || MaximumPages > MmMaximumWorkingSetSize)
        return STATUS_INVALID_PARAMETER_2;
    if (MinimumPages > MaximumPages)
        return STATUS_INVALID_PARAMETER_1;
    Ws->MinimumWorkingSetSize = MinimumPages;
    Ws->MaximumWorkingSetSize = MaximumPages;
    if (Wsl->Count > MaximumPages)
        (void)MiTrimOldest(Ws, Wsl->Count - MaximumPages, TRUE, TRUE);
    return STATUS_SUCCESS;
}
