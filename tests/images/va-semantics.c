/*
 * va-semantics - NtAllocateVirtualMemory / NtFreeVirtualMemory / NtProtectVirtualMemory /
 * NtQueryVirtualMemory against the assertions of Wine's test_VirtualAlloc and ReactOS'
 * NtAllocateVirtualMemory API tests (CheckAlignment, CheckAdjacentVADs), at the NT level
 * (vm-test-suites.md 4.3, catalog G): 64 KiB reservation granularity, Protect 0 for reserved
 * memory, protecting uncommitted memory fails, decommitting uncommitted memory does not,
 * MEM_RELEASE with size 0 must name the base, the statuses of bad arguments; plus:
 * decommitted-then-recommitted memory reads zero, a middle release splits an allocation,
 * commit charge follows commit/decommit/release, and the image and the stack are allocations
 * too (MEM_IMAGE, and the stack's reserve / guard page / committed top).
 * Expected: one line per assertion, end; "va-semantics: exit(0)".
 */
#include <ntapi.h>

#define SELF NtCurrentProcess()

static ULONG LastSize;

int main(void);

static NTSTATUS Alloc(ULONG *Base, ULONG Size, ULONG Type, ULONG Protect)
{
    PVOID B = (PVOID)*Base;
    SIZE_T S = Size;
    NTSTATUS Status = NtAllocateVirtualMemory(SELF, &B, 0, &S, Type, Protect);

    if (NT_SUCCESS(Status))
    {
        *Base = (ULONG)B;
        LastSize = S;
    }
    return Status;
}

static NTSTATUS Free(ULONG Base, ULONG Size, ULONG Type)
{
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;

    return NtFreeVirtualMemory(SELF, &B, &S, Type);
}

static NTSTATUS Protect(ULONG Base, ULONG Size, ULONG New, ULONG *Old)
{
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;

    return NtProtectVirtualMemory(SELF, &B, &S, New, Old);
}

static MEMORY_BASIC_INFORMATION Query(ULONG Va)
{
    MEMORY_BASIC_INFORMATION Info;
    NTSTATUS Status;

    memset(&Info, 0xCC, sizeof(Info));
    Status = NtQueryVirtualMemory(SELF, (PVOID)Va, MemoryBasicInformation, &Info, sizeof(Info),
                                  NULL);
    if (!NT_SUCCESS(Status))
        fail("NtQueryVirtualMemory(0x%08X): 0x%08X", Va, (ULONG)Status);
    return Info;
}

static ULONG Charge(void)
{
    PV_MM_COUNTERS Counters;

    PvQueryMmCounters(&Counters, sizeof(Counters));
    return Counters.ProcessCommitCharge;
}

