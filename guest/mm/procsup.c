/*
 * procsup.c - process address spaces. MmCreateProcessAddressSpace takes three zeroed pages (a
 * page directory, a hyperspace page table, a working-set list page), fills the new directory
 * through hyperspace (system PDEs 0x200-0x3FF copied from the current one, the self-map PDE
 * 0x300, the hyperspace PDE 0x301) and puts the working-set page at MI_WORKING_SET_LIST.
 * While attached, MiCommitUserPage gives user pages (and their page tables) real frames.
 * MmCleanProcessAddressSpace (attached) frees every user page and page table;
 * MmDeleteProcessAddressSpace (from another address space) frees the three pages.
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
 * Give the user page at VirtualAddress a frame in the current (attached) process, creating
 * its page table if needed. The page reads as zeroes. If it is already valid (two image
 * segments sharing a page) it is returned as is, made writable if asked. The PTE first holds
 * the demand-zero PTE with the page's protection, which the PFN keeps as OriginalPte.
 */
NTSTATUS MiCommitUserPage(PVOID VirtualAddress, BOOLEAN Writable, PPFN_NUMBER PageFrameIndex)
{
    PMMPTE PointerPde = MiAddressToPde(VirtualAddress);
    PMMPTE PointerPte = MiAddressToPte(VirtualAddress);
    MMPTE TempPte;
    PFN_NUMBER Page;

    if (!MI_IS_USER_ADDRESS(VirtualAddress))
        return STATUS_ACCESS_VIOLATION;
    if (!PointerPde->u.Hard.Valid)
    {
        if (MmAvailablePages == 0)
            return STATUS_NO_MEMORY;
        Page = MiRemoveZeroPage();
        TempPte.u.Long = MM_DEMAND_ZERO_WRITE_PTE;
        MI_WRITE_PTE(PointerPde, TempPte);
        MiInitializePfn(Page, PointerPde, TRUE);
        MI_WRITE_PTE(PointerPde, MI_MAKE_PTE(ValidUserPde, Page));
        __invlpg(MiPdeToPte(PointerPde));
    }

    TempPte = MI_READ_PTE(PointerPte);
    if (TempPte.u.Hard.Valid)
    {
        if (Writable && !TempPte.u.Hard.Write)
        {
            TempPte.u.Hard.Write = 1;
            TempPte.u.Hard.Dirty = 1;
            MI_WRITE_PTE(PointerPte, TempPte);
            __invlpg(VirtualAddress);
        }
        *PageFrameIndex = TempPte.u.Hard.PageFrameNumber;
        return STATUS_SUCCESS;
    }

    if (MmAvailablePages == 0)
        return STATUS_NO_MEMORY;
    Page = MiRemoveZeroPage();
    TempPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(Writable ? MM_READWRITE : MM_READONLY);
    MI_WRITE_PTE(PointerPte, TempPte);
    MiInitializePfn(Page, PointerPte, Writable);
    TempPte.u.Long = PTE_FROM_PFN(Page) | PTE_VALID | PTE_OWNER | PTE_ACCESSED;
    if (Writable)
        TempPte.u.Long |= PTE_WRITE | PTE_DIRTY;
    MI_WRITE_PTE(PointerPte, TempPte);
    *PageFrameIndex = Page;
    return STATUS_SUCCESS;
}

/* The top MM_USER_STACK_COMMIT bytes of the stack reservation, read/write. */
NTSTATUS MmCreateUserStack(PEPROCESS Process)
{
    ULONG Va;
    PFN_NUMBER Page;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(Process);
    for (Va = MM_USER_STACK_TOP - MM_USER_STACK_COMMIT; Va < MM_USER_STACK_TOP; Va += PAGE_SIZE)
    {
        Status = MiCommitUserPage((PVOID)(ULONG_PTR)Va, TRUE, &Page);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    return STATUS_SUCCESS;
}

/* Unmap one user page and let it go: deleted pages end on the Free list. */
static VOID MiDeletePte(PMMPTE PointerPte)
{
    MMPTE TempPte = MI_READ_PTE(PointerPte), ZeroPte = { { 0 } };
    PFN_NUMBER PageFrameIndex = TempPte.u.Hard.PageFrameNumber;
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);
    PFN_NUMBER PteFrame = Pfn1->u4.PteFrame;

    if (PageFrameIndex > MmHighestPhysicalPage || MI_PFN_PTE_ADDRESS(Pfn1) != PointerPte)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_PTE_MISMATCH, (ULONG_PTR)PointerPte,
                     PageFrameIndex, (ULONG_PTR)Pfn1->PteAddress);
    MI_WRITE_PTE(PointerPte, ZeroPte);
    MI_SET_PFN_DELETED(Pfn1);
    MiDecrementShareCount(Pfn1, PageFrameIndex);
    MiDecrementShareCount(MI_PFN_ELEMENT(PteFrame), PteFrame);
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
    ULONG Pde, Pte, Pages = 0, Tables = 0;

    for (Pde = 0; Pde < MI_SYSTEM_PDE_FIRST; Pde++)
    {
        PMMPTE PointerPde = &((PMMPTE)PDE_BASE)[Pde];
        PMMPTE PointerPte = MiPdeToPte(PointerPde);

        if (!PointerPde->u.Hard.Valid)
            continue;
        for (Pte = 0; Pte < PTE_PER_PAGE; Pte++)
        {
            if (PointerPte[Pte].u.Hard.Valid)
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
    DbgPrint("mm: %s (pid %u): freed %u user pages and %u page tables\n",
             Process->ImageFileName, Process->UniqueProcessId, Pages, Tables);
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
