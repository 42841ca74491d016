/*
 * bench-cluster - clustered page-ins by backing store (`make bench-clusters`,
 * bench/clusters.sh): one pass touching pages that are not in memory, sequentially or in a
 * scattered order, and the memory manager's read counters around it, so that the driver can
 * tell how many host calls (VM exits) each page that came in cost and how many pages were
 * read for each one used.
 *
 * ARGS: STORE PATTERN READ
 *   STORE image: CODE_PAGES one-page functions of this image (generated code), none touched
 *           before: each first call reads its page from the image file for the image section;
 *         section: a SEC_COMMIT section of DATA_PAGES pages (run with --mem 4M: larger than
 *           RAM), every page written through a view first (the fill), so that most go to the
 *           pagefile; then read back (section prototype page-ins);
 *         pagefile: the same with private committed memory (private pagefile page-ins);
 *         file: the same with a view of a mapped file, C:\bench-cluster.bin (run with --volume
 *           and --mem 4M): the fill's dirty pages go back to the file, the pass reads them from
 *           it (mapped file page-ins).
 *   PATTERN seq: page 0, 1, 2, ...; random: page (i * 0x9E3779B1) mod PAGES (a permutation,
 *           neighbours far apart, computed so the order itself takes no fault).
 *   READ 1: the pass; 0: everything but the pass (the driver subtracts its VM exits).
 * Output: "pvbench cluster store=... pattern=... read=... pages=N faults=F kinds=...
 *          calls=C pages_read=P bad=B": over the pass, C host read calls of that store and the
 *          P pages they brought in (ImageReadIoCount/ImagePagesRead, PrototypeReadIoCount/
 *          PrototypePagesRead, PageReadIoCount/PagesRead less the prototypes',
 *          FileReadIoCount/FilePagesRead).
 */
#include "pvbench.h"

#define DATA_PAGES 2048u
#define MAGIC      0x5A17C0DEu

/* One function per page (the number pasted from octal digits, as tests/images/big-code.c). */
#define FN(n) static __attribute__((noinline, aligned(4096))) ULONG Code##n(ULONG x) \
    { __asm__ volatile(".fill 4000, 1, 0x90"); return x + n; }
#define FN8(n) FN(n##0) FN(n##1) FN(n##2) FN(n##3) FN(n##4) FN(n##5) FN(n##6) FN(n##7)
#define FN64(n) FN8(n##0) FN8(n##1) FN8(n##2) FN8(n##3) FN8(n##4) FN8(n##5) FN8(n##6) FN8(n##7)
FN64(1) FN64(2) FN64(3) FN64(4)

#define E(n) Code##n,
#define E8(n) E(n##0) E(n##1) E(n##2) E(n##3) E(n##4) E(n##5) E(n##6) E(n##7)
#define E64(n) E8(n##0) E8(n##1) E8(n##2) E8(n##3) E8(n##4) E8(n##5) E8(n##6) E8(n##7)

static ULONG (*const Functions[])(ULONG) = { E64(1) E64(2) E64(3) E64(4) };

#define CODE_PAGES (sizeof(Functions) / sizeof(Functions[0]))

static ULONG Order(ULONG i, ULONG Pages, ULONG Random)
{
    return Random ? (i * 0x9E3779B1u) & (Pages - 1) : i;
}

static __attribute__((noinline)) VOID Fill(volatile ULONG *Base, ULONG Pages)
{
    ULONG i;

    for (i = 0; i < Pages; i++)
    {
        Base[i * (PVB_PAGE / sizeof(ULONG))] = MAGIC ^ i;
        Base[(i + 1) * (PVB_PAGE / sizeof(ULONG)) - 1] = ~i;
    }
}

static __attribute__((noinline)) ULONG ReadBack(volatile ULONG *Base, ULONG Pages, ULONG Random)
{
    ULONG i, Page, Bad = 0;

    for (i = 0; i < Pages; i++)
    {
        Page = Order(i, Pages, Random);
        Bad += Base[Page * (PVB_PAGE / sizeof(ULONG))] != (MAGIC ^ Page) ||
               Base[(Page + 1) * (PVB_PAGE / sizeof(ULONG)) - 1] != ~Page;
    }
    return Bad;
}

/* Calls the first Count functions in the pattern's order (all: the sum of their numbers must
 * come out; none: only this code and the table are touched). */
static __attribute__((noinline)) ULONG CallAll(ULONG Random, ULONG Count)
{
    ULONG i, Sum = 0;

    for (i = 0; i < Count; i++)
        Sum = Functions[Order(i, CODE_PAGES, Random)](Sum);
    return Sum + (((ULONG (*const volatile *)(ULONG))Functions)[CODE_PAGES - 1] != NULL ? 0 : 1);
}

