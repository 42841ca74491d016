/*
 * ntservices.h - the system service numbers. The kernel's dispatch tables (ke/syscall.c) and
 * the user-mode stubs (user/ntstubs.S) are both generated from the lists below, so the two
 * sides cannot disagree.
 *
 * Calling convention (NT's, i386): the stub loads EAX = service number and EDX = address of
 * the first argument on the user stack, then executes `int 0x2E`; the result (an NTSTATUS)
 * comes back in EAX. Stubs are stdcall (NTAPI): they pop their own arguments.
 * A service number is (table << 12) | index, as in NT: table 0 holds NT native services,
 * table 1 (0x1000) pagevisor's own Pv* services.
 *
 * Each entry: X(Name, Number, ArgumentCount).
 */
#ifndef PV_NTSERVICES_H
#define PV_NTSERVICES_H

#define KI_SERVICE_TABLE_SHIFT  12
#define KI_SERVICE_INDEX_MASK   0xFFF
#define KI_MAX_SERVICE_ARGUMENTS 11

#define PV_NT_SERVICES(X) \
    X(NtTerminateProcess,      0x0000, 2) \
    X(NtAllocateVirtualMemory, 0x0001, 6) \
    X(NtFreeVirtualMemory,     0x0002, 4) \
    X(NtProtectVirtualMemory,  0x0003, 5) \
    X(NtQueryVirtualMemory,    0x0004, 6) \
    X(NtCreateSection,         0x0005, 7) \
    X(NtMapViewOfSection,      0x0006, 10) \
    X(NtUnmapViewOfSection,    0x0007, 2) \
    X(NtClose,                 0x0008, 1) \
    X(NtCreateProcess,         0x0009, 8) \
    X(NtQueryInformationProcess, 0x000A, 5) \
    X(NtWaitForSingleObject,   0x000B, 3) \
    X(NtDelayExecution,        0x000C, 2) \
    X(NtYieldExecution,        0x000D, 0) \
    X(NtCreateSemaphore,       0x000E, 5) \
    X(NtOpenSemaphore,         0x000F, 3) \
    X(NtReleaseSemaphore,      0x0010, 3) \
    X(NtCreateEvent,           0x0011, 5) \
    X(NtOpenEvent,             0x0012, 3) \
    X(NtSetEvent,              0x0013, 2) \
    X(NtResetEvent,            0x0014, 2) \
    X(NtOpenSection,           0x0015, 3) \
    X(NtCreateFile,            0x0016, 11) \
    X(NtOpenFile,              0x0017, 6) \
    X(NtReadFile,              0x0018, 9) \
    X(NtWriteFile,             0x0019, 9) \
    X(NtQueryInformationFile,  0x001A, 5) \
    X(NtSetInformationFile,    0x001B, 5) \
    X(NtFlushVirtualMemory,    0x001C, 4) \
    X(NtContinue,              0x001D, 2) \
    X(NtRaiseException,        0x001E, 3) \
    X(NtGetContextThread,      0x001F, 2) \
    X(NtSetContextThread,      0x0020, 2) \
    X(NtReadVirtualMemory,     0x0021, 5) \
    X(NtWriteVirtualMemory,    0x0022, 5) \
    X(NtFlushInstructionCache, 0x0023, 3) \
    X(NtCreateDebugObject,     0x0024, 4) \
    X(NtWaitForDebugEvent,     0x0025, 4) \
    X(NtDebugContinue,         0x0026, 3) \
    X(NtDebugActiveProcess,    0x0027, 2) \
    X(NtAllocateUserPhysicalPages, 0x0028, 3) \
    X(NtFreeUserPhysicalPages, 0x0029, 3) \
    X(NtMapUserPhysicalPages,  0x002A, 3) \
    X(NtMapUserPhysicalPagesScatter, 0x002B, 3)

#define PV_PV_SERVICES(X) \
    X(PvDisplayString,         0x1000, 2) \
    X(PvQueryMmCounters,       0x1001, 2) \
    X(PvQueryPhysicalPage,     0x1002, 2) \
    X(PvSetWorkingSetLimits,   0x1003, 2) \
    X(PvReadConsole,           0x1004, 3) \
    X(PvCreateProcess,         0x1005, 3) \
    X(PvCreateProcessEx,       0x1006, 5) \
    X(PvDebugBreak,            0x1007, 2) \
    X(PvGetLargePageMinimum,   0x1008, 1) \
    X(PvDebugCloneProcess,     0x10F0, 4) \
    X(PvDebugRecurseInKernel,  0x10F1, 3)

/* The system DLL's own functions (ntdll/), which images import by name like the stubs. */
#define PV_NTDLL_FUNCTIONS(X) \
    X(RtlAddVectoredExceptionHandler) \
    X(RtlRemoveVectoredExceptionHandler)

#endif /* PV_NTSERVICES_H */
