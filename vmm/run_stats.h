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

/* Where a direct run's time went: monotonic_seconds() at each step, 0 when not reached. */
struct run_times {
    double start;       /* main() of the pagevisor process */
    double first_run;   /* right before the first KVM_RUN */
    double first_image; /* the first process started (PV_HC_PROCESS_START) */
    double last_image;  /* the last process ended (PV_HC_PROCESS_EXIT) */
    double guest_exit;  /* vcpu_run returned */
    double teardown;    /* everything closed (0 while it is not) */
};

/* The phases between those steps, in ms: VMM set-up (start to the first KVM_RUN), guest boot
 * (to the first image's start), images (to the last one's end), guest exit (to vcpu_run's
 * return) and teardown. Without an image start, boot runs to the guest's exit and images and
 * guest exit are -1; without an end after it, images run to the guest's exit. */
struct run_phases {
    double setup_ms, boot_ms, images_ms, exit_ms, teardown_ms;
};
void run_times_phases(const struct run_times *t, struct run_phases *p);

/* Adds time_setup_ms, time_boot_ms, time_images_ms and time_exit_ms to rs (teardown is not
 * known yet when the statistics are written). */
void run_times_add(struct run_stats *rs, const struct run_times *t);

/* "pagevisor: time: VMM set-up 1.2 ms, guest boot ..., teardown 0.3 ms", once t->teardown is
 * set. */
void run_times_print(FILE *f, const struct run_times *t);

#endif /* PV_RUN_STATS_H */
