/*
 * gdb_kvm.c - the gdb stub on the KVM vCPU. The guest holds still whenever the debugger has
 * it (a stop, or bytes arriving while it runs), and runs again on continue or step. Software
 * breakpoints are int3 bytes planted in guest RAM and hidden from the debugger's reads; a
 * #BP or #DB that is not ours is given back to the guest, whose own int3s and single steps
 * (exception dispatch, debug events) must keep working under a debugger.
 */
#include "gdb_kvm.h"

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fdio.h"
#include "mm_inspect.h"
#include "pt_walk.h"
#include "pv_abi.h"

#define X86_EFLAGS_TF 0x100u
#define DR6_BS        (1u << 14)

static int regs_of(struct gdb_session *g, struct kvm_regs *r, struct kvm_sregs *s)
{
    if (ioctl(g->vm->vcpu_fd, KVM_GET_REGS, r) < 0 || ioctl(g->vm->vcpu_fd, KVM_GET_SREGS, s) < 0) {
        warn("KVM_GET_REGS/KVM_GET_SREGS");
        return -1;
    }
    return 0;
}

static int op_get_regs(void *ctx, struct gdb_regs *out)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (regs_of(ctx, &r, &s) != 0)
        return -1;
    uint32_t core[GDB_CORE_REGS] = {
        [GDB_EAX] = (uint32_t)r.rax, [GDB_ECX] = (uint32_t)r.rcx, [GDB_EDX] = (uint32_t)r.rdx,
        [GDB_EBX] = (uint32_t)r.rbx, [GDB_ESP] = (uint32_t)r.rsp, [GDB_EBP] = (uint32_t)r.rbp,
        [GDB_ESI] = (uint32_t)r.rsi, [GDB_EDI] = (uint32_t)r.rdi, [GDB_EIP] = (uint32_t)r.rip,
        [GDB_EFLAGS] = (uint32_t)r.rflags, [GDB_CS] = s.cs.selector, [GDB_SS] = s.ss.selector,
        [GDB_DS] = s.ds.selector, [GDB_ES] = s.es.selector, [GDB_FS] = s.fs.selector,
        [GDB_GS] = s.gs.selector,
    };
    memcpy(out->core, core, sizeof(core));
    out->sys[GDB_CR0] = (uint32_t)s.cr0;
    out->sys[GDB_CR2] = (uint32_t)s.cr2;
    out->sys[GDB_CR3] = (uint32_t)s.cr3;
    out->sys[GDB_CR4] = (uint32_t)s.cr4;
    return 0;
}

/* The general registers, EIP and EFLAGS can be set; segment selectors and control registers
 * are the guest kernel's business (a changed one is refused, not half applied). */
static int op_set_regs(void *ctx, const struct gdb_regs *in)
{
    struct gdb_session *g = ctx;
    struct gdb_regs now;
    struct kvm_regs r;
    struct kvm_sregs s;
    if (op_get_regs(g, &now) != 0 || regs_of(g, &r, &s) != 0)
        return -1;
    for (int i = GDB_CS; i <= GDB_GS; i++)
        if (in->core[i] != now.core[i])
            return -1;
    if (memcmp(in->sys, now.sys, sizeof(in->sys)) != 0)
        return -1;
    r.rax = in->core[GDB_EAX]; r.rcx = in->core[GDB_ECX]; r.rdx = in->core[GDB_EDX];
    r.rbx = in->core[GDB_EBX]; r.rsp = in->core[GDB_ESP]; r.rbp = in->core[GDB_EBP];
    r.rsi = in->core[GDB_ESI]; r.rdi = in->core[GDB_EDI]; r.rip = in->core[GDB_EIP];
    r.rflags = in->core[GDB_EFLAGS] | 2u;   /* bit 1 is always set */
    if (ioctl(g->vm->vcpu_fd, KVM_SET_REGS, &r) < 0) {
        warn("KVM_SET_REGS");
        return -1;
    }
    return 0;
}

static int find_sw(const struct gdb_session *g, uint32_t va)
{
    for (unsigned i = 0; i < g->nsw; i++)
        if (g->sw[i].va == va)
            return (int)i;
    return -1;
}