static void WineVirtualAlloc(void)
{
    MEMORY_BASIC_INFORMATION Info;
    ULONG Addr = 0, Base, Old = 0;

    check_status(Alloc(&Addr, 0, MEM_RESERVE, PAGE_NOACCESS), STATUS_INVALID_PARAMETER_4,
                 "reserve 0 bytes");
    check_status(Alloc(&Addr, 0xFFFC, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS,
                 "reserve 0xFFFC bytes anywhere");
    CHECK((Addr & 0xFFFF) == 0 && LastSize == 0x10000,
          "it starts on 64 KiB and is 0x%X bytes long", LastSize);
    Info = Query(Addr);
    CHECK((ULONG)Info.BaseAddress == Addr && (ULONG)Info.AllocationBase == Addr &&
              Info.AllocationProtect == PAGE_NOACCESS && Info.RegionSize == 0x10000 &&
              Info.State == MEM_RESERVE && Info.Protect == 0 && Info.Type == MEM_PRIVATE,
          "query: reserved, RegionSize 0x%X, Protect 0x%X, AllocationProtect 0x%X, Type 0x%X",
          (ULONG)Info.RegionSize, Info.Protect, Info.AllocationProtect, Info.Type);
    check_status(Protect(Addr, 0xFFFC, PAGE_READONLY, &Old), STATUS_NOT_COMMITTED,
                 "protect the uncommitted range");
    Base = Addr;
    check_status(Alloc(&Base, 0x1000, MEM_COMMIT, PAGE_NOACCESS), STATUS_SUCCESS,
                 "commit its first page PAGE_NOACCESS");
    Info = Query(Addr);
    CHECK(Info.RegionSize == 0x1000 && Info.State == MEM_COMMIT &&
              Info.Protect == PAGE_NOACCESS,
          "query: committed, RegionSize 0x%X, Protect 0x%X", (ULONG)Info.RegionSize,
          Info.Protect);
    check_status(Protect(Addr, 0xFFFC, PAGE_READONLY, &Old), STATUS_NOT_COMMITTED,
                 "protect the partly committed range");
    check_status(Protect(Addr, 0x1000, PAGE_READONLY, &Old), STATUS_SUCCESS,
                 "protect the page PAGE_READONLY");
    CHECK(Old == PAGE_NOACCESS, "old protection PAGE_NOACCESS (0x%X)", Old);
    check_status(Protect(Addr, 0x1000, PAGE_READWRITE, &Old), STATUS_SUCCESS,
                 "protect it PAGE_READWRITE");
    CHECK(Old == PAGE_READONLY, "old protection PAGE_READONLY (0x%X)", Old);
    *(volatile ULONG *)Addr = 0xABCD;
    Base = Addr;
    check_status(Alloc(&Base, 0x1000, MEM_RESET, PAGE_NOACCESS), STATUS_SUCCESS,
                 "MEM_RESET the page");
    Info = Query(Addr);
    CHECK(Info.State == MEM_COMMIT && Info.Protect == PAGE_READWRITE,
          "it stays committed read/write");
    Base = Addr;
    check_status(Alloc(&Base, 0x1000, MEM_COMMIT, 0), STATUS_INVALID_PAGE_PROTECTION,
                 "commit with protection 0");
    check_status(Alloc(&Base, 0x1000, MEM_COMMIT, PAGE_READONLY | PAGE_EXECUTE),
                 STATUS_INVALID_PAGE_PROTECTION, "commit with PAGE_READONLY | PAGE_EXECUTE");
    check_status(Protect(Addr, 0x1000, 0, &Old), STATUS_INVALID_PAGE_PROTECTION,
                 "protect with protection 0");
    check_status(Free(Addr, 0x10000, 0), STATUS_INVALID_PARAMETER_4, "free with type 0");
    check_status(Free(Addr, 0x10000, MEM_FREE), STATUS_INVALID_PARAMETER_4,
                 "free with type MEM_FREE");
    check_status(Free(Addr, 0x10000, MEM_DECOMMIT), STATUS_SUCCESS,
                 "decommit the whole 64 KiB (one page committed)");
    check_status(Free(Addr + 0x1000, 0, MEM_RELEASE), STATUS_FREE_VM_NOT_AT_BASE,
                 "release with size 0 not at the base");
    check_status(Free(Addr, 0x20000, MEM_RELEASE), STATUS_UNABLE_TO_FREE_VM,
                 "release more than was reserved");
    check_status(Free(Addr, 0, MEM_RELEASE), STATUS_SUCCESS, "release with size 0 at the base");
    Info = Query(Addr);
    CHECK(Info.State == MEM_FREE && Info.AllocationBase == NULL &&
              Info.Protect == PAGE_NOACCESS && Info.Type == 0,
          "query: free, Protect PAGE_NOACCESS, no allocation base");
}

static void ReactOsAlignmentAndAdjacentVads(void)
{
    MEMORY_BASIC_INFORMATION Info;
    ULONG Base = 0x50001010, Other;

    check_status(Alloc(&Base, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS,
                 "reserve 0x1000 bytes at 0x50001010");
    CHECK(Base == 0x50000000 && LastSize == 0x3000,
          "got 0x%X bytes at 0x%08X: the base down to 64 KiB, the end up to a page", LastSize,
          Base);
    Other = 0x50008000;
    check_status(Alloc(&Other, 0x1000, MEM_RESERVE, PAGE_READWRITE),
                 STATUS_CONFLICTING_ADDRESSES, "reserve again in the same 64 KiB");
    Other = 0x50001000;
    check_status(Alloc(&Other, 0x1000, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS,
                 "commit a page of it");
    check_status(Alloc(&Other, 0x1000, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS,
                 "commit it again, PAGE_READONLY");
    CHECK(Query(0x50001000).Protect == PAGE_READONLY, "it is read-only now");
    Other = 0x50003000;
    check_status(Alloc(&Other, 0x1000, MEM_COMMIT, PAGE_READWRITE),
                 STATUS_CONFLICTING_ADDRESSES, "commit past the reservation");
    check_status(Free(0x50000000, 0x3000, MEM_DECOMMIT), STATUS_SUCCESS,
                 "decommit the partly committed reservation");
    check_status(Free(0x50003000, 0, MEM_RELEASE), STATUS_MEMORY_NOT_ALLOCATED,
                 "release where nothing is allocated");
    check_status(Free(0x50000000, 0x4000, MEM_RELEASE), STATUS_UNABLE_TO_FREE_VM,
                 "release with a size past the reservation");
    check_status(Free(0x50000000, 0, MEM_RELEASE), STATUS_SUCCESS, "release it");

    Base = 0x50000000;
    Other = 0x50010000;
    check_status(Alloc(&Base, 0x10000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS,
                 "reserve 64 KiB at 0x50000000");
    check_status(Alloc(&Other, 0x10000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS,
                 "reserve the next 64 KiB");
    Base = 0x5000F000;
    check_status(Alloc(&Base, 0x2000, MEM_COMMIT, PAGE_READWRITE),
                 STATUS_CONFLICTING_ADDRESSES, "commit across the two");
    Info = Query(0x50010000);
    CHECK((ULONG)Info.AllocationBase == 0x50010000 && Info.RegionSize == 0x10000,
          "they stay two allocations");
    Free(0x50000000, 0, MEM_RELEASE);
    Free(0x50010000, 0, MEM_RELEASE);

    Base = 0x1000;
    check_status(Alloc(&Base, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2,
                 "reserve below 0x10000");
    Base = 0x7FFE0000;
    check_status(Alloc(&Base, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2,
                 "reserve above the highest VAD address");
}

static void MoreArguments(void)
{
    PVOID B = NULL;
    SIZE_T S = 0x10000;
    ULONG Base = 0;

    check_status(NtAllocateVirtualMemory(SELF, &B, 22, &S, MEM_RESERVE, PAGE_READWRITE),
                 STATUS_INVALID_PARAMETER_3, "ZeroBits 22");
    check_status(NtAllocateVirtualMemory(SELF, &B, 12, &S, MEM_RESERVE | MEM_TOP_DOWN,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "ZeroBits 12, top down");
    CHECK((ULONG)B + S - 1 <= 0xFFFFF, "the range ends below 1 MiB (at 0x%08X)",
          (ULONG)B + S - 1);
    Free((ULONG)B, 0, MEM_RELEASE);
    check_status(Alloc(&Base, 0x10000, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve 64 KiB top down");
    CHECK(Base == 0x7FED0000, "it lies just below the stack's reservation (0x%08X)", Base);
    Free(Base, 0, MEM_RELEASE);
    Base = 0;
    check_status(Alloc(&Base, 0x1000, MEM_RESERVE | MEM_COMMIT | MEM_PHYSICAL, PAGE_READWRITE),
                 STATUS_INVALID_PARAMETER_5, "MEM_PHYSICAL with MEM_COMMIT (a window is reserved)");
    check_status(Alloc(&Base, 0x1000, MEM_RESERVE, PAGE_WRITECOPY),
                 STATUS_INVALID_PAGE_PROTECTION, "reserve PAGE_WRITECOPY (sections only)");
    check_status(NtAllocateVirtualMemory((HANDLE)0x1234, &B, 0, &S, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_INVALID_HANDLE, "a process handle that is not NtCurrentProcess()");
    MEMORY_BASIC_INFORMATION Info;
    SIZE_T Length = 0;
    check_status(NtQueryVirtualMemory(SELF, (PVOID)0x80100000u, MemoryBasicInformation, &Info,
                                      sizeof(Info), &Length),
                 STATUS_INVALID_PARAMETER, "query a kernel address");
    check_status(NtQueryVirtualMemory(SELF, NULL, (MEMORY_INFORMATION_CLASS)2, &Info,
                                      sizeof(Info), &Length),
                 STATUS_INVALID_INFO_CLASS, "query another information class");
    check_status(NtQueryVirtualMemory(SELF, NULL, MemoryBasicInformation, &Info,
                                      sizeof(Info) - 4, &Length),
                 STATUS_INFO_LENGTH_MISMATCH, "query into a short buffer");
    check_status(NtQueryVirtualMemory(SELF, NULL, MemoryBasicInformation, &Info, sizeof(Info),
                                      &Length),
                 STATUS_SUCCESS, "query NULL");
    CHECK(Length == sizeof(Info) && Info.State == MEM_FREE && Info.BaseAddress == NULL,
          "free from 0, %u bytes of information", (ULONG)Length);
}

static void DecommitRecommitAndSplit(void)
{
    MEMORY_BASIC_INFORMATION Info;
    ULONG Base = 0x50000000, Page = 0x50005000, Before = Charge();

    check_status(Alloc(&Base, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve and commit 16 pages at 0x50000000");
    CHECK(Charge() - Before == 16, "the commit charge went up by %u", Charge() - Before);
    *(volatile ULONG *)Page = 0x12345678;
    check_status(Free(Page, 0x1000, MEM_DECOMMIT), STATUS_SUCCESS, "decommit a written page");
    CHECK(Charge() - Before == 15, "the commit charge went down by one");
    check_status(Free(Page, 0x1000, MEM_DECOMMIT), STATUS_SUCCESS, "decommit it again");
    CHECK(Charge() - Before == 15, "the commit charge did not change");
    check_status(Alloc(&Page, 0x1000, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS,
                 "commit it again");
    CHECK(*(volatile ULONG *)0x50005000 == 0, "it reads zero");
    check_status(Free(0x50004000, 0x4000, MEM_RELEASE), STATUS_SUCCESS,
                 "release 4 pages from the middle");
    Info = Query(0x50008000);
    CHECK((ULONG)Info.AllocationBase == 0x50008000 && Info.RegionSize == 0x8000 &&
              Info.State == MEM_COMMIT,
          "the part above is an allocation of its own");
    Info = Query(0x50004000);
    CHECK(Info.State == MEM_FREE && Info.RegionSize == 0x4000, "the middle is free");
    CHECK(Charge() - Before == 12, "the commit charge is 12 pages");
    Free(0x50000000, 0, MEM_RELEASE);
    Free(0x50008000, 0, MEM_RELEASE);
    CHECK(Charge() == Before, "releasing both returns it all");
}

static void ImageAndStack(void)
{
    MEMORY_BASIC_INFORMATION Info;
    ULONG Local = 0, Guard, Top;

    Info = Query((ULONG)&main);
    CHECK((ULONG)Info.AllocationBase == 0x00400000 && Info.Type == MEM_IMAGE &&
              Info.AllocationProtect == PAGE_EXECUTE_WRITECOPY &&
              Info.Protect == PAGE_EXECUTE_READ && Info.State == MEM_COMMIT,
          "main: an image allocation at 0x00400000, PAGE_EXECUTE_READ");
    check_status(Free(0x00400000, 0, MEM_RELEASE), STATUS_UNABLE_TO_DELETE_SECTION,
                 "release the image");
    Info = Query((ULONG)&Local);
    CHECK((ULONG)Info.AllocationBase == 0x7FEE0000 && Info.Type == MEM_PRIVATE &&
              Info.State == MEM_COMMIT && Info.Protect == PAGE_READWRITE,
          "a local: private, committed read/write, allocation base 0x7FEE0000");
    Top = (ULONG)Info.BaseAddress + Info.RegionSize;
    CHECK(Top == 0x7FFE0000, "committed up to the top of the stack");
    Info = Query(0x7FEE0000);
    Guard = 0x7FEE0000 + Info.RegionSize;
    CHECK(Info.State == MEM_RESERVE && Info.AllocationProtect == PAGE_READWRITE,
          "the stack's bottom is reserved");
    Info = Query(Guard);
    CHECK(Info.State == MEM_COMMIT && Info.Protect == (PAGE_READWRITE | PAGE_GUARD) &&
              Info.RegionSize == 0x1000,
          "above it, one guard page");
    Info = Query(Guard + 0x1000);
    CHECK(Info.State == MEM_COMMIT && Info.Protect == PAGE_READWRITE &&
              (ULONG)Info.BaseAddress + Info.RegionSize == 0x7FFE0000,
          "above that, committed read/write to the top");
}

int main(void)
{
    msg("begin");
    WineVirtualAlloc();
    ReactOsAlignmentAndAdjacentVads();
    MoreArguments();
    DecommitRecommitAndSplit();
    ImageAndStack();
    msg("end");
    return 0;
}
