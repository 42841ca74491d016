/*
 * largepag.c - 4 MiB large pages for boot-time system memory (a PDE with the PS bit; CR4.PSE
 * is on from boot.S). Large pages are never paged out and map physically contiguous, 4 MiB-
 * aligned memory at a 4 MiB-aligned address, so only memory made at boot can use them; every
 * walker reads the PDE first and takes a large PDE as the translation (MmGetPhysicalAddress,
 * the fault path, the trace records, mm/mmcheck.c; the host's vmm/pt_walk.c).
 *
 * What is mapped large, and why (NT's facts: it maps the boot images, the PFN database and the
 * initial nonpaged pool with large pages "when possible", and gives up write-protecting kernel
 * code on systems where it maps the kernel with a large page):
 *
 *   PFN database (and the pagefile bitmap after it): every whole 4 MiB of it whose frames can
 *     come from one free 4 MiB-aligned physical run gets a global supervisor large PDE; the
 *     rest stays on 4 KiB PTEs. The PFN database fills 4 MiB from about 680 MiB of RAM on
 *     (24 bytes an entry), so smaller guests keep 4 KiB PTEs there: a large page of which
 *     most would be unused RAM is not worth its 4 MiB.
 *   kernel image: by default one large page, as alignment allows (NT's large-system
 *     behaviour): PDE 0x200 becomes one global large page mapping physical 0-4 MiB at
 *     0x80000000 (the image is linked at KSEG0_BASE + physical), one TB entry for the whole
 *     kernel; then nothing in it is read-only and the boot stack's guard page is gone, as in
 *     NT (thread stacks keep theirs: they live in their own 4 MiB on 4 KiB PTEs). The
 *     self-tests of those protections (pv.selftest=readonly: bug check 0xBE;
 *     pv.selftest=stackoverflow: 0x7F) keep 4 KiB PTEs, read-only code and the guard page, and
 *     so does pv.largekernel=0; pv.largekernel=1 asks for the large page even with the
 *     readonly self-test (its write then goes through).
 *
 * The frames under a large PDE are ActiveAndValid with PteAddress = the PDE; the large runs
 * taken for system memory are never handed out by the boot allocator or put on a list. Free
 * frames that the kernel's large page happens to cover (the rest of the first 4 MiB) are
 * still used for anything, as NT uses the memory under its large kernel mappings.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"
#include "rtl.h"

#define MI_LARGE_PAGE_PAGES   (PDE_MAPPED_VA >> PAGE_SHIFT)   /* 1024 */
#define MI_MAXIMUM_LARGE_RUNS 8u

_Static_assert((KSEG0_BASE & (PDE_MAPPED_VA - 1)) == 0, "KSEG0 is 4 MiB aligned");

BOOLEAN MmLargeKernel;

/* Physical runs of 1024 frames taken for large system pages (first frame of each). */
static PFN_NUMBER MiLargeRuns[MI_MAXIMUM_LARGE_RUNS];
static ULONG MiLargeRunCount;

BOOLEAN MiIsLargeRunPage(PFN_NUMBER Page)
{
    ULONG i;

    for (i = 0; i < MiLargeRunCount; i++)
    {
        if (Page >= MiLargeRuns[i] && Page < MiLargeRuns[i] + MI_LARGE_PAGE_PAGES)
            return TRUE;
    }
    return FALSE;
}

/* The PDE of a large page: global, supervisor, read/write, accessed and dirty. */
MMPTE MiMakeLargePde(PFN_NUMBER FirstPage)
{
    MMPTE TempPde = MI_MAKE_PTE(ValidKernelPte, FirstPage);

    TempPde.u.Hard.LargePage = 1;
    return TempPde;
}

/* Flush every TB entry, global ones too (they map the system pages being replaced). */
static VOID MiFlushEntireTb(VOID)
{
    ULONG Cr4 = __readcr4();

    __writecr4(Cr4 & ~CR4_PGE);
    __writecr4(Cr4);
}

