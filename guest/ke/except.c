/*
 * except.c - exceptions raised in ring 3, dispatched as NT does: first to the process's
 * debugger (dbgk/), then to the process itself: the CONTEXT and EXCEPTION_RECORD go on its
 * stack and the thread continues in ntdll's KiUserExceptionDispatcher, which runs the
 * vectored handlers and comes back through NtContinue (resume) or NtRaiseException with
 * FirstChance FALSE (nobody took it: the debugger's second chance, then the end of the
 * process with the crash report a fault has always produced). Also NtGetContextThread and
 * NtSetContextThread. Every context from user mode is sanitized by ke/context.c.
 */
#include "ke.h"
#include "dbgk.h"
#include "mm.h"
#include "ps.h"
#include "ob.h"
#include "rtl.h"

static ULONG KiUserExceptionDispatcherVa;
static ULONG KiMxcsrMask;

typedef struct _KI_FXSAVE_AREA
{
    UCHAR Image[KI_NPX_SAVE_AREA];
} __attribute__((aligned(16))) KI_FXSAVE_AREA;

static ULONG KiGetMxcsrMask(VOID)
{
    KI_FXSAVE_AREA Area;
    ULONG Mask;

    if (KiMxcsrMask == 0)
    {
        memset(&Area, 0, sizeof(Area));
        __asm__ volatile("fxsave %0" : "=m"(Area));
        memcpy(&Mask, Area.Image + 28, sizeof(Mask));
        KiMxcsrMask = Mask != 0 ? Mask : 0xFFBFu;   /* 0: the processor's default mask */
    }
    return KiMxcsrMask;
}

/* The x87/SSE state of a thread: the processor's for the running one (switches save it
 * eagerly), the saved image for a stopped one, the initial state for one that never ran. */
static VOID KiGetExtendedRegisters(PEPROCESS Process, PUCHAR Image)
{
    PKTHREAD Thread = &Process->Thread;
    KI_FXSAVE_AREA Area;
    ULONG Value;

    if (Thread == KeGetCurrentThread())
    {
        __asm__ volatile("fxsave %0" : "=m"(Area));
        memcpy(Image, Area.Image, KI_NPX_SAVE_AREA);
    }
    else if (Thread->NpxInitialized)
        memcpy(Image, (PUCHAR)(((ULONG_PTR)Thread->NpxState + 15) & ~(ULONG_PTR)15),
               KI_NPX_SAVE_AREA);
    else
    {
        memset(Image, 0, KI_NPX_SAVE_AREA);
        Value = 0x037F;                      /* FNINIT's control word */
        memcpy(Image, &Value, 2);
        Value = 0x1F80;                      /* MXCSR at reset */
        memcpy(Image + 24, &Value, 4);
    }
}

static VOID KiSetExtendedRegisters(PEPROCESS Process, const UCHAR *Image)
{
    PKTHREAD Thread = &Process->Thread;
    KI_FXSAVE_AREA Area;

    memcpy(Area.Image, Image, KI_NPX_SAVE_AREA);
    KiSanitizeExtendedRegisters(Area.Image, KiGetMxcsrMask());
    if (Thread == KeGetCurrentThread())
    {
        __asm__ volatile("fxrstor %0" : : "m"(Area));
        return;
    }
    memcpy((PUCHAR)(((ULONG_PTR)Thread->NpxState + 15) & ~(ULONG_PTR)15), Area.Image,
           KI_NPX_SAVE_AREA);
    Thread->NpxInitialized = TRUE;
}

/* A thread's registers as Context->ContextFlags asks (the flags are kept). */
static VOID KiCaptureContext(PEPROCESS Process, const KTRAP_FRAME *TrapFrame, PCONTEXT Context)
{
    KiTrapFrameToContext(TrapFrame, Context);
    if ((Context->ContextFlags & CONTEXT_EXTENDED_REGISTERS) == CONTEXT_EXTENDED_REGISTERS)
        KiGetExtendedRegisters(Process, Context->ExtendedRegisters);
}

/* A user CONTEXT into a thread's trap frame (and its x87/SSE state), sanitized. */
static NTSTATUS KiLoadContext(PEPROCESS Process, const CONTEXT *Context, PKTRAP_FRAME TrapFrame)
{
    NTSTATUS Status = KiContextToTrapFrame(Context, TrapFrame);

    if (NT_SUCCESS(Status) &&
        (Context->ContextFlags & CONTEXT_EXTENDED_REGISTERS) == CONTEXT_EXTENDED_REGISTERS)
        KiSetExtendedRegisters(Process, Context->ExtendedRegisters);
    return Status;
}

