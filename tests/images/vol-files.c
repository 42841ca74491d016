/*
 * vol-files - NT's file services on the volume C: (run with --volume HOSTDIR, an empty
 * directory): NtCreateFile creates "vol-files.txt" (FILE_CREATED), a second FILE_CREATE of it
 * collides, FILE_OPEN_IF opens it (FILE_OPENED); NtWriteFile writes at 0 and at 5000 (the file
 * grows, the gap reads as zeros), NtReadFile reads back, at the end is STATUS_END_OF_FILE;
 * NtQueryInformationFile gives the size and position; NtSetInformationFile cuts it. A file
 * opened for reading refuses writes and writable sections (STATUS_ACCESS_DENIED). A section of
 * the file: a write through its view reaches the file once flushed, and the file cannot be cut
 * below what the section maps (STATUS_USER_MAPPED_FILE). Names: an unknown file is
 * STATUS_OBJECT_NAME_NOT_FOUND, another drive STATUS_OBJECT_PATH_SYNTAX_BAD, ".." out of the
 * volume STATUS_ACCESS_DENIED (the host refuses). With the argument "novolume" (run without
 * --volume): every open is STATUS_NO_SUCH_DEVICE.
 * NEEDS-OWN-BOOT
 * Expected: the lines below; "vol-files: exit(0)".
 */
#include <ntapi.h>

#define SELF NtCurrentProcess()

