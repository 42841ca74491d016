/*
 * context.c - the CONTEXT and EXCEPTION_RECORD of an exception raised in ring 3, and the
 * checks every CONTEXT from user mode goes through before a thread resumes with it
 * (NtContinue, NtRaiseException, NtSetContextThread): whatever the CONTEXT says, the thread
 * comes back in ring 3, on the flat user selectors, with interrupts on and no I/O privilege,
 * so user code can never reach ring 0 through it. Pure functions (the host's unit tests build
 * this file); ke/except.c does the dispatching.
 */
#include "ke.h"
#include "dbgk.h"
#include "mm.h"
#include "rtl.h"
#include "intrin.h"

/* EFLAGS a user context may set (NT's EFLAGS_USER_SANITIZE without NT, VM, VIF and VIP,
 * which only virtual-8086 mode and task switches use, neither of which exists here): CF, PF,
 * AF, ZF, SF, TF, DF, OF, RF, AC, ID. IF and bit 1 are always set; IOPL is always 0. */
#define KI_EFLAGS_USER_MASK  0x00250DD5u
#define KI_USER_CS           (KGDT_R3_CODE | RPL_USER)
#define KI_USER_DS           (KGDT_R3_DATA | RPL_USER)

ULONG KiSanitizeUserEFlags(ULONG EFlags)
{
    return (EFlags & KI_EFLAGS_USER_MASK) | EFLAGS_IF | EFLAGS_RESERVED_1;
}

VOID KiTrapFrameToContext(const KTRAP_FRAME *TrapFrame, PCONTEXT Context)
{
    ULONG Flags = Context->ContextFlags;

    if ((Flags & CONTEXT_CONTROL) == CONTEXT_CONTROL)
    {
        Context->Ebp = TrapFrame->Ebp;
        Context->Eip = TrapFrame->Eip;
        Context->SegCs = TrapFrame->SegCs & 0xFFFF;
        Context->EFlags = TrapFrame->EFlags;
        Context->Esp = TrapFrame->HardwareEsp;
        Context->SegSs = TrapFrame->HardwareSegSs & 0xFFFF;
    }
    if ((Flags & CONTEXT_INTEGER) == CONTEXT_INTEGER)
    {
        Context->Edi = TrapFrame->Edi;
        Context->Esi = TrapFrame->Esi;
        Context->Ebx = TrapFrame->Ebx;
        Context->Edx = TrapFrame->Edx;
        Context->Ecx = TrapFrame->Ecx;
        Context->Eax = TrapFrame->Eax;
    }
    if ((Flags & CONTEXT_SEGMENTS) == CONTEXT_SEGMENTS)
    {
        Context->SegGs = TrapFrame->SegGs & 0xFFFF;
        Context->SegFs = TrapFrame->SegFs & 0xFFFF;
        Context->SegEs = TrapFrame->SegEs & 0xFFFF;
        Context->SegDs = TrapFrame->SegDs & 0xFFFF;
    }
    /* No debug registers are in use: they read as zero. */
    if ((Flags & CONTEXT_DEBUG_REGISTERS) == CONTEXT_DEBUG_REGISTERS)
        Context->Dr0 = Context->Dr1 = Context->Dr2 = Context->Dr3 = Context->Dr6 =
            Context->Dr7 = 0;
}

NTSTATUS KiContextToTrapFrame(const CONTEXT *Context, PKTRAP_FRAME TrapFrame)
{
    ULONG Flags = Context->ContextFlags;

    if ((Flags & CONTEXT_i386) == 0 || (Flags & ~(ULONG)CONTEXT_ALL) != 0)
        return STATUS_INVALID_PARAMETER;
    if ((Flags & CONTEXT_CONTROL) == CONTEXT_CONTROL)
    {
        TrapFrame->Ebp = Context->Ebp;
        TrapFrame->Eip = Context->Eip;
        TrapFrame->EFlags = KiSanitizeUserEFlags(Context->EFlags);
        TrapFrame->HardwareEsp = Context->Esp;
        /* Any other code or stack selector (a ring-0 one above all) becomes the flat user
         * one: an iret to ring 3 with it cannot fault in the kernel. */
        TrapFrame->SegCs = KI_USER_CS;
        TrapFrame->HardwareSegSs = KI_USER_DS;
    }
    if ((Flags & CONTEXT_INTEGER) == CONTEXT_INTEGER)
    {
        TrapFrame->Edi = Context->Edi;
        TrapFrame->Esi = Context->Esi;
        TrapFrame->Ebx = Context->Ebx;
        TrapFrame->Edx = Context->Edx;
        TrapFrame->Ecx = Context->Ecx;
        TrapFrame->Eax = Context->Eax;
    }
    if ((Flags & CONTEXT_SEGMENTS) == CONTEXT_SEGMENTS)
    {
        /* The data selectors are popped in ring 0 before the iret: only the user data
         * selector (or a null FS/GS) is loadable there without a fault. */
        TrapFrame->SegDs = TrapFrame->SegEs = KI_USER_DS;
        TrapFrame->SegFs = (Context->SegFs & 0xFFFF) == 0 ? 0 : KI_USER_DS;
        TrapFrame->SegGs = (Context->SegGs & 0xFFFF) == 0 ? 0 : KI_USER_DS;
    }
    return STATUS_SUCCESS;
}

