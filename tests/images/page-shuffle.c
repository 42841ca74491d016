/*
 * page-shuffle - port of Pintos' page-shuffle: a 128 KiB buffer (32 pages) filled with
 * i * 257 (as bytes), then shuffled ten times with the Pintos PRNG, its POSIX cksum printed
 * after each shuffle. The checksums are Pintos' own (vm-test-suites.md 1.4), so the pages must
 * come back intact however often they leave. The process limits its own working set to 16
 * pages (PvSetWorkingSetLimits; code, stack and page tables count too), so every shuffle pushes
 * the buffer's pages out FIFO: they go to the Modified list, the pagefile, Standby, and come
 * back by soft faults, or by page-ins when RAM is short (the case runs with pv.burnpages so
 * that it is).
 *
 * The PRNG is Pintos' lib/random.c: RC4 keyed with the 4 little-endian bytes of the seed
 * (random_init(0) before the test), random_ulong() the next 4 keystream bytes; shuffle() from
 * tests/lib.c: for i in 0..cnt-1, j = i + random_ulong() % (cnt - i), swap bytes i and j.
 * With the argument "paged" (the integration case, which makes RAM short with pv.burnpages) it
 * also checks its counters: pages went to the pagefile and came back by soft faults.
 * Expected: begin, the working-set line, init and the ten shuffle checksums, end.
 */
#include <ntapi.h>

#define SIZE (128u * 1024u)

static unsigned char Buffer[SIZE];
static struct arc4 Random;

static void RandomInit(ULONG Seed)
{
    unsigned char Key[4] = { (unsigned char)Seed, (unsigned char)(Seed >> 8),
                             (unsigned char)(Seed >> 16), (unsigned char)(Seed >> 24) };

    arc4_init(&Random, Key, sizeof(Key));
}

static ULONG RandomUlong(void)
{
    unsigned char Bytes[4] = { 0, 0, 0, 0 };

    arc4_crypt(&Random, Bytes, sizeof(Bytes));   /* zeros XOR keystream: the keystream */
    return Bytes[0] | (Bytes[1] << 8) | (Bytes[2] << 16) | ((ULONG)Bytes[3] << 24);
}

static void Shuffle(unsigned char *Bytes, ULONG Count)
{
    ULONG i;

    for (i = 0; i < Count; i++)
    {
        ULONG j = i + RandomUlong() % (Count - i);
        unsigned char Swap = Bytes[i];

        Bytes[i] = Bytes[j];
        Bytes[j] = Swap;
    }
}

int main(int argc, char **argv)
{
    PV_MM_COUNTERS Before, After;
    ULONG i;

    RandomInit(0);
    PvQueryMmCounters(&Before, sizeof(Before));
    msg("begin");
    check_status(PvSetWorkingSetLimits(8, 16), STATUS_SUCCESS,
                 "limit the working set to 16 pages");
    for (i = 0; i < SIZE; i++)
        Buffer[i] = (unsigned char)(i * 257);
    msg("init: cksum=%lu", cksum(Buffer, SIZE));
    for (i = 0; i < 10; i++)
    {
        Shuffle(Buffer, SIZE);
        msg("shuffle %u: cksum=%lu", i, cksum(Buffer, SIZE));
    }
    PvQueryMmCounters(&After, sizeof(After));
    if (argc > 1 && strcmp(argv[1], "paged") == 0)
        CHECK(After.DirtyPagesWritten > Before.DirtyPagesWritten &&
                  After.FaultsByResolution[PV_FAULT_TRANSITION] -
                          Before.FaultsByResolution[PV_FAULT_TRANSITION] > 100000,
              "pages went to the pagefile and came back by soft faults");
    msg("end");
    return 0;
}
