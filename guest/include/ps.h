/*
 * ps.h - processes: the EPROCESS (an object: its header first; its one thread; its address
 * space's VADs, commit charge and working set; its image's segments for demand paging; its
 * handle table) and attaching to a process's address space.
 */
#ifndef PV_PS_H
#define PV_PS_H

#include "ntdef.h"
#include "pv_abi.h"
#include "intrin.h"
#include "ke.h"
#include "ob.h"
#include "vad.h"
#include "ws.h"
#include "ldr.h"
#include "dbgk.h"

#define PS_MAX_HANDLES   32
#define PS_MAX_PROCESSES 32     /* alive at once (each has a 16 KiB kernel stack slot) */

typedef struct _KPROCESS
{
    DISPATCHER_HEADER Header;     /* signaled when the process has ended */
    ULONG DirectoryTableBase[2];  /* [0] page directory, [1] hyperspace page table (physical) */
} KPROCESS;

typedef struct _EPROCESS
{
    OBJECT_HEADER ObjectHeader;
    KPROCESS Pcb;
    KTHREAD Thread;                         /* its only thread */
    LIST_ENTRY ActiveProcessLinks;          /* PsActiveProcessHead while it has a thread */
    ULONG UniqueProcessId;
    ULONG InheritedFromUniqueProcessId;
    CHAR ImageFileName[PV_NAME_MAX];
    PFN_NUMBER WorkingSetPage;
    ULONG ImageBase, ImageEnd, EntryPoint;  /* [ImageBase, ImageEnd) */
    ULONG ArgumentCount;
    ULONG InitialStack;                     /* user ESP at entry */
    MMPROCESS_VM Vm;                        /* VADs, commit charge, fault count */
    MMSUPPORT Ws;                           /* working set: list, limits */
    PLDR_MODULE ImageModule;                /* the image file, for demand paging it */
    ULONG ImageSegmentCount;
    ULONG ImportTableVa, ImportTableOffset, ImportTableEntries; /* its imports: ldr/sysdll.c */
    LDR_IMAGE_SEGMENT ImageSegments[LDR_MAX_SEGMENTS];
    NTSTATUS ExitStatus;
    BOOLEAN Exited;                         /* its thread ran its exit path */
    BOOLEAN Killed;                         /* ended by an exception */
    BOOLEAN AddressSpaceCreated;
    BOOLEAN Started;                        /* reached ring 3 at least once */
    BOOLEAN TerminationRequested;           /* NtTerminateProcess by another process */
    ULONG FaultAddress, FaultEip, FaultAccess, FaultTrap, FaultErrorCode;
    struct pv_regs FaultRegs;               /* at the exception that ended it (Killed) */
    /* Exceptions (ke/except.c): the last one a trap raised, for the crash report if nobody
     * handles it; how many went to the process's own handlers. */
    BOOLEAN DispatchValid;
    ULONG DispatchCode, DispatchEip, DispatchTrap, DispatchErrCode, DispatchAddress,
          DispatchAccess;
    ULONG ExceptionsDispatched;
    ULONG AttachCount;                      /* threads attached to it (mm/vmcopy.c) */
    /* Its debugger (dbgk/): the debug object, the event out, the frame of a stopped thread. */
    struct _DEBUG_OBJECT *DebugPort;
    DBGK_EVENT DebugEvent;
    BOOLEAN DebugStopped;
    PKTRAP_FRAME DebugTrapFrame;
    POBJECT_HEADER HandleTable[PS_MAX_HANDLES];   /* handle 4*(i+1) */
    ULONG HandleAccess[PS_MAX_HANDLES];           /* the rights each handle grants */
    UCHAR HandleType[PS_MAX_HANDLES];             /* 0: the object's type; or ObThreadType */
    ULONG AwePages;                         /* physical frames it owns (mm/physical.c) */
    ULONG LargePages;                       /* 4 MiB pages mapped for it (mm/largepag.c) */
} EPROCESS, *PEPROCESS;

