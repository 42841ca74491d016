/*
 * create.c - making processes: an address space, the image (ldr/elf.c) or a copy-on-write
 * clone of the parent's address space (mm/forksup.c), the user stack with argc/argv, and one
 * thread whose first run enters ring 3 through a prepared trap frame. The process is an object
 * (ob.h): its creator gets a reference (a handle for user mode), its thread holds one until
 * its kernel stack is freed, and NtWaitForSingleObject on a process handle returns when it
 * has ended; NtQueryInformationProcess then gives its exit status.
 *
 * Services: NtCreateProcess (SectionHandle NULL: a clone of the caller, whose thread resumes
 * in the child where the caller's did, NtCreateProcess returning STATUS_PROCESS_CLONED there -
 * what RtlCloneUserProcess gives NT's POSIX subsystem); PvCreateProcess, pagevisor's stand-in
 * for an image section (there is no file system): a new process for a boot module named by
 * its image name; NtQueryInformationProcess (ProcessBasicInformation).
 */
#include "ke.h"
#include "hv.h"
#include "ldr.h"
#include "dbgk.h"
#include "mm.h"
#include "ob.h"
#include "ps.h"
#include "rtl.h"
#include "ntpsapi.h"

EPROCESS PsInitialSystemProcess;
PEPROCESS PsCurrentProcess = &PsInitialSystemProcess;
LIST_ENTRY PsActiveProcessHead = { &PsActiveProcessHead, &PsActiveProcessHead };
ULONG PsActiveProcessCount;

static EPROCESS PspProcessPool[PS_MAX_PROCESSES];
static ULONG PspNextProcessId = 8;   /* NT-style ids: multiples of 4, 4 being System */

/*
 * Put argc/argv on the new process's stack the usual i386 way (the process is attached, its
 * stack committed): ESP -> argc, argv[0..argc-1], NULL, envp NULL, auxv AT_NULL (0, 0); the
 * strings lie above. ESP is 16-byte aligned.
 */
static VOID PspPushArguments(PEPROCESS Process, PCSTR ImageName, PCSTR Arguments)
{
    CHAR CommandLine[LDR_MAX_COMMAND_LINE];
    PCHAR Argv[LDR_MAX_ARGUMENTS];
    ULONG UserArgv[LDR_MAX_ARGUMENTS];
    ULONG Argc, i, Top = MM_USER_STACK_TOP, Words, Esp;
    PULONG Stack;

    RtlFormatString(CommandLine, sizeof(CommandLine), "%s", Arguments);
    Argc = LdrSplitArguments(CommandLine, Argv, LDR_MAX_ARGUMENTS);
    if (Argc == 0)
        Argc = 1;
    Argv[0] = (PCHAR)ImageName;   /* argv[0] is the image name, not the path */

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

static PEPROCESS PspAllocateProcess(PEPROCESS Parent, PCSTR Name)
{
    ULONG Index;
    PEPROCESS Process;

    for (Index = 0; Index < PS_MAX_PROCESSES && PspProcessPool[Index].ObjectHeader.Type; Index++)
        ;
    if (Index == PS_MAX_PROCESSES)
        return NULL;
    Process = &PspProcessPool[Index];
    memset(Process, 0, sizeof(*Process));
    ObInitializeObject(Process, ObProcessType);
    KeInitializeDispatcherHeader(&Process->Pcb.Header, ProcessObject, 0);
    InitializeListHead(&Process->ActiveProcessLinks);
    Process->UniqueProcessId = PspNextProcessId;
    PspNextProcessId += 4;
    Process->InheritedFromUniqueProcessId = Parent != NULL ? Parent->UniqueProcessId : 0;
    Process->ExitStatus = STILL_ACTIVE;
    RtlFormatString(Process->ImageFileName, sizeof(Process->ImageFileName), "%s", Name);
    return Process;
}

/* The last reference went: the slot is free again. */
VOID PspDeleteProcess(PVOID Object)
{
    PEPROCESS Process = Object;

    if (Process->AddressSpaceCreated || !IsListEmpty(&Process->ActiveProcessLinks))
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)Process, Process->UniqueProcessId,
                     Process->AddressSpaceCreated, 2);
    if (Process->DebugPort != NULL)     /* never ran: its exit did not detach it */
    {
        ObDereferenceObject(Process->DebugPort);
        Process->DebugPort = NULL;
    }
    Process->ObjectHeader.Type = 0;
}

