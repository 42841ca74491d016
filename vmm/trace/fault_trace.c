/*
 * fault_trace.c - draining and decoding the guest's fault trace ring.
 *
 * The ring lives in guest RAM and the guest can write anything into it, so the header is
 * re-read and checked at every drain, every record is copied out before use, and a record with
 * impossible fields is counted as bad rather than trusted.
 */
#include "fault_trace.h"

#include <stdlib.h>
#include <string.h>

#include "crash_report.h"
#include "fdio.h"
#include "nt_layout.h"
#include "ntstatus.h"
#include "pt_walk.h"
#include "pte_format.h"

#define CR4_PSE_ASSUMED true /* the guest kernel turns on CR4.PSE before its first fault */

void tracer_init(struct fault_tracer *t, struct guest_mem *mem, FILE *trace_file,
                 enum trace_format format, uint64_t tsc_base, uint32_t tsc_khz)
{
    memset(t, 0, sizeof(*t));
    t->mem = mem;
    t->tsc_base = tsc_base;
    t->tsc_khz = tsc_khz;
    if (trace_file) {
        trace_begin(&t->writer, trace_file, format);
        t->writing = true;
        trace_process_name(&t->writer, 0, "System");
    }
}

int32_t tracer_setup(struct fault_tracer *t, uint32_t ring_gpa, uint32_t ring_bytes)
{
    const struct pv_trace_ring *hdr = gpa_ptr(t->mem, ring_gpa, sizeof(*hdr));
    if (!hdr || !gpa_range_ok(t->mem, ring_gpa, ring_bytes))
        return PV_EFAULT;
    struct pv_trace_ring h;
    memcpy(&h, hdr, sizeof(h));
    if (h.magic != PV_TRACE_RING_MAGIC || h.capacity == 0 || h.capacity > PV_TRACE_RING_MAX ||
        (h.capacity & (h.capacity - 1)) != 0 ||
        (uint64_t)h.capacity * sizeof(struct pv_fault_record) + sizeof(h) > ring_bytes)
        return PV_EINVAL;
    t->ring_gpa = ring_gpa;
    t->capacity = h.capacity;
    return PV_OK;
}

static size_t pid_bucket(uint32_t pid)
{
    return (pid * 2654435761u) >> 16 & (TRACER_PROC_BUCKETS - 1);
}

static struct process_info *find_process(const struct fault_tracer *t, uint32_t pid)
{
    for (uint16_t i = t->proc_bucket[pid_bucket(pid)]; i; i = t->procs[i - 1].next)
        if (t->procs[i - 1].pid == pid)
            return (struct process_info *)&t->procs[i - 1];
    return NULL;
}

static void unlink_process(struct fault_tracer *t, struct process_info *p)
{
    uint16_t self = (uint16_t)(p - t->procs + 1);
    for (uint16_t *link = &t->proc_bucket[pid_bucket(p->pid)]; *link;
         link = &t->procs[*link - 1].next)
        if (*link == self) {
            *link = p->next;
            break;
        }
}

/* A free entry; when there is none, the one that ended longest ago, and when no process has
 * ended (a guest that reports more starts than it can have processes), the oldest start. */
static struct process_info *take_entry(struct fault_tracer *t)
{
    if (t->nprocs < TRACER_PROCS)
        return &t->procs[t->nprocs++];
    struct process_info *victim = NULL;
    for (size_t i = 0; i < TRACER_PROCS; i++) {
        struct process_info *p = &t->procs[i];
        if (!victim || (p->ended && !victim->ended) ||
            (p->ended == victim->ended && p->stamp < victim->stamp))
            victim = p;
    }
    unlink_process(t, victim);
    return victim;
}

void tracer_process_start(struct fault_tracer *t, uint32_t pid, uint32_t cr3, const char *name)
{
    struct process_info *p = find_process(t, pid);
    if (!p) {
        p = take_entry(t);
        p->pid = pid;
        size_t b = pid_bucket(pid);
        p->next = t->proc_bucket[b];
        t->proc_bucket[b] = (uint16_t)(p - t->procs + 1);
    }
    p->cr3 = cr3;
    p->ended = false;
    p->stamp = ++t->proc_stamp;
    snprintf(p->name, sizeof(p->name), "%s", name);
    if (t->writing)
        trace_process_name(&t->writer, pid, name);
}

void tracer_process_exit(struct fault_tracer *t, uint32_t pid)
{
    struct process_info *p = find_process(t, pid);
    if (p && !p->ended) {
        p->ended = true;
        p->stamp = ++t->proc_stamp;
    }
}

const char *tracer_process_name(const struct fault_tracer *t, uint32_t pid)
{
    if (pid == 0)
        return "System";
    const struct process_info *p = find_process(t, pid);
    return p ? p->name : "?";
}

const char *tracer_process_by_cr3(const struct fault_tracer *t, uint32_t cr3)
{
    for (size_t i = t->nprocs; i-- > 0;)
        if (t->procs[i].cr3 == cr3)
            return t->procs[i].name;
    return NULL;
}

