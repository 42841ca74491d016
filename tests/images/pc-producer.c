/*
 * pc-producer - the producer of the bounded-buffer experiment (with pc-consumer): N records
 * (argv[1], default 100,000) into the named section ring (pc-ring.h), each after waiting on
 * "pc-empty" and announced by releasing "pc-full". Run both at once: `pagevisor run --parallel
 * pc-producer.elf -- pc-consumer.elf`; in small RAM the ring's pages go to the pagefile and
 * back while the two processes take turns.
 * With argv[1] "keys" it reads the keys typed at pagevisor's terminal (or its standard input)
 * instead and sends one record per key, then an end record at end of input (Ctrl-D), and waits
 * for the consumer to say it printed them all: the interactive bounded-buffer demo.
 * Expected: begin, the count produced, end; "pc-producer: exit(0)".
 */
#include "pc-ring.h"

static void PcSend(PC_RING *Ring, ULONG Sequence, ULONG Key)
{
    volatile PC_RECORD *Record = &Ring->Slots[Sequence % PC_RING_ENTRIES];
    NTSTATUS Status = NtWaitForSingleObject(Ring->Empty, FALSE, NULL);

    if (Status != STATUS_SUCCESS)
        fail("wait for a free slot: 0x%08X", (ULONG)Status);
    Record->Words[0] = Key;
    Record->Sequence = Sequence;
    Status = NtReleaseSemaphore(Ring->Full, 1, NULL);
    if (Status != STATUS_SUCCESS)
        fail("announce key %lu: 0x%08X", (unsigned long)Sequence, (ULONG)Status);
}

/* Every key typed becomes a record, as it comes. */
static int ProduceKeys(PC_RING *Ring)
{
    HANDLE Done = PcOpenDoneEvent();
    char Keys[64];
    ULONG Read = 0, Sent = 0, i;
    NTSTATUS Status;

    while ((Status = PvReadConsole(Keys, sizeof(Keys), &Read)) == STATUS_SUCCESS)
        for (i = 0; i < Read; i++)
            PcSend(Ring, Sent++, (unsigned char)Keys[i]);
    if (Status != STATUS_END_OF_FILE)
        fail("read the keys: 0x%08X", (ULONG)Status);
    PcSend(Ring, Sent, PC_END_OF_KEYS);
    check_status(NtWaitForSingleObject(Done, FALSE, NULL), STATUS_SUCCESS,
                 "the consumer printed every key");
    msg("sent %lu keys", (unsigned long)Sent);
    return 0;
}

int main(int argc, char **argv)
{
    PC_RING Ring;
    ULONG Count = PcRecordCount(argc, argv), Sequence, Index;

    msg("begin");
    PcOpenRing(&Ring);
    if (PcKeysMode(argc, argv))
        return ProduceKeys(&Ring);
    for (Sequence = 0; Sequence < Count; Sequence++)
    {
        volatile PC_RECORD *Record = &Ring.Slots[Sequence % PC_RING_ENTRIES];
        NTSTATUS Status = NtWaitForSingleObject(Ring.Empty, FALSE, NULL);

        if (Status != STATUS_SUCCESS)
            fail("wait for a free slot: 0x%08X", (ULONG)Status);
        for (Index = 0; Index < PC_RECORD_WORDS - 1; Index++)
            Record->Words[Index] = PcWord(Sequence, Index);
        Record->Sequence = Sequence;
        Status = NtReleaseSemaphore(Ring.Full, 1, NULL);
        if (Status != STATUS_SUCCESS)
            fail("announce record %lu: 0x%08X", (unsigned long)Sequence, (ULONG)Status);
    }
    msg("produced %lu records", (unsigned long)Count);
    msg("end");
    return 0;
}
