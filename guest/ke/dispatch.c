/*
 * dispatch.c - the scheduler: which thread runs. Ready threads wait on the ready queues
 * (ke/readyq.c) by priority, round robin within a priority; the running thread keeps the
 * processor until it waits, ends, or its quantum runs out at a clock tick with another thread
 * of its priority ready (ke/clock.c). Switching loads the next thread's address space (CR3:
 * global system translations survive it), its kernel stack top into TSS.Esp0 (where its ring-3
 * traps land) and its x87 and SSE state (FXSAVE/FXRSTOR). The idle thread runs when nothing is ready: it halts with
 * interrupts on until the clock or a device makes a thread ready, and notices a system whose
 * every thread waits for something that nothing can signal any more.
 *
 * Kernel code runs with interrupts off, so the dispatcher state needs no lock: the IRQL is
 * raised to DISPATCH_LEVEL around a switch as NT does, which also makes a page fault inside
 * the dispatcher bug check 0x0A.
 */
#include "ke.h"
#include "mm.h"
#include "ps.h"
#include "intrin.h"
#include "rtl.h"

KREADY_QUEUES KiReadyQueues;
PKTHREAD KiCurrentThread;
KTHREAD KiIdleThread;
ULONG KiContextSwitches;
BOOLEAN KiDispatchPending;

static LIST_ENTRY KiTerminatedThreads;   /* waiting for their kernel stacks to be freed */
static ULONG KiNextThreadId = 4;

/* The idle thread's own stack (it runs only when nothing else can). */
static UCHAR KiIdleStack[8192] __attribute__((aligned(16)));

static VOID KiIdleLoop(VOID);

VOID KiReadyThread(PKTHREAD Thread)
{
    Thread->State = Ready;
    KiInsertReadyQueue(&KiReadyQueues, Thread, FALSE);
    if (KiCurrentThread != NULL && Thread->Priority > KiCurrentThread->Priority)
        KiDispatchPending = TRUE;
    KiStartClockIfNeeded();   /* two threads want the processor: quanta count again */
}

/* The FXSAVE image inside the thread's (not necessarily aligned) save area. */
static PUCHAR KiNpxArea(PKTHREAD Thread)
{
    return (PUCHAR)(((ULONG_PTR)Thread->NpxState + 15) & ~(ULONG_PTR)15);
}

static VOID KiSaveNpx(PKTHREAD Thread)
{
    if (Thread->NpxInitialized)
        __asm__ volatile("fxsave (%0)" : : "r"(KiNpxArea(Thread)) : "memory");
}

/* A thread's first state is FNINIT's x87 state, MXCSR's reset value (every SIMD exception
 * masked, round to nearest) and zeroed XMM registers: nothing of the thread that ran before. */
static VOID KiRestoreNpx(PKTHREAD Thread)
{
    PUCHAR Area = KiNpxArea(Thread);
    if (!Thread->NpxInitialized)
    {
        RtlZeroMemory(Area, KI_NPX_SAVE_AREA);
        *(PUSHORT)(Area + 0) = 0x037F;     /* FCW: FNINIT's control word */
        *(PULONG)(Area + 24) = 0x1F80;     /* MXCSR */
        Thread->NpxInitialized = TRUE;
    }
    __asm__ volatile("fxrstor (%0)" : : "r"(Area) : "memory");
}

/* Only threads that run user code have x87 and SSE state to keep (the kernel is built
 * -mgeneral-regs-only and never touches either). */
static BOOLEAN KiThreadUsesNpx(PKTHREAD Thread)
{
    return Thread != &KiIdleThread && Thread->Process != &PsInitialSystemProcess;
}

VOID KiSwapThread(VOID)
{
    PKTHREAD OldThread = KiCurrentThread, NewThread;
    KIRQL OldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    KiDispatchPending = FALSE;
    NewThread = KiSelectReadyThread(&KiReadyQueues, 0);
    if (NewThread == NULL)
        NewThread = &KiIdleThread;
    if (NewThread == OldThread)
    {
        OldThread->State = Running;
        KeLowerIrql(OldIrql);
        return;
    }

    KiStopClockIfIdle();   /* the last ready thread is leaving the queue: no quanta to count */
    OldThread->WaitIrql = OldIrql;
    if (KiThreadUsesNpx(OldThread))
        KiSaveNpx(OldThread);
    NewThread->State = Running;
    NewThread->Quantum = KI_THREAD_QUANTUM;
    NewThread->ContextSwitches++;
    KiContextSwitches++;
    KiCurrentThread = NewThread;
    if (NewThread->ApcStateProcess != OldThread->ApcStateProcess)
    {
        PsCurrentProcess = NewThread->ApcStateProcess;
        __writecr3(PsCurrentProcess->Pcb.DirectoryTableBase[0]);
    }
    KiSetKernelStack(NewThread->InitialStack);
    if (KiThreadUsesNpx(NewThread))
        KiRestoreNpx(NewThread);
    KiSwapContext(&OldThread->KernelStack, NewThread->KernelStack);

    /* Running again: OldThread is this thread. */
    KiReapTerminatedThreads();
    KeLowerIrql(KiCurrentThread->WaitIrql);
}

