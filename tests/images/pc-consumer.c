/*
 * pc-consumer - the consumer of the bounded-buffer experiment (with pc-producer): N records
 * (argv[1], default 100,000) out of the named section ring (pc-ring.h), each after waiting on
 * "pc-full" and given back by releasing "pc-empty"; every record must come in order with the
 * producer's content. At the end it checks that the ring paged: pagefile writes and reads
 * happened (PvQueryMmCounters) when argv[2] is "paged".
 * With argv[1] "keys" it prints each key the producer sends as it arrives, until the end
 * record, then sets "pc-done": the interactive bounded-buffer demo.
 * Expected: begin, the count consumed in order, (the paging check), end; "pc-consumer: exit(0)".
 */
#include "pc-ring.h"

/* Each key on the screen as soon as it is out of the ring. */
static int ConsumeKeys(PC_RING *Ring)
{
    HANDLE Done = PcOpenDoneEvent();
    ULONG Sequence;
    char Last = '\n';

    for (Sequence = 0;; Sequence++)
    {
        volatile PC_RECORD *Record = &Ring->Slots[Sequence % PC_RING_ENTRIES];
        ULONG Key;
        NTSTATUS Status = NtWaitForSingleObject(Ring->Full, FALSE, NULL);

        if (Status != STATUS_SUCCESS)
            fail("wait for key %lu: 0x%08X", (unsigned long)Sequence, (ULONG)Status);
        if (Record->Sequence != Sequence)
            fail("key %lu: slot holds record %lu", (unsigned long)Sequence,
                 (unsigned long)Record->Sequence);
        Key = Record->Words[0];
        NtReleaseSemaphore(Ring->Empty, 1, NULL);
        if (Key == PC_END_OF_KEYS)
            break;
        Last = (char)Key;
        PvDisplayString(&Last, 1);
    }
    if (Last != '\n')
        PvDisplayString("\n", 1);
    msg("received %lu keys", (unsigned long)Sequence);
    NtSetEvent(Done, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    PC_RING Ring;
    PV_MM_COUNTERS Counters;
    ULONG Count = PcRecordCount(argc, argv), Sequence, Index;

    msg("begin");
    PcOpenRing(&Ring);
    if (PcKeysMode(argc, argv))
        return ConsumeKeys(&Ring);
    for (Sequence = 0; Sequence < Count; Sequence++)
    {
        volatile PC_RECORD *Record = &Ring.Slots[Sequence % PC_RING_ENTRIES];
        NTSTATUS Status = NtWaitForSingleObject(Ring.Full, FALSE, NULL);

        if (Status != STATUS_SUCCESS)
            fail("wait for a record: 0x%08X", (ULONG)Status);
        if (Record->Sequence != Sequence)
            fail("record %lu: slot holds record %lu", (unsigned long)Sequence,
                 (unsigned long)Record->Sequence);
        for (Index = 0; Index < PC_RECORD_WORDS - 1; Index++)
            if (Record->Words[Index] != PcWord(Sequence, Index))
                fail("record %lu word %lu: 0x%08lX, expected 0x%08lX", (unsigned long)Sequence,
                     (unsigned long)Index, (unsigned long)Record->Words[Index],
                     (unsigned long)PcWord(Sequence, Index));
        Status = NtReleaseSemaphore(Ring.Empty, 1, NULL);
        if (Status != STATUS_SUCCESS)
            fail("give back slot %lu: 0x%08X", (unsigned long)Sequence, (ULONG)Status);
    }
    msg("consumed %lu records in order, every word as produced", (unsigned long)Count);
    if (argc > 2 && strcmp(argv[2], "paged") == 0)
    {
        check_status(PvQueryMmCounters(&Counters, sizeof(Counters)), STATUS_SUCCESS,
                     "query the memory manager's counters");
        CHECK(Counters.DirtyPagesWritten > 0 && Counters.PagesRead > 0,
              "the ring went to the pagefile and came back");
    }
    msg("end");
    return 0;
}
