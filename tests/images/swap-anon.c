/*
 * swap-anon - port of KAIST Pintos' swap-anon (vm-test-suites.md 1.5 and catalog D.18): a
 * 20 MiB array in bss, run with 10 MiB of RAM: the first byte of each of its 5120 pages gets
 * (char)i, then every page is checked, from the first. Each page is dirty and alone on its page
 * (4095 bytes of zeros around one byte), so nearly 3000 of them must go to the pagefile and
 * come back; and when every page of a 4 MiB stretch has left RAM, the page table that maps it
 * is itself written to the pagefile and read back when the check gets there. The image checks
 * through PvQueryMmCounters that both happened.
 * NEEDS-PAGEFILE
 * Expected: begin, a line every 1024 pages of each pass, the two paging checks, end.
 */
#include <ntapi.h>

#define PAGES 5120u

static char Array[PAGES * 4096u];

int main(void)
{
    PV_MM_COUNTERS Before, After;
    ULONG i;

    msg("begin");
    PvQueryMmCounters(&Before, sizeof(Before));
    for (i = 0; i < PAGES; i++)
    {
        Array[i * 4096u] = (char)i;
        if ((i + 1) % 1024 == 0)
            msg("wrote pages %u-%u", i - 1023, i);
    }
    for (i = 0; i < PAGES; i++)
    {
        if (Array[i * 4096u] != (char)i)
            fail("page %u holds %d, expected %d", i, Array[i * 4096u], (char)i);
        if ((i + 1) % 1024 == 0)
            msg("checked pages %u-%u", i - 1023, i);
    }
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(After.DirtyPagesWritten - Before.DirtyPagesWritten >= 2000 &&
              After.PagesRead - Before.PagesRead >= 2000,
          "thousands of pages went to the pagefile and came back");
    CHECK(After.PageTablesOut > Before.PageTablesOut && After.PageTablesIn > Before.PageTablesIn,
          "page tables left memory and came back");
    msg("end");
    return 0;
}
