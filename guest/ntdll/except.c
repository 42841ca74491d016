/*
 * except.c - user-mode exception dispatch in the system DLL. The kernel (ke/except.c) enters
 * KiUserExceptionDispatcher (ntdll.S) with an EXCEPTION_RECORD and a CONTEXT on the thread's
 * stack; RtlDispatchException offers them to the vectored handlers in order, and the thread
 * resumes with the (possibly changed) context through NtContinue, or, when no handler takes
 * it, goes back to the kernel for its second chance (NtRaiseException, FirstChance FALSE),
 * which ends the process. There is no frame-based SEH: vectored handlers only.
 *
 * A fault inside a handler is dispatched like any other (a nested exception, flagged
 * EXCEPTION_NESTED_CALL); past RTLP_MAX_NESTING nested dispatches the exception is treated as
 * unhandled, so a handler that faults every time ends its process instead of recursing until
 * the stack runs out.
 */
#include "../include/ntdef.h"
#include "../include/ntexcept.h"
#include "../include/ntstatusex.h"

NTSTATUS NTAPI NtContinue(PCONTEXT Context, BOOLEAN TestAlert);
NTSTATUS NTAPI NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT Context,
                                BOOLEAN FirstChance);
NTSTATUS NTAPI NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);

#define RTLP_MAX_VECTORED_HANDLERS 16

typedef struct _RTLP_VECTORED_HANDLER
{
    struct _RTLP_VECTORED_HANDLER *Next;
    PVECTORED_EXCEPTION_HANDLER Handler;
    ULONG InUse;
} RTLP_VECTORED_HANDLER, *PRTLP_VECTORED_HANDLER;

/* Per process: the DLL's data pages are copy-on-write. (Initialized, so they are file bytes:
 * the system DLL has no bss.) */
static RTLP_VECTORED_HANDLER RtlpVectoredHandlers[RTLP_MAX_VECTORED_HANDLERS] = { { 0, 0, 0 } };
static PRTLP_VECTORED_HANDLER RtlpVectoredHandlerList __attribute__((section(".data"))) = 0;
static ULONG RtlpDispatchDepth __attribute__((section(".data"))) = 0;
static ULONG RtlpMaxNesting = 8;

/* PVOID RtlAddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler):
 * First nonzero puts the handler at the head of the list (called first), else at the tail.
 * NULL when the table of 16 is full or Handler is NULL. */
PVOID NTAPI RtlAddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler)
{
    PRTLP_VECTORED_HANDLER Entry = 0, *Link;
    ULONG i;

    if (Handler == 0)
        return 0;
    for (i = 0; i < RTLP_MAX_VECTORED_HANDLERS && Entry == 0; i++)
        if (!RtlpVectoredHandlers[i].InUse)
            Entry = &RtlpVectoredHandlers[i];
    if (Entry == 0)
        return 0;
    Entry->InUse = 1;
    Entry->Handler = Handler;
    if (First)
    {
        Entry->Next = RtlpVectoredHandlerList;
        RtlpVectoredHandlerList = Entry;
        return Entry;
    }
    Entry->Next = 0;
    for (Link = &RtlpVectoredHandlerList; *Link != 0; Link = &(*Link)->Next)
        ;
    *Link = Entry;
    return Entry;
}

/* ULONG RtlRemoveVectoredExceptionHandler(PVOID Handle): 1 if it was registered, else 0. */
ULONG NTAPI RtlRemoveVectoredExceptionHandler(PVOID Handle)
{
    PRTLP_VECTORED_HANDLER *Link;

    for (Link = &RtlpVectoredHandlerList; *Link != 0; Link = &(*Link)->Next)
    {
        if (*Link == Handle)
        {
            *Link = (*Link)->Next;
            ((PRTLP_VECTORED_HANDLER)Handle)->InUse = 0;
            return 1;
        }
    }
    return 0;
}

/* TRUE: a handler returned EXCEPTION_CONTINUE_EXECUTION (resume with Context). */
static BOOLEAN RtlpDispatchException(PEXCEPTION_RECORD Record, PCONTEXT Context)
{
    EXCEPTION_POINTERS Pointers = { Record, Context };
    PRTLP_VECTORED_HANDLER Entry, Next;
    LONG Disposition;
    BOOLEAN Handled = FALSE;

    /* No handler: nothing to do (and the data page is only read, not copied). */
    if (RtlpVectoredHandlerList == 0 || RtlpDispatchDepth >= RtlpMaxNesting)
        return FALSE;
    if (RtlpDispatchDepth > 0)
        Record->ExceptionFlags |= EXCEPTION_NESTED_CALL;
    RtlpDispatchDepth++;
    for (Entry = RtlpVectoredHandlerList; Entry != 0 && !Handled; Entry = Next)
    {
        Next = Entry->Next;     /* a handler may remove itself */
        Disposition = Entry->Handler(&Pointers);
        if (Disposition == EXCEPTION_CONTINUE_EXECUTION)
            Handled = TRUE;
    }
    RtlpDispatchDepth--;
    /* A noncontinuable exception cannot be resumed, whatever a handler says. */
    if (Handled && (Record->ExceptionFlags & EXCEPTION_NONCONTINUABLE))
        return FALSE;
    return Handled;
}

/* Where KiUserExceptionDispatcher goes: never returns. */
__attribute__((noreturn, used)) void RtlpUserExceptionDispatcher(PEXCEPTION_RECORD Record,
                                                                 PCONTEXT Context)
{
    EXCEPTION_RECORD Failure;
    NTSTATUS Status;

    if (RtlpDispatchException(Record, Context))
        Status = NtContinue(Context, FALSE);
    else
        Status = NtRaiseException(Record, Context, FALSE);
    /* Only a refused context gets here: a noncontinuable exception of that status, the
     * original chained to it, for the second chance. */
    Failure.ExceptionCode = Status;
    Failure.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
    Failure.ExceptionRecord = Record;
    Failure.ExceptionAddress = Record->ExceptionAddress;
    Failure.NumberParameters = 0;
    (void)NtRaiseException(&Failure, Context, FALSE);
    for (;;)
        (void)NtTerminateProcess(NtCurrentProcess(), Status);
}
