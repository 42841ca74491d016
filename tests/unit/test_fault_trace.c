/* test_fault_trace.c - draining the guest's fault trace ring: records become decoded trace
 * lines, a hostile ring header or record is counted and never followed, and a killed process
 * gets its crash report. */
#include <stdlib.h>
#include <string.h>

#include "fault_trace.h"
#include "hypercall.h"
#include "nt_pte.h"
#include "unit.h"

#define RAM   (4u << 20)
#define PD    0x10000u
#define PT    0x11000u
#define CODE  0x20000u
#define RING  0x30000u
#define CAP   8u

static struct guest_mem mem;

static void put32(uint32_t gpa, uint32_t v) { memcpy(mem.base + gpa, &v, 4); }

static struct pv_trace_ring *ring(void) { return (void *)(mem.base + RING); }

static struct pv_fault_record *slot(uint32_t n)
{
    return (struct pv_fault_record *)(ring() + 1) + (n % CAP);
}

/* A process whose code page 0x00401000 holds "mov dword ptr [eax], 1" at 0x00401023. */
static void build_guest(void)
{
    memset(mem.base, 0, RAM);
    put32(PD + 1 * 4, PT | PTE_VALID | PTE_WRITE | PTE_OWNER);
    put32(PT + 1 * 4, CODE | PTE_VALID | PTE_OWNER);
    static const uint8_t code[] = { 0xC7, 0x00, 0x01, 0x00, 0x00, 0x00 };
    memcpy(mem.base + CODE + 0x23, code, sizeof(code));
    ring()->magic = PV_TRACE_RING_MAGIC;
    ring()->capacity = CAP;
}

static void write_record(uint32_t resolution, uint32_t cr2)
{
    uint32_t n = ring()->head;
    struct pv_fault_record *r = slot(n);
    memset(r, 0, sizeof(*r));
    r->seq = n + 1;
    r->pid = 7;
    r->eip = 0x00401023u;
    r->cr2 = cr2;
    r->error_code = 6;
    r->cr3 = PD;
    r->pde_before = r->pde_after = PT | 0x67;
    r->pte_before = MM_DEMAND_ZERO_WRITE_PTE;
    r->pte_after = 0x0001D067u;
    r->flags = PV_FAULT_PTE_KNOWN;
    r->resolution = resolution;
    r->regs[0] = cr2; /* eax: the store's base register */
    r->tsc_start = 1000 + n * 100;
    r->tsc_end = r->tsc_start + 10;
    ring()->head = n + 1;
}

static char *trace_text;
static size_t trace_len;
static FILE *trace_file;

static void start(struct fault_tracer *t, enum trace_format format)
{
    build_guest();
    trace_file = open_memstream(&trace_text, &trace_len);
    tracer_init(t, &mem, trace_file, format, 1000, 1000000 /* 1 GHz: 1 tick = 1 ns */);
    CU_ASSERT_EQUAL(tracer_setup(t, RING, sizeof(struct pv_trace_ring) +
                                 CAP * sizeof(struct pv_fault_record)), PV_OK);
    tracer_process_start(t, 7, PD, "dz-big");
}

static void stop(struct fault_tracer *t)
{
    CU_ASSERT_EQUAL(tracer_finish(t), 0);
    fclose(trace_file);
    tracer_free(t);
}

static void drains_and_decodes_records(void)
{
    struct fault_tracer t;
    start(&t, TRACE_TEXT);
    write_record(PV_FAULT_DEMAND_ZERO, 0x00500000u);
    write_record(PV_FAULT_DEMAND_ZERO, 0x00501000u);
    tracer_drain(&t);
    CU_ASSERT_EQUAL(t.faults, 2u);
    CU_ASSERT_EQUAL(t.by_resolution[PV_FAULT_DEMAND_ZERO], 2u);
    CU_ASSERT_EQUAL(ring()->tail, 2u);      /* the host consumed both */
    tracer_drain(&t);                       /* nothing new: nothing twice */
    CU_ASSERT_EQUAL(t.faults, 2u);
    stop(&t);
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "#1 0.000000s pid 7 (dz-big) eip 00401023 cr2 "
                                              "00500000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "#2 0.000000s pid 7 (dz-big)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "mov dword ptr [eax], 1    ; ea 00501000 = cr2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "PTE at C0001404"));
    free(trace_text);
}

