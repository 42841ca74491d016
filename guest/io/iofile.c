/*
 * iofile.c - files of the volume C: (`pagevisor run --volume HOSTDIR`) and NT's file services
 * on them: NtCreateFile, NtOpenFile, NtReadFile, NtWriteFile, NtQueryInformationFile,
 * NtSetInformationFile. A file object is a handle-reachable object (ob.h) holding the host's
 * handle (PV_HC_FILE_*), the end of file as the guest knows it, the current position and
 * whether it was opened for writing; the host does the I/O into guest frames. There is no
 * cache manager: reads and writes go through one kernel bounce page to the host, and a section
 * on the file (mm/section.c) keeps its own pages, written back by the mapped page writer.
 *
 * As every service here: the arguments are captured and every output pointer checked before
 * anything happens, so a failing call changes nothing (a write that the host fails half-way
 * has written what it reports in IoStatusBlock.Information).
 */
#include "io.h"
#include "hv.h"
#include "mm.h"
#include "ob.h"
#include "ps.h"
#include "rtl.h"

#define IO_MAX_FILES 64

static FILE_OBJECT IopFiles[IO_MAX_FILES];
static UCHAR IopBounce[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define IOP_BOUNCE_PFN (KI_IMAGE_TO_PHYSICAL(IopBounce) >> PAGE_SHIFT)

/* The last reference went: the host's handle is closed. */
VOID IopDeleteFile(PVOID Object)
{
    PFILE_OBJECT File = Object;
    LONG Result = HvFileClose(File->HostHandle);

    if (Result != PV_OK)
        DbgPrint("io: closing %s: the host says %d\n", File->Name, (int)Result);
    File->Header.Type = 0;
}

static NTSTATUS IopStatusOf(LONG Result)
{
    switch (Result)
    {
    case PV_OK: return STATUS_SUCCESS;
    case PV_ENODEV: return STATUS_NO_SUCH_DEVICE;
    case PV_ENOENT: return STATUS_OBJECT_NAME_NOT_FOUND;
    case PV_EEXIST: return STATUS_OBJECT_NAME_COLLISION;
    case PV_EACCES: return STATUS_ACCESS_DENIED;
    case PV_EISDIR: return STATUS_FILE_IS_A_DIRECTORY;
    case PV_EMFILE: return STATUS_TOO_MANY_OPENED_FILES;
    case PV_EINVAL: return STATUS_OBJECT_NAME_INVALID;
    case PV_ENOSPC: return STATUS_DISK_FULL;
    default: return STATUS_UNEXPECTED_IO_ERROR;
    }
}

/* "\??\C:\dir\name" (case-insensitive drive prefix) as the host's "dir/name". */
static NTSTATUS IopVolumeName(const OB_CAPTURED_NAME *Name, PCHAR Out)
{
    static const WCHAR Prefix[] = { '\\', '?', '?', '\\', 'C', ':', '\\' };
    ULONG i, n = 0;

    if (Name->Length == 0)
        return STATUS_OBJECT_NAME_INVALID;
    if (Name->Length <= RTL_NUMBER_OF(Prefix))
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    for (i = 0; i < RTL_NUMBER_OF(Prefix); i++)
    {
        WCHAR c = Name->Name[i];

        if ((i == 4 ? (c | 0x20) : c) != (i == 4 ? 'c' : Prefix[i]))
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
    }
    for (; i < Name->Length; i++)
    {
        WCHAR c = Name->Name[i];

        if (c == '\\')
            c = '/';
        if (c < 0x20 || c >= 0x7F || c == ':' || n + 1 >= PV_FILE_NAME_MAX)
            return STATUS_OBJECT_NAME_INVALID;
        Out[n++] = (CHAR)c;
    }
    Out[n] = 0;
    return STATUS_SUCCESS;
}

static NTSTATUS IopOpen(PHANDLE FileHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                        PIO_STATUS_BLOCK IoStatusBlock, ULONG Disposition)
{
    OB_CAPTURED_NAME Name;
    CHAR HostName[PV_FILE_NAME_MAX];
    BOOLEAN Write = (DesiredAccess & (FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE |
                                      GENERIC_ALL)) != 0;
    ULONG Flags = Write ? PV_FILE_WRITE : 0, Handle, Index, Information;
    ULONGLONG Size;
    BOOLEAN Created;
    PFILE_OBJECT File;
    IO_STATUS_BLOCK Iosb;
    NTSTATUS Status;
    LONG Result;

    if (FileHandle == NULL)
        return STATUS_INVALID_PARAMETER_1;
    if (IoStatusBlock == NULL)
        return STATUS_INVALID_PARAMETER_4;
    Status = ProbeForWrite(IoStatusBlock, sizeof(*IoStatusBlock), 1);
    if (NT_SUCCESS(Status))
        Status = ObCheckHandleForUser(FileHandle);
    if (NT_SUCCESS(Status))
        Status = ObCaptureObjectAttributes(ObjectAttributes, &Name);
    if (NT_SUCCESS(Status))
        Status = IopVolumeName(&Name, HostName);
    if (!NT_SUCCESS(Status))
        return Status;
    switch (Disposition)
    {
    case FILE_OPEN: break;
    case FILE_CREATE: Flags |= PV_FILE_CREATE | PV_FILE_EXCL; break;
    case FILE_OPEN_IF: Flags |= PV_FILE_CREATE; break;
    case FILE_OVERWRITE: Flags |= PV_FILE_TRUNCATE; break;
    case FILE_SUPERSEDE:
    case FILE_OVERWRITE_IF: Flags |= PV_FILE_CREATE | PV_FILE_TRUNCATE; break;
    default: return STATUS_INVALID_PARAMETER_8;
    }
    if ((Flags & (PV_FILE_CREATE | PV_FILE_TRUNCATE)) && !Write)
        return STATUS_INVALID_PARAMETER_2;   /* creating or overwriting needs write access */
    for (Index = 0; Index < IO_MAX_FILES && IopFiles[Index].Header.Type != 0; Index++)
        ;
    if (Index == IO_MAX_FILES)
        return STATUS_TOO_MANY_OPENED_FILES;

    Result = HvFileOpen(HostName, Flags, &Handle, &Created, &Size);
    if (Result != PV_OK)
        return IopStatusOf(Result);
    File = &IopFiles[Index];
    ObInitializeObject(File, ObFileType);
    File->HostHandle = Handle;
    File->EndOfFile = Size;
    File->Position = 0;
    File->Writable = Write;
    File->Section = NULL;
    memcpy(File->Name, HostName, sizeof(File->Name));
    /* The handle: if it cannot be handed out the object goes again (closing the host's). */
    Status = ObInsertHandleForUser(File, FileHandle);
    ObDereferenceObject(File);
    if (!NT_SUCCESS(Status))
        return Status;
    Information = Created ? FILE_CREATED
                : (Flags & PV_FILE_TRUNCATE) ? (Disposition == FILE_SUPERSEDE ? FILE_SUPERSEDED
                                                                          : FILE_OVERWRITTEN)
                : FILE_OPENED;
    Iosb.Status = STATUS_SUCCESS;
    Iosb.Information = Information;
    (void)MmCopyToUser(IoStatusBlock, &Iosb, sizeof(Iosb));
    return STATUS_SUCCESS;
}

/*
 * NTSTATUS NtCreateFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock,
 *     AllocationSize, FileAttributes, ShareAccess, CreateDisposition, CreateOptions, EaBuffer,
 *     EaLength) - service 0x0016. A file of the volume, opened (read, or read and write) as
 * CreateDisposition says; AllocationSize, attributes, sharing and extended attributes are not
 * kept (EaBuffer must be NULL). IoStatusBlock->Information: FILE_CREATED, FILE_OPENED, ...
 */
NTSTATUS NtCreateFile(PHANDLE FileHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                      PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize,
                      ULONG FileAttributes, ULONG ShareAccess, ULONG CreateDisposition,
                      ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength)
{
    (void)AllocationSize, (void)FileAttributes, (void)ShareAccess;
    if (EaBuffer != NULL || EaLength != 0)
        return STATUS_INVALID_PARAMETER;
    if (CreateOptions & ~(FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE))
        return STATUS_INVALID_PARAMETER_9;
    return IopOpen(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock,
                   CreateDisposition);
}

/* NtOpenFile(...) - service 0x0017: NtCreateFile with FILE_OPEN. */
NTSTATUS NtOpenFile(PHANDLE FileHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                    PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions)
{
    (void)ShareAccess;
    if (OpenOptions & ~(FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE))
        return STATUS_INVALID_PARAMETER_6;
    return IopOpen(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, FILE_OPEN);
}

/* The arguments NtReadFile and NtWriteFile share, captured and checked: the buffer (written by
 * a read, read by a write), the status block, the offset; the file referenced. */
static NTSTATUS IopBeginTransfer(HANDLE FileHandle, HANDLE Event, PVOID ApcRoutine,
                                 PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                                 BOOLEAN Read, PLARGE_INTEGER ByteOffset, PFILE_OBJECT *File,
                                 PULONGLONG Offset)
{
    LARGE_INTEGER Given;
    NTSTATUS Status;

    if (Event != NULL || ApcRoutine != NULL)
        return STATUS_NOT_IMPLEMENTED;   /* synchronous I/O only */
    if (IoStatusBlock == NULL)
        return STATUS_INVALID_PARAMETER_5;
    Status = Read ? ProbeForWrite(Buffer, Length, 1) : ProbeForRead(Buffer, Length, 1);
    if (NT_SUCCESS(Status))
        Status = ProbeForWrite(IoStatusBlock, sizeof(*IoStatusBlock), 1);
    if (NT_SUCCESS(Status) && ByteOffset != NULL)
        Status = MmCopyFromUser(&Given, ByteOffset, sizeof(Given));
    if (!NT_SUCCESS(Status))
        return Status;
    if (ByteOffset != NULL && Given < 0)
        return STATUS_INVALID_PARAMETER_8;
    Status = ObReferenceObjectByHandle(FileHandle, ObFileType, (PVOID *)File);
    if (!NT_SUCCESS(Status))
        return Status;
    *Offset = ByteOffset != NULL ? (ULONGLONG)Given : (*File)->Position;
    return STATUS_SUCCESS;
}

static VOID IopEndTransfer(PFILE_OBJECT File, PIO_STATUS_BLOCK IoStatusBlock, NTSTATUS Status,
                           ULONG Bytes, ULONGLONG Offset)
{
    IO_STATUS_BLOCK Iosb = { Status, Bytes };

    File->Position = Offset + Bytes;
    (void)MmCopyToUser(IoStatusBlock, &Iosb, sizeof(Iosb));
    ObDereferenceObject(File);
}

/*
 * NtReadFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length,
 *     ByteOffset, Key) - service 0x0018. Up to Length bytes from *ByteOffset (NULL: the current
 * position) into Buffer; STATUS_END_OF_FILE at or past the end.
 */
NTSTATUS NtReadFile(HANDLE FileHandle, HANDLE Event, PVOID ApcRoutine, PVOID ApcContext,
                    PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                    PLARGE_INTEGER ByteOffset, PULONG Key)
{
    PFILE_OBJECT File;
    ULONGLONG Offset;
    ULONG Done = 0, Bytes;
    PFN_NUMBER Frame = IOP_BOUNCE_PFN;
    NTSTATUS Status;

    (void)ApcContext, (void)Key;
    Status = IopBeginTransfer(FileHandle, Event, ApcRoutine, IoStatusBlock, Buffer, Length, TRUE,
                              ByteOffset, &File, &Offset);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Offset >= File->EndOfFile)
    {
        IopEndTransfer(File, IoStatusBlock, STATUS_END_OF_FILE, 0, Offset);
        return STATUS_END_OF_FILE;
    }
    if (Length > File->EndOfFile - Offset)
        Length = (ULONG)(File->EndOfFile - Offset);
    while (Done < Length && NT_SUCCESS(Status))
    {
        ULONGLONG Position = Offset + Done;
        ULONG InPage = (ULONG)Position & (PAGE_SIZE - 1), Chunk = PAGE_SIZE - InPage;

        if (Chunk > Length - Done)
            Chunk = Length - Done;
        if (HvFileIo(PV_FILE_READ, File->HostHandle, Position - InPage, 1, 0, &Frame, &Bytes) !=
            PV_OK)
            Status = STATUS_UNEXPECTED_IO_ERROR;
        else
            Status = MmCopyToUser((PUCHAR)Buffer + Done, IopBounce + InPage, Chunk);
        if (NT_SUCCESS(Status))
            Done += Chunk;
    }
    IopEndTransfer(File, IoStatusBlock, Status, Done, Offset);
    return Status;
}

