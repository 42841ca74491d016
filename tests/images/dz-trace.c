/*
 * dz-trace - a known set of page faults, for the test of the host's fault trace (case
 * dz-trace-faults in tests/integration/cases.txt runs it with --trace). It reserves 64 KiB at
 * 0x00600000, commits the first 8 pages (demand-zero PTEs 0x00000080, in the page table the
 * image at 0x00400000 already has), then writes each page's own address into its first word
 * with one store instruction in a loop: `movl %edx, (%edx)` at the global label DzTraceStore.
 *
 * Every page fault of the run, in order:
 *   #1     page_table   kernel mode: making the stack, the kernel writes the stack's first
 *                       PTEs and touches its missing page table through the self-map
 *                       (cr2 0xC01FFF7C, the PTE of 0x7FFDF000; the PDE at 0xC03007FC goes
 *                       from 0 to valid)
 *   #2     demand_zero  kernel mode: the stack's top page (0x7FFDF000), PTE 0x80, written
 *                       when the kernel pushes argc/argv
 *   #3-#5  user mode: the first touch of the image's pages (image PTEs 0xFFFFF4xx; the
 *                       loader made the image's page table without a fault): one image_read
 *                       (the faulting page and its neighbours in the file, read in one call
 *                       for the image section: a cluster), one prototype (a page of that
 *                       cluster taken from Standby, no I/O) and one copy_on_write (the first
 *                       write to the writable data, PAGE_WRITECOPY in the image view)
 *   #6-#13 demand_zero  user mode, error code 6: cr2 0x00600000, 0x00601000, ... 0x00607000,
 *                       eip DzTraceStore, PTE 0x00000080 -> valid, VAD 0x00600000-0x0060FFFF;
 *                       the decoded store's effective address equals cr2
 * and no other: the stack stays in its first page. So `pagevisor run --trace` reports 13 page
 * faults, 9 demand_zero, 1 page_table, 1 prototype, 1 copy_on_write and 1 image_read.
 * The image checks its 8 faults itself too: the demand-zero count goes up by exactly 8 across
 * the loop and nothing else happens, and each page has a frame after it and none before.
 * Expected: begin, the checks, end; "dz-trace: exit(0)".
 */
#include <ntapi.h>

#define DZ_BASE  0x00600000u
#define DZ_PAGES 8u

int main(void)
{
    PVOID Base = (PVOID)DZ_BASE;
    SIZE_T Size = 0x10000;
    PV_MM_COUNTERS Before, After;
    ULONG i, Frame, Address = DZ_BASE, Count = DZ_PAGES;
    BOOLEAN NoFrame = TRUE, Frames = TRUE, Values = TRUE;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve 64 KiB at 0x%08X", DZ_BASE);
    Size = DZ_PAGES * 0x1000;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "commit its first %u pages", DZ_PAGES);
    for (i = 0; i < DZ_PAGES; i++)
    {
        PvQueryPhysicalPage((PVOID)(DZ_BASE + i * 0x1000), &Frame);
        NoFrame = NoFrame && Frame == 0;
    }
    CHECK(NoFrame, "no page has a frame before it is touched");

    PvQueryMmCounters(&Before, sizeof(Before));
    __asm__ volatile(
        "1:\n\t"
        ".globl DzTraceStore\n"
        "DzTraceStore:\n\t"
        "movl %%edx, (%%edx)\n\t"
        "addl $0x1000, %%edx\n\t"
        "decl %%ecx\n\t"
        "jnz 1b"
        : "+d"(Address), "+c"(Count)
        :
        : "memory", "cc");
    PvQueryMmCounters(&After, sizeof(After));

    CHECK(After.FaultsByResolution[PV_FAULT_DEMAND_ZERO] -
              Before.FaultsByResolution[PV_FAULT_DEMAND_ZERO] == DZ_PAGES &&
              After.PageFaults - Before.PageFaults == DZ_PAGES,
          "the store loop took %u faults, all demand zero",
          After.PageFaults - Before.PageFaults);
    for (i = 0; i < DZ_PAGES; i++)
    {
        ULONG Va = DZ_BASE + i * 0x1000;

        PvQueryPhysicalPage((PVOID)Va, &Frame);
        Frames = Frames && Frame != 0;
        Values = Values && *(volatile ULONG *)Va == Va;
    }
    CHECK(Frames, "each page has a frame now");
    CHECK(Values, "each page holds its address");
    msg("end");
    return 0;
}
