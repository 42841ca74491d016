/*
 * wait.c - dispatcher objects and waits: events (notification: every waiter wakes and the
 * event stays set; synchronization: one waiter wakes and takes the signal), semaphores (a
 * count no larger than the limit; each satisfied wait takes one), and process and thread
 * objects (signaled once, when they end). A thread waits on one object at a time, forever or
 * until a timeout counted in clock ticks; timed waits sit on KiTimerListHead, which the clock
 * interrupt scans (KiExpireTimers).
 */
#include "../include/ke.h"
#include "../include/intrin.h"

volatile ULONG KeTickCount;
static LIST_ENTRY KiTimerListHead = { &KiTimerListHead, &KiTimerListHead };

VOID KeInitializeDispatcherHeader(PDISPATCHER_HEADER Header, UCHAR Type, LONG SignalState)
{
    Header->Type = Type;
    Header->SignalState = SignalState;
    InitializeListHead(&Header->WaitListHead);
}

/* A satisfied wait takes what the object type says it takes. */
static VOID KiWaitSatisfy(PDISPATCHER_HEADER Object)
{
    if (Object->Type == EventSynchronizationObject)
        Object->SignalState = 0;
    else if (Object->Type == SemaphoreObject)
        Object->SignalState--;
}

static VOID KiUnwaitThread(PKTHREAD Thread, NTSTATUS WaitStatus)
{
    RemoveEntryList(&Thread->WaitBlock.WaitListEntry);
    if (Thread->WaitDeadline != 0)
    {
        RemoveEntryList(&Thread->TimerListEntry);
        Thread->WaitDeadline = 0;
    }
    Thread->WaitStatus = WaitStatus;
    KiReadyThread(Thread);
}

/* Wake waiters, first come first served, while the object stays signaled. */
static VOID KiWaitTest(PDISPATCHER_HEADER Object)
{
    while (Object->SignalState > 0 && !IsListEmpty(&Object->WaitListHead))
    {
        PKWAIT_BLOCK WaitBlock = CONTAINING_RECORD(Object->WaitListHead.Flink, KWAIT_BLOCK,
                                                   WaitListEntry);
        KiWaitSatisfy(Object);
        KiUnwaitThread(WaitBlock->Thread, STATUS_SUCCESS);
    }
}

VOID KeInitializeEvent(PKEVENT Event, UCHAR Type, BOOLEAN State)
{
    KeInitializeDispatcherHeader(&Event->Header, Type, State ? 1 : 0);
}

LONG KeSetEvent(PKEVENT Event)
{
    LONG Previous = Event->Header.SignalState;

    Event->Header.SignalState = 1;
    KiWaitTest(&Event->Header);
    return Previous;
}

LONG KeResetEvent(PKEVENT Event)
{
    LONG Previous = Event->Header.SignalState;

    Event->Header.SignalState = 0;
    return Previous;
}

VOID KeInitializeSemaphore(PKSEMAPHORE Semaphore, LONG Count, LONG Limit)
{
    KeInitializeDispatcherHeader(&Semaphore->Header, SemaphoreObject, Count);
    Semaphore->Limit = Limit;
}

NTSTATUS KeReleaseSemaphore(PKSEMAPHORE Semaphore, LONG Adjustment, PLONG PreviousCount)
{
    LONG Count = Semaphore->Header.SignalState;

    if (Adjustment <= 0 || Count > Semaphore->Limit - Adjustment)
        return STATUS_SEMAPHORE_LIMIT_EXCEEDED;
    *PreviousCount = Count;
    Semaphore->Header.SignalState = Count + Adjustment;
    KiWaitTest(&Semaphore->Header);
    return STATUS_SUCCESS;
}

VOID KiSignalObjectForever(PDISPATCHER_HEADER Header)
{
    Header->SignalState = 1;
    KiWaitTest(Header);
}

