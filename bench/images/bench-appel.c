/*
 * bench-appel - Appel and Li's user-level virtual-memory primitives ("Virtual Memory
 * Primitives for User Programs", ASPLOS 1991), in the guest, with a vectored handler:
 *   prot1 N: for each of N resident pages: make it read-only (PROT1), write to it: the
 *            protection fault is raised to the process (TRAP), whose handler makes the page
 *            writable again (UNPROT) and resumes; the write is retried. TRAP+PROT1+UNPROT.
 *   protn N: make all N pages read-only in one call (PROTN), then write to each: TRAP, UNPROT
 *            of that page, retry. PROTN+TRAP+UNPROT, per page.
 *   none N:  everything but the timed loop (the baseline of a counting run).
 * The pages are committed and touched before the clock starts; the loop is timed by rdtsc in
 * ring 3. Every write is checked to have landed, and every trap to have been the expected one.
 * Output: "pvbench appel mode=... pages=N traps=T cycles=... tsc_start=... tsc_end=...
 *          faults=... kinds=...".
 */
#include "pvbench.h"

static volatile ULONG Traps, Unexpected;

static LONG NTAPI Unprotect(PEXCEPTION_POINTERS Pointers)
{
    PEXCEPTION_RECORD Record = Pointers->ExceptionRecord;
    PVOID Base = (PVOID)(Record->ExceptionInformation[1] & ~(PVB_PAGE - 1));
    SIZE_T Size = PVB_PAGE;
    ULONG Old;

    if (Record->ExceptionCode != STATUS_ACCESS_VIOLATION ||
        Record->ExceptionInformation[0] != EXCEPTION_WRITE_FAULT ||
        (ULONG)Base - PVBENCH_BASE >= 0x10000000u)
    {
        Unexpected++;
        return EXCEPTION_CONTINUE_SEARCH;
    }
    Traps++;
    if (NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READWRITE, &Old) !=
        STATUS_SUCCESS)
        return EXCEPTION_CONTINUE_SEARCH;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static VOID Protect(ULONG Address, ULONG Pages)
{
    PVOID Base = (PVOID)Address;
    SIZE_T Size = (SIZE_T)Pages * PVB_PAGE;
    ULONG Old;
    NTSTATUS Status = NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READONLY,
                                             &Old);

    if (Status != STATUS_SUCCESS)
        fail("protecting %u pages at 0x%08X: 0x%08X", Pages, Address, Status);
}

int main(int argc, char **argv)
{
    const char *Mode = argc > 1 ? argv[1] : "prot1";
    ULONG Pages = PvbNumber(argc > 2 ? argv[2] : NULL, 1024), i;
    PVOID Base = (PVOID)PVBENCH_BASE;
    SIZE_T Size = (SIZE_T)Pages * PVB_PAGE;
    volatile ULONG *Region;
    PV_MM_COUNTERS Before, After;
    ULONGLONG Start, End;
    char Faults[160];
    BOOLEAN Prot1 = strcmp(Mode, "prot1") == 0, ProtN = strcmp(Mode, "protn") == 0;

    if (!Prot1 && !ProtN && strcmp(Mode, "none") != 0)
        fail("mode '%s': prot1, protn or none", Mode);
    if (NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                PAGE_READWRITE) != STATUS_SUCCESS ||
        RtlAddVectoredExceptionHandler(1, Unprotect) == NULL)
        fail("setting up %u pages", Pages);
    Region = Base;
    for (i = 0; i < Pages; i++)
        Region[i * (PVB_PAGE / sizeof(ULONG))] = 0;
    /* One round trip untimed: the handler's and the dispatcher's pages are resident. */
    Protect(PVBENCH_BASE, 1);
    Region[0] = 0;

    Traps = 0;
    PvbQueryCounters(&Before);
    Start = PvbReadTsc();
    if (Prot1)
    {
        for (i = 0; i < Pages; i++)
        {
            Protect(PVBENCH_BASE + i * PVB_PAGE, 1);
            Region[i * (PVB_PAGE / sizeof(ULONG))] = i + 1;
        }
    }
    else if (ProtN)
    {
        Protect(PVBENCH_BASE, Pages);
        for (i = 0; i < Pages; i++)
            Region[i * (PVB_PAGE / sizeof(ULONG))] = i + 1;
    }
    End = PvbReadTsc();
    PvbQueryCounters(&After);

    if (Prot1 || ProtN)
        for (i = 0; i < Pages; i++)
            if (Region[i * (PVB_PAGE / sizeof(ULONG))] != i + 1)
                fail("page %u lost its write", i);
    if (Unexpected != 0 || (Prot1 || ProtN ? Traps != Pages : Traps != 0))
        fail("%u traps, %u unexpected exceptions for %u pages", Traps, Unexpected, Pages);
    PvbFormatFaults(Faults, sizeof(Faults), "", &Before, &After);
    PvPrint("pvbench appel mode=%s pages=%u traps=%u cycles=%08X%08X tsc_start=%08X%08X "
            "tsc_end=%08X%08X%s\n", Mode, Pages, Traps, PVB_HEX64(End - Start),
            PVB_HEX64(Start), PVB_HEX64(End), Faults);
    return 0;
}
