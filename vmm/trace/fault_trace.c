/*
 * fault_trace.c - draining and decoding the guest's fault trace ring.
 *
 * The ring lives in guest RAM and the guest can write anything into it, so the header is
 * re-read and checked at every drain, every record is copied out before use, and a record with
 * impossible fields is counted as bad rather than trusted.
 */
#include "fault_trace.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "crash_report.h"
#include "mm_inspect.h"
#include "nt_layout.h"
#include "ntstatus.h"
#include "pt_walk.h"
#include "pte_format.h"

#define CR4_PSE_ASSUMED true /* the guest kernel turns on CR4.PSE before its first fault */

static void write_item(void *ctx, const struct trace_item *it);
static void flush_trace(void *ctx);

/* Queue room in items (about 140 bytes each, mapped as used): a loop of 64K faults is traced
 * without the vCPU ever waiting for the writer, whatever the format costs. */
#define TRACER_QUEUE_ITEMS 65536

void tracer_init(struct fault_tracer *t, struct guest_mem *mem, FILE *trace_file,
                 enum trace_format format, uint64_t tsc_base, uint32_t tsc_khz)
{
    memset(t, 0, sizeof(*t));
    t->mem = mem;
    t->tsc_base = tsc_base;
    t->tsc_khz = tsc_khz;
    t->host_tsc_base = tracer_host_tsc();
    if (trace_file) {
        /* One thread at a time writes the file (the writer, then the main thread after it
         * stopped): stdio's own locking is not needed. */
        __fsetlocking(trace_file, FSETLOCKING_BYCALLER);
        trace_begin(&t->writer, trace_file, format);
        t->writing = true;
        trace_process_name(&t->writer, 0, "System");
        trace_thread_name(&t->writer, 0, 1, "pagevisor (host I/O)");
        /* Without the queue's memory (or the cache's) records are written as they come. */
        t->insns = calloc(1, sizeof(*t->insns));
        t->queue_running = t->insns &&
            trace_queue_start(&t->queue, TRACER_QUEUE_ITEMS, write_item, flush_trace,
                              disasm_close, t) == 0;
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

/* Where the next item goes: a queue slot, or with no writer thread a local item that emit()
 * writes at once. */
static struct trace_item *next_item(struct fault_tracer *t, struct trace_item *local)
{
    return t->queue_running ? trace_queue_reserve(&t->queue) : local;
}

static void emit(struct fault_tracer *t, struct trace_item *it)
{
    if (t->queue_running)
        trace_queue_commit(&t->queue);
    else
        write_item(t, it);
}

/* The memory manager's counters now, queued after what came before (the guest is stopped:
 * at a drain or a process start or end). A sample that cannot be read (no kernel symbols, a
 * guest that changed its layout) turns sampling off for the run, said once on stderr. */
static uint64_t tsc_to_ns(const struct fault_tracer *t, uint64_t tsc);

static void sample_counters(struct fault_tracer *t)
{
    if (!t->writing || t->counters_failed || !t->syms || !t->last_cr3)
        return;
    struct mm_inspect_src src = { .mem = t->mem, .paging = true, .pse = CR4_PSE_ASSUMED,
                                  .cr3 = t->last_cr3, .kernel = &t->syms->kernel };
    struct mm_counters c;
    char why[256];
    if (mm_inspect_counters(&src, &c, why, sizeof(why)) != 0) {
        t->counters_failed = true;
        fprintf(stderr, "pagevisor: --trace: no counter tracks: %s\n", why);
        return;
    }
    t->counters_faults = t->faults;
    struct trace_item local, *it = next_item(t, &local);
    it->kind = TRACE_ITEM_COUNTERS;
    struct trace_counters *k = &it->u.counters;
    k->time_ns = tsc_to_ns(t, t->last_tsc);
    memcpy(k->lists, c.sys.list_total, sizeof(k->lists));
    k->available = c.sys.available;
    k->committed = c.sys.committed;
    k->commit_limit = c.sys.commit_limit;
    k->pagefile_in_use = c.sys.pagefile_in_use;
    k->nproc = c.nproc < TRACE_COUNTER_PROCESSES ? c.nproc : TRACE_COUNTER_PROCESSES;
    for (uint32_t p = 0; p < k->nproc; p++) {
        k->proc[p].pid = c.proc[p].pid;
        k->proc[p].ws = c.proc[p].ws;
        k->proc[p].faults = c.proc[p].faults;
    }
    emit(t, it);
}

uint64_t tracer_host_tsc(void)
{
    return __builtin_ia32_rdtsc();
}

void tracer_host_io(struct fault_tracer *t, enum trace_io_kind kind, uint32_t pages,
                    uint32_t where, int32_t ret, uint64_t tsc_start, uint64_t tsc_end)
{
    if (!t || !t->writing || !t->tsc_khz || tsc_start < t->host_tsc_base || tsc_end < tsc_start)
        return;
    /* The faults that led to it are queued already: the exit loop drains at every exit. */
    struct trace_item local, *it = next_item(t, &local);
    it->kind = TRACE_ITEM_HOST_IO;
    it->u.io = (struct trace_host_io){
        .time_ns = (uint64_t)((unsigned __int128)(tsc_start - t->host_tsc_base) * 1000000u /
                              t->tsc_khz),
        .duration_ns = (tsc_end - tsc_start) * 1000000u / t->tsc_khz,
        .kind = kind, .pages = pages, .where = where, .ret = ret,
    };
    emit(t, it);
}

void tracer_process_start(struct fault_tracer *t, uint32_t pid, uint32_t cr3, const char *name)
{
    process_table_start(&t->procs, pid, cr3, name);
    if (!t->writing)
        return;
    struct trace_item local, *it = next_item(t, &local);
    it->kind = TRACE_ITEM_PROCESS_START;
    it->u.process.pid = pid;
    it->u.process.cr3 = cr3;
    snprintf(it->u.process.name, sizeof(it->u.process.name), "%s", name);
    emit(t, it);
    if (cr3)
        t->last_cr3 = cr3;
    sample_counters(t);
    if (t->queue_running)
        trace_queue_publish(&t->queue);     /* the name reaches the file without waiting */
}

void tracer_process_exit(struct fault_tracer *t, uint32_t pid)
{
    process_table_exit(&t->procs, pid);
    if (!t->writing)
        return;
    sample_counters(t);   /* its last counters, before it leaves the list */
    struct trace_item local, *it = next_item(t, &local);
    it->kind = TRACE_ITEM_PROCESS_EXIT;
    it->u.process.pid = pid;
    emit(t, it);
}

const char *tracer_process_name(const struct fault_tracer *t, uint32_t pid)
{
    return process_table_name(&t->procs, pid);
}

const char *tracer_process_by_cr3(const struct fault_tracer *t, uint32_t cr3)
{
    return process_table_by_cr3(&t->procs, cr3);
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

/* The event of a queued record (on the writer thread): everything it needs was taken at the
 * drain, so the guest may have moved on since. */
static void to_event(struct fault_tracer *t, const struct trace_item *it, const char *backing,
                     struct fault_event *e)
{
    const struct pv_fault_record *r = &it->u.fault.r;
    memset(e, 0, offsetof(struct fault_event, insn));
    e->seq = r->seq;
    e->time_ns = tsc_to_ns(t, r->tsc_start);
    e->duration_ns = t->tsc_khz ? (r->tsc_end - r->tsc_start) * 1000000u / t->tsc_khz : 0;
    e->pid = r->pid;
    e->process = process_table_name(&t->writer_procs, r->pid);
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
    struct pv_regs regs = record_regs(r);
    e->insn_ok = it->code_len > 0 &&
        (t->insns ? disasm_cached(t->insns, r->cr3, it->u.fault.code, it->code_len, r->eip,
                                  &regs, &e->insn)
                  : disasm_one(it->u.fault.code, it->code_len, r->eip, &regs, &e->insn)) == 0;
    e->backing[0] = '\0';
    if (backing)
        snprintf(e->backing, sizeof(e->backing), "%s", backing);
    e->backing_offset = r->backing_offset;
    /* Only the text format names the function; the others are spared the lookup per record. */
    if (t->writer.format != TRACE_TEXT ||
        !symbolize(t->syms, e->process, r->eip, e->symbol, sizeof(e->symbol)))
        e->symbol[0] = '\0';
}

/* The writer's side: items in the order the vCPU side queued them. */
static void write_item(void *ctx, const struct trace_item *it)
{
    struct fault_tracer *t = ctx;
    struct fault_event e;
    switch (it->kind) {
    case TRACE_ITEM_PROCESS_START:
        process_table_start(&t->writer_procs, it->u.process.pid, it->u.process.cr3,
                            it->u.process.name);
        trace_process_name(&t->writer, it->u.process.pid, it->u.process.name);
        break;
    case TRACE_ITEM_PROCESS_EXIT:
        process_table_exit(&t->writer_procs, it->u.process.pid);
        break;
    case TRACE_ITEM_BACKING:
        snprintf(t->writer_backing, sizeof(t->writer_backing), "%s", it->u.backing);
        t->writer_backing_next = true;
        break;
    case TRACE_ITEM_FAULT:
        to_event(t, it, t->writer_backing_next ? t->writer_backing : NULL, &e);
        t->writer_backing_next = false;
        trace_record(&t->writer, &e);
        break;
    case TRACE_ITEM_COUNTERS:
        trace_counters(&t->writer, &it->u.counters);
        break;
    case TRACE_ITEM_HOST_IO:
        trace_host_io(&t->writer, &it->u.io);
        break;
    }
}

static void flush_trace(void *ctx)
{
    struct fault_tracer *t = ctx;
    fflush(t->writer.f);
}

/* The file an image_read or file_read page came from, named now (a volume file may be closed
 * and its handle reused by the time the writer gets to it). */
static void backing_name_now(struct fault_tracer *t, const struct pv_fault_record *r, char *out,
                             size_t len)
{
    uint32_t kind = r->backing & PV_BACKING_KIND_MASK, which = r->backing & ~PV_BACKING_KIND_MASK;
    out[0] = '\0';
    if (t->backing_name && kind != PV_BACKING_SYSTEM_DLL)
        t->backing_name(t->backing_ctx, r->backing, out, len);
    if (out[0] == '\0')
        snprintf(out, len, kind == PV_BACKING_SYSTEM_DLL ? "ntdll (in the kernel)" :
                 kind == PV_BACKING_IMAGE ? "image %u" : "volume file %u", which);
}

static bool has_backing(const struct pv_fault_record *r)
{
    return r->backing != 0 && (r->resolution == PV_FAULT_IMAGE_READ ||
                               r->resolution == PV_FAULT_FILE_READ);
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

/* it holds a valid record: add what only the vCPU side can take, now that the guest is stopped,
 * and queue it. The instruction's bytes are read through the faulting address space (for a
 * fetch fault its page has just been made present, for a data fault it was present all
 * along); a page-in's file is named first, as an item of its own. */
static void queue_record(struct fault_tracer *t, struct trace_item *it)
{
    if (has_backing(&it->u.fault.r)) {
        struct pv_fault_record r = it->u.fault.r;
        it->kind = TRACE_ITEM_BACKING;
        backing_name_now(t, &r, it->u.backing, sizeof(it->u.backing));
        emit(t, it);
        it = next_item(t, it);
        it->u.fault.r = r;
    }
    const struct pv_fault_record *r = &it->u.fault.r;
    it->kind = TRACE_ITEM_FAULT;
    it->code_len = (uint8_t)pt_read_virt(t->mem, true, r->cr3, CR4_PSE_ASSUMED, r->eip,
                                         it->u.fault.code, sizeof(it->u.fault.code));
    emit(t, it);
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
    struct trace_item local;
    for (; tail != head; tail++) {
        /* With a writer thread the record is copied once, straight into its queue slot. */
        struct trace_item *it = next_item(t, &local);
        struct pv_fault_record *r = &it->u.fault.r;
        memcpy(r, records + (size_t)(tail & (t->capacity - 1)) * sizeof(*r), sizeof(*r));
        if (!record_ok(r)) {
            t->bad_records++;
            continue;
        }
        if (r->resolution == PV_FAULT_RELOCATE) {
            /* A page moved for a large page: traced, but no fault. */
            t->relocations++;
            if (t->writing)
                queue_record(t, it);
            continue;
        }
        t->faults++;
        t->by_resolution[r->resolution]++;
        count_refault(t, r);
        /* A record with a status is a fault that failed (access violation, guard page,
         * stack overflow, in-page error, bug check): keep the last for the crash report.
         * Not a kernel-mode one that a fault-safe copy caught (the kernel writing an
         * exception onto a user stack that has no room): the process died of its own. */
        if (r->status != 0 && ((r->error_code & 4) != 0 || r->resolution == PV_FAULT_BUGCHECK)) {
            t->last_fatal = *r;
            t->have_last_fatal = true;
        }
        t->last_tsc = r->tsc_end;   /* converted when a sample needs it, not per record */
        t->last_cr3 = r->cr3;
        if (t->writing)
            queue_record(t, it);
    }
    memcpy(base + offsetof(struct pv_trace_ring, tail), &tail, sizeof(tail));
    if (t->faults - t->counters_faults >= TRACER_COUNTER_EVERY)
        sample_counters(t);
    if (t->queue_running)
        trace_queue_publish(&t->queue);
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

static void stop_writer(struct fault_tracer *t)
{
    if (t->queue_running) {
        trace_queue_stop(&t->queue);
        t->queue_running = false;
    }
}

void tracer_write_stats(struct fault_tracer *t, uint64_t time_ns, const struct trace_stat *stats,
                        size_t n)
{
    if (!t->writing)
        return;
    stop_writer(t);
    trace_stats(&t->writer, time_ns, stats, n);
}

int tracer_finish(struct fault_tracer *t)
{
    if (!t->writing)
        return 0;
    stop_writer(t);
    t->writing = false;
    return trace_end(&t->writer);
}

void tracer_free(struct fault_tracer *t)
{
    stop_writer(t);
    free(t->insns);
    t->insns = NULL;
    process_table_clear(&t->procs);
    process_table_clear(&t->writer_procs);
}
