/*
 * obname.c - named objects: one flat namespace (pagevisor has no object directories, so every
 * name behaves as if it were in \BaseNamedObjects), names of up to 64 UTF-16 characters,
 * compared exactly or, with OBJ_CASE_INSENSITIVE, ignoring ASCII case. A name lives as long
 * as its object. Creating with a name in use opens the existing object only with OBJ_OPENIF
 * (STATUS_OBJECT_NAME_EXISTS), and only if the types match, as NT's NtCreateXxx do.
 */
#include "ob.h"
#include "ps.h"
#include "mm.h"
#include "rtl.h"

static LIST_ENTRY ObpNamespace = { &ObpNamespace, &ObpNamespace };

NTSTATUS ObCaptureObjectAttributes(PVOID UserAttributes, POB_CAPTURED_NAME Name)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING String;
    NTSTATUS Status;

    memset(Name, 0, sizeof(*Name));
    if (UserAttributes == NULL)
        return STATUS_SUCCESS;
    Status = MmCopyFromUser(&Attributes, UserAttributes, sizeof(Attributes));
    if (!NT_SUCCESS(Status))
        return Status;
    if (Attributes.Length != sizeof(OBJECT_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    if (Attributes.RootDirectory != NULL)
        return STATUS_INVALID_HANDLE;   /* no object directories */
    Name->Attributes = Attributes.Attributes;
    if (Attributes.ObjectName == NULL)
        return STATUS_SUCCESS;
    Status = MmCopyFromUser(&String, Attributes.ObjectName, sizeof(String));
    if (!NT_SUCCESS(Status))
        return Status;
    if (String.Length == 0 || (String.Length & 1) != 0 || String.Length > String.MaximumLength ||
        String.Length > OB_MAX_NAME * sizeof(WCHAR))
        return STATUS_OBJECT_NAME_INVALID;
    Status = MmCopyFromUser(Name->Name, String.Buffer, String.Length);
    if (!NT_SUCCESS(Status))
        return Status;
    Name->Length = (USHORT)(String.Length / sizeof(WCHAR));
    return STATUS_SUCCESS;
}

static WCHAR ObpFold(WCHAR Character)
{
    return Character >= 'a' && Character <= 'z' ? (WCHAR)(Character - 'a' + 'A') : Character;
}

static BOOLEAN ObpNameMatches(const OBJECT_HEADER *Header, const OB_CAPTURED_NAME *Name)
{
    ULONG i;

    if (Header->NameLength != Name->Length)
        return FALSE;
    for (i = 0; i < Name->Length; i++)
    {
        WCHAR A = Header->Name[i], B = Name->Name[i];
        if ((Name->Attributes & OBJ_CASE_INSENSITIVE) ? ObpFold(A) != ObpFold(B) : A != B)
            return FALSE;
    }
    return TRUE;
}

PVOID ObLookupObjectByName(const OB_CAPTURED_NAME *Name)
{
    PLIST_ENTRY Entry;

    if (Name->Length == 0)
        return NULL;
    for (Entry = ObpNamespace.Flink; Entry != &ObpNamespace; Entry = Entry->Flink)
    {
        POBJECT_HEADER Header = CONTAINING_RECORD(Entry, OBJECT_HEADER, NameLink);
        if (ObpNameMatches(Header, Name))
        {
            ObReferenceObject(Header);
            return Header;
        }
    }
    return NULL;
}

VOID ObSetObjectName(PVOID Object, const OB_CAPTURED_NAME *Name)
{
    POBJECT_HEADER Header = Object;

    if (Name->Length == 0)
        return;
    memcpy(Header->Name, Name->Name, Name->Length * sizeof(WCHAR));
    Header->NameLength = Name->Length;
    InsertTailList(&ObpNamespace, &Header->NameLink);
}

NTSTATUS ObInsertObject(PVOID Object, const OB_CAPTURED_NAME *Name, PHANDLE UserHandle)
{
    NTSTATUS Status = ObInsertHandleForUser(Object, UserHandle);

    if (NT_SUCCESS(Status))
        ObSetObjectName(Object, Name);
    ObDereferenceObject(Object);   /* the creator's reference: the handle holds its own */
    return Status;
}

NTSTATUS ObOpenIfExists(const OB_CAPTURED_NAME *Name, OB_TYPE_INDEX Type, PHANDLE UserHandle)
{
    POBJECT_HEADER Existing = ObLookupObjectByName(Name);
    NTSTATUS Status;

    if (Existing == NULL)
        return STATUS_SUCCESS;
    if ((Name->Attributes & OBJ_OPENIF) == 0)
        Status = STATUS_OBJECT_NAME_COLLISION;
    else if (Existing->Type != Type)
        Status = STATUS_OBJECT_TYPE_MISMATCH;
    else
    {
        Status = ObInsertHandleForUser(Existing, UserHandle);
        if (NT_SUCCESS(Status))
            Status = STATUS_OBJECT_NAME_EXISTS;
    }
    ObDereferenceObject(Existing);
    return Status;
}

NTSTATUS ObOpenObjectByName(PVOID UserAttributes, OB_TYPE_INDEX Type, PHANDLE UserHandle)
{
    OB_CAPTURED_NAME Name;
    POBJECT_HEADER Object;
    NTSTATUS Status;

    if (UserHandle == NULL)
        return STATUS_INVALID_PARAMETER_1;
    Status = ProbeForWrite(UserHandle, sizeof(*UserHandle), 1);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObCaptureObjectAttributes(UserAttributes, &Name);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Name.Length == 0)
        return STATUS_OBJECT_NAME_INVALID;
    Object = ObLookupObjectByName(&Name);
    if (Object == NULL)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    Status = Object->Type == Type ? ObInsertHandleForUser(Object, UserHandle)
                                  : STATUS_OBJECT_TYPE_MISMATCH;
    ObDereferenceObject(Object);
    return Status;
}