static NTSTATUS Open(const char *Path, ULONG Access, ULONG Disposition, HANDLE *File,
                     IO_STATUS_BLOCK *Iosb)
{
    WCHAR Wide[96];
    UNICODE_STRING Name;
    OBJECT_ATTRIBUTES Attributes;
    ULONG i;

    for (i = 0; Path[i] && i < RTL_NUMBER_OF(Wide) - 1; i++)
        Wide[i] = (WCHAR)Path[i];
    Wide[i] = 0;
    RtlInitUnicodeString(&Name, Wide);
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    return NtCreateFile(File, Access, &Attributes, Iosb, NULL, 0, 0, Disposition,
                        FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
}

static ULONGLONG SizeOf(HANDLE File)
{
    FILE_STANDARD_INFORMATION Standard;
    IO_STATUS_BLOCK Iosb;

    check_status(NtQueryInformationFile(File, &Iosb, &Standard, sizeof(Standard),
                                        FileStandardInformation), STATUS_SUCCESS, "query size");
    return (ULONGLONG)Standard.EndOfFile;
}

int main(int argc, char **argv)
{
    const char *Name = "\\??\\C:\\vol-files.txt";
    IO_STATUS_BLOCK Iosb;
    HANDLE File, Again, ReadOnly, Section;
    LARGE_INTEGER Offset;
    FILE_END_OF_FILE_INFORMATION End;
    char Buffer[16];
    PVOID Base = NULL, FlushBase;
    SIZE_T ViewSize = 0, FlushSize = 0;
    ULONG i;

    if (argc > 1 && strcmp(argv[1], "novolume") == 0)
    {
        check_status(Open(Name, GENERIC_READ, FILE_OPEN, &File, &Iosb), STATUS_NO_SUCH_DEVICE,
                     "without a volume, an open");
        return 0;
    }
    msg("begin");
    check_status(Open("\\??\\C:\\no-such-file", GENERIC_READ, FILE_OPEN, &File, &Iosb),
                 STATUS_OBJECT_NAME_NOT_FOUND, "open a file that does not exist");
    check_status(Open("\\??\\D:\\x", GENERIC_READ, FILE_OPEN, &File, &Iosb),
                 STATUS_OBJECT_PATH_SYNTAX_BAD, "a name on another drive");
    check_status(Open("\\??\\C:\\..\\escape", GENERIC_READ | GENERIC_WRITE, FILE_OPEN_IF,
                      &File, &Iosb), STATUS_ACCESS_DENIED, "a name out of the volume");
    check_status(Open(Name, GENERIC_READ | GENERIC_WRITE, FILE_CREATE, &File, &Iosb),
                 STATUS_SUCCESS, "create vol-files.txt");
    CHECK(Iosb.Information == FILE_CREATED && SizeOf(File) == 0, "it was created, empty");
    check_status(Open(Name, GENERIC_READ | GENERIC_WRITE, FILE_CREATE, &Again, &Iosb),
                 STATUS_OBJECT_NAME_COLLISION, "FILE_CREATE again");
    check_status(Open(Name, GENERIC_READ | GENERIC_WRITE, FILE_OPEN_IF, &Again, &Iosb),
                 STATUS_SUCCESS, "FILE_OPEN_IF");
    CHECK(Iosb.Information == FILE_OPENED, "it was opened");
    NtClose(Again);

    Offset = 0;
    check_status(NtWriteFile(File, NULL, NULL, NULL, &Iosb, "hello", 5, &Offset, NULL),
                 STATUS_SUCCESS, "write 5 bytes at 0");
    Offset = 5000;
    check_status(NtWriteFile(File, NULL, NULL, NULL, &Iosb, "world", 5, &Offset, NULL),
                 STATUS_SUCCESS, "write 5 bytes at 5000");
    CHECK(Iosb.Information == 5 && SizeOf(File) == 5005, "the file is 5005 bytes");
    Offset = 4998;
    memset(Buffer, 'x', sizeof(Buffer));
    check_status(NtReadFile(File, NULL, NULL, NULL, &Iosb, Buffer, sizeof(Buffer), &Offset,
                            NULL), STATUS_SUCCESS, "read 16 bytes at 4998");
    CHECK(Iosb.Information == 7 && Buffer[0] == 0 && Buffer[1] == 0 &&
          memcmp(Buffer + 2, "world", 5) == 0 && Buffer[7] == 'x',
          "7 bytes: the gap's zeros, then world");
    Offset = 0;
    check_status(NtReadFile(File, NULL, NULL, NULL, &Iosb, Buffer, 5, &Offset, NULL),
                 STATUS_SUCCESS, "read 5 bytes at 0");
    CHECK(memcmp(Buffer, "hello", 5) == 0, "hello");
    Offset = 5005;
    check_status(NtReadFile(File, NULL, NULL, NULL, &Iosb, Buffer, 5, &Offset, NULL),
                 STATUS_END_OF_FILE, "read at the end");

    check_status(Open(Name, GENERIC_READ, FILE_OPEN, &ReadOnly, &Iosb), STATUS_SUCCESS,
                 "open it for reading");
    Offset = 0;
    check_status(NtWriteFile(ReadOnly, NULL, NULL, NULL, &Iosb, "no", 2, &Offset, NULL),
                 STATUS_ACCESS_DENIED, "write through it");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, NULL, PAGE_READWRITE,
                                 SEC_COMMIT, ReadOnly), STATUS_ACCESS_DENIED,
                 "a writable section of it");
    NtClose(ReadOnly);

    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, NULL, PAGE_READWRITE,
                                 SEC_COMMIT, File), STATUS_SUCCESS, "a section of the file");
    check_status(NtMapViewOfSection(Section, SELF, &Base, 0, 0, NULL, &ViewSize, ViewUnmap, 0,
                                    PAGE_READWRITE), STATUS_SUCCESS, "map it");
    CHECK(memcmp(Base, "hello", 5) == 0 && memcmp((char *)Base + 5000, "world", 5) == 0,
          "the view shows the file");
    memcpy(Base, "HELLO", 5);
    FlushBase = Base;
    check_status(NtFlushVirtualMemory(SELF, &FlushBase, &FlushSize, &Iosb), STATUS_SUCCESS,
                 "flush the view");
    Offset = 0;
    check_status(NtReadFile(File, NULL, NULL, NULL, &Iosb, Buffer, 5, &Offset, NULL),
                 STATUS_SUCCESS, "read the file");
    CHECK(memcmp(Buffer, "HELLO", 5) == 0, "the view's write is in the file");
    End.EndOfFile = 10;
    check_status(NtSetInformationFile(File, &Iosb, &End, sizeof(End), FileEndOfFileInformation),
                 STATUS_USER_MAPPED_FILE, "cut the file below its section");
    check_status(NtUnmapViewOfSection(SELF, Base), STATUS_SUCCESS, "unmap");
    NtClose(Section);
    check_status(NtSetInformationFile(File, &Iosb, &End, sizeof(End), FileEndOfFileInformation),
                 STATUS_SUCCESS, "cut it to 10 bytes once the section is gone");
    CHECK(SizeOf(File) == 10, "10 bytes");
    for (i = 0; i < 3; i++)
        NtClose(File);   /* once; then STATUS_INVALID_HANDLE, harmless */
    msg("end");
    return 0;
}
