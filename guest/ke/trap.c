/*
 * trap.c - what happens after trap.S built a trap frame: the system service goes to
 * KiSystemService, page faults (KiTrap0E) to MmAccessFault, stray interrupts to the PIC code.
 * A page fault MmAccessFault cannot resolve is raised as an exception when it came from ring 3
 * (access violation, guard page violation, stack overflow, in-page error: ke/except.c
 * dispatches it to the debugger and the process's handlers; unhandled, the process ends); in
 * ring 0 a fault-safe user copy fails with it, and anything else is a bug check
 * (KERNEL_DATA_INPAGE_ERROR 0x7A for an in-page error, KMODE_EXCEPTION_NOT_HANDLED otherwise).
 * Any other exception from ring 3 is raised with NT's status for it; in ring 0 it is a bug
 * check, unless the faulting instruction is a fault-safe user copy (exception fixup table).
 */
#include "ke.h"
#include "mm.h"
#include "ps.h"
#include "rtl.h"
#include "intrin.h"
#include "dbgk.h"

/* Exception fixup table (probe.c emits entries; kernel.ld collects them). */
typedef struct _KI_EXCEPTION_FIXUP
{
    ULONG FaultingEip;
    ULONG ContinuationEip;
} KI_EXCEPTION_FIXUP;

extern const KI_EXCEPTION_FIXUP __ExceptionTableStart[], __ExceptionTableEnd[];

BOOLEAN KiFindExceptionFixup(PKTRAP_FRAME TrapFrame)
{
    const KI_EXCEPTION_FIXUP *Entry;

    for (Entry = __ExceptionTableStart; Entry < __ExceptionTableEnd; Entry++)
    {
        if (Entry->FaultingEip == TrapFrame->Eip)
        {
            TrapFrame->Eip = Entry->ContinuationEip;
            return TRUE;
        }
    }
    return FALSE;
}

static VOID KiTrap0E(PKTRAP_FRAME TrapFrame)
{
    ULONG Cr2 = __readcr2();
    KPROCESSOR_MODE Mode = KiUserTrap(TrapFrame) ? UserMode : KernelMode;
    ULONG Access;
    NTSTATUS Status;

    Status = MmAccessFault(TrapFrame->ErrCode, (PVOID)(ULONG_PTR)Cr2, Mode, TrapFrame);
    if (NT_SUCCESS(Status))
        return;
    /* Ended while it waited for a page: it exits on the way out, with the status it was
     * ended with (KiExitToUser). */
    if (Status == STATUS_PROCESS_IS_TERMINATING && Mode == UserMode)
        return;

    /* Without NX the error code rarely says "instruction fetch": a fault at EIP itself, or
     * at the page boundary an instruction runs into, is one. */
    if (MI_IS_INSTRUCTION_FETCH(TrapFrame->ErrCode) || Cr2 == TrapFrame->Eip ||
        ((Cr2 & (PAGE_SIZE - 1)) == 0 && Cr2 > TrapFrame->Eip && Cr2 - TrapFrame->Eip < 16))
        Access = MI_ACCESS_EXECUTE;
    else
        Access = MI_IS_WRITE_ACCESS(TrapFrame->ErrCode) ? MI_ACCESS_WRITE : MI_ACCESS_READ;

    if (Mode == KernelMode)
    {
        /* A fault-safe copy touching a bad user address resumes at its fixup, which returns
         * the fault's status (access violation, guard page, stack overflow). */
        if (Cr2 < MmSystemRangeStart && KiFindExceptionFixup(TrapFrame))
        {
            MmUserCopyFaultStatus = Status;
            return;
        }
        /* A page the kernel itself needed could not be read: NT's 0x7A (PTE address, I/O
         * status, PTE contents, VA). */
        if (Status == STATUS_IN_PAGE_ERROR)
            KeBugCheckWithTf(KERNEL_DATA_INPAGE_ERROR,
                             (ULONG_PTR)MmLastInPageError.PointerPte,
                             (ULONG)MmLastInPageError.IoStatus, MmLastInPageError.PteContents,
                             Cr2, TrapFrame);
        KeBugCheckWithTf(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_ACCESS_VIOLATION,
                         TrapFrame->Eip, Access, Cr2, TrapFrame);
    }
    KiRaiseUserException(Status, Cr2, Access, TrapFrame);
}

/* Is the ring-3 instruction at EIP one that only ring 0 may execute? (#GP from ring 3 is
 * STATUS_PRIVILEGED_INSTRUCTION for those, an access violation otherwise.) */
