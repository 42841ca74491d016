/*
 * ntobapi.h - how a name reaches an object service: NT's UNICODE_STRING and OBJECT_ATTRIBUTES
 * and the OBJ_* attribute flags. Shared by the kernel (ob/obname.c reads them from user mode)
 * and, through ntapi.h, by test images.
 */
#ifndef PV_NTOBAPI_H
#define PV_NTOBAPI_H

#include "ntdef.h"

#define OBJ_INHERIT          0x00000002u
#define OBJ_CASE_INSENSITIVE 0x00000040u
#define OBJ_OPENIF           0x00000080u

typedef struct _UNICODE_STRING
{
    USHORT Length;              /* bytes, without a terminator */
    USHORT MaximumLength;
    PWCHAR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;

typedef struct _OBJECT_ATTRIBUTES
{
    ULONG Length;
    HANDLE RootDirectory;
    PUNICODE_STRING ObjectName;
    ULONG Attributes;
    PVOID SecurityDescriptor;
    PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;

#endif /* PV_NTOBAPI_H */
