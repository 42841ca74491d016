/*
 * test_sched.c - the scheduler's queues and the dispatcher objects on the host:
 * guest/ke/readyq.c (priority lists, the summary bits, FIFO within a priority, front insertion
 * for a preempted thread, removal from the middle) and guest/ke/wait.c (semaphore counts and
 * limits, notification vs synchronization events, waiters woken first come first served,
 * timed waits expiring with the tick count, NT timeouts converted to ticks). The dispatcher
 * calls wait.c makes (KiReadyThread, KiSwapThread) are recorded here instead of switching.
 */
#include "../../guest/ke/readyq.c"
#include "../../guest/ke/wait.c"

#include <stdlib.h>
#include <string.h>

#include "unit.h"

PKTHREAD KiCurrentThread;
static PKTHREAD readied[16];
static unsigned nreadied, swaps, clock_starts;

void KeBugCheckEx(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    fprintf(stderr, "unexpected bug check 0x%X (%lx %lx %lx %lx)\n", Code, (unsigned long)P1,
            (unsigned long)P2, (unsigned long)P3, (unsigned long)P4);
    abort();
}

KIRQL KeGetCurrentIrql(VOID) { return PASSIVE_LEVEL; }

/* ke/clock.c starts the clock for a timed wait. */
VOID KiStartClockIfNeeded(VOID)
{
    clock_starts++;
}

VOID KiReadyThread(PKTHREAD Thread)
{
    Thread->State = Ready;
    CU_ASSERT_FATAL(nreadied < 16);
    readied[nreadied++] = Thread;
}

/* A wait that blocks "switches away": the test plays the other threads, then checks. */
VOID KiSwapThread(VOID)
{
    swaps++;
}

static KTHREAD threads[6];

static void reset(void)
{
    memset(threads, 0, sizeof(threads));
    for (unsigned i = 0; i < 6; i++) {
        InitializeListHead(&threads[i].QueueListEntry);
        InitializeListHead(&threads[i].TimerListEntry);
        threads[i].UniqueThreadId = i;
    }
    nreadied = swaps = clock_starts = 0;
    KeTickCount = 0;
}

/* ------------------------------------------------------------------------------ ready queues */

static void test_ready_queue_priorities_and_fifo(void)
{
    KREADY_QUEUES q;
    reset();
    KiInitializeReadyQueues(&q);
    CU_ASSERT_EQUAL(q.Summary, 0);
    CU_ASSERT_PTR_NULL(KiSelectReadyThread(&q, 0));
    threads[0].Priority = 8;
    threads[1].Priority = 8;
    threads[2].Priority = 9;
    threads[3].Priority = 1;
    KiInsertReadyQueue(&q, &threads[0], FALSE);
    KiInsertReadyQueue(&q, &threads[1], FALSE);
    KiInsertReadyQueue(&q, &threads[2], FALSE);
    KiInsertReadyQueue(&q, &threads[3], FALSE);
    CU_ASSERT_EQUAL(q.Summary, (1u << 8) | (1u << 9) | (1u << 1));
    CU_ASSERT_EQUAL(KiHighestReadyPriority(&q), 9);
    CU_ASSERT_PTR_NULL(KiSelectReadyThread(&q, 10));       /* nothing that important */
    CU_ASSERT_PTR_EQUAL(KiSelectReadyThread(&q, 0), &threads[2]);
    CU_ASSERT_EQUAL(q.Summary, (1u << 8) | (1u << 1));     /* priority 9 emptied */
    CU_ASSERT_PTR_EQUAL(KiSelectReadyThread(&q, 0), &threads[0]);   /* first come */
    CU_ASSERT_PTR_EQUAL(KiSelectReadyThread(&q, 0), &threads[1]);
    CU_ASSERT_PTR_EQUAL(KiSelectReadyThread(&q, 2), NULL);
    CU_ASSERT_PTR_EQUAL(KiSelectReadyThread(&q, 0), &threads[3]);
    CU_ASSERT_EQUAL(q.Summary, 0);
    CU_ASSERT_EQUAL(KiHighestReadyPriority(&q), 0);
}

