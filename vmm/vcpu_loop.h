/*
 * vcpu_loop.h - running the vCPU: every KVM_RUN exit reason handled, hypercalls dispatched,
 * a runaway guest stopped by the time limit, and an abnormal stop reported with registers and
 * the decoded instruction at EIP.
 */
#ifndef PV_VCPU_LOOP_H
#define PV_VCPU_LOOP_H

#include <signal.h>

#include "hypercall.h"
#include "kvm.h"

/* Exit reasons counted one by one (KVM_EXIT_* below this; the rest together in the last). */
#define VCPU_EXIT_REASONS 48

struct vcpu_stats {
    unsigned long long exits;         /* every return of KVM_RUN, signals included */
    unsigned long long signal_exits;  /* KVM_RUN interrupted by a signal (EINTR) */
    unsigned long long by_reason[VCPU_EXIT_REASONS];   /* the others, by exit reason */
    unsigned long long io_exits, unclaimed_io;
    unsigned long long clock_ticks;   /* IRQ 0 pulses the emulated PIT delivered */
    double first_run_time;            /* monotonic_seconds() right before the first KVM_RUN */
};

/* The signal a debugger's connection watcher sends to leave KVM_RUN. */
#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)

struct gdb_session;

/* Runs until the guest shuts down, bug-checks, faults fatally or runs out of time (time held
 * still for a debugger or waiting for console input not counted). Returns the run's exit
 * status (PV_EXIT_* or an image's exit code). timeout_sec 0 means no limit. gdb: a debugger
 * session (--gdb) or NULL. */
int vcpu_run(struct vm *vm, struct hc_state *hc, unsigned timeout_sec, struct vcpu_stats *st,
             struct gdb_session *gdb);

const char *kvm_exit_name(unsigned reason);

#endif /* PV_VCPU_LOOP_H */
