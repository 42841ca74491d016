/*
 * pc-ring.h - the bounded buffer the producer/consumer images share: a named pagefile-backed
 * section holding a ring of PC_RING_ENTRIES records of PC_RECORD_BYTES (256 KiB, 64 pages),
 * and two named semaphores, "pc-empty" (free slots, starts at PC_RING_ENTRIES) and "pc-full"
 * (filled slots, starts at 0). Either side may start first: both create with OBJ_OPENIF.
 * Record n goes to slot n % PC_RING_ENTRIES; its words are a function of n, so the consumer
 * checks order and content.
 */
#ifndef PC_RING_H
#define PC_RING_H

#include <ntapi.h>

#define PC_RING_ENTRIES 256u
#define PC_RECORD_BYTES 1024u
#define PC_RECORD_WORDS (PC_RECORD_BYTES / 4u)
#define PC_RING_BYTES   (PC_RING_ENTRIES * PC_RECORD_BYTES)
#define PC_DEFAULT_RECORDS 100000u

typedef struct _PC_RECORD
{
    ULONG Sequence;
    ULONG Words[PC_RECORD_WORDS - 1];
} PC_RECORD;

typedef struct _PC_RING
{
    HANDLE Section, Empty, Full;
    volatile PC_RECORD *Slots;
} PC_RING;

static inline ULONG PcWord(ULONG Sequence, ULONG Index)
{
    return (Sequence * 2654435761u) ^ (Index * 40503u) ^ 0x5A5A5A5Au;
}

static inline void PcName(OBJECT_ATTRIBUTES *Attributes, UNICODE_STRING *Name,
                          const WCHAR *Text)
{
    RtlInitUnicodeString(Name, Text);
    InitializeObjectAttributes(Attributes, Name, OBJ_OPENIF, NULL, NULL);
}

/* Opens (or creates) the section and both semaphores and maps the ring. */
static inline void PcOpenRing(PC_RING *Ring)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    ULONGLONG Size = PC_RING_BYTES;
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    NTSTATUS Status;

    PcName(&Attributes, &Name, u"pc-ring");
    Status = NtCreateSection(&Ring->Section, SECTION_ALL_ACCESS, &Attributes, &Size,
                             PAGE_READWRITE, SEC_COMMIT, NULL);
    if (Status != STATUS_SUCCESS && Status != STATUS_OBJECT_NAME_EXISTS)
        fail("open the ring section: 0x%08X", (ULONG)Status);
    PcName(&Attributes, &Name, u"pc-empty");
    Status = NtCreateSemaphore(&Ring->Empty, 0, &Attributes, PC_RING_ENTRIES, PC_RING_ENTRIES);
    if (Status != STATUS_SUCCESS && Status != STATUS_OBJECT_NAME_EXISTS)
        fail("open pc-empty: 0x%08X", (ULONG)Status);
    PcName(&Attributes, &Name, u"pc-full");
    Status = NtCreateSemaphore(&Ring->Full, 0, &Attributes, 0, PC_RING_ENTRIES);
    if (Status != STATUS_SUCCESS && Status != STATUS_OBJECT_NAME_EXISTS)
        fail("open pc-full: 0x%08X", (ULONG)Status);
    Status = NtMapViewOfSection(Ring->Section, NtCurrentProcess(), &Base, 0, 0, NULL,
                                &ViewSize, ViewUnmap, 0, PAGE_READWRITE);
    if (Status != STATUS_SUCCESS || ViewSize != PC_RING_BYTES)
        fail("map the ring: 0x%08X", (ULONG)Status);
    Ring->Slots = (volatile PC_RECORD *)Base;
}

/* Keystroke mode: a record's first word is the key, or PC_END_OF_KEYS after the last. */
#define PC_END_OF_KEYS 0xFFFFFFFFu

static inline BOOLEAN PcKeysMode(int argc, char **argv)
{
    return argc > 1 && strcmp(argv[1], "keys") == 0;
}

/* "pc-done": the consumer sets it when it has printed everything (keystroke mode), so that
 * the producer's last lines never cut into the keys on the screen. */
static inline HANDLE PcOpenDoneEvent(void)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    HANDLE Event;
    NTSTATUS Status;

    PcName(&Attributes, &Name, u"pc-done");
    Status = NtCreateEvent(&Event, 0, &Attributes, NotificationEvent, FALSE);
    if (Status != STATUS_SUCCESS && Status != STATUS_OBJECT_NAME_EXISTS)
        fail("open pc-done: 0x%08X", (ULONG)Status);
    return Event;
}

static inline ULONG PcRecordCount(int argc, char **argv)
{
    ULONG Count = 0;
    const char *p;

    if (argc < 2)
        return PC_DEFAULT_RECORDS;
    for (p = argv[1]; *p >= '0' && *p <= '9'; p++)
        Count = Count * 10 + (ULONG)(*p - '0');
    return Count;
}

#endif /* PC_RING_H */
