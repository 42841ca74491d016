/*
 * guard-user - what a ring-3 access to a guard page does here. NT raises
 * STATUS_GUARD_PAGE_VIOLATION in the thread; pagevisor has no user exception dispatch yet, so
 * the exception is unhandled and ends the process with that status (0x80000001), after the
 * guard bit was cleared. (The stack's own guard page is different: it grows the stack.)
 * Expected: begin, then the process is killed:
 * "guard-user: exit(0x80000001) STATUS_GUARD_PAGE_VIOLATION".
 */
#include <ntapi.h>

int main(void)
{
    PVOID Base = NULL;
    SIZE_T Size = 0x1000;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD),
                 STATUS_SUCCESS, "commit a PAGE_READWRITE | PAGE_GUARD page");
    (void)*(volatile ULONG *)Base;
    fail("reading the guard page went on");
}
