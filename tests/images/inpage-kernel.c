/*
 * inpage-kernel - an in-page error on a page the kernel itself needs is bug check 0x7A
 * KERNEL_DATA_INPAGE_ERROR (run with --inject-pagefile-errors read:nth=1 and --mem 3M). One
 * page is written at 0x20000000, alone in its 4 MiB, so it has a page table of its own. Then
 * 4 MiB elsewhere are written, one word per page (fresh pages: nothing is read back): that
 * page goes to the pagefile and its
 * frame is reused, after which its page table maps nothing resident, leaves the working set
 * too, goes to the pagefile and its frame is reused (its PDE becomes a pagefile PDE). The
 * image's code, stack and data stay in use meanwhile, and so does the system DLL (a service
 * call each round: its page table would leave too, and reading it back would come first), so
 * nothing has been read back yet.
 * Then NtAllocateVirtualMemory commits the next page at 0x20000000: to look at its PTEs the
 * kernel touches the page table through the self-map, the fault path reads it back, the
 * host fails that first read, and the kernel stops: *** STOP: 0x0000007A (PTE address of the
 * page table (its PDE), I/O status 0xC0000185, the PDE, the self-map address).
 * NEEDS-PAGEFILE
 * Expected: begin, the lines up to the commit; then the bug check (exit status 113).
 */
#include <ntapi.h>

#define LONE   0x20000000u
#define BIG    0x10000000u
#define BIG_SIZE (4u << 20)

static volatile ULONG Stored;

static __attribute__((noinline)) void Store(volatile ULONG *Word, ULONG Value)
{
    *Word = Value;
    Stored++;
}

int main(void)
{
    PVOID Lone = (PVOID)LONE, Big = (PVOID)BIG, Page;
    SIZE_T Size;
    PV_MM_COUNTERS Counters;
    ULONG i;

    msg("begin");
    Size = 0x10000;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Lone, 0, &Size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve 64 KiB at 0x%08X", LONE);
    Page = Lone;
    Size = 0x1000;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Page, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "commit its first page");
    Store((volatile ULONG *)LONE, 0x10E);
    Size = BIG_SIZE;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Big, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 4 MiB at 0x%08X", BIG);
    for (i = 0; i < BIG_SIZE / 4096; i++)
    {
        Store((volatile ULONG *)(BIG + i * 4096), i);
        NtYieldExecution();
    }
    PvQueryMmCounters(&Counters, sizeof(Counters));
    CHECK(Counters.PageTablesOut > 0 && Counters.PagesRead == 0,
          "a page table left memory; nothing was read back yet");
    Page = (PVOID)(LONE + 0x1000);
    Size = 0x1000;
    msg("commit the second page at 0x%08X: the kernel reads the page table back", LONE);
    NtAllocateVirtualMemory(NtCurrentProcess(), &Page, 0, &Size, MEM_COMMIT, PAGE_READWRITE);
    fail("the kernel went on after an in-page error of a page table");
}
