/*
 * procsup.c - process address spaces. MmCreateProcessAddressSpace takes three zeroed pages (a
 * page directory, a hyperspace page table, a working-set list page), fills the new directory
 * through hyperspace (system PDEs 0x200-0x3FF copied from the current one, the self-map PDE
 * 0x300, the hyperspace PDE 0x301) and puts the working-set page at MI_WORKING_SET_LIST.
 * While attached, MiCommitUserPage gives image pages (and their page tables) real frames, and
 * MmCreateUserStack reserves and commits the stack (VADs: mm/virtual.c). At the end
 * MmCleanProcessAddressSpace (attached) frees every user page, page table and VAD and returns
 * the commit charge; MmDeleteProcessAddressSpace (from another address space) frees the
 * three pages.
 *
 * Share counts: a page table holds one share for its PDE plus one per valid PTE in it; the
 * page directory one for itself plus one per page table (the hyperspace one included).
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"
#include "rtl.h"

#define MI_WORKING_SET_PTE ((PMMPTE)MI_PTE_VA(MI_WORKING_SET_LIST))   /* 0xC0301408 */
#define MI_SELFMAP_PDE     ((PMMPTE)MI_PDE_VA(PDE_BASE))              /* 0xC0300C00 */
#define MI_HYPERSPACE_PDE  ((PMMPTE)MI_PDE_VA(HYPER_SPACE))           /* 0xC0300C04 */

static BOOLEAN MiNewProcessChecked;

NTSTATUS MmCreateProcessAddressSpace(PEPROCESS Process)
{
    PFN_NUMBER PageDirectoryIndex, HyperIndex, WsListIndex;
    PMMPTE PageDirectory, HyperTable;

    if (MmAvailablePages < 3)
        return STATUS_INSUFFICIENT_RESOURCES;
    PageDirectoryIndex = MiRemoveZeroPage();
    HyperIndex = MiRemoveZeroPage();
    WsListIndex = MiRemoveZeroPage();

    MiInitializePfnForOtherProcess(PageDirectoryIndex, MI_SELFMAP_PDE, PageDirectoryIndex);
    MiInitializePfnForOtherProcess(HyperIndex, MI_HYPERSPACE_PDE, PageDirectoryIndex);
    MiInitializePfnForOtherProcess(WsListIndex, MI_WORKING_SET_PTE, HyperIndex);

    /* Hyperspace page table: the mapping countdown, and the working-set list page. */
    HyperTable = MiMapPageInHyperSpace(HyperIndex);
    HyperTable[0].u.Long = PTE_FROM_PFN(MI_HYPERSPACE_PTES);
    MI_WRITE_PTE(&HyperTable[MI_PTE_INDEX(MI_WORKING_SET_LIST)],
                 MI_MAKE_PTE(ValidKernelPteLocal, WsListIndex));
    MiUnmapPageInHyperSpace(HyperTable);

    /* Page directory: system half from the current directory, then its own self-map and
     * hyperspace (neither global: they differ per process). User half stays zero. */
    PageDirectory = MiMapPageInHyperSpace(PageDirectoryIndex);
    memcpy(&PageDirectory[MI_SYSTEM_PDE_FIRST], &((PMMPTE)PDE_BASE)[MI_SYSTEM_PDE_FIRST],
           (PTE_PER_PAGE - MI_SYSTEM_PDE_FIRST) * sizeof(MMPTE));
    MI_WRITE_PTE(&PageDirectory[MI_SELFMAP_PDE_INDEX],
                 MI_MAKE_PTE(ValidKernelPteLocal, PageDirectoryIndex));
    MI_WRITE_PTE(&PageDirectory[MI_HYPERSPACE_PDE_INDEX],
                 MI_MAKE_PTE(ValidKernelPteLocal, HyperIndex));
    MiUnmapPageInHyperSpace(PageDirectory);

    MiCheckNewProcessPageDirectory(PageDirectoryIndex, HyperIndex);
    if (!MiNewProcessChecked)
    {
        MiNewProcessChecked = TRUE;
        DbgPrint("mm: self-check: first process page directory: system PDEs 0x200-0x3FF equal "
                 "the boot ones, self-map and hyperspace PDEs its own\n");
    }

    Process->Pcb.DirectoryTableBase[0] = PTE_FROM_PFN(PageDirectoryIndex);
    Process->Pcb.DirectoryTableBase[1] = PTE_FROM_PFN(HyperIndex);
    Process->WorkingSetPage = WsListIndex;
    return STATUS_SUCCESS;
}