/* A ring-3 frame for a process's first instruction. */
static VOID PspInitialTrapFrame(PEPROCESS Process, PKTRAP_FRAME TrapFrame)
{
    memset(TrapFrame, 0, sizeof(*TrapFrame));
    TrapFrame->Eip = Process->EntryPoint;
    TrapFrame->SegCs = KGDT_R3_CODE | RPL_USER;
    TrapFrame->EFlags = EFLAGS_IF | EFLAGS_RESERVED_1;
    TrapFrame->HardwareEsp = Process->InitialStack;
    TrapFrame->HardwareSegSs = KGDT_R3_DATA | RPL_USER;
    TrapFrame->SegDs = TrapFrame->SegEs = KGDT_R3_DATA | RPL_USER;
    TrapFrame->SegFs = TrapFrame->SegGs = KGDT_R3_DATA | RPL_USER;
}

/* Undo a creation that failed after the address space existed (attached to the process). */
static VOID PspAbandonProcess(PEPROCESS Process, NTSTATUS Status, BOOLEAN Attached)
{
    Process->ExitStatus = Status;
    DbgPrint("ps: %s (pid %u) not started: 0x%08X\n", Process->ImageFileName,
             Process->UniqueProcessId, (ULONG)Status);
    PspReportExit(Process);
    if (Process->AddressSpaceCreated)
    {
        if (!Attached)
            KeAttachProcess(Process);
        MmCleanProcessAddressSpace(Process);
        ObKillProcess(Process);
        KeDetachProcess();
        MmDeleteProcessAddressSpace(Process);
        Process->AddressSpaceCreated = FALSE;
    }
    KiSignalObjectForever(&Process->Pcb.Header);
}

/* The thread is ready to run: the process is alive from here on. */
static VOID PspStartProcess(PEPROCESS Process)
{
    InsertTailList(&PsActiveProcessHead, &Process->ActiveProcessLinks);
    PsActiveProcessCount++;
    ObReferenceObject(Process);   /* the thread's, until its stack is freed */
    KiReadyThread(&Process->Thread);
}

/* A process object with an empty address space (*Created stays NULL only when the pool is
 * full; a process whose address space could not be made is abandoned, signaled). */
