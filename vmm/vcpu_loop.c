/* vcpu_loop.c - the KVM_RUN exit loop. */
#include "vcpu_loop.h"

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "console_input.h"
#include "crash_report.h"
#include "fdio.h"
#include "gdb_kvm.h"
#include "pit.h"

static volatile sig_atomic_t timed_out;
static struct kvm_run *volatile running;

static volatile sig_atomic_t snapshot_wanted;
static volatile sig_atomic_t kicked;

/* The debugger's connection has something: leave KVM_RUN (gdb_conn.h's watcher). */
static void on_kick(int sig)
{
    (void)sig;
    kicked = 1;
    if (running)
        running->immediate_exit = 1;
}

static void on_snapshot_signal(int sig)
{
    (void)sig;
    snapshot_wanted = 1;
    if (running)
        running->immediate_exit = 1;
}

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    if (running)
        running->immediate_exit = 1; /* in case the signal lands just before KVM_RUN */
}

static void arm_timeout(double seconds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;   /* no SA_RESTART: KVM_RUN must return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    if (seconds < 0.01)
        seconds = 0.01;
    struct itimerval it = { .it_value = { .tv_sec = (time_t)seconds,
                                          .tv_usec = (suseconds_t)((seconds - (time_t)seconds) *
                                                                   1e6) } };
    setitimer(ITIMER_REAL, &it, NULL);
}

/* Seconds the guest has waited for console input (not counted by --timeout). */
static double input_waited(const struct hc_state *hc)
{
    return hc->input ? input_wait_total(&hc->input->wait, monotonic_seconds()) : 0;
}

/* ... and held still for a debugger (also not counted). */
static double debugger_held(const struct gdb_session *gdb)
{
    return gdb ? gdb->stopped_seconds : 0;
}

/* The alarm went off: true when time spent waiting for console input leaves the guest time
 * still, after arming the alarm again for what is left. */
static bool timeout_extended(const struct hc_state *hc, const struct gdb_session *gdb,
                             double start, unsigned timeout_sec)
{
    double used = monotonic_seconds() - start - input_waited(hc) - debugger_held(gdb);
    if (used >= (double)timeout_sec)
        return false;
    timed_out = 0;
    arm_timeout((double)timeout_sec - used);
    return true;
}

static void disarm_timeout(void)
{
    struct itimerval it = { 0 };
    setitimer(ITIMER_REAL, &it, NULL);
    running = NULL;
}

const char *kvm_exit_name(unsigned reason)
{
    static const char *const names[] = {
        [KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
        [KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL", [KVM_EXIT_DEBUG] = "DEBUG",
        [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
        [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
        [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
        [KVM_EXIT_SET_TPR] = "SET_TPR", [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
        [KVM_EXIT_NMI] = "NMI", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
        [KVM_EXIT_OSI] = "OSI", [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
    };
    if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
        return names[reason];
    return "unnamed";
}

static void get_regs(struct vm *vm, struct pv_regs *r)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    memset(r, 0, sizeof(*r));
    if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0 ||
        ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
        warn("KVM_GET_REGS/KVM_GET_SREGS");
        return;
    }
    r->eax = (uint32_t)regs.rax; r->ebx = (uint32_t)regs.rbx;
    r->ecx = (uint32_t)regs.rcx; r->edx = (uint32_t)regs.rdx;
    r->esi = (uint32_t)regs.rsi; r->edi = (uint32_t)regs.rdi;
    r->ebp = (uint32_t)regs.rbp; r->esp = (uint32_t)regs.rsp;
    r->eip = (uint32_t)regs.rip; r->eflags = (uint32_t)regs.rflags;
    r->cs = sregs.cs.selector; r->ss = sregs.ss.selector;
    r->cr0 = (uint32_t)sregs.cr0; r->cr2 = (uint32_t)sregs.cr2;
    r->cr3 = (uint32_t)sregs.cr3; r->cr4 = (uint32_t)sregs.cr4;
}

/* After a shutdown, AMD SVM re-initializes the vCPU (the VMCB is undefined after a SHUTDOWN
 * intercept), so what we read back is the reset state, not the state at the fault. */
static bool is_reset_state(const struct pv_regs *r)
{
    return r->cs == 0xF000 && r->eip == 0xFFF0 && !(r->cr0 & 1);
}

/* kvmtool style: what happened, the registers, the code around EIP. */
static void dump_vcpu(struct vm *vm, const struct hc_state *hc, const char *what)
{
    struct pv_regs r;
    get_regs(vm, &r);
    fprintf(stderr, "pagevisor: %s\n", what);
    if (is_reset_state(&r)) {
        fprintf(stderr, "  the registers at the fault are gone: this KVM re-initialized the "
                "vCPU on shutdown (AMD SVM does; Intel VMX keeps them)\n");
        fflush(stderr);
        return;
    }
    const struct symbolizer *syms = hc->tracer ? hc->tracer->syms : NULL;
    const char *process = hc->tracer ? tracer_process_by_cr3(hc->tracer, r.cr3) : NULL;
    crash_print_regs(stderr, &r);
    crash_print_code_sym(stderr, &vm->mem, &r, syms, process);
    fflush(stderr);
}

static void io_exit(struct vm *vm, struct hc_state *hc, struct pit *pit, struct vcpu_stats *st)
{
    struct kvm_run *run = vm->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    unsigned size = run->io.size;
    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        uint32_t value = 0;
        if (run->io.direction == KVM_EXIT_IO_IN) {
            if (!hc_in(run->io.port, size, &value)) {
                value = 0xFFFFFFFFu; /* an unclaimed ISA port reads as all ones */
                st->unclaimed_io++;
            }
            memcpy(data, &value, size);
            continue;
        }
        memcpy(&value, data, size);
        if (size == 1 && pit_out(pit, run->io.port, (uint8_t)value))
            continue;
        char why[200];
        switch (hc_out(hc, run->io.port, size, value, why, sizeof(why))) {
        case HC_OK:
            break;
        case HC_BAD_PORT:
            st->unclaimed_io++; /* writes to ports with no device are dropped, as on a PC */
            break;
        case HC_REJECTED:
            if (hc->bad_calls <= 10)
                fprintf(stderr, "pagevisor: refused a guest hypercall: %s%s\n", why,
                        hc->bad_calls == 10 ? " (further refusals not shown)" : "");
            break;
        }
    }
}

/* Handles one exit; returns -1 to keep running or the run's exit status. */
static int handle_exit(struct vm *vm, struct hc_state *hc, struct pit *pit,
                       struct vcpu_stats *st, struct gdb_session *gdb)
{
    struct kvm_run *run = vm->run;
    char what[160];
    switch (run->exit_reason) {
    case KVM_EXIT_IO: {
        int status;
        st->io_exits++;
        if (gdb && gdb_session_io_exit(gdb, run, &status))
            return status;
        io_exit(vm, hc, pit, st);
        return hc->finished ? hc->exit_status : -1;
    }
    case KVM_EXIT_SHUTDOWN:
        dump_vcpu(vm, hc, "guest triple fault: the vCPU shut down (KVM_EXIT_SHUTDOWN)");
        return PV_EXIT_TRIPLE_FAULT;
    case KVM_EXIT_HLT:
        dump_vcpu(vm, hc, "guest halted with interrupts off and no shutdown call (KVM_EXIT_HLT)");
        return PV_EXIT_VMM_ERROR;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(what, sizeof(what), "KVM could not enter the guest (KVM_EXIT_FAIL_ENTRY, "
                 "hardware reason 0x%llx)",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        dump_vcpu(vm, hc, what);
        return PV_EXIT_VMM_ERROR;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(what, sizeof(what), "KVM internal error (KVM_EXIT_INTERNAL_ERROR, suberror %u)",
                 run->internal.suberror);
        dump_vcpu(vm, hc, what);
        return PV_EXIT_VMM_ERROR;
    case KVM_EXIT_MMIO:
        snprintf(what, sizeof(what), "guest %s physical address 0x%llx outside its RAM "
                 "(KVM_EXIT_MMIO)", run->mmio.is_write ? "wrote" : "read",
                 (unsigned long long)run->mmio.phys_addr);
        dump_vcpu(vm, hc, what);
        return PV_EXIT_VMM_ERROR;
    case KVM_EXIT_INTR:
        return -1;
    case KVM_EXIT_DEBUG:
        if (gdb)
            return gdb_session_debug_exit(gdb, &run->debug.arch);
        __attribute__((fallthrough));   /* nobody asked for debug exits */
    default:
        snprintf(what, sizeof(what), "unexpected KVM exit %u (KVM_EXIT_%s)", run->exit_reason,
                 kvm_exit_name(run->exit_reason));
        dump_vcpu(vm, hc, what);
        return PV_EXIT_VMM_ERROR;
    }
}

int vcpu_run(struct vm *vm, struct hc_state *hc, unsigned timeout_sec, struct vcpu_stats *st,
             struct gdb_session *gdb)
{
    memset(st, 0, sizeof(*st));
    timed_out = 0;
    running = vm->run;
    struct pit pit;
    pit_init(&pit, vm->vm_fd, vm->run);
    double start = monotonic_seconds();
    if (timeout_sec)
        arm_timeout(timeout_sec);
    int status = -1;
    if (hc->snapshot && hc->snapshot_on_signal) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_snapshot_signal;   /* no SA_RESTART: KVM_RUN returns EINTR */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
    }
    kicked = 0;
    if (gdb) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_kick;   /* no SA_RESTART: KVM_RUN returns EINTR */
        sigemptyset(&sa.sa_mask);
        sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
        status = gdb_session_start(gdb, VCPU_KICK_SIGNAL);
    }
    st->first_run_time = monotonic_seconds();
    while (status < 0) {
        if (snapshot_wanted && hc->snapshot && hc->snapshot_on_signal) {
            snapshot_wanted = 0;
            hc->snapshot(hc->snapshot_ctx, "on SIGUSR1");
        }
        if (gdb && (kicked || gdb->npending)) {
            kicked = 0;
            if ((status = gdb_session_kicked(gdb)) >= 0)
                break;
        }
        if (gdb)
            gdb_session_prepare(gdb);
        if (!gdb_session_stepping(gdb))
            pit_deliver(&pit);  /* a step is one instruction, not a trip to the timer's handler */
        int rc = ioctl(vm->vcpu_fd, KVM_RUN, 0);
        vm->run->immediate_exit = 0;
        if (rc < 0 && errno != EINTR) {
            warn("KVM_RUN");
            status = PV_EXIT_VMM_ERROR;
            break;
        }
        if (timed_out && !timeout_extended(hc, gdb, start, timeout_sec)) {
            char what[160];
            double waited = input_waited(hc);
            int n = snprintf(what, sizeof(what), "guest timed out after %u s (--timeout)",
                             timeout_sec);
            if (waited >= 0.1 && n > 0 && (size_t)n < sizeof(what))
                snprintf(what + n, sizeof(what) - (size_t)n, ", not counting %.1f s spent "
                         "waiting for console input", waited);
            dump_vcpu(vm, hc, what);
            status = PV_EXIT_TIMEOUT;
            break;
        }
        /* Faults the guest resolved alone wait in its trace ring; every exit is a chance to
         * take them, before the exit itself (a process end, say) changes the picture. */
        tracer_drain(hc->tracer);
        st->exits++;
        if (rc < 0) {
            st->signal_exits++;
            continue;
        }
        st->by_reason[vm->run->exit_reason < VCPU_EXIT_REASONS ? vm->run->exit_reason
                                                               : VCPU_EXIT_REASONS - 1]++;
        status = handle_exit(vm, hc, &pit, st, gdb);
    }
    if (gdb)
        gdb_session_exited(gdb, status);
    disarm_timeout();
    st->clock_ticks = pit.ticks;
    pit_free(&pit);
    return status;
}
