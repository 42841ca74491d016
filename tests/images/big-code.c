/*
 * big-code - an image whose code (384 pages, 1.5 MiB: 384 functions of one page each, mostly
 * NOPs) is far larger than its working set (at most 64 pages, set with PvSetWorkingSetLimits)
 * still runs, and its code is paged from the image file, never from the pagefile: code pages
 * are clean, so when they leave the working set they go to Standby, and when RAM runs short
 * (each round also reads 2 MiB of demand-zero memory, clean too) their frames are reused and
 * their PTEs become image PTEs again: the next call reads the page from the image again. Three
 * rounds of calling every function in order; each round's result must be the same. The image
 * checks its counters: image page reads well beyond one per code page, read in clusters (the
 * calls go in address order: at least 4 pages a read), nothing written to the pagefile (the case
 * checks the host's counters too).
 * NEEDS-PAGEFILE
 * Expected: begin, the lines below, end.
 */
#include <ntapi.h>

#define ZERO_BASE  0x20000000u
#define ZERO_SIZE  (2u << 20)

/* One function per page: n = its number (octal digits, as the macros paste them). */
#define FN(n) static __attribute__((noinline, aligned(4096))) ULONG Code##n(ULONG x) \
    { __asm__ volatile(".fill 4000, 1, 0x90"); return x + n; }
#define FN8(n) FN(n##0) FN(n##1) FN(n##2) FN(n##3) FN(n##4) FN(n##5) FN(n##6) FN(n##7)
#define FN64(n) FN8(n##0) FN8(n##1) FN8(n##2) FN8(n##3) FN8(n##4) FN8(n##5) FN8(n##6) FN8(n##7)
FN64(1) FN64(2) FN64(3) FN64(4) FN64(5) FN64(6)

#define E(n) { Code##n, n },
#define E8(n) E(n##0) E(n##1) E(n##2) E(n##3) E(n##4) E(n##5) E(n##6) E(n##7)
#define E64(n) E8(n##0) E8(n##1) E8(n##2) E8(n##3) E8(n##4) E8(n##5) E8(n##6) E8(n##7)

static const struct
{
    ULONG (*Function)(ULONG);
    ULONG Number;
} Functions[] = { E64(1) E64(2) E64(3) E64(4) E64(5) E64(6) };

#define FUNCTIONS (sizeof(Functions) / sizeof(Functions[0]))

int main(void)
{
    PVOID Base = (PVOID)ZERO_BASE;
    SIZE_T Size = ZERO_SIZE;
    PV_MM_COUNTERS Before, After;
    ULONG Round, i, Expected = 0, Result[3], Zero = 0;

    msg("begin");
    check_status(PvSetWorkingSetLimits(16, 64), STATUS_SUCCESS,
                 "limit the working set to 64 pages");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 2 MiB of demand-zero memory");
    for (i = 0; i < FUNCTIONS; i++)
        Expected += Functions[i].Number;
    PvQueryMmCounters(&Before, sizeof(Before));
    for (Round = 0; Round < 3; Round++)
    {
        Result[Round] = 0;
        for (i = 0; i < FUNCTIONS; i++)
            Result[Round] = Functions[i].Function(Result[Round]);
        for (i = 0; i < ZERO_SIZE; i += 4096)
            Zero |= *(volatile ULONG *)(ZERO_BASE + i);
    }
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(Result[0] == Expected && Result[1] == Expected && Result[2] == Expected && Zero == 0,
          "three rounds of %u one-page functions gave the same result", (ULONG)FUNCTIONS);
    CHECK(After.ImagePagesRead - Before.ImagePagesRead >= FUNCTIONS + FUNCTIONS / 2,
          "code pages were read from the image again after leaving memory");
    CHECK((After.ImageReadIoCount - Before.ImageReadIoCount) * 4 <=
              After.ImagePagesRead - Before.ImagePagesRead,
          "code pages called in order were read in clusters (4 pages a read or more)");
    CHECK(After.DirtyPagesWritten == Before.DirtyPagesWritten,
          "nothing was written to the pagefile");
    CHECK(After.WorkingSetPeak <= 64, "the working set never passed 64 pages");
    msg("end");
    return 0;
}