/* A write to the user stack: a stack's guard page makes the first try fail (the stack has
 * grown then), so it is tried again. */
static NTSTATUS KiCopyToUserStack(ULONG Address, PCVOID Source, ULONG Length)
{
    NTSTATUS Status = STATUS_GUARD_PAGE_VIOLATION;
    ULONG Try;

    for (Try = 0; Try < 4 && Status == STATUS_GUARD_PAGE_VIOLATION; Try++)
        Status = MmCopyToUser((PVOID)(ULONG_PTR)Address, Source, Length);
    return Status;
}

/* The process ends with the exception's code: the crash report of the trap that raised it
 * when this record is that trap's, else of the service call that raised it. */
static DECLSPEC_NORETURN VOID KiTerminateWithRecord(const EXCEPTION_RECORD *Record,
                                                    PKTRAP_FRAME TrapFrame)
{
    PEPROCESS Process = PsGetCurrentProcess();
    ULONG Address = 0, Access = MI_ACCESS_READ;

    if (Process->DispatchValid && (ULONG)Record->ExceptionCode == Process->DispatchCode &&
        (ULONG)(ULONG_PTR)Record->ExceptionAddress == Process->DispatchEip)
    {
        TrapFrame->TrapNumber = Process->DispatchTrap;
        TrapFrame->ErrCode = Process->DispatchErrCode;
        Address = Process->DispatchAddress;
        Access = Process->DispatchAccess;
    }
    else if (Record->NumberParameters >= 2)
    {
        Access = KiExceptionInformationToAccess(Record->ExceptionInformation[0]);
        Address = Record->ExceptionInformation[1];
    }
    KiTerminateByException(Record->ExceptionCode, Address, Access, TrapFrame);
}

VOID KiDispatchException(PEXCEPTION_RECORD Record, PKTRAP_FRAME TrapFrame, BOOLEAN FirstChance)
{
    PEPROCESS Process = PsGetCurrentProcess();
    KI_USER_EXCEPTION_FRAME Frame;
    CONTEXT Context;
    ULONG Pointers[2], Length;

    if (FirstChance)
    {
        if (Process->DebugPort != NULL && DbgkForwardException(Record, TrapFrame, TRUE))
            return;
        if (Process->TerminationRequested)
            return;                         /* ended while its debugger had it */
        if (KiUserExceptionDispatcherVa == 0)
            KiUserExceptionDispatcherVa = LdrSystemDllExport("KiUserExceptionDispatcher");
        Context.ContextFlags = CONTEXT_FULL | CONTEXT_DEBUG_REGISTERS |
                               CONTEXT_EXTENDED_REGISTERS;
        KiCaptureContext(Process, TrapFrame, &Context);
        Length = KiExceptionRecordLength(Record);
        /* A fault that failed because no page will come (STATUS_COMMITMENT_LIMIT from a page
         * wait the idle thread ended) cannot get a page for the handler's stack either. */
        if (KiUserExceptionDispatcherVa != 0 && Record->ExceptionCode != STATUS_COMMITMENT_LIMIT &&
            KiLayOutUserExceptionFrame(TrapFrame->HardwareEsp, Length, &Frame))
        {
            Pointers[0] = Frame.RecordAddress;
            Pointers[1] = Frame.ContextAddress;
            if (NT_SUCCESS(KiCopyToUserStack(Frame.ContextAddress, &Context, KI_CONTEXT_LENGTH)) &&
                NT_SUCCESS(KiCopyToUserStack(Frame.RecordAddress, Record, Length)) &&
                NT_SUCCESS(KiCopyToUserStack(Frame.NewEsp, Pointers, sizeof(Pointers))))
            {
                TrapFrame->HardwareEsp = Frame.NewEsp;
                TrapFrame->Eip = KiUserExceptionDispatcherVa;
                TrapFrame->SegCs = KGDT_R3_CODE | RPL_USER;
                TrapFrame->HardwareSegSs = TrapFrame->SegDs = TrapFrame->SegEs =
                    KGDT_R3_DATA | RPL_USER;
                /* Single-stepping the dispatcher would raise an exception per instruction. */
                TrapFrame->EFlags = KiSanitizeUserEFlags(TrapFrame->EFlags) & ~0x100u;
                Process->ExceptionsDispatched++;
                return;
            }
        }
        DbgPrint("ke: %s (pid %u): exception 0x%08X at 0x%08X: no room for it on the user "
                 "stack (esp 0x%08X): unhandled\n", Process->ImageFileName,
                 Process->UniqueProcessId, (ULONG)Record->ExceptionCode,
                 (ULONG)(ULONG_PTR)Record->ExceptionAddress, TrapFrame->HardwareEsp);
    }
    if (Process->DebugPort != NULL && DbgkForwardException(Record, TrapFrame, FALSE))
        return;
    if (Process->TerminationRequested)
        return;
    KiTerminateWithRecord(Record, TrapFrame);
}

