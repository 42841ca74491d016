/*
 * page-linear - port of Pintos' page-linear: a 2 MiB buffer in bss, larger than the memory
 * the process can have, walked from start to end five times: filled with 0x5A, read back,
 * encrypted in place with ARC4 keyed "foobar", decrypted again the same way (ARC4 twice is
 * the identity), read back. Every pass pushes the oldest pages out (FIFO), so dirty pages go
 * to the pagefile and come back by page-in (or soft faults while they are still on a list).
 * Run with small RAM (--mem 3M: about 450 pages for a 512-page buffer) or a small working set.
 * Then the image checks with PvQueryMmCounters that it did page: pages were written by the
 * modified page writer and read back (a case with --mem 3M sees both; with more RAM only the
 * lines up to "end" are the same, so the counter check is printed only when it pages).
 * NEEDS-PAGEFILE
 * Expected: the Pintos lines, end; "page-linear: exit(0)".
 */
#include <ntapi.h>

#define SIZE (2u << 20)

static char Buffer[SIZE];

static void Verify(void)
{
    ULONG i;

    msg("read pass");
    for (i = 0; i < SIZE; i++)
        if (Buffer[i] != 0x5A)
            fail("byte %u != 0x5a", i);
}

int main(void)
{
    struct arc4 Arc4;
    PV_MM_COUNTERS Before, After;

    msg("begin");
    PvQueryMmCounters(&Before, sizeof(Before));
    msg("initialize");
    memset(Buffer, 0x5A, sizeof(Buffer));
    Verify();
    msg("read/modify/write pass one");
    arc4_init(&Arc4, "foobar", 6);
    arc4_crypt(&Arc4, Buffer, SIZE);
    msg("read/modify/write pass two");
    arc4_init(&Arc4, "foobar", 6);
    arc4_crypt(&Arc4, Buffer, SIZE);
    Verify();
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(After.DirtyPagesWritten > Before.DirtyPagesWritten &&
              After.PagesRead > Before.PagesRead,
          "pages went to the pagefile and came back");
    msg("end");
    return 0;
}