static BOOLEAN KiIsPrivilegedInstruction(ULONG Eip)
{
    UCHAR Code[15];
    ULONG i, Length = sizeof(Code);
    UCHAR Op, ModRmReg;

    /* The instruction may end at the end of a mapping: fetch less until it fits. */
    while (Length > 0 && !NT_SUCCESS(MmCopyFromUser(Code, (PCVOID)(ULONG_PTR)Eip, Length)))
        Length--;
    for (i = 0; i < Length; i++)
    {
        Op = Code[i];
        if (Op == 0x26 || Op == 0x2E || Op == 0x36 || Op == 0x3E || Op == 0x64 || Op == 0x65 ||
            Op == 0x66 || Op == 0x67 || Op == 0xF0 || Op == 0xF2 || Op == 0xF3)
            continue;
        switch (Op)
        {
        case 0xF4:                                  /* hlt */
        case 0xFA: case 0xFB:                       /* cli, sti */
        case 0xE4: case 0xE5: case 0xE6: case 0xE7: /* in/out imm8 */
        case 0xEC: case 0xED: case 0xEE: case 0xEF: /* in/out dx */
        case 0x6C: case 0x6D: case 0x6E: case 0x6F: /* ins/outs */
            return TRUE;
        case 0x0F:
            if (i + 1 >= Length)
                return FALSE;
            Op = Code[i + 1];
            ModRmReg = (i + 2 < Length) ? (UCHAR)((Code[i + 2] >> 3) & 7) : 0xFF;
            switch (Op)
            {
            case 0x00:                              /* lldt, ltr */
                return ModRmReg == 2 || ModRmReg == 3;
            case 0x01:                              /* lgdt, lidt, lmsw, invlpg */
                return ModRmReg == 2 || ModRmReg == 3 || ModRmReg == 6 || ModRmReg == 7;
            case 0x06: case 0x08: case 0x09:        /* clts, invd, wbinvd */
            case 0x20: case 0x21: case 0x22: case 0x23: /* mov cr/dr */
            case 0x30: case 0x32: case 0x33:        /* wrmsr, rdmsr, rdpmc */
            case 0x35:                              /* sysexit */
                return TRUE;
            default:
                return FALSE;
            }
        default:
            return FALSE;
        }
    }
    return FALSE;
}

/* NT's status for an exception vector raised in ring 3, or 0 if it is not the process's. */
static NTSTATUS KiUserExceptionStatus(PKTRAP_FRAME TrapFrame)
{
    switch (TrapFrame->TrapNumber)
    {
    case 0:  return STATUS_INTEGER_DIVIDE_BY_ZERO;
    case 1:  return STATUS_SINGLE_STEP;
    case 3:  return STATUS_BREAKPOINT;
    case 4:  return STATUS_INTEGER_OVERFLOW;
    case 5:  return STATUS_ARRAY_BOUNDS_EXCEEDED;
    case 6:  return STATUS_ILLEGAL_INSTRUCTION;
    case 7:  return STATUS_ILLEGAL_INSTRUCTION;
    case 10: case 11: case 12: return STATUS_ACCESS_VIOLATION;
    case 13:
        return KiIsPrivilegedInstruction(TrapFrame->Eip) ? STATUS_PRIVILEGED_INSTRUCTION
                                                         : STATUS_ACCESS_VIOLATION;
    case 16: return STATUS_FLOAT_INVALID_OPERATION;
    case 17: return STATUS_DATATYPE_MISALIGNMENT;
    case 19: return STATUS_FLOAT_MULTIPLE_TRAPS;
    default: return 0;
    }
}

/* A switch the kernel made due while it ran (a more important thread woke) happens on the
 * way back to ring 3, where the thread has nothing half done. */
static VOID KiExitToUser(PKTRAP_FRAME TrapFrame)
{
    if (!KiUserTrap(TrapFrame))
        return;
    if (KiDispatchPending)
        KiDispatchInterrupt();
    PspCheckTermination();
}

VOID KiDispatchTrap(PKTRAP_FRAME TrapFrame)
{
    ULONG Vector = TrapFrame->TrapNumber;
    NTSTATUS Status;

    if (Vector == KI_SYSTEM_SERVICE_VECTOR)
    {
        KiSystemService(TrapFrame);
        KiExitToUser(TrapFrame);
        return;
    }
    if (Vector == 14)
    {
        KiTrap0E(TrapFrame);
        KiExitToUser(TrapFrame);
        return;
    }
    if (Vector == PRIMARY_VECTOR_BASE)
    {
        KiClockInterrupt(TrapFrame);
        KiExitToUser(TrapFrame);
        return;
    }
    if (Vector >= PRIMARY_VECTOR_BASE && Vector < PRIMARY_VECTOR_BASE + 16)
    {
        HalHandleInterrupt(Vector);
        KiExitToUser(TrapFrame);
        return;
    }

    Status = KiUserExceptionStatus(TrapFrame);
    if (KiUserTrap(TrapFrame) && Status != 0)
    {
        /* NT reports an access violation from #GP as a read of 0xFFFFFFFF. */
        KiRaiseUserException(Status, Status == STATUS_ACCESS_VIOLATION ? 0xFFFFFFFFu : 0,
                             MI_ACCESS_READ, TrapFrame);
        KiExitToUser(TrapFrame);
        return;
    }
    if (Status == 0)
        KeBugCheckWithTf(UNEXPECTED_KERNEL_MODE_TRAP, Vector, TrapFrame->ErrCode,
                         TrapFrame->Eip, 0, TrapFrame);
    KeBugCheckWithTf(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)Status, TrapFrame->Eip,
                     TrapFrame->ErrCode, 0, TrapFrame);
}
