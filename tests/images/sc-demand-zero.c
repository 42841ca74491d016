/*
 * sc-demand-zero - a system call may be the first to touch committed memory: the kernel's
 * access demand-zeroes it instead of failing (kernel-mode faults on user addresses go through
 * the same fault path). NtQueryVirtualMemory writes its answer into a committed page that was
 * never touched (it has no frame before, one after, and holds the answer), and reads its
 * BaseAddress/RegionSize arguments from another untouched page (they read zero: NULL base).
 * Then the Pintos pt-grow-stk-sc idea: the kernel's write is the first touch of the stack's
 * guard page, and the stack grows (the guard page becomes committed, the page below it the new
 * guard page).
 * Expected: one line per check, end; "sc-demand-zero: exit(0)".
 */
#include <ntapi.h>

#define SELF NtCurrentProcess()

static MEMORY_BASIC_INFORMATION Copy;

static MEMORY_BASIC_INFORMATION Query(ULONG Va)
{
    MEMORY_BASIC_INFORMATION Info;

    NtQueryVirtualMemory(SELF, (PVOID)Va, MemoryBasicInformation, &Info, sizeof(Info), NULL);
    return Info;
}

int main(void)
{
    PVOID Base = NULL, *Arguments;
    SIZE_T Size = 0x3000, *SizeArgument;
    ULONG Frame, Guard;
    PMEMORY_BASIC_INFORMATION Answer;
    PV_MM_COUNTERS Before, After;
    MEMORY_BASIC_INFORMATION Info;
    NTSTATUS Status;

    msg("begin");
    check_status(NtAllocateVirtualMemory(SELF, &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 3 pages");
    Answer = (PMEMORY_BASIC_INFORMATION)((char *)Base + 0x100);
    PvQueryPhysicalPage(Answer, &Frame);
    CHECK(Frame == 0, "the first has no frame");
    PvQueryMmCounters(&Before, sizeof(Before));
    check_status(NtQueryVirtualMemory(SELF, Base, MemoryBasicInformation, Answer,
                                      sizeof(*Answer), NULL),
                 STATUS_SUCCESS, "NtQueryVirtualMemory into it");
    PvQueryMmCounters(&After, sizeof(After));
    PvQueryPhysicalPage(Answer, &Frame);
    CHECK(Frame != 0 && After.FaultsByResolution[PV_FAULT_DEMAND_ZERO] -
                            Before.FaultsByResolution[PV_FAULT_DEMAND_ZERO] == 1,
          "the kernel's write demand-zeroed it: it has a frame now");
    CHECK(Answer->BaseAddress == Base && Answer->RegionSize == 0x3000 &&
              Answer->State == MEM_COMMIT && Answer->Protect == PAGE_READWRITE,
          "and holds the answer");

    Arguments = (PVOID *)((char *)Base + 0x1000);
    SizeArgument = (SIZE_T *)((char *)Base + 0x2000);
    Status = NtAllocateVirtualMemory(SELF, Arguments, 0, SizeArgument, MEM_RESERVE,
                                     PAGE_READWRITE);
    check_status(Status, STATUS_INVALID_PARAMETER_4,
                 "NtAllocateVirtualMemory with its arguments in untouched pages (size 0)");
    PvQueryPhysicalPage(SizeArgument, &Frame);
    CHECK(Frame != 0 && *Arguments == NULL, "reading them demand-zeroed them");

    /* The stack: find its guard page, let the kernel write the first bytes into it. */
    Info = Query(0x7FEE0000u);
    Guard = 0x7FEE0000u + Info.RegionSize;
    CHECK(Query(Guard).Protect == (PAGE_READWRITE | PAGE_GUARD), "the stack has a guard page");
    PvQueryMmCounters(&Before, sizeof(Before));
    Status = NtQueryVirtualMemory(SELF, Base, MemoryBasicInformation, (PVOID)(Guard + 0x800),
                                  sizeof(Copy), NULL);
    Copy = *(PMEMORY_BASIC_INFORMATION)(Guard + 0x800);
    PvQueryMmCounters(&After, sizeof(After));
    check_status(Status, STATUS_SUCCESS, "NtQueryVirtualMemory into the stack's guard page");
    CHECK(After.FaultsByResolution[PV_FAULT_STACK_GROWTH] -
                  Before.FaultsByResolution[PV_FAULT_STACK_GROWTH] == 1 &&
              Copy.BaseAddress == Base && Copy.RegionSize == 0x3000,
          "the stack grew by the kernel's write, which landed");
    CHECK(Query(Guard).Protect == PAGE_READWRITE &&
              Query(Guard - 0x1000).Protect == (PAGE_READWRITE | PAGE_GUARD),
          "the page is committed, the one below is the new guard page");
    Size = 0;
    check_status(NtFreeVirtualMemory(SELF, &Base, &Size, MEM_RELEASE), STATUS_SUCCESS,
                 "release the 3 pages");
    msg("end");
    return 0;
}
