/*
 * readyq.c - the ready queues: one FIFO list per priority (0-31) and a summary word with a
 * bit per non-empty list, so that choosing the next thread is one bit scan (NT's
 * KiDispatcherReadyListHead and KiReadySummary). Pure C over ke.h: also built on the host
 * (tests/unit/test_readyq.c).
 */
#include "../include/ke.h"

VOID KiInitializeReadyQueues(PKREADY_QUEUES Queues)
{
    ULONG Priority;

    for (Priority = 0; Priority < KI_PRIORITY_LEVELS; Priority++)
        InitializeListHead(&Queues->ListHead[Priority]);
    Queues->Summary = 0;
}

/* A thread preempted before its quantum ran out goes back to the front of its list, so it
 * keeps its turn; every other ready thread goes to the back. */
VOID KiInsertReadyQueue(PKREADY_QUEUES Queues, PKTHREAD Thread, BOOLEAN AtFront)
{
    PLIST_ENTRY Head = &Queues->ListHead[Thread->Priority];

    if (AtFront)
        InsertHeadList(Head, &Thread->QueueListEntry);
    else
        InsertTailList(Head, &Thread->QueueListEntry);
    Queues->Summary |= 1u << Thread->Priority;
}

VOID KiRemoveReadyQueue(PKREADY_QUEUES Queues, PKTHREAD Thread)
{
    if (RemoveEntryList(&Thread->QueueListEntry) &&
        IsListEmpty(&Queues->ListHead[Thread->Priority]))
        Queues->Summary &= ~(1u << Thread->Priority);
}

ULONG KiHighestReadyPriority(const KREADY_QUEUES *Queues)
{
    return Queues->Summary == 0 ? 0 : 31u - (ULONG)__builtin_clz(Queues->Summary);
}

PKTHREAD KiSelectReadyThread(PKREADY_QUEUES Queues, ULONG MinimumPriority)
{
    ULONG Priority;
    PKTHREAD Thread;

    if (Queues->Summary == 0)
        return NULL;
    Priority = KiHighestReadyPriority(Queues);
    if (Priority < MinimumPriority)
        return NULL;
    Thread = CONTAINING_RECORD(Queues->ListHead[Priority].Flink, KTHREAD, QueueListEntry);
    KiRemoveReadyQueue(Queues, Thread);
    return Thread;
}
