/*
 * io.h - the I/O manager's part of pagevisor: file objects of the volume C: (io/iofile.c) and
 * the file services. A file object is reached through handles (ob.h, ObFileType).
 */
#ifndef PV_IO_H
#define PV_IO_H

#include "ntdef.h"
#include "ob.h"
#include "ntioapi.h"
#include "pv_abi.h"

typedef struct _FILE_OBJECT
{
    OBJECT_HEADER Header;       /* Type 0: a free entry */
    ULONG HostHandle;           /* PV_HC_FILE_* handle */
    ULONGLONG EndOfFile;        /* its size as the guest knows it */
    ULONGLONG Position;         /* NtReadFile/NtWriteFile without ByteOffset */
    BOOLEAN Writable;           /* opened for writing */
    struct _SECTION *Section;   /* its data section while there is one (mm/section.c) */
    CHAR Name[PV_FILE_NAME_MAX]; /* the volume's name for it, for messages */
} FILE_OBJECT, *PFILE_OBJECT;

VOID IopDeleteFile(PVOID Object);

NTSTATUS NtCreateFile(PHANDLE FileHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                      PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize,
                      ULONG FileAttributes, ULONG ShareAccess, ULONG CreateDisposition,
                      ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength);
NTSTATUS NtOpenFile(PHANDLE FileHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                    PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions);
NTSTATUS NtReadFile(HANDLE FileHandle, HANDLE Event, PVOID ApcRoutine, PVOID ApcContext,
                    PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                    PLARGE_INTEGER ByteOffset, PULONG Key);
NTSTATUS NtWriteFile(HANDLE FileHandle, HANDLE Event, PVOID ApcRoutine, PVOID ApcContext,
                     PIO_STATUS_BLOCK IoStatusBlock, PCVOID Buffer, ULONG Length,
                     PLARGE_INTEGER ByteOffset, PULONG Key);
NTSTATUS NtQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                PVOID FileInformation, ULONG Length, ULONG FileInformationClass);
NTSTATUS NtSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                              PVOID FileInformation, ULONG Length, ULONG FileInformationClass);

#endif /* PV_IO_H */
