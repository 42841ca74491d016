/*
 * pvbench.h - what the full-system benchmark's guest images share: the time stamp counter,
 * numbers from the command line, and the one result line the driver (bench/full/) parses.
 *
 * Every result is one line on the image's output:
 *   pvbench KIND key=value key=value ...
 * with decimal values, except 64-bit counts, printed as 16 hex digits (the runtime's printf
 * has no 64-bit conversions). The driver reads every key it knows and ignores the rest.
 */
#ifndef PVBENCH_H
#define PVBENCH_H

#include <ntapi.h>

/* Where the images put their memory: far above the image (0x00400000) and below the stack,
 * on a page-table boundary, so a region of N pages needs ceil(N / 1024) page tables. */
#define PVBENCH_BASE 0x20000000u
#define PVB_PAGE     4096u

static inline ULONGLONG PvbReadTsc(VOID)
{
    ULONG Low, High;

    __asm__ volatile("rdtsc" : "=a"(Low), "=d"(High));
    return ((ULONGLONG)High << 32) | Low;
}

/* A decimal number, or Default when Text is NULL; a malformed one ends the image. */
static inline ULONG PvbNumber(const char *Text, ULONG Default)
{
    ULONG Value = 0;

    if (Text == NULL)
        return Default;
    if (*Text == '\0')
        fail("'%s' is not a number", Text);
    for (; *Text; Text++)
    {
        if (*Text < '0' || *Text > '9' || Value > 400000000u)
            fail("'%s' is not a number", Text);
        Value = Value * 10 + (ULONG)(*Text - '0');
    }
    return Value;
}

/* The memory manager's counters; an image built against another kernel's PV_MM_COUNTERS
 * (the service checks the length) fails here instead of reading zeroes. */
static inline VOID PvbQueryCounters(PV_MM_COUNTERS *Counters)
{
    NTSTATUS Status = PvQueryMmCounters(Counters, sizeof(*Counters));

    if (Status != STATUS_SUCCESS)
        fail("PvQueryMmCounters: status 0x%08X (image and kernel disagree on its layout?)",
             Status);
}

/* " PREFIXfaults=F PREFIXkinds=k0,k1,...": the faults of an interval, all and by resolution
 * (indexed by PV_FAULT_*), from two PvQueryMmCounters snapshots. */
static inline VOID PvbFormatFaults(char *Buffer, ULONG Size, const char *Prefix,
                                   const PV_MM_COUNTERS *Before, const PV_MM_COUNTERS *After)
{
    ULONG Used, i;

    Used = RtlFormatString(Buffer, Size, " %sfaults=%u %skinds=", Prefix,
                           After->PageFaults - Before->PageFaults, Prefix);
    for (i = 0; i < PV_MM_FAULT_RESOLUTIONS && Used < Size; i++)
        Used += RtlFormatString(Buffer + Used, Size - Used, "%s%u", i ? "," : "",
                                After->FaultsByResolution[i] - Before->FaultsByResolution[i]);
}

#define PVB_HEX64(Value) (ULONG)((Value) >> 32), (ULONG)(Value)

#endif /* PVBENCH_H */
