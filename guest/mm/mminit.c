/*
 * mminit.c - memory manager initialization (MmInitSystem). From the boot page directory that
 * boot.S built it removes the temporary identity map (the user half of the boot directory is
 * then empty), reads the Multiboot information through hyperspace, maps the kernel image
 * (4 KiB PTEs with read-only code and unmapped stack guard pages, or one large page with
 * pv.largekernel=1: mm/largepag.c), and builds the PFN database at 0x80400000 (with large
 * pages for every whole 4 MiB of it, where physical memory allows) from the memory map: frames holding the kernel, the Multiboot data and the
 * modules are in use, frames below 1 MiB are left unused, the rest go to the Free list.
 *
 * Every system page table the kernel will ever use is allocated here, at boot (the kernel's,
 * the PFN database's and the pagefile bitmap's, hyperspace's). A new process copies PDEs
 * 0x200-0x3FF once from the boot directory, and that copy stays complete: no lazy system-PDE
 * synchronization is needed.
 *
 * Then: the pagefile (its size from the host; a bitmap of its slots right after the PFN
 * database, mm/pagefile.c); the boot modules' frames go to the Free list when the host serves
 * the image files (ldr/imageio.c), since images are paged from there; the paging thresholds,
 * sized from RAM as NT sized them (MmMinimumFreePages 26; Modified list written above 100/150/
 * 300 pages down to 40/80/150 on small/medium/large systems; pagefile reads of 3/5/8 pages
 * around a fault) and the working-set defaults; last, the system commit limit (RAM available
 * then, less a reserve, plus the pagefile) and the fault trace ring (mm/faulttrace.c).
 *
 * /3GB moves the user/system split (MiInitializeSystemRange), in the kernel built for it.
 *
 * Kernel command-line options (pages): pv.wsmin=N and pv.wsmax=N, every process's working-set
 * minimum and maximum; pv.readcluster=N (1-16), pages of a first pagefile read;
 * pv.readaroundmax=N (1-16), the most any read-around reads (it doubles on sequential faults); pv.burnpages=N, pages
 * of RAM left unused (NT's /BURNMEMORY boot option, in pages): memory pressure without
 * shrinking --mem below what the boot modules need; pv.cloneblocks=N, clone blocks that may be
 * in use (mm/clonblk.c: a smaller pool, so that a clone can run out of them in a test).
 */
#include "mm.h"
#include "hv.h"
#include "ldr.h"
#include "multiboot.h"
#include "ps.h"
#include "intrin.h"
#include "rtl.h"
#include "vad.h"
#include "pv_layout.h"

/* What the host reads of this kernel's state, from outside (shared/pv_layout.h). */
_Static_assert(__builtin_offsetof(MMPFNLIST, Total) == PV_LAYOUT_MMPFNLIST_TOTAL, "MMPFNLIST");
_Static_assert(__builtin_offsetof(MMPAGING_FILE, Size) == PV_LAYOUT_PAGING_FILE_SIZE &&
               __builtin_offsetof(MMPAGING_FILE, FreeSpace) == PV_LAYOUT_PAGING_FILE_FREE_SPACE &&
               __builtin_offsetof(MMPAGING_FILE, InUse) == PV_LAYOUT_PAGING_FILE_IN_USE,
               "MMPAGING_FILE");
