/*
 * mmcheck.c - boot self-checks of the memory manager. Each failing check is bug check
 * PV_MM_SELF_CHECK_FAILED (0xE001) with P1 = the check number and P2..P4 the values involved:
 *
 *   1-5  for sample addresses (kernel code, kernel data, PFN database, stack, a hyperspace
 *        mapping) the PDE and PTE read through the self-map (MiAddressToPde/MiAddressToPte)
 *        equal the ones found by walking the page directory physically through hyperspace
 *        (P2 = address, P3 = self-map value, P4 = walked value; P3/P4 are PDEs if they differ);
 *        under a large PDE only the PDEs (there is no page table to read)
 *   6    the self-map PDE at 0xC0300C00 holds the page directory's own frame (P2 PDE, P3 CR3)
 *   7    a pattern written through one hyperspace mapping of a frame reads back through
 *        another mapping of it at a different address (P2 first VA, P3 second VA, P4 word)
 *   8    the hyperspace countdown: 600 mappings alternating between two frames, across two
 *        wraps, each read the right frame (a missing TB flush would show a stale one)
 *        (P2 iteration, P3 word read, P4 word expected)
 *   9    the user half of the boot page directory is empty (P2 PDE index, P3 PDE)
 *   10   kernel code is read-only, kernel data writable, both global and supervisor-only,
 *        the boot stack's guard page unmapped (P2 address, P3 PTE), the kernel stacks' page
 *        table present (P4 its PDE); with pv.largekernel=1 the
 *        kernel's PDE is instead a large, global, supervisor, writable page (P2 address,
 *        P3 PDE)
 *   11   the PFN lists are consistent and hold every free page (P2 pages on lists,
 *        P3 MmAvailablePages)
 *   12   MmGetPhysicalAddress of a kernel address is its linear physical address
 *   13   every large system PDE is global and supervisor-only, maps a 4 MiB-aligned frame,
 *        MmGetPhysicalAddress inside it adds the offset, and the PFN of each system frame
 *        under it points back at the PDE (P2 address, P3 PDE, P4 what differed)
 * and, at every process creation (MmCreateProcessAddressSpace):
 *   20   the new directory's system PDEs equal the current ones, 0x300/0x301 are its own
 *        self-map and hyperspace table, its user half is empty (P2 PDE index, P3 new, P4 old)
 */
#include "mm.h"
#include "intrin.h"

DECLSPEC_NORETURN VOID MiSelfCheckFailed(ULONG Check, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    KeBugCheckEx(PV_MM_SELF_CHECK_FAILED, Check, P2, P3, P4);
}

static ULONG MiSelfCheckData = 0x5A5A5A5A;

/* Read the PDE and PTE of Va from physical memory, starting at CR3. */
static VOID MiWalkPhysically(ULONG Va, PULONG Pde, PULONG Pte)
{
    PMMPTE Table = MiMapPageInHyperSpace(__readcr3() >> PAGE_SHIFT);

    *Pde = Table[MI_PDE_INDEX(Va)].u.Long;
    MiUnmapPageInHyperSpace(Table);
    *Pte = 0;
    if ((*Pde & PTE_VALID) == 0 || (*Pde & PTE_LARGE_PAGE) != 0)
        return;
    Table = MiMapPageInHyperSpace(PTE_PFN(*Pde));
    *Pte = Table[MI_PTE_INDEX(Va)].u.Long;
    MiUnmapPageInHyperSpace(Table);
}

static VOID MiCheckSelfMapAgainstWalk(ULONG Check, ULONG Va)
{
    ULONG WalkedPde, WalkedPte, SelfPde, SelfPte;

    SelfPde = MI_READ_PTE(MiAddressToPde(Va)).u.Long;
    MiWalkPhysically(Va, &WalkedPde, &WalkedPte);
    if (SelfPde != WalkedPde || (SelfPde & PTE_VALID) == 0)
        MiSelfCheckFailed(Check, Va, SelfPde, WalkedPde);
    if (SelfPde & PTE_LARGE_PAGE)
        return;   /* the "PTE" in the self-map would be the large page's own data */
    SelfPte = MI_READ_PTE(MiAddressToPte(Va)).u.Long;
    if (SelfPte != WalkedPte || (SelfPte & PTE_VALID) == 0)
        MiSelfCheckFailed(Check, Va, SelfPte, WalkedPte);
}

