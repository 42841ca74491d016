/*
 * procsup.c - process address spaces. MmCreateProcessAddressSpace takes three zeroed pages (a
 * page directory, a hyperspace page table, a working-set list page), fills the new directory
 * through hyperspace (system PDEs, from MmSystemRangeStart's to 0x3FF: 0x200-0x3FF, or
 * 0x300-0x3FF under /3GB, copied from the current one; the self-map PDE 0x300, the
 * hyperspace PDE 0x301) and puts the working-set list page at MI_WORKING_SET_LIST
 * (an empty list, the run's default limits: mm/wsmanagr.c). While attached, the image loader
 * writes the image's PTEs (ldr/elf.c) and MmCreateUserStack reserves and commits the stack
 * (VADs: mm/virtual.c). At the end MmCleanProcessAddressSpace (attached) frees every user page,
 * page table, pagefile slot and VAD and returns the commit charge; MmDeleteProcessAddressSpace
 * (from another address space) frees the three pages. A process that shares pages with a
 * clone (mm/forksup.c) is deleted the same way, before or after it: its PTEs that refer to a
 * clone block give back their reference (the last one frees the page and its slot).
 *
 * Share counts: a page table holds one share for its PDE plus one per resident page it maps
 * (valid, or in transition on a list); the page directory one for itself plus one per page
 * table in memory (the hyperspace one included).
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"
#include "rtl.h"
#include "hv.h"

#define MI_WORKING_SET_PTE ((PMMPTE)MI_PTE_VA(MI_WORKING_SET_LIST))   /* 0xC0301408 */
#define MI_SELFMAP_PDE     ((PMMPTE)MI_PDE_VA(PDE_BASE))              /* 0xC0300C00 */
#define MI_HYPERSPACE_PDE  ((PMMPTE)MI_PDE_VA(HYPER_SPACE))           /* 0xC0300C04 */

static BOOLEAN MiNewProcessChecked;

NTSTATUS MmCreateProcessAddressSpace(PEPROCESS Process)
{
    PFN_NUMBER PageDirectoryIndex, HyperIndex, WsListIndex;
    PMMPTE PageDirectory, HyperTable;

    if (!MiEnsureAvailablePages(3))
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
    memcpy(&PageDirectory[MI_FIRST_SYSTEM_PDE], &((PMMPTE)PDE_BASE)[MI_FIRST_SYSTEM_PDE],
           (PTE_PER_PAGE - MI_FIRST_SYSTEM_PDE) * sizeof(MMPTE));
    MI_WRITE_PTE(&PageDirectory[MI_SELFMAP_PDE_INDEX],
                 MI_MAKE_PTE(ValidKernelPteLocal, PageDirectoryIndex));
    MI_WRITE_PTE(&PageDirectory[MI_HYPERSPACE_PDE_INDEX],
                 MI_MAKE_PTE(ValidKernelPteLocal, HyperIndex));
    MiUnmapPageInHyperSpace(PageDirectory);

    MiCheckNewProcessPageDirectory(PageDirectoryIndex, HyperIndex);
    if (!MiNewProcessChecked)
    {
        MiNewProcessChecked = TRUE;
        DbgPrint("mm: self-check: first process page directory: system PDEs 0x%X-0x3FF equal "
                 "the boot ones, self-map and hyperspace PDEs its own\n", MI_FIRST_SYSTEM_PDE);
    }

    Process->Pcb.DirectoryTableBase[0] = PTE_FROM_PFN(PageDirectoryIndex);
    Process->Pcb.DirectoryTableBase[1] = PTE_FROM_PFN(HyperIndex);
    Process->WorkingSetPage = WsListIndex;
    MiInitializeWorkingSet(Process, WsListIndex);
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

/* A page table's PTEs as the process ends: resident pages freed (when Resident), pagefile
 * slots released, everything else dropped. Returns the pages freed. */
static ULONG MiDeletePageTableContents(PMMPTE Table, BOOLEAN Resident, PULONG Slots)
{
    ULONG Pte, Pages = 0;

    for (Pte = 0; Pte < PTE_PER_PAGE; Pte++)
    {
        MMPTE TempPte = MI_READ_PTE(&Table[Pte]);

        if (Resident && MiIsResidentUserPte(&Table[Pte], TempPte))
        {
            MiDeletePte(&Table[Pte]);
            Pages++;
            continue;
        }
        if (TempPte.u.Hard.Valid || (TempPte.u.Soft.Transition && !TempPte.u.Soft.Prototype))
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE, (ULONG_PTR)&Table[Pte],
                         TempPte.u.Long, 0);
        if (MI_PTE_HAS_PAGEFILE_SLOT(TempPte.u.Long))
        {
            MiReleasePageFileSpace(TempPte);
            (*Slots)++;
        }
        else if (MI_IS_FORK_PROTO_PTE(TempPte.u.Long))
        {
            /* A page shared with a clone: one reference less (the last frees it). */
            MiDereferenceCloneBlock(MI_PROTO_PTE_INDEX(TempPte.u.Long));
        }
        if (Resident)
            Table[Pte].u.Long = 0;
    }
    return Pages;
}

