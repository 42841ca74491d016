/*
 * syncobj.c - the semaphore and event objects user mode gets handles to: NtCreateSemaphore,
 * NtOpenSemaphore, NtReleaseSemaphore, NtCreateEvent, NtOpenEvent, NtSetEvent, NtResetEvent,
 * and NtWaitForSingleObject, NtDelayExecution and NtYieldExecution over the kernel's waits
 * (ke/wait.c). Objects come from a fixed pool; named ones can be opened by another process.
 */
#include "ke.h"
#include "mm.h"
#include "ob.h"
#include "ps.h"
#include "rtl.h"

#define EX_MAX_SYNC_OBJECTS 64
#define NotificationEvent   0   /* NT's EVENT_TYPE */
#define SynchronizationEvent 1

typedef struct _EX_SYNC_OBJECT
{
    OBJECT_HEADER ObjectHeader;
    union
    {
        DISPATCHER_HEADER Header;
        KSEMAPHORE Semaphore;
        KEVENT Event;
    } u;
} EX_SYNC_OBJECT, *PEX_SYNC_OBJECT;

_Static_assert(offsetof(EX_SYNC_OBJECT, u) == sizeof(OBJECT_HEADER),
               "ObTypes[] takes the dispatcher header right after the object header");

static EX_SYNC_OBJECT ExpSyncObjects[EX_MAX_SYNC_OBJECTS];

VOID ExpDeleteSyncObject(PVOID Object)
{
    PEX_SYNC_OBJECT Sync = Object;

    if (!IsListEmpty(&Sync->u.Header.WaitListHead))
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)Object, Sync->ObjectHeader.Type, 0, 1);
    Sync->ObjectHeader.Type = 0;
}

/* The fields an object starts with get filled in before the caller initializes the rest. */
static NTSTATUS ExpCreateSyncObject(PHANDLE UserHandle, PVOID UserAttributes, OB_TYPE_INDEX Type,
                                    PEX_SYNC_OBJECT *Created, OB_CAPTURED_NAME *Name)
{
    ULONG Index;
    NTSTATUS Status;

    *Created = NULL;
    if (UserHandle == NULL)
        return STATUS_INVALID_PARAMETER_1;
    Status = ProbeForWrite(UserHandle, sizeof(*UserHandle), 1);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObCaptureObjectAttributes(UserAttributes, Name);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObOpenIfExists(Name, Type, UserHandle);
    if (Status != STATUS_SUCCESS)
        return Status;
    for (Index = 0; Index < EX_MAX_SYNC_OBJECTS && ExpSyncObjects[Index].ObjectHeader.Type; Index++)
        ;
    if (Index == EX_MAX_SYNC_OBJECTS)
        return STATUS_INSUFFICIENT_RESOURCES;
    *Created = &ExpSyncObjects[Index];
    ObInitializeObject(*Created, Type);
    return STATUS_SUCCESS;
}

NTSTATUS NtCreateSemaphore(PHANDLE SemaphoreHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                           LONG InitialCount, LONG MaximumCount)
{
    OB_CAPTURED_NAME Name;
    PEX_SYNC_OBJECT Object;
    NTSTATUS Status;

    (void)DesiredAccess;
    if (MaximumCount <= 0)
        return STATUS_INVALID_PARAMETER_5;
    if (InitialCount < 0 || InitialCount > MaximumCount)
        return STATUS_INVALID_PARAMETER_4;
    Status = ExpCreateSyncObject(SemaphoreHandle, ObjectAttributes, ObSemaphoreType, &Object,
                                 &Name);
    if (Object == NULL)
        return Status;
    KeInitializeSemaphore(&Object->u.Semaphore, InitialCount, MaximumCount);
    return ObInsertObject(Object, &Name, SemaphoreHandle);
}

NTSTATUS NtOpenSemaphore(PHANDLE SemaphoreHandle, ULONG DesiredAccess, PVOID ObjectAttributes)
{
    (void)DesiredAccess;
    return ObOpenObjectByName(ObjectAttributes, ObSemaphoreType, SemaphoreHandle);
}