_Static_assert(__builtin_offsetof(EPROCESS, Pcb.DirectoryTableBase) == PV_LAYOUT_EPROCESS_DIRBASE &&
               __builtin_offsetof(EPROCESS, ActiveProcessLinks) == PV_LAYOUT_EPROCESS_ACTIVE_LINKS &&
               __builtin_offsetof(EPROCESS, UniqueProcessId) == PV_LAYOUT_EPROCESS_PID &&
               __builtin_offsetof(EPROCESS, InheritedFromUniqueProcessId) ==
                   PV_LAYOUT_EPROCESS_PARENT_PID &&
               __builtin_offsetof(EPROCESS, ImageFileName) == PV_LAYOUT_EPROCESS_IMAGE_NAME &&
               __builtin_offsetof(EPROCESS, HandleTable) == PV_LAYOUT_EPROCESS_HANDLE_TABLE &&
               PS_MAX_HANDLES == PV_LAYOUT_EPROCESS_HANDLES && sizeof(LIST_ENTRY) == 8 &&
               __builtin_offsetof(EPROCESS, Vm.VadRoot.Root) == PV_LAYOUT_EPROCESS_VAD_ROOT &&
               __builtin_offsetof(EPROCESS, Vm.VadRoot.NumberGenericTableElements) ==
                   PV_LAYOUT_EPROCESS_VAD_COUNT &&
               __builtin_offsetof(EPROCESS, Vm.CommitCharge) == PV_LAYOUT_EPROCESS_COMMIT &&
               __builtin_offsetof(EPROCESS, Vm.PageFaultCount) == PV_LAYOUT_EPROCESS_FAULTS &&
               __builtin_offsetof(EPROCESS, Vm.PrivatePages) == PV_LAYOUT_EPROCESS_PRIVATE_PAGES &&
               __builtin_offsetof(EPROCESS, Ws.VmWorkingSetList) == PV_LAYOUT_EPROCESS_WSL &&
               __builtin_offsetof(EPROCESS, Ws.MinimumWorkingSetSize) == PV_LAYOUT_EPROCESS_WS_MIN &&
               __builtin_offsetof(EPROCESS, Ws.MaximumWorkingSetSize) == PV_LAYOUT_EPROCESS_WS_MAX &&
               __builtin_offsetof(EPROCESS, Ws.PeakWorkingSetSize) == PV_LAYOUT_EPROCESS_WS_PEAK,
               "EPROCESS: shared/pv_layout.h must follow guest/include/ps.h");
_Static_assert(sizeof(MMPFN) == PV_LAYOUT_MMPFN_SIZE &&
               __builtin_offsetof(MMPFN, u1) == PV_LAYOUT_MMPFN_U1 &&
               __builtin_offsetof(MMPFN, PteAddress) == PV_LAYOUT_MMPFN_PTE_ADDRESS &&
               __builtin_offsetof(MMPFN, u2) == PV_LAYOUT_MMPFN_U2 &&
               __builtin_offsetof(MMPFN, u3.ReferenceCount) == PV_LAYOUT_MMPFN_REFCOUNT &&
               __builtin_offsetof(MMPFN, u3.e1) == PV_LAYOUT_MMPFN_FLAGS &&
               __builtin_offsetof(MMPFN, OriginalPte) == PV_LAYOUT_MMPFN_ORIGINAL_PTE &&
               __builtin_offsetof(MMPFN, u4) == PV_LAYOUT_MMPFN_U4 &&
               sizeof(MmPfnDatabase) == 4, "MMPFN: shared/pv_layout.h must follow mm.h");
_Static_assert(__builtin_offsetof(MMVAD, LeftChild) == PV_LAYOUT_MMVAD_LEFT &&
               __builtin_offsetof(MMVAD, RightChild) == PV_LAYOUT_MMVAD_RIGHT &&
               __builtin_offsetof(MMVAD, StartingVpn) == PV_LAYOUT_MMVAD_START_VPN &&
               __builtin_offsetof(MMVAD, EndingVpn) == PV_LAYOUT_MMVAD_END_VPN &&
               __builtin_offsetof(MMVAD, u.LongFlags) == PV_LAYOUT_MMVAD_FLAGS &&
               VadImageMap == 2, "MMVAD: shared/pv_layout.h must follow vad.h");
_Static_assert(__builtin_offsetof(MMWSL, FirstFree) == PV_LAYOUT_MMWSL_FIRST_FREE &&
               __builtin_offsetof(MMWSL, LastInitializedWsle) == PV_LAYOUT_MMWSL_LAST_INITIALIZED &&
               __builtin_offsetof(MMWSL, Capacity) == PV_LAYOUT_MMWSL_CAPACITY &&
               __builtin_offsetof(MMWSL, Oldest) == PV_LAYOUT_MMWSL_OLDEST &&
               __builtin_offsetof(MMWSL, Newest) == PV_LAYOUT_MMWSL_NEWEST &&
               __builtin_offsetof(MMWSL, Count) == PV_LAYOUT_MMWSL_COUNT &&
               __builtin_offsetof(MMWSL, Wsle) == PV_LAYOUT_MMWSL_WSLE &&
               sizeof(MMWSLE) == PV_LAYOUT_MMWSLE_SIZE &&
               __builtin_offsetof(MMWSLE, Flink) == PV_LAYOUT_MMWSLE_FLINK &&
               MI_WSLE_NONE == PV_WSLE_NONE && MI_WSLE_VALID == PV_WSLE_VALID &&
               MI_WSLE_PAGE_TABLE == PV_WSLE_PAGE_TABLE,
               "MMWSL: shared/pv_layout.h must follow ws.h");
