/*
 * userpte.c - user PTEs of the current process, read and written through the self-map: the
 * primitives that mm/virtual.c builds the virtual-memory services on (vad.h lists them), and
 * what the fault path shares with them (making a user page table, building a valid user PTE
 * from a protection, letting a page go).
 *
 * A user PTE is one of (nt_pte.h): valid; transition (the page is still in RAM, on the
 * Standby, Modified or ModifiedNoWrite list, or being read); pagefile (the page is in a
 * pagefile slot); an image PTE (NT's prototype PTE "lookup needed" 0xFFFFF4xx: the page is
 * read from the process's image file when touched); demand zero (protection only); or zero
 * (ask the VAD). Valid and transition pages are "resident": they have a frame whose PFN names
 * this PTE. The protection of a valid page lives in its PFN's OriginalPte, the one of every
 * other kind in the PTE itself (bits 5-9).
 *
 * Page tables are pageable: a user PDE is valid, zero (no page table), or transition/pagefile
 * when the page table left memory (mm/wsmanagr.c trims one only when it maps nothing
 * resident). Whatever needs the PTEs of such a table first brings it back by touching it
 * through the self-map, as NT's MiMakePdeExistAndMakeValid does: the fault path reads it in
 * (a kernel-mode fault on 0xC0000000-0xC01FFFFF). An in-page error there is bug check 0x7A.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"

ULONG MmPageTablesCreated;

PMMPROCESS_VM MiGetCurrentProcessVm(VOID)
{
    return &PsGetCurrentProcess()->Vm;
}

BOOLEAN MiMakeUserPageTableResident(ULONG_PTR Va)
{
    MMPTE TempPde = MI_READ_PTE(MiAddressToPde(Va));

    if (TempPde.u.Hard.Valid)
        return TRUE;
    if (TempPde.u.Long == 0)
        return FALSE;
    /* Paged out: touch its PTE, the fault path reads the page table back. (Volatile reads:
     * the fault changes the PDE behind the compiler's back.) */
    (void)*(volatile ULONG *)MiAddressToPte(Va);
    if (!MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid)
        KeBugCheckEx(MEMORY_MANAGEMENT, 0x61940, (ULONG_PTR)MiAddressToPte(Va),
                     MI_READ_PTE(MiAddressToPde(Va)).u.Long, Va);
    return TRUE;
}

ULONG MiReadUserPte(ULONG_PTR Va, BOOLEAN *TableExists)
{
    *TableExists = MiMakeUserPageTableResident(Va);
    return *TableExists ? MI_READ_PTE(MiAddressToPte(Va)).u.Long : 0;
}

/* A valid PDE for a user page table (user, writable: the PTEs decide). Dirty says the table
 * differs from any pagefile copy of it; the self-map's writes to it set that bit too. */
MMPTE MiMakeUserValidPde(PFN_NUMBER PageFrameIndex, BOOLEAN Dirty)
{
    MMPTE TempPde = MI_MAKE_PTE(ValidUserPde, PageFrameIndex);

    if (!Dirty)
        TempPde.u.Hard.Dirty = 0;
    return TempPde;
}

/* A zeroed page for the page table of user address Va (whose PDE is 0), mapped by its PDE. The
 * table holds a share of the page directory, the PDE one of the table; the table joins the
 * working set. The caller made sure a page is available (MiEnsureAvailablePages). */
