/*
 * process_table.h - the names the trace gives faults, by PID. Bounded: the guest has at most 32
 * processes alive at once; an ended process's entry is kept (its last records may still be
 * coming) until its slot is needed, and then the one that ended longest ago is reused. The
 * vCPU side keeps one (crash reports, bug checks) and the trace writer its own, fed in order.
 */
#ifndef PV_PROCESS_TABLE_H
#define PV_PROCESS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pv_abi.h"

#define TRACER_PROCS        128
#define TRACER_PROC_BUCKETS 64   /* hash chains over pid; a power of two */

struct process_info {
    uint32_t pid, cr3;
    char name[PV_NAME_MAX];
    bool ended;
    uint64_t stamp;              /* when it started, or ended once ended: picks what to reuse */
    uint16_t next;               /* next entry in its hash chain, index + 1; 0 ends it */
};

struct process_table {
    struct process_info procs[TRACER_PROCS];
    uint16_t bucket[TRACER_PROC_BUCKETS]; /* first entry of each chain, index + 1 */
    size_t n;                    /* entries in use, at most TRACER_PROCS */
    uint64_t stamp;
};

void process_table_start(struct process_table *pt, uint32_t pid, uint32_t cr3, const char *name);
void process_table_exit(struct process_table *pt, uint32_t pid);
/* "System" for pid 0, "?" for a PID never named (or forgotten). */
const char *process_table_name(const struct process_table *pt, uint32_t pid);
/* The name of the process whose page directory is cr3 (the last started), or NULL. */
const char *process_table_by_cr3(const struct process_table *pt, uint32_t cr3);
void process_table_clear(struct process_table *pt);

#endif /* PV_PROCESS_TABLE_H */