/* MMPFNENTRY's and MMVAD_FLAGS's bits go from bit 0 up in declaration order (the i386 ABI):
 * PV_MMPFN_* and PV_MMVAD_* follow. */
_Static_assert(sizeof(MMPFNENTRY) == 2, "MMPFNENTRY");
_Static_assert(sizeof(MmHighestPhysicalPage) == 4 && sizeof(MmAvailablePages) == 4 &&
               sizeof(MmTotalCommittedPages) == 4 && sizeof(MmTotalCommitLimit) == 4,
               "the ULONG globals the host reads");

const MMPTE ValidKernelPte = { { MM_VALID_KERNEL_PTE | PTE_GLOBAL } };
const MMPTE ValidKernelPteLocal = { { MM_VALID_KERNEL_PTE } };
const MMPTE ValidKernelPde = { { MM_VALID_KERNEL_PDE } };
const MMPTE ValidUserPde = { { MM_VALID_KERNEL_PDE | PTE_OWNER } };

PFN_NUMBER MmSystemPageDirectory;
PFN_NUMBER MmNumberOfPhysicalPages;
ULONG MmPagefileSlots;
ULONG MmMinimumFreePages = 26;

/* Pages of RAM kept out of the commit limit: page tables and the three pages of each process
 * are not charged, so the limit leaves room for them (a sixteenth of what is available, at
 * least 64 pages). */
#define MI_COMMIT_RESERVE_MINIMUM 64u

extern MMPTE KiBootPageDirectory[], KiBootKernelPageTable[], KiBootHyperSpacePageTable[];

/* Boot-time page allocator (before the PFN database exists): hands out usable frames upward
 * from 1 MiB. Every usable frame below MxNextPage has been handed out. */
PFN_NUMBER MxNextPage = 0x100;
PFN_NUMBER MxPagesUsed;

ULONG MmGetPhysicalAddress(PCVOID VirtualAddress)
{
    ULONG Va = (ULONG)(ULONG_PTR)VirtualAddress;
    MMPTE TempPte = MI_READ_PTE(MiAddressToPde(Va));

    if (!TempPte.u.Hard.Valid)
        return 0;
    if (TempPte.u.Hard.LargePage)
        return (TempPte.u.Long & PDE_LARGE_FRAME_MASK) | (Va & (PDE_MAPPED_VA - 1));
    TempPte = MI_READ_PTE(MiAddressToPte(Va));
    if (!TempPte.u.Hard.Valid)
        return 0;
    return PTE_FROM_PFN(TempPte.u.Hard.PageFrameNumber) | (Va & (PAGE_SIZE - 1));
}

static BOOLEAN MiIsRamPage(PFN_NUMBER Page)
{
    ULONGLONG Start = (ULONGLONG)Page << PAGE_SHIFT, End = Start + PAGE_SIZE;
    ULONG i;

    for (i = 0; i < KeLoaderBlock.MemoryRangeCount; i++)
    {
        const LDR_MEMORY_RANGE *Range = &KeLoaderBlock.MemoryRanges[i];
        if (Range->Type == MULTIBOOT_MEMORY_AVAILABLE && Range->Base <= Start &&
            End <= Range->Base + Range->Length)
            return TRUE;
    }
    return FALSE;
}

static BOOLEAN MiIsReservedPage(PFN_NUMBER Page)
{
    ULONG Start = Page << PAGE_SHIFT, i;

    for (i = 0; i < KeLoaderBlock.ReservedCount; i++)
    {
        const LDR_PHYSICAL_RANGE *Range = &KeLoaderBlock.Reserved[i];
        if (Start < Range->End && Range->Start < Start + PAGE_SIZE)
            return TRUE;
    }
    return FALSE;
}

