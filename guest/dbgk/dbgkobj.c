/*
 * dbgkobj.c - debug objects, NT's user-mode debugging cut to what a process debugging its
 * own children needs. A debug object (NtCreateDebugObject) is attached to a child when it is
 * created (PvCreateProcessEx) or later (NtDebugActiveProcess). The child's start, its
 * exceptions (first chance before its own handlers, second chance when they did not take
 * it) and its exit become events in the object's queue; the child's thread stops at each
 * (except exit) until the debugger answers with NtDebugContinue: DBG_CONTINUE resumes it
 * (retrying a faulting instruction, or from a context the debugger set), DBG_EXCEPTION_NOT_
 * HANDLED sends the exception on. While stopped, the debugger reads and sets its registers
 * (NtGetContextThread, NtSetContextThread) and its memory (NtRead/WriteVirtualMemory).
 *
 * Each process has one thread, so each has at most one event out, kept in its EPROCESS; the
 * event holds a reference to the process until it is answered. The debug object's last
 * handle closing detaches every child (DBGK_KILL_PROCESS_ON_EXIT: ends them) and releases
 * the stopped ones with DBG_EXCEPTION_NOT_HANDLED.
 */
#include "ke.h"
#include "mm.h"
#include "ob.h"
#include "ps.h"
#include "rtl.h"
#include "dbgk.h"

#define DBGK_MAX_DEBUG_OBJECTS 8

typedef struct _DEBUG_OBJECT
{
    OBJECT_HEADER ObjectHeader;
    KEVENT EventsPresent;       /* notification: set while an unread event is queued */
    LIST_ENTRY EventList;       /* DBGK_EVENT.EventLink, oldest first */
    ULONG Flags;                /* DBGK_KILL_PROCESS_ON_EXIT */
} DEBUG_OBJECT, *PDEBUG_OBJECT;

static DEBUG_OBJECT DbgkpDebugObjects[DBGK_MAX_DEBUG_OBJECTS];

static PEPROCESS DbgkpEventProcess(PDBGK_EVENT Event)
{
    return CONTAINING_RECORD(Event, EPROCESS, DebugEvent);
}

static VOID DbgkpUpdateEventsPresent(PDEBUG_OBJECT Debug)
{
    PLIST_ENTRY Entry;

    for (Entry = Debug->EventList.Flink; Entry != &Debug->EventList; Entry = Entry->Flink)
        if (CONTAINING_RECORD(Entry, DBGK_EVENT, EventLink)->State == DBGK_EVENT_QUEUED)
        {
            KeSetEvent(&Debug->EventsPresent);
            return;
        }
    KeResetEvent(&Debug->EventsPresent);
}

/* Takes an event off its queue; a waiting thread is woken with ContinueStatus. */
static VOID DbgkpCompleteEvent(PDEBUG_OBJECT Debug, PDBGK_EVENT Event, NTSTATUS ContinueStatus)
{
    RemoveEntryList(&Event->EventLink);
    Event->State = DBGK_EVENT_NONE;
    DbgkpUpdateEventsPresent(Debug);
    if (!Event->NoWait)
    {
        Event->ContinueStatus = ContinueStatus;
        KeSetEvent(&Event->ContinueEvent);
    }
    ObDereferenceObject(DbgkpEventProcess(Event));
}

/* Queue the current process's event and, unless it is the exit event, wait for the reply.
 * DBG_EXCEPTION_NOT_HANDLED when the wait ended because the process is being ended. */
static NTSTATUS DbgkpSendEvent(PKTRAP_FRAME TrapFrame, BOOLEAN NoWait)
{
    PEPROCESS Process = PsGetCurrentProcess();
    PDEBUG_OBJECT Debug = Process->DebugPort;
    PDBGK_EVENT Event = &Process->DebugEvent;
    NTSTATUS Status;

    Event->StateChange.AppClientId.UniqueProcess = (HANDLE)(ULONG_PTR)Process->UniqueProcessId;
    Event->StateChange.AppClientId.UniqueThread =
        (HANDLE)(ULONG_PTR)Process->Thread.UniqueThreadId;
    Event->State = DBGK_EVENT_QUEUED;
    Event->NoWait = NoWait;
    Event->ContinueStatus = DBG_EXCEPTION_NOT_HANDLED;
    KeInitializeEvent(&Event->ContinueEvent, EventSynchronizationObject, FALSE);
    ObReferenceObject(Process);                 /* the event's, until it is answered */
    InsertTailList(&Debug->EventList, &Event->EventLink);
    KeSetEvent(&Debug->EventsPresent);
    if (NoWait)
        return DBG_CONTINUE;

    Process->DebugTrapFrame = TrapFrame;
    Process->DebugStopped = TRUE;
    Status = KeWaitForSingleObject(&Event->ContinueEvent.Header, NULL);
    Process->DebugStopped = FALSE;
    if (Status != STATUS_SUCCESS)
    {
        if (Event->State != DBGK_EVENT_NONE)    /* ended before the debugger answered */
            DbgkpCompleteEvent(Debug, Event, DBG_EXCEPTION_NOT_HANDLED);
        return DBG_EXCEPTION_NOT_HANDLED;
    }
    return Event->ContinueStatus;
}

