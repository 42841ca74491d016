/*
 * kill.c - the end of a process. Its thread runs the exit path itself, on its own kernel
 * stack: the exit line and the host told (while the address space still exists: the host
 * reads the faulting instructions through it), every view, page, page table, slot and VAD
 * freed (MmCleanProcessAddressSpace), every handle closed, then, from the system address
 * space, the page directory and hyperspace freed; the process object is signaled (waiters on
 * it wake and can read the exit status) and the thread terminates; the next thread to run
 * frees its kernel stack.
 *
 * NtTerminateProcess on another process marks it: its thread exits when it next returns to
 * ring 3 (a wait it is in ends at once). A system where every thread waits with no timeout for
 * something nothing can signal is reported with each process and what it waits on, then
 * stopped (PV_ALL_THREADS_DEADLOCKED) instead of sitting until the host's --timeout.
 */
#include "ke.h"
#include "hv.h"
#include "mm.h"
#include "ob.h"
#include "ps.h"
#include "rtl.h"

VOID PspReportExit(PEPROCESS Process)
{
    NTSTATUS Status = Process->ExitStatus;
    PCSTR Name = KiStatusName(Status);

    if (Process->Started && !Process->Killed)
    {
        KiPrintStdout("%s: exit(%d)\n", Process->ImageFileName, (LONG)Status);
    }
    else if (Process->Killed && (Status == STATUS_ACCESS_VIOLATION ||
                                 Status == STATUS_IN_PAGE_ERROR))
    {
        PCSTR Access = Process->FaultAccess == MI_ACCESS_WRITE ? "writing"
                     : Process->FaultAccess == MI_ACCESS_EXECUTE ? "executing" : "reading";
        KiPrintStdout("%s: exit(0x%08X) %s %s 0x%08X\n", Process->ImageFileName, (ULONG)Status,
                      Name, Access, Process->FaultAddress);
    }
    else
    {
        KiPrintStdout("%s: exit(0x%08X)%s%s\n", Process->ImageFileName, (ULONG)Status,
                      Name != NULL ? " " : "", Name != NULL ? Name : "");
    }
    HvNotifyProcessExit(Process->UniqueProcessId, (ULONG)Status, Process->Killed,
                        Process->FaultAddress, Process->FaultEip, Process->FaultAccess,
                        Process->InheritedFromUniqueProcessId != PsInitialSystemProcess.UniqueProcessId,
                        Process->ImageFileName, Process->FaultTrap,
                        Process->Killed ? &Process->FaultRegs : NULL);
}

VOID PspExitThread(NTSTATUS ExitStatus)
{
    PKTHREAD Thread = KeGetCurrentThread();
    PEPROCESS Process = Thread->Process;

    if (!Process->Exited)
    {
        Process->Exited = TRUE;
        Process->ExitStatus = ExitStatus;
    }
    PspReportExit(Process);
    DbgkExitProcess(Process->ExitStatus);
    /* A thread of another process working in this address space (NtWriteVirtualMemory that
     * waits for a page) finishes first. */
    while (Process->AttachCount != 0)
        (void)KeDelayExecutionThread(1);

    KeAttachProcess(Process);
    MmCleanProcessAddressSpace(Process);
    ObKillProcess(Process);
    KeAttachProcess(&PsInitialSystemProcess);
    MmDeleteProcessAddressSpace(Process);
    Process->AddressSpaceCreated = FALSE;
    PsDeleteDebugClone();   /* a clone it left (ke/forktest.c, a debugging aid): after it */
    DbgPrint("mm: %s (pid %u) deleted: available pages %u, kernel stacks %u\n",
             Process->ImageFileName, Process->UniqueProcessId, MmAvailablePages,
             MmKernelStacksInUse);

    RemoveEntryList(&Process->ActiveProcessLinks);
    PsActiveProcessCount--;
    KiSignalObjectForever(&Process->Pcb.Header);
    KiTerminateCurrentThread();
}

