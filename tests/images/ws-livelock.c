/*
 * ws-livelock - forward progress when memory is short: eight writer processes (copies of this
 * image, argv "writer I ROUND") take turns, by eight named semaphores passed round a ring, at
 * writing their interleaved 64-byte slots of one named 64 KiB section, PASSES times each; every
 * writer also keeps a private 32 KiB buffer busy, so that in small RAM (--mem 2M) the eight
 * working sets press on each other and on the section's pages. The parent then checks every
 * slot holds the last pass of the writer that owns it. argv[1] = rounds (default 1): the whole
 * exercise runs that many times in one boot, with fresh names each round. It used to livelock:
 * a fault trimmed the faulting process's own pages below its minimum, evicting the other page
 * the same instruction needed (mm/wsmanagr.c says what protects them now).
 * Expected: begin, one line per round, end; 8 x ROUNDS "ws-livelock: exit(0)" from the writers
 * and one from itself (tests/images/ws-livelock.expected: one round, as QEMU runs it;
 * tests/integration/expected/ws-livelock.expected: the 20 rounds of the integration case).
 * ORDER-ANY
 */
#include <ntapi.h>

#define WRITERS      8u
#define SECTION_SIZE (64u * 1024u)
#define SLOT_SIZE    64u
#define PASSES       12u
#define PRIVATE_SIZE (32u * 1024u)

static void MakeName(UNICODE_STRING *Name, WCHAR *Buffer, const char *Prefix, ULONG Round,
                     ULONG Index)
{
    char Text[32];
    ULONG i;

    RtlFormatString(Text, sizeof(Text), "%s-%lu-%lu", Prefix, (unsigned long)Round,
                    (unsigned long)Index);
    for (i = 0; Text[i] != '\0'; i++)
        Buffer[i] = (WCHAR)Text[i];
    Buffer[i] = 0;
    RtlInitUnicodeString(Name, Buffer);
}

static unsigned char *MapData(ULONG Round, BOOLEAN Create, HANDLE *Section)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    WCHAR Buffer[32];
    ULONGLONG Size = SECTION_SIZE;
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    NTSTATUS Status;

    MakeName(&Name, Buffer, "wsl-data", Round, 0);
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    Status = Create ? NtCreateSection(Section, SECTION_ALL_ACCESS, &Attributes, &Size,
                                      PAGE_READWRITE, SEC_COMMIT, NULL)
                    : NtOpenSection(Section, SECTION_ALL_ACCESS, &Attributes);
    if (Status != STATUS_SUCCESS)
        fail("%s the section: 0x%08X", Create ? "create" : "open", (ULONG)Status);
    Status = NtMapViewOfSection(*Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                ViewUnmap, 0, PAGE_READWRITE);
    if (Status != STATUS_SUCCESS)
        fail("map the section: 0x%08X", (ULONG)Status);
    return Base;
}

static HANDLE Semaphore(ULONG Round, ULONG Index, BOOLEAN Create)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    WCHAR Buffer[32];
    HANDLE Handle;
    NTSTATUS Status;

    MakeName(&Name, Buffer, "wsl-turn", Round, Index);
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    Status = Create ? NtCreateSemaphore(&Handle, 0, &Attributes, Index == 0 ? 1 : 0, 1)
                    : NtOpenSemaphore(&Handle, 0, &Attributes);
    if (Status != STATUS_SUCCESS)
        fail("%s semaphore %lu: 0x%08X", Create ? "create" : "open", (unsigned long)Index,
             (ULONG)Status);
    return Handle;
}

/* The value writer Index leaves in byte j of its slot on pass Pass. */
static unsigned char SlotByte(ULONG Index, ULONG Pass, ULONG j)
{
    return (unsigned char)(Index * 31u + Pass * 7u + j);
}

