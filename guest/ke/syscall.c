/*
 * syscall.c - KiSystemService: the int 0x2E dispatcher. EAX holds the service number
 * ((table << 12) | index, see ntservices.h), EDX the caller's argument array. The arguments
 * are copied in with the fault-safe user copy, then the service runs; its NTSTATUS goes back
 * in EAX. Unknown numbers return STATUS_INVALID_SYSTEM_SERVICE, an unreadable argument array
 * STATUS_ACCESS_VIOLATION.
 */
#include "ke.h"
#include "mm.h"
#include "ps.h"
#include "ntservices.h"
#include "io.h"
#include "dbgk.h"

typedef NTSTATUS (*PKI_SERVICE_THUNK)(const ULONG *Arguments);

typedef struct _KSERVICE_ENTRY
{
    PKI_SERVICE_THUNK Thunk;
    ULONG ArgumentCount;
    PCSTR Name;
} KSERVICE_ENTRY;

/* One thunk per service: unpacks the argument array into the service's typed parameters. */
static NTSTATUS KiThunkNtTerminateProcess(const ULONG *Arguments)
{
    return NtTerminateProcess((HANDLE)(ULONG_PTR)Arguments[0], (NTSTATUS)Arguments[1]);
}

static NTSTATUS KiThunkNtAllocateVirtualMemory(const ULONG *Arguments)
{
    return NtAllocateVirtualMemory((HANDLE)(ULONG_PTR)Arguments[0], (PVOID *)(ULONG_PTR)Arguments[1],
                                   Arguments[2], (PSIZE_T)(ULONG_PTR)Arguments[3], Arguments[4],
                                   Arguments[5]);
}

static NTSTATUS KiThunkNtFreeVirtualMemory(const ULONG *Arguments)
{
    return NtFreeVirtualMemory((HANDLE)(ULONG_PTR)Arguments[0], (PVOID *)(ULONG_PTR)Arguments[1],
                               (PSIZE_T)(ULONG_PTR)Arguments[2], Arguments[3]);
}

static NTSTATUS KiThunkNtProtectVirtualMemory(const ULONG *Arguments)
{
    return NtProtectVirtualMemory((HANDLE)(ULONG_PTR)Arguments[0],
                                  (PVOID *)(ULONG_PTR)Arguments[1],
                                  (PSIZE_T)(ULONG_PTR)Arguments[2], Arguments[3],
                                  (PULONG)(ULONG_PTR)Arguments[4]);
}

static NTSTATUS KiThunkNtQueryVirtualMemory(const ULONG *Arguments)
{
    return NtQueryVirtualMemory((HANDLE)(ULONG_PTR)Arguments[0], (PVOID)(ULONG_PTR)Arguments[1],
                                (MEMORY_INFORMATION_CLASS)Arguments[2],
                                (PVOID)(ULONG_PTR)Arguments[3], Arguments[4],
                                (PSIZE_T)(ULONG_PTR)Arguments[5]);
}

static NTSTATUS KiThunkNtCreateSection(const ULONG *Arguments)
{
    return NtCreateSection((PHANDLE)(ULONG_PTR)Arguments[0], Arguments[1],
                           (PVOID)(ULONG_PTR)Arguments[2], (PULONGLONG)(ULONG_PTR)Arguments[3],
                           Arguments[4], Arguments[5], (HANDLE)(ULONG_PTR)Arguments[6]);
}

static NTSTATUS KiThunkNtMapViewOfSection(const ULONG *Arguments)
{
    return NtMapViewOfSection((HANDLE)(ULONG_PTR)Arguments[0], (HANDLE)(ULONG_PTR)Arguments[1],
                              (PVOID *)(ULONG_PTR)Arguments[2], Arguments[3], Arguments[4],
                              (PULONGLONG)(ULONG_PTR)Arguments[5],
                              (PSIZE_T)(ULONG_PTR)Arguments[6], Arguments[7], Arguments[8],
                              Arguments[9]);
}

static NTSTATUS KiThunkNtUnmapViewOfSection(const ULONG *Arguments)
{
    return NtUnmapViewOfSection((HANDLE)(ULONG_PTR)Arguments[0], (PVOID)(ULONG_PTR)Arguments[1]);
}

static NTSTATUS KiThunkNtClose(const ULONG *Arguments)
{
    return NtClose((HANDLE)(ULONG_PTR)Arguments[0]);
}

#define ARG_HANDLE(i) ((HANDLE)(ULONG_PTR)Arguments[i])
#define ARG_PTR(T, i) ((T)(ULONG_PTR)Arguments[i])

static NTSTATUS KiThunkNtCreateProcess(const ULONG *Arguments)
{
    return NtCreateProcess(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2), ARG_HANDLE(3),
                           (BOOLEAN)Arguments[4], ARG_HANDLE(5), ARG_HANDLE(6), ARG_HANDLE(7));
}