NTSTATUS MiMakeUserPageTableValid(ULONG_PTR Va)
{
    PMMPTE PointerPde = MiAddressToPde(Va);
    MMPTE TempPde = MI_READ_PTE(PointerPde);
    PFN_NUMBER Page;

    if (TempPde.u.Hard.Valid)
        return STATUS_SUCCESS;
    if (TempPde.u.Long != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, Va, TempPde.u.Long,
                     (ULONG_PTR)PointerPde);
    Page = MmAvailablePages != 0 ? MiRemoveZeroPage() : 0;
    if (Page == 0)
        return STATUS_NO_MEMORY;
    TempPde.u.Long = MM_DEMAND_ZERO_WRITE_PTE;   /* NT's DemandZeroPde: the PFN's OriginalPte */
    MI_WRITE_PTE(PointerPde, TempPde);
    MiInitializePfn(Page, PointerPde, TRUE);
    MI_WRITE_PTE(PointerPde, MiMakeUserValidPde(Page, TRUE));
    __invlpg(MiPdeToPte(PointerPde));
    MmPageTablesCreated++;
    MiAddToWorkingSet((ULONG_PTR)MiPdeToPte(PointerPde), Page, TRUE);
    return STATUS_SUCCESS;
}

NTSTATUS MiMakePdeExistAndMakeValid(ULONG_PTR Va)
{
    if (MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid)
        return STATUS_SUCCESS;
    if (!MiEnsureAvailablePages(1))
        return STATUS_INSUFFICIENT_RESOURCES;
    /* Touch the PTE: the page table is demand-zero faulted (or read back) through the
     * self-map. */
    (void)*(volatile ULONG *)MiAddressToPte(Va);
    return MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid ? STATUS_SUCCESS
                                                        : STATUS_INSUFFICIENT_RESOURCES;
}

/* A valid user PTE for a page with this protection: writable ones writable (Dirty only when
 * asked: a write fault, so that a page only read stays clean and can be dropped without a
 * write), no-cache ones PCD, copy-on-write ones read-only + COW. */
MMPTE MiMakeUserValidPte(PFN_NUMBER PageFrameIndex, ULONG Protection, BOOLEAN Dirty)
{
    ULONG Access = Protection & MM_PROTECT_ACCESS;
    MMPTE TempPte;

    TempPte.u.Long = PTE_FROM_PFN(PageFrameIndex) | PTE_VALID | PTE_OWNER | PTE_ACCESSED;
    if (Access == MM_READWRITE || Access == MM_EXECUTE_READWRITE)
    {
        TempPte.u.Long |= PTE_WRITE;
        if (Dirty)
            TempPte.u.Long |= PTE_DIRTY;
    }
    else if (Access == MM_WRITECOPY || Access == MM_EXECUTE_WRITECOPY)
    {
        TempPte.u.Long |= PTE_COPY_ON_WRITE;
    }
    if ((Protection & MM_PROTECT_SPECIAL) == MM_NOCACHE)
        TempPte.u.Long |= PTE_CACHE_DISABLE;
    return TempPte;
}

/* Does this PTE map a page in RAM: valid, or a transition PTE (its page on a list, or being
 * read)? A transition PTE must name a page whose PFN points back at it. */
BOOLEAN MiIsResidentUserPte(PMMPTE PointerPte, MMPTE TempPte)
{
    PFN_NUMBER Page = TempPte.u.Hard.PageFrameNumber;
    PMMPFN Pfn1;

    if (TempPte.u.Hard.Valid)
        return TRUE;
    if (!TempPte.u.Soft.Transition || TempPte.u.Soft.Prototype)
        return FALSE;
    Pfn1 = Page <= MmHighestPhysicalPage ? MI_PFN_ELEMENT(Page) : NULL;
    if (Pfn1 == NULL || MI_PFN_PTE_ADDRESS(Pfn1) != PointerPte)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE, (ULONG_PTR)PointerPte,
                     TempPte.u.Long, Pfn1 != NULL ? (ULONG_PTR)Pfn1->PteAddress : 0);
    return TRUE;
}

/*
 * Unmap the page a resident PTE maps and let it go for good: a valid page leaves the working
 * set, a transition page its list; its pagefile slot (if it has one) is released; the page
 * goes to the Free list; its page table loses the share the page held. Works for a PDE too
 * (the page table must map nothing then).
 */