/* A file-backed page-in (a mapped volume file) is its own resolution, counted and named. */
static void file_reads_are_counted_and_named(void)
{
    struct fault_tracer t;
    start(&t, TRACE_TEXT);
    write_record(PV_FAULT_FILE_READ, 0x00500000u);
    write_record(PV_FAULT_IMAGE_READ, 0x00501000u);
    write_record(PV_FAULT_FILE_READ, 0x00502000u);
    tracer_drain(&t);
    CU_ASSERT_EQUAL(t.faults, 3u);
    CU_ASSERT_EQUAL(t.by_resolution[PV_FAULT_FILE_READ], 2u);
    CU_ASSERT_EQUAL(t.by_resolution[PV_FAULT_IMAGE_READ], 1u);
    stop(&t);
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "cr2 00500000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, " file_read"));
    free(trace_text);
}

/* The same instruction faulting on pages it already faulted on counts (A A, A B A B), a
 * fault at another EIP or by another process starts over; the longest run is kept. */
static void counts_refaults_at_one_eip(void)
{
    struct fault_tracer t;
    start(&t, TRACE_TEXT);
    write_record(PV_FAULT_DEMAND_ZERO, 0x00500000u);
    write_record(PV_FAULT_DEMAND_ZERO, 0x00501000u);   /* a new page: rep movs, no refault */
    tracer_drain(&t);
    CU_ASSERT_EQUAL(t.refault_run_max, 0u);
    write_record(PV_FAULT_TRANSITION, 0x00500010u);    /* A again, same page */
    write_record(PV_FAULT_TRANSITION, 0x00501000u);    /* B again */
    write_record(PV_FAULT_TRANSITION, 0x00500000u);    /* A again */
    tracer_drain(&t);
    CU_ASSERT_EQUAL(t.refault_run_max, 3u);
    write_record(PV_FAULT_TRANSITION, 0x00500000u);
    slot(ring()->head - 1)->eip = 0x00401030u;         /* the instruction retired */
    write_record(PV_FAULT_TRANSITION, 0x00500000u);    /* back at 0x00401023: a new run */
    write_record(PV_FAULT_TRANSITION, 0x00500000u);
    tracer_drain(&t);
    CU_ASSERT_EQUAL(t.run_refaults, 1u);
    CU_ASSERT_EQUAL(t.refault_run_max, 3u);
    stop(&t);
    free(trace_text);
}

static void ring_wraps_around(void)
{
    struct fault_tracer t;
    start(&t, TRACE_JSONL);
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < CAP; i++)
            write_record(PV_FAULT_DEMAND_ZERO, 0x00500000u + i * 0x1000u);
        tracer_drain(&t);
    }
    CU_ASSERT_EQUAL(t.faults, 3u * CAP);
    CU_ASSERT_EQUAL(t.lost, 0u);
    stop(&t);
    unsigned lines = 0;
    for (char *p = trace_text; (p = strchr(p, '\n')); p++)
        lines++;
    CU_ASSERT_EQUAL(lines, 3u * CAP + 1);   /* the schema line first */
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "\"seq\":24,"));
    free(trace_text);
}

static void hostile_ring_is_not_followed(void)
{
    struct fault_tracer t;
    start(&t, TRACE_TEXT);
    write_record(PV_FAULT_DEMAND_ZERO, 0x00500000u);
    ring()->head = 1000;                    /* claims more records than the ring holds */
    tracer_drain(&t);
    CU_ASSERT_EQUAL(t.faults, 0u);
    CU_ASSERT_EQUAL(t.lost, 1000u);
    CU_ASSERT_EQUAL(ring()->tail, 1000u);
    write_record(99, 0x00500000u);          /* no such resolution */
    write_record(PV_FAULT_DEMAND_ZERO, 0x00500000u);
    slot(ring()->head - 1)->tsc_end = 0;    /* ends before it starts */
    tracer_drain(&t);
    CU_ASSERT_EQUAL(t.bad_records, 2u);
    CU_ASSERT_EQUAL(t.faults, 0u);
    stop(&t);
    free(trace_text);
}