/*
 * NtWriteFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length,
 *     ByteOffset, Key) - service 0x0019. Length bytes of Buffer at *ByteOffset (NULL: the
 * current position), growing the file when they end past it. A partial page is read, patched
 * and written back. STATUS_ACCESS_DENIED on a file opened for reading.
 */
NTSTATUS NtWriteFile(HANDLE FileHandle, HANDLE Event, PVOID ApcRoutine, PVOID ApcContext,
                     PIO_STATUS_BLOCK IoStatusBlock, PCVOID Buffer, ULONG Length,
                     PLARGE_INTEGER ByteOffset, PULONG Key)
{
    PFILE_OBJECT File;
    ULONGLONG Offset;
    ULONG Done = 0, Bytes;
    PFN_NUMBER Frame = IOP_BOUNCE_PFN;
    NTSTATUS Status;

    (void)ApcContext, (void)Key;
    Status = IopBeginTransfer(FileHandle, Event, ApcRoutine, IoStatusBlock, (PVOID)Buffer,
                              Length, FALSE, ByteOffset, &File, &Offset);
    if (!NT_SUCCESS(Status))
        return Status;
    if (!File->Writable)
    {
        ObDereferenceObject(File);
        return STATUS_ACCESS_DENIED;
    }
    while (Done < Length && NT_SUCCESS(Status))
    {
        ULONGLONG Position = Offset + Done, PageStart;
        ULONG InPage = (ULONG)Position & (PAGE_SIZE - 1), Chunk = PAGE_SIZE - InPage, End;

        if (Chunk > Length - Done)
            Chunk = Length - Done;
        PageStart = Position - InPage;
        /* What stays of the page around the new bytes comes from the file. */
        if ((InPage != 0 || Chunk != PAGE_SIZE) &&
            HvFileIo(PV_FILE_READ, File->HostHandle, PageStart, 1, 0, &Frame, &Bytes) != PV_OK)
        {
            Status = STATUS_UNEXPECTED_IO_ERROR;
            break;
        }
        Status = MmCopyFromUser(IopBounce + InPage, (const UCHAR *)Buffer + Done, Chunk);
        if (!NT_SUCCESS(Status))
            break;
        End = InPage + Chunk;
        if (PageStart + PAGE_SIZE <= File->EndOfFile)
            End = PAGE_SIZE;
        else if (File->EndOfFile > PageStart && File->EndOfFile - PageStart > End)
            End = (ULONG)(File->EndOfFile - PageStart);
        if (HvFileIo(PV_FILE_WRITE_PAGES, File->HostHandle, PageStart, 1, End, &Frame, &Bytes) !=
            PV_OK)
        {
            Status = STATUS_UNEXPECTED_IO_ERROR;
            break;
        }
        Done += Chunk;
        if (Position + Chunk > File->EndOfFile)
            File->EndOfFile = Position + Chunk;
    }
    IopEndTransfer(File, IoStatusBlock, Status, Done, Offset);
    return Status;
}

