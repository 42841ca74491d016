/*
 * gdb_kvm.h - a debugger session on the KVM vCPU: the gdb stub's target operations on KVM
 * (registers by KVM_GET/SET_REGS and SREGS, memory through the guest's page tables at the
 * current CR3, int3 and debug-register breakpoints and single steps by KVM_SET_GUEST_DEBUG),
 * and the stops: the exit loop hands over a debug exit, a kick from the connection's watcher,
 * a PvDebugBreak, and the guest holds still while the debugger talks.
 */
#ifndef PV_GDB_KVM_H
#define PV_GDB_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "gdb_conn.h"
#include "gdb_stub.h"
#include "kvm.h"
#include "symbols.h"

#define GDB_SW_BREAKPOINTS 64
/* A software breakpoint is `out 0xCC, al` (E6 CC): an I/O exit to a port no device has, which
 * reaches pagevisor on Intel VMX, AMD SVM and the KVM runner's emulated SVM alike (where an
 * int3 goes to the guest's own handler, not to KVM). Its second byte is an int3, so a jump
 * into the middle of it traps instead of running something else. */
#define GDB_BP_PORT  0xCC
#define GDB_BP_BYTES 2
#define GDB_HW_SLOTS 4

struct gdb_session {
    struct vm *vm;
    bool wait;                            /* --gdb-wait */
    const char *where;                    /* what messages call the connection (--gdb's) */
    struct gdb_conn conn;
    struct gdb_stub stub;
    const struct symbol_file *kernel;     /* for `monitor` (mm_inspect) */
    struct {
        uint32_t va;
        bool planted;                     /* else waiting for its page to be mapped */
        uint64_t gpa[GDB_BP_BYTES];       /* where the planted bytes went */
        uint8_t saved[GDB_BP_BYTES];
    } sw[GDB_SW_BREAKPOINTS];
    unsigned nsw, nwaiting;
    struct {
        bool used;
        enum gdb_bp_type type;
        uint32_t addr, len;
    } hw[GDB_HW_SLOTS];
    bool stepping;                        /* the vCPU runs one instruction */
    bool debug_dirty;                     /* KVM_SET_GUEST_DEBUG is due before the next run */
    uint32_t allowed;                     /* the KVM_GUESTDBG_* flags this KVM has */
    bool no_debug_registers;              /* in the KVM runner: DR breakpoints never fire */
    bool told_no_debug_registers;
    bool attached;                        /* a debugger has spoken and not detached */
    bool armed;                           /* the watcher is watching */
    uint8_t pending[GDB_PACKET_MAX];      /* bytes after a resuming packet, fed at the stop */
    size_t npending;
    double stopped_seconds;               /* held for the debugger: not charged to --timeout */
};

/* Opens the connection (before the guest boots). 0, or -1 with why. */
int gdb_session_open(struct gdb_session *g, const char *spec, struct vm *vm,
                     const struct symbol_file *kernel, char *why, size_t whylen);
void gdb_session_close(struct gdb_session *g);

/* Called by the exit loop on the vCPU thread. Each returns -1 to go on running, or the run's
 * exit status (PV_EXIT_KILLED when the debugger killed the guest). */

/* Before the first KVM_RUN: the watcher started (kicking with kick_signal); with g->wait, the
 * guest holds at its entry until a debugger connects and resumes it. */
int gdb_session_start(struct gdb_session *g, int kick_signal);
/* Before each KVM_RUN: the guest-debug state, and the watcher armed. */
void gdb_session_prepare(struct gdb_session *g);
/* The watcher kicked: input (or a connection) waits. */
int gdb_session_kicked(struct gdb_session *g);
/* KVM_EXIT_IO: true when it is one of our breakpoints (`out 0xCC, al` at a planted address),
 * which then stops for the debugger (*status as above). */
bool gdb_session_io_exit(struct gdb_session *g, const struct kvm_run *run, int *status);
/* KVM_EXIT_DEBUG: a breakpoint, a watchpoint or a step of ours stops for the debugger; the
 * guest's own #DB goes back to it. */
int gdb_session_debug_exit(struct gdb_session *g, const struct kvm_debug_exit_arch *arch);
/* PvDebugBreak: true when a debugger is attached (the guest stopped for it, *status as above). */
bool gdb_session_break(struct gdb_session *g, const char *why, int *status);
/* The run ends with status: the debugger is told ("W" packet). */
void gdb_session_exited(struct gdb_session *g, int status);

/* One step at a time the timer stays quiet (no PIT ticks delivered). */
static inline bool gdb_session_stepping(const struct gdb_session *g)
{
    return g && g->stepping;
}

#endif /* PV_GDB_KVM_H */