/* A page to read a paged-out page table into while the process ends (no allocation then). */
static UCHAR MiCleanupPage[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/*
 * The process has ended (attached, its exit reported): every user page, page table and pagefile
 * slot it had goes, then its VADs and their commitment. Page tables that left memory are
 * looked at too, for the slots their PTEs name: one on a list through hyperspace, one in the
 * pagefile read into a scratch page. If such a read fails, the slots it named cannot be found:
 * when no other process is alive (so owns no slot), every slot that is not bad is released at
 * the end instead; otherwise they stay allocated.
 */
VOID MmCleanProcessAddressSpace(PEPROCESS Process)
{
    ULONG Pde, Pages = 0, Tables = 0, Slots = 0, Commit, Vads;
    BOOLEAN SlotsLost = FALSE;

    MiDeleteProcessAwe(Process);          /* before the page tables: its frames are not the VADs' */
    MiDeleteProcessLargePages(Process);   /* large PDEs are no page tables */
    MiDeleteProcessSections(Process);
    MiCheckWorkingSet(Process);
    for (Pde = 0; Pde < MI_FIRST_SYSTEM_PDE; Pde++)
    {
        PMMPTE PointerPde = &((PMMPTE)PDE_BASE)[Pde];
        MMPTE TempPde = MI_READ_PTE(PointerPde);

        if (TempPde.u.Long == 0)
            continue;
        Tables++;
        if (TempPde.u.Hard.Valid)
        {
            Pages += MiDeletePageTableContents(MiPdeToPte(PointerPde), TRUE, &Slots);
            /* Only the PDE's own share is left: the page table goes too. */
            MiCheckShareCount(TempPde.u.Hard.PageFrameNumber, 1);
            MiDeletePte(PointerPde);
        }
        else if (mi_pte_kind(TempPde.u.Long) == MI_PTE_TRANSITION)
        {
            PMMPTE Table = MiMapPageInHyperSpace(TempPde.u.Trans.PageFrameNumber);

            (void)MiDeletePageTableContents(Table, FALSE, &Slots);
            MiUnmapPageInHyperSpace(Table);
            MiDeletePte(PointerPde);
        }
        else if (MI_PTE_HAS_PAGEFILE_SLOT(TempPde.u.Long))
        {
            PFN_NUMBER Frame = KI_IMAGE_TO_PHYSICAL(MiCleanupPage) >> PAGE_SHIFT;
            ULONG Done;

            if (HvPagefileIo(PV_PAGEFILE_READ, MI_PAGEFILE_HIGH(TempPde.u.Long), 1, &Frame,
                             &Done) == PV_OK)
                (void)MiDeletePageTableContents((PMMPTE)MiCleanupPage, FALSE, &Slots);
            else
                SlotsLost = TRUE;
            MiReleasePageFileSpace(TempPde);
            Slots++;
            PointerPde->u.Long = 0;
        }
        else
        {
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, Pde << PDE_SHIFT,
                         TempPde.u.Long, (ULONG_PTR)PointerPde);
        }
    }
    KeFlushCurrentTb();
    MiDeleteWorkingSetList(Process);
    /* Slots can be found again only when no other process and no clone shares them (clone
     * blocks hold slots too). */
    if (SlotsLost && PsActiveProcessCount <= 1 && MmCloneBlocksInUse == 0)
        DbgPrint("mm: %s (pid %u): a page table could not be read back; released all %u "
                 "pagefile slots in use\n", Process->ImageFileName, Process->UniqueProcessId,
                 MiReleaseAllPagefileSlots());
    else if (SlotsLost)
        DbgPrint("mm: %s (pid %u): a page table could not be read back; the pagefile slots it "
                 "named stay allocated (other processes own slots too)\n",
                 Process->ImageFileName, Process->UniqueProcessId);
    Commit = Process->Vm.CommitCharge;
    Vads = Process->Vm.VadRoot.NumberGenericTableElements;
    MiDeleteProcessVads(&Process->Vm);
    Process->Vm.PrivatePages = 0;
    DbgPrint("mm: %s (pid %u): freed %u user pages, %u page tables, %u pagefile slots, %u VADs, "
             "commit charge %u pages (peak %u), working set peak %u pages (%u replaced, %u "
             "trimmed)\n", Process->ImageFileName, Process->UniqueProcessId, Pages, Tables,
             Slots, Vads, Commit, Process->Vm.CommitChargePeak, Process->Ws.PeakWorkingSetSize,
             Process->Ws.PagesReplaced, Process->Ws.PagesTrimmed);
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

/* ------------------------------------------------------------------------- kernel stacks */

/*
 * Kernel stacks live in their own 4 MiB of system space (MM_KERNEL_STACK_BASE, its page table
 * made at boot, so every process's copy of the system PDEs has it): slots of four pages, the
 * lowest never mapped (the guard page), the three above it the stack (KERNEL_STACK_SIZE).
 * Running into the guard page faults with ESP already on it, so the CPU cannot push the
 * fault's frame: it double-faults onto the double-fault task, which stops the system with
 * bug check 0x7F (8, ...) naming the stack (ke/bugcheck.c) - never silent corruption.
 */
#define MI_KERNEL_STACK_SLOT  (KERNEL_STACK_SIZE + PAGE_SIZE)
#define MI_KERNEL_STACK_SLOTS (PDE_MAPPED_VA / MI_KERNEL_STACK_SLOT)

/* What a slot holds: a thread's stack (its lowest page the guard), or an extension stack
 * (KeExpandKernelStackAndCallout): a slot left unmapped as its guard, then slots wholly
 * mapped. */
enum { MI_SLOT_FREE, MI_SLOT_STACK, MI_SLOT_EXTENSION_GUARD, MI_SLOT_EXTENSION };
static UCHAR MiKernelStackSlotUsed[MI_KERNEL_STACK_SLOTS];
ULONG MmKernelStacksInUse;
ULONG MmKernelStackExtensionsInUse;

#define MI_SLOT_BASE(Slot) (MM_KERNEL_STACK_BASE + (Slot) * MI_KERNEL_STACK_SLOT)

/* Maps [Base, Top) with fresh frames (the caller checked they are there). */
static VOID MiMapKernelStackPages(ULONG Base, ULONG Top)
{
    PFN_NUMBER PteFrame = MiAddressToPde(MM_KERNEL_STACK_BASE)->u.Hard.PageFrameNumber;
    ULONG Va;

    for (Va = Base; Va < Top; Va += PAGE_SIZE)
    {
        PFN_NUMBER Page = MiRemoveAnyPage();
        PMMPTE PointerPte = MiAddressToPte(Va);

        MiInitializePfnForOtherProcess(Page, PointerPte, PteFrame);
        MI_WRITE_PTE(PointerPte, MI_MAKE_PTE(ValidKernelPte, Page));
        __invlpg((PVOID)(ULONG_PTR)Va);
    }
}

static VOID MiUnmapKernelStackPages(ULONG Base, ULONG Top)
{
    MMPTE ZeroPte = { { 0 } };
    ULONG Va;

    for (Va = Base; Va < Top; Va += PAGE_SIZE)
    {
        PMMPTE PointerPte = MiAddressToPte(Va);
        PFN_NUMBER Page = PointerPte->u.Hard.PageFrameNumber;
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

        MI_WRITE_PTE(PointerPte, ZeroPte);
        __invlpg((PVOID)(ULONG_PTR)Va);
        MI_SET_PFN_DELETED(Pfn1);
        MiDecrementShareCount(Pfn1, Page);
    }
}

NTSTATUS MmCreateKernelStack(PULONG InitialStack, PULONG StackLimit)
{
    ULONG Slot, Base;

    for (Slot = 0; Slot < MI_KERNEL_STACK_SLOTS && MiKernelStackSlotUsed[Slot]; Slot++)
        ;
    if (Slot == MI_KERNEL_STACK_SLOTS)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (!MiEnsureAvailablePages(KERNEL_STACK_SIZE / PAGE_SIZE) ||
        MmAvailablePages < KERNEL_STACK_SIZE / PAGE_SIZE)
        return STATUS_INSUFFICIENT_RESOURCES;

    MiKernelStackSlotUsed[Slot] = MI_SLOT_STACK;
    MmKernelStacksInUse++;
    Base = MI_SLOT_BASE(Slot) + PAGE_SIZE;
    MiMapKernelStackPages(Base, Base + KERNEL_STACK_SIZE);
    *StackLimit = Base;
    *InitialStack = Base + KERNEL_STACK_SIZE;
    return STATUS_SUCCESS;
}

VOID MmDeleteKernelStack(ULONG InitialStack, ULONG StackLimit)
{
    ULONG Slot = (StackLimit - PAGE_SIZE - MM_KERNEL_STACK_BASE) / MI_KERNEL_STACK_SLOT;

    if (StackLimit < MM_KERNEL_STACK_BASE || Slot >= MI_KERNEL_STACK_SLOTS ||
        MiKernelStackSlotUsed[Slot] != MI_SLOT_STACK)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_KERNEL_STACK, InitialStack, StackLimit, 0);
    MiUnmapKernelStackPages(StackLimit, InitialStack);
    MiKernelStackSlotUsed[Slot] = MI_SLOT_FREE;
    MmKernelStacksInUse--;
}

