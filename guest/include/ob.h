/*
 * ob.h - the object manager: a header at the start of every object that handles can name
 * (processes, sections, semaphores, events), per-process handle tables, reference counts,
 * and one flat namespace for named objects (as if every name were in \BaseNamedObjects).
 * Each type keeps its objects in its own pool; the object manager only counts and names them
 * and calls the type's delete procedure when the last reference goes.
 */
#ifndef PV_OB_H
#define PV_OB_H

#include "ntdef.h"
#include "ke.h"
#include "ntobapi.h"

#define OB_MAX_NAME          64      /* WCHARs */

typedef enum _OB_TYPE_INDEX
{
    ObProcessType = 1,
    ObSectionType,
    ObSemaphoreType,
    ObEventType,
    ObFileType,
    ObDebugObjectType,
    /* A handle to a process's only thread: the slot holds the process object, its type says
     * "thread" (ObReferenceObjectByHandle with ObThreadType returns the process). */
    ObThreadType,
    ObMaximumType
} OB_TYPE_INDEX;

typedef struct _OBJECT_HEADER
{
    UCHAR Type;                 /* OB_TYPE_INDEX; 0 = not an object (free pool entry) */
    LONG PointerCount;          /* handles plus the kernel's own references */
    LONG HandleCount;
    LIST_ENTRY NameLink;        /* in the namespace while named and alive */
    USHORT NameLength;          /* WCHARs; 0 = unnamed */
    WCHAR Name[OB_MAX_NAME];
} OBJECT_HEADER, *POBJECT_HEADER;

typedef struct _OBJECT_TYPE_INFO
{
    PCSTR Name;
    LONG DispatcherOffset;      /* of the object's DISPATCHER_HEADER, -1 if not waitable */
    VOID (*DeleteProcedure)(PVOID Object);   /* the last reference went */
    VOID (*CloseProcedure)(PVOID Object, struct _EPROCESS *Process);   /* a handle went */
} OBJECT_TYPE_INFO;

/* A name captured from user mode. */
typedef struct _OB_CAPTURED_NAME
{
    USHORT Length;              /* WCHARs; 0 = no name */
    ULONG Attributes;
    WCHAR Name[OB_MAX_NAME];
} OB_CAPTURED_NAME, *POB_CAPTURED_NAME;

extern const OBJECT_TYPE_INFO ObTypes[ObMaximumType];

VOID ObInitializeObject(PVOID Object, OB_TYPE_INDEX Type);
VOID ObReferenceObject(PVOID Object);
VOID ObDereferenceObject(PVOID Object);
#define OB_ALL_ACCESS 0xFFFFFFFFu

/* A new handle to Object in the current process (a reference taken for it), with every
 * access right. */
NTSTATUS ObInsertHandle(PVOID Object, PHANDLE Handle);
/* The same with the rights granted (checked by ObReferenceObjectByHandleAccess) and the type
 * the handle names (0: the object's own; ObThreadType for a process's thread). */
NTSTATUS ObInsertHandleEx(PVOID Object, OB_TYPE_INDEX HandleType, ULONG GrantedAccess,
                          PHANDLE Handle);
NTSTATUS ObInsertHandleForUserEx(PVOID Object, OB_TYPE_INDEX HandleType, ULONG GrantedAccess,
                                 PHANDLE UserHandle);
/* Insert, then give the handle to user mode; undone if *UserHandle cannot be written. */
NTSTATUS ObInsertHandleForUser(PVOID Object, PHANDLE UserHandle);
/* Before making something only a new handle would reach: the handle's place in user memory is
 * writable and the caller's handle table has a free slot (STATUS_INSUFFICIENT_RESOURCES). */
NTSTATUS ObCheckHandleForUser(PHANDLE UserHandle);
/* The object a handle of the current process names, referenced; Type 0 = any type.
 * STATUS_INVALID_HANDLE or STATUS_OBJECT_TYPE_MISMATCH otherwise. */
NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, OB_TYPE_INDEX Type, PVOID *Object);
/* The same, and the handle must grant every right in DesiredAccess (STATUS_ACCESS_DENIED).
 * NtCurrentProcess() and NtCurrentThread() grant everything. */
NTSTATUS ObReferenceObjectByHandleAccess(HANDLE Handle, OB_TYPE_INDEX Type, ULONG DesiredAccess,
                                         PVOID *Object);
NTSTATUS ObCloseHandle(HANDLE Handle);
/* Process end: every handle closed. */
VOID ObKillProcess(struct _EPROCESS *Process);
ULONG ObHandleCount(struct _EPROCESS *Process);
PDISPATCHER_HEADER ObGetDispatcherObject(PVOID Object);

/* obname.c */
/* OBJECT_ATTRIBUTES from user mode (NULL allowed: no name). */
NTSTATUS ObCaptureObjectAttributes(PVOID UserAttributes, POB_CAPTURED_NAME Name);
/* A live object of that name, referenced, or NULL. */
PVOID ObLookupObjectByName(const OB_CAPTURED_NAME *Name);
VOID ObSetObjectName(PVOID Object, const OB_CAPTURED_NAME *Name);
/* A new object (the creator's reference) to user mode: a handle, then its name; the
 * creator's reference goes, so a failure to hand out the handle deletes the object again. */
NTSTATUS ObInsertObject(PVOID Object, const OB_CAPTURED_NAME *Name, PHANDLE UserHandle);
/* The NtCreateXxx rule for a name already in use: with OBJ_OPENIF the existing object (of
 * the same type) is opened, STATUS_OBJECT_NAME_EXISTS; else STATUS_OBJECT_NAME_COLLISION.
 * STATUS_SUCCESS when the name is free (or there is none): the caller creates. */
NTSTATUS ObOpenIfExists(const OB_CAPTURED_NAME *Name, OB_TYPE_INDEX Type, PHANDLE UserHandle);
/* NtOpenXxx: the named object of that type, a new handle to it. */
NTSTATUS ObOpenObjectByName(PVOID UserAttributes, OB_TYPE_INDEX Type, PHANDLE UserHandle);

#endif /* PV_OB_H */