/* A free 4 MiB-aligned physical run of usable frames the boot allocator has not reached. */
static BOOLEAN MxGetLargeRun(PPFN_NUMBER FirstPage)
{
    PFN_NUMBER Start, Page;

    if (MiLargeRunCount == MI_MAXIMUM_LARGE_RUNS)
        return FALSE;
    for (Start = ALIGN_UP_BY(MxNextPage, MI_LARGE_PAGE_PAGES);
         Start + MI_LARGE_PAGE_PAGES - 1 <= MmHighestPhysicalPage;
         Start += MI_LARGE_PAGE_PAGES)
    {
        for (Page = Start; Page < Start + MI_LARGE_PAGE_PAGES; Page++)
        {
            if (!MiIsUsablePage(Page))
                break;
        }
        if (Page == Start + MI_LARGE_PAGE_PAGES)
        {
            MiLargeRuns[MiLargeRunCount++] = Start;
            MxPagesUsed += MI_LARGE_PAGE_PAGES;
            *FirstPage = Start;
            return TRUE;
        }
    }
    return FALSE;
}

ULONG MiMapLargeSystemRange(ULONG Va, ULONG Pages, PCSTR What)
{
    ULONG Mapped = 0;
    PFN_NUMBER FirstPage;

    if ((Va & (PDE_MAPPED_VA - 1)) != 0)
        return 0;
    while (Pages - Mapped >= MI_LARGE_PAGE_PAGES && MxGetLargeRun(&FirstPage))
    {
        ULONG ChunkVa = Va + Mapped * PAGE_SIZE;

        MI_WRITE_PTE(MiAddressToPde(ChunkVa), MiMakeLargePde(FirstPage));
        __invlpg((PVOID)(ULONG_PTR)ChunkVa);
        RtlZeroMemory((PVOID)(ULONG_PTR)ChunkVa, PDE_MAPPED_VA);
        DbgPrint("mm: large page: PDE 0x%03X 0x%08X-0x%08X -> physical 0x%08X (%s)\n",
                 MI_PDE_INDEX(ChunkVa), ChunkVa, ChunkVa + PDE_MAPPED_VA - 1,
                 PTE_FROM_PFN(FirstPage), What);
        Mapped += MI_LARGE_PAGE_PAGES;
    }
    return Mapped;
}

/* pv.largekernel=1: the kernel's PDE becomes one large page (see the top comment). */
static VOID MiMapKernelWithLargePage(VOID)
{
    PMMPTE PointerPde = MiAddressToPde(KSEG0_BASE);

    MI_WRITE_PTE(PointerPde, MiMakeLargePde(KI_IMAGE_TO_PHYSICAL(KSEG0_BASE) >> PAGE_SHIFT));
    MiFlushEntireTb();
    DbgPrint("mm: large page: PDE 0x%03X 0x%08X-0x%08X -> physical 0x%08X (kernel image: "
             "its code is not write-protected, the boot stack has no guard page; "
             "pv.largekernel=0 keeps 4 KiB PTEs)\n", MI_PDE_INDEX(KSEG0_BASE), KSEG0_BASE, KSEG0_BASE + PDE_MAPPED_VA - 1,
             KI_IMAGE_TO_PHYSICAL(KSEG0_BASE));
}

/* Code and read-only data read-only (CR0.WP holds the kernel to it), the boot stack's guard
 * page unmapped: an overflow faults, then double-faults onto the double-fault task. (Thread
 * stacks have their own guard pages in their own 4 MiB, large kernel or not.) */
static VOID MiProtectKernelPtes(VOID)
{
    MMPTE ZeroPte = { { 0 } };
    ULONG Va;

    for (Va = (ULONG)(ULONG_PTR)__KernelStart; Va < (ULONG)(ULONG_PTR)__KernelWritableStart;
         Va += PAGE_SIZE)
    {
        MiAddressToPte(Va)->u.Hard.Write = 0;
        __invlpg((PVOID)(ULONG_PTR)Va);
    }
    MI_WRITE_PTE(MiAddressToPte(KiBootStackGuard), ZeroPte);
    __invlpg(KiBootStackGuard);
}

