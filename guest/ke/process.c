/*
 * process.c - runs the boot modules as ring-3 processes, one after another: create the
 * address space, load the image, tell the host, reserve and commit the stack and push
 * argc/argv, enter ring 3 with iret, and come back here when the process ends
 * (NtTerminateProcess or an exception). Then print the exit line and tell the host (while the
 * address space still exists: the host reads the process's faulting instructions through it),
 * delete the address space and check that no page, commitment, VAD or pagefile slot leaked;
 * then the zero-page path zeroes the free pages (the idle moment between processes).
 */
#include "ke.h"
#include "hv.h"
#include "ldr.h"
#include "mm.h"
#include "ps.h"
#include "rtl.h"

EPROCESS PsInitialSystemProcess;
PEPROCESS PsCurrentProcess = &PsInitialSystemProcess;

static EPROCESS PspProcess;
static KI_RUNNER_CONTEXT KiRunnerContext;
static ULONG PspNextProcessId = 8;   /* NT-style ids: multiples of 4, 4 being System */

/*
 * NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus) - service 0x0000.
 * NtCurrentProcess() ends the caller with ExitStatus (the call does not return). NULL means
 * "every other thread of the caller", of which there are none. Other handles do not exist yet.
 */
NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus)
{
    PEPROCESS Process = PsGetCurrentProcess();

    if (ProcessHandle == NULL)
        return STATUS_SUCCESS;
    if (ProcessHandle != NtCurrentProcess())
        return STATUS_INVALID_HANDLE;
    Process->ExitStatus = ExitStatus;
    Process->Killed = FALSE;
    KiResumeRunner(&KiRunnerContext);
}

/* An exception in ring 3 ends the current process. */
DECLSPEC_NORETURN VOID KiTerminateByException(NTSTATUS Status, ULONG FaultAddress,
                                              ULONG FaultAccess, PKTRAP_FRAME TrapFrame)
{
    PEPROCESS Process = PsGetCurrentProcess();

    Process->ExitStatus = Status;
    Process->Killed = TRUE;
    Process->FaultAddress = FaultAddress;
    Process->FaultAccess = FaultAccess;
    Process->FaultEip = TrapFrame->Eip;
    Process->FaultTrap = TrapFrame->TrapNumber;
    Process->FaultErrorCode = TrapFrame->ErrCode;
    DbgPrint("ps: %s (pid %u) killed: trap 0x%02X error code 0x%X at eip 0x%08X, "
             "address 0x%08X, esp 0x%08X\n",
             Process->ImageFileName, Process->UniqueProcessId, TrapFrame->TrapNumber,
             TrapFrame->ErrCode, TrapFrame->Eip, FaultAddress, TrapFrame->HardwareEsp);
    KiResumeRunner(&KiRunnerContext);
}

/*
 * Put argc/argv on the new process's stack the usual i386 way (the process is attached, its
 * stack committed): ESP -> argc, argv[0..argc-1], NULL, envp NULL, auxv AT_NULL (0, 0); the
 * strings lie above. ESP is 16-byte aligned.
 */
static VOID PspPushArguments(PEPROCESS Process, PLDR_MODULE Module)
{
    CHAR CommandLine[LDR_MAX_COMMAND_LINE];
    PCHAR Argv[LDR_MAX_ARGUMENTS];
    ULONG UserArgv[LDR_MAX_ARGUMENTS];
    ULONG Argc, i, Top = MM_USER_STACK_TOP, Words, Esp;
    PULONG Stack;

    memcpy(CommandLine, Module->CommandLine, sizeof(CommandLine));
    Argc = LdrSplitArguments(CommandLine, Argv, LDR_MAX_ARGUMENTS);
    if (Argc == 0)
        Argc = 1;
    Argv[0] = Module->Name;   /* argv[0] is the image name, not the path */

    for (i = Argc; i-- > 0;)
    {
        ULONG Length = (ULONG)strlen(Argv[i]) + 1;
        Top -= Length;
        memcpy((PVOID)(ULONG_PTR)Top, Argv[i], Length);
        UserArgv[i] = Top;
    }
    Words = 1 + Argc + 1 + 1 + 2;
    Esp = ALIGN_DOWN_BY(Top - Words * sizeof(ULONG), 16);
    Stack = (PULONG)(ULONG_PTR)Esp;
    *Stack++ = Argc;
    for (i = 0; i < Argc; i++)
        *Stack++ = UserArgv[i];
    *Stack++ = 0;   /* argv[argc] */
    *Stack++ = 0;   /* envp[0] */
    *Stack++ = 0;   /* AT_NULL */
    *Stack++ = 0;
    Process->ArgumentCount = Argc;
    Process->InitialStack = Esp;
}

static VOID PspReportExit(PEPROCESS Process, BOOLEAN Started)
{
    NTSTATUS Status = Process->ExitStatus;
    PCSTR Name = KiStatusName(Status);

    if (Started && !Process->Killed)
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
                        Process->ImageFileName);
}