static int Writer(ULONG Index, ULONG Round)
{
    HANDLE Section, Mine = Semaphore(Round, Index, FALSE);
    HANDLE Next = Semaphore(Round, (Index + 1) % WRITERS, FALSE);
    volatile unsigned char *Data = MapData(Round, FALSE, &Section);
    PVOID Base = NULL;
    SIZE_T Size = PRIVATE_SIZE;
    volatile unsigned char *Private;
    ULONG Pass, Offset, j, Sum = 0;

    if (NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                PAGE_READWRITE) != STATUS_SUCCESS)
        fail("writer %lu: allocate its buffer", (unsigned long)Index);
    Private = Base;
    for (Pass = 0; Pass < PASSES; Pass++)
    {
        if (NtWaitForSingleObject(Mine, FALSE, NULL) != STATUS_SUCCESS)
            fail("writer %lu: wait for its turn", (unsigned long)Index);
        for (Offset = Index * SLOT_SIZE; Offset < SECTION_SIZE; Offset += WRITERS * SLOT_SIZE)
            for (j = 0; j < SLOT_SIZE; j++)
                Data[Offset + j] = SlotByte(Index, Pass, j);
        for (Offset = 0; Offset < PRIVATE_SIZE; Offset += 1024u)
        {
            Private[Offset] = (unsigned char)(Private[Offset] + Pass);
            Sum += Private[Offset];
        }
        if (NtReleaseSemaphore(Next, 1, NULL) != STATUS_SUCCESS)
            fail("writer %lu: pass the turn", (unsigned long)Index);
    }
    /* Every private byte went 0, 0+0, 0+0+1, ...: its sum over the passes. */
    if (Private[0] != (PASSES * (PASSES - 1) / 2) % 256)
        fail("writer %lu: its buffer lost a write (%u)", (unsigned long)Index, Private[0]);
    (void)Sum;
    return 0;
}

static void Round(ULONG Round)
{
    HANDLE Section, Turns[WRITERS], Writers[WRITERS];
    unsigned char *Data = MapData(Round, TRUE, &Section);
    PROCESS_BASIC_INFORMATION Info;
    ULONG i, Length, Offset, j, Wrong = 0;

    for (i = 0; i < WRITERS; i++)
        Turns[i] = Semaphore(Round, i, TRUE);
    for (i = 0; i < WRITERS; i++)
    {
        char Arguments[24];
        RtlFormatString(Arguments, sizeof(Arguments), "writer %lu %lu", (unsigned long)i,
                        (unsigned long)Round);
        if (PvCreateProcess("ws-livelock", Arguments, &Writers[i]) != STATUS_SUCCESS)
            fail("round %lu: start writer %lu", (unsigned long)Round, (unsigned long)i);
    }
    for (i = 0; i < WRITERS; i++)
    {
        if (NtWaitForSingleObject(Writers[i], FALSE, NULL) != STATUS_SUCCESS ||
            NtQueryInformationProcess(Writers[i], ProcessBasicInformation, &Info, sizeof(Info),
                                      &Length) != STATUS_SUCCESS)
            fail("round %lu: wait for writer %lu", (unsigned long)Round, (unsigned long)i);
        if (Info.ExitStatus != 0)
            fail("round %lu: writer %lu ended with 0x%08X", (unsigned long)Round,
                 (unsigned long)i, (ULONG)Info.ExitStatus);
        NtClose(Writers[i]);
    }
    for (Offset = 0; Offset < SECTION_SIZE; Offset += SLOT_SIZE)
        for (j = 0; j < SLOT_SIZE; j++)
            Wrong += Data[Offset + j] != SlotByte((Offset / SLOT_SIZE) % WRITERS, PASSES - 1, j);
    CHECK(Wrong == 0, "round %lu: 8 writers x %u passes, every slot holds its last pass",
          (unsigned long)Round, PASSES);
    for (i = 0; i < WRITERS; i++)
        NtClose(Turns[i]);
    NtUnmapViewOfSection(NtCurrentProcess(), Data);
    NtClose(Section);
}

static ULONG Number(const char *Text)
{
    ULONG Value = 0;

    while (*Text >= '0' && *Text <= '9')
        Value = Value * 10 + (ULONG)(*Text++ - '0');
    return Value;
}

int main(int argc, char **argv)
{
    ULONG Rounds = argc >= 2 ? Number(argv[1]) : 1, i;

    if (argc == 4 && strcmp(argv[1], "writer") == 0)
        return Writer(Number(argv[2]), Number(argv[3]));
    if (Rounds == 0)
        Rounds = 1;
    msg("begin");
    for (i = 0; i < Rounds; i++)
        Round(i);
    msg("end");
    return 0;
}