static NTSTATUS KiThunkNtQueryInformationProcess(const ULONG *Arguments)
{
    return NtQueryInformationProcess(ARG_HANDLE(0), Arguments[1], ARG_PTR(PVOID, 2),
                                     Arguments[3], ARG_PTR(PULONG, 4));
}

static NTSTATUS KiThunkNtWaitForSingleObject(const ULONG *Arguments)
{
    return NtWaitForSingleObject(ARG_HANDLE(0), (BOOLEAN)Arguments[1],
                                 ARG_PTR(PLARGE_INTEGER, 2));
}

static NTSTATUS KiThunkNtDelayExecution(const ULONG *Arguments)
{
    return NtDelayExecution((BOOLEAN)Arguments[0], ARG_PTR(PLARGE_INTEGER, 1));
}

static NTSTATUS KiThunkNtYieldExecution(const ULONG *Arguments)
{
    (void)Arguments;
    return NtYieldExecution();
}

static NTSTATUS KiThunkNtCreateSemaphore(const ULONG *Arguments)
{
    return NtCreateSemaphore(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2),
                             (LONG)Arguments[3], (LONG)Arguments[4]);
}

static NTSTATUS KiThunkNtOpenSemaphore(const ULONG *Arguments)
{
    return NtOpenSemaphore(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2));
}

static NTSTATUS KiThunkNtReleaseSemaphore(const ULONG *Arguments)
{
    return NtReleaseSemaphore(ARG_HANDLE(0), (LONG)Arguments[1], ARG_PTR(PLONG, 2));
}

static NTSTATUS KiThunkNtCreateEvent(const ULONG *Arguments)
{
    return NtCreateEvent(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2), Arguments[3],
                         (BOOLEAN)Arguments[4]);
}

static NTSTATUS KiThunkNtOpenEvent(const ULONG *Arguments)
{
    return NtOpenEvent(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2));
}

static NTSTATUS KiThunkNtSetEvent(const ULONG *Arguments)
{
    return NtSetEvent(ARG_HANDLE(0), ARG_PTR(PLONG, 1));
}

static NTSTATUS KiThunkNtResetEvent(const ULONG *Arguments)
{
    return NtResetEvent(ARG_HANDLE(0), ARG_PTR(PLONG, 1));
}

static NTSTATUS KiThunkNtOpenSection(const ULONG *Arguments)
{
    return NtOpenSection(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2));
}

static NTSTATUS KiThunkNtCreateFile(const ULONG *Arguments)
{
    return NtCreateFile(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2),
                        ARG_PTR(PIO_STATUS_BLOCK, 3), ARG_PTR(PLARGE_INTEGER, 4), Arguments[5],
                        Arguments[6], Arguments[7], Arguments[8], ARG_PTR(PVOID, 9),
                        Arguments[10]);
}

static NTSTATUS KiThunkNtOpenFile(const ULONG *Arguments)
{
    return NtOpenFile(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2),
                      ARG_PTR(PIO_STATUS_BLOCK, 3), Arguments[4], Arguments[5]);
}

static NTSTATUS KiThunkNtReadFile(const ULONG *Arguments)
{
    return NtReadFile(ARG_HANDLE(0), ARG_HANDLE(1), ARG_PTR(PVOID, 2), ARG_PTR(PVOID, 3),
                      ARG_PTR(PIO_STATUS_BLOCK, 4), ARG_PTR(PVOID, 5), Arguments[6],
                      ARG_PTR(PLARGE_INTEGER, 7), ARG_PTR(PULONG, 8));
}

static NTSTATUS KiThunkNtWriteFile(const ULONG *Arguments)
{
    return NtWriteFile(ARG_HANDLE(0), ARG_HANDLE(1), ARG_PTR(PVOID, 2), ARG_PTR(PVOID, 3),
                       ARG_PTR(PIO_STATUS_BLOCK, 4), ARG_PTR(PCVOID, 5), Arguments[6],
                       ARG_PTR(PLARGE_INTEGER, 7), ARG_PTR(PULONG, 8));
}

static NTSTATUS KiThunkNtQueryInformationFile(const ULONG *Arguments)
{
    return NtQueryInformationFile(ARG_HANDLE(0), ARG_PTR(PIO_STATUS_BLOCK, 1),
                                  ARG_PTR(PVOID, 2), Arguments[3], Arguments[4]);
}

static NTSTATUS KiThunkNtSetInformationFile(const ULONG *Arguments)
{
    return NtSetInformationFile(ARG_HANDLE(0), ARG_PTR(PIO_STATUS_BLOCK, 1), ARG_PTR(PVOID, 2),
                                Arguments[3], Arguments[4]);
}