static NTSTATUS PspCreateProcessObject(PEPROCESS Parent, PCSTR Name, PEPROCESS *Created)
{
    PEPROCESS Process = PspAllocateProcess(Parent, Name);
    NTSTATUS Status;

    *Created = Process;
    if (Process == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Status = MmCreateProcessAddressSpace(Process);
    if (!NT_SUCCESS(Status))
    {
        PspAbandonProcess(Process, Status, FALSE);
        return Status;
    }
    Process->AddressSpaceCreated = TRUE;
    return STATUS_SUCCESS;
}

NTSTATUS PspCreateProcessForModule(PLDR_MODULE Module, PCSTR Arguments, PEPROCESS Parent,
                                   PEPROCESS *Created)
{
    PEPROCESS Process;
    KTRAP_FRAME TrapFrame;
    NTSTATUS Status = PspCreateProcessObject(Parent, Module->Name, Created);

    if (!NT_SUCCESS(Status))
        return Status;
    Process = *Created;
    KeAttachProcess(Process);
    Status = LdrLoadImage(Process, Module);
    if (NT_SUCCESS(Status))
    {
        /* The host learns the process before its first fault (making the stack takes one,
         * pushing the arguments another), so that it can name it in the trace. */
        HvNotifyProcessStart(Process->UniqueProcessId, Process->Pcb.DirectoryTableBase[0],
                             Process->ImageBase, Process->ImageEnd, Process->ImageFileName);
        Status = LdrBindSystemDll(Process);
        if (NT_SUCCESS(Status))
            Status = MmCreateUserStack(Process);
    }
    if (NT_SUCCESS(Status))
    {
        PspPushArguments(Process, Module->Name, Arguments);
        PspInitialTrapFrame(Process, &TrapFrame);
        Status = KeInitializeThread(&Process->Thread, Process, &TrapFrame);
    }
    if (!NT_SUCCESS(Status))
    {
        PspAbandonProcess(Process, Status, TRUE);
        return Status;
    }
    KeDetachProcess();
    DbgPrint("ps: start %s pid %u (parent %u): image 0x%08X-0x%08X entry 0x%08X, stack "
             "0x%08X-0x%08X reserved, esp 0x%08X, argc %u, cr3 0x%08X, kernel stack "
             "0x%08X-0x%08X\n",
             Process->ImageFileName, Process->UniqueProcessId,
             Process->InheritedFromUniqueProcessId, Process->ImageBase, Process->ImageEnd - 1,
             Process->EntryPoint, MM_USER_STACK_BASE, MM_USER_STACK_TOP - 1,
             Process->InitialStack, Process->ArgumentCount, Process->Pcb.DirectoryTableBase[0],
             Process->Thread.StackLimit, Process->Thread.InitialStack - 1);
    PspStartProcess(Process);
    return STATUS_SUCCESS;
}

VOID PspThreadStartup(PKTHREAD Thread)
{
    Thread->Process->Started = TRUE;
    /* A debugged child stops here, before its first instruction, until its debugger lets
     * it go (and may end it meanwhile). */
    if (Thread->Process->DebugPort != NULL)
    {
        DbgkCreateProcess((PKTRAP_FRAME)(ULONG_PTR)(Thread->InitialStack - sizeof(KTRAP_FRAME)));
        PspCheckTermination();
    }
    if (KiCommandLineHasOption("pv.selftest=kernelstack"))
    {
        DbgPrint("ke: pv.selftest=kernelstack: recursing on the kernel stack 0x%08X-0x%08X of "
                 "%s\n", Thread->StackLimit, Thread->InitialStack - 1,
                 Thread->Process->ImageFileName);
        DbgPrint("ke: recursion returned %u\n", KiSelfTestRecurse(0));
    }
    if (KiCommandLineHasOption("pv.selftest=expandstack"))
    {
        /* As deep as pv.selftest=kernelstack goes past 12 KiB, but asking for room first. */
        ULONG Result[3];
        NTSTATUS Status;

        DbgPrint("ke: pv.selftest=expandstack: recursing 400 frames of 256 bytes on the kernel "
                 "stack 0x%08X-0x%08X of %s, expanding it\n", Thread->StackLimit,
                 Thread->InitialStack - 1, Thread->Process->ImageFileName);
        Status = KeRecurseInKernel(400, TRUE, Result);
        DbgPrint("ke: pv.selftest=expandstack: %s 0x%08X: checksum %u, %u extension(s), at "
                 "most %u at once, lowest esp 0x%08X, %u extension(s) left\n",
                 NT_SUCCESS(Status) ? "returned" : "failed", Status, Result[0], Result[1],
                 KeStackExpansionDeepest, Result[2], MmKernelStackExtensionsInUse);
    }
}

VOID PspThreadReaped(PKTHREAD Thread)
{
    ObDereferenceObject(Thread->Process);
}

/* ------------------------------------------------------------------------------- services */

/* A creation's end: a started process's handle to the caller; the creator's reference goes
 * either way (an abandoned process is then freed). */
static NTSTATUS PspGiveProcessHandle(PEPROCESS Process, NTSTATUS Status, PHANDLE ProcessHandle)
{
    if (Process == NULL)
        return Status;
    if (NT_SUCCESS(Status))
        Status = ObInsertHandleForUser(Process, ProcessHandle);
    ObDereferenceObject(Process);
    return Status;
}

/* A boot module's process, the caller's child: PvCreateProcess and PvCreateProcessEx. */
static NTSTATUS PspCreateChildForModule(PCSTR ImageName, PCSTR Arguments, HANDLE DebugObjectHandle,
                                        PHANDLE ProcessHandle, PHANDLE ThreadHandle)
{
    CHAR Name[PV_NAME_MAX], CommandLine[LDR_MAX_COMMAND_LINE];
    PLDR_MODULE Module = NULL;
    PEPROCESS Process, Current = PsGetCurrentProcess();
    struct _DEBUG_OBJECT *Debug = NULL;
    ULONG i, FreeSlots = 0;
    NTSTATUS Status;

    Status = MmCopyStringFromUser(Name, ImageName, sizeof(Name));
    if (!NT_SUCCESS(Status))
        return Status == STATUS_BUFFER_OVERFLOW ? STATUS_OBJECT_NAME_INVALID : Status;
    CommandLine[0] = '\0';
    if (Arguments != NULL)
    {
        Status = MmCopyStringFromUser(CommandLine, Arguments, sizeof(CommandLine));
        if (!NT_SUCCESS(Status))
            return Status == STATUS_BUFFER_OVERFLOW ? STATUS_INVALID_PARAMETER_2 : Status;
    }
    for (i = 0; i < KeLoaderBlock.ModuleCount && Module == NULL; i++)
        if (strcmp(KeLoaderBlock.Modules[i].Name, Name) == 0)
            Module = &KeLoaderBlock.Modules[i];
    if (Module == NULL)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    /* The handles must be deliverable before the child exists: it would run unreachable. */
    Status = ObCheckHandleForUser(ProcessHandle);
    if (NT_SUCCESS(Status) && ThreadHandle != NULL)
    {
        Status = ObCheckHandleForUser(ThreadHandle);
        for (i = 0; i < PS_MAX_HANDLES; i++)
            FreeSlots += Current->HandleTable[i] == NULL;
        if (NT_SUCCESS(Status) && FreeSlots < 2)
            Status = STATUS_INSUFFICIENT_RESOURCES;
    }
    if (NT_SUCCESS(Status) && DebugObjectHandle != NULL)
        Status = DbgkReferenceDebugObject(DebugObjectHandle, DEBUG_OBJECT_ADD_REMOVE_PROCESS,
                                          &Debug);
    if (!NT_SUCCESS(Status))
        return Status;
    {
        CHAR Full[LDR_MAX_COMMAND_LINE];
        RtlFormatString(Full, sizeof(Full), "%s %s", Module->Name, CommandLine);
        Status = PspCreateProcessForModule(Module, Full, Current, &Process);
    }
    /* Its thread is ready but cannot run before this service returns: attached in time for
     * its first event. */
    if (NT_SUCCESS(Status) && Debug != NULL)
        DbgkAttachProcess(Process, Debug);
    if (Debug != NULL)
        ObDereferenceObject(Debug);
    if (NT_SUCCESS(Status) && ThreadHandle != NULL)
        Status = ObInsertHandleForUserEx(Process, ObThreadType, THREAD_ALL_ACCESS, ThreadHandle);
    return PspGiveProcessHandle(Process, Status, ProcessHandle);
}

/*
 * NTSTATUS PvCreateProcess(PCSTR ImageName, PCSTR Arguments, PHANDLE ProcessHandle) -
 * service 0x1005. ImageName is a boot module's name (its file name without ".elf", as argv[0]
 * shows it), Arguments its command line after the name (NULL for none; at most 255 bytes).
 * The new process is the caller's child. STATUS_OBJECT_NAME_NOT_FOUND for an unknown image.
 */
NTSTATUS PvCreateProcess(PCSTR ImageName, PCSTR Arguments, PHANDLE ProcessHandle)
{
    if (ProcessHandle == NULL)
        return STATUS_INVALID_PARAMETER_3;
    return PspCreateChildForModule(ImageName, Arguments, NULL, ProcessHandle, NULL);
}

/*
 * NTSTATUS PvCreateProcessEx(PCSTR ImageName, PCSTR Arguments, HANDLE DebugObjectHandle,
 * PHANDLE ProcessHandle, PHANDLE ThreadHandle) - service 0x1006. PvCreateProcess with a debug
 * object attached from the start (NULL: none; DEBUG_OBJECT_ADD_REMOVE_PROCESS) and a handle
 * to the child's thread (optional; THREAD_ALL_ACCESS).
 */
NTSTATUS PvCreateProcessEx(PCSTR ImageName, PCSTR Arguments, HANDLE DebugObjectHandle,
                           PHANDLE ProcessHandle, PHANDLE ThreadHandle)
{
    if (ProcessHandle == NULL)
        return STATUS_INVALID_PARAMETER_4;
    return PspCreateChildForModule(ImageName, Arguments, DebugObjectHandle, ProcessHandle,
                                   ThreadHandle);
}

/* The clone's first run resumes the caller's system call with STATUS_PROCESS_CLONED. */
static NTSTATUS PspCloneProcess(PEPROCESS Parent, BOOLEAN InheritHandles, PEPROCESS *Created)
{
    PEPROCESS Process;
    KTRAP_FRAME TrapFrame = *KeGetCurrentThread()->TrapFrame;
    NTSTATUS Status = PspCreateProcessObject(Parent, Parent->ImageFileName, Created);
    ULONG Index;

    if (!NT_SUCCESS(Status))
        return Status;
    Process = *Created;
    Process->ImageBase = Parent->ImageBase;
    Process->ImageEnd = Parent->ImageEnd;
    Process->EntryPoint = Parent->EntryPoint;
    Process->ImageModule = Parent->ImageModule;
    Process->ImageSegmentCount = Parent->ImageSegmentCount;
    memcpy(Process->ImageSegments, Parent->ImageSegments, sizeof(Process->ImageSegments));
    Process->Started = TRUE;
    HvNotifyProcessStart(Process->UniqueProcessId, Process->Pcb.DirectoryTableBase[0],
                         Process->ImageBase, Process->ImageEnd, Process->ImageFileName);
    Status = MmCloneProcessAddressSpace(Parent, Process);
    if (NT_SUCCESS(Status))
    {
        TrapFrame.Eax = (ULONG)STATUS_PROCESS_CLONED;
        Status = KeInitializeThread(&Process->Thread, Process, &TrapFrame);
    }
    if (!NT_SUCCESS(Status))
    {
        PspAbandonProcess(Process, Status, FALSE);
        return Status;
    }
    /* Inherited handles: the same objects, one more handle each. */
    for (Index = 0; InheritHandles && Index < PS_MAX_HANDLES; Index++)
    {
        POBJECT_HEADER Object = Parent->HandleTable[Index];
        if (Object == NULL)
            continue;
        Process->HandleTable[Index] = Object;
        Object->HandleCount++;
        ObReferenceObject(Object);
    }
    DbgPrint("ps: %s (pid %u) cloned into pid %u\n", Parent->ImageFileName,
             Parent->UniqueProcessId, Process->UniqueProcessId);
    PspStartProcess(Process);
    return STATUS_SUCCESS;
}

/*
 * NTSTATUS NtCreateProcess(PHANDLE ProcessHandle, ACCESS_MASK DesiredAccess,
 *     POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ParentProcess, BOOLEAN InheritObjectTable,
 *     HANDLE SectionHandle, HANDLE DebugPort, HANDLE ExceptionPort) - service 0x0009.
 * Only the clone form: ParentProcess the caller, SectionHandle NULL (no image sections:
 * PvCreateProcess starts images). The child's thread resumes where the caller's is, with
 * STATUS_PROCESS_CLONED; the parent gets STATUS_SUCCESS and the handle.
 */
NTSTATUS NtCreateProcess(PHANDLE ProcessHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                         HANDLE ParentProcess, BOOLEAN InheritObjectTable, HANDLE SectionHandle,
                         HANDLE DebugPort, HANDLE ExceptionPort)
{
    PEPROCESS Parent = PsGetCurrentProcess(), Process;
    HANDLE Probe = NULL;
    NTSTATUS Status;

    (void)DesiredAccess;
    (void)ObjectAttributes;
    if (ProcessHandle == NULL)
        return STATUS_INVALID_PARAMETER_1;
    if (ParentProcess != NtCurrentProcess())
        return STATUS_INVALID_PARAMETER_4;
    if (SectionHandle != NULL)
        return STATUS_INVALID_PARAMETER_6;
    if (DebugPort != NULL || ExceptionPort != NULL)
        return STATUS_INVALID_PARAMETER_7;
    /* The handle must be deliverable before anything is made: the child would be unreachable. */
    Status = MmCopyToUser(ProcessHandle, &Probe, sizeof(Probe));
    if (NT_SUCCESS(Status))
        Status = ObCheckHandleForUser(ProcessHandle);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = PspCloneProcess(Parent, InheritObjectTable, &Process);
    return PspGiveProcessHandle(Process, Status, ProcessHandle);
}

NTSTATUS NtQueryInformationProcess(HANDLE ProcessHandle, ULONG InformationClass,
                                   PVOID Information, ULONG Length, PULONG ReturnLength)
{
    PROCESS_BASIC_INFORMATION Basic;
    PEPROCESS Process;
    NTSTATUS Status;

    if (InformationClass != ProcessBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (Length != sizeof(Basic))
        return STATUS_INFO_LENGTH_MISMATCH;
    /* Both outputs writable, or neither is written. */
    Status = ProbeForWrite(Information, Length, 1);
    if (NT_SUCCESS(Status) && ReturnLength != NULL)
        Status = ProbeForWrite(ReturnLength, sizeof(*ReturnLength), 1);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(ProcessHandle, ObProcessType, (PVOID *)&Process);
    if (!NT_SUCCESS(Status))
        return Status;
    memset(&Basic, 0, sizeof(Basic));
    Basic.ExitStatus = Process->ExitStatus;
    Basic.AffinityMask = 1;
    Basic.BasePriority = Process->Thread.Priority;
    Basic.UniqueProcessId = Process->UniqueProcessId;
    Basic.InheritedFromUniqueProcessId = Process->InheritedFromUniqueProcessId;
    ObDereferenceObject(Process);
    Status = MmCopyToUser(Information, &Basic, sizeof(Basic));
    if (NT_SUCCESS(Status) && ReturnLength != NULL)
    {
        ULONG Returned = sizeof(Basic);
        Status = MmCopyToUser(ReturnLength, &Returned, sizeof(Returned));
    }
    return Status;
}

/* Until mm/forksup.c exists: cloning is refused. */
__attribute__((weak)) NTSTATUS MmCloneProcessAddressSpace(PEPROCESS Parent, PEPROCESS Child)
{
    (void)Parent;
    (void)Child;
    return STATUS_NOT_SUPPORTED;
}