static VOID Reads(const PV_MM_COUNTERS *C, ULONG Store, PULONG Calls, PULONG Pages)
{
    if (Store == 0)
    {
        *Calls = C->ImageReadIoCount;
        *Pages = C->ImagePagesRead;
    }
    else if (Store == 1)
    {
        *Calls = C->PrototypeReadIoCount;
        *Pages = C->PrototypePagesRead;
    }
    else if (Store == 2)
    {
        *Calls = C->PageReadIoCount - C->PrototypeReadIoCount;
        *Pages = C->PagesRead - C->PrototypePagesRead;
    }
    else
    {
        *Calls = C->FileReadIoCount;
        *Pages = C->FilePagesRead;
    }
}

/* The file store's section: C:\bench-cluster.bin, DATA_PAGES pages, made anew. */
static NTSTATUS FileSection(HANDLE *Section)
{
    static const WCHAR Path[] = u"\\??\\C:\\bench-cluster.bin";
    FILE_END_OF_FILE_INFORMATION End = { (LONGLONG)DATA_PAGES * PVB_PAGE };
    UNICODE_STRING Name;
    OBJECT_ATTRIBUTES Attributes;
    IO_STATUS_BLOCK Iosb;
    HANDLE File;
    NTSTATUS Status;

    RtlInitUnicodeString(&Name, Path);
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    Status = NtCreateFile(&File, GENERIC_READ | GENERIC_WRITE, &Attributes, &Iosb, NULL, 0, 0,
                          FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (Status == STATUS_SUCCESS)
        Status = NtSetInformationFile(File, &Iosb, &End, sizeof(End), FileEndOfFileInformation);
    if (Status == STATUS_SUCCESS)
        Status = NtCreateSection(Section, SECTION_ALL_ACCESS, NULL, NULL, PAGE_READWRITE,
                                 SEC_COMMIT, File);
    return Status;
}

int main(int argc, char **argv)
{
    const char *StoreName = argc > 1 ? argv[1] : "image";
    const char *Pattern = argc > 2 ? argv[2] : "seq";
    ULONG Read = PvbNumber(argc > 3 ? argv[3] : NULL, 1);
    ULONG Random = strcmp(Pattern, "random") == 0, Store, Pages, Bad = 0, Expected = 0, i;
    ULONG CallsBefore, CallsAfter, ReadBefore, ReadAfter;
    PV_MM_COUNTERS Before, After;
    PVOID Base = (PVOID)PVBENCH_BASE;
    SIZE_T Size = (SIZE_T)DATA_PAGES * PVB_PAGE, ViewSize = 0;
    ULONGLONG SectionSize = Size;
    HANDLE Section = NULL;
    NTSTATUS Status = STATUS_SUCCESS;
    char Faults[256];

    Store = strcmp(StoreName, "image") == 0 ? 0 : strcmp(StoreName, "section") == 0 ? 1
          : strcmp(StoreName, "pagefile") == 0 ? 2 : strcmp(StoreName, "file") == 0 ? 3 : 4;
    if (Store == 4 || Read > 1 || (!Random && strcmp(Pattern, "seq") != 0))
        fail("usage: bench-cluster image|section|pagefile|file seq|random 0|1");
    Pages = Store == 0 ? CODE_PAGES : DATA_PAGES;
    if (Store == 1 || Store == 3)
    {
        Status = Store == 1 ? NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &SectionSize,
                                              PAGE_READWRITE, SEC_COMMIT, NULL)
                            : FileSection(&Section);
        Base = NULL;
        if (Status == STATUS_SUCCESS)
            Status = NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL,
                                        &ViewSize, ViewShare, 0, PAGE_READWRITE);
    }
    else if (Store == 2)
    {
        Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    }
    if (Status != STATUS_SUCCESS)
        fail("making %u pages of %s memory: status 0x%08X", Pages, StoreName, Status);
    if (Store != 0)
        Fill((volatile ULONG *)Base, Pages);
    /* Function n returns x + n, n the decimal digits pasted: 1DD..4DD with D in 0..7. */
    for (i = 0; i < CODE_PAGES; i++)
        Expected += (i / 64 + 1) * 100 + (i / 8 % 8) * 10 + i % 8;
    CallAll(Random, 0);

    PvbQueryCounters(&Before);
    if (Read && Store == 0)
        Bad = CallAll(Random, CODE_PAGES) != Expected;
    else if (Read)
        Bad = ReadBack((volatile ULONG *)Base, Pages, Random);
    PvbQueryCounters(&After);

    Reads(&Before, Store, &CallsBefore, &ReadBefore);
    Reads(&After, Store, &CallsAfter, &ReadAfter);
    PvbFormatFaults(Faults, sizeof(Faults), "", &Before, &After);
    PvPrint("pvbench cluster store=%s pattern=%s read=%u pages=%u%s calls=%u pages_read=%u "
            "bad=%u\n", StoreName, Pattern, Read, Pages, Faults, CallsAfter - CallsBefore,
            ReadAfter - ReadBefore, Bad);
    return Bad ? 1 : 0;
}