static NTSTATUS KiThunkNtFlushVirtualMemory(const ULONG *Arguments)
{
    return NtFlushVirtualMemory(ARG_HANDLE(0), ARG_PTR(PVOID *, 1), ARG_PTR(PSIZE_T, 2),
                                ARG_PTR(PIO_STATUS_BLOCK, 3));
}

static NTSTATUS KiThunkNtContinue(const ULONG *Arguments)
{
    return NtContinue(ARG_PTR(PCONTEXT, 0), (BOOLEAN)Arguments[1]);
}

static NTSTATUS KiThunkNtRaiseException(const ULONG *Arguments)
{
    return NtRaiseException(ARG_PTR(PEXCEPTION_RECORD, 0), ARG_PTR(PCONTEXT, 1),
                            (BOOLEAN)Arguments[2]);
}

static NTSTATUS KiThunkNtGetContextThread(const ULONG *Arguments)
{
    return NtGetContextThread(ARG_HANDLE(0), ARG_PTR(PCONTEXT, 1));
}

static NTSTATUS KiThunkNtSetContextThread(const ULONG *Arguments)
{
    return NtSetContextThread(ARG_HANDLE(0), ARG_PTR(PCONTEXT, 1));
}

static NTSTATUS KiThunkNtReadVirtualMemory(const ULONG *Arguments)
{
    return NtReadVirtualMemory(ARG_HANDLE(0), ARG_PTR(PVOID, 1), ARG_PTR(PVOID, 2), Arguments[3],
                               ARG_PTR(PSIZE_T, 4));
}

static NTSTATUS KiThunkNtWriteVirtualMemory(const ULONG *Arguments)
{
    return NtWriteVirtualMemory(ARG_HANDLE(0), ARG_PTR(PVOID, 1), ARG_PTR(PCVOID, 2),
                                Arguments[3], ARG_PTR(PSIZE_T, 4));
}

static NTSTATUS KiThunkNtFlushInstructionCache(const ULONG *Arguments)
{
    return NtFlushInstructionCache(ARG_HANDLE(0), ARG_PTR(PVOID, 1), Arguments[2]);
}

static NTSTATUS KiThunkNtCreateDebugObject(const ULONG *Arguments)
{
    return NtCreateDebugObject(ARG_PTR(PHANDLE, 0), Arguments[1], ARG_PTR(PVOID, 2),
                               Arguments[3]);
}

static NTSTATUS KiThunkNtWaitForDebugEvent(const ULONG *Arguments)
{
    return NtWaitForDebugEvent(ARG_HANDLE(0), (BOOLEAN)Arguments[1],
                               ARG_PTR(PLARGE_INTEGER, 2), ARG_PTR(PDBGUI_WAIT_STATE_CHANGE, 3));
}

static NTSTATUS KiThunkNtDebugContinue(const ULONG *Arguments)
{
    return NtDebugContinue(ARG_HANDLE(0), ARG_PTR(PCLIENT_ID, 1), (NTSTATUS)Arguments[2]);
}

static NTSTATUS KiThunkNtDebugActiveProcess(const ULONG *Arguments)
{
    return NtDebugActiveProcess(ARG_HANDLE(0), ARG_HANDLE(1));
}

static NTSTATUS KiThunkNtAllocateUserPhysicalPages(const ULONG *Arguments)
{
    return NtAllocateUserPhysicalPages(ARG_HANDLE(0), ARG_PTR(PULONG_PTR, 1),
                                       ARG_PTR(PULONG_PTR, 2));
}

static NTSTATUS KiThunkNtFreeUserPhysicalPages(const ULONG *Arguments)
{
    return NtFreeUserPhysicalPages(ARG_HANDLE(0), ARG_PTR(PULONG_PTR, 1), ARG_PTR(PULONG_PTR, 2));
}

static NTSTATUS KiThunkNtMapUserPhysicalPages(const ULONG *Arguments)
{
    return NtMapUserPhysicalPages(ARG_PTR(PVOID, 0), Arguments[1], ARG_PTR(PULONG_PTR, 2));
}

static NTSTATUS KiThunkNtMapUserPhysicalPagesScatter(const ULONG *Arguments)
{
    return NtMapUserPhysicalPagesScatter(ARG_PTR(PVOID *, 0), Arguments[1],
                                         ARG_PTR(PULONG_PTR, 2));
}

static NTSTATUS KiThunkPvCreateProcessEx(const ULONG *Arguments)
{
    return PvCreateProcessEx(ARG_PTR(PCSTR, 0), ARG_PTR(PCSTR, 1), ARG_HANDLE(2),
                             ARG_PTR(PHANDLE, 3), ARG_PTR(PHANDLE, 4));
}