BOOLEAN DbgkForwardException(PEXCEPTION_RECORD Record, PKTRAP_FRAME TrapFrame,
                             BOOLEAN FirstChance)
{
    PEPROCESS Process = PsGetCurrentProcess();
    PDBGUI_WAIT_STATE_CHANGE StateChange = &Process->DebugEvent.StateChange;
    NTSTATUS Status;

    if (Process->DebugPort == NULL)
        return FALSE;
    memset(StateChange, 0, sizeof(*StateChange));
    StateChange->NewState = Record->ExceptionCode == STATUS_BREAKPOINT ? DbgBreakpointStateChange
                          : Record->ExceptionCode == STATUS_SINGLE_STEP ? DbgSingleStepStateChange
                          : DbgExceptionStateChange;
    StateChange->StateInfo.Exception.ExceptionRecord = *Record;
    StateChange->StateInfo.Exception.FirstChance = FirstChance;
    Status = DbgkpSendEvent(TrapFrame, FALSE);
    return Status == DBG_CONTINUE || Status == DBG_EXCEPTION_HANDLED;
}

VOID DbgkCreateProcess(PKTRAP_FRAME TrapFrame)
{
    PEPROCESS Process = PsGetCurrentProcess();
    PDBGUI_WAIT_STATE_CHANGE StateChange = &Process->DebugEvent.StateChange;

    if (Process->DebugPort == NULL)
        return;
    memset(StateChange, 0, sizeof(*StateChange));
    StateChange->NewState = DbgCreateProcessStateChange;
    StateChange->StateInfo.CreateProcessInfo.NewProcess.BaseOfImage =
        (PVOID)(ULONG_PTR)Process->ImageBase;
    StateChange->StateInfo.CreateProcessInfo.NewProcess.InitialThread.StartAddress =
        (PVOID)(ULONG_PTR)Process->EntryPoint;
    (void)DbgkpSendEvent(TrapFrame, FALSE);
}

VOID DbgkExitProcess(NTSTATUS ExitStatus)
{
    PEPROCESS Process = PsGetCurrentProcess();
    PDEBUG_OBJECT Debug = Process->DebugPort;
    PDBGUI_WAIT_STATE_CHANGE StateChange = &Process->DebugEvent.StateChange;

    if (Debug == NULL)
        return;
    if (Process->DebugEvent.State == DBGK_EVENT_NONE)
    {
        memset(StateChange, 0, sizeof(*StateChange));
        StateChange->NewState = DbgExitProcessStateChange;
        StateChange->StateInfo.ExitProcess.ExitStatus = ExitStatus;
        (void)DbgkpSendEvent(NULL, TRUE);
    }
    Process->DebugPort = NULL;
    ObDereferenceObject(Debug);
}

VOID DbgkAttachProcess(PEPROCESS Process, PDEBUG_OBJECT DebugObject)
{
    ObReferenceObject(DebugObject);
    Process->DebugPort = DebugObject;
}

/* ----------------------------------------------------------------- the object's life */

VOID DbgkpDeleteDebugObject(PVOID Object)
{
    PDEBUG_OBJECT Debug = Object;

    if (!IsListEmpty(&Debug->EventList))
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)Object, Debug->ObjectHeader.Type, 0, 3);
    Debug->ObjectHeader.Type = 0;
}

/* The last handle went: no debugger will answer. Every child is detached (or ended, with
 * DBGK_KILL_PROCESS_ON_EXIT) and every event out is answered DBG_EXCEPTION_NOT_HANDLED. */
VOID DbgkpCloseDebugObject(PVOID Object, PEPROCESS Owner)
{
    PDEBUG_OBJECT Debug = Object;
    PLIST_ENTRY Entry;

    (void)Owner;
    if (Debug->ObjectHeader.HandleCount != 0)
        return;
    for (Entry = PsActiveProcessHead.Flink; Entry != &PsActiveProcessHead; Entry = Entry->Flink)
    {
        PEPROCESS Process = CONTAINING_RECORD(Entry, EPROCESS, ActiveProcessLinks);

        if (Process->DebugPort != Debug)
            continue;
        if (Debug->Flags & DBGK_KILL_PROCESS_ON_EXIT)
            PsTerminateProcess(Process, STATUS_DEBUGGER_INACTIVE);
        Process->DebugPort = NULL;
        ObDereferenceObject(Debug);
    }
    while (!IsListEmpty(&Debug->EventList))
        DbgkpCompleteEvent(Debug, CONTAINING_RECORD(Debug->EventList.Flink, DBGK_EVENT, EventLink),
                           DBG_EXCEPTION_NOT_HANDLED);
}