/* An FXSAVE image from user mode, made safe for FXRSTOR: MXCSR bits the processor does not
 * have (MxcsrMask) would raise #GP in the kernel. */
VOID KiSanitizeExtendedRegisters(PUCHAR Image, ULONG MxcsrMask)
{
    ULONG Mxcsr;

    memcpy(&Mxcsr, Image + 24, sizeof(Mxcsr));
    Mxcsr &= MxcsrMask;
    memcpy(Image + 24, &Mxcsr, sizeof(Mxcsr));
}

static ULONG KiAccessToExceptionInformation(ULONG Access)
{
    if (Access == MI_ACCESS_WRITE)
        return EXCEPTION_WRITE_FAULT;
    if (Access == MI_ACCESS_EXECUTE)
        return EXCEPTION_EXECUTE_FAULT;
    return EXCEPTION_READ_FAULT;
}

ULONG KiExceptionInformationToAccess(ULONG Information)
{
    if (Information == EXCEPTION_WRITE_FAULT)
        return MI_ACCESS_WRITE;
    if (Information == EXCEPTION_EXECUTE_FAULT)
        return MI_ACCESS_EXECUTE;
    return MI_ACCESS_READ;
}

VOID KiBuildExceptionRecord(PEXCEPTION_RECORD Record, NTSTATUS Code, ULONG Eip, ULONG Address,
                            ULONG Access, NTSTATUS IoStatus)
{
    memset(Record, 0, sizeof(*Record));
    Record->ExceptionCode = Code;
    Record->ExceptionAddress = (PVOID)(ULONG_PTR)Eip;
    switch (Code)
    {
    case STATUS_IN_PAGE_ERROR:
        Record->NumberParameters = 3;
        Record->ExceptionInformation[2] = (ULONG)IoStatus;
        /* fall through */
    case STATUS_ACCESS_VIOLATION:
    case STATUS_GUARD_PAGE_VIOLATION:
    case STATUS_STACK_OVERFLOW:
        if (Record->NumberParameters == 0)
            Record->NumberParameters = 2;
        Record->ExceptionInformation[0] = KiAccessToExceptionInformation(Access);
        Record->ExceptionInformation[1] = Address;
        break;
    case STATUS_BREAKPOINT:
        /* The trap left EIP after the int3; NT reports the int3 itself. */
        Record->ExceptionAddress = (PVOID)(ULONG_PTR)(Eip - 1);
        break;
    default:
        break;
    }
}

ULONG KiExceptionRecordLength(const EXCEPTION_RECORD *Record)
{
    return (ULONG)ALIGN_UP_BY(KI_EXCEPTION_RECORD_HEADER + 4 * Record->NumberParameters, 4);
}

BOOLEAN KiLayOutUserExceptionFrame(ULONG Esp, ULONG RecordLength,
                                   PKI_USER_EXCEPTION_FRAME Frame)
{
    ULONG Context = (Esp & ~3u) - (ULONG)ALIGN_UP_BY(KI_CONTEXT_LENGTH, 4);
    ULONG Record = Context - RecordLength;

    /* Below the first page or wrapped around: no stack to write to. */
    if (Esp < KI_CONTEXT_LENGTH + RecordLength + 8 + PAGE_SIZE || Record - 8 > Esp)
        return FALSE;
    Frame->ContextAddress = Context;
    Frame->RecordAddress = Record;
    Frame->NewEsp = Record - 8;
    return TRUE;
}