/* RAM at or above 1 MiB that holds nothing the loader gave us and no large page took. */
BOOLEAN MiIsUsablePage(PFN_NUMBER Page)
{
    return Page >= 0x100 && MiIsRamPage(Page) && !MiIsReservedPage(Page) &&
           !MiIsLargeRunPage(Page);
}

static PFN_NUMBER MxGetNextPage(VOID)
{
    while (MxNextPage <= MmHighestPhysicalPage)
    {
        PFN_NUMBER Page = MxNextPage++;
        if (MiIsUsablePage(Page))
        {
            MxPagesUsed++;
            return Page;
        }
    }
    KeBugCheckEx(INSTALL_MORE_MEMORY, MmNumberOfPhysicalPages, 0x100, MmHighestPhysicalPage, 0);
}

/* Map one system page with a global kernel PTE, creating its page table if needed (boot only:
 * see the comment at the top). */
static VOID MiMapSystemPage(ULONG Va, PFN_NUMBER Page)
{
    PMMPTE PointerPde = MiAddressToPde(Va);

    if (!PointerPde->u.Hard.Valid)
    {
        MI_WRITE_PTE(PointerPde, MI_MAKE_PTE(ValidKernelPde, MxGetNextPage()));
        __invlpg(MiPdeToPte(PointerPde));
        RtlZeroMemory(MiPdeToPte(PointerPde), PAGE_SIZE);
    }
    MI_WRITE_PTE(MiAddressToPte(Va), MI_MAKE_PTE(ValidKernelPte, Page));
    __invlpg((PVOID)(ULONG_PTR)Va);
}

static VOID MiInitializeBootPageDirectory(VOID)
{
    ULONG Pde;
    MMPTE ZeroPte = { { 0 } };

    /* The identity map boot.S needed to turn paging on: user space is empty from now on. */
    for (Pde = 0; Pde < MI_SYSTEM_PDE_FIRST; Pde++)
        MI_WRITE_PTE(&((PMMPTE)PDE_BASE)[Pde], ZeroPte);
    KeFlushCurrentTb();

    MmSystemPageDirectory = KI_IMAGE_TO_PHYSICAL(KiBootPageDirectory) >> PAGE_SHIFT;
    PsInitialSystemProcess.Pcb.DirectoryTableBase[0] = PTE_FROM_PFN(MmSystemPageDirectory);
    PsInitialSystemProcess.Pcb.DirectoryTableBase[1] =
        KI_IMAGE_TO_PHYSICAL(KiBootHyperSpacePageTable);
    PsInitialSystemProcess.UniqueProcessId = 4;
    memcpy(PsInitialSystemProcess.ImageFileName, "System", 7);
}

/* /3GB, NT's boot.ini switch: user space up to 0xBFFEFFFF (probes refuse 0xBFFF0000 on),
 * system space from 0xC0000000, the self-map and hyperspace where they are. Only a kernel
 * that lives above them (kernel-3gb.elf, linked at 0xC0900000: NT's virtual bias) can give up
 * 0x80000000-0xBFFFFFFF; the 2 GB kernel says so and keeps the 2 GB split. The user stack
 * stays below 0x7FFE0000 either way (NT keeps the default placement low). */
static VOID MiInitializeSystemRange(VOID)
{
    if (KiCommandLineHasOption("/3GB") || KiCommandLineHasOption("/3gb"))
    {
        if (KSEG0_BASE >= MM_LOWEST_SYSTEM_ADDRESS)
        {
            MmHighestUserAddress = MM_HIGHEST_USER_ADDRESS_3GB;
            MmUserProbeAddress = MM_USER_PROBE_ADDRESS_3GB;
            MmSystemRangeStart = MM_SYSTEM_RANGE_START_3GB;
        }
        else
        {
            DbgPrint("mm: /3GB ignored: this kernel is linked at 0x%08X, inside the third "
                     "gigabyte; /3GB needs the kernel linked above 0x%08X (kernel-3gb.elf, "
                     "pagevisor run --3gb)\n", (ULONG)(ULONG_PTR)__KernelStart,
                     MM_LOWEST_SYSTEM_ADDRESS);
        }
    }
    DbgPrint("mm: user space 0x%08X-0x%08X (probes refuse 0x%08X on), system space from "
             "0x%08X%s, kernel at 0x%08X\n", MM_LOWEST_USER_ADDRESS, MmHighestUserAddress,
             MmUserProbeAddress, MmSystemRangeStart,
             MmSystemRangeStart == MM_SYSTEM_RANGE_START ? "" : " (/3GB)",
             (ULONG)(ULONG_PTR)__KernelStart);
}

