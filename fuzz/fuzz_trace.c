/*
 * fuzz_trace.c - libFuzzer target: the fault-trace ring's host end (vmm/trace/fault_trace.c)
 * draining a ring whose header and records the input writes into a fake guest RAM bounded by
 * guard pages, each record decoded through the guest's page tables (the walker, the
 * disassembler) and written by one of the three encoders (text, JSON Lines, Chrome trace
 * events); then the crash report and the bug-check context of an input-chosen process, and
 * the statistics that end a trace.
 *
 * Input: flags (format, tick rate), the ring's address and size, a head value written over
 * the ring header between two drains, a count of processes started and their PID, CR3 and
 * name, the PID and status for the reports; the rest is guest RAM from address 0.
 */
#include <stdio.h>

#include "fault_trace.h"
#include "fuzz_ram.h"

#define RAM        (128u << 10)
#define MAX_PROCS  8

static struct guest_mem mem;
static FILE *null_file;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ram_init(&mem, RAM);
    if (!null_file && !(null_file = fopen("/dev/null", "w")))
        return 0;
    struct fuzz_input in = { data, size };
    uint32_t flags = fuzz_take(&in, 1);
    uint32_t ring_gpa = fuzz_take(&in, 4), ring_bytes = fuzz_take(&in, 4);
    uint32_t second_head = fuzz_take(&in, 4);
    if (!(flags & 0x80)) {   /* mostly inside RAM, where the setup can succeed */
        ring_gpa %= RAM;
        ring_bytes %= RAM + 64;
    }
    unsigned nprocs = fuzz_take(&in, 1) % (MAX_PROCS + 1);
    struct { uint32_t pid, cr3; char name[PV_NAME_MAX]; } procs[MAX_PROCS];
    for (unsigned i = 0; i < nprocs; i++) {
        procs[i].pid = fuzz_take(&in, 1);
        procs[i].cr3 = fuzz_take(&in, 4);
        for (size_t c = 0; c < sizeof(procs[i].name); c++)
            procs[i].name[c] = (char)fuzz_take(&in, 1);
        procs[i].name[sizeof(procs[i].name) - 1] = '\0';
    }
    uint32_t report_pid = fuzz_take(&in, 1), status = fuzz_take(&in, 4);
    uint32_t cr3 = fuzz_take(&in, 4), cr2 = fuzz_take(&in, 4);
    fuzz_ram_fill(&mem, &in);

    struct fault_tracer t;
    tracer_init(&t, &mem, null_file, (enum trace_format)(flags % 3), 5000,
                (flags & 4) ? 2000000 : 0);
    for (unsigned i = 0; i < nprocs; i++)
        tracer_process_start(&t, procs[i].pid, procs[i].cr3, procs[i].name);
    if (tracer_setup(&t, ring_gpa, ring_bytes) == PV_OK) {
        tracer_drain(&t);
        /* The guest moves head again (anything, even backwards) and writes over tail. */
        uint8_t *hdr = gpa_ptr(&mem, ring_gpa, sizeof(struct pv_trace_ring));
        if (hdr) {
            memcpy(hdr + offsetof(struct pv_trace_ring, head), &second_head, 4);
            memcpy(hdr + offsetof(struct pv_trace_ring, tail), &status, 4);
        }
        if (nprocs && (flags & 8))
            tracer_process_exit(&t, procs[0].pid);
        tracer_drain(&t);
    }
    tracer_process_name(&t, report_pid);
    tracer_process_by_cr3(&t, cr3);
    tracer_crash_report(&t, null_file, report_pid, status);
    tracer_bugcheck_context(&t, null_file, cr3, cr2);
    /* The statistics that end a trace, as a run writes them (names as in the run's). */
    const struct trace_stat stats[] = {
        { "faults", (double)t.faults }, { "lost", (double)t.lost },
        { "exits per fault", t.faults ? (double)status / (double)t.faults : 0 },
    };
    trace_stats(&t.writer, tracer_now_ns(&t, cr2), stats, sizeof(stats) / sizeof(stats[0]));
    tracer_finish(&t);
    tracer_free(&t);
    return 0;
}
