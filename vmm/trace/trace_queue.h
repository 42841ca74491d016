/*
 * trace_queue.h - the fault trace's hand-off from the vCPU thread to a writer thread: at a VM
 * exit the vCPU thread only copies each raw record (with the guest bytes a decode needs, read
 * then so they stay true) into this queue; decoding, formatting and writing happen on the
 * writer thread while the guest runs on. Nothing is dropped: a full queue makes the vCPU wait.
 */
#ifndef PV_TRACE_QUEUE_H
#define PV_TRACE_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pv_abi.h"

enum trace_item_kind {
    TRACE_ITEM_FAULT = 1,
    TRACE_ITEM_PROCESS_START,
    TRACE_ITEM_PROCESS_EXIT,
    TRACE_ITEM_BACKING,          /* the file the next fault's page came from */
    TRACE_ITEM_COUNTERS,         /* the memory manager's counters, sampled at a drain */
    TRACE_ITEM_HOST_IO,          /* a pagefile, image or volume file transfer the host made */
};

/* A host-side transfer for the guest (a PV_HC_PAGEFILE_IO, IMAGE_READ or FILE_IO call). */
enum trace_io_kind { TRACE_IO_PAGEFILE_READ, TRACE_IO_PAGEFILE_WRITE, TRACE_IO_IMAGE_READ,
                     TRACE_IO_FILE_READ, TRACE_IO_FILE_WRITE };
struct trace_host_io {
    uint64_t time_ns, duration_ns;
    uint32_t kind;                /* enum trace_io_kind */
    uint32_t pages;               /* the cluster: pages in the call */
    uint32_t where;               /* first slot, or byte offset in the file (low 32 bits) */
    int32_t ret;                  /* PV_OK or the PV_E* answer */
};

/* The memory manager's counters at one moment (read from the guest by the host). */
#define TRACE_COUNTER_PROCESSES 8
struct trace_counters {
    uint64_t time_ns;
    uint32_t lists[6];            /* Zeroed, Free, Standby, Modified, ModifiedNoWrite, Bad */
    uint32_t available, committed, commit_limit, pagefile_in_use;
    uint32_t nproc;
    struct { uint32_t pid, ws, faults; } proc[TRACE_COUNTER_PROCESSES];
};

/* One raw record and what a decode needs of the guest as it was at the drain. Names travel as
 * items of their own, in order, so a fault item stays small. */
struct trace_item {
    uint8_t kind;                   /* enum trace_item_kind */
    uint8_t code_len;               /* bytes of code[] read at eip through cr3 (0: unreadable) */
    union {
        struct {
            struct pv_fault_record r;
            uint8_t code[16];
        } fault;
        struct {
            uint32_t pid, cr3;
            char name[PV_NAME_MAX];
        } process;
        char backing[PV_FILE_NAME_MAX + 16];
        struct trace_counters counters;
        struct trace_host_io io;
    } u;
};

typedef void (*trace_consume_fn)(void *ctx, const struct trace_item *item);
typedef void (*trace_flush_fn)(void *ctx);
typedef void (*trace_thread_exit_fn)(void);

struct trace_queue {
    struct trace_item *items;       /* mapped, not touched until used: RSS grows with the backlog */
    uint32_t capacity;              /* a power of two */
    /* head: items published by the producer; tail: items consumed. Both only grow. */
    uint32_t head, tail;
    uint32_t pending;               /* committed, not yet published (producer only) */
    uint32_t tail_seen;             /* the producer's last look at tail */
    bool threaded, stop;
    bool boosted;                   /* the writer runs at normal priority until it catches up */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more, room;
    trace_consume_fn consume;
    trace_flush_fn flush;
    trace_thread_exit_fn thread_exit; /* run on the writer thread as it ends (or NULL) */
    void *ctx;
    unsigned long long producer_waits; /* times the vCPU waited for room */
};

/* Starts the writer thread at idle priority (SCHED_IDLE: on a host CPU the vCPU needs, it writes
 * while the vCPU sleeps; a vCPU that finds the queue full raises it to normal until it has
 * caught up). Without a thread (it could not be made) items are consumed as they are
 * published. Returns -1 only when the queue's memory cannot be had. */
int trace_queue_start(struct trace_queue *q, uint32_t capacity, trace_consume_fn consume,
                      trace_flush_fn flush, trace_thread_exit_fn thread_exit, void *ctx);
/* The next item to fill (nothing cleared), waiting for room if need be; it is not queued until
 * trace_queue_commit(). */
struct trace_item *trace_queue_reserve(struct trace_queue *q);
static inline void trace_queue_commit(struct trace_queue *q)
{
    q->pending++;
}
/* Hands every reserved item to the writer. */
void trace_queue_publish(struct trace_queue *q);
/* Publishes, lets the writer finish every item and stops it (idempotent). */
void trace_queue_stop(struct trace_queue *q);

/* Items backed when the queue starts (about 2 MiB); the rest as the backlog reaches them. */
#define TRACE_QUEUE_EAGER 16384u

/* How often the writer flushes its output while items keep coming or stop coming. */
#define TRACE_FLUSH_SECONDS 0.25

#endif /* PV_TRACE_QUEUE_H */