/* An exception in ring 3 ends the current process. */
VOID KiTerminateByException(NTSTATUS Status, ULONG FaultAddress, ULONG FaultAccess,
                            PKTRAP_FRAME TrapFrame)
{
    PEPROCESS Process = PsGetCurrentProcess();

    Process->Killed = TRUE;
    Process->FaultAddress = FaultAddress;
    Process->FaultAccess = FaultAccess;
    Process->FaultEip = TrapFrame->Eip;
    Process->FaultTrap = TrapFrame->TrapNumber;
    Process->FaultErrorCode = TrapFrame->ErrCode;
    KiTrapFrameRegisters(&Process->FaultRegs, TrapFrame);
    if (TrapFrame->TrapNumber == 14)
        Process->FaultRegs.cr2 = FaultAddress;  /* CR2 may have moved on since the fault */
    DbgPrint("ps: %s (pid %u) killed: trap 0x%02X error code 0x%X at eip 0x%08X, "
             "address 0x%08X, esp 0x%08X\n",
             Process->ImageFileName, Process->UniqueProcessId, TrapFrame->TrapNumber,
             TrapFrame->ErrCode, TrapFrame->Eip, FaultAddress, TrapFrame->HardwareEsp);
    PspExitThread(Status);
}

/*
 * NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus) - service 0x0000.
 * The caller's own process (NtCurrentProcess() or a handle to itself) ends now; NULL means
 * "every other thread of the caller", of which there are none. Another process ends with
 * ExitStatus when its thread next leaves the kernel.
 */
NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus)
{
    PEPROCESS Process;
    NTSTATUS Status;

    if (ProcessHandle == NULL)
        return STATUS_SUCCESS;
    Status = ObReferenceObjectByHandle(ProcessHandle, ObProcessType, (PVOID *)&Process);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Process == PsGetCurrentProcess())
    {
        ObDereferenceObject(Process);
        Process->Killed = FALSE;
        PspExitThread(ExitStatus);
    }
    Status = PsTerminateProcess(Process, ExitStatus);
    ObDereferenceObject(Process);
    return Status;
}

NTSTATUS PsTerminateProcess(PEPROCESS Process, NTSTATUS ExitStatus)
{
    PKTHREAD Thread = &Process->Thread;

    if (Process->Exited || Thread->State == Terminated || !Process->AddressSpaceCreated)
        return STATUS_PROCESS_IS_TERMINATING;
    if (!Process->TerminationRequested)
    {
        Process->TerminationRequested = TRUE;
        Process->ExitStatus = ExitStatus;
        KiAbortWait(Thread);
    }
    return STATUS_SUCCESS;
}

/* On the way back to ring 3: has another process ended this one? */
VOID PspCheckTermination(VOID)
{
    PEPROCESS Process = KeGetCurrentThread()->Process;

    if (Process->TerminationRequested && !Process->Exited)
        PspExitThread(Process->ExitStatus);
}

static PCSTR PspWaitObjectName(PKTHREAD Thread)
{
    PDISPATCHER_HEADER Object = Thread->WaitBlock.Object;

    if (Thread->State != Waiting || Object == NULL)
        return "nothing (ready)";
    switch (Object->Type)
    {
    case ProcessObject: return "a process";
    case SemaphoreObject: return "a semaphore";
    case EventNotificationObject: case EventSynchronizationObject: return "an event";
    default: return "an object";
    }
}

VOID PspReportDeadlock(VOID)
{
    PLIST_ENTRY Entry;
    ULONG Waiting = 0;

    KiPrintStdout("pagevisor: deadlock: every thread waits for something no thread can "
                  "signal\n");
    for (Entry = PsActiveProcessHead.Flink; Entry != &PsActiveProcessHead; Entry = Entry->Flink)
    {
        PEPROCESS Process = CONTAINING_RECORD(Entry, EPROCESS, ActiveProcessLinks);
        Waiting++;
        KiPrintStdout("  %s (pid %u) waits on %s\n", Process->ImageFileName,
                      Process->UniqueProcessId, PspWaitObjectName(&Process->Thread));
    }
    KeBugCheckEx(PV_ALL_THREADS_DEADLOCKED, Waiting + 1, PsActiveProcessCount, 0, 0);
}
