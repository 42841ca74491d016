/*
 * obhandle.c - object headers, reference counts and handle tables. A handle is an index into
 * the process's table (4, 8, ...; NtCurrentProcess() is the pseudo-handle -1); each handle
 * holds a reference, and the kernel takes its own while it uses an object, so an object
 * outlives every handle and every use. Its name leaves the namespace with its last handle (a
 * view can keep a section alive, not findable); the last reference gone, the type's delete
 * procedure frees it (a section's pages, a process's slot).
 */
#include "ob.h"
#include "ps.h"
#include "mm.h"
#include "rtl.h"
#include "io.h"
#include "dbgk.h"

extern VOID MiDeleteSectionObject(PVOID Object);
extern VOID ExpDeleteSyncObject(PVOID Object);

const OBJECT_TYPE_INFO ObTypes[ObMaximumType] = {
    [ObProcessType] = { "Process", (LONG)offsetof(EPROCESS, Pcb.Header), PspDeleteProcess, NULL },
    [ObSectionType] = { "Section", -1, MiDeleteSectionObject, NULL },
    [ObSemaphoreType] = { "Semaphore", (LONG)sizeof(OBJECT_HEADER), ExpDeleteSyncObject, NULL },
    [ObEventType] = { "Event", (LONG)sizeof(OBJECT_HEADER), ExpDeleteSyncObject, NULL },
    [ObFileType] = { "File", -1, IopDeleteFile, NULL },
    [ObDebugObjectType] = { "DebugObject", -1, DbgkpDeleteDebugObject, DbgkpCloseDebugObject },
    [ObThreadType] = { "Thread", -1, NULL, NULL },   /* never an object's own type */
};

VOID ObInitializeObject(PVOID Object, OB_TYPE_INDEX Type)
{
    POBJECT_HEADER Header = Object;

    Header->Type = (UCHAR)Type;
    Header->PointerCount = 1;   /* the creator's */
    Header->HandleCount = 0;
    Header->NameLength = 0;
    InitializeListHead(&Header->NameLink);
}

VOID ObReferenceObject(PVOID Object)
{
    ((POBJECT_HEADER)Object)->PointerCount++;
}

VOID ObDereferenceObject(PVOID Object)
{
    POBJECT_HEADER Header = Object;

    if (Header->PointerCount <= 0 || Header->Type == 0 || Header->Type >= ObMaximumType)
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)Object, Header->Type,
                     (ULONG)Header->PointerCount, 0);
    if (--Header->PointerCount != 0)
        return;
    if (Header->NameLength != 0)
    {
        RemoveEntryList(&Header->NameLink);
        Header->NameLength = 0;
    }
    ObTypes[Header->Type].DeleteProcedure(Object);
}

PDISPATCHER_HEADER ObGetDispatcherObject(PVOID Object)
{
    LONG Offset = ObTypes[((POBJECT_HEADER)Object)->Type].DispatcherOffset;

    return Offset < 0 ? NULL : (PDISPATCHER_HEADER)((PCHAR)Object + Offset);
}

NTSTATUS ObInsertHandle(PVOID Object, PHANDLE Handle)
{
    return ObInsertHandleEx(Object, 0, OB_ALL_ACCESS, Handle);
}

NTSTATUS ObInsertHandleEx(PVOID Object, OB_TYPE_INDEX HandleType, ULONG GrantedAccess,
                          PHANDLE Handle)
{
    PEPROCESS Process = PsGetCurrentProcess();
    ULONG Slot;

    for (Slot = 0; Slot < PS_MAX_HANDLES && Process->HandleTable[Slot] != NULL; Slot++)
        ;
    if (Slot == PS_MAX_HANDLES)
        return STATUS_INSUFFICIENT_RESOURCES;
    Process->HandleTable[Slot] = Object;
    Process->HandleAccess[Slot] = GrantedAccess;
    Process->HandleType[Slot] = (UCHAR)HandleType;
    ((POBJECT_HEADER)Object)->HandleCount++;
    ObReferenceObject(Object);
    *Handle = (HANDLE)(ULONG_PTR)((Slot + 1) * 4);
    return STATUS_SUCCESS;
}

NTSTATUS ObCheckHandleForUser(PHANDLE UserHandle)
{
    PEPROCESS Process = PsGetCurrentProcess();
    NTSTATUS Status = ProbeForWrite(UserHandle, sizeof(*UserHandle), 1);
    ULONG Slot;

    if (!NT_SUCCESS(Status))
        return Status;
    for (Slot = 0; Slot < PS_MAX_HANDLES && Process->HandleTable[Slot] != NULL; Slot++)
        ;
    return Slot == PS_MAX_HANDLES ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS;
}

