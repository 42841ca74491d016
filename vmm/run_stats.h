/*
 * run_stats.h - the counters of a run in one place: faults by kind, pagefile, image and volume
 * traffic, VM exits and exits per fault. Printed at exit and written at the end of a trace.
 */
#ifndef PV_RUN_STATS_H
#define PV_RUN_STATS_H

#include <stddef.h>
#include <stdio.h>

#include "fault_trace.h"
#include "hypercall.h"
#include "trace.h"
#include "vcpu_loop.h"

#define RUN_STATS_MAX 64

struct run_stats {
    struct trace_stat items[RUN_STATS_MAX];
    size_t n;
};

void run_stats_collect(struct run_stats *rs, const struct hc_state *hc,
                       const struct vcpu_stats *st);

/* Human-readable, a few lines on f. */
void run_stats_print(FILE *f, const struct run_stats *rs);

#endif /* PV_RUN_STATS_H */