static VOID KiRunImage(PLDR_MODULE Module)
{
    PEPROCESS Process = &PspProcess;
    PFN_NUMBER Before = MmAvailablePages, After;
    ULONG CommittedBefore = MmTotalCommittedPages;
    PKTRAP_FRAME TrapFrame;
    BOOLEAN Started = FALSE, Created;
    NTSTATUS Status;

    memset(Process, 0, sizeof(*Process));
    Process->UniqueProcessId = PspNextProcessId;
    PspNextProcessId += 4;
    memcpy(Process->ImageFileName, Module->Name, sizeof(Process->ImageFileName));

    Status = MmCreateProcessAddressSpace(Process);
    Created = NT_SUCCESS(Status);
    if (Created)
    {
        KeAttachProcess(Process);
        Status = LdrLoadImage(Process, Module);
    }
    if (NT_SUCCESS(Status))
    {
        /* The host learns the process before its first fault (making the stack takes one,
         * pushing the arguments another), so that it can name it in the trace. */
        HvNotifyProcessStart(Process->UniqueProcessId, Process->Pcb.DirectoryTableBase[0],
                             Process->ImageBase, Process->ImageEnd, Process->ImageFileName);
        Status = MmCreateUserStack(Process);
    }
    if (NT_SUCCESS(Status))
    {
        PspPushArguments(Process, Module);
        DbgPrint("ps: start %s pid %u: image 0x%08X-0x%08X entry 0x%08X, stack 0x%08X-0x%08X "
                 "committed, guard page 0x%08X (0x%08X-0x%08X reserved), esp 0x%08X, argc %u, "
                 "cr3 0x%08X\n",
                 Process->ImageFileName, Process->UniqueProcessId, Process->ImageBase,
                 Process->ImageEnd - 1, Process->EntryPoint,
                 MM_USER_STACK_TOP - MM_USER_STACK_COMMIT, MM_USER_STACK_TOP - 1,
                 MM_USER_STACK_TOP - MM_USER_STACK_COMMIT - PAGE_SIZE,
                 MM_USER_STACK_BASE, MM_USER_STACK_TOP - 1, Process->InitialStack,
                 Process->ArgumentCount, Process->Pcb.DirectoryTableBase[0]);

        /* The frame sits at the top of the trap stack, where ring-3 traps will build theirs. */
        TrapFrame = (PKTRAP_FRAME)((ULONG_PTR)KiTrapStackTop - sizeof(KTRAP_FRAME));
        memset(TrapFrame, 0, sizeof(*TrapFrame));
        TrapFrame->Eip = Process->EntryPoint;
        TrapFrame->SegCs = KGDT_R3_CODE | RPL_USER;
        TrapFrame->EFlags = EFLAGS_IF | EFLAGS_RESERVED_1;
        TrapFrame->HardwareEsp = Process->InitialStack;
        TrapFrame->HardwareSegSs = KGDT_R3_DATA | RPL_USER;
        TrapFrame->SegDs = TrapFrame->SegEs = KGDT_R3_DATA | RPL_USER;
        TrapFrame->SegFs = TrapFrame->SegGs = KGDT_R3_DATA | RPL_USER;
        KiSetKernelStack((ULONG)(ULONG_PTR)KiTrapStackTop);
        __asm__ volatile("fninit");
        Started = TRUE;
        KiStartUserProcess(TrapFrame, &KiRunnerContext);
    }
    else
    {
        Process->ExitStatus = Status;
        DbgPrint("ps: %s (pid %u) not started: 0x%08X\n", Process->ImageFileName,
                 Process->UniqueProcessId, (ULONG)Status);
    }

    PspReportExit(Process, Started);

    if (Created)
    {
        MmCleanProcessAddressSpace(Process);
        KeDetachProcess();
        MmDeleteProcessAddressSpace(Process);
        PsDeleteDebugClone();   /* a clone it left (a debugging aid): deleted after it */
    }
    After = MmAvailablePages;
    DbgPrint("mm: %s (pid %u) deleted: available pages %u before, %u after\n",
             Process->ImageFileName, Process->UniqueProcessId, Before, After);
    if (After != Before)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_PROCESS_LEAK, Before, After,
                     Process->UniqueProcessId);
    if (MmTotalCommittedPages != CommittedBefore || MiVadsInUse() != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_COMMIT_LEAK, CommittedBefore,
                     MmTotalCommittedPages, Process->UniqueProcessId);
    if (MmPagingFile.InUse != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_SLOT_LEAK, MmPagingFile.InUse,
                     MmPagingFile.BadSlots, Process->UniqueProcessId);
    MiCheckPfnLists();
    /* Nothing else runs now: the zero-page path's turn (a bounded slice: 16 MiB). */
    DbgPrint("mm: %u free pages zeroed\n", MiZeroFreePages(4096));
}

ULONG KiRunImages(VOID)
{
    ULONG i;

    for (i = 0; i < KeLoaderBlock.ModuleCount; i++)
        KiRunImage(&KeLoaderBlock.Modules[i]);
    return KeLoaderBlock.ModuleCount;
}