NTSTATUS NtReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount, PLONG PreviousCount)
{
    PEX_SYNC_OBJECT Object;
    LONG Previous;
    KIRQL OldIrql;
    NTSTATUS Status;

    if (ReleaseCount <= 0)
        return STATUS_INVALID_PARAMETER_2;
    /* The result's place first: a release the caller cannot be told of is not made. */
    if (PreviousCount != NULL)
    {
        Status = ProbeForWrite(PreviousCount, sizeof(*PreviousCount), 1);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    Status = ObReferenceObjectByHandle(SemaphoreHandle, ObSemaphoreType, (PVOID *)&Object);
    if (!NT_SUCCESS(Status))
        return Status;
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    Status = KeReleaseSemaphore(&Object->u.Semaphore, ReleaseCount, &Previous);
    KeLowerIrql(OldIrql);
    ObDereferenceObject(Object);
    /* Probed above: only an in-page error of that page could fail the copy now, and the
     * release stands (NT likewise ignores a fault on this write-back). */
    if (NT_SUCCESS(Status) && PreviousCount != NULL)
        (void)MmCopyToUser(PreviousCount, &Previous, sizeof(Previous));
    return Status;
}

NTSTATUS NtCreateEvent(PHANDLE EventHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                       ULONG EventType, BOOLEAN InitialState)
{
    OB_CAPTURED_NAME Name;
    PEX_SYNC_OBJECT Object;
    NTSTATUS Status;

    (void)DesiredAccess;
    if (EventType != NotificationEvent && EventType != SynchronizationEvent)
        return STATUS_INVALID_PARAMETER_4;
    Status = ExpCreateSyncObject(EventHandle, ObjectAttributes, ObEventType, &Object, &Name);
    if (Object == NULL)
        return Status;
    KeInitializeEvent(&Object->u.Event, EventType == NotificationEvent ?
                      EventNotificationObject : EventSynchronizationObject, InitialState != 0);
    return ObInsertObject(Object, &Name, EventHandle);
}

NTSTATUS NtOpenEvent(PHANDLE EventHandle, ULONG DesiredAccess, PVOID ObjectAttributes)
{
    (void)DesiredAccess;
    return ObOpenObjectByName(ObjectAttributes, ObEventType, EventHandle);
}

static NTSTATUS ExpChangeEvent(HANDLE EventHandle, PLONG PreviousState, BOOLEAN Set)
{
    PEX_SYNC_OBJECT Object;
    LONG Previous;
    KIRQL OldIrql;
    NTSTATUS Status;

    if (PreviousState != NULL)
    {
        Status = ProbeForWrite(PreviousState, sizeof(*PreviousState), 1);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    Status = ObReferenceObjectByHandle(EventHandle, ObEventType, (PVOID *)&Object);
    if (!NT_SUCCESS(Status))
        return Status;
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    Previous = Set ? KeSetEvent(&Object->u.Event) : KeResetEvent(&Object->u.Event);
    KeLowerIrql(OldIrql);
    ObDereferenceObject(Object);
    if (PreviousState != NULL)
        (void)MmCopyToUser(PreviousState, &Previous, sizeof(Previous));   /* probed above */
    return Status;
}

NTSTATUS NtSetEvent(HANDLE EventHandle, PLONG PreviousState)
{
    return ExpChangeEvent(EventHandle, PreviousState, TRUE);
}

NTSTATUS NtResetEvent(HANDLE EventHandle, PLONG PreviousState)
{
    return ExpChangeEvent(EventHandle, PreviousState, FALSE);
}

/* NULL: forever. Otherwise an NT timeout (100 ns units, negative = relative). */
static NTSTATUS ExpCaptureTimeout(PLARGE_INTEGER UserTimeout, PULONG Ticks, BOOLEAN *Forever)
{
    LONGLONG Timeout;
    NTSTATUS Status;

    *Forever = UserTimeout == NULL;
    if (*Forever)
        return STATUS_SUCCESS;
    Status = MmCopyFromUser(&Timeout, UserTimeout, sizeof(Timeout));
    if (NT_SUCCESS(Status))
        *Ticks = KiTimeoutToTicks(Timeout);
    return Status;
}

NTSTATUS NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    PDISPATCHER_HEADER Dispatcher;
    PVOID Object;
    ULONG Ticks = 0;
    BOOLEAN Forever;
    NTSTATUS Status;

    (void)Alertable;   /* no APCs: an alertable wait is an ordinary one */
    Status = ExpCaptureTimeout(Timeout, &Ticks, &Forever);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(Handle, 0, &Object);
    if (!NT_SUCCESS(Status))
        return Status;
    Dispatcher = ObGetDispatcherObject(Object);
    if (Dispatcher == NULL)
        Status = STATUS_OBJECT_TYPE_MISMATCH;
    else
        Status = KeWaitForSingleObject(Dispatcher, Forever ? NULL : &Ticks);
    ObDereferenceObject(Object);
    return Status;
}

NTSTATUS NtDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval)
{
    ULONG Ticks = 0;
    BOOLEAN Forever;
    NTSTATUS Status;

    (void)Alertable;
    if (DelayInterval == NULL)
        return STATUS_ACCESS_VIOLATION;
    Status = ExpCaptureTimeout(DelayInterval, &Ticks, &Forever);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Ticks == 0)
    {
        KeYieldExecution();
        return STATUS_SUCCESS;
    }
    return KeDelayExecutionThread(Ticks);
}

NTSTATUS NtYieldExecution(VOID)
{
    KeYieldExecution();
    return STATUS_SUCCESS;
}
