/*
 * hypermap.c - hyperspace: the per-process page table at PDE 0x301 through which the kernel
 * maps any physical page for a moment (to zero it, to read boot data, to build another
 * process's page directory).
 *
 * NT's countdown: the PFN field of slot 0's PTE (0xC0301000, never valid) counts the slots
 * still unused since the last TB flush. Slots are handed out downward from 255 (0xC04FF000)
 * to 1 (0xC0401000); unmapping just clears the PTE, without INVLPG. A stale TB entry for a
 * used slot is harmless because that slot is not handed out again until the counter wraps,
 * and then the whole (non-global) TB is flushed once by reloading CR3. Hyperspace PTEs are
 * never global, so a CR3 switch also drops them.
 */
#include "mm.h"
#include "intrin.h"
#include "rtl.h"

PMMPTE MmFirstReservedMappingPte = MiAddressToPte(MI_MAPPING_RANGE_START);

VOID MiInitializeHyperSpace(VOID)
{
    MmFirstReservedMappingPte->u.Long = PTE_FROM_PFN(MI_HYPERSPACE_PTES);
}

PVOID MiMapPageInHyperSpace(PFN_NUMBER PageFrameIndex)
{
    PMMPTE PointerPte = MmFirstReservedMappingPte;
    ULONG Offset = PointerPte->u.Hard.PageFrameNumber;

    if (Offset == 0)
    {
        Offset = MI_HYPERSPACE_PTES;
        KeFlushCurrentTb();
    }
    if (Offset > MI_HYPERSPACE_PTES)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_HYPERSPACE, (ULONG_PTR)PointerPte,
                     PointerPte->u.Long, 0);
    PointerPte->u.Hard.PageFrameNumber = Offset - 1;

    PointerPte += Offset;
    if (PointerPte->u.Hard.Valid)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_HYPERSPACE,
                     (ULONG_PTR)MiPteToAddress(PointerPte), PointerPte->u.Long, PageFrameIndex);
    MI_WRITE_PTE(PointerPte, MI_MAKE_PTE(ValidKernelPteLocal, PageFrameIndex));
    return MiPteToAddress(PointerPte);
}

VOID MiUnmapPageInHyperSpace(PVOID Address)
{
    ULONG Va = (ULONG)(ULONG_PTR)Address;
    MMPTE ZeroPte = { { 0 } };

    if (Va <= MI_MAPPING_RANGE_START || Va > MI_MAPPING_RANGE_END || (Va & (PAGE_SIZE - 1)))
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_HYPERSPACE, Va, 0, 1);
    MI_WRITE_PTE(MiAddressToPte(Va), ZeroPte);
}

VOID MiZeroPhysicalPage(PFN_NUMBER PageFrameIndex)
{
    PVOID Address = MiMapPageInHyperSpace(PageFrameIndex);

    RtlZeroMemory(Address, PAGE_SIZE);
    MiUnmapPageInHyperSpace(Address);
}

/* Copy bytes from physical memory, one hyperspace mapping per page touched. */
VOID MiCopyFromPhysical(PVOID Destination, ULONG PhysicalAddress, ULONG Length)
{
    PUCHAR Out = Destination;

    while (Length > 0)
    {
        ULONG Offset = PhysicalAddress & (PAGE_SIZE - 1);
        ULONG Chunk = PAGE_SIZE - Offset;
        PUCHAR Page;

        if (Chunk > Length)
            Chunk = Length;
        Page = MiMapPageInHyperSpace(PhysicalAddress >> PAGE_SHIFT);
        memcpy(Out, Page + Offset, Chunk);
        MiUnmapPageInHyperSpace(Page);
        Out += Chunk;
        PhysicalAddress += Chunk;
        Length -= Chunk;
    }
}