/*
 * Give the user page at VirtualAddress a frame in the current (attached) process now, creating
 * its page table if needed (the image loader: images are not demand paged yet). The page reads
 * as zeroes. If it is already valid (two image segments sharing a page) it is returned as is,
 * made writable if asked. The PTE first holds the demand-zero PTE with the page's protection,
 * which the PFN keeps as OriginalPte (where a resident page's protection lives).
 */
NTSTATUS MiCommitUserPage(PVOID VirtualAddress, ULONG Protection, PPFN_NUMBER PageFrameIndex)
{
    PMMPTE PointerPte = MiAddressToPte(VirtualAddress);
    BOOLEAN Writable = MiIsAccessAllowed(Protection, TRUE);
    MMPTE TempPte;
    PFN_NUMBER Page;
    NTSTATUS Status;

    if (!MI_IS_USER_ADDRESS(VirtualAddress))
        return STATUS_ACCESS_VIOLATION;
    Status = MiMakeUserPageTableValid((ULONG_PTR)VirtualAddress);
    if (!NT_SUCCESS(Status))
        return Status;

    TempPte = MI_READ_PTE(PointerPte);
    if (TempPte.u.Hard.Valid)
    {
        if (Writable && !TempPte.u.Hard.Write)
        {
            PMMPFN Pfn1 = MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber);
            ULONG Old = MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long);

            Pfn1->OriginalPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(
                (Old == MM_EXECUTE || Old == MM_EXECUTE_READ) ? MM_EXECUTE_READWRITE
                                                             : MM_READWRITE);
            Pfn1->u3.e1.Modified = 1;
            TempPte.u.Hard.Write = 1;
            TempPte.u.Hard.Dirty = 1;
            MI_WRITE_PTE(PointerPte, TempPte);
            __invlpg(VirtualAddress);
        }
        *PageFrameIndex = TempPte.u.Hard.PageFrameNumber;
        return STATUS_SUCCESS;
    }

    Page = MmAvailablePages != 0 ? MiRemoveZeroPage() : 0;
    if (Page == 0)
        return STATUS_NO_MEMORY;
    TempPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(Protection);
    MI_WRITE_PTE(PointerPte, TempPte);
    MiInitializePfn(Page, PointerPte, Writable);
    TempPte = MiMakeUserValidPte(Page, Protection);
    TempPte.u.Long |= PTE_ACCESSED;
    MI_WRITE_PTE(PointerPte, TempPte);
    PsGetCurrentProcess()->Vm.PrivatePages++;
    *PageFrameIndex = Page;
    return STATUS_SUCCESS;
}

/*
 * The user stack: a 1 MiB reservation (a private VAD, not committed), its top page committed
 * read/write and the page below committed as the guard page (PAGE_READWRITE | PAGE_GUARD).
 * Committing writes demand-zero PTEs (0x80 and 0x280); the first of them makes the stack's page
 * table exist through the self-map (a page-table fault). No page is resident yet: the first
 * write to the stack (the arguments, PspPushArguments) demand-zeroes the top page.
 */
NTSTATUS MmCreateUserStack(PEPROCESS Process)
{
    PMMPROCESS_VM Vm = &Process->Vm;
    ULONG CommitBase = MM_USER_STACK_TOP - MM_USER_STACK_COMMIT;
    PMMVAD Vad;
    NTSTATUS Status;

    Status = MiCreateVad(Vm, MM_USER_STACK_BASE, MM_USER_STACK_TOP - 1, MM_READWRITE, VadNone,
                         FALSE, &Vad);
    if (!NT_SUCCESS(Status))
        return Status;
    Vm->StackVad = Vad;
    Status = MiCommitPages(Vm, Vad, CommitBase, MM_USER_STACK_TOP - 1, MM_READWRITE);
    if (NT_SUCCESS(Status))
        Status = MiCommitPages(Vm, Vad, CommitBase - PAGE_SIZE, CommitBase - 1,
                               MM_READWRITE | MM_GUARD_PAGE);
    return Status;
}