NTSTATUS KeWaitForSingleObject(PDISPATCHER_HEADER Object, const ULONG *TimeoutTicks)
{
    PKTHREAD Thread = KeGetCurrentThread();

    if (KeGetCurrentIrql() >= DISPATCH_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)Object, KeGetCurrentIrql(), 0,
                     (ULONG_PTR)__builtin_return_address(0));
    if (Object->SignalState > 0)
    {
        KiWaitSatisfy(Object);
        return STATUS_SUCCESS;
    }
    if (TimeoutTicks != NULL && *TimeoutTicks == 0)
        return STATUS_TIMEOUT;

    Thread->WaitBlock.Thread = Thread;
    Thread->WaitBlock.Object = Object;
    InsertTailList(&Object->WaitListHead, &Thread->WaitBlock.WaitListEntry);
    Thread->WaitDeadline = 0;
    if (TimeoutTicks != NULL)
    {
        /* 0 means "no timer": a deadline that happens to wrap to 0 waits a tick longer. */
        Thread->WaitDeadline = KeTickCount + *TimeoutTicks;
        if (Thread->WaitDeadline == 0)
            Thread->WaitDeadline = 1;
        InsertTailList(&KiTimerListHead, &Thread->TimerListEntry);
        KiStartClockIfNeeded();
    }
    Thread->State = Waiting;
    KiSwapThread();
    return Thread->WaitStatus;
}

/* A wait on an object nobody signals: only the timeout ends it. */
NTSTATUS KeDelayExecutionThread(ULONG Ticks)
{
    DISPATCHER_HEADER Never;
    NTSTATUS Status;

    KeInitializeDispatcherHeader(&Never, EventNotificationObject, 0);
    Status = KeWaitForSingleObject(&Never, &Ticks);
    return Status == STATUS_TIMEOUT ? STATUS_SUCCESS : Status;
}

VOID KiExpireTimers(VOID)
{
    PLIST_ENTRY Entry = KiTimerListHead.Flink;

    while (Entry != &KiTimerListHead)
    {
        PKTHREAD Thread = CONTAINING_RECORD(Entry, KTHREAD, TimerListEntry);

        Entry = Entry->Flink;
        if ((LONG)(KeTickCount - Thread->WaitDeadline) >= 0)
            KiUnwaitThread(Thread, STATUS_TIMEOUT);
    }
}

ULONG KiThreadsWaitingWithTimeout(VOID)
{
    ULONG Count = 0;
    PLIST_ENTRY Entry;

    for (Entry = KiTimerListHead.Flink; Entry != &KiTimerListHead; Entry = Entry->Flink)
        Count++;
    return Count;
}

/* NT timeouts are in 100 ns units, negative for "from now"; a positive (absolute) time is
 * taken as time since boot, the only clock this system has. Rounded up to whole ticks. */
ULONG KiTimeoutToTicks(LONGLONG Timeout)
{
    const ULONG UnitsPerTick = 10000000u / KI_CLOCK_HZ;
    ULONGLONG Units;
    ULONG High, Low, Ticks;

    if (Timeout < 0)
    {
        Units = (ULONGLONG)-Timeout;
    }
    else
    {
        ULONGLONG Now = (ULONGLONG)KeTickCount * UnitsPerTick;
        Units = (ULONGLONG)Timeout > Now ? (ULONGLONG)Timeout - Now : 0;
    }
    Units += UnitsPerTick - 1;
    High = (ULONG)(Units >> 32);
    Low = (ULONG)Units;
    if (High >= UnitsPerTick)
        return 0x7FFFFFFFu;
    /* 64-by-32 division in one instruction (no libgcc in the kernel): EDX < divisor. */
    __asm__("divl %2" : "=a"(Ticks), "+d"(High) : "rm"(UnitsPerTick), "a"(Low));
    return Ticks > 0x7FFFFFFFu ? 0x7FFFFFFFu : Ticks;
}

/* A wait ends early because the thread's process is being terminated. */
VOID KiAbortWait(PKTHREAD Thread)
{
    KiAbortWaitWithStatus(Thread, STATUS_PROCESS_IS_TERMINATING);
}

/* A wait ends early with the status its waiter gets back (a wait for a page that cannot
 * come: mm/wsmanagr.c). */
VOID KiAbortWaitWithStatus(PKTHREAD Thread, NTSTATUS WaitStatus)
{
    if (Thread->State == Waiting)
        KiUnwaitThread(Thread, WaitStatus);
}
