/*
 * ntpsapi.h - what NtQueryInformationProcess returns: ProcessBasicInformation's
 * PROCESS_BASIC_INFORMATION and STILL_ACTIVE. Shared by the kernel (ps/create.c) and, through
 * ntapi.h, by test images.
 */
#ifndef PV_NTPSAPI_H
#define PV_NTPSAPI_H

#include "ntdef.h"

#define ProcessBasicInformation 0
#define STILL_ACTIVE            ((NTSTATUS)0x00000103)   /* the exit status while it runs */

typedef struct _PROCESS_BASIC_INFORMATION
{
    NTSTATUS ExitStatus;
    PVOID PebBaseAddress;
    ULONG AffinityMask;
    LONG BasePriority;
    ULONG UniqueProcessId;
    ULONG InheritedFromUniqueProcessId;
} PROCESS_BASIC_INFORMATION;

#endif /* PV_NTPSAPI_H */