static void test_ready_queue_front_and_removal(void)
{
    KREADY_QUEUES q;
    reset();
    KiInitializeReadyQueues(&q);
    for (unsigned i = 0; i < 4; i++) {
        threads[i].Priority = 8;
        KiInsertReadyQueue(&q, &threads[i], FALSE);
    }
    threads[4].Priority = 8;
    KiInsertReadyQueue(&q, &threads[4], TRUE);   /* preempted: keeps its turn */
    KiRemoveReadyQueue(&q, &threads[2]);         /* from the middle */
    CU_ASSERT_EQUAL(q.Summary, 1u << 8);
    unsigned expect[] = { 4, 0, 1, 3 };
    for (unsigned i = 0; i < 4; i++)
        CU_ASSERT_PTR_EQUAL(KiSelectReadyThread(&q, 0), &threads[expect[i]]);
    CU_ASSERT_EQUAL(q.Summary, 0);
    /* The last one removed directly clears the bit too. */
    KiInsertReadyQueue(&q, &threads[5], FALSE);
    KiRemoveReadyQueue(&q, &threads[5]);
    CU_ASSERT_EQUAL(q.Summary, 0);
}

/* ------------------------------------------------------------------------------------ waits */

/* Thread i blocks on Object (as KeWaitForSingleObject leaves it when nothing is signaled). */
static NTSTATUS block(unsigned i, PDISPATCHER_HEADER Object, const ULONG *Ticks)
{
    KiCurrentThread = &threads[i];
    return KeWaitForSingleObject(Object, Ticks);
}

