/*
 * map-increment NAME - a mapped file, end to end: opens the volume's file C:\NAME for reading
 * and writing (run with --volume HOSTDIR), makes a section of it and maps all of it, adds 1 to
 * every little-endian 32-bit word through the view, writes the dirty pages back
 * (NtFlushVirtualMemory), and prints the number of words and the POSIX cksum of the file's
 * bytes as the view now holds them (what `cksum HOSTDIR/NAME` prints afterwards). A file
 * several times larger than RAM is paged in from the file and out to it, never to the
 * pagefile. Run it twice on one file and every word has grown by 2. With "noflush" after NAME
 * it does not flush: unmapping its only view and closing the section write the pages back.
 * NEEDS-OWN-BOOT
 * Expected: "NAME: N words incremented, cksum C"; "map-increment: exit(0)".
 */
#include <ntapi.h>

#define SELF NtCurrentProcess()

int main(int argc, char **argv)
{
    WCHAR Path[96];
    UNICODE_STRING Name;
    OBJECT_ATTRIBUTES Attributes;
    IO_STATUS_BLOCK Iosb;
    FILE_STANDARD_INFORMATION Standard;
    HANDLE File, Section;
    PVOID Base = NULL, FlushBase;
    SIZE_T ViewSize = 0, FlushSize = 0;
    volatile ULONG *Words;
    ULONG i, Count;
    const char *Prefix = "\\??\\C:\\";

    if (argc != 2 && !(argc == 3 && strcmp(argv[2], "noflush") == 0))
        fail("usage: map-increment NAME [noflush] (a file of the volume, --volume HOSTDIR)");
    for (i = 0; Prefix[i]; i++)
        Path[i] = (WCHAR)Prefix[i];
    for (Count = 0; argv[1][Count] && i < RTL_NUMBER_OF(Path) - 1; Count++)
        Path[i++] = (WCHAR)argv[1][Count];
    Path[i] = 0;
    RtlInitUnicodeString(&Name, Path);
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    if (NtCreateFile(&File, GENERIC_READ | GENERIC_WRITE, &Attributes, &Iosb, NULL, 0, 0,
                     FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL,
                     0) != STATUS_SUCCESS)
        fail("cannot open C:\\%s", argv[1]);
    check_status(NtQueryInformationFile(File, &Iosb, &Standard, sizeof(Standard),
                                        FileStandardInformation), STATUS_SUCCESS, "its size");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, NULL, PAGE_READWRITE,
                                 SEC_COMMIT, File), STATUS_SUCCESS, "a section of it");
    check_status(NtMapViewOfSection(Section, SELF, &Base, 0, 0, NULL, &ViewSize, ViewUnmap, 0,
                                    PAGE_READWRITE), STATUS_SUCCESS, "map it all");
    Words = Base;
    Count = (ULONG)(Standard.EndOfFile / 4);
    for (i = 0; i < Count; i++)
        Words[i] += 1;
    FlushBase = Base;
    if (argc == 2)
        check_status(NtFlushVirtualMemory(SELF, &FlushBase, &FlushSize, &Iosb), STATUS_SUCCESS,
                     "write the dirty pages back");
    msg("%s: %lu words incremented, cksum %lu", argv[1], (unsigned long)Count,
        cksum(Base, (size_t)Standard.EndOfFile));
    check_status(NtUnmapViewOfSection(SELF, Base), STATUS_SUCCESS, "unmap it");
    NtClose(Section);
    NtClose(File);
    return 0;
}
