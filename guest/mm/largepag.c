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
