/*
 * bad-syscall-ptr - the kernel never trusts a user pointer: PvDisplayString with a kernel
 * pointer, an unmapped user pointer, NULL, ranges that cross into the guard area, wrap around
 * or run off the end of the mapped image, and system calls whose argument array itself is
 * bad all return STATUS_ACCESS_VIOLATION (0xC0000005) and the process goes on. Also: length 0
 * succeeds without touching the pointer, an unknown service number is
 * STATUS_INVALID_SYSTEM_SERVICE, an unknown handle STATUS_INVALID_HANDLE.
 * Expected: one line per case, end; "bad-syscall-ptr: exit(0)".
 */
#include <ntapi.h>

extern char _end[];

/* A raw system call with an arbitrary argument pointer. */
static NTSTATUS RawSystemCall(ULONG Number, ULONG Arguments)
{
    NTSTATUS Status;

    __asm__ volatile("int $0x2E" : "=a"(Status) : "a"(Number), "d"(Arguments) : "memory");
    return Status;
}

static void Expect(NTSTATUS Status, NTSTATUS Expected, const char *What)
{
    if (Status != Expected)
        fail("%s returned 0x%08X, expected 0x%08X", What, (ULONG)Status, (ULONG)Expected);
    msg("%s returned 0x%08X", What, (ULONG)Status);
}

int main(void)
{
    ULONG EndOfImage = ((ULONG)_end + 0xFFF) & ~0xFFFu;

    msg("begin");
    Expect(PvDisplayString((const char *)0xC0000000u, 16), STATUS_ACCESS_VIOLATION,
           "PvDisplayString(0xC0000000 page tables, 16)");
    Expect(PvDisplayString((const char *)0x80100000u, 16), STATUS_ACCESS_VIOLATION,
           "PvDisplayString(0x80100000 kernel image, 16)");
    Expect(PvDisplayString((const char *)0x10000000u, 16), STATUS_ACCESS_VIOLATION,
           "PvDisplayString(0x10000000 unmapped, 16)");
    Expect(PvDisplayString(NULL, 5), STATUS_ACCESS_VIOLATION, "PvDisplayString(NULL, 5)");
    Expect(PvDisplayString((const char *)0x7FFEFFF0u, 0x20), STATUS_ACCESS_VIOLATION,
           "PvDisplayString(0x7FFEFFF0, 0x20) into the guard area");
    Expect(PvDisplayString((const char *)0x00400000u, 0xFFFFFFF0u), STATUS_ACCESS_VIOLATION,
           "PvDisplayString(0x00400000, 0xFFFFFFF0) wrapping around");
    Expect(PvDisplayString((const char *)(EndOfImage - 4), 8), STATUS_ACCESS_VIOLATION,
           "PvDisplayString(4 bytes before the end of the image, 8)");
    Expect(PvDisplayString((const char *)0xC0000000u, 0), STATUS_SUCCESS,
           "PvDisplayString(0xC0000000, 0)");
    Expect(RawSystemCall(0x1000, 0xC0000000u), STATUS_ACCESS_VIOLATION,
           "int 0x2E PvDisplayString with arguments at 0xC0000000");
    Expect(RawSystemCall(0x1000, 0), STATUS_ACCESS_VIOLATION,
           "int 0x2E PvDisplayString with arguments at NULL");
    Expect(RawSystemCall(0x0FFF, 0), STATUS_INVALID_SYSTEM_SERVICE, "int 0x2E service 0x0FFF");
    Expect(RawSystemCall(0x5000, 0), STATUS_INVALID_SYSTEM_SERVICE, "int 0x2E service 0x5000");
    Expect(NtTerminateProcess((HANDLE)0x1234, 7), STATUS_INVALID_HANDLE,
           "NtTerminateProcess(0x1234, 7)");
    msg("end");
    return 0;
}