/* The writer thread decodes later: what a record shows is what was true when the vCPU side
 * drained it, even if the guest rewrote the code and reused the PID meanwhile. */
static void records_keep_what_was_true_at_the_drain(void)
{
    struct fault_tracer t;
    start(&t, TRACE_TEXT);
    write_record(PV_FAULT_DEMAND_ZERO, 0x00500000u);
    tracer_drain(&t);
    static const uint8_t nops[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
    memcpy(mem.base + CODE + 0x23, nops, sizeof(nops));
    tracer_process_exit(&t, 7);
    tracer_process_start(&t, 7, PD, "other");
    write_record(PV_FAULT_DEMAND_ZERO, 0x00501000u);
    tracer_drain(&t);
    stop(&t);
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "#1 0.000000s pid 7 (dz-big)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "mov dword ptr [eax], 1    ; ea 00500000 = cr2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "#2 0.000000s pid 7 (other)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "00401023: 90                   nop"));
    free(trace_text);
}

/* Far more records than the writer's queue holds: the vCPU side waits for room, nothing is
 * lost or reordered, and the statistics come after the last record. */
static void every_record_arrives_in_order(void)
{
    struct fault_tracer t;
    start(&t, TRACE_JSONL);
    enum { ROUNDS = 9000 };                     /* 72,000 records through a 65,536-item queue */
    for (unsigned round = 0; round < ROUNDS; round++) {
        for (unsigned i = 0; i < CAP; i++)
            write_record(PV_FAULT_DEMAND_ZERO, 0x00500000u + i * 0x1000u);
        tracer_drain(&t);
    }
    struct trace_stat st = { "faults", (double)t.faults };
    tracer_write_stats(&t, 5, &st, 1);
    CU_ASSERT(t.queue.producer_waits > 0);      /* the vCPU side did wait for room */
    stop(&t);
    unsigned long next = 1, lines = 0;
    bool in_order = true;
    for (char *p = trace_text; p && *p; lines++) {
        char *eol = strchr(p, '\n');
        if (eol)
            *eol = '\0';                        /* one line at a time: no quadratic search */
        char *seq = strstr(p, "\"seq\":");
        if (seq)
            in_order &= strtoul(seq + 6, NULL, 10) == next++;
        if (eol)
            *eol = '\n';
        p = eol ? eol + 1 : NULL;
    }
    CU_ASSERT(in_order);
    CU_ASSERT_EQUAL(next - 1, (unsigned long)ROUNDS * CAP);
    CU_ASSERT_EQUAL(lines, (unsigned long)ROUNDS * CAP + 2);   /* schema, faults, statistics */
    char *last = strstr(trace_text, "{\"type\":\"statistics\",\"faults\":72000}\n");
    CU_ASSERT_PTR_NOT_NULL(last);
    CU_ASSERT(last && last[strlen(last) - 1] == '\n' && strchr(last, '\n')[1] == '\0');
    free(trace_text);
}

static void setup_refuses_bad_rings(void)
{
    struct fault_tracer t;
    build_guest();
    tracer_init(&t, &mem, NULL, TRACE_TEXT, 0, 0);
    uint32_t bytes = sizeof(struct pv_trace_ring) + CAP * sizeof(struct pv_fault_record);
    CU_ASSERT_EQUAL(tracer_setup(&t, RAM - 16, bytes), PV_EFAULT);
    CU_ASSERT_EQUAL(tracer_setup(&t, RING, 0xFFFFFFF0u), PV_EFAULT);
    CU_ASSERT_EQUAL(tracer_setup(&t, RING, bytes - 1), PV_EINVAL);      /* too small */
    ring()->capacity = 6;                                               /* not a power of 2 */
    CU_ASSERT_EQUAL(tracer_setup(&t, RING, bytes), PV_EINVAL);
    ring()->capacity = CAP;
    ring()->magic = 0;
    CU_ASSERT_EQUAL(tracer_setup(&t, RING, bytes), PV_EINVAL);
    CU_ASSERT_EQUAL(t.capacity, 0u);
    tracer_drain(&t);                                                   /* no ring: no-op */
    tracer_free(&t);
}

static void crash_report_names_the_fault(void)
{
    struct fault_tracer t;
    start(&t, TRACE_TEXT);
    write_record(PV_FAULT_ACCESS_VIOLATION, 0x10000000u);
    slot(0)->status = 0xC0000005u;
    slot(0)->pde_before = slot(0)->pde_after = 0;
    slot(0)->flags = 0;
    tracer_drain(&t);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    tracer_crash_report(&t, f, 7, 0xC0000094u);   /* ended by something else: no report */
    fflush(f);
    CU_ASSERT_EQUAL(len, 0u);
    tracer_crash_report(&t, f, 7, 0xC0000005u);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "access_violation at cr2 10000000, error code 6 "
                                        "(not-present write user)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "mov dword ptr [eax], 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "ea 10000000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "PDE at C0300100  contains 00000000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "PTE at C0040000  (no page table)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "no VAD covers 10000000"));
    free(text);
    stop(&t);
    free(trace_text);
}

/* A ring-3 read of kernel code under the kernel's large PDE (pv.largekernel=1): the chain
 * shows the PDE as the translation and no PTE, never the large page's data as a PTE. */
static void crash_report_of_a_large_page(void)
{
    struct fault_tracer t;
    start(&t, TRACE_TEXT);
    put32(PD + 0x200 * 4, 0x000001E3u);             /* 0x80000000-0x803FFFFF -> 0-4 MiB */
    put32(0x00100000u, 0xDEADBEEFu);                /* what a PTE read would wrongly see */
    write_record(PV_FAULT_ACCESS_VIOLATION, 0x80100000u);
    slot(0)->status = 0xC0000005u;
    slot(0)->error_code = 5;
    slot(0)->pde_before = slot(0)->pde_after = 0x000001E3u;
    slot(0)->pte_before = slot(0)->pte_after = 0;
    slot(0)->flags = 0;
    tracer_drain(&t);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    tracer_crash_report(&t, f, 7, 0xC0000005u);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "PDE at C0300800  contains 000001E3  pfn 0 GLDA--KWV "
                                        "LARGE PAGE\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "PTE at C0200400  (none: LARGE PAGE pfn 100)\n"));
    CU_ASSERT_PTR_NULL(strstr(text, "DEADBEEF"));
    free(text);
    stop(&t);
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_text, "PTE at C0200400  (none: LARGE PAGE pfn 100)"));
    free(trace_text);
}