VOID MiDeletePte(PMMPTE PointerPte)
{
    MMPTE TempPte = MI_READ_PTE(PointerPte), ZeroPte = { { 0 } };
    PFN_NUMBER PageFrameIndex = TempPte.u.Hard.PageFrameNumber;
    PMMPFN Pfn1 = MI_PFN_ELEMENT(PageFrameIndex);
    PFN_NUMBER PteFrame = Pfn1->u4.PteFrame;

    if (TempPte.u.Hard.Valid && PageFrameIndex <= MmHighestPhysicalPage &&
        Pfn1->u3.e1.PrototypePte)
    {
        MiDeleteForkPte(PointerPte, TempPte);   /* a page shared with a clone */
        return;
    }
    if (PageFrameIndex > MmHighestPhysicalPage || MI_PFN_PTE_ADDRESS(Pfn1) != PointerPte)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_PTE_MISMATCH, (ULONG_PTR)PointerPte,
                     PageFrameIndex, (ULONG_PTR)Pfn1->PteAddress);
    if (TempPte.u.Hard.Valid)
    {
        MiForgetWorkingSetEntry(Pfn1, PointerPte);
        MI_WRITE_PTE(PointerPte, ZeroPte);
        __invlpg(MiPteToAddress(PointerPte));
        MiReleasePageFileSpace(Pfn1->OriginalPte);
        Pfn1->OriginalPte.u.Long = 0;
        MI_SET_PFN_DELETED(Pfn1);
        MiDecrementShareCount(Pfn1, PageFrameIndex);
    }
    else
    {
        /* A transition page: on a list (reads and writes finish before anything else runs). */
        if (Pfn1->u3.e1.ReadInProgress || Pfn1->u3.e1.WriteInProgress)
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_COLLIDED_FAULT, (ULONG_PTR)PointerPte,
                         TempPte.u.Long, PageFrameIndex);
        MI_WRITE_PTE(PointerPte, ZeroPte);
        MiUnlinkPageFromList(Pfn1);
        MiReleasePageFileSpace(Pfn1->OriginalPte);
        Pfn1->OriginalPte.u.Long = 0;
        MI_SET_PFN_DELETED(Pfn1);
        MiInsertPageInFreeList(PageFrameIndex);
    }
    MiDecrementShareCount(MI_PFN_ELEMENT(PteFrame), PteFrame);
}

/* Store a not-valid PTE value for Va: a resident page there is freed first, a pagefile slot
 * the old value named is released unless the new value keeps it (a protection change). */
VOID MiWriteUserPte(ULONG_PTR Va, ULONG Value)
{
    PMMPTE PointerPte = MiAddressToPte(Va);
    MMPTE TempPte;

    if (!MiMakeUserPageTableResident(Va))
    {
        if (Value != 0)
            KeBugCheckEx(MEMORY_MANAGEMENT, 0x61940, (ULONG_PTR)PointerPte, Value, Va);
        return;
    }
    TempPte = MI_READ_PTE(PointerPte);
    if (MiIsResidentUserPte(PointerPte, TempPte))
        MiDeletePte(PointerPte);
    else if (MI_IS_FORK_PROTO_PTE(TempPte.u.Long) &&
             (!MI_IS_FORK_PROTO_PTE(Value) ||
              MI_PROTO_PTE_INDEX(Value) != MI_PROTO_PTE_INDEX(TempPte.u.Long)))
        MiDeleteForkPte(PointerPte, TempPte);   /* not just a new protection */
    else if (MI_PTE_HAS_PAGEFILE_SLOT(TempPte.u.Long) &&
             (!MI_PTE_HAS_PAGEFILE_SLOT(Value) ||
              MI_PAGEFILE_HIGH(Value) != MI_PAGEFILE_HIGH(TempPte.u.Long)))
        MiReleasePageFileSpace(TempPte);
    TempPte.u.Long = Value;
    MI_WRITE_PTE(PointerPte, TempPte);
    __invlpg((PVOID)Va);
}