/* The clock's quantum end or a more important thread: the current thread yields to a ready
 * thread of at least its priority (it keeps its place if it was preempted by a higher one). */
VOID KiDispatchInterrupt(VOID)
{
    PKTHREAD Thread = KiCurrentThread;
    ULONG Highest = KiHighestReadyPriority(&KiReadyQueues);

    KiDispatchPending = FALSE;
    if (KiReadyQueues.Summary == 0)
        return;
    if (Thread == &KiIdleThread)
    {
        KiSwapThread();
        return;
    }
    if (Highest > Thread->Priority)
    {
        Thread->State = Ready;
        KiInsertReadyQueue(&KiReadyQueues, Thread, TRUE);
        KiSwapThread();
    }
    else if (Highest == Thread->Priority && Thread->Quantum == 0)
    {
        Thread->State = Ready;
        KiInsertReadyQueue(&KiReadyQueues, Thread, FALSE);
        KiSwapThread();
    }
}

VOID KeYieldExecution(VOID)
{
    PKTHREAD Thread = KiCurrentThread;

    if (KiHighestReadyPriority(&KiReadyQueues) < Thread->Priority ||
        KiReadyQueues.Summary == 0)
        return;
    Thread->State = Ready;
    KiInsertReadyQueue(&KiReadyQueues, Thread, FALSE);
    KiSwapThread();
}

/* ------------------------------------------------------------------------ thread lifetime */

NTSTATUS KeInitializeThread(PKTHREAD Thread, PEPROCESS Process, const KTRAP_FRAME *TrapFrame)
{
    PULONG Stack;
    PKTRAP_FRAME Frame;
    NTSTATUS Status;

    memset(Thread, 0, sizeof(*Thread));
    Status = MmCreateKernelStack(&Thread->InitialStack, &Thread->StackLimit);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeDispatcherHeader(&Thread->Header, ThreadObject, 0);
    InitializeListHead(&Thread->QueueListEntry);
    InitializeListHead(&Thread->TimerListEntry);
    Thread->Process = Thread->ApcStateProcess = Process;
    Thread->Priority = KI_DEFAULT_PRIORITY;
    Thread->UniqueThreadId = KiNextThreadId;
    KiNextThreadId += 4;
    Thread->State = Initialized;

    /* The trap frame at the top, then what KiSwapContext pops: EDI ESI EBX EBP, the return
     * address (the startup thunk) and the thunk's argument. */
    Frame = (PKTRAP_FRAME)(ULONG_PTR)(Thread->InitialStack - sizeof(KTRAP_FRAME));
    *Frame = *TrapFrame;
    Stack = (PULONG)Frame;
    *--Stack = (ULONG)(ULONG_PTR)Thread;
    *--Stack = (ULONG)(ULONG_PTR)KiThreadStartupThunk;
    *--Stack = 0;   /* EBP */
    *--Stack = 0;   /* EBX */
    *--Stack = 0;   /* ESI */
    *--Stack = 0;   /* EDI */
    Thread->KernelStack = (ULONG)(ULONG_PTR)Stack;
    Thread->WaitIrql = DISPATCH_LEVEL;   /* KiThreadStartup lowers it */
    return STATUS_SUCCESS;
}

VOID KiThreadStartup(PKTHREAD Thread)
{
    KiReapTerminatedThreads();
    KeLowerIrql(PASSIVE_LEVEL);
    PspThreadStartup(Thread);
}

/* The current thread is done: it never runs again; the next thread frees its stack. */
VOID KiTerminateCurrentThread(VOID)
{
    PKTHREAD Thread = KiCurrentThread;
    KIRQL OldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    Thread->State = Terminated;
    InsertTailList(&KiTerminatedThreads, &Thread->QueueListEntry);
    KiSignalObjectForever(&Thread->Header);
    KeLowerIrql(OldIrql);
    KiSwapThread();
    KeBugCheckEx(PV_TERMINATED_THREAD_RESUMED, (ULONG_PTR)Thread, Thread->State, 0, 0);
}

