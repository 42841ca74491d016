/*
 * dbgk.h - exceptions dispatched to user mode (ke/except.c), thread contexts, and debug
 * objects (dbgk/): a debugger process receives its debugged children's exceptions as debug
 * events, inspects and changes them, and lets them go on.
 */
#ifndef PV_DBGK_H
#define PV_DBGK_H

#include "ntdef.h"
#include "ntexcept.h"
#include "ke.h"

/* ke/context.c: CONTEXT and EXCEPTION_RECORD marshalling (pure; unit-tested on the host) */
#define KI_CONTEXT_LENGTH           0x2CCu   /* sizeof(CONTEXT) */
#define KI_EXCEPTION_RECORD_HEADER  0x14u    /* EXCEPTION_RECORD up to ExceptionInformation */

/* Where KiDispatchException puts the record and the context on the user stack (NT's
 * layout): the CONTEXT right below the old ESP, the record (cut to its parameters) below it,
 * then the two pointers KiUserExceptionDispatcher finds at [esp] and [esp+4]. */
typedef struct _KI_USER_EXCEPTION_FRAME
{
    ULONG ContextAddress, RecordAddress, NewEsp;
} KI_USER_EXCEPTION_FRAME, *PKI_USER_EXCEPTION_FRAME;

ULONG KiSanitizeUserEFlags(ULONG EFlags);
/* The trap frame's registers into the parts of Context its ContextFlags ask for. */
VOID KiTrapFrameToContext(const KTRAP_FRAME *TrapFrame, PCONTEXT Context);
/* A user CONTEXT into a trap frame that returns to ring 3, sanitized (selectors, EFLAGS);
 * STATUS_INVALID_PARAMETER for ContextFlags that are not i386's (nothing changed then). */
NTSTATUS KiContextToTrapFrame(const CONTEXT *Context, PKTRAP_FRAME TrapFrame);
VOID KiSanitizeExtendedRegisters(PUCHAR FxsaveImage, ULONG MxcsrMask);
/* NT's record for a fault: Access is MI_ACCESS_*; IoStatus for an in-page error. */
VOID KiBuildExceptionRecord(PEXCEPTION_RECORD Record, NTSTATUS Code, ULONG Eip, ULONG Address,
                            ULONG Access, NTSTATUS IoStatus);
ULONG KiExceptionInformationToAccess(ULONG Information);
ULONG KiExceptionRecordLength(const EXCEPTION_RECORD *Record);
/* FALSE when the stack cannot hold the frame (ESP too low, or wrapping). */
BOOLEAN KiLayOutUserExceptionFrame(ULONG Esp, ULONG RecordLength,
                                   PKI_USER_EXCEPTION_FRAME Frame);

/* ke/except.c */
/* An exception raised in ring 3 (TrapFrame is its frame): to a debugger, then to the process's
 * own handlers (KiUserExceptionDispatcher), and on the second chance the end of the process.
 * Returns when the thread is to resume through TrapFrame. */
VOID KiDispatchException(PEXCEPTION_RECORD Record, PKTRAP_FRAME TrapFrame, BOOLEAN FirstChance);
/* An exception of a trap from ring 3 (a page fault's Status/Address/Access, or another
 * vector's NT status), dispatched. */
VOID KiRaiseUserException(NTSTATUS Status, ULONG Address, ULONG Access, PKTRAP_FRAME TrapFrame);
/* The address of ntdll's KiUserExceptionDispatcher (ldr/sysdll.c), 0 without the DLL. */
ULONG LdrSystemDllExport(PCSTR Name);
NTSTATUS NtContinue(PCONTEXT Context, BOOLEAN TestAlert);
NTSTATUS NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT Context,
                          BOOLEAN FirstChance);
NTSTATUS NtGetContextThread(HANDLE ThreadHandle, PCONTEXT Context);
NTSTATUS NtSetContextThread(HANDLE ThreadHandle, PCONTEXT Context);

/* dbgk/dbgkobj.c */
/* A debugged process's event: one at a time (its only thread waits for the debugger while
 * one is out; the exit event is the exception, nobody waits for it). Kept in the EPROCESS. */
typedef struct _DBGK_EVENT
{
    LIST_ENTRY EventLink;               /* in the debug object's EventList while queued */
    ULONG State;                        /* DBGK_EVENT_* */
    BOOLEAN NoWait;                     /* the exit event: nobody waits for the reply */
    DBGUI_WAIT_STATE_CHANGE StateChange;
    KEVENT ContinueEvent;               /* set by NtDebugContinue */
    NTSTATUS ContinueStatus;
} DBGK_EVENT, *PDBGK_EVENT;
#define DBGK_EVENT_NONE   0
#define DBGK_EVENT_QUEUED 1             /* not read yet */
#define DBGK_EVENT_READ   2             /* read; waits for NtDebugContinue */

struct _DEBUG_OBJECT;
struct _EPROCESS;
/* The current process's debugger gets the exception; TRUE if it handled it (DBG_CONTINUE,
 * DBG_EXCEPTION_HANDLED: resume through TrapFrame, which it may have changed). */
BOOLEAN DbgkForwardException(PEXCEPTION_RECORD Record, PKTRAP_FRAME TrapFrame,
                             BOOLEAN FirstChance);
/* The current process's first run (before ring 3) and its exit, told to its debugger. */
VOID DbgkCreateProcess(PKTRAP_FRAME TrapFrame);
VOID DbgkExitProcess(NTSTATUS ExitStatus);
/* Attach Process to DebugObject (referenced for it). */
VOID DbgkAttachProcess(struct _EPROCESS *Process, struct _DEBUG_OBJECT *DebugObject);
NTSTATUS DbgkReferenceDebugObject(HANDLE Handle, ULONG Access, struct _DEBUG_OBJECT **Debug);
NTSTATUS NtCreateDebugObject(PHANDLE DebugObjectHandle, ULONG DesiredAccess,
                             PVOID ObjectAttributes, ULONG Flags);
NTSTATUS NtWaitForDebugEvent(HANDLE DebugObjectHandle, BOOLEAN Alertable,
                             PLARGE_INTEGER Timeout, PDBGUI_WAIT_STATE_CHANGE StateChange);
NTSTATUS NtDebugContinue(HANDLE DebugObjectHandle, PCLIENT_ID ClientId,
                         NTSTATUS ContinueStatus);
NTSTATUS NtDebugActiveProcess(HANDLE ProcessHandle, HANDLE DebugObjectHandle);
VOID DbgkpDeleteDebugObject(PVOID Object);
VOID DbgkpCloseDebugObject(PVOID Object, struct _EPROCESS *Process);

/* ps/create.c */
NTSTATUS PvCreateProcessEx(PCSTR ImageName, PCSTR Arguments, HANDLE DebugObjectHandle,
                           PHANDLE ProcessHandle, PHANDLE ThreadHandle);

#endif /* PV_DBGK_H */
