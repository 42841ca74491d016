/*
 * clean-dirty - clean pages cost no pagefile writes, dirty ones do (catalog D.19, after Pintos'
 * mmap-clean). 3.5 MiB at 0x10000000 (one page table) is reserved and committed, more than
 * the process can keep with --mem 4M, and walked twice from start to end:
 *   "clean": only read. Every page is a demand-zero page mapped without its Dirty bit; when it
 *     leaves the working set it goes to Standby, and when its frame is reused its PTE becomes
 *     a demand-zero PTE again: the second walk reads zeros from fresh zero pages. Nothing is
 *     written to the pagefile (the case checks the host's counter too).
 *   "dirty": each page gets its own index written into it; the second walk checks them: the
 *     pages went to the pagefile and came back.
 * ARGS: clean
 * NEEDS-PAGEFILE
 * Expected (clean): begin, the walk and counter lines, end; "clean-dirty: exit(0)".
 */
#include <ntapi.h>

#define BASE  0x10000000u
#define SIZE  (3584u * 1024u)
#define PAGES (SIZE >> 12)

int main(int argc, char **argv)
{
    PVOID Base = (PVOID)BASE;
    SIZE_T Size = SIZE;
    volatile ULONG *Words = (volatile ULONG *)BASE;
    PV_MM_COUNTERS Before, After;
    BOOLEAN Dirty = argc > 1 && strcmp(argv[1], "dirty") == 0;
    ULONG Pass, i, Wrong = 0;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve and commit 3.5 MiB at 0x%08X", BASE);
    PvQueryMmCounters(&Before, sizeof(Before));
    for (Pass = 0; Pass < 2; Pass++)
    {
        for (i = 0; i < PAGES; i++)
        {
            ULONG Value = Words[i * 1024];

            if (Dirty && Pass == 0)
                Words[i * 1024] = i + 1;
            else if (Value != (Dirty ? i + 1 : 0))
                Wrong++;
        }
        msg("%s walk %u done", Dirty ? "write/check" : "read-only", Pass + 1);
    }
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(Wrong == 0, "every page read what it should (%s)", Dirty ? "its index" : "zero");
    if (Dirty)
    {
        CHECK(After.DirtyPagesWritten - Before.DirtyPagesWritten >= PAGES / 4 &&
                  After.PagesRead > Before.PagesRead,
              "dirty pages went to the pagefile and came back");
    }
    else
    {
        CHECK(After.DirtyPagesWritten == Before.DirtyPagesWritten &&
                  After.PagesRead == Before.PagesRead && After.StandbyReused > Before.StandbyReused,
              "clean pages were dropped and reused, none written to the pagefile");
    }
    msg("end");
    return 0;
}