static uint64_t tsc_to_ns(const struct fault_tracer *t, uint64_t tsc)
{
    if (!t->tsc_khz || tsc < t->tsc_base)
        return 0;
    unsigned __int128 delta = tsc - t->tsc_base;
    return (uint64_t)(delta * 1000000u / t->tsc_khz);
}

static bool record_ok(const struct pv_fault_record *r)
{
    return r->resolution > 0 && r->resolution < PV_FAULT_RESOLUTION_MAX &&
           r->tsc_end >= r->tsc_start;
}

/* The registers a fault record carries. CR0 and CR4 are not recorded: the values here are what
 * the page-table walker needs to know (the guest takes faults with paging and PSE on); cs 0
 * tells the report not to print them. */
static struct pv_regs record_regs(const struct pv_fault_record *r)
{
    struct pv_regs regs = {
        .eax = r->regs[0], .ecx = r->regs[1], .edx = r->regs[2], .ebx = r->regs[3],
        .esp = r->regs[4], .ebp = r->regs[5], .esi = r->regs[6], .edi = r->regs[7],
        .eip = r->eip, .cr0 = 0x80010011u, .cr2 = r->cr2, .cr3 = r->cr3, .cr4 = 0x90u,
    };
    return regs;
}

static void to_event(const struct fault_tracer *t, const struct pv_fault_record *r,
                     struct fault_event *e)
{
    memset(e, 0, sizeof(*e));
    e->seq = r->seq;
    e->time_ns = tsc_to_ns(t, r->tsc_start);
    e->duration_ns = t->tsc_khz ? (r->tsc_end - r->tsc_start) * 1000000u / t->tsc_khz : 0;
    e->pid = r->pid;
    e->process = tracer_process_name(t, r->pid);
    e->eip = r->eip;
    e->cr2 = r->cr2;
    e->error_code = r->error_code;
    e->pde_before = r->pde_before;
    e->pde_after = r->pde_after;
    e->pte_before = r->pte_before;
    e->pte_after = r->pte_after;
    e->pte_known = r->flags & PV_FAULT_PTE_KNOWN;
    e->resolution = r->resolution;
    e->status = r->status;
    /* The instruction is read now, through the faulting address space: for a fetch fault its
     * page has just been made present, for a data fault it was present all along. */
    uint8_t code[16];
    size_t n = pt_read_virt(t->mem, true, r->cr3, CR4_PSE_ASSUMED, r->eip, code, sizeof(code));
    struct pv_regs regs = record_regs(r);
    e->insn_ok = n > 0 && disasm_one(code, n, r->eip, &regs, &e->insn) == 0;
    if (r->backing != 0 && (r->resolution == PV_FAULT_IMAGE_READ ||
                            r->resolution == PV_FAULT_FILE_READ)) {
        uint32_t kind = r->backing & PV_BACKING_KIND_MASK, which = r->backing & ~PV_BACKING_KIND_MASK;
        if (t->backing_name && kind != PV_BACKING_SYSTEM_DLL)
            t->backing_name(t->backing_ctx, r->backing, e->backing, sizeof(e->backing));
        if (e->backing[0] == '\0')
            snprintf(e->backing, sizeof(e->backing), kind == PV_BACKING_SYSTEM_DLL
                     ? "ntdll (in the kernel)" : kind == PV_BACKING_IMAGE ? "image %u"
                     : "volume file %u", which);
        e->backing_offset = r->backing_offset;
    }
    /* Only the text format names the function; the others are spared the lookup per record. */
    if (t->writer.format != TRACE_TEXT ||
        !symbolize(t->syms, e->process, r->eip, e->symbol, sizeof(e->symbol)))
        e->symbol[0] = '\0';
}

/* The refault run (see struct fault_tracer): a fault at another EIP or by another process
 * starts a new run; one on a page already in the run counts. */
static void count_refault(struct fault_tracer *t, const struct pv_fault_record *r)
{
    uint32_t page = r->cr2 & ~0xFFFu;
    if (t->run_used == 0 || r->pid != t->run_pid || r->eip != t->run_eip) {
        t->run_pid = r->pid;
        t->run_eip = r->eip;
        t->run_used = t->run_next = 0;
        t->run_refaults = 0;
    } else {
        for (uint32_t i = 0; i < t->run_used; i++)
            if (t->run_pages[i] == page) {
                if (++t->run_refaults > t->refault_run_max)
                    t->refault_run_max = t->run_refaults;
                return;
            }
    }
    t->run_pages[t->run_next] = page;
    t->run_next = (t->run_next + 1) % TRACER_RUN_PAGES;
    if (t->run_used < TRACER_RUN_PAGES)
        t->run_used++;
}

