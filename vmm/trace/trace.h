/*
 * trace.h - the fault trace: one record per guest page fault, written as text for people,
 * JSON Lines for tools, or Chrome trace-event JSON that opens in Perfetto as a per-process
 * timeline.
 */
#ifndef PV_TRACE_H
#define PV_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pv_abi.h"

#include "disasm.h"

enum trace_format { TRACE_TEXT, TRACE_JSONL, TRACE_CHROME };
/* The first JSON Lines record says which; raised when a record's fields change meaning. */
#define TRACE_JSONL_SCHEMA_VERSION 1

/* A fault as the host understands it, after decoding. */
struct fault_event {
    uint64_t seq;
    uint64_t time_ns;        /* since the start of the run */
    uint64_t duration_ns;    /* time the guest spent resolving it */
    uint32_t pid;
    const char *process;     /* image name, "System" for the kernel */
    uint32_t eip, cr2, error_code;
    uint32_t pde_before, pde_after;
    uint32_t pte_before, pte_after;
    bool pte_known;          /* false when no page table existed before the fault */
    uint32_t resolution;     /* enum pv_fault_resolution */
    uint32_t status;         /* NTSTATUS for access violations, bug-check code for bug checks */
    bool insn_ok;            /* insn holds the faulting instruction */
    struct insn_text insn;
    char symbol[64];         /* "main+0x14": the function eip lies in, "" when unknown */
    /* image_read, file_read: the file the page came from and where ("" when not such a read);
     * offset PV_BACKING_OFFSET_NONE when the page was assembled from several pieces. */
    char backing[PV_FILE_NAME_MAX + 16];
    uint32_t backing_offset;
};

struct trace_writer {
    FILE *f;
    enum trace_format format;
    unsigned long long records;
};

int trace_format_parse(const char *name, enum trace_format *out);
const char *fault_resolution_name(uint32_t resolution);

/* "not-present write user" from the #PF error code (and fetch when CR2 == EIP). */
void fault_access_words(uint32_t error_code, bool fetch, char *buf, size_t len);

void trace_begin(struct trace_writer *w, FILE *f, enum trace_format format);
void trace_record(struct trace_writer *w, const struct fault_event *e);
/* Per-process names for the Chrome timeline. */
void trace_process_name(struct trace_writer *w, uint32_t pid, const char *name);
/* Chrome only: names thread tid of pid (the host's I/O track: pid 0, tid 1). */
void trace_thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid, const char *name);
/* The run's statistics, written once at the end of a trace. */
struct trace_counters;
/* The memory manager's counters (TRACE_ITEM_COUNTERS): Chrome counter events ("ph":"C") that
 * Perfetto draws as tracks (the system's on pid 0, each process's on its own), a JSON Lines
 * record of type "counters", a "# counters" line in text. */
void trace_counters(struct trace_writer *w, const struct trace_counters *c);
struct trace_host_io;
/* A transfer the host made for the guest (TRACE_ITEM_HOST_IO): a Chrome complete event on the
 * host's track (pid 0, tid 1, category host_io) with the cluster in args, a JSON Lines
 * "host_io" record, a "# host io" line in text. */
void trace_host_io(struct trace_writer *w, const struct trace_host_io *io);
struct trace_stat {
    const char *name;
    double value;      /* counts, and ratios such as exits per fault */
};
void trace_stats(struct trace_writer *w, uint64_t time_ns, const struct trace_stat *stats,
                 size_t n);

/* Closes the JSON document for chrome; returns 0 when everything was written. */
int trace_end(struct trace_writer *w);

#endif /* PV_TRACE_H */