VOID MiInitializeKernelMapping(VOID)
{
    ULONG Value;

    /* By default the kernel is one large page, as alignment allows; the self-tests of what
     * only 4 KiB PTEs give (read-only code, the boot stack's guard page) keep them, as does
     * pv.largekernel=0. */
    if (KiQueryCommandLineValue("pv.largekernel", &Value))
        MmLargeKernel = Value != 0;
    else
        MmLargeKernel = !KiCommandLineHasOption("pv.selftest=readonly") &&
                        !KiCommandLineHasOption("pv.selftest=stackoverflow");
    if (MmLargeKernel && KiCommandLineHasOption("pv.selftest=stackoverflow"))
    {
        DbgPrint("mm: pv.largekernel ignored: pv.selftest=stackoverflow needs the stack's "
                 "guard page (4 KiB PTEs)\n");
        MmLargeKernel = FALSE;
    }
    if (MmLargeKernel)
        MiMapKernelWithLargePage();
    else
        MiProtectKernelPtes();
}

/* PteAddress/PteFrame of the frames a large PDE maps for the system: its runs, the image. */
VOID MiInitializeLargePagePfns(PMMPTE PointerPde, PFN_NUMBER PageDirectory)
{
    PFN_NUMBER First = MI_READ_PTE(PointerPde).u.Hard.PageFrameNumber, Page;
    PFN_NUMBER ImageFirst = KI_IMAGE_TO_PHYSICAL(__KernelStart) >> PAGE_SHIFT;
    PFN_NUMBER ImageEnd = KI_IMAGE_TO_PHYSICAL(__KernelEnd) >> PAGE_SHIFT;

    for (Page = First; Page < First + MI_LARGE_PAGE_PAGES && Page <= MmHighestPhysicalPage;
         Page++)
    {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

        if (!MiIsLargeRunPage(Page) && !(Page >= ImageFirst && Page < ImageEnd))
            continue;
        Pfn1->PteAddress = PointerPde;
        Pfn1->OriginalPte.u.Long = MM_DEMAND_ZERO_WRITE_PTE;
        Pfn1->u4.PteFrame = PageDirectory;
    }
}

/* ------------------------------------------------------------ large pages for user memory */

/*
 * NtAllocateVirtualMemory(MEM_LARGE_PAGES | MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE): a range
 * of whole 4 MiB pages, each a user PDE with PS set mapping an aligned run of 1024 frames.
 * Such a run exists only if every frame of it is free or can be moved (contig.c); the runs
 * for the whole request are found before any is touched, so a request that cannot be met
 * moves nothing. The frames are zeroed, never paged, in no working set (NT: "not part of the
 * working set"), and charged to commit; their PFNs are ActiveAndValid with PteAddress the PDE,
 * as the kernel's own large pages are.
 */
#define MI_MAX_LARGE_ALLOCATION 64u   /* 4 MiB pages in one request (256 MiB) */

ULONG MmLargePagesAllocated;

/* The guest log says what moved (`--verbose`), and the trace records it. */
static VOID MiReportRelocation(const MI_RELOCATION *R)
{
    if (R->PageTable)
        DbgPrint("mm: relocated page table 0x%X -> 0x%X (PDE at 0x%08X of directory 0x%X: "
                 "0x%08X -> 0x%08X)\n", R->OldFrame, R->NewFrame, R->PteAddress,
                 R->DirectoryFrame, R->PteBefore, R->PteAfter);
    else
        DbgPrint("mm: relocated page 0x%X -> 0x%X (va 0x%08X, PTE at 0x%08X in table 0x%X: "
                 "0x%08X -> 0x%08X)\n", R->OldFrame, R->NewFrame,
                 (ULONG)(ULONG_PTR)MiPteToAddress(R->PteAddress), R->PteAddress, R->TableFrame,
                 R->PteBefore, R->PteAfter);
    MiTraceRelocation(R);
}