static VOID MiCheckHyperSpacePattern(VOID)
{
    PFN_NUMBER Page = MiRemoveAnyPage();
    PULONG First, Second;
    ULONG i;

    First = MiMapPageInHyperSpace(Page);
    for (i = 0; i < PAGE_SIZE / sizeof(ULONG); i++)
        First[i] = 0x50564D00u ^ (i * 0x9E3779B9u) ^ Page;
    MiUnmapPageInHyperSpace(First);
    Second = MiMapPageInHyperSpace(Page);
    if (Second == First)
        MiSelfCheckFailed(7, (ULONG_PTR)First, (ULONG_PTR)Second, 0);
    for (i = 0; i < PAGE_SIZE / sizeof(ULONG); i++)
    {
        if (Second[i] != (0x50564D00u ^ (i * 0x9E3779B9u) ^ Page))
            MiSelfCheckFailed(7, (ULONG_PTR)First, (ULONG_PTR)Second, Second[i]);
    }
    MiUnmapPageInHyperSpace(Second);
    MiInsertPageInFreeList(Page);
}

static VOID MiCheckHyperSpaceCountdown(VOID)
{
    PFN_NUMBER Pages[2];
    ULONG i;

    Pages[0] = MiRemoveAnyPage();
    Pages[1] = MiRemoveAnyPage();
    for (i = 0; i < 2; i++)
    {
        PULONG Map = MiMapPageInHyperSpace(Pages[i]);
        Map[0] = 0xC0DE0000u + i;
        MiUnmapPageInHyperSpace(Map);
    }
    for (i = 0; i < 2 * MI_HYPERSPACE_PTES + 90; i++)
    {
        PULONG Map = MiMapPageInHyperSpace(Pages[i & 1]);
        ULONG Word = Map[0];
        MiUnmapPageInHyperSpace(Map);
        if (Word != 0xC0DE0000u + (i & 1))
            MiSelfCheckFailed(8, i, Word, 0xC0DE0000u + (i & 1));
    }
    MiInsertPageInFreeList(Pages[0]);
    MiInsertPageInFreeList(Pages[1]);
}

static VOID MiCheckLargeKernelPde(VOID)
{
    MMPTE TempPde = MI_READ_PTE(MiAddressToPde(KSEG0_BASE));

    if (!TempPde.u.Hard.Valid || !TempPde.u.Hard.LargePage || !TempPde.u.Hard.Global ||
        TempPde.u.Hard.Owner || !TempPde.u.Hard.Write)
        MiSelfCheckFailed(10, KSEG0_BASE, TempPde.u.Long, 0);
}

/* 13: one large system PDE (see the top comment). */
static VOID MiCheckLargePde(ULONG Pde)
{
    ULONG Va = Pde << PDE_SHIFT, Probe = Va + 0x2345Cu;
    MMPTE TempPde = MI_READ_PTE(&((PMMPTE)PDE_BASE)[Pde]);
    PFN_NUMBER First = TempPde.u.Hard.PageFrameNumber, Page;

    if (!TempPde.u.Hard.Global || TempPde.u.Hard.Owner ||
        (First & ((PDE_MAPPED_VA >> PAGE_SHIFT) - 1)) != 0)
        MiSelfCheckFailed(13, Va, TempPde.u.Long, 0);
    if (MmGetPhysicalAddress((PCVOID)(ULONG_PTR)Probe) != PTE_FROM_PFN(First) + (Probe - Va))
        MiSelfCheckFailed(13, Probe, TempPde.u.Long,
                          MmGetPhysicalAddress((PCVOID)(ULONG_PTR)Probe));
    for (Page = First; Page < First + (PDE_MAPPED_VA >> PAGE_SHIFT); Page++)
    {
        if (MiIsLargeRunPage(Page) &&
            MI_PFN_ELEMENT(Page)->PteAddress != &((PMMPTE)PDE_BASE)[Pde])
            MiSelfCheckFailed(13, Va, TempPde.u.Long, Page);
    }
}

static ULONG MiCheckLargePdes(VOID)
{
    ULONG Pde, Large = 0;

    for (Pde = MI_SYSTEM_PDE_FIRST; Pde < PTE_PER_PAGE; Pde++)
    {
        MMPTE TempPde = MI_READ_PTE(&((PMMPTE)PDE_BASE)[Pde]);

        if (TempPde.u.Hard.Valid && TempPde.u.Hard.LargePage)
        {
            MiCheckLargePde(Pde);
            Large++;
        }
    }
    return Large;
}

static VOID MiCheckKernelPte(ULONG Va, BOOLEAN Writable)
{
    MMPTE TempPte = MI_READ_PTE(MiAddressToPte(Va));

    if (!TempPte.u.Hard.Valid || !TempPte.u.Hard.Global || TempPte.u.Hard.Owner ||
        TempPte.u.Hard.Write != (Writable ? 1u : 0u))
        MiSelfCheckFailed(10, Va, TempPte.u.Long, Writable);
}

