/*
 * dbgkobj.c - debug objects. (Being written: not implemented yet.)
 */
#include "ke.h"
#include "ps.h"
#include "dbgk.h"

NTSTATUS NtCreateDebugObject(PHANDLE DebugObjectHandle, ULONG DesiredAccess,
                             PVOID ObjectAttributes, ULONG Flags)
{
    (void)DebugObjectHandle; (void)DesiredAccess; (void)ObjectAttributes; (void)Flags;
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NtWaitForDebugEvent(HANDLE DebugObjectHandle, BOOLEAN Alertable,
                             PLARGE_INTEGER Timeout, PDBGUI_WAIT_STATE_CHANGE StateChange)
{
    (void)DebugObjectHandle; (void)Alertable; (void)Timeout; (void)StateChange;
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NtDebugContinue(HANDLE DebugObjectHandle, PCLIENT_ID ClientId, NTSTATUS ContinueStatus)
{
    (void)DebugObjectHandle; (void)ClientId; (void)ContinueStatus;
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NtDebugActiveProcess(HANDLE ProcessHandle, HANDLE DebugObjectHandle)
{
    (void)ProcessHandle; (void)DebugObjectHandle;
    return STATUS_NOT_IMPLEMENTED;
}

VOID DbgkpDeleteDebugObject(PVOID Object)
{
    (void)Object;
}

VOID DbgkpCloseDebugObject(PVOID Object, struct _EPROCESS *Process)
{
    (void)Object; (void)Process;
}