static VOID MiFindHighestPage(VOID)
{
    ULONG i;

    for (i = 0; i < KeLoaderBlock.MemoryRangeCount; i++)
    {
        const LDR_MEMORY_RANGE *Range = &KeLoaderBlock.MemoryRanges[i];
        ULONGLONG End = Range->Base + Range->Length;

        if (Range->Type != MULTIBOOT_MEMORY_AVAILABLE || Range->Length < PAGE_SIZE)
            continue;
        if (End > 0x100000000ull)
            End = 0x100000000ull;   /* 32-bit paging without PAE: the first 4 GiB only */
        if (End > ((ULONGLONG)MmHighestPhysicalPage + 1) << PAGE_SHIFT && End > Range->Base)
            MmHighestPhysicalPage = (PFN_NUMBER)((End >> PAGE_SHIFT) - 1);
    }
}

/* PteAddress/PteFrame of a page mapped by a system PTE. */
static VOID MiSetSystemPfn(PFN_NUMBER Page, PMMPTE PointerPte, PFN_NUMBER PteFrame)
{
    PMMPFN Pfn1;

    if (Page > MmHighestPhysicalPage)
        return;
    Pfn1 = MI_PFN_ELEMENT(Page);
    Pfn1->PteAddress = PointerPte;
    Pfn1->OriginalPte.u.Long = MM_DEMAND_ZERO_WRITE_PTE;
    Pfn1->u4.PteFrame = PteFrame;
}

