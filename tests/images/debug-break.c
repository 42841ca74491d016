/*
 * debug-break - PvDebugBreak: the image asks pagevisor to look at the guest at chosen points.
 * It commits two pages at 0x20000000 and writes the first, breaks ("two pages committed": the
 * snapshot on stderr has their VAD, Private READWRITE with a commit of 2), frees them and
 * breaks again ("released": the VAD is gone). Each call returns STATUS_SUCCESS under
 * pagevisor and STATUS_NOT_SUPPORTED under firmware alone (tests/multiboot-qemu.sh): the
 * output below is the same either way. A label that cannot be read is refused with
 * STATUS_ACCESS_VIOLATION everywhere, and nothing is looked at.
 * Expected: begin, the lines below, end.
 */
#include <ntapi.h>

#define BASE 0x20000000u

static void Break(const char *Label)
{
    NTSTATUS Status = PvDebugBreak(Label, strlen(Label));
    CHECK(Status == STATUS_SUCCESS || Status == STATUS_NOT_SUPPORTED, "PvDebugBreak \"%s\"",
          Label);
}

int main(void)
{
    PVOID Base = (PVOID)BASE;
    SIZE_T Size = 2 * 0x1000;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit two pages at 0x%08X", BASE);
    *(volatile ULONG *)BASE = 0x5EED;
    Break("two pages committed");
    Size = 0;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE),
                 STATUS_SUCCESS, "release them");
    Break("released");
    check_status(PvDebugBreak((const char *)0x10, 8), STATUS_ACCESS_VIOLATION,
                 "a label at 0x10");
    msg("end");
    return 0;
}