ULONG MmRunBootSelfChecks(VOID)
{
    ULONG Checks = 0, Pde, Local = 0, Pages;
    PVOID Mapping;
    PFN_NUMBER Page;

    /* 1-5: self-map against a physical walk. */
    MiCheckSelfMapAgainstWalk(1, (ULONG)(ULONG_PTR)&MmRunBootSelfChecks);
    MiCheckSelfMapAgainstWalk(2, (ULONG)(ULONG_PTR)&MiSelfCheckData);
    MiCheckSelfMapAgainstWalk(3, (ULONG)(ULONG_PTR)MmPfnDatabase);
    MiCheckSelfMapAgainstWalk(4, (ULONG)(ULONG_PTR)&Local);
    Page = MiRemoveAnyPage();
    Mapping = MiMapPageInHyperSpace(Page);
    MiCheckSelfMapAgainstWalk(5, (ULONG)(ULONG_PTR)Mapping);
    if (MiAddressToPte(Mapping)->u.Hard.PageFrameNumber != Page)
        MiSelfCheckFailed(5, (ULONG_PTR)Mapping, MiAddressToPte(Mapping)->u.Long, Page);
    MiUnmapPageInHyperSpace(Mapping);
    MiInsertPageInFreeList(Page);
    Checks += 5;

    /* 6: the self-map PDE. */
    if (MI_READ_PTE((PMMPTE)MI_PDE_VA(PDE_BASE)).u.Hard.PageFrameNumber !=
        (__readcr3() >> PAGE_SHIFT))
        MiSelfCheckFailed(6, MI_READ_PTE((PMMPTE)MI_PDE_VA(PDE_BASE)).u.Long, __readcr3(), 0);
    Checks++;

    /* 7, 8: hyperspace. */
    MiCheckHyperSpacePattern();
    Checks++;
    MiCheckHyperSpaceCountdown();
    Checks++;

    /* 9: no user mappings left in the boot directory. */
    for (Pde = 0; Pde < MI_FIRST_SYSTEM_PDE; Pde++)
    {
        if (((PMMPTE)PDE_BASE)[Pde].u.Long != 0)
            MiSelfCheckFailed(9, Pde, ((PMMPTE)PDE_BASE)[Pde].u.Long, 0);
    }
    Checks++;

    /* 10: kernel image protection (or its large page). */
    if (MmLargeKernel)
    {
        MiCheckLargeKernelPde();
    }
    else
    {
        MiCheckKernelPte((ULONG)(ULONG_PTR)&MmRunBootSelfChecks, FALSE);
        MiCheckKernelPte((ULONG)(ULONG_PTR)&MiSelfCheckData, TRUE);
        if (MiAddressToPte(KiBootStackGuard)->u.Long != 0)
            MiSelfCheckFailed(10, (ULONG_PTR)KiBootStackGuard,
                              MiAddressToPte(KiBootStackGuard)->u.Long, 0);
    }
    if (!MiAddressToPde(MM_KERNEL_STACK_BASE)->u.Hard.Valid)
        MiSelfCheckFailed(10, MM_KERNEL_STACK_BASE, 0,
                          MiAddressToPde(MM_KERNEL_STACK_BASE)->u.Long);
    Checks++;

    /* 11: the PFN lists. */
    Pages = MiCheckPfnLists();
    if (Pages != MmAvailablePages ||
        MmZeroedPageListHead.Total + MmFreePageListHead.Total == 0)
        MiSelfCheckFailed(11, Pages, MmAvailablePages, MmFreePageListHead.Total);
    Checks++;

    /* 12: virtual to physical. */
    if (MmGetPhysicalAddress(&MiSelfCheckData) != KI_IMAGE_TO_PHYSICAL(&MiSelfCheckData))
        MiSelfCheckFailed(12, (ULONG_PTR)&MiSelfCheckData, MmGetPhysicalAddress(&MiSelfCheckData),
                          KI_IMAGE_TO_PHYSICAL(&MiSelfCheckData));
    Checks++;

    /* 13: large pages. */
    DbgPrint("mm: self-check: %u large system PDEs\n", MiCheckLargePdes());
    Checks++;

    return Checks;
}

VOID MiCheckNewProcessPageDirectory(PFN_NUMBER PageDirectoryIndex, PFN_NUMBER HyperIndex)
{
    PMMPTE PageDirectory = MiMapPageInHyperSpace(PageDirectoryIndex);
    PMMPTE Current = (PMMPTE)PDE_BASE;
    ULONG Pde, Expected;

    for (Pde = 0; Pde < PTE_PER_PAGE; Pde++)
    {
        if (Pde < MI_FIRST_SYSTEM_PDE)
            Expected = 0;
        else if (Pde == MI_SELFMAP_PDE_INDEX)
            Expected = MI_MAKE_PTE(ValidKernelPteLocal, PageDirectoryIndex).u.Long;
        else if (Pde == MI_HYPERSPACE_PDE_INDEX)
            Expected = MI_MAKE_PTE(ValidKernelPteLocal, HyperIndex).u.Long;
        else
            Expected = Current[Pde].u.Long;
        if (PageDirectory[Pde].u.Long != Expected)
            MiSelfCheckFailed(20, Pde, PageDirectory[Pde].u.Long, Expected);
    }
    MiUnmapPageInHyperSpace(PageDirectory);
}