static VOID MiBuildPfnDatabase(VOID)
{
    ULONG Entries = MmHighestPhysicalPage + 1;
    ULONG Pages = (ULONG)ALIGN_UP_BY(Entries * sizeof(MMPFN), PAGE_SIZE) >> PAGE_SHIFT;
    ULONG Slots = MmPagefileSlots < MI_PAGEFILE_MAX_SLOTS ? MmPagefileSlots : MI_PAGEFILE_MAX_SLOTS;
    ULONG BitmapPages = (ULONG)ALIGN_UP_BY((Slots + 31) / 32 * 4, PAGE_SIZE) >> PAGE_SHIFT;
    ULONG BitmapBase = MM_PFN_DATABASE_BASE + (Pages + 1) * PAGE_SIZE;
    ULONG i, Pde, Pte, Low = 0, Reserved = 0, Free;
    PFN_NUMBER Page;

    for (i = MiMapLargeSystemRange(MM_PFN_DATABASE_BASE, Pages, "PFN database"); i < Pages; i++)
    {
        ULONG Va = MM_PFN_DATABASE_BASE + i * PAGE_SIZE;
        MiMapSystemPage(Va, MxGetNextPage());
        RtlZeroMemory((PVOID)(ULONG_PTR)Va, PAGE_SIZE);
    }
    MmPfnDatabase = (PMMPFN)(ULONG_PTR)MM_PFN_DATABASE_BASE;

    /* The pagefile's slot bitmap, a page after the PFN database. */
    for (i = MiMapLargeSystemRange(BitmapBase, BitmapPages, "pagefile bitmap"); i < BitmapPages; i++)
        MiMapSystemPage(BitmapBase + i * PAGE_SIZE, MxGetNextPage());
    MiInitializePagingFile(BitmapPages != 0 ? (PULONG)(ULONG_PTR)BitmapBase : NULL, Slots);

    /* The kernel stacks' page table (mm/procsup.c maps stacks in it as threads come). */
    MI_WRITE_PTE(MiAddressToPde(MM_KERNEL_STACK_BASE), MI_MAKE_PTE(ValidKernelPde,
                                                                   MxGetNextPage()));
    __invlpg(MiAddressToPte(MM_KERNEL_STACK_BASE));
    RtlZeroMemory(MiAddressToPte(MM_KERNEL_STACK_BASE), PAGE_SIZE);

    /* Usable frames above what the boot allocator took are free; everything else is in use
     * (kernel, boot page tables, PFN database, Multiboot data, modules, low memory, holes).
     * Under pagevisor nothing has written the free ones since the machine started and RAM
     * starts zeroed (shared/pv_abi.h): they go straight to the Zeroed list, so nobody zeroes -
     * and makes the host back - memory never used. Elsewhere (QEMU -kernel: SeaBIOS leaves its
     * scratch data in free RAM) they go to Free, as do frames used since (the modules', freed
     * ones); a Free frame is zeroed when a demand-zero fault takes it (MiRemoveZeroPage). */
    for (Page = 0; Page <= MmHighestPhysicalPage; Page++)
    {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
        BOOLEAN Ram = MiIsRamPage(Page);

        if (Ram)
            MmNumberOfPhysicalPages++;
        if (Page >= MxNextPage && MiIsUsablePage(Page))
        {
            if (HvHostServicesPresent)
                MiInsertPageInZeroedList(Page);
            else
                MiInsertPageInFreeList(Page);
            continue;
        }
        Pfn1->u3.e1.PageLocation = ActiveAndValid;
        Pfn1->u3.ReferenceCount = 1;
        Pfn1->u2.ShareCount = 1;
        if (Ram && Page < 0x100)
            Low++;
        else if (Ram && MiIsReservedPage(Page))
            Reserved++;
    }

    /* Frames mapped in system space: their PTE and page table. */
    for (Pde = MI_SYSTEM_PDE_FIRST; Pde < PTE_PER_PAGE; Pde++)
    {
        PMMPTE PointerPde = &((PMMPTE)PDE_BASE)[Pde];
        PMMPTE PointerPte;

        if (!PointerPde->u.Hard.Valid || Pde == MI_SELFMAP_PDE_INDEX)
            continue;
        if (PointerPde->u.Hard.LargePage)
        {
            MiInitializeLargePagePfns(PointerPde, MmSystemPageDirectory);
            continue;
        }
        MiSetSystemPfn(PointerPde->u.Hard.PageFrameNumber, PointerPde, MmSystemPageDirectory);
        PointerPte = MiPdeToPte(PointerPde);
        for (Pte = 0; Pte < PTE_PER_PAGE; Pte++)
        {
            if (PointerPte[Pte].u.Hard.Valid && Pde != MI_HYPERSPACE_PDE_INDEX)
                MiSetSystemPfn(PointerPte[Pte].u.Hard.PageFrameNumber, &PointerPte[Pte],
                               PointerPde->u.Hard.PageFrameNumber);
        }
    }
    MiSetSystemPfn(MmSystemPageDirectory, (PMMPTE)MI_PDE_VA(PDE_BASE), MmSystemPageDirectory);

    Free = MmZeroedPageListHead.Total + MmFreePageListHead.Total;
    DbgPrint("mm: PFN database at 0x%08X: %u entries (%u KiB, %u pages), highest PFN 0x%X\n",
             MM_PFN_DATABASE_BASE, Entries, Pages * 4, Pages, MmHighestPhysicalPage);
    DbgPrint("mm: pagefile: %u slots, bitmap at 0x%08X (%u pages)\n", Slots,
             BitmapPages != 0 ? BitmapBase : 0, BitmapPages);
    DbgPrint("mm: %u pages of RAM (%u KiB): %u free, %u kernel image, %u boot page tables and "
             "PFN database, %u Multiboot data and modules, %u below 1 MiB unused\n",
             MmNumberOfPhysicalPages, MmNumberOfPhysicalPages * 4, Free,
             (ULONG)(__KernelEnd - __KernelStart) >> PAGE_SHIFT, MxPagesUsed,
             Reserved - ((ULONG)(__KernelEnd - __KernelStart) >> PAGE_SHIFT), Low);
}

/* The system commit limit: what private memory may be promised at most. RAM available now
 * (less the reserve above) plus the pagefile, whose size the host tells (no pagefile: 0). */
