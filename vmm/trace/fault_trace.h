/*
 * fault_trace.h - the host end of the fault trace ring: draining the records the guest leaves
 * in its RAM, turning each into a decoded fault event (process name, PTEs, the instruction read
 * through the guest's page tables and decoded by capstone), counting them, writing the trace,
 * and the crash report of a process ended by a fault.
 */
#ifndef PV_FAULT_TRACE_H
#define PV_FAULT_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guest_mem.h"
#include "process_table.h"
#include "pv_abi.h"
#include "symbols.h"
#include "trace.h"
#include "trace_queue.h"

#define TRACER_RUN_PAGES    8    /* pages one instruction's faults are remembered by */
#define TRACER_COUNTER_EVERY 256 /* faults between two samples of the memory manager's counters */

struct fault_tracer {
    struct guest_mem *mem;
    uint32_t ring_gpa, capacity;     /* capacity 0: no ring registered */
    struct trace_writer writer;      /* used by the writer thread while the queue runs */
    bool writing;                    /* --trace given */
    struct trace_queue queue;        /* raw records on their way to the writer */
    bool queue_running;
    struct disasm_cache *insns;      /* the writer's decoded instructions */
    char writer_backing[PV_FILE_NAME_MAX + 16]; /* the writer's: the next fault's file */
    bool writer_backing_next;
    uint64_t tsc_base;               /* guest TSC at the start of the run */
    uint32_t tsc_khz;                /* 0: times unknown, reported as 0 */

    struct process_table procs;      /* the vCPU side's: crash reports, bug checks */
    struct process_table writer_procs; /* the writer's, fed by the queue in order */

    uint64_t faults, lost, bad_records, guest_lost;
    uint64_t relocations;     /* relocate records: pages moved for large pages (no faults) */
    uint64_t by_resolution[PV_FAULT_RESOLUTION_MAX];
    /* Faults in a row by one process at one EIP on a page it already faulted on at that EIP
     * (A A A, or A B A B: an instruction that cannot retire because resolving one of its
     * faults undoes another); refault_run_max is the longest such run, 0 when every retried
     * instruction finished. A livelock makes it grow without bound. */
    uint32_t run_pid, run_eip, run_pages[TRACER_RUN_PAGES], run_used, run_next;
    uint64_t run_refaults, refault_run_max;
    struct pv_fault_record last_fatal; /* the last access violation or bug-check fault */
    bool have_last_fatal;
    const struct symbolizer *syms;   /* names functions in reports and text traces (or NULL) */
    /* Names the file of an image_read or file_read (pv_fault_record.backing): the run's images
     * and its volume's open files; NULL: a generic name ("image 2", "volume file 3"). */
    void (*backing_name)(void *ctx, uint32_t backing, char *out, size_t len);
    void *backing_ctx;
    /* The counter tracks (vCPU side): sampled from the guest at a drain TRACER_COUNTER_EVERY
     * faults after the last sample, and at every process start and end. The kernel's symbols
     * (syms) say where; any process's CR3 maps the system space they are in. */
    uint64_t counters_faults;        /* t->faults at the last sample */
    uint64_t last_tsc;               /* guest TSC at the end of the last record drained */
    uint32_t last_cr3;               /* a CR3 seen last (a record's, a process start's) */
    bool counters_failed;            /* a sample could not be read: no more are tried */
    uint64_t host_tsc_base;          /* this process's TSC when the guest's was tsc_base */
};

/* The host's TSC now, for tracer_host_io (the guest's TSC is the host's plus an offset, so
 * host times land on the trace's time line). */
uint64_t tracer_host_tsc(void);
/* A transfer the host made for the guest, between two tracer_host_tsc() readings; queued in
 * order with the faults (the guest is stopped in its hypercall). */
void tracer_host_io(struct fault_tracer *t, enum trace_io_kind kind, uint32_t pages,
                    uint32_t where, int32_t ret, uint64_t tsc_start, uint64_t tsc_end);

void tracer_init(struct fault_tracer *t, struct guest_mem *mem, FILE *trace_file,
                 enum trace_format format, uint64_t tsc_base, uint32_t tsc_khz);

/* PV_HC_TRACE_SETUP: validates and adopts the ring; returns PV_OK or a PV_E* code. */
int32_t tracer_setup(struct fault_tracer *t, uint32_t ring_gpa, uint32_t ring_bytes);

/* PV_HC_PROCESS_START. */
void tracer_process_start(struct fault_tracer *t, uint32_t pid, uint32_t cr3, const char *name);
/* PV_HC_PROCESS_EXIT: the name stays known, but its entry may now be reused. */
void tracer_process_exit(struct fault_tracer *t, uint32_t pid);
const char *tracer_process_name(const struct fault_tracer *t, uint32_t pid);
/* The name of the process whose page directory is cr3 (the last started), or NULL. */
const char *tracer_process_by_cr3(const struct fault_tracer *t, uint32_t cr3);

/* Consume every record the guest has written since the last drain. Called at every VM exit.
 * With --trace, each record goes raw to the writer thread (trace_queue.h), which decodes and
 * writes it and flushes the file at most every TRACE_FLUSH_SECONDS. */
void tracer_drain(struct fault_tracer *t);

/* Waits for the writer to write everything queued and stops it; then writes the run's
 * statistics into the trace (the vCPU has stopped: nothing more comes). */
void tracer_write_stats(struct fault_tracer *t, uint64_t time_ns, const struct trace_stat *stats,
                        size_t n);

/* The crash report of a process ended by a fault: status, registers, the decoded instruction
 * with its effective address, the PDE/PTE chain and the VAD covering the address. Printed only
 * when the last failed fault of that process carries the status it was ended with (a process
 * ended by, say, a divide error has no fault to report); returns whether it was. */
bool tracer_crash_report(const struct fault_tracer *t, FILE *f, uint32_t pid, uint32_t status);

/* For a bug check: the PDE/PTE chain of cr2 through cr3, and the VAD when the fault record of
 * the bug check says which covers it. */
void tracer_bugcheck_context(const struct fault_tracer *t, FILE *f, uint32_t cr3, uint32_t cr2);

/* A guest TSC value as nanoseconds since the start of the run. */
uint64_t tracer_now_ns(const struct fault_tracer *t, uint64_t tsc);

/* Finish the trace file; returns 0 when everything was written. */
int tracer_finish(struct fault_tracer *t);

void tracer_free(struct fault_tracer *t);

#endif /* PV_FAULT_TRACE_H */