static void hypercalls_reach_the_tracer(void)
{
    struct fault_tracer t;
    struct hc_state hc;
    build_guest();
    tracer_init(&t, &mem, NULL, TRACE_TEXT, 0, 0);
    hc_init(&hc, &mem, 1, -1, false, &t);
    struct pv_hc_trace_setup ts = { RING, sizeof(struct pv_trace_ring) +
                                    CAP * sizeof(struct pv_fault_record), 99 };
    memcpy(mem.base + 0x1000, &ts, sizeof(ts));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_TRACE_SETUP), 4, 0x1000, NULL, 0), HC_OK);
    memcpy(&ts, mem.base + 0x1000, sizeof(ts));
    CU_ASSERT_EQUAL(ts.ret, PV_OK);
    struct pv_hc_process_start ps = { .pid = 9, .cr3 = PD };
    strcpy(ps.name, "layout");
    memcpy(mem.base + 0x1000, &ps, sizeof(ps));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_START), 4, 0x1000, NULL, 0), HC_OK);
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 9), "layout");
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 0), "System");
    memset(ps.name, 'x', sizeof(ps.name));                 /* unterminated name: refused */
    ps.pid = 10;
    memcpy(mem.base + 0x1000, &ps, sizeof(ps));
    hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_START), 4, 0x1000, NULL, 0);
    memcpy(&ps, mem.base + 0x1000, sizeof(ps));
    CU_ASSERT_EQUAL(ps.ret, PV_EINVAL);
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 10), "?");
    tracer_free(&t);
}

