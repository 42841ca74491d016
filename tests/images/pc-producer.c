/*
 * pc-producer - the producer of the bounded-buffer experiment (with pc-consumer): N records
 * (argv[1], default 100,000) into the named section ring (pc-ring.h), each after waiting on
 * "pc-empty" and announced by releasing "pc-full". Run both at once: `pagevisor run --parallel
 * pc-producer.elf -- pc-consumer.elf`; in small RAM the ring's pages go to the pagefile and
 * back while the two processes take turns.
 * Expected: begin, the count produced, end; "pc-producer: exit(0)".
 */
#include "pc-ring.h"

int main(int argc, char **argv)
{
    PC_RING Ring;
    ULONG Count = PcRecordCount(argc, argv), Sequence, Index;

    msg("begin");
    PcOpenRing(&Ring);
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
