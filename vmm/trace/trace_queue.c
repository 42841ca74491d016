/* trace_queue.c - single-producer, single-consumer queue of raw trace records and its writer
 * thread (see trace_queue.h). */
#include "trace_queue.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "fdio.h"

static void *writer_main(void *arg);

int trace_queue_start(struct trace_queue *q, uint32_t capacity, trace_consume_fn consume,
                      trace_flush_fn flush, trace_thread_exit_fn thread_exit, void *ctx)
{
    *q = (struct trace_queue){ .capacity = capacity, .consume = consume, .flush = flush,
                               .thread_exit = thread_exit, .ctx = ctx };
    void *items = mmap(NULL, (size_t)capacity * sizeof(*q->items), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (items == MAP_FAILED)
        return -1;
    q->items = items;
    /* The first items are backed now, not by page faults of the vCPU thread in the middle of a
     * traced loop (best effort: MADV_POPULATE_WRITE is Linux 5.14's). */
    size_t eager = (capacity < TRACE_QUEUE_EAGER ? capacity : TRACE_QUEUE_EAGER) * sizeof(*q->items);
#ifdef MADV_POPULATE_WRITE
    (void)madvise(items, eager & ~(size_t)4095, MADV_POPULATE_WRITE);
#else
    (void)eager;
#endif
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&q->more, &attr);
    pthread_cond_init(&q->room, &attr);
    pthread_condattr_destroy(&attr);
    q->threaded = pthread_create(&q->thread, NULL, writer_main, q) == 0;
    return 0;
}

/* Without a writer thread: the producer consumes what it published itself. */
static void consume_inline(struct trace_queue *q)
{
    for (; q->tail != q->head; q->tail++)
        q->consume(q->ctx, &q->items[q->tail & (q->capacity - 1)]);
    q->tail_seen = q->tail;
}

void trace_queue_publish(struct trace_queue *q)
{
    if (!q->items || q->pending == 0)
        return;
    if (!q->threaded) {
        q->head += q->pending;
        q->pending = 0;
        consume_inline(q);
        return;
    }
    pthread_mutex_lock(&q->lock);
    q->head += q->pending;
    q->pending = 0;
    q->tail_seen = q->tail;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->lock);
}

static void set_policy(pthread_t thread, int policy)
{
    struct sched_param param = { .sched_priority = 0 };
    pthread_setschedparam(thread, policy, &param); /* best effort: the order holds either way */
}

struct trace_item *trace_queue_reserve(struct trace_queue *q)
{
    if (q->head + q->pending - q->tail_seen == q->capacity) {
        trace_queue_publish(q);
        if (q->threaded) {
            pthread_mutex_lock(&q->lock);
            if (q->head - q->tail == q->capacity && !q->boosted) {
                q->boosted = true;
                set_policy(q->thread, SCHED_OTHER);
            }
            while (q->head - q->tail == q->capacity) {
                q->producer_waits++;
                pthread_cond_wait(&q->room, &q->lock);
            }
            q->tail_seen = q->tail;
            pthread_mutex_unlock(&q->lock);
        }
    }
    return &q->items[(q->head + q->pending) & (q->capacity - 1)];
}

static void deadline_after(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    long ns = (long)(seconds * 1e9);
    ts->tv_sec += (ts->tv_nsec + ns) / 1000000000L;
    ts->tv_nsec = (ts->tv_nsec + ns) % 1000000000L;
}

/* Takes every published item, writes them without holding the lock, flushes at most every
 * TRACE_FLUSH_SECONDS while they come and once they stop, so a reader of the file (tail -f, the
 * KVM runner's live port) sees records soon after the guest wrote them. */
static void *writer_main(void *arg)
{
    struct trace_queue *q = arg;
    double flushed = monotonic_seconds();
    bool dirty = false;
    set_policy(pthread_self(), SCHED_IDLE);
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->head == q->tail && q->boosted) {
            q->boosted = false;             /* caught up: back to writing in idle time */
            set_policy(pthread_self(), SCHED_IDLE);
        }
        while (q->head == q->tail && !q->stop) {
            if (!dirty) {
                pthread_cond_wait(&q->more, &q->lock);
                continue;
            }
            struct timespec ts;
            deadline_after(&ts, TRACE_FLUSH_SECONDS);
            if (pthread_cond_timedwait(&q->more, &q->lock, &ts) == ETIMEDOUT &&
                q->head == q->tail) {
                pthread_mutex_unlock(&q->lock);
                q->flush(q->ctx);
                flushed = monotonic_seconds();
                dirty = false;
                pthread_mutex_lock(&q->lock);
            }
        }
        if (q->head == q->tail && q->stop)
            break;
        uint32_t head = q->head, tail = q->tail;
        pthread_mutex_unlock(&q->lock);
        for (; tail != head; tail++)
            q->consume(q->ctx, &q->items[tail & (q->capacity - 1)]);
        dirty = true;
        double now = monotonic_seconds();
        if (now - flushed >= TRACE_FLUSH_SECONDS) {
            q->flush(q->ctx);
            flushed = now;
            dirty = false;
        }
        pthread_mutex_lock(&q->lock);
        q->tail = tail;
        pthread_cond_signal(&q->room);
    }
    pthread_mutex_unlock(&q->lock);
    if (q->thread_exit)
        q->thread_exit();
    return NULL;
}

void trace_queue_stop(struct trace_queue *q)
{
    if (!q->items)
        return;
    trace_queue_publish(q);
    if (q->threaded) {
        pthread_mutex_lock(&q->lock);
        q->stop = true;
        set_policy(q->thread, SCHED_OTHER);     /* nothing else to wait for: write it all now */
        pthread_cond_signal(&q->more);
        pthread_mutex_unlock(&q->lock);
        pthread_join(q->thread, NULL);
        q->threaded = false;
    }
    pthread_cond_destroy(&q->more);
    pthread_cond_destroy(&q->room);
    pthread_mutex_destroy(&q->lock);
    munmap(q->items, (size_t)q->capacity * sizeof(*q->items));
    q->items = NULL;
}