/*
 * An extension stack of at least Size bytes (whole slots of KERNEL_STACK_SIZE + PAGE_SIZE, so a
 * 16 KiB one is one slot) with a whole unmapped slot below it as its guard: overrunning it
 * double-faults like a thread's stack does. STATUS_INSUFFICIENT_RESOURCES when no run of free
 * slots or not enough free pages is left.
 */
NTSTATUS MmCreateKernelStackExtension(ULONG Size, PULONG Top, PULONG Limit)
{
    ULONG Slots = (Size + MI_KERNEL_STACK_SLOT - 1) / MI_KERNEL_STACK_SLOT, First, i;

    if (Slots == 0)
        Slots = 1;
    for (First = 0; First + Slots < MI_KERNEL_STACK_SLOTS; First++)
    {
        for (i = 0; i <= Slots && MiKernelStackSlotUsed[First + i] == MI_SLOT_FREE; i++)
            ;
        if (i > Slots)
            break;
    }
    if (First + Slots >= MI_KERNEL_STACK_SLOTS)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (!MiEnsureAvailablePages(Slots * MI_KERNEL_STACK_SLOT / PAGE_SIZE) ||
        MmAvailablePages < Slots * MI_KERNEL_STACK_SLOT / PAGE_SIZE)
        return STATUS_INSUFFICIENT_RESOURCES;
    MiKernelStackSlotUsed[First] = MI_SLOT_EXTENSION_GUARD;
    for (i = 1; i <= Slots; i++)
        MiKernelStackSlotUsed[First + i] = MI_SLOT_EXTENSION;
    MmKernelStackExtensionsInUse++;
    *Limit = MI_SLOT_BASE(First + 1);
    *Top = MI_SLOT_BASE(First + 1 + Slots);
    MiMapKernelStackPages(*Limit, *Top);
    return STATUS_SUCCESS;
}

