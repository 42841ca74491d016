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

/* ke/except.c */
NTSTATUS NtContinue(PCONTEXT Context, BOOLEAN TestAlert);
NTSTATUS NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT Context,
                          BOOLEAN FirstChance);
NTSTATUS NtGetContextThread(HANDLE ThreadHandle, PCONTEXT Context);
NTSTATUS NtSetContextThread(HANDLE ThreadHandle, PCONTEXT Context);

/* dbgk/dbgkobj.c */
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
