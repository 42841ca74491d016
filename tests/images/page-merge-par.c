/*
 * page-merge-par - port of Pintos' page-merge-par over a section instead of files: the parent
 * fills 1 MiB of a named section ("merge-data") with ARC4 bytes, starts eight copies of itself
 * as children (argv[1] = "child", argv[2] = chunk index) that each sort their 128 KiB chunk in
 * place through their own view (a counting sort, as Pintos' child-sort), waits for them, then
 * merges the eight sorted chunks into a private buffer and checks the result is sorted and
 * holds the same bytes (histograms equal). Every process maps the same section: the sorted
 * chunks reach the parent through shared pages, in small RAM through the pagefile.
 * Expected (children's lines interleave): parent begin, init, 8 starts, 8 waits, merge, check,
 * end; eight "page-merge-par: exit(123)" from the children.
 * ORDER-ANY
 */
#include <ntapi.h>

#define CHUNK_SIZE (128u * 1024u)
#define CHUNK_CNT  8u
#define DATA_SIZE  (CHUNK_SIZE * CHUNK_CNT)

/* The parent's merge buffer, allocated by the parent only (children would each be charged
 * for it if it were in bss). */
static unsigned char *Merged;

static unsigned char *MapData(BOOLEAN Create)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    ULONGLONG Size = DATA_SIZE;
    HANDLE Section;
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    NTSTATUS Status;

    RtlInitUnicodeString(&Name, u"merge-data");
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    Status = Create ? NtCreateSection(&Section, SECTION_ALL_ACCESS, &Attributes, &Size,
                                      PAGE_READWRITE, SEC_COMMIT, NULL)
                    : NtOpenSection(&Section, SECTION_ALL_ACCESS, &Attributes);
    if (Status != STATUS_SUCCESS)
        fail("%s the section: 0x%08X", Create ? "create" : "open", (ULONG)Status);
    Status = NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                ViewUnmap, 0, PAGE_READWRITE);
    if (Status != STATUS_SUCCESS)
        fail("map the section: 0x%08X", (ULONG)Status);
    return Base;
}

/* Pintos' child-sort: a histogram of the chunk, then the chunk rewritten in order. */
static int SortChunk(ULONG Chunk)
{
    unsigned char *Data = MapData(FALSE) + Chunk * CHUNK_SIZE;
    static ULONG Histogram[256];
    ULONG i, Value, Out = 0;

    for (i = 0; i < CHUNK_SIZE; i++)
        Histogram[Data[i]]++;
    for (Value = 0; Value < 256; Value++)
        for (i = 0; i < Histogram[Value]; i++)
            Data[Out++] = (unsigned char)Value;
    return 123;
}

static void Merge(const unsigned char *Data)
{
    ULONG Position[CHUNK_CNT] = { 0 }, Out, Chunk;

    for (Out = 0; Out < DATA_SIZE; Out++)
    {
        ULONG Best = CHUNK_CNT;
        for (Chunk = 0; Chunk < CHUNK_CNT; Chunk++)
            if (Position[Chunk] < CHUNK_SIZE &&
                (Best == CHUNK_CNT || Data[Chunk * CHUNK_SIZE + Position[Chunk]] <
                                          Data[Best * CHUNK_SIZE + Position[Best]]))
                Best = Chunk;
        Merged[Out] = Data[Best * CHUNK_SIZE + Position[Best]++];
    }
}

int main(int argc, char **argv)
{
    static ULONG Before[256], After[256];
    HANDLE Children[CHUNK_CNT];
    PROCESS_BASIC_INFORMATION Info;
    unsigned char *Data;
    struct arc4 Arc4;
    ULONG i, Length, Unsorted = 0;
    char Index[4];

    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return SortChunk((ULONG)(argv[2][0] - '0'));

    msg("begin");
    Data = MapData(TRUE);
    arc4_init(&Arc4, "foobar", 6);
    arc4_crypt(&Arc4, Data, DATA_SIZE);
    for (i = 0; i < DATA_SIZE; i++)
        Before[Data[i]]++;
    msg("init");
    for (i = 0; i < CHUNK_CNT; i++)
    {
        char Arguments[16];
        Index[0] = (char)('0' + i);
        Index[1] = '\0';
        RtlFormatString(Arguments, sizeof(Arguments), "child %s", Index);
        check_status(PvCreateProcess("page-merge-par", Arguments, &Children[i]), STATUS_SUCCESS,
                     "sort chunk %lu", (unsigned long)i);
    }
    for (i = 0; i < CHUNK_CNT; i++)
    {
        check_status(NtWaitForSingleObject(Children[i], FALSE, NULL), STATUS_SUCCESS,
                     "wait for child %lu", (unsigned long)i);
        check_status(NtQueryInformationProcess(Children[i], ProcessBasicInformation, &Info,
                                               sizeof(Info), &Length),
                     STATUS_SUCCESS, "query child %lu", (unsigned long)i);
        CHECK(Info.ExitStatus == 123, "child %lu sorted its chunk (exit 123)",
              (unsigned long)i);
    }
    {
        PVOID Base = NULL;
        SIZE_T Size = DATA_SIZE;
        check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                             MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_SUCCESS, "allocate the merge buffer");
        Merged = Base;
    }
    Merge(Data);
    msg("merge");
    for (i = 0; i < DATA_SIZE; i++)
    {
        After[Merged[i]]++;
        Unsorted += i > 0 && Merged[i - 1] > Merged[i];
    }
    CHECK(Unsorted == 0 && memcmp(Before, After, sizeof(Before)) == 0,
          "1 MiB merged: sorted, the same bytes as before");
    msg("end");
    return 0;
}
