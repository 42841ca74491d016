/*
 * guard-oneshot - a PAGE_GUARD page fires once (the catalog's stk-guard-oneshot, after MSDN's
 * "Creating Guard Pages" and Wine's test_guard_page), seen through a system call: there is no
 * user exception dispatch, so it is the call that fails once. A page is committed read/write,
 * a line of text written into it, then made PAGE_READWRITE | PAGE_GUARD (NtProtectVirtualMemory
 * returns PAGE_READWRITE as the old protection; NtQueryVirtualMemory shows the guard).
 * PvDisplayString on that page fails with STATUS_GUARD_PAGE_VIOLATION (0x80000001) and prints
 * nothing; the guard bit is gone then, and the same call succeeds and prints the page's text;
 * the value is intact. The same for a page committed as a guard page and never touched: the
 * first call fails, the second prints nothing (the page reads zero).
 * Expected: the lines below; "guard-oneshot: exit(0)".
 */
#include <ntapi.h>

static const char Text[] = "(guard-oneshot) this line was printed from the guard page\n";

static ULONG ProtectionOf(PVOID Address)
{
    MEMORY_BASIC_INFORMATION Info;

    NtQueryVirtualMemory(NtCurrentProcess(), Address, MemoryBasicInformation, &Info,
                         sizeof(Info), NULL);
    return Info.Protect;
}

int main(void)
{
    PVOID Base = NULL, Page;
    SIZE_T Size = 0x2000;
    ULONG Old = 0;
    char *Guard;
    PV_MM_COUNTERS Before, After;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit two pages");
    Guard = Base;
    memcpy(Guard, Text, sizeof(Text));
    Page = Guard;
    Size = 0x1000;
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Page, &Size,
                                        PAGE_READWRITE | PAGE_GUARD, &Old),
                 STATUS_SUCCESS, "make the first one PAGE_READWRITE | PAGE_GUARD");
    CHECK(Old == PAGE_READWRITE, "its old protection was PAGE_READWRITE (0x%X)", Old);
    CHECK(ProtectionOf(Guard) == (PAGE_READWRITE | PAGE_GUARD),
          "NtQueryVirtualMemory shows the guard (0x%X)", ProtectionOf(Guard));

    PvQueryMmCounters(&Before, sizeof(Before));
    check_status(PvDisplayString(Guard, sizeof(Text) - 1), STATUS_GUARD_PAGE_VIOLATION,
                 "PvDisplayString from the guard page fails once");
    CHECK(ProtectionOf(Guard) == PAGE_READWRITE, "the guard bit is gone (0x%X)",
          ProtectionOf(Guard));
    check_status(PvDisplayString(Guard, sizeof(Text) - 1), STATUS_SUCCESS,
                 "the same call again succeeds");
    CHECK(memcmp(Guard, Text, sizeof(Text)) == 0, "the page's contents are intact");

    Page = Guard + 0x1000;
    Size = 0x1000;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Page, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE | PAGE_GUARD),
                 STATUS_SUCCESS, "commit the second page as a guard page");
    check_status(PvDisplayString(Guard + 0x1000, 16), STATUS_GUARD_PAGE_VIOLATION,
                 "PvDisplayString from it fails once");
    check_status(PvDisplayString(Guard + 0x1000, 0), STATUS_SUCCESS,
                 "(an empty string touches nothing)");
    CHECK(*(volatile ULONG *)(Guard + 0x1000) == 0, "then it reads zero");
    PvQueryMmCounters(&After, sizeof(After));
    CHECK(After.FaultsByResolution[PV_FAULT_GUARD_PAGE] -
              Before.FaultsByResolution[PV_FAULT_GUARD_PAGE] == 2,
          "two guard-page faults in all");
    msg("end");
    return 0;
}