/* Byte k of breakpoint i, when it lies in [va, va + len): its offset there. */
static bool bp_byte_in(const struct gdb_session *g, unsigned i, unsigned k, uint32_t va,
                       size_t len, size_t *at)
{
    *at = (uint32_t)(g->sw[i].va + k - va);
    return *at < len;
}

static size_t op_read_mem(void *ctx, uint32_t va, uint8_t *buf, size_t len)
{
    struct gdb_session *g = ctx;
    bool paging, pse;
    uint32_t cr3;
    size_t at;
    if (!vcpu_read_space(g->vm, &paging, &cr3, &pse))
        return 0;
    size_t got = pt_read_virt(&g->vm->mem, paging, cr3, pse, va, buf, len);
    for (unsigned i = 0; i < g->nsw; i++)      /* the debugger sees the code, not our bytes */
        for (unsigned k = 0; g->sw[i].planted && k < GDB_BP_BYTES; k++)
            if (bp_byte_in(g, i, k, va, got, &at))
                buf[at] = g->sw[i].saved[k];
    return got;
}

static const uint8_t bp_code[GDB_BP_BYTES] = { 0xE6, GDB_BP_PORT };

static size_t op_write_mem(void *ctx, uint32_t va, const uint8_t *buf, size_t len)
{
    struct gdb_session *g = ctx;
    bool paging, pse;
    uint32_t cr3;
    size_t at;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy || !vcpu_read_space(g->vm, &paging, &cr3, &pse)) {
        free(copy);
        return 0;
    }
    memcpy(copy, buf, len);
    for (unsigned i = 0; i < g->nsw; i++)      /* a breakpoint written over stays planted */
        for (unsigned k = 0; g->sw[i].planted && k < GDB_BP_BYTES; k++)
            if (bp_byte_in(g, i, k, va, len, &at)) {
                g->sw[i].saved[k] = copy[at];
                copy[at] = bp_code[k];
            }
    size_t done = pt_write_virt(&g->vm->mem, paging, cr3, pse, va, copy, len);
    free(copy);
    return done;
}

/* DR7 for the hardware slots in use: global enable, type and length per slot. */
static uint32_t dr7_of(const struct gdb_session *g)
{
    uint32_t dr7 = 0x600;   /* GE, and bit 10 (always 1) */
    for (int i = 0; i < GDB_HW_SLOTS; i++) {
        if (!g->hw[i].used)
            continue;
        uint32_t rw = g->hw[i].type == GDB_BP_HARDWARE ? 0 :
                      g->hw[i].type == GDB_WATCH_WRITE ? 1 : 3;
        uint32_t len = g->hw[i].type == GDB_BP_HARDWARE ? 0 :
                       g->hw[i].len == 1 ? 0 : g->hw[i].len == 2 ? 1 : 3;
        dr7 |= 2u << (i * 2) | rw << (16 + i * 4) | len << (18 + i * 4);
    }
    return dr7;
}

/* Plants breakpoint i's bytes: false while its page is not mapped (both bytes must be). */
static bool plant(struct gdb_session *g, unsigned i)
{
    bool paging, pse;
    uint32_t cr3;
    uint8_t *p[GDB_BP_BYTES];
    if (!vcpu_read_space(g->vm, &paging, &cr3, &pse))
        return false;
    for (unsigned k = 0; k < GDB_BP_BYTES; k++) {
        uint32_t va = g->sw[i].va + k;
        struct pt_walk w = { .gpa = va };
        if ((paging && pt_walk(&g->vm->mem, cr3, pse, va, &w) != PT_WALK_OK) ||
            !(p[k] = gpa_ptr(&g->vm->mem, w.gpa, 1)))
            return false;
        g->sw[i].gpa[k] = w.gpa;
    }
    for (unsigned k = 0; k < GDB_BP_BYTES; k++) {
        g->sw[i].saved[k] = *p[k];
        *p[k] = bp_code[k];
    }
    g->sw[i].planted = true;
    return true;
}

