/*
 * hypercall.h - the host side of the hypercall ABI (shared/pv_abi.h): validation of every
 * call block a guest passes, and what each call does. Independent of KVM, so the validator is
 * unit tested on plain memory.
 */
#ifndef PV_HYPERCALL_H
#define PV_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "console_input.h"
#include "fault_trace.h"
#include "guest_mem.h"
#include "image_store.h"
#include "pagefile.h"
#include "pv_abi.h"
#include "volume.h"

/* What a run has learned from the guest's calls. */
struct hc_state {
    struct guest_mem *mem;
    /* The --inspect snapshot, headed "the guest's memory manager WHEN": called between two
     * KVM_RUNs after a SIGUSR1 (with --inspect-on-exit; else SIGUSR1 is left as it was) and at
     * a PvDebugBreak (PV_HC_DEBUG_BREAK; PV_ENODEV when NULL). */
    void (*snapshot)(void *ctx, const char *when);
    void *snapshot_ctx;
    bool snapshot_on_signal;
    /* A PvDebugBreak with a debugger attached stops for it instead (--gdb): true when it did,
     * *status then -1, or the run's end (the debugger killed the guest). NULL: no debugger. */
    bool (*debugger_stop)(void *ctx, const char *why, int *status);
    void *debugger_ctx;
    int stdout_fd;            /* process output goes here */
    int log_fd;               /* kernel log goes here, -1 to drop it (no --verbose) */
    bool verbose;
    struct fault_tracer *tracer; /* the fault trace ring's host end */
    struct image_store *images;  /* the image files, for demand paging of code (may be NULL) */
    struct pagefile *pagefile;   /* the backing store of paged-out pages (may be NULL) */
    struct console_input *input; /* the guest's console input (NULL: none, always at its end) */
    struct volume *volume;       /* --volume's files (NULL: none, every file call PV_ENODEV) */

    bool finished;            /* PV_HC_SHUTDOWN or PV_HC_BUGCHECK seen: stop the vCPU */
    int exit_status;          /* the run's exit status so far (PV_EXIT_* or an image's code) */
    unsigned images_run;
    /* Monotonic times (monotonic_seconds) of the first process start and the latest process
     * end, 0 until then: --stats' time line splits the run at them. */
    double first_start_time, last_exit_time;
    uint64_t calls, bad_calls;
    unsigned pagefile_failures;  /* PV_EIO answers, for rate-limiting their messages */
    unsigned volume_failures;    /* volume host failures, likewise */
    unsigned long long console_bytes;
    unsigned long long console_input_bytes;
};

enum hc_result {
    HC_OK,          /* served (a call may still have failed, with ret set for the guest) */
    HC_BAD_PORT,    /* not a hypercall port: the caller treats it as an unclaimed port */
    HC_REJECTED,    /* a call the host refused: bad number, size, or call block address */
};

void hc_init(struct hc_state *s, struct guest_mem *mem, int stdout_fd, int log_fd, bool verbose,
             struct fault_tracer *tracer);

/* A 32-bit `out` of value to port. why (may be NULL) receives the reason for HC_REJECTED. */
enum hc_result hc_out(struct hc_state *s, uint16_t port, unsigned size, uint32_t value,
                      char *why, size_t whylen);

/* A read from a port in the hypercall window; returns true when the port is ours. */
bool hc_in(uint16_t port, unsigned size, uint32_t *value);

#endif /* PV_HYPERCALL_H */