extern EPROCESS PsInitialSystemProcess;

/* ke/forktest.c: a debugging aid for MmCloneProcessAddressSpace (kernel option pv.debugclone) */
NTSTATUS PvDebugCloneProcess(ULONG Operation, PVOID ChildAddress, PVOID Buffer, ULONG Length);
VOID PsDeleteDebugClone(VOID);
extern PEPROCESS PsCurrentProcess;
extern LIST_ENTRY PsActiveProcessHead;
extern ULONG PsActiveProcessCount;

FORCEINLINE PEPROCESS PsGetCurrentProcess(VOID)
{
    return PsCurrentProcess;
}

/* Switch the processor to Process's address space (CR3). The system half is shared, so the
 * kernel keeps running; hyperspace and user space become Process's. The thread keeps it
 * across switches until it detaches. */
FORCEINLINE VOID KeAttachProcess(PEPROCESS Process)
{
    PsCurrentProcess = Process;
    KeGetCurrentThread()->ApcStateProcess = Process;
    __writecr3(Process->Pcb.DirectoryTableBase[0]);
}

FORCEINLINE VOID KeDetachProcess(VOID)
{
    KeAttachProcess(KeGetCurrentThread()->Process);
}

/* ps/create.c */
VOID PspThreadStartup(PKTHREAD Thread);
VOID PspThreadReaped(PKTHREAD Thread);
/* A process for the boot module, started (its thread ready); referenced for the caller. */
NTSTATUS PspCreateProcessForModule(PLDR_MODULE Module, PCSTR Arguments, PEPROCESS Parent,
                                   PEPROCESS *Process);
NTSTATUS NtCreateProcess(PHANDLE ProcessHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                         HANDLE ParentProcess, BOOLEAN InheritObjectTable, HANDLE SectionHandle,
                         HANDLE DebugPort, HANDLE ExceptionPort);
NTSTATUS PvCreateProcess(PCSTR ImageName, PCSTR Arguments, PHANDLE ProcessHandle);
NTSTATUS NtQueryInformationProcess(HANDLE ProcessHandle, ULONG InformationClass,
                                   PVOID Information, ULONG Length, PULONG ReturnLength);
VOID PspDeleteProcess(PVOID Object);

/* ps/kill.c */
VOID PspReportExit(PEPROCESS Process);
NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);
/* Another process ends with ExitStatus when its thread next leaves the kernel (a wait it is
 * in ends at once). STATUS_PROCESS_IS_TERMINATING if it already is. */
NTSTATUS PsTerminateProcess(PEPROCESS Process, NTSTATUS ExitStatus);
DECLSPEC_NORETURN VOID PspExitThread(NTSTATUS ExitStatus);
DECLSPEC_NORETURN VOID PspReportDeadlock(VOID);
VOID PspCheckTermination(VOID);

/* ps/psinit.c: the boot modules as processes, one after another or all at once. */
ULONG PsRunBootImages(VOID);

/* ke/wait.c services, ex/ */
NTSTATUS NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS NtDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval);
NTSTATUS NtYieldExecution(VOID);
NTSTATUS NtCreateSemaphore(PHANDLE SemaphoreHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                           LONG InitialCount, LONG MaximumCount);
NTSTATUS NtOpenSemaphore(PHANDLE SemaphoreHandle, ULONG DesiredAccess, PVOID ObjectAttributes);
NTSTATUS NtReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount, PLONG PreviousCount);
NTSTATUS NtCreateEvent(PHANDLE EventHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                       ULONG EventType, BOOLEAN InitialState);
NTSTATUS NtOpenEvent(PHANDLE EventHandle, ULONG DesiredAccess, PVOID ObjectAttributes);
NTSTATUS NtSetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NtResetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NtOpenSection(PHANDLE SectionHandle, ULONG DesiredAccess, PVOID ObjectAttributes);

#endif /* PV_PS_H */