/* A breakpoint whose page is not mapped now (before the kernel turns paging on, code not yet
 * paged in) waits, and is planted before the first run of the vCPU that finds it mapped. */
static int sw_breakpoint(struct gdb_session *g, uint32_t va, bool insert)
{
    int i = find_sw(g, va);
    if (!insert) {
        if (i < 0)
            return 0;
        for (unsigned k = 0; g->sw[i].planted && k < GDB_BP_BYTES; k++) {
            uint8_t *p = gpa_ptr(&g->vm->mem, g->sw[i].gpa[k], 1);
            if (p && *p == bp_code[k])  /* unless the guest has put something else there */
                *p = g->sw[i].saved[k];
        }
        g->nwaiting -= !g->sw[i].planted;
        g->sw[i] = g->sw[--g->nsw];
        return 0;
    }
    if (i >= 0)
        return 0;
    for (unsigned j = 0; j < g->nsw; j++)
        if (va - g->sw[j].va < GDB_BP_BYTES || g->sw[j].va - va < GDB_BP_BYTES)
            return -1;   /* overlapping another one's bytes */
    if (g->nsw == GDB_SW_BREAKPOINTS)
        return -1;
    i = (int)g->nsw++;
    memset(&g->sw[i], 0, sizeof(g->sw[i]));
    g->sw[i].va = va;
    g->nwaiting += !plant(g, (unsigned)i);
    return 0;
}

static void plant_waiting(struct gdb_session *g)
{
    for (unsigned i = 0; i < g->nsw && g->nwaiting; i++)
        if (!g->sw[i].planted && plant(g, i))
            g->nwaiting--;
}

static int hw_breakpoint(struct gdb_session *g, enum gdb_bp_type type, uint32_t addr,
                         uint32_t kind, bool insert);

static int op_breakpoint(void *ctx, enum gdb_bp_type type, uint32_t addr, uint32_t kind,
                         bool insert)
{
    struct gdb_session *g = ctx;
    if (type == GDB_BP_SOFTWARE)
        return sw_breakpoint(g, addr, insert);
    return hw_breakpoint(g, type, addr, kind, insert);
}

static int hw_breakpoint(struct gdb_session *g, enum gdb_bp_type type, uint32_t addr,
                         uint32_t kind, bool insert)
{
    if (type == GDB_WATCH_READ)
        return 1;   /* x86 watches writes, or reads and writes, never reads alone */
    if (g->no_debug_registers) {
        if (insert && !g->told_no_debug_registers)
            fprintf(stderr, "pagevisor: gdb: no hardware breakpoints or watchpoints in the KVM "
                    "runner (its emulated SVM never fires the guest's debug registers); gdb "
                    "watches by single-stepping instead, and `break` works\n");
        g->told_no_debug_registers = true;
        return insert ? 1 : 0;
    }
    uint32_t len = type == GDB_BP_HARDWARE ? 1 : kind;
    if (type != GDB_BP_HARDWARE && ((len != 1 && len != 2 && len != 4) || addr % len))
        return -1;  /* a debug register covers 1, 2 or 4 aligned bytes */
    int slot = -1;
    for (int i = 0; i < GDB_HW_SLOTS; i++)
        if (g->hw[i].used && g->hw[i].type == type && g->hw[i].addr == addr &&
            g->hw[i].len == len)
            slot = i;
    if (!insert) {
        if (slot >= 0) {
            g->hw[slot].used = false;
            g->debug_dirty = true;
        }
        return 0;
    }
    if (slot >= 0)
        return 0;
    for (int i = 0; i < GDB_HW_SLOTS; i++)
        if (!g->hw[i].used) {
            g->hw[i].used = true;
            g->hw[i].type = type;
            g->hw[i].addr = addr;
            g->hw[i].len = len;
            g->debug_dirty = true;
            return 0;
        }
    return -1;      /* four debug registers, all taken */
}