void tracer_drain(struct fault_tracer *t)
{
    if (!t->capacity)
        return;
    /* The vCPU is stopped while we drain (one vCPU, drained at exits), so plain copies of the
     * header are a consistent snapshot. */
    uint8_t *base = gpa_ptr(t->mem, t->ring_gpa, sizeof(struct pv_trace_ring));
    if (!base)
        return;
    struct pv_trace_ring h;
    memcpy(&h, base, sizeof(h));
    uint32_t head = h.head, tail = h.tail;
    t->guest_lost = h.lost;
    if (head - tail > t->capacity) {
        /* The guest overran its own ring or scribbled on the header: skip to its head. */
        t->lost += head - tail;
        memcpy(base + offsetof(struct pv_trace_ring, tail), &head, sizeof(head));
        return;
    }
    const uint8_t *records = base + sizeof(h);
    bool wrote = false;
    for (; tail != head; tail++) {
        struct pv_fault_record r;
        memcpy(&r, records + (size_t)(tail & (t->capacity - 1)) * sizeof(r), sizeof(r));
        if (!record_ok(&r)) {
            t->bad_records++;
            continue;
        }
        t->faults++;
        t->by_resolution[r.resolution]++;
        count_refault(t, &r);
        /* A record with a status is a fault that failed (access violation, guard page,
         * stack overflow, in-page error, bug check): keep the last for the crash report.
         * Not a kernel-mode one that a fault-safe copy caught (the kernel writing an
         * exception onto a user stack that has no room): the process died of its own. */
        if (r.status != 0 && ((r.error_code & 4) != 0 || r.resolution == PV_FAULT_BUGCHECK)) {
            t->last_fatal = r;
            t->have_last_fatal = true;
        }
        if (t->writing) {
            struct fault_event e;
            to_event(t, &r, &e);
            trace_record(&t->writer, &e);
            wrote = true;
        }
    }
    memcpy(base + offsetof(struct pv_trace_ring, tail), &tail, sizeof(tail));
    if (wrote) {
        double now = monotonic_seconds();
        if (now - t->flushed >= TRACE_FLUSH_SECONDS) {
            fflush(t->writer.f);
            t->flushed = now;
        }
    }
}

static void print_chain(FILE *f, const struct guest_mem *m, uint32_t cr3, uint32_t va)
{
    char d[128];
    struct pt_walk w;
    enum pt_walk_result r = pt_walk(m, cr3, CR4_PSE_ASSUMED, va, &w);
    if (r == PT_WALK_BAD_TABLE) {
        fprintf(f, "  page tables of cr3 %08X are outside guest RAM\n", cr3);
        return;
    }
    fprintf(f, "  PDE at %08X  contains %08X  %s\n", MI_PDE_VA(va), w.pde,
            pte_describe(w.pde, true, d, sizeof(d)));
    if (r == PT_WALK_PDE_NOT_PRESENT)
        fprintf(f, "  PTE at %08X  (no page table)\n", MI_PTE_VA(va));
    else if (w.large)
        fprintf(f, "  PTE at %08X  (none: %s)\n", MI_PTE_VA(va),
                pte_large_page_note(w.pde, va, d, sizeof(d)));
    else
        fprintf(f, "  PTE at %08X  contains %08X  %s\n", MI_PTE_VA(va), w.pte,
                pte_describe(w.pte, false, d, sizeof(d)));
}

static void print_vad(FILE *f, const struct pv_fault_record *r)
{
    if (r->flags & PV_FAULT_HAS_VAD) {
        char prot[40];
        fprintf(f, "  VAD %08X-%08X %s covers %08X\n", r->vad_start, r->vad_end,
                pte_protection_name(r->vad_protection, prot, sizeof(prot)), r->cr2);
    } else {
        fprintf(f, "  no VAD covers %08X\n", r->cr2);
    }
}

bool tracer_crash_report(const struct fault_tracer *t, FILE *f, uint32_t pid, uint32_t status)
{
    if (!t->have_last_fatal || t->last_fatal.pid != pid || t->last_fatal.status != status)
        return false;
    const struct pv_fault_record *r = &t->last_fatal;
    struct pv_regs regs = record_regs(r);
    char access[48];
    fault_access_words(r->error_code, r->cr2 == r->eip, access, sizeof(access));
    fprintf(f, "  fault #%u: %s at cr2 %08X, error code %x (%s)\n", r->seq,
            fault_resolution_name(r->resolution), r->cr2, r->error_code, access);
    crash_print_regs(f, &regs);
    crash_print_code_sym(f, t->mem, &regs, t->syms, tracer_process_name(t, pid));
    print_chain(f, t->mem, r->cr3, r->cr2);
    print_vad(f, r);
    return true;
}

void tracer_bugcheck_context(const struct fault_tracer *t, FILE *f, uint32_t cr3, uint32_t cr2)
{
    print_chain(f, t->mem, cr3, cr2);
    if (t->have_last_fatal && t->last_fatal.resolution == PV_FAULT_BUGCHECK &&
        t->last_fatal.cr2 == cr2)
        print_vad(f, &t->last_fatal);
}

uint64_t tracer_now_ns(const struct fault_tracer *t, uint64_t tsc)
{
    return tsc_to_ns(t, tsc);
}

int tracer_finish(struct fault_tracer *t)
{
    if (!t->writing)
        return 0;
    t->writing = false;
    return trace_end(&t->writer);
}

void tracer_free(struct fault_tracer *t)
{
    memset(t->proc_bucket, 0, sizeof(t->proc_bucket));
    t->nprocs = 0;
}