VOID KiRaiseUserException(NTSTATUS Status, ULONG Address, ULONG Access, PKTRAP_FRAME TrapFrame)
{
    PEPROCESS Process = PsGetCurrentProcess();
    EXCEPTION_RECORD Record;

    KiBuildExceptionRecord(&Record, Status, TrapFrame->Eip, Address, Access,
                           Status == STATUS_IN_PAGE_ERROR ? MmLastInPageError.IoStatus : 0);
    /* NT reports a breakpoint at the int3, to the debugger and the handlers alike: resuming
     * runs it again unless one of them moves EIP on. */
    if (Status == STATUS_BREAKPOINT)
        TrapFrame->Eip = (ULONG)(ULONG_PTR)Record.ExceptionAddress;
    Process->DispatchValid = TRUE;
    Process->DispatchCode = (ULONG)Status;
    Process->DispatchEip = (ULONG)(ULONG_PTR)Record.ExceptionAddress;
    Process->DispatchTrap = TrapFrame->TrapNumber;
    Process->DispatchErrCode = TrapFrame->ErrCode;
    Process->DispatchAddress = Address;
    Process->DispatchAccess = Access;
    KiDispatchException(&Record, TrapFrame, TRUE);
}

/* ---------------------------------------------------------------------------- services */

static NTSTATUS KiCaptureUserContext(PCONTEXT Captured, const CONTEXT *UserContext)
{
    return MmCopyFromUser(Captured, UserContext, sizeof(*Captured));
}

/*
 * NTSTATUS NtContinue(PCONTEXT Context, BOOLEAN TestAlert) - service 0x001D. The thread
 * resumes with Context (the parts its ContextFlags name), sanitized. On success it does not
 * return to its caller; a context that cannot be read or has foreign flags is refused and
 * nothing changes.
 */
NTSTATUS NtContinue(PCONTEXT Context, BOOLEAN TestAlert)
{
    PKTHREAD Thread = KeGetCurrentThread();
    CONTEXT Captured;
    NTSTATUS Status;

    (void)TestAlert;    /* no APCs */
    Status = KiCaptureUserContext(&Captured, Context);
    if (NT_SUCCESS(Status))
        Status = KiLoadContext(PsGetCurrentProcess(), &Captured, Thread->TrapFrame);
    if (NT_SUCCESS(Status))
        Thread->ContextLoaded = TRUE;
    return Status;
}

/*
 * NTSTATUS NtRaiseException(PEXCEPTION_RECORD Record, PCONTEXT Context, BOOLEAN FirstChance)
 * - service 0x001E. Dispatches Record as if raised with Context's registers: FirstChance
 * TRUE as a new exception (debugger, then the vectored handlers), FALSE as one no handler
 * took. More than 15 parameters: STATUS_INVALID_PARAMETER. The chained-record pointer is
 * passed on, not followed.
 */
NTSTATUS NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT Context,
                          BOOLEAN FirstChance)
{
    PKTHREAD Thread = KeGetCurrentThread();
    PKTRAP_FRAME TrapFrame = Thread->TrapFrame;
    EXCEPTION_RECORD Record;
    CONTEXT Captured;
    KTRAP_FRAME Saved = *TrapFrame;
    NTSTATUS Status;

    memset(&Record, 0, sizeof(Record));
    Status = MmCopyFromUser(&Record, ExceptionRecord, KI_EXCEPTION_RECORD_HEADER);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Record.NumberParameters > EXCEPTION_MAXIMUM_PARAMETERS)
        return STATUS_INVALID_PARAMETER;
    Status = MmCopyFromUser(Record.ExceptionInformation,
                            (PCHAR)ExceptionRecord + KI_EXCEPTION_RECORD_HEADER,
                            4 * Record.NumberParameters);
    if (NT_SUCCESS(Status))
        Status = KiCaptureUserContext(&Captured, Context);
    if (NT_SUCCESS(Status))
        Status = KiLoadContext(PsGetCurrentProcess(), &Captured, TrapFrame);
    if (!NT_SUCCESS(Status))
    {
        *TrapFrame = Saved;
        return Status;
    }
    Thread->ContextLoaded = TRUE;
    if (FirstChance)
        PsGetCurrentProcess()->DispatchValid = FALSE;   /* a software exception */
    KiDispatchException(&Record, TrapFrame, FirstChance);
    return STATUS_SUCCESS;
}