VOID KiReapTerminatedThreads(VOID)
{
    PLIST_ENTRY Entry = KiTerminatedThreads.Flink;

    while (Entry != &KiTerminatedThreads)
    {
        PKTHREAD Thread = CONTAINING_RECORD(Entry, KTHREAD, QueueListEntry);

        Entry = Entry->Flink;
        if (Thread == KiCurrentThread)
            continue;
        RemoveEntryList(&Thread->QueueListEntry);
        MmDeleteKernelStack(Thread->InitialStack, Thread->StackLimit);
        Thread->InitialStack = Thread->StackLimit = 0;
        PspThreadReaped(Thread);
    }
}

/* --------------------------------------------------------------------------- the idle thread */

/* Nothing is ready and nothing will be: every thread waits without a timeout for an object no
 * running code can signal (console input polls with timeouts, so it is never this). */
static VOID KiCheckForDeadlock(VOID)
{
    if (KiReadyQueues.Summary != 0 || KiThreadsWaitingWithTimeout() != 0)
        return;
    /* Faults waiting for pages nobody will free: one fails (a thread is ready again), or
     * NO_PAGES_AVAILABLE. */
    if (MmResolvePageWaitDeadlock())
        return;
    PspReportDeadlock();
}

static VOID KiIdleLoop(VOID)
{
    for (;;)
    {
        if (KiReadyQueues.Summary != 0)
        {
            KiSwapThread();
            continue;
        }
        KiCheckForDeadlock();
        /* STI takes effect after HLT starts: no interrupt slips in between. */
        __asm__ volatile("sti; hlt; cli" : : : "memory");
    }
}

static VOID KiIdleThreadStartup(VOID)
{
    KiReapTerminatedThreads();
    KeLowerIrql(PASSIVE_LEVEL);
    KiIdleLoop();
}

VOID KiInitializeDispatcher(PKTHREAD InitialThread, PEPROCESS SystemProcess)
{
    PULONG Stack;

    KiInitializeReadyQueues(&KiReadyQueues);
    InitializeListHead(&KiTerminatedThreads);

    /* The boot code becomes the initial system thread, on the boot stack. */
    memset(InitialThread, 0, sizeof(*InitialThread));
    KeInitializeDispatcherHeader(&InitialThread->Header, ThreadObject, 0);
    InitializeListHead(&InitialThread->QueueListEntry);
    InitializeListHead(&InitialThread->TimerListEntry);
    InitialThread->Process = InitialThread->ApcStateProcess = SystemProcess;
    InitialThread->Priority = KI_DEFAULT_PRIORITY + 1;
    InitialThread->InitialStack = (ULONG)(ULONG_PTR)KiBootStackTop;
    InitialThread->StackLimit = (ULONG)(ULONG_PTR)KiBootStackGuard + PAGE_SIZE;
    InitialThread->State = Running;
    InitialThread->Quantum = KI_THREAD_QUANTUM;
    InitialThread->UniqueThreadId = KiNextThreadId;
    KiNextThreadId += 4;
    KiCurrentThread = InitialThread;

    /* The idle thread: never queued, chosen when the queues are empty. */
    memset(&KiIdleThread, 0, sizeof(KiIdleThread));
    KeInitializeDispatcherHeader(&KiIdleThread.Header, ThreadObject, 0);
    InitializeListHead(&KiIdleThread.QueueListEntry);
    InitializeListHead(&KiIdleThread.TimerListEntry);
    KiIdleThread.Process = KiIdleThread.ApcStateProcess = SystemProcess;
    KiIdleThread.Priority = KI_IDLE_PRIORITY;
    KiIdleThread.InitialStack = (ULONG)(ULONG_PTR)(KiIdleStack + sizeof(KiIdleStack));
    KiIdleThread.StackLimit = (ULONG)(ULONG_PTR)KiIdleStack;
    KiIdleThread.State = Ready;
    KiIdleThread.WaitIrql = DISPATCH_LEVEL;
    Stack = (PULONG)(ULONG_PTR)KiIdleThread.InitialStack;
    *--Stack = 0;   /* no argument */
    *--Stack = (ULONG)(ULONG_PTR)KiIdleThreadStartup;
    *--Stack = 0;
    *--Stack = 0;
    *--Stack = 0;
    *--Stack = 0;
    KiIdleThread.KernelStack = (ULONG)(ULONG_PTR)Stack;
}
