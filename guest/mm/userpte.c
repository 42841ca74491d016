/*
 * userpte.c - user PTEs of the current process, read and written through the self-map: the
 * primitives that mm/virtual.c builds the virtual-memory services on (vad.h lists them), and
 * what the fault path shares with them (making a user page table, building a valid user PTE
 * from a protection, freeing a resident page).
 *
 * A resident user page is mapped by a valid PTE, or by a transition PTE while it is PAGE_GUARD
 * or PAGE_NOACCESS (NtProtectVirtualMemory on a page in memory: the page stays, its PTE becomes
 * invalid so that the next access faults, and the PFN keeps its share). The protection of a
 * resident page lives in its PFN's OriginalPte (a demand-zero PTE with that protection), the one
 * of a transition PTE in the PTE too.
 *
 * User page tables: the services make one exist the NT way (MiMakePdeExistAndMakeValid touches
 * the PTE through the self-map, and the fault path demand-zeroes the page table, a
 * PV_FAULT_PAGE_TABLE fault); inside the fault path MiMakeUserPageTableValid makes it directly.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"

ULONG MmPageTablesCreated;

PMMPROCESS_VM MiGetCurrentProcessVm(VOID)
{
    return &PsGetCurrentProcess()->Vm;
}

ULONG MiReadUserPte(ULONG_PTR Va, BOOLEAN *TableExists)
{
    if (!MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid)
    {
        *TableExists = FALSE;
        return 0;
    }
    *TableExists = TRUE;
    return MI_READ_PTE(MiAddressToPte(Va)).u.Long;
}

/* A zeroed page for the page table of user address Va, mapped by its PDE (user, writable: the
 * PTEs decide). The table holds a share of the page directory, the PDE one of the table. */
NTSTATUS MiMakeUserPageTableValid(ULONG_PTR Va)
{
    PMMPTE PointerPde = MiAddressToPde(Va);
    MMPTE TempPde;
    PFN_NUMBER Page;

    if (MI_READ_PTE(PointerPde).u.Hard.Valid)
        return STATUS_SUCCESS;
    Page = MmAvailablePages != 0 ? MiRemoveZeroPage() : 0;
    if (Page == 0)
        return STATUS_NO_MEMORY;
    TempPde.u.Long = MM_DEMAND_ZERO_WRITE_PTE;   /* NT's DemandZeroPde: the PFN's OriginalPte */
    MI_WRITE_PTE(PointerPde, TempPde);
    MiInitializePfn(Page, PointerPde, TRUE);
    MI_WRITE_PTE(PointerPde, MI_MAKE_PTE(ValidUserPde, Page));
    __invlpg(MiPdeToPte(PointerPde));
    MmPageTablesCreated++;
    return STATUS_SUCCESS;
}

NTSTATUS MiMakePdeExistAndMakeValid(ULONG_PTR Va)
{
    if (MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid)
        return STATUS_SUCCESS;
    if (MmAvailablePages == 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* Touch the PTE: the page table is demand-zero faulted through the self-map. (Reads of
     * the PDE are volatile: the fault changes it behind the compiler's back.) */
    (void)*(volatile ULONG *)MiAddressToPte(Va);
    return MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid ? STATUS_SUCCESS
                                                        : STATUS_INSUFFICIENT_RESOURCES;
}

/* A valid user PTE for a page with this protection: writable ones are made dirty at once (as
 * NT's demand-zero path does), no-cache ones PCD, copy-on-write ones read-only + COW. */
MMPTE MiMakeUserValidPte(PFN_NUMBER PageFrameIndex, ULONG Protection)
{
    ULONG Access = Protection & MM_PROTECT_ACCESS;
    MMPTE TempPte;

    TempPte.u.Long = PTE_FROM_PFN(PageFrameIndex) | PTE_VALID | PTE_OWNER;
    if (Access == MM_READWRITE || Access == MM_EXECUTE_READWRITE)
        TempPte.u.Long |= PTE_WRITE | PTE_DIRTY;
    else if (Access == MM_WRITECOPY || Access == MM_EXECUTE_WRITECOPY)
        TempPte.u.Long |= PTE_COPY_ON_WRITE;
    if ((Protection & MM_PROTECT_SPECIAL) == MM_NOCACHE)
        TempPte.u.Long |= PTE_CACHE_DISABLE;
    return TempPte;
}

/* Does this user PTE map a page: valid, or a transition PTE whose page is still active for
 * this very PTE (a guard or no-access page in memory)? */
BOOLEAN MiIsResidentUserPte(PMMPTE PointerPte, MMPTE TempPte)
{
    PFN_NUMBER Page = TempPte.u.Hard.PageFrameNumber;
    PMMPFN Pfn1;

    if (TempPte.u.Hard.Valid)
        return TRUE;
    if (!TempPte.u.Soft.Transition || TempPte.u.Soft.Prototype || Page > MmHighestPhysicalPage)
        return FALSE;
    Pfn1 = MI_PFN_ELEMENT(Page);
    return Pfn1->u3.e1.PageLocation == ActiveAndValid && MI_PFN_PTE_ADDRESS(Pfn1) == PointerPte;
}

/* Unmap the page a PTE maps (valid or resident transition) and let it go: a deleted page ends
 * on the Free list, and its page table loses the share the page held. */
VOID MiDeletePte(PMMPTE PointerPte)
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

VOID MiWriteUserPte(ULONG_PTR Va, ULONG Value)
{
    PMMPTE PointerPte = MiAddressToPte(Va);
    MMPTE TempPte;

    if (!MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid)
    {
        if (Value != 0)
            KeBugCheckEx(MEMORY_MANAGEMENT, 0x61940, (ULONG_PTR)PointerPte, Value, Va);
        return;
    }
    TempPte = MI_READ_PTE(PointerPte);
    if (MiIsResidentUserPte(PointerPte, TempPte))
    {
        MiDeletePte(PointerPte);
        MiGetCurrentProcessVm()->PrivatePages--;
    }
    TempPte.u.Long = Value;
    MI_WRITE_PTE(PointerPte, TempPte);
    __invlpg((PVOID)Va);
}

ULONG MiGetResidentProtection(ULONG_PTR Va)
{
    MMPTE TempPte = MI_READ_PTE(MiAddressToPte(Va));

    if (!TempPte.u.Hard.Valid)
        return MI_PTE_PROTECTION(TempPte.u.Long);
    return MI_PTE_PROTECTION(MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber)->OriginalPte.u.Long);
}

VOID MiSetResidentProtection(ULONG_PTR Va, ULONG Protection)
{
    PMMPTE PointerPte = MiAddressToPte(Va);
    MMPTE TempPte = MI_READ_PTE(PointerPte);
    PFN_NUMBER Page = TempPte.u.Hard.PageFrameNumber;
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

    if (!MiIsResidentUserPte(PointerPte, TempPte))
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE, (ULONG_PTR)PointerPte,
                     TempPte.u.Long, (ULONG_PTR)Pfn1->PteAddress);
    Pfn1->OriginalPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(Protection);
    if (MiIsAccessAllowed(Protection, FALSE) &&
        (Protection & MM_PROTECT_SPECIAL) != MM_GUARD_PAGE)
    {
        TempPte = MiMakeUserValidPte(Page, Protection);
        if (TempPte.u.Hard.Dirty)
            Pfn1->u3.e1.Modified = 1;
    }
    else
    {
        /* Guard or no access: the next touch must fault, the page stays. */
        TempPte.u.Long = MI_MAKE_TRANSITION_PTE(Page, Protection);
    }
    MI_WRITE_PTE(PointerPte, TempPte);
    __invlpg((PVOID)Va);
}