/*
 * NtQueryInformationFile(FileHandle, IoStatusBlock, FileInformation, Length,
 *     FileInformationClass) - service 0x001A: FileStandardInformation (the size) and
 * FilePositionInformation.
 */
NTSTATUS NtQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                PVOID FileInformation, ULONG Length, ULONG FileInformationClass)
{
    FILE_STANDARD_INFORMATION Standard;
    FILE_POSITION_INFORMATION Position;
    IO_STATUS_BLOCK Iosb;
    PFILE_OBJECT File;
    PCVOID Source;
    ULONG Size;
    NTSTATUS Status;

    if (FileInformationClass == FileStandardInformation)
        Size = sizeof(Standard), Source = &Standard;
    else if (FileInformationClass == FilePositionInformation)
        Size = sizeof(Position), Source = &Position;
    else
        return STATUS_INVALID_INFO_CLASS;
    if (Length < Size)
        return STATUS_INFO_LENGTH_MISMATCH;
    Status = ProbeForWrite(IoStatusBlock, sizeof(*IoStatusBlock), 1);
    if (NT_SUCCESS(Status))
        Status = ProbeForWrite(FileInformation, Size, 1);
    if (NT_SUCCESS(Status))
        Status = ObReferenceObjectByHandle(FileHandle, ObFileType, (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    memset(&Standard, 0, sizeof(Standard));
    Standard.EndOfFile = (LARGE_INTEGER)File->EndOfFile;
    Standard.AllocationSize = (LARGE_INTEGER)ALIGN_UP_BY(File->EndOfFile, PAGE_SIZE);
    Standard.NumberOfLinks = 1;
    Position.CurrentByteOffset = (LARGE_INTEGER)File->Position;
    ObDereferenceObject(File);
    Status = MmCopyToUser(FileInformation, Source, Size);
    Iosb.Status = Status;
    Iosb.Information = NT_SUCCESS(Status) ? Size : 0;
    (void)MmCopyToUser(IoStatusBlock, &Iosb, sizeof(Iosb));
    return Status;
}

/*
 * NtSetInformationFile(FileHandle, IoStatusBlock, FileInformation, Length,
 *     FileInformationClass) - service 0x001B: FileEndOfFileInformation (the file grows with
 * zeros or is cut; not below what a section of it maps: STATUS_USER_MAPPED_FILE) and
 * FilePositionInformation.
 */
NTSTATUS NtSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                              PVOID FileInformation, ULONG Length, ULONG FileInformationClass)
{
    LARGE_INTEGER Value;
    IO_STATUS_BLOCK Iosb = { STATUS_SUCCESS, 0 };
    PFILE_OBJECT File;
    NTSTATUS Status;
    LONG Result;

    if (FileInformationClass != FileEndOfFileInformation &&
        FileInformationClass != FilePositionInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (Length < sizeof(Value))
        return STATUS_INFO_LENGTH_MISMATCH;
    Status = ProbeForWrite(IoStatusBlock, sizeof(*IoStatusBlock), 1);
    if (NT_SUCCESS(Status))
        Status = MmCopyFromUser(&Value, FileInformation, sizeof(Value));
    if (!NT_SUCCESS(Status))
        return Status;
    if (Value < 0)
        return STATUS_INVALID_PARAMETER;
    Status = ObReferenceObjectByHandle(FileHandle, ObFileType, (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    if (FileInformationClass == FilePositionInformation)
    {
        File->Position = (ULONGLONG)Value;
    }
    else if (!File->Writable)
    {
        Status = STATUS_ACCESS_DENIED;
    }
    else if ((ULONGLONG)Value < MmFileSectionBytes(File))
    {
        Status = STATUS_USER_MAPPED_FILE;
    }
    else
    {
        Result = HvFileSetSize(File->HostHandle, (ULONGLONG)Value);
        if (Result == PV_OK)
            File->EndOfFile = (ULONGLONG)Value;
        else
            Status = Result == PV_ENOSPC ? STATUS_DISK_FULL : STATUS_UNEXPECTED_IO_ERROR;
    }
    ObDereferenceObject(File);
    if (NT_SUCCESS(Status))
        (void)MmCopyToUser(IoStatusBlock, &Iosb, sizeof(Iosb));
    return Status;
}