static NTSTATUS KiThunkPvCreateProcess(const ULONG *Arguments)
{
    return PvCreateProcess(ARG_PTR(PCSTR, 0), ARG_PTR(PCSTR, 1), ARG_PTR(PHANDLE, 2));
}

static NTSTATUS KiThunkPvDisplayString(const ULONG *Arguments)
{
    return PvDisplayString((PCSTR)(ULONG_PTR)Arguments[0], Arguments[1]);
}

static NTSTATUS KiThunkPvDebugBreak(const ULONG *Arguments)
{
    return PvDebugBreak((PCSTR)(ULONG_PTR)Arguments[0], Arguments[1]);
}

static NTSTATUS KiThunkPvQueryMmCounters(const ULONG *Arguments)
{
    return PvQueryMmCounters((PPV_MM_COUNTERS)(ULONG_PTR)Arguments[0], Arguments[1]);
}

static NTSTATUS KiThunkPvQueryPhysicalPage(const ULONG *Arguments)
{
    return PvQueryPhysicalPage((PVOID)(ULONG_PTR)Arguments[0], (PULONG)(ULONG_PTR)Arguments[1]);
}

static NTSTATUS KiThunkPvSetWorkingSetLimits(const ULONG *Arguments)
{
    return PvSetWorkingSetLimits(Arguments[0], Arguments[1]);
}

static NTSTATUS KiThunkPvDebugCloneProcess(const ULONG *Arguments)
{
    return PvDebugCloneProcess(Arguments[0], (PVOID)(ULONG_PTR)Arguments[1],
                               (PVOID)(ULONG_PTR)Arguments[2], Arguments[3]);
}

static NTSTATUS KiThunkPvGetLargePageMinimum(const ULONG *Arguments)
{
    return PvGetLargePageMinimum((PSIZE_T)(ULONG_PTR)Arguments[0]);
}

static NTSTATUS KiThunkPvDebugRecurseInKernel(const ULONG *Arguments)
{
    return PvDebugRecurseInKernel(Arguments[0], Arguments[1], (PULONG)(ULONG_PTR)Arguments[2]);
}

static NTSTATUS KiThunkPvReadConsole(const ULONG *Arguments)
{
    return PvReadConsole((PVOID)(ULONG_PTR)Arguments[0], Arguments[1],
                         (PULONG)(ULONG_PTR)Arguments[2]);
}

#define KI_SERVICE_ENTRY(Name, Number, Count) \
    [(Number) & KI_SERVICE_INDEX_MASK] = { KiThunk##Name, (Count), #Name },

static const KSERVICE_ENTRY KiNtServiceTable[] = { PV_NT_SERVICES(KI_SERVICE_ENTRY) };
static const KSERVICE_ENTRY KiPvServiceTable[] = { PV_PV_SERVICES(KI_SERVICE_ENTRY) };

static const struct
{
    const KSERVICE_ENTRY *Table;
    ULONG Count;
} KiServiceDescriptorTable[] = {
    { KiNtServiceTable, RTL_NUMBER_OF(KiNtServiceTable) },
    { KiPvServiceTable, RTL_NUMBER_OF(KiPvServiceTable) },
};

VOID KiSystemService(PKTRAP_FRAME TrapFrame)
{
    ULONG Number = TrapFrame->Eax;
    ULONG TableIndex = Number >> KI_SERVICE_TABLE_SHIFT;
    ULONG Index = Number & KI_SERVICE_INDEX_MASK;
    ULONG Arguments[KI_MAX_SERVICE_ARGUMENTS];
    const KSERVICE_ENTRY *Service;
    NTSTATUS Status;

    if (!KiUserTrap(TrapFrame))
        KeBugCheckWithTf(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_INVALID_SYSTEM_SERVICE,
                         TrapFrame->Eip, Number, 0, TrapFrame);

    if (TableIndex >= RTL_NUMBER_OF(KiServiceDescriptorTable) ||
        Index >= KiServiceDescriptorTable[TableIndex].Count ||
        KiServiceDescriptorTable[TableIndex].Table[Index].Thunk == NULL)
    {
        TrapFrame->Eax = (ULONG)STATUS_INVALID_SYSTEM_SERVICE;
        return;
    }
    Service = &KiServiceDescriptorTable[TableIndex].Table[Index];
    KeGetCurrentThread()->TrapFrame = TrapFrame;

    Status = MmCopyFromUser(Arguments, (PCVOID)(ULONG_PTR)TrapFrame->Edx,
                            Service->ArgumentCount * sizeof(ULONG));
    if (NT_SUCCESS(Status))
        Status = Service->Thunk(Arguments);
    /* NtContinue and its kind resume the thread elsewhere, with its own EAX. */
    if (KeGetCurrentThread()->ContextLoaded)
        KeGetCurrentThread()->ContextLoaded = FALSE;
    else
        TrapFrame->Eax = (ULONG)Status;
}
