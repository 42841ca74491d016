/*
 * ntioapi.h - NT's file services as images call them (NtCreateFile, NtOpenFile, NtReadFile,
 * NtWriteFile, NtQueryInformationFile, NtSetInformationFile): the I/O status block, access
 * rights, create dispositions and the information classes pagevisor has. Files live on the
 * volume C: (`pagevisor run --volume HOSTDIR`), named "\??\C:\NAME".
 */
#ifndef PV_NTIOAPI_H
#define PV_NTIOAPI_H

#include "ntdef.h"

typedef struct _IO_STATUS_BLOCK
{
    NTSTATUS Status;
    ULONG_PTR Information;     /* bytes moved; for a create/open, FILE_CREATED and so on */
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

/* Access (DesiredAccess): reading, writing, or both. */
#define FILE_READ_DATA           0x00000001u
#define FILE_WRITE_DATA          0x00000002u
#define FILE_APPEND_DATA         0x00000004u
#define SYNCHRONIZE              0x00100000u
#define GENERIC_ALL              0x10000000u
#define GENERIC_WRITE            0x40000000u
#define GENERIC_READ             0x80000000u

/* CreateDisposition, and what IO_STATUS_BLOCK.Information says was done. */
#define FILE_SUPERSEDE           0u
#define FILE_OPEN                1u
#define FILE_CREATE              2u
#define FILE_OPEN_IF             3u
#define FILE_OVERWRITE           4u
#define FILE_OVERWRITE_IF        5u
#define FILE_SUPERSEDED          0u
#define FILE_OPENED              1u
#define FILE_CREATED             2u
#define FILE_OVERWRITTEN         3u

/* CreateOptions pagevisor accepts (its file I/O is always synchronous). */
#define FILE_SYNCHRONOUS_IO_NONALERT 0x00000020u
#define FILE_NON_DIRECTORY_FILE      0x00000040u

/* FileInformationClass */
#define FileStandardInformation  5u
#define FilePositionInformation  14u
#define FileEndOfFileInformation 20u

typedef struct _FILE_STANDARD_INFORMATION
{
    LARGE_INTEGER AllocationSize;
    LARGE_INTEGER EndOfFile;
    ULONG NumberOfLinks;
    BOOLEAN DeletePending;
    BOOLEAN Directory;
} FILE_STANDARD_INFORMATION;

typedef struct _FILE_POSITION_INFORMATION
{
    LARGE_INTEGER CurrentByteOffset;
} FILE_POSITION_INFORMATION;

typedef struct _FILE_END_OF_FILE_INFORMATION
{
    LARGE_INTEGER EndOfFile;
} FILE_END_OF_FILE_INFORMATION;

#endif /* PV_NTIOAPI_H */