NTSTATUS ObInsertHandleForUser(PVOID Object, PHANDLE UserHandle)
{
    return ObInsertHandleForUserEx(Object, 0, OB_ALL_ACCESS, UserHandle);
}

NTSTATUS ObInsertHandleForUserEx(PVOID Object, OB_TYPE_INDEX HandleType, ULONG GrantedAccess,
                                 PHANDLE UserHandle)
{
    HANDLE Handle;
    NTSTATUS Status = ObInsertHandleEx(Object, HandleType, GrantedAccess, &Handle);

    if (!NT_SUCCESS(Status))
        return Status;
    Status = MmCopyToUser(UserHandle, &Handle, sizeof(Handle));
    if (!NT_SUCCESS(Status))
        (void)ObCloseHandle(Handle);
    return Status;
}

static POBJECT_HEADER *ObpHandleSlot(PEPROCESS Process, HANDLE Handle)
{
    ULONG Value = (ULONG)(ULONG_PTR)Handle, Index = Value / 4 - 1;

    if (Value == 0 || (Value & 3) != 0 || Index >= PS_MAX_HANDLES ||
        Process->HandleTable[Index] == NULL)
        return NULL;
    return &Process->HandleTable[Index];
}

NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, OB_TYPE_INDEX Type, PVOID *Object)
{
    return ObReferenceObjectByHandleAccess(Handle, Type, 0, Object);
}

NTSTATUS ObReferenceObjectByHandleAccess(HANDLE Handle, OB_TYPE_INDEX Type, ULONG DesiredAccess,
                                         PVOID *Object)
{
    PEPROCESS Process = PsGetCurrentProcess();
    POBJECT_HEADER *Slot;
    ULONG Index, SlotType;

    /* NtCurrentThread() names a thread only where one is asked for. */
    if (Handle == NtCurrentProcess() || (Handle == NtCurrentThread() && Type == ObThreadType))
    {
        if (Handle == NtCurrentProcess() && Type != 0 && Type != ObProcessType)
            return STATUS_OBJECT_TYPE_MISMATCH;
        ObReferenceObject(Process);
        *Object = Process;
        return STATUS_SUCCESS;
    }
    Slot = ObpHandleSlot(Process, Handle);
    if (Slot == NULL)
        return STATUS_INVALID_HANDLE;
    Index = (ULONG)(Slot - Process->HandleTable);
    SlotType = Process->HandleType[Index] != 0 ? Process->HandleType[Index] : (*Slot)->Type;
    if (Type != 0 && SlotType != (ULONG)Type)
        return STATUS_OBJECT_TYPE_MISMATCH;
    if ((Process->HandleAccess[Index] & DesiredAccess) != DesiredAccess)
        return STATUS_ACCESS_DENIED;
    ObReferenceObject(*Slot);
    *Object = *Slot;
    return STATUS_SUCCESS;
}

static VOID ObpCloseSlot(PEPROCESS Process, POBJECT_HEADER *Slot)
{
    POBJECT_HEADER Header = *Slot;
    ULONG Index = (ULONG)(Slot - Process->HandleTable);

    *Slot = NULL;
    Process->HandleAccess[Index] = 0;
    Process->HandleType[Index] = 0;
    /* As in NT, a name lasts while handles do: views may keep a section, not its name. */
    if (--Header->HandleCount == 0 && Header->NameLength != 0)
    {
        RemoveEntryList(&Header->NameLink);
        Header->NameLength = 0;
    }
    if (ObTypes[Header->Type].CloseProcedure != NULL)
        ObTypes[Header->Type].CloseProcedure(Header, Process);
    ObDereferenceObject(Header);
}

NTSTATUS ObCloseHandle(HANDLE Handle)
{
    PEPROCESS Process = PsGetCurrentProcess();
    POBJECT_HEADER *Slot = ObpHandleSlot(Process, Handle);

    if (Slot == NULL)
        return STATUS_INVALID_HANDLE;
    ObpCloseSlot(Process, Slot);
    return STATUS_SUCCESS;
}

/* NTSTATUS NtClose(HANDLE Handle) - service 0x0008: any handle. */
NTSTATUS NtClose(HANDLE Handle)
{
    return ObCloseHandle(Handle);
}

VOID ObKillProcess(PEPROCESS Process)
{
    ULONG Index;

    for (Index = 0; Index < PS_MAX_HANDLES; Index++)
        if (Process->HandleTable[Index] != NULL)
            ObpCloseSlot(Process, &Process->HandleTable[Index]);
}

ULONG ObHandleCount(PEPROCESS Process)
{
    ULONG Index, Count = 0;

    for (Index = 0; Index < PS_MAX_HANDLES; Index++)
        Count += Process->HandleTable[Index] != NULL;
    return Count;
}