/* Are the user PDEs of [StartVa, EndVa] all empty (no page table, paged out or not)? */
static BOOLEAN MiPdesAreEmpty(ULONG_PTR StartVa, ULONG_PTR EndVa)
{
    ULONG_PTR Va;

    for (Va = StartVa; Va <= EndVa && Va >= StartVa; Va += MI_LARGE_PAGE_SIZE)
        if (MI_READ_PTE(MiAddressToPde(Va)).u.Long != 0)
            return FALSE;
    return TRUE;
}

NTSTATUS MiAllocateLargePageVad(PMMPROCESS_VM Vm, ULONG_PTR Base, ULONG_PTR Size,
                                ULONG_PTR ZeroBits, ULONG AllocationType, ULONG Protection,
                                ULONG_PTR *StartVaOut, ULONG_PTR *EndVaOut)
{
    PFN_NUMBER Runs[MI_MAX_LARGE_ALLOCATION], Page;
    PFN_NUMBER Directory = __readcr3() >> PAGE_SHIFT;
    ULONG_PTR StartVa, EndVa, Va, Lowest = MM_LOWEST_USER_ADDRESS, Highest;
    ULONG Count, i, Needed = 0, Movable;
    PMMVAD Vad;
    NTSTATUS Status;

    if (Base & (MI_LARGE_PAGE_SIZE - 1))
        return STATUS_INVALID_PARAMETER_2;
    if (Size == 0 || (Size & (MI_LARGE_PAGE_SIZE - 1)))
        return STATUS_INVALID_PARAMETER_4;
    Count = Size / MI_LARGE_PAGE_SIZE;
    if (Count > MI_MAX_LARGE_ALLOCATION)
        return STATUS_INSUFFICIENT_RESOURCES;

    /* Where: 4 MiB aligned, over PDEs without page tables. */
    Highest = MM_HIGHEST_VAD_ADDRESS;
    if (ZeroBits != 0 && (0xFFFFFFFFu >> ZeroBits) < Highest)
        Highest = 0xFFFFFFFFu >> ZeroBits;
    if (Base != 0)
    {
        StartVa = Base;
        EndVa = Base + Size - 1;
        if (EndVa > MM_HIGHEST_VAD_ADDRESS || EndVa < StartVa)
            return STATUS_INVALID_PARAMETER_4;
        if (MiCheckForConflictingVad(&Vm->VadRoot, MI_VA_TO_VPN(StartVa),
                                     MI_VA_TO_VPN(EndVa)) != NULL ||
            !MiPdesAreEmpty(StartVa, EndVa))
            return STATUS_CONFLICTING_ADDRESSES;
    }
    else
    {
        for (;;)
        {
            if (!NT_SUCCESS(MiFindEmptyAddressRange(&Vm->VadRoot, Size, MI_LARGE_PAGE_SIZE,
                                                    Lowest, Highest,
                                                    (AllocationType & MEM_TOP_DOWN) != 0,
                                                    &StartVa)))
                return STATUS_NO_MEMORY;
            EndVa = StartVa + Size - 1;
            if (MiPdesAreEmpty(StartVa, EndVa))
                break;
            if (AllocationType & MEM_TOP_DOWN)
            {
                if (StartVa < Lowest + MI_LARGE_PAGE_SIZE)
                    return STATUS_NO_MEMORY;
                Highest = StartVa - 1;
            }
            else
            {
                Lowest = StartVa + MI_LARGE_PAGE_SIZE;
            }
        }
    }

    /* Every run first: nothing moves unless all of them can be made. */
    for (i = 0; i < Count; i++)
        if (!MiFindContiguousRun(MI_LARGE_PAGE_PAGES, Runs, i, &Needed, &Runs[i], &Movable))
        {
            DbgPrint("mm: large pages: no run of %u free or movable frames for page %u of %u "
                     "(%u pages available)\n", MI_LARGE_PAGE_PAGES, i + 1, Count,
                     MmAvailablePages);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    Status = MiCreateVad(Vm, StartVa, EndVa, Protection, VadLargePages, TRUE, &Vad);
    if (!NT_SUCCESS(Status))
        return Status;               /* over the commit limit: still nothing moved */
    Vad->NoInherit = TRUE;           /* a clone gets no large pages */

    for (i = 0, Va = StartVa; i < Count; i++, Va += MI_LARGE_PAGE_SIZE)
    {
        ULONG MovedHere = MiClaimContiguousRun(Runs[i], MI_LARGE_PAGE_PAGES, MiReportRelocation);
        MMPTE TempPde;

        /* The moved pages' old frames are about to be zeroed: no TB entry may still show
         * them (the current process's; others have none while it runs). */
        __writecr3(__readcr3());
        for (Page = Runs[i]; Page < Runs[i] + MI_LARGE_PAGE_PAGES; Page++)
        {
            MiZeroPhysicalPage(Page);
            MiInitializeLockedPfn(Page, MiAddressToPde(Va), Directory, 1);
        }
        TempPde.u.Long = PTE_FROM_PFN(Runs[i]) | PTE_VALID | PTE_WRITE | PTE_OWNER |
                         PTE_ACCESSED | PTE_DIRTY | PTE_LARGE_PAGE;
        MI_WRITE_PTE(MiAddressToPde(Va), TempPde);
        __invlpg((PVOID)Va);
        MmLargePagesAllocated++;
        PsGetCurrentProcess()->LargePages++;
        DbgPrint("mm: large page for %s: 0x%08X-0x%08X -> physical 0x%08X (%u page(s) moved "
                 "out of the way)\n", PsGetCurrentProcess()->ImageFileName, (ULONG)Va,
                 (ULONG)(Va + MI_LARGE_PAGE_SIZE - 1), Runs[i] << PAGE_SHIFT, MovedHere);
    }
    *StartVaOut = StartVa;
    *EndVaOut = EndVa;
    return STATUS_SUCCESS;
}

VOID MiDeleteLargePageRange(ULONG_PTR StartVa, ULONG_PTR EndVa)
{
    ULONG_PTR Va;
    MMPTE ZeroPde = { { 0 } };

    for (Va = StartVa; Va <= EndVa && Va >= StartVa; Va += MI_LARGE_PAGE_SIZE)
    {
        PMMPTE PointerPde = MiAddressToPde(Va);
        MMPTE TempPde = MI_READ_PTE(PointerPde);
        PFN_NUMBER First, Page;

        if (!TempPde.u.Hard.Valid || !TempPde.u.Hard.LargePage)
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_LARGE_PAGE, Va, TempPde.u.Long, 0);
        First = TempPde.u.Hard.PageFrameNumber;
        MI_WRITE_PTE(PointerPde, ZeroPde);
        __invlpg((PVOID)Va);
        for (Page = First; Page < First + MI_LARGE_PAGE_PAGES; Page++)
        {
            PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

            if (Pfn1->PteAddress != PointerPde || Pfn1->u2.ShareCount != 1)
                KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_LARGE_PAGE, Va, Page,
                             (ULONG_PTR)Pfn1->PteAddress);
            MI_SET_PFN_DELETED(Pfn1);
            MiDecrementShareCount(Pfn1, Page);   /* onto the free list */
        }
        MmLargePagesAllocated--;
        PsGetCurrentProcess()->LargePages--;
    }
}

/* Process end (attached, before its page tables go): its large pages go back. */
VOID MiDeleteProcessLargePages(PEPROCESS Process)
{
    PMMVAD Vad;

    for (Vad = MiFirstVadAtOrAbove(&Process->Vm.VadRoot, 0); Vad != NULL;
         Vad = MiFirstVadAtOrAbove(&Process->Vm.VadRoot, Vad->EndingVpn + 1))
        if (Vad->u.VadFlags.VadType == VadLargePages)
        {
            MiDeleteLargePageRange(MI_VPN_TO_VA(Vad->StartingVpn),
                                   MI_VPN_TO_VA_ENDING(Vad->EndingVpn));
            /* The VAD keeps its range: the PDEs are zero, so the walk below skips them. */
        }
}