static void process_exit(struct hc_state *hc, uint32_t pid, const char *name)
{
    struct pv_hc_process_exit pe = { .pid = pid };
    snprintf(pe.name, sizeof(pe.name), "%s", name);
    memcpy(mem.base + 0x1000, &pe, sizeof(pe));
    CU_ASSERT_EQUAL(hc_out(hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, 0x1000, NULL, 0), HC_OK);
}

static void process_start(struct hc_state *hc, uint32_t pid, const char *name)
{
    struct pv_hc_process_start ps = { .pid = pid, .cr3 = PD };
    snprintf(ps.name, sizeof(ps.name), "%s", name);
    memcpy(mem.base + 0x1000, &ps, sizeof(ps));
    CU_ASSERT_EQUAL(hc_out(hc, PV_HC_PORT(PV_HC_PROCESS_START), 4, 0x1000, NULL, 0), HC_OK);
}

/* A long run starts and ends a process per PID: the table of names stays bounded (the guest
 * has at most 32 processes alive), the live ones and the recently ended keep their names. */
static void process_table_is_bounded(void)
{
    struct fault_tracer t;
    struct hc_state hc;
    char name[PV_NAME_MAX];
    build_guest();
    tracer_init(&t, &mem, NULL, TRACE_TEXT, 0, 0);
    hc_init(&hc, &mem, 1, -1, false, &t);
    process_start(&hc, 1, "shell");                 /* alive all along */
    for (uint32_t pid = 2; pid < 20000; pid++) {
        snprintf(name, sizeof(name), "child-%u", pid);
        process_start(&hc, pid, name);
        if (pid % 40 != 0)                          /* every 40th lives a while */
            process_exit(&hc, pid, name);
        if (pid > 400 && (pid - 400) % 40 == 0) {
            snprintf(name, sizeof(name), "child-%u", pid - 400);
            process_exit(&hc, pid - 400, name);
        }
    }
    CU_ASSERT(t.procs.n <= 128);
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 1), "shell");
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 19999), "child-19999"); /* just ended */
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 19960), "child-19960"); /* alive */
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 19900), "child-19900"); /* ended lately */
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 3), "?");               /* ended long ago */
    /* A PID used again takes the new name. */
    process_start(&hc, 19999, "again");
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 19999), "again");
    /* A guest reporting far more starts than it can have processes: still bounded, the newest
     * are named. */
    for (uint32_t pid = 100000; pid < 101000; pid++) {
        snprintf(name, sizeof(name), "p%u", pid);
        process_start(&hc, pid, name);
    }
    CU_ASSERT(t.procs.n <= 128);
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 100999), "p100999");
    CU_ASSERT_STRING_EQUAL(tracer_process_name(&t, 100950), "p100950");
    tracer_free(&t);
}

static const struct unit_test tests[] = {
    UNIT_TEST(drains_and_decodes_records),
    UNIT_TEST(file_reads_are_counted_and_named),
    UNIT_TEST(counts_refaults_at_one_eip),
    UNIT_TEST(ring_wraps_around),
    UNIT_TEST(hostile_ring_is_not_followed),
    UNIT_TEST(records_keep_what_was_true_at_the_drain),
    UNIT_TEST(every_record_arrives_in_order),
    UNIT_TEST(setup_refuses_bad_rings),
    UNIT_TEST(crash_report_names_the_fault),
    UNIT_TEST(crash_report_of_a_large_page),
    UNIT_TEST(hypercalls_reach_the_tracer),
    UNIT_TEST(process_table_is_bounded),
};

int main(void)
{
    mem.size = RAM;
    mem.base = calloc(1, RAM);
    if (!mem.base)
        return 2;
    int rc = unit_run("fault_trace", tests, sizeof(tests) / sizeof(tests[0]));
    free(mem.base);
    disasm_close();
    return rc;
}