static int op_monitor(void *ctx, const char *cmd, char *out, size_t outlen)
{
    struct gdb_session *g = ctx;
    char *text = NULL, why[256];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -1;
    int rc = 0;
    bool paging, pse;
    uint32_t cr3;
    while (*cmd == ' ')
        cmd++;
    if (strcmp(cmd, "help") == 0 || !*cmd) {
        fprintf(f, "pagevisor's monitor commands (the memory manager as WinDbg shows it, read "
                "from guest RAM):\n  !vm 1   !memusage   !process 0 0   !process 0 1\n"
                "  !pte VA   !pfn N   !vad [EPROCESS]   !ws [EPROCESS]   (numbers in hex)\n");
    } else if (!vcpu_read_space(g->vm, &paging, &cr3, &pse)) {
        fprintf(f, "pagevisor: cannot read the vCPU's control registers\n");
        rc = -1;
    } else {
        struct mm_inspect_src src = { .mem = &g->vm->mem, .paging = paging, .pse = pse,
                                      .cr3 = cr3, .kernel = g->kernel };
        if (mm_inspect_command(f, &src, cmd, why, sizeof(why)) != 0) {
            fprintf(f, "pagevisor: %s: %s\n", cmd, why);
            rc = -1;
        }
    }
    fclose(f);
    snprintf(out, outlen, "%s", text ? text : "");
    free(text);
    return rc;
}

static void to_debugger(void *ctx, const char *bytes, size_t len)
{
    struct gdb_session *g = ctx;
    gdb_conn_write(&g->conn, bytes, len);   /* a debugger gone is seen at the next read */
}

int gdb_session_open(struct gdb_session *g, const char *spec, struct vm *vm,
                     const struct symbol_file *kernel, char *why, size_t whylen)
{
    memset(g, 0, sizeof(*g));
    g->vm = vm;
    g->kernel = kernel;
    if (gdb_conn_open(&g->conn, spec, why, whylen) != 0)
        return -1;
    struct gdb_target t = { .ctx = g, .get_regs = op_get_regs, .set_regs = op_set_regs,
                            .read_mem = op_read_mem, .write_mem = op_write_mem,
                            .breakpoint = op_breakpoint, .monitor = op_monitor };
    gdb_stub_init(&g->stub, &t, to_debugger, g);
    g->allowed = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP |
                 KVM_GUESTDBG_SINGLESTEP;
#ifdef KVM_CAP_SET_GUEST_DEBUG2
    int flags = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
    if (flags > 0)
        g->allowed = (uint32_t)flags;
#endif
    return 0;
}

/* Every breakpoint out, no step: the guest runs on as if no debugger had come. */
static void forget_debugger(struct gdb_session *g)
{
    while (g->nsw)
        sw_breakpoint(g, g->sw[0].va, false);
    for (int i = 0; i < GDB_HW_SLOTS; i++)
        g->hw[i].used = false;
    g->stepping = false;
    g->attached = false;
    g->npending = 0;
    g->debug_dirty = true;
    g->stub.state = RSP_IDLE;
    g->stub.no_ack = false;
}

void gdb_session_close(struct gdb_session *g)
{
    forget_debugger(g);
    gdb_conn_close(&g->conn);
}

/* The guest holds still while the debugger talks; -1 when it is to run again. */
static int serve(struct gdb_session *g)
{
    double t0 = monotonic_seconds();
    int status = -1;
    g->attached = true;
    for (;;) {
        uint8_t buf[GDB_PACKET_MAX];
        size_t n = g->npending, used;
        if (n) {
            memcpy(buf, g->pending, n);
            g->npending = 0;
        } else {
            ssize_t got = gdb_conn_read(&g->conn, buf, sizeof(buf), -1);
            if (got < 0) {
                fprintf(stderr, "pagevisor: gdb: the debugger went away; the guest runs on\n");
                forget_debugger(g);
                break;
            }
            n = (size_t)got;
        }
        enum gdb_action a = gdb_stub_feed(&g->stub, buf, n, &used);
        memcpy(g->pending, buf + used, n - used);
        g->npending = n - used;
        if (a == GDB_NONE)
            continue;
        if (a == GDB_INTERRUPT) {
            gdb_stub_stopped(&g->stub, 2, NULL);   /* SIGINT: stopped (already) */
            continue;
        }
        g->stepping = a == GDB_STEP;
        g->debug_dirty = true;
        if (a == GDB_DETACH) {
            fprintf(stderr, "pagevisor: gdb: detached; the guest runs on\n");
            forget_debugger(g);
        } else if (a == GDB_KILL) {
            fprintf(stderr, "pagevisor: gdb: the debugger killed the guest\n");
            forget_debugger(g);
            status = PV_EXIT_KILLED;
        }
        break;
    }
    g->stopped_seconds += monotonic_seconds() - t0;
    return status;
}