/* The thread a handle names and the trap frame its registers are in: the caller's own (its
 * system call's frame), or a child's stopped at a debug event. */
static NTSTATUS KiReferenceContextThread(HANDLE ThreadHandle, ULONG Access, PEPROCESS *Target,
                                         PKTRAP_FRAME *TrapFrame)
{
    PEPROCESS Process, Current = PsGetCurrentProcess();
    NTSTATUS Status = ObReferenceObjectByHandleAccess(ThreadHandle, ObThreadType, Access,
                                                      (PVOID *)&Process);

    if (!NT_SUCCESS(Status))
        return Status;
    if (Process == Current)
        *TrapFrame = KeGetCurrentThread()->TrapFrame;
    else if (Process->InheritedFromUniqueProcessId != Current->UniqueProcessId)
        Status = STATUS_ACCESS_DENIED;
    else if (!Process->DebugStopped)
        Status = STATUS_UNSUCCESSFUL;       /* running: only a stopped thread holds still */
    else
        *TrapFrame = Process->DebugTrapFrame;
    if (!NT_SUCCESS(Status))
    {
        ObDereferenceObject(Process);
        return Status;
    }
    *Target = Process;
    return STATUS_SUCCESS;
}

/*
 * NTSTATUS NtGetContextThread(HANDLE ThreadHandle, PCONTEXT Context) - service 0x001F.
 * THREAD_GET_CONTEXT; the parts Context->ContextFlags names. A child's thread only while it
 * is stopped at a debug event (STATUS_UNSUCCESSFUL while it runs).
 */
NTSTATUS NtGetContextThread(HANDLE ThreadHandle, PCONTEXT Context)
{
    PEPROCESS Process;
    PKTRAP_FRAME TrapFrame;
    CONTEXT Captured;
    NTSTATUS Status = MmCopyFromUser(&Captured.ContextFlags, &Context->ContextFlags,
                                     sizeof(ULONG));

    if (!NT_SUCCESS(Status))
        return Status;
    if ((Captured.ContextFlags & CONTEXT_i386) == 0 ||
        (Captured.ContextFlags & ~(ULONG)CONTEXT_ALL) != 0)
        return STATUS_INVALID_PARAMETER;
    Status = KiReferenceContextThread(ThreadHandle, THREAD_GET_CONTEXT, &Process, &TrapFrame);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MmCopyFromUser(&Captured, Context, sizeof(Captured));   /* parts not asked for stay */
    if (NT_SUCCESS(Status))
    {
        KiCaptureContext(Process, TrapFrame, &Captured);
        Status = MmCopyToUser(Context, &Captured, sizeof(Captured));
    }
    ObDereferenceObject(Process);
    return Status;
}

/*
 * NTSTATUS NtSetContextThread(HANDLE ThreadHandle, PCONTEXT Context) - service 0x0020.
 * THREAD_SET_CONTEXT; sanitized as NtContinue's. The caller's own thread resumes with it.
 */
NTSTATUS NtSetContextThread(HANDLE ThreadHandle, PCONTEXT Context)
{
    PEPROCESS Process;
    PKTRAP_FRAME TrapFrame;
    CONTEXT Captured;
    NTSTATUS Status = KiCaptureUserContext(&Captured, Context);

    if (!NT_SUCCESS(Status))
        return Status;
    Status = KiReferenceContextThread(ThreadHandle, THREAD_SET_CONTEXT, &Process, &TrapFrame);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = KiLoadContext(Process, &Captured, TrapFrame);
    if (NT_SUCCESS(Status) && Process == PsGetCurrentProcess())
        KeGetCurrentThread()->ContextLoaded = TRUE;
    ObDereferenceObject(Process);
    return Status;
}