static VOID MiInitializeCommitLimit(VOID)
{
    ULONG Reserve = MmAvailablePages / 16;

    if (Reserve < MI_COMMIT_RESERVE_MINIMUM)
        Reserve = MI_COMMIT_RESERVE_MINIMUM;
    MmPagingFile.CommitSlots = MmPagingFile.FreeSpace;
    MmTotalCommitLimit = (MmAvailablePages > Reserve ? MmAvailablePages - Reserve : 0) +
                         MmPagingFile.CommitSlots;
    MmTotalCommittedPages = 0;
    DbgPrint("mm: commit limit %u pages: %u available - %u reserved for page tables and "
             "processes + %u pagefile slots\n", MmTotalCommitLimit, MmAvailablePages, Reserve,
             MmPagingFile.FreeSpace);
}

/* Images are paged from the host's files: the boot modules' frames are free memory now (a
 * page shared with anything else the loader handed over stays reserved). */
static VOID MiReleaseModulePages(VOID)
{
    ULONG i, j, Released = 0;
    PFN_NUMBER Page;

    for (i = 0; i < KeLoaderBlock.ModuleCount; i++)
    {
        const LDR_MODULE *Module = &KeLoaderBlock.Modules[i];

        for (Page = Module->PhysicalStart >> PAGE_SHIFT;
             Page <= MmHighestPhysicalPage && Page < ALIGN_UP_BY(Module->PhysicalEnd, PAGE_SIZE) >> PAGE_SHIFT;
             Page++)
        {
            ULONG Start = Page << PAGE_SHIFT;
            PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
            BOOLEAN Other = Page < 0x100 || !MiIsRamPage(Page);

            for (j = 0; j < KeLoaderBlock.ReservedCount && !Other; j++)
            {
                const LDR_PHYSICAL_RANGE *Range = &KeLoaderBlock.Reserved[j];
                Other = strcmp(Range->What, "module") != 0 && Start < Range->End &&
                        Range->Start < Start + PAGE_SIZE;
            }
            if (Other || Pfn1->u3.e1.PageLocation != ActiveAndValid ||
                Pfn1->u3.ReferenceCount != 1)
                continue;
            Pfn1->u2.ShareCount = 0;
            Pfn1->u3.ReferenceCount = 0;
            MiInsertPageInFreeList(Page);
            Released++;
        }
    }
    DbgPrint("mm: %u pages of boot modules freed (images are read from the host)\n", Released);
}

static ULONG MiCommandLineValue(PCSTR Option, ULONG Default, ULONG Minimum, ULONG Maximum)
{
    ULONG Value;

    if (!KiQueryCommandLineValue(Option, &Value))
        return Default;
    if (Value < Minimum)
        Value = Minimum;
    if (Value > Maximum)
        Value = Maximum;
    return Value;
}

/* pv.burnpages=N: N available pages (the last ones on the Zeroed list, then the Free list) are
 * never used. At least MI_COMMIT_RESERVE_MINIMUM pages stay. */
static VOID MiBurnMemory(VOID)
{
    ULONG Pages = MiCommandLineValue("pv.burnpages", 0, 0, 0xFFFFFFFFu), Burned = 0;

    while (Burned < Pages &&
           MmZeroedPageListHead.Total + MmFreePageListHead.Total > MI_COMMIT_RESERVE_MINIMUM)
    {
        PFN_NUMBER Page = MmZeroedPageListHead.Total != 0 ? MmZeroedPageListHead.Blink
                                                          : MmFreePageListHead.Blink;
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

        MiUnlinkPageFromList(Pfn1);
        Pfn1->u3.ReferenceCount = 1;
        Pfn1->u2.ShareCount = 1;
        Burned++;
    }
    if (Burned != 0)
        DbgPrint("mm: pv.burnpages: %u pages of RAM left unused, %u available\n", Burned,
                 MmAvailablePages);
}

/* NT's thresholds by system size (MmMinimumFreePages, the Modified list's, the read
 * cluster), and the working-set limits every process starts with. */