static void test_semaphore_counts_and_waiters(void)
{
    KSEMAPHORE s;
    LONG previous = -1;
    ULONG zero = 0;
    reset();
    KeInitializeSemaphore(&s, 1, 2);
    CU_ASSERT_EQUAL(block(0, &s.Header, NULL), STATUS_SUCCESS);   /* takes the unit */
    CU_ASSERT_EQUAL(swaps, 0);
    CU_ASSERT_EQUAL(s.Header.SignalState, 0);
    CU_ASSERT_EQUAL(block(0, &s.Header, &zero), STATUS_TIMEOUT);  /* poll: no wait */
    CU_ASSERT_EQUAL(swaps, 0);
    block(1, &s.Header, NULL);
    block(2, &s.Header, NULL);
    CU_ASSERT_EQUAL(swaps, 2);
    CU_ASSERT_EQUAL(threads[1].State, Waiting);
    CU_ASSERT_EQUAL(KeReleaseSemaphore(&s, 3, &previous), STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    CU_ASSERT_EQUAL(nreadied, 0);                                  /* nothing changed */
    CU_ASSERT_EQUAL(KeReleaseSemaphore(&s, 1, &previous), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(previous, 0);
    CU_ASSERT_EQUAL(nreadied, 1);
    CU_ASSERT_PTR_EQUAL(readied[0], &threads[1]);                  /* first come first served */
    CU_ASSERT_EQUAL(threads[1].WaitStatus, STATUS_SUCCESS);
    CU_ASSERT_EQUAL(s.Header.SignalState, 0);                      /* the waiter took it */
    CU_ASSERT_EQUAL(KeReleaseSemaphore(&s, 2, &previous), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(nreadied, 2);
    CU_ASSERT_PTR_EQUAL(readied[1], &threads[2]);
    CU_ASSERT_EQUAL(s.Header.SignalState, 1);                      /* one unit left over */
    CU_ASSERT(IsListEmpty(&s.Header.WaitListHead));
}

static void test_events(void)
{
    KEVENT notification, synchronization;
    reset();
    KeInitializeEvent(&notification, EventNotificationObject, FALSE);
    block(0, &notification.Header, NULL);
    block(1, &notification.Header, NULL);
    CU_ASSERT_EQUAL(KeSetEvent(&notification), 0);
    CU_ASSERT_EQUAL(nreadied, 2);                                  /* every waiter */
    CU_ASSERT_EQUAL(notification.Header.SignalState, 1);           /* and it stays set */
    CU_ASSERT_EQUAL(block(2, &notification.Header, NULL), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(KeResetEvent(&notification), 1);

    reset();
    KeInitializeEvent(&synchronization, EventSynchronizationObject, FALSE);
    block(0, &synchronization.Header, NULL);
    block(1, &synchronization.Header, NULL);
    KeSetEvent(&synchronization);
    CU_ASSERT_EQUAL(nreadied, 1);                                  /* one waiter */
    CU_ASSERT_PTR_EQUAL(readied[0], &threads[0]);
    CU_ASSERT_EQUAL(synchronization.Header.SignalState, 0);        /* it took the signal */
    KeSetEvent(&synchronization);
    CU_ASSERT_EQUAL(nreadied, 2);
    KeSetEvent(&synchronization);                                  /* nobody waits: stays set */
    CU_ASSERT_EQUAL(block(2, &synchronization.Header, NULL), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(synchronization.Header.SignalState, 0);
}

static void test_timed_waits_expire(void)
{
    KEVENT e;
    ULONG five = 5, two = 2;
    reset();
    KeInitializeEvent(&e, EventNotificationObject, FALSE);
    KeTickCount = 100;
    block(0, &e.Header, &five);
    block(1, &e.Header, &two);
    block(2, &e.Header, NULL);
    CU_ASSERT_EQUAL(KiThreadsWaitingWithTimeout(), 2);
    CU_ASSERT_EQUAL(clock_starts, 2);                              /* a timed wait needs it */
    KeTickCount = 101;
    KiExpireTimers();
    CU_ASSERT_EQUAL(nreadied, 0);
    KeTickCount = 102;
    KiExpireTimers();
    CU_ASSERT_EQUAL(nreadied, 1);
    CU_ASSERT_PTR_EQUAL(readied[0], &threads[1]);
    CU_ASSERT_EQUAL(threads[1].WaitStatus, STATUS_TIMEOUT);
    CU_ASSERT_EQUAL(KiThreadsWaitingWithTimeout(), 1);
    KeSetEvent(&e);                                                /* the rest by the signal */
    CU_ASSERT_EQUAL(nreadied, 3);
    CU_ASSERT_EQUAL(threads[0].WaitStatus, STATUS_SUCCESS);
    CU_ASSERT_EQUAL(KiThreadsWaitingWithTimeout(), 0);             /* its timer went too */
    KeTickCount = 200;
    KiExpireTimers();
    CU_ASSERT_EQUAL(nreadied, 3);
}

static void test_timeout_conversion(void)
{
    reset();
    CU_ASSERT_EQUAL(KiTimeoutToTicks(0), 0);
    CU_ASSERT_EQUAL(KiTimeoutToTicks(-1), 1);                      /* rounded up */
    CU_ASSERT_EQUAL(KiTimeoutToTicks(-100000), 1);                 /* 10 ms = one tick */
    CU_ASSERT_EQUAL(KiTimeoutToTicks(-100001), 2);
    CU_ASSERT_EQUAL(KiTimeoutToTicks(-10000000LL * 3600), 360000); /* an hour */
    CU_ASSERT_EQUAL(KiTimeoutToTicks(-0x7FFFFFFFFFFFFFFFLL), 0x7FFFFFFFu);   /* capped */
    KeTickCount = 50;                                              /* absolute: since boot */
    CU_ASSERT_EQUAL(KiTimeoutToTicks(60 * 100000LL), 10);
    CU_ASSERT_EQUAL(KiTimeoutToTicks(10 * 100000LL), 0);           /* already passed */
}

static void test_abort_wait(void)
{
    KSEMAPHORE s;
    ULONG ticks = 10;
    reset();
    KeInitializeSemaphore(&s, 0, 1);
    block(0, &s.Header, &ticks);
    KiAbortWait(&threads[0]);
    CU_ASSERT_EQUAL(nreadied, 1);
    CU_ASSERT_EQUAL(threads[0].WaitStatus, STATUS_PROCESS_IS_TERMINATING);
    CU_ASSERT(IsListEmpty(&s.Header.WaitListHead));
    CU_ASSERT_EQUAL(KiThreadsWaitingWithTimeout(), 0);
    KiAbortWait(&threads[0]);                                      /* not waiting: nothing */
    CU_ASSERT_EQUAL(nreadied, 1);
}

int main(void)
{
    static const struct unit_test tests[] = {
        UNIT_TEST(test_ready_queue_priorities_and_fifo),
        UNIT_TEST(test_ready_queue_front_and_removal),
        UNIT_TEST(test_semaphore_counts_and_waiters),
        UNIT_TEST(test_events),
        UNIT_TEST(test_timed_waits_expire),
        UNIT_TEST(test_timeout_conversion),
        UNIT_TEST(test_abort_wait),
    };
    return unit_run("sched", tests, sizeof(tests) / sizeof(tests[0]));
}
