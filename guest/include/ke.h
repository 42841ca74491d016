/*
 * ke.h - the kernel core: segment selectors, the trap frame, bug checks, the console
 * (DbgPrint), trap dispatch and the image runner.
 */
#ifndef PV_KE_H
#define PV_KE_H

#include "ntdef.h"
#include "ntstatusex.h"
#include "nt_layout.h"

/* Interrupt request levels (NT's x86 values). User mode and system services run at
 * PASSIVE_LEVEL, the page-fault path holds the working set at APC_LEVEL, the dispatcher
 * (ready queues, waits, context switches) runs at DISPATCH_LEVEL, the clock interrupt at
 * CLOCK_LEVEL. Kernel code runs with interrupts off (every gate is an interrupt gate), so the
 * clock interrupts only ring 3 and the idle loop, and a switch that code in the kernel makes
 * due (waking a more important thread) happens on the way back to ring 3 (ke/trap.c). A fault
 * at DISPATCH_LEVEL or above cannot wait for a page and is bug check 0x0A
 * IRQL_NOT_LESS_OR_EQUAL. */
typedef UCHAR KIRQL, *PKIRQL;
#define PASSIVE_LEVEL  0
#define APC_LEVEL      1
#define DISPATCH_LEVEL 2
#define CLOCK_LEVEL    28
#define HIGH_LEVEL     31

/* GDT selectors (NT's x86 values). */
#define KGDT_NULL      0x00
#define KGDT_R0_CODE   0x08
#define KGDT_R0_DATA   0x10
#define KGDT_R3_CODE   0x18
#define KGDT_R3_DATA   0x20
#define KGDT_TSS       0x28
#define KGDT_DF_TSS    0x50
#define KGDT_ENTRIES   12
#define RPL_USER       3

/* Vectors. */
#define KI_SYSTEM_SERVICE_VECTOR 0x2E
#define PRIMARY_VECTOR_BASE      0x20   /* 8259 master IRQ0 (IRQ14 would be 0x2E: all masked) */
#define KI_STUB_VECTORS          0x30   /* trap.S has stubs for vectors 0x00..0x2F */

/*
 * The trap frame: what trap.S pushes on every trap, interrupt and system call, lowest address
 * first. pagevisor's own layout (not NT's KTRAP_FRAME): segment registers, PUSHAD, the vector
 * and error code, then what the CPU pushed. HardwareEsp/HardwareSegSs exist only for traps
 * from ring 3.
 */
typedef struct _KTRAP_FRAME
{
    ULONG SegGs, SegFs, SegEs, SegDs;
    ULONG Edi, Esi, Ebp, PushadEsp, Ebx, Edx, Ecx, Eax;
    ULONG TrapNumber, ErrCode;
    ULONG Eip, SegCs, EFlags;
    ULONG HardwareEsp, HardwareSegSs;
} KTRAP_FRAME, *PKTRAP_FRAME;

#define KiUserTrap(TrapFrame) (((TrapFrame)->SegCs & RPL_USER) == RPL_USER)

/* The i386 hardware task-state segment. */
typedef struct _KTSS
{
    USHORT Backlink, Reserved0;
    ULONG Esp0;
    USHORT Ss0, Reserved1;
    ULONG Esp1;
    USHORT Ss1, Reserved2;
    ULONG Esp2;
    USHORT Ss2, Reserved3;
    ULONG CR3, Eip, EFlags, Eax, Ecx, Edx, Ebx, Esp, Ebp, Esi, Edi;
    USHORT Es, Reserved4, Cs, Reserved5, Ss, Reserved6, Ds, Reserved7;
    USHORT Fs, Reserved8, Gs, Reserved9, LDT, Reserved10;
    USHORT Flags, IoMapBase;
} KTSS, *PKTSS;
_Static_assert(sizeof(KTSS) == 104, "KTSS layout");

/* ------------------------------------------------------------------ lists (NT's LIST_ENTRY) */