VOID MmDeleteKernelStackExtension(ULONG Top, ULONG Limit)
{
    ULONG First, Slots, i;

    if (Limit < MM_KERNEL_STACK_BASE + MI_KERNEL_STACK_SLOT || Top <= Limit ||
        Top > MM_KERNEL_STACK_BASE + MI_KERNEL_STACK_SLOTS * MI_KERNEL_STACK_SLOT ||
        (Limit - MM_KERNEL_STACK_BASE) % MI_KERNEL_STACK_SLOT != 0 ||
        (Top - Limit) % MI_KERNEL_STACK_SLOT != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_KERNEL_STACK, Top, Limit, 1);
    First = (Limit - MM_KERNEL_STACK_BASE) / MI_KERNEL_STACK_SLOT - 1;
    Slots = (Top - Limit) / MI_KERNEL_STACK_SLOT;
    if (MiKernelStackSlotUsed[First] != MI_SLOT_EXTENSION_GUARD)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_KERNEL_STACK, Top, Limit, 2);
    for (i = 1; i <= Slots; i++)
        if (MiKernelStackSlotUsed[First + i] != MI_SLOT_EXTENSION)
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_KERNEL_STACK, Top, Limit, 3);
    MiUnmapKernelStackPages(Limit, Top);
    for (i = 0; i <= Slots; i++)
        MiKernelStackSlotUsed[First + i] = MI_SLOT_FREE;
    MmKernelStackExtensionsInUse--;
}

/* Is Va a kernel stack's guard page? If so, its stack's range in *Limit and *Top. */
BOOLEAN MmIsKernelStackGuardPage(ULONG Va, PULONG Limit, PULONG Top)
{
    ULONG Slot, Base;

    if (Va < MM_KERNEL_STACK_BASE || Va >= MM_KERNEL_STACK_BASE + PDE_MAPPED_VA)
        return FALSE;
    Slot = (Va - MM_KERNEL_STACK_BASE) / MI_KERNEL_STACK_SLOT;
    Base = MI_SLOT_BASE(Slot);
    if (Slot >= MI_KERNEL_STACK_SLOTS)
        return FALSE;
    if (MiKernelStackSlotUsed[Slot] == MI_SLOT_EXTENSION_GUARD)
    {
        /* An extension's guard: the whole slot below it. */
        ULONG Next = Slot + 1;

        while (Next < MI_KERNEL_STACK_SLOTS && MiKernelStackSlotUsed[Next] == MI_SLOT_EXTENSION)
            Next++;
        *Limit = MI_SLOT_BASE(Slot + 1);
        *Top = MI_SLOT_BASE(Next);
        return TRUE;
    }
    if (Va >= Base + PAGE_SIZE || MiKernelStackSlotUsed[Slot] != MI_SLOT_STACK)
        return FALSE;
    *Limit = Base + PAGE_SIZE;
    *Top = Base + MI_KERNEL_STACK_SLOT;
    return TRUE;
}
