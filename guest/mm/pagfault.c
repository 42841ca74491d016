/*
 * pagfault.c - MmAccessFault, called by KiTrap0E for every page fault. In this issue there
 * are no VADs yet, so nothing is resolved lazily: a user access to a kernel address, an
 * unmapped address or a write to a read-only page is STATUS_ACCESS_VIOLATION (the trap
 * handler ends the process, or resumes a fault-safe copy at its fixup). A kernel access to an
 * invalid system address is bug check 0x50 PAGE_FAULT_IN_NONPAGED_AREA; a kernel write to a
 * read-only system page is 0xBE. A fault on a PTE that is already fine (a stale TB entry) is
 * flushed and retried. Demand zero, transition and pagefile faults will grow here.
 */
#include "mm.h"
#include "intrin.h"

/* Guards against retrying a "spurious" fault forever. */
static ULONG MiLastSpuriousAddress, MiLastSpuriousEip, MiSpuriousRepeats;

static NTSTATUS MiSpuriousFault(PVOID Address, PKTRAP_FRAME TrapFrame)
{
    ULONG Va = (ULONG)(ULONG_PTR)Address;

    if (Va == MiLastSpuriousAddress && TrapFrame->Eip == MiLastSpuriousEip)
    {
        if (++MiSpuriousRepeats >= 4)
        {
            MiSpuriousRepeats = 0;
            return STATUS_ACCESS_VIOLATION;
        }
    }
    else
    {
        MiLastSpuriousAddress = Va;
        MiLastSpuriousEip = TrapFrame->Eip;
        MiSpuriousRepeats = 0;
    }
    __invlpg(Address);
    return STATUS_SUCCESS;
}

NTSTATUS MmAccessFault(ULONG FaultCode, PVOID Address, KPROCESSOR_MODE Mode,
                       PKTRAP_FRAME TrapFrame)
{
    ULONG Va = (ULONG)(ULONG_PTR)Address;
    BOOLEAN Write = MI_IS_WRITE_ACCESS(FaultCode);
    PMMPTE PointerPde = MiAddressToPde(Va);
    PMMPTE PointerPte = MiAddressToPte(Va);
    MMPTE TempPde, TempPte;

    TempPde = MI_READ_PTE(PointerPde);

    if (MI_IS_SYSTEM_ADDRESS(Va))
    {
        if (Mode == UserMode)
            return STATUS_ACCESS_VIOLATION;

        /* Every system page table exists from boot on, so an invalid PDE or PTE here is a
         * reference to memory that was never allocated (or was freed). */
        if (!TempPde.u.Hard.Valid)
            KeBugCheckWithTf(PAGE_FAULT_IN_NONPAGED_AREA, Va, Write, TrapFrame->Eip, 0,
                             TrapFrame);
        TempPte = MI_READ_PTE(PointerPte);
        if (!TempPte.u.Hard.Valid)
            KeBugCheckWithTf(PAGE_FAULT_IN_NONPAGED_AREA, Va, Write, TrapFrame->Eip, 0,
                             TrapFrame);
        if (Write && !TempPte.u.Hard.Write)
            KeBugCheckWithTf(ATTEMPTED_WRITE_TO_READONLY_MEMORY, Va, TempPte.u.Long,
                             (ULONG_PTR)TrapFrame, 0, TrapFrame);
        return MiSpuriousFault(Address, TrapFrame);
    }

    /* User space (including the no-access areas below 64 KiB and above 0x7FFEFFFF). */
    if (!TempPde.u.Hard.Valid)
        return STATUS_ACCESS_VIOLATION;
    TempPte = MI_READ_PTE(PointerPte);
    if (!TempPte.u.Hard.Valid)
        return STATUS_ACCESS_VIOLATION;
    if (Mode == UserMode && (!TempPte.u.Hard.Owner || !TempPde.u.Hard.Owner))
        return STATUS_ACCESS_VIOLATION;
    if (Write && (!TempPte.u.Hard.Write || !TempPde.u.Hard.Write))
        return STATUS_ACCESS_VIOLATION;   /* copy-on-write comes with sections */
    return MiSpuriousFault(Address, TrapFrame);
}