typedef struct _LIST_ENTRY
{
    struct _LIST_ENTRY *Flink, *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

#define CONTAINING_RECORD(Address, Type, Field) \
    ((Type *)((PCHAR)(Address) - offsetof(Type, Field)))

FORCEINLINE VOID InitializeListHead(PLIST_ENTRY Head) { Head->Flink = Head->Blink = Head; }
FORCEINLINE BOOLEAN IsListEmpty(const LIST_ENTRY *Head) { return Head->Flink == Head; }

FORCEINLINE VOID InsertTailList(PLIST_ENTRY Head, PLIST_ENTRY Entry)
{
    Entry->Flink = Head;
    Entry->Blink = Head->Blink;
    Head->Blink->Flink = Entry;
    Head->Blink = Entry;
}

FORCEINLINE VOID InsertHeadList(PLIST_ENTRY Head, PLIST_ENTRY Entry)
{
    Entry->Flink = Head->Flink;
    Entry->Blink = Head;
    Head->Flink->Blink = Entry;
    Head->Flink = Entry;
}

/* TRUE if the list is empty afterwards. */
FORCEINLINE BOOLEAN RemoveEntryList(PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = Entry->Flink, Blink = Entry->Blink;
    Blink->Flink = Flink;
    Flink->Blink = Blink;
    Entry->Flink = Entry->Blink = Entry;
    return Flink == Blink;
}

FORCEINLINE PLIST_ENTRY RemoveHeadList(PLIST_ENTRY Head)
{
    PLIST_ENTRY Entry = Head->Flink;
    RemoveEntryList(Entry);
    return Entry;
}

/* ------------------------------------------------------------ dispatcher objects, threads */

/* DISPATCHER_HEADER.Type (NT's KOBJECTS values for the ones that exist here). */
#define EventNotificationObject    0
#define EventSynchronizationObject 1
#define ProcessObject              3
#define SemaphoreObject            5
#define ThreadObject               6

/* What every waitable object starts with: signaled when SignalState > 0; the threads waiting
 * on it (their wait blocks) in WaitListHead. */
typedef struct _DISPATCHER_HEADER
{
    UCHAR Type;
    LONG SignalState;
    LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef struct _KEVENT { DISPATCHER_HEADER Header; } KEVENT, *PKEVENT;

typedef struct _KSEMAPHORE
{
    DISPATCHER_HEADER Header;   /* SignalState: the count */
    LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE;

struct _KTHREAD;
typedef struct _KWAIT_BLOCK
{
    LIST_ENTRY WaitListEntry;   /* in the object's WaitListHead */
    struct _KTHREAD *Thread;
    PDISPATCHER_HEADER Object;
} KWAIT_BLOCK, *PKWAIT_BLOCK;

/* KTHREAD.State (NT's KTHREAD_STATE values). */
typedef enum _KTHREAD_STATE
{
    Initialized = 0,
    Ready = 1,
    Running = 2,
    Standby = 3,
    Terminated = 4,
    Waiting = 5
} KTHREAD_STATE;

#define KI_PRIORITY_LEVELS   32
#define KI_DEFAULT_PRIORITY  8     /* NT's normal priority class base */
#define KI_IDLE_PRIORITY     0     /* the idle thread only: never on a ready queue */
#define KI_THREAD_QUANTUM    2     /* clock ticks a thread runs before another of its priority */

/* Kernel stacks: 12 KiB (NT's x86 KERNEL_STACK_SIZE) with an unmapped guard page below. */
#define KERNEL_STACK_SIZE    0x3000u
#define KI_NPX_SAVE_AREA     512u  /* FXSAVE's image: x87, MXCSR and XMM0-7 */

typedef struct _KTHREAD
{
    DISPATCHER_HEADER Header;   /* signaled when the thread has terminated */
    LIST_ENTRY QueueListEntry;  /* on a ready queue, or on the reaper's list */
    LIST_ENTRY TimerListEntry;  /* on KiTimerListHead while a wait has a timeout */
    ULONG KernelStack;          /* saved ESP while not running (KiSwapContext) */
    ULONG InitialStack;         /* the top of the stack: TSS.Esp0 while it runs */
    ULONG StackLimit;           /* the lowest address of the stack (the guard page is below) */
    UCHAR State;                /* KTHREAD_STATE */
    UCHAR Priority;
    UCHAR Quantum;              /* clock ticks left */
    BOOLEAN NpxInitialized;     /* NpxState holds the thread's x87 and SSE state */
    KIRQL WaitIrql;             /* the IRQL the thread switched away at */
    NTSTATUS WaitStatus;        /* why the last wait ended */
    KWAIT_BLOCK WaitBlock;      /* waits are on one object at a time */
    ULONG WaitDeadline;         /* tick count at which a timed wait ends */
    ULONG ContextSwitches;
    struct _EPROCESS *Process;  /* the owning process */
    struct _EPROCESS *ApcStateProcess;  /* the address space it runs in (attached) */
    ULONG UniqueThreadId;
    PKTRAP_FRAME TrapFrame;     /* of the system call it is in */
    BOOLEAN ContextLoaded;      /* the service replaced the frame (NtContinue): keep EAX */
    UCHAR NpxState[KI_NPX_SAVE_AREA + 15];   /* FXSAVE needs 16-byte alignment: KiNpxArea */
} KTHREAD, *PKTHREAD;

/* Ready queues: one FIFO per priority and a bit per non-empty list (ke/readyq.c; pure C). */
typedef struct _KREADY_QUEUES
{
    LIST_ENTRY ListHead[KI_PRIORITY_LEVELS];
    ULONG Summary;
} KREADY_QUEUES, *PKREADY_QUEUES;

VOID KiInitializeReadyQueues(PKREADY_QUEUES Queues);
VOID KiInsertReadyQueue(PKREADY_QUEUES Queues, PKTHREAD Thread, BOOLEAN AtFront);
VOID KiRemoveReadyQueue(PKREADY_QUEUES Queues, PKTHREAD Thread);
/* The first thread of the highest non-empty priority at or above MinimumPriority, removed
 * from its queue; NULL if none. */
PKTHREAD KiSelectReadyThread(PKREADY_QUEUES Queues, ULONG MinimumPriority);
ULONG KiHighestReadyPriority(const KREADY_QUEUES *Queues);   /* 0 when empty */

/* Stacks and boot page tables (arch/i386/boot.S). */
extern UCHAR KiBootStackGuard[], KiBootStackTop[];
extern UCHAR KiDoubleFaultStackTop[];

/* Linker-script symbols (arch/i386/kernel.ld). */
extern UCHAR __KernelStart[], __KernelWritableStart[], __KernelEnd[];

/* The physical address of a kernel-image address (the image is mapped linearly). */
#define KI_IMAGE_TO_PHYSICAL(Va) ((ULONG)(ULONG_PTR)(Va) - KSEG0_BASE)

/* arch/i386 */
VOID KiInitializeGdt(VOID);
VOID KiInitializeIdt(VOID);
VOID KiSetKernelStack(ULONG Esp0);
extern KTSS KiTss;
VOID HalInitializePic(VOID);
VOID HalHandleInterrupt(ULONG Vector);
VOID HalEnableInterrupt(ULONG Irq);
VOID HalDisableInterrupt(ULONG Irq);
VOID HalEndOfInterrupt(ULONG Irq);
VOID HalSerialInitialize(VOID);
VOID HalSerialWrite(PCSTR Text, ULONG Length);
/* arch/i386/ctxswap.S: save the running thread's callee-saved registers and ESP in
 * *OldKernelStack, continue on NewKernelStack. */
VOID KiSwapContext(PULONG OldKernelStack, ULONG NewKernelStack);
/* Where a new thread's first switch lands: KiThreadStartup(Thread), then KiTrapExit. */
VOID KiThreadStartupThunk(VOID);
VOID KiDispatchTrap(PKTRAP_FRAME TrapFrame);
DECLSPEC_NORETURN VOID KiDoubleFault(VOID);

/* ke/irql.c */
KIRQL KeGetCurrentIrql(VOID);
VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
VOID KeLowerIrql(KIRQL NewIrql);

/* ke/bugcheck.c */
DECLSPEC_NORETURN VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                    ULONG_PTR P3, ULONG_PTR P4);
DECLSPEC_NORETURN VOID KeBugCheckWithTf(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                        ULONG_PTR P3, ULONG_PTR P4, PKTRAP_FRAME TrapFrame);
DECLSPEC_NORETURN VOID KiHaltSystem(ULONG QemuExitValue);
/* The registers of a trap frame, with the control registers now (for the host's reports). */
struct pv_regs;
VOID KiTrapFrameRegisters(struct pv_regs *Regs, PKTRAP_FRAME TrapFrame);

/* ke/console.c */
ULONG DbgPrint(PCSTR Format, ...) __attribute__((format(printf, 1, 2)));
VOID KiPrintStdout(PCSTR Format, ...) __attribute__((format(printf, 1, 2)));
NTSTATUS PvDisplayString(PCSTR Text, ULONG Length);
NTSTATUS PvDebugBreak(PCSTR Label, ULONG Length);
NTSTATUS PvDebugRecurseInKernel(ULONG Depth, ULONG Flags, PULONG Result);

/* ke/kestack.c: run Callout(Parameter) with at least Size bytes of kernel stack below it (an
 * extension stack when the current one has less). */
typedef VOID (NTAPI *PEXPAND_STACK_CALLOUT)(PVOID Parameter);
NTSTATUS KeExpandKernelStackAndCallout(PEXPAND_STACK_CALLOUT Callout, PVOID Parameter,
                                       SIZE_T Size);
extern ULONG KeStackExpansions, KeStackExpansionDeepest;
NTSTATUS KeRecurseInKernel(ULONG Depth, BOOLEAN Expand, ULONG Out[3]);
NTSTATUS PvReadConsole(PVOID Buffer, ULONG Length, PULONG BytesRead);
/* Called by PvReadConsole between polls of the host while it waits for input: sleeps a tick
 * so that other threads run; a failure status (the process is being terminated) ends the read. */
NTSTATUS KiYieldForInput(VOID);

/* ke/trap.c */
BOOLEAN KiFindExceptionFixup(PKTRAP_FRAME TrapFrame);

/* ke/syscall.c */
VOID KiSystemService(PKTRAP_FRAME TrapFrame);

/* ke/dispatch.c: the scheduler */
extern KREADY_QUEUES KiReadyQueues;
extern PKTHREAD KiCurrentThread;
extern KTHREAD KiIdleThread;
extern ULONG KiContextSwitches;
FORCEINLINE PKTHREAD KeGetCurrentThread(VOID) { return KiCurrentThread; }
VOID KiInitializeDispatcher(PKTHREAD InitialThread, struct _EPROCESS *SystemProcess);
VOID KiReadyThread(PKTHREAD Thread);
/* Give the processor to the next ready thread (the caller set its own state first: Ready
 * threads are queued again, Waiting ones are not). Returns when the caller runs again. */
VOID KiSwapThread(VOID);
/* The clock asked for a switch (quantum end or a higher-priority thread ready). */
extern BOOLEAN KiDispatchPending;
VOID KiDispatchInterrupt(VOID);
VOID KeYieldExecution(VOID);
/* Frees the kernel stacks of threads that have terminated (not the current one). */
VOID KiReapTerminatedThreads(VOID);
DECLSPEC_NORETURN VOID KiTerminateCurrentThread(VOID);
/* The thread's first run on its own stack: PASSIVE_LEVEL, then ring 3 through its frame. */
VOID KiThreadStartup(PKTHREAD Thread);
/* A new thread whose first run leaves through TrapFrame (copied to the top of its stack). */
NTSTATUS KeInitializeThread(PKTHREAD Thread, struct _EPROCESS *Process,
                            const KTRAP_FRAME *TrapFrame);

/* ke/wait.c: waits and the objects' signal states */
#define KI_CLOCK_HZ 100u
extern volatile ULONG KeTickCount;
VOID KeInitializeEvent(PKEVENT Event, UCHAR Type, BOOLEAN State);
LONG KeSetEvent(PKEVENT Event);
LONG KeResetEvent(PKEVENT Event);
VOID KeInitializeSemaphore(PKSEMAPHORE Semaphore, LONG Count, LONG Limit);
/* STATUS_SEMAPHORE_LIMIT_EXCEEDED leaves the count alone; *PreviousCount otherwise. */
NTSTATUS KeReleaseSemaphore(PKSEMAPHORE Semaphore, LONG Adjustment, PLONG PreviousCount);
VOID KeInitializeDispatcherHeader(PDISPATCHER_HEADER Header, UCHAR Type, LONG SignalState);
/* Signal a process or thread object for good: every waiter wakes. */
VOID KiSignalObjectForever(PDISPATCHER_HEADER Header);
/* Timeout: NULL waits forever, else ticks (0 = only test the state). STATUS_SUCCESS or
 * STATUS_TIMEOUT. PASSIVE_LEVEL or APC_LEVEL. */
NTSTATUS KeWaitForSingleObject(PDISPATCHER_HEADER Object, const ULONG *TimeoutTicks);
NTSTATUS KeDelayExecutionThread(ULONG Ticks);
/* The clock's part: wake threads whose timed waits have ended. */
VOID KiExpireTimers(VOID);
/* Converts an NT timeout (100 ns units, negative = relative) into ticks from now. */
ULONG KiTimeoutToTicks(LONGLONG Timeout);
ULONG KiThreadsWaitingWithTimeout(VOID);
VOID KiAbortWait(PKTHREAD Thread);
VOID KiAbortWaitWithStatus(PKTHREAD Thread, NTSTATUS WaitStatus);

/* ke/clock.c: the PIT and the clock interrupt */
VOID KiInitializeClock(VOID);
/* The clock runs while a thread is ready beside the running one or a wait has a timeout. */
VOID KiStartClockIfNeeded(VOID);
VOID KiStopClockIfIdle(VOID);
extern ULONG KiClockStarts;
VOID KiClockInterrupt(PKTRAP_FRAME TrapFrame);

/* ps/: processes (see ps.h) */
DECLSPEC_NORETURN VOID KiTerminateByException(NTSTATUS Status, ULONG FaultAddress,
                                              ULONG FaultAccess, PKTRAP_FRAME TrapFrame);

/* ke/status.c: the name of a status (shared table first, then ntstatusex.h's), or NULL. */
PCSTR KiStatusName(NTSTATUS Status);

/* ke/main.c */
BOOLEAN KiCommandLineHasOption(PCSTR Option);
ULONG KiSelfTestRecurse(ULONG Depth);
/* "Option=N" on the kernel command line (decimal, or 0x hexadecimal): TRUE and *Value. */
BOOLEAN KiQueryCommandLineValue(PCSTR Option, PULONG Value);

#endif /* PV_KE_H */