static int stop(struct gdb_session *g, int signal, const char *reason)
{
    g->stepping = false;
    g->debug_dirty = true;
    gdb_stub_stopped(&g->stub, signal, reason);
    return serve(g);
}

int gdb_session_start(struct gdb_session *g, int kick_signal)
{
    char tcp[32];
    const char *where = g->where ? g->where : g->conn.where;
    unsigned port;
    if (gdb_spec_port(where, &port)) {
        snprintf(tcp, sizeof(tcp), "127.0.0.1:%u", port);
        where = tcp;
    }
    if (gdb_conn_start_watcher(&g->conn, kick_signal) != 0)
        warn("gdb: the connection's watcher thread");   /* Ctrl-C then waits for a stop */
    if (!g->wait) {
        fprintf(stderr, "pagevisor: gdb: listening on %s\n", where);
        return -1;
    }
    fprintf(stderr, "pagevisor: gdb: the guest waits at its entry for a debugger on %s\n", where);
    fflush(stderr);
    double t0 = monotonic_seconds();
    ssize_t got;
    while ((got = gdb_conn_read(&g->conn, g->pending, sizeof(g->pending), -1)) <= 0)
        ;   /* a connection that closed before saying anything: wait for the next */
    g->npending = (size_t)got;
    g->stopped_seconds += monotonic_seconds() - t0;
    return serve(g);
}

void gdb_session_prepare(struct gdb_session *g)
{
    if (g->nwaiting)
        plant_waiting(g);
    if (g->debug_dirty) {
        struct kvm_guest_debug d;
        memset(&d, 0, sizeof(d));
        bool hw = false;
        for (int i = 0; i < GDB_HW_SLOTS; i++)
            if (g->hw[i].used) {
                hw = true;
                d.arch.debugreg[i] = g->hw[i].addr;
            }
        if (hw || g->stepping) {
            d.control = KVM_GUESTDBG_ENABLE;
            if (hw) {
                d.control |= KVM_GUESTDBG_USE_HW_BP;
                d.arch.debugreg[7] = dr7_of(g);
            }
            if (g->stepping)
                d.control |= KVM_GUESTDBG_SINGLESTEP;
#ifdef KVM_GUESTDBG_BLOCKIRQ
            if (g->stepping && (g->allowed & KVM_GUESTDBG_BLOCKIRQ))
                d.control |= KVM_GUESTDBG_BLOCKIRQ;   /* a step, not a trip to an interrupt */
#endif
        }
        if (ioctl(g->vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &d) < 0)
            warn("KVM_SET_GUEST_DEBUG");
        g->debug_dirty = false;
    }
    if (!g->armed) {
        g->armed = true;
        gdb_conn_arm(&g->conn);
    }
}

int gdb_session_kicked(struct gdb_session *g)
{
    g->armed = false;
    if (!g->npending) {
        ssize_t got = gdb_conn_read(&g->conn, g->pending, sizeof(g->pending), 0);
        if (got < 0 && g->attached) {
            fprintf(stderr, "pagevisor: gdb: the debugger went away; the guest runs on\n");
            forget_debugger(g);
        }
        if (got <= 0)
            return -1;    /* a connection accepted, or nothing after all */
        g->npending = (size_t)got;
    }
    /* Bytes while the guest runs: Ctrl-C, or a debugger attaching. Either way it stops. */
    return serve(g);
}