/* ----------------------------------------------------------------------------- services */

/*
 * NTSTATUS NtCreateDebugObject(PHANDLE DebugObjectHandle, ACCESS_MASK DesiredAccess,
 * POBJECT_ATTRIBUTES ObjectAttributes, ULONG Flags) - service 0x0024. The handle grants
 * DesiredAccess (DEBUG_OBJECT_*). Flags: DBGK_KILL_PROCESS_ON_EXIT or 0
 * (STATUS_INVALID_PARAMETER otherwise). ObjectAttributes is ignored (no names).
 */
NTSTATUS NtCreateDebugObject(PHANDLE DebugObjectHandle, ULONG DesiredAccess,
                             PVOID ObjectAttributes, ULONG Flags)
{
    PDEBUG_OBJECT Debug = NULL;
    ULONG i;
    NTSTATUS Status;

    (void)ObjectAttributes;
    if (DebugObjectHandle == NULL)
        return STATUS_INVALID_PARAMETER_1;
    if (Flags & ~(ULONG)DBGK_KILL_PROCESS_ON_EXIT)
        return STATUS_INVALID_PARAMETER;
    Status = ObCheckHandleForUser(DebugObjectHandle);
    if (!NT_SUCCESS(Status))
        return Status;
    for (i = 0; i < DBGK_MAX_DEBUG_OBJECTS && Debug == NULL; i++)
        if (DbgkpDebugObjects[i].ObjectHeader.Type == 0)
            Debug = &DbgkpDebugObjects[i];
    if (Debug == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ObInitializeObject(Debug, ObDebugObjectType);
    KeInitializeEvent(&Debug->EventsPresent, EventNotificationObject, FALSE);
    InitializeListHead(&Debug->EventList);
    Debug->Flags = Flags;
    Status = ObInsertHandleForUserEx(Debug, 0, DesiredAccess & DEBUG_OBJECT_ALL_ACCESS,
                                     DebugObjectHandle);
    ObDereferenceObject(Debug);     /* the creator's: the handle holds it now (or it goes) */
    return Status;
}

NTSTATUS DbgkReferenceDebugObject(HANDLE Handle, ULONG Access, PDEBUG_OBJECT *Debug)
{
    return ObReferenceObjectByHandleAccess(Handle, ObDebugObjectType, Access, (PVOID *)Debug);
}

/*
 * NTSTATUS NtWaitForDebugEvent(HANDLE DebugObjectHandle, BOOLEAN Alertable,
 * PLARGE_INTEGER Timeout, PDBGUI_WAIT_STATE_CHANGE StateChange) - service 0x0025.
 * DEBUG_OBJECT_WAIT_STATE_CHANGE. The oldest unread event, or a wait for one: STATUS_SUCCESS
 * with *StateChange, STATUS_TIMEOUT. An event that cannot be written to StateChange stays
 * unread.
 */
NTSTATUS NtWaitForDebugEvent(HANDLE DebugObjectHandle, BOOLEAN Alertable,
                             PLARGE_INTEGER Timeout, PDBGUI_WAIT_STATE_CHANGE StateChange)
{
    PDEBUG_OBJECT Debug;
    PLIST_ENTRY Entry;
    PDBGK_EVENT Event;
    LONGLONG Interval;
    ULONG Ticks = 0;
    NTSTATUS Status;

    (void)Alertable;    /* no APCs */
    Status = ProbeForWrite(StateChange, sizeof(*StateChange), 4);
    if (NT_SUCCESS(Status) && Timeout != NULL)
    {
        Status = MmCopyFromUser(&Interval, Timeout, sizeof(Interval));
        Ticks = KiTimeoutToTicks(Interval);
    }
    if (!NT_SUCCESS(Status))
        return Status;
    Status = DbgkReferenceDebugObject(DebugObjectHandle, DEBUG_OBJECT_WAIT_STATE_CHANGE, &Debug);
    if (!NT_SUCCESS(Status))
        return Status;
    for (;;)
    {
        Event = NULL;
        for (Entry = Debug->EventList.Flink; Entry != &Debug->EventList && Event == NULL;
             Entry = Entry->Flink)
            if (CONTAINING_RECORD(Entry, DBGK_EVENT, EventLink)->State == DBGK_EVENT_QUEUED)
                Event = CONTAINING_RECORD(Entry, DBGK_EVENT, EventLink);
        if (Event != NULL)
        {
            Status = MmCopyToUser(StateChange, &Event->StateChange, sizeof(*StateChange));
            if (NT_SUCCESS(Status))
            {
                Event->State = DBGK_EVENT_READ;
                DbgkpUpdateEventsPresent(Debug);
            }
            break;
        }
        Status = KeWaitForSingleObject(&Debug->EventsPresent.Header,
                                       Timeout != NULL ? &Ticks : NULL);
        if (Status != STATUS_SUCCESS)
            break;
    }
    ObDereferenceObject(Debug);
    return Status;
}

/*
 * NTSTATUS NtDebugContinue(HANDLE DebugObjectHandle, PCLIENT_ID ClientId,
 * NTSTATUS ContinueStatus) - service 0x0026. DEBUG_OBJECT_WAIT_STATE_CHANGE. Answers the event
 * already read for that process and thread: DBG_CONTINUE or DBG_EXCEPTION_HANDLED (resume),
 * DBG_EXCEPTION_NOT_HANDLED (the exception goes on), DBG_TERMINATE_PROCESS or
 * DBG_TERMINATE_THREAD (the child ends, with that status). STATUS_INVALID_PARAMETER for
 * another status or no such event.
 */
NTSTATUS NtDebugContinue(HANDLE DebugObjectHandle, PCLIENT_ID ClientId, NTSTATUS ContinueStatus)
{
    PDEBUG_OBJECT Debug;
    PLIST_ENTRY Entry;
    PDBGK_EVENT Event = NULL;
    CLIENT_ID Client;
    NTSTATUS Status;

    if (ContinueStatus != DBG_CONTINUE && ContinueStatus != DBG_EXCEPTION_HANDLED &&
        ContinueStatus != DBG_EXCEPTION_NOT_HANDLED && ContinueStatus != DBG_TERMINATE_THREAD &&
        ContinueStatus != DBG_TERMINATE_PROCESS)
        return STATUS_INVALID_PARAMETER;
    Status = MmCopyFromUser(&Client, ClientId, sizeof(Client));
    if (!NT_SUCCESS(Status))
        return Status;
    Status = DbgkReferenceDebugObject(DebugObjectHandle, DEBUG_OBJECT_WAIT_STATE_CHANGE, &Debug);
    if (!NT_SUCCESS(Status))
        return Status;
    for (Entry = Debug->EventList.Flink; Entry != &Debug->EventList && Event == NULL;
         Entry = Entry->Flink)
    {
        PDBGK_EVENT Candidate = CONTAINING_RECORD(Entry, DBGK_EVENT, EventLink);

        if (Candidate->State == DBGK_EVENT_READ &&
            Candidate->StateChange.AppClientId.UniqueProcess == Client.UniqueProcess &&
            Candidate->StateChange.AppClientId.UniqueThread == Client.UniqueThread)
            Event = Candidate;
    }
    if (Event == NULL)
        Status = STATUS_INVALID_PARAMETER;
    else
    {
        if (ContinueStatus == DBG_TERMINATE_PROCESS || ContinueStatus == DBG_TERMINATE_THREAD)
            PsTerminateProcess(DbgkpEventProcess(Event), ContinueStatus);
        DbgkpCompleteEvent(Debug, Event, ContinueStatus);
    }
    ObDereferenceObject(Debug);
    return Status;
}

/*
 * NTSTATUS NtDebugActiveProcess(HANDLE ProcessHandle, HANDLE DebugObjectHandle) - service
 * 0x0027. Attaches a running child (not the caller: STATUS_ACCESS_DENIED, as for a process
 * that is not its child) to the debug object (DEBUG_OBJECT_ADD_REMOVE_PROCESS); its next
 * exception is the first event (no made-up start events). STATUS_PORT_ALREADY_SET if it
 * has a debugger.
 */
NTSTATUS NtDebugActiveProcess(HANDLE ProcessHandle, HANDLE DebugObjectHandle)
{
    PEPROCESS Process, Current = PsGetCurrentProcess();
    PDEBUG_OBJECT Debug;
    NTSTATUS Status = ObReferenceObjectByHandle(ProcessHandle, ObProcessType, (PVOID *)&Process);

    if (!NT_SUCCESS(Status))
        return Status;
    Status = DbgkReferenceDebugObject(DebugObjectHandle, DEBUG_OBJECT_ADD_REMOVE_PROCESS, &Debug);
    if (NT_SUCCESS(Status))
    {
        if (Process == Current || Process->InheritedFromUniqueProcessId != Current->UniqueProcessId)
            Status = STATUS_ACCESS_DENIED;
        else if (Process->Exited || Process->TerminationRequested || !Process->AddressSpaceCreated)
            Status = STATUS_PROCESS_IS_TERMINATING;
        else if (Process->DebugPort != NULL)
            Status = STATUS_PORT_ALREADY_SET;
        else
            DbgkAttachProcess(Process, Debug);
        ObDereferenceObject(Debug);
    }
    ObDereferenceObject(Process);
    return Status;
}