static VOID MiCheckShareCount(PFN_NUMBER PageFrameIndex, ULONG Expected)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);

    if (Pfn1->u2.ShareCount != Expected)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_SHARE_COUNT, PageFrameIndex,
                     Pfn1->u2.ShareCount, Expected);
}

VOID MmCleanProcessAddressSpace(PEPROCESS Process)
{
    ULONG Pde, Pte, Pages = 0, Tables = 0, Commit, Vads;

    for (Pde = 0; Pde < MI_SYSTEM_PDE_FIRST; Pde++)
    {
        PMMPTE PointerPde = &((PMMPTE)PDE_BASE)[Pde];
        PMMPTE PointerPte = MiPdeToPte(PointerPde);

        if (!PointerPde->u.Hard.Valid)
            continue;
        for (Pte = 0; Pte < PTE_PER_PAGE; Pte++)
        {
            if (MiIsResidentUserPte(&PointerPte[Pte], MI_READ_PTE(&PointerPte[Pte])))
            {
                MiDeletePte(&PointerPte[Pte]);
                Pages++;
            }
            else
            {
                PointerPte[Pte].u.Long = 0;
            }
        }
        /* Only the PDE's own share is left: the page table goes too. */
        MiCheckShareCount(PointerPde->u.Hard.PageFrameNumber, 1);
        MiDeletePte(PointerPde);
        Tables++;
    }
    KeFlushCurrentTb();
    Commit = Process->Vm.CommitCharge;
    Vads = Process->Vm.VadRoot.NumberGenericTableElements;
    MiDeleteProcessVads(&Process->Vm);
    Process->Vm.PrivatePages = 0;
    DbgPrint("mm: %s (pid %u): freed %u user pages and %u page tables, %u VADs, commit charge "
             "%u pages (peak %u)\n", Process->ImageFileName, Process->UniqueProcessId, Pages,
             Tables, Vads, Commit, Process->Vm.CommitChargePeak);
}

VOID MmDeleteProcessAddressSpace(PEPROCESS Process)
{
    PFN_NUMBER PageDirectoryIndex = Process->Pcb.DirectoryTableBase[0] >> PAGE_SHIFT;
    PFN_NUMBER HyperIndex = Process->Pcb.DirectoryTableBase[1] >> PAGE_SHIFT;
    PFN_NUMBER WsListIndex = Process->WorkingSetPage;
    PMMPFN Pfn1;

    if (__readcr3() == Process->Pcb.DirectoryTableBase[0])
        KeBugCheckEx(MEMORY_MANAGEMENT, 0x1006, PageDirectoryIndex, 0, 0);

    /* Left: the directory (itself + hyperspace table), the hyperspace table (itself + the
     * working-set page), the working-set page (itself). */
    MiCheckShareCount(PageDirectoryIndex, 2);
    MiCheckShareCount(HyperIndex, 2);
    MiCheckShareCount(WsListIndex, 1);

    Pfn1 = MI_PFN_ELEMENT(WsListIndex);
    MI_SET_PFN_DELETED(Pfn1);
    MiDecrementShareCount(Pfn1, WsListIndex);
    MiDecrementShareCount(MI_PFN_ELEMENT(HyperIndex), HyperIndex);

    Pfn1 = MI_PFN_ELEMENT(HyperIndex);
    MI_SET_PFN_DELETED(Pfn1);
    MiDecrementShareCount(Pfn1, HyperIndex);
    MiDecrementShareCount(MI_PFN_ELEMENT(PageDirectoryIndex), PageDirectoryIndex);

    Pfn1 = MI_PFN_ELEMENT(PageDirectoryIndex);
    MI_SET_PFN_DELETED(Pfn1);
    MiDecrementShareCount(Pfn1, PageDirectoryIndex);

    Process->Pcb.DirectoryTableBase[0] = Process->Pcb.DirectoryTableBase[1] = 0;
    Process->WorkingSetPage = 0;
}