/* The guest's own #DB (its single steps), caught because our debug registers or our step are
 * on: delivered to it, with its DR6, as if we were not here. (Its #BPs never reach us: the
 * breakpoints are no int3s, so KVM_GUESTDBG_USE_SW_BP stays off.) */
static void give_back_db(struct gdb_session *g, uint32_t dr6)
{
    struct kvm_vcpu_events ev;
    struct kvm_debugregs dr;
    if (ioctl(g->vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0) {
        warn("KVM_GET_VCPU_EVENTS");
        return;
    }
    if (ioctl(g->vm->vcpu_fd, KVM_GET_DEBUGREGS, &dr) == 0) {
        dr.dr6 = dr6;
        ioctl(g->vm->vcpu_fd, KVM_SET_DEBUGREGS, &dr);
    }
    ev.exception.injected = 1;
    ev.exception.nr = 1;
    ev.exception.has_error_code = 0;
    ev.exception.error_code = 0;
    ev.flags = 0;
    if (ioctl(g->vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
        warn("KVM_SET_VCPU_EVENTS");
}

bool gdb_session_io_exit(struct gdb_session *g, const struct kvm_run *run, int *status)
{
    if (run->io.port != GDB_BP_PORT || run->io.direction != KVM_EXIT_IO_OUT ||
        run->io.size != 1 || run->io.count != 1 || !g->nsw)
        return false;
    struct kvm_regs r;
    if (ioctl(g->vm->vcpu_fd, KVM_GET_REGS, &r) < 0)
        return false;
    /* KVM reports the OUT at the instruction, or (kernels before 5.x) just past it. */
    uint32_t eip = (uint32_t)r.rip;
    int i = find_sw(g, eip);
    if (i < 0)
        i = find_sw(g, eip - GDB_BP_BYTES);
    if (i < 0)
        return false;
    /* Finish the I/O without running (KVM_RUN with immediate_exit), then put EIP back at the
     * breakpoint: the guest stands where the debugger's breakpoint is, nothing executed. */
    g->vm->run->immediate_exit = 1;
    int rc = ioctl(g->vm->vcpu_fd, KVM_RUN, 0);
    g->vm->run->immediate_exit = 0;
    if ((rc < 0 && errno != EINTR) || ioctl(g->vm->vcpu_fd, KVM_GET_REGS, &r) < 0) {
        warn("KVM_RUN (completing a breakpoint's I/O exit)");
        return false;
    }
    r.rip = g->sw[i].va;
    if (ioctl(g->vm->vcpu_fd, KVM_SET_REGS, &r) < 0) {
        warn("KVM_SET_REGS");
        return false;
    }
    *status = stop(g, 5, "swbreak");
    return true;
}

int gdb_session_debug_exit(struct gdb_session *g, const struct kvm_debug_exit_arch *arch)
{
    if (arch->exception == 1) {
        for (int i = 0; i < GDB_HW_SLOTS; i++) {
            if (!(arch->dr6 & (1u << i)) || !g->hw[i].used)
                continue;
            if (g->hw[i].type == GDB_BP_HARDWARE)
                return stop(g, 5, "hwbreak");
            char reason[32];
            snprintf(reason, sizeof(reason), "%s:%x",
                     g->hw[i].type == GDB_WATCH_WRITE ? "watch" : "awatch", g->hw[i].addr);
            return stop(g, 5, reason);
        }
        if (g->stepping)
            return stop(g, 5, NULL);
        give_back_db(g, arch->dr6);
        return -1;
    }
    fprintf(stderr, "pagevisor: gdb: a debug exit for exception %u at %08llX\n",
            arch->exception, (unsigned long long)arch->pc);
    return stop(g, 5, NULL);
}

bool gdb_session_break(struct gdb_session *g, const char *why, int *status)
{
    if (!g || !g->attached)
        return false;
    fprintf(stderr, "pagevisor: gdb: stopped %s\n", why);
    *status = stop(g, 5, NULL);
    return true;
}

void gdb_session_exited(struct gdb_session *g, int status)
{
    if (g->attached)
        gdb_stub_exited(&g->stub, status);
    g->attached = false;
}
