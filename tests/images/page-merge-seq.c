/*
 * page-merge-seq - port of Pintos' page-merge-seq: 16 chunks of 126 * 512 bytes (1,032,192
 * bytes) of ARC4 output ("foobar") in one buffer and a histogram of its bytes; each chunk is
 * sorted by a counting sort that works in a separate 128 KiB buffer (Pintos' child-sort, which
 * sorts a chunk written to a file and returns 123; processes cannot start others here, so the
 * image does the children's work itself, one chunk after another as page-merge-seq runs them);
 * then a 16-way merge into a second buffer of the same size, checked against the histogram.
 * About 2.1 MiB of data in all, so with --mem 3M (about 450 pages for 520) the merge pages:
 * the merge pointers walk all 16 chunks at once.
 * Expected: Pintos' lines (init, sort chunk 0..15, merge, verify, "success, buf_idx=1,032,192"),
 * then end.
 */
#include <ntapi.h>

#define CHUNK_SIZE (126u * 512u)
#define CHUNK_COUNT 16u
#define DATA_SIZE (CHUNK_COUNT * CHUNK_SIZE)

static unsigned char Buffer1[DATA_SIZE], Buffer2[DATA_SIZE];
static ULONG Histogram[256];
static unsigned char SortBuffer[128u * 1024u];   /* child-sort's buffer */

static void Initialize(void)
{
    struct arc4 Arc4;
    ULONG i;

    msg("init");
    arc4_init(&Arc4, "foobar", 6);
    arc4_crypt(&Arc4, Buffer1, sizeof(Buffer1));
    for (i = 0; i < sizeof(Buffer1); i++)
        Histogram[Buffer1[i]]++;
}

/* child-sort: a counting sort of Size bytes in SortBuffer. */
static int ChildSort(ULONG Size)
{
    ULONG Counts[256], i, Value;
    unsigned char *Out = SortBuffer;

    memset(Counts, 0, sizeof(Counts));
    for (i = 0; i < Size; i++)
        Counts[SortBuffer[i]]++;
    for (Value = 0; Value < 256; Value++)
        for (i = 0; i < Counts[Value]; i++)
            *Out++ = (unsigned char)Value;
    return 123;
}

static void SortChunks(void)
{
    ULONG i;

    for (i = 0; i < CHUNK_COUNT; i++)
    {
        msg("sort chunk %u", i);
        memcpy(SortBuffer, Buffer1 + CHUNK_SIZE * i, CHUNK_SIZE);
        if (ChildSort(CHUNK_SIZE) != 123)
            fail("child-sort of chunk %u", i);
        memcpy(Buffer1 + CHUNK_SIZE * i, SortBuffer, CHUNK_SIZE);
    }
}

static void Merge(void)
{
    unsigned char *Pointers[CHUNK_COUNT], *Out = Buffer2;
    ULONG Left = CHUNK_COUNT, i;

    msg("merge");
    for (i = 0; i < CHUNK_COUNT; i++)
        Pointers[i] = Buffer1 + CHUNK_SIZE * i;
    while (Left > 0)
    {
        ULONG Min = 0;

        for (i = 1; i < Left; i++)
            if (*Pointers[i] < *Pointers[Min])
                Min = i;
        *Out++ = *Pointers[Min];
        if ((ULONG)(++Pointers[Min] - Buffer1) % CHUNK_SIZE == 0)
            Pointers[Min] = Pointers[--Left];
    }
}

static void Verify(void)
{
    ULONG Index = 0, Value;

    msg("verify");
    for (Value = 0; Value < 256; Value++)
    {
        while (Histogram[Value]-- > 0)
        {
            if (Buffer2[Index] != Value)
                fail("bad value %u in byte %u", Buffer2[Index], Index);
            Index++;
        }
    }
    msg("success, buf_idx=%u,%03u,%03u", Index / 1000000, Index / 1000 % 1000, Index % 1000);
}

int main(void)
{
    msg("begin");
    Initialize();
    SortChunks();
    Merge();
    Verify();
    msg("end");
    return 0;
}
