/*
 * trace_cost.c - what a fault record costs the exit path: the host side of `--trace` driven
 * without a VM. A guest address space with a store instruction and a 512-record trace ring sits
 * in ordinary memory; the program fills the ring with demand-zero records the way the guest
 * kernel does and drains it with tracer_drain(), exactly as the exit loop does at every VM exit,
 * writing the trace to /dev/null in the format given. bench/trace-cost.sh runs it under
 * callgrind with collection toggled on tracer_drain (the vCPU's path) and on the writer's
 * functions, and divides by the records.
 *
 * Usage: trace-cost [--records N] [--format text|jsonl|chrome|none]
 */
#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fault_trace.h"
#include "nt_pte.h"

#define RAM   (4u << 20)
#define PD    0x10000u
#define PT    0x11000u
#define CODE  0x20000u
#define RING  0x30000u
#define CAP   512u

static struct guest_mem mem;

static void put32(uint32_t gpa, uint32_t v) { memcpy(mem.base + gpa, &v, 4); }
static struct pv_trace_ring *ring(void) { return (void *)(mem.base + RING); }

/* A process whose page 0x00401000 holds "mov dword ptr [eax], 1" at 0x00401023, as in the
 * demand-zero loop of bench-dz. */
static void build_guest(void)
{
    put32(PD + 1 * 4, PT | PTE_VALID | PTE_WRITE | PTE_OWNER);
    put32(PT + 1 * 4, CODE | PTE_VALID | PTE_OWNER);
    static const uint8_t code[] = { 0xC7, 0x00, 0x01, 0x00, 0x00, 0x00 };
    memcpy(mem.base + CODE + 0x23, code, sizeof(code));
    ring()->magic = PV_TRACE_RING_MAGIC;
    ring()->capacity = CAP;
}

static void write_record(uint32_t n)
{
    struct pv_fault_record *r = (struct pv_fault_record *)(ring() + 1) + (n % CAP);
    memset(r, 0, sizeof(*r));
    r->seq = n + 1;
    r->pid = 7;
    r->eip = 0x00401023u;
    r->cr2 = 0x00500000u + n * 0x1000u;
    r->error_code = 6;
    r->cr3 = PD;
    r->pde_before = r->pde_after = 0x00012067u;
    r->pte_before = MM_DEMAND_ZERO_WRITE_PTE;
    r->pte_after = 0x0001D067u + (n << 12);
    r->flags = PV_FAULT_PTE_KNOWN;
    r->resolution = PV_FAULT_DEMAND_ZERO;
    r->regs[0] = r->cr2;
    r->tsc_start = 1000 + (uint64_t)n * 100;
    r->tsc_end = r->tsc_start + 10;
    ring()->head = n + 1;
}

/* Kept out of line so that callgrind can toggle on it: one VM exit's worth of draining. */
__attribute__((noinline)) void exit_path_drain(struct fault_tracer *t)
{
    tracer_drain(t);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned long records = 65536;
    const char *format = "text";
    static const struct option longopts[] = {
        { "records", required_argument, NULL, 'n' },
        { "format", required_argument, NULL, 'f' },
        { 0, 0, 0, 0 },
    };
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        if (c == 'n')
            records = strtoul(optarg, NULL, 0);
        else if (c == 'f')
            format = optarg;
        else
            errx(2, "usage: trace-cost [--records N] [--format text|jsonl|chrome|none]");
    }
    enum trace_format fmt = TRACE_TEXT;
    bool writing = strcmp(format, "none") != 0;
    if (writing && trace_format_parse(format, &fmt) != 0)
        errx(2, "--format %s: not text, jsonl, chrome or none", format);
    if (records == 0 || records % CAP)
        errx(2, "--records must be a multiple of %u", CAP);

    mem.size = RAM;
    if (!(mem.base = calloc(1, RAM)))
        err(1, "calloc");
    build_guest();
    FILE *out = writing ? fopen("/dev/null", "w") : NULL;
    if (writing && !out)
        err(1, "/dev/null");
    struct fault_tracer t;
    tracer_init(&t, &mem, out, fmt, 1000, 1000000);
    if (tracer_setup(&t, RING, sizeof(struct pv_trace_ring) + CAP * sizeof(struct pv_fault_record)))
        errx(1, "tracer_setup refused the ring");
    tracer_process_start(&t, 7, PD, "bench-dz");

    double drain_s = 0, t0 = seconds();
    for (uint32_t n = 0; n < records;) {
        for (unsigned i = 0; i < CAP; i++)
            write_record(n++);
        double a = seconds();
        exit_path_drain(&t);
        drain_s += seconds() - a;
    }
    if (tracer_finish(&t) != 0)
        errx(1, "writing the trace failed");
    double all_s = seconds() - t0;
    if (t.faults != records)
        errx(1, "drained %llu records of %lu", (unsigned long long)t.faults, records);
    printf("trace-cost: format %s, %lu records: exit path %.0f ns/record, until written %.0f "
           "ns/record, vCPU waited for the writer %llu times\n", format, records,
           drain_s * 1e9 / records, all_s * 1e9 / records,
           (unsigned long long)t.queue.producer_waits);
    tracer_free(&t);
    if (out)
        fclose(out);
    free(mem.base);
    disasm_close();
    return 0;
}