static VOID MiInitializePagingPolicy(VOID)
{
    ULONG Megabytes = MmNumberOfPhysicalPages >> (20 - PAGE_SHIFT);

    if (Megabytes <= 13)
    {
        MmModifiedPageMinimum = 40;
        MmModifiedPageMaximum = 100;
        MmReadClusterSize = 3;
    }
    else if (Megabytes <= 19)
    {
        MmModifiedPageMinimum = 80;
        MmModifiedPageMaximum = 150;
        MmReadClusterSize = 5;
    }
    else
    {
        MmModifiedPageMinimum = 150;
        MmModifiedPageMaximum = 300;
        MmReadClusterSize = 8;
    }
    MmReadAroundMaximum = MiCommandLineValue("pv.readaroundmax", PV_PAGEFILE_CLUSTER_MAX, 1,
                                             PV_PAGEFILE_CLUSTER_MAX);
    MmReadClusterSize = MiCommandLineValue("pv.readcluster", MmReadClusterSize, 1,
                                           MmReadAroundMaximum);
    MmMaximumWorkingSetSize = MmAvailablePages > MmMinimumFreePages
                                  ? MmAvailablePages - MmMinimumFreePages : MmAvailablePages;
    if (MmMaximumWorkingSetSize < MI_SMALLEST_WORKING_SET_MAXIMUM)
        MmMaximumWorkingSetSize = MI_SMALLEST_WORKING_SET_MAXIMUM;
    MmWorkingSetMaximumDefault = MiCommandLineValue("pv.wsmax", MmMaximumWorkingSetSize,
                                                    MI_SMALLEST_WORKING_SET_MAXIMUM,
                                                    MmMaximumWorkingSetSize);
    MmWorkingSetMinimumDefault = MiCommandLineValue("pv.wsmin", MmWorkingSetMinimumDefault, 0,
                                                    MmWorkingSetMaximumDefault);
    MmCloneBlockLimit = MiCommandLineValue("pv.cloneblocks", MmCloneBlockLimit, 1,
                                           MI_CLONE_BLOCKS - 1);
    if (MmWorkingSetMinimumDefault > MmWorkingSetMaximumDefault)
        MmWorkingSetMinimumDefault = MmWorkingSetMaximumDefault;
    DbgPrint("mm: paging: minimum free pages %u, modified pages written above %u down to %u, "
             "pagefile reads of up to %u pages; working sets %u-%u pages (largest maximum %u)\n",
             MmMinimumFreePages, MmModifiedPageMaximum, MmModifiedPageMinimum,
             MmReadClusterSize, MmWorkingSetMinimumDefault, MmWorkingSetMaximumDefault,
             MmMaximumWorkingSetSize);
}

VOID MmInitSystem(ULONG MultibootInfoPhysical)
{
    ULONG i;

    MiInitializeBootPageDirectory();
    MiInitializeHyperSpace();
    LdrReadMultibootInformation(MultibootInfoPhysical);
    MiInitializeSystemRange();
    MiInitializeKernelMapping();

    DbgPrint("ldr: boot loader \"%s\", command line \"%s\", mem_lower %u KiB, mem_upper %u KiB\n",
             KeLoaderBlock.BootLoaderName, KeLoaderBlock.CommandLine, KeLoaderBlock.MemLowerKb,
             KeLoaderBlock.MemUpperKb);
    for (i = 0; i < KeLoaderBlock.MemoryRangeCount; i++)
    {
        const LDR_MEMORY_RANGE *Range = &KeLoaderBlock.MemoryRanges[i];
        DbgPrint("ldr: memory 0x%08X-0x%08X %s\n", (ULONG)Range->Base,
                 (ULONG)(Range->Base + Range->Length - 1),
                 Range->Type == MULTIBOOT_MEMORY_AVAILABLE ? "available" : "reserved");
    }
    for (i = 0; i < KeLoaderBlock.ModuleCount; i++)
    {
        const LDR_MODULE *Module = &KeLoaderBlock.Modules[i];
        DbgPrint("ldr: module %u \"%s\" (%s) at 0x%08X-0x%08X\n", i, Module->CommandLine,
                 Module->Name, Module->PhysicalStart, Module->PhysicalEnd - 1);
    }

    MiFindHighestPage();
    MmPagefileSlots = HvQueryPagefileSlots();
    MiBuildPfnDatabase();
    LdrInitializeImageAccess();
    if (LdrHostImageReads)
        MiReleaseModulePages();
    MiBurnMemory();
    MiInitializePagingPolicy();
    MiInitializeCommitLimit();
    MiInitializeFaultTrace();
}
