/*
 * 3gb-user-space - user space above 2 GB under /3GB (pagevisor run --3gb: user space up to
 * 0xBFFEFFFF, VADs up to 0xBFFDFFFF). With the argument "3gb": reserve and commit 1 MiB at
 * 0xA0000000 and 64 KiB ending at 0xBFFDFFFF, write every page and read it back, query them,
 * hand a system call a buffer above 2 GB, get a top-down allocation above 2 GB, free; and
 * 0xBFFE0000 (the last 64 KiB below MmUserProbeAddress), 0xBFFF0000 and 0xC0000000 refused.
 * With "2gb" (NT's default split): the same requests above 0x7FFDFFFF are refused with
 * STATUS_INVALID_PARAMETER_2 and a top-down allocation stays below 2 GB.
 * ARGS: 2gb
 * Expected: tests/images/3gb-user-space.expected for "2gb" (any kernel without /3GB, QEMU's
 * boot too); tests/integration/expected/3gb-user-space.expected for "3gb".
 */
#include <ntapi.h>

#define SELF NtCurrentProcess()
#define PAGE_SIZE 0x1000u

static NTSTATUS Alloc(ULONG *Base, ULONG Size, ULONG Type)
{
    PVOID B = (PVOID)*Base;
    SIZE_T S = Size;
    NTSTATUS Status = NtAllocateVirtualMemory(SELF, &B, 0, &S, Type, PAGE_READWRITE);

    if (NT_SUCCESS(Status))
        *Base = (ULONG)B;
    return Status;
}

static NTSTATUS Release(ULONG Base)
{
    PVOID B = (PVOID)Base;
    SIZE_T S = 0;

    return NtFreeVirtualMemory(SELF, &B, &S, MEM_RELEASE);
}

/* Every page gets its own address written at both ends; then all are read back. */
static void WriteAndReadBack(ULONG Base, ULONG Size)
{
    ULONG Va;

    for (Va = Base; Va < Base + Size; Va += PAGE_SIZE)
    {
        ((volatile ULONG *)Va)[0] = Va;
        ((volatile ULONG *)Va)[PAGE_SIZE / 4 - 1] = ~Va;
    }
    for (Va = Base; Va < Base + Size; Va += PAGE_SIZE)
    {
        if (((volatile ULONG *)Va)[0] != Va || ((volatile ULONG *)Va)[PAGE_SIZE / 4 - 1] != ~Va)
            fail("page 0x%08X does not read back", Va);
    }
    msg("0x%08X-0x%08X written and read back (%u pages)", Base, Base + Size - 1,
        Size / PAGE_SIZE);
}

static void Refused(ULONG Base, NTSTATUS Expected)
{
    ULONG B = Base;

    check_status(Alloc(&B, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT), Expected,
                 "allocate at 0x%08X", Base);
}

static void ThreeGb(void)
{
    ULONG High = 0xA0000000u, Top = 0xBFFD0000u, Down = 0;
    MEMORY_BASIC_INFORMATION *Info;
    NTSTATUS Status;

    check_status(Alloc(&High, 0x100000, MEM_RESERVE), STATUS_SUCCESS, "reserve 1 MiB at 0xA0000000");
    check_status(Alloc(&High, 0x100000, MEM_COMMIT), STATUS_SUCCESS, "commit it");
    WriteAndReadBack(High, 0x100000);
    check_status(Alloc(&Top, 0x10000, MEM_RESERVE | MEM_COMMIT), STATUS_SUCCESS,
                 "reserve and commit 64 KiB at 0xBFFD0000");
    WriteAndReadBack(Top, 0x10000);

    /* A system call writes its result above 2 GB (probed against MmUserProbeAddress). */
    Info = (MEMORY_BASIC_INFORMATION *)(High + 0x1000);
    Status = NtQueryVirtualMemory(SELF, (PVOID)(Top + 0x8000), MemoryBasicInformation, Info,
                                  sizeof(*Info), NULL);
    check_status(Status, STATUS_SUCCESS, "query 0xBFFD8000 into a buffer at 0xA0001000");
    CHECK((ULONG)Info->AllocationBase == Top && Info->RegionSize == 0x8000 &&
              Info->State == MEM_COMMIT && Info->Protect == PAGE_READWRITE,
          "0xBFFD8000: allocation base 0x%08X, %u bytes to its end, committed read/write",
          (ULONG)Info->AllocationBase, (ULONG)Info->RegionSize);

    check_status(Alloc(&Down, 0x10000, MEM_RESERVE | MEM_TOP_DOWN), STATUS_SUCCESS,
                 "reserve 64 KiB top-down");
    CHECK(Down == 0xBFFC0000u, "top-down allocation at 0x%08X, right below the one at 0xBFFD0000",
          Down);

    Refused(0xBFFE0000u, STATUS_INVALID_PARAMETER_2);
    Refused(0xBFFF0000u, STATUS_INVALID_PARAMETER_2);
    Refused(0xC0000000u, STATUS_INVALID_PARAMETER_2);
    check_status(Release(Down), STATUS_SUCCESS, "release the top-down allocation");
    check_status(Release(Top), STATUS_SUCCESS, "release 0xBFFD0000");
    check_status(Release(High), STATUS_SUCCESS, "release 0xA0000000");
}

static void TwoGb(void)
{
    ULONG Down = 0;

    Refused(0xA0000000u, STATUS_INVALID_PARAMETER_2);
    Refused(0xBFFD0000u, STATUS_INVALID_PARAMETER_2);
    Refused(0x80000000u, STATUS_INVALID_PARAMETER_2);
    check_status(Alloc(&Down, 0x10000, MEM_RESERVE | MEM_TOP_DOWN), STATUS_SUCCESS,
                 "reserve 64 KiB top-down");
    CHECK(Down < 0x7FFE0000u, "top-down allocation below 2 GB");
    check_status(Release(Down), STATUS_SUCCESS, "release it");
}

int main(int argc, char **argv)
{
    msg("begin");
    if (argc != 2 || (strcmp(argv[1], "3gb") != 0 && strcmp(argv[1], "2gb") != 0))
        fail("usage: 3gb-user-space 3gb|2gb");
    if (strcmp(argv[1], "3gb") == 0)
        ThreeGb();
    else
        TwoGb();
    msg("end");
    return 0;
}