/* A valid page's protection is its PFN's, except for a section's page, which has one per view:
 * the view's (a copy-on-write view's page reads PAGE_WRITECOPY until written, its private copy
 * PAGE_READWRITE). */
ULONG MiGetResidentProtection(ULONG_PTR Va)
{
    MMPTE TempPte = MI_READ_PTE(MiAddressToPte(Va));
    PMMPFN Pfn1;
    PMMVAD Vad;

    if (!TempPte.u.Hard.Valid)
        return MI_PTE_PROTECTION(TempPte.u.Long);
    Pfn1 = MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber);
    if (Pfn1->u3.e1.PrototypePte && MiCloneBlockIndexOfPfn(Pfn1) == 0)
    {
        Vad = MiLocateVad(&MiGetCurrentProcessVm()->VadRoot, MI_VA_TO_VPN(Va));
        /* A data view's pages have the view's protection; an image view's each their own,
         * kept in the PFN's OriginalPte (the section's image PTE). */
        if (Vad != NULL && MI_IS_VIEW_VAD(Vad) && !MI_IS_IMAGE_VIEW_VAD(Vad))
            return Vad->u.VadFlags.Protection;
    }
    return MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long);
}

/*
 * A resident page gets a new protection. Its PFN's OriginalPte takes it (keeping a pagefile
 * slot or the image marker). A valid page stays valid if the protection allows access; made
 * PAGE_GUARD or PAGE_NOACCESS it leaves the working set (its PTE becomes a transition PTE with
 * that protection, the page goes to Standby or Modified), so that the next touch faults. A
 * transition page just gets the protection in its PTE.
 */
VOID MiSetResidentProtection(ULONG_PTR Va, ULONG Protection)
{
    PMMPTE PointerPte = MiAddressToPte(Va);
    MMPTE TempPte = MI_READ_PTE(PointerPte);
    PFN_NUMBER Page = TempPte.u.Hard.PageFrameNumber;
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);
    BOOLEAN Writable = MiIsAccessAllowed(Protection, TRUE);

    if (!MiIsResidentUserPte(PointerPte, TempPte))
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE, (ULONG_PTR)PointerPte,
                     TempPte.u.Long, (ULONG_PTR)Pfn1->PteAddress);
    if (TempPte.u.Hard.Valid && Pfn1->u3.e1.PrototypePte)
    {
        /* Still shared with a clone, whose protection is the page's: this process's own
         * copy first (a protection is per process), then the new protection on it. */
        if (!NT_SUCCESS(MiCopyOnWrite(PointerPte, TempPte, Va,
                                      MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long))))
            return;   /* no page for the copy: the protection stays */
        TempPte = MI_READ_PTE(PointerPte);
        Page = TempPte.u.Hard.PageFrameNumber;
        Pfn1 = MI_PFN_ELEMENT(Page);
        Writable = MiIsAccessAllowed(Protection, TRUE);
    }
    Pfn1->OriginalPte.u.Long = MI_PTE_WITH_PROTECTION(Pfn1->OriginalPte.u.Long, Protection);
    if (!TempPte.u.Hard.Valid)
    {
        MI_WRITE_PTE(PointerPte, (MMPTE){ { MI_MAKE_TRANSITION_PTE(Page, Protection) } });
        return;
    }
    if (TempPte.u.Hard.Dirty)
        Pfn1->u3.e1.Modified = 1;
    if (MiIsAccessAllowed(Protection, FALSE) &&
        (Protection & MM_PROTECT_SPECIAL) != MM_GUARD_PAGE)
    {
        MI_WRITE_PTE(PointerPte,
                     MiMakeUserValidPte(Page, Protection, Writable && TempPte.u.Hard.Dirty));
        __invlpg((PVOID)Va);
    }
    else
    {
        /* Guard or no access: the next touch must fault; the page stays in RAM for now. */
        MiRemovePageFromWorkingSet(MiGetCurrentWorkingSet(), Pfn1->u1.WsIndex);
    }
}
