/*
 * inpage-user - in-page errors (run with --inject-pagefile-errors read:nth=1: the host fails
 * the first page the pagefile reads, as a disk error or a bad checksum would). 2 MiB at
 * 0x10000000 are written one page at a time, more than --mem 3M can hold, so the first pages
 * go to the pagefile and their frames are reused. Then the first page is touched again:
 *   (no argument) by the process itself: the read fails, the process ends with
 *     STATUS_IN_PAGE_ERROR (0xC0000006), its exit line says where; the next image runs.
 *   "syscall": by the kernel, copying from it for PvDisplayString: the call fails with
 *     STATUS_IN_PAGE_ERROR and the process goes on; its PTE still names the pagefile slot, so
 *     touching the page again reads it (the injected failure was a one-off) intact.
 * NEEDS-PAGEFILE
 * Expected (no argument): begin, the write line, then the in-page error exit line.
 */
#include <ntapi.h>

#define BASE  0x10000000u
#define SIZE  (2u << 20)

/* Touched with every page written: the image's data page (and stack and code) stay in use,
 * so the first page that has to be read back is the first page of the 2 MiB. */
static volatile ULONG Stored;

static __attribute__((noinline)) void Store(volatile ULONG *Word, ULONG Value)
{
    *Word = Value;
    Stored++;
}

int main(int argc, char **argv)
{
    PVOID Base = (PVOID)BASE;
    SIZE_T Size = SIZE;
    volatile ULONG *Words = (volatile ULONG *)BASE;
    ULONG i;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 2 MiB at 0x%08X", BASE);
    for (i = 0; i < SIZE / 4096; i++)
        Store(&Words[i * 1024], 0x1A9E0000u + i);
    msg("wrote 2 MiB, one word per page");
    if (argc > 1 && strcmp(argv[1], "syscall") == 0)
    {
        check_status(PvDisplayString((const char *)BASE, 4), STATUS_IN_PAGE_ERROR,
                     "PvDisplayString from the first page fails");
        CHECK(Words[0] == 0x1A9E0000u, "touching it again reads it back intact");
        msg("end");
        return 0;
    }
    msg("first page holds 0x%08X", Words[0]);
    msg("end");
    return 0;
}
