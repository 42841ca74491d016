/* run_stats.c - collecting and printing a run's counters. */
#include "run_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static void add(struct run_stats *rs, const char *name, double value)
{
    if (rs->n < RUN_STATS_MAX)
        rs->items[rs->n++] = (struct trace_stat){ name, value };
}

/* KiB of guest RAM the host has backed with memory (mincore over the mapping): what the run
 * cost the host in RAM, whatever --mem says. -1 when it cannot be told. */
static double guest_ram_resident_kib(const struct guest_mem *m)
{
    long page = sysconf(_SC_PAGESIZE);
    if (!m || !m->base || m->size == 0 || page <= 0)
        return -1;
    size_t pages = (size_t)((m->size + (uint64_t)page - 1) / (uint64_t)page);
    unsigned char *vec = malloc(pages);
    if (!vec)
        return -1;
    double kib = -1;
    if (mincore(m->base, m->size, vec) == 0) {
        size_t resident = 0;
        for (size_t i = 0; i < pages; i++)
            resident += vec[i] & 1;
        kib = (double)resident * (double)page / 1024;
    }
    free(vec);
    return kib;
}

void run_stats_collect(struct run_stats *rs, const struct hc_state *hc,
                       const struct vcpu_stats *st)
{
    memset(rs, 0, sizeof(*rs));
    const struct fault_tracer *t = hc->tracer;
    add(rs, "faults", (double)t->faults);
    for (unsigned i = 1; i < PV_FAULT_RESOLUTION_MAX; i++)
        if (i != PV_FAULT_RELOCATE)   /* no fault: counted below */
            add(rs, fault_resolution_name(i), (double)t->by_resolution[i]);
    add(rs, "pages_relocated", (double)t->relocations);
    add(rs, "refault_run_max", (double)t->refault_run_max);
    add(rs, "trace_records_lost", (double)(t->lost + t->guest_lost + t->bad_records));
    const struct pagefile *pf = hc->pagefile;
    if (pagefile_is_open(pf)) {
        add(rs, "pagefile_pages_read", (double)pf->stats.pages_read);
        add(rs, "pagefile_read_calls", (double)pf->stats.read_calls);
        add(rs, "pagefile_pages_written", (double)pf->stats.pages_written);
        add(rs, "pagefile_write_calls", (double)pf->stats.write_calls);
        add(rs, "pagefile_failed_calls", (double)pf->stats.failed_calls);
    }
    if (hc->images) {
        add(rs, "image_page_reads", (double)hc->images->pages);
        add(rs, "image_read_calls", (double)hc->images->reads);
    }
    if (volume_is_open(hc->volume)) {
        add(rs, "volume_files_opened", (double)hc->volume->stats.files_opened);
        add(rs, "volume_pages_read", (double)hc->volume->stats.pages_read);
        add(rs, "volume_pages_written", (double)hc->volume->stats.pages_written);
    }
    add(rs, "vm_exits", (double)st->exits);
    /* Every exit by its reason: "exit_io", "exit_hlt", ..., and "exit_signal" for a KVM_RUN a
     * signal interrupted (the timeout's alarm, the host's own). */
    static char names[VCPU_EXIT_REASONS][40];
    for (unsigned r = 0; r < VCPU_EXIT_REASONS; r++) {
        if (st->by_reason[r] == 0)
            continue;
        if (!names[r][0]) {
            int n = snprintf(names[r], sizeof(names[r]), "exit_%s", kvm_exit_name(r));
            for (int i = 5; i < n && names[r][i]; i++)
                names[r][i] = (char)(names[r][i] >= 'A' && names[r][i] <= 'Z'
                                     ? names[r][i] - 'A' + 'a' : names[r][i]);
        }
        add(rs, names[r], (double)st->by_reason[r]);
    }
    add(rs, "exit_signal", (double)st->signal_exits);
    add(rs, "hypercalls", (double)hc->calls);
    add(rs, "exits_per_fault", t->faults ? (double)st->exits / (double)t->faults : 0);
    add(rs, "guest_ram_kib", hc->mem ? (double)hc->mem->size / 1024 : 0);
    add(rs, "guest_ram_resident_kib", guest_ram_resident_kib(hc->mem));
    struct rusage ru;
    add(rs, "host_max_rss_kib", getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss : -1);
}

static double value_of(const struct run_stats *rs, const char *name)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->items[i].name, name) == 0)
            return rs->items[i].value;
    return 0;
}

void run_stats_print(FILE *f, const struct run_stats *rs)
{
    fprintf(f, "pagevisor: %.0f page faults:", value_of(rs, "faults"));
    int shown = 0;
    for (unsigned i = 1; i < PV_FAULT_RESOLUTION_MAX; i++) {
        double v = i == PV_FAULT_RELOCATE ? 0 : value_of(rs, fault_resolution_name(i));
        if (v > 0)
            fprintf(f, "%s %.0f %s", shown++ ? "," : "", v, fault_resolution_name(i));
    }
    fprintf(f, "%s\n", shown ? "" : " none");
    if (value_of(rs, "pages_relocated") > 0)
        fprintf(f, "pagevisor: %.0f pages relocated to clear runs for large pages\n",
                value_of(rs, "pages_relocated"));
    fprintf(f, "pagevisor: pagefile %.0f pages read in %.0f calls, %.0f pages written in %.0f "
            "calls; %.0f image pages read in %.0f calls\n", value_of(rs, "pagefile_pages_read"),
            value_of(rs, "pagefile_read_calls"), value_of(rs, "pagefile_pages_written"),
            value_of(rs, "pagefile_write_calls"), value_of(rs, "image_page_reads"),
            value_of(rs, "image_read_calls"));
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->items[i].name, "volume_files_opened") == 0)
            fprintf(f, "pagevisor: volume %.0f files opened, %.0f pages read, %.0f pages "
                    "written\n", value_of(rs, "volume_files_opened"),
                    value_of(rs, "volume_pages_read"), value_of(rs, "volume_pages_written"));
    fprintf(f, "pagevisor: %.0f VM exits, %.0f hypercalls, %.4f exits per fault", 
            value_of(rs, "vm_exits"), value_of(rs, "hypercalls"),
            value_of(rs, "exits_per_fault"));
    fprintf(f, "; longest run of refaults at one EIP %.0f", value_of(rs, "refault_run_max"));
    double lost = value_of(rs, "trace_records_lost");
    if (lost > 0)
        fprintf(f, "; %.0f trace records lost", lost);
    fprintf(f, "\npagevisor: VM exits by reason:");
    for (size_t i = 0; i < rs->n; i++)
        if (strncmp(rs->items[i].name, "exit_", 5) == 0 && strcmp(rs->items[i].name, "exit_signal"))
            fprintf(f, " %s %.0f,", rs->items[i].name + 5, rs->items[i].value);
    fprintf(f, " interrupted by a signal %.0f\n", value_of(rs, "exit_signal"));
    fprintf(f, "pagevisor: host memory: %.0f KiB of the guest's %.0f KiB RAM backed, peak RSS "
            "%.0f KiB\n", value_of(rs, "guest_ram_resident_kib"), value_of(rs, "guest_ram_kib"),
            value_of(rs, "host_max_rss_kib"));
}

static double ms_between(double from, double to)
{
    return from > 0 && to >= from ? (to - from) * 1000 : -1;
}

void run_times_phases(const struct run_times *t, struct run_phases *p)
{
    p->setup_ms = ms_between(t->start, t->first_run);
    p->teardown_ms = ms_between(t->guest_exit, t->teardown);
    if (t->first_image == 0) {
        p->boot_ms = ms_between(t->first_run, t->guest_exit);
        p->images_ms = p->exit_ms = -1;
        return;
    }
    double end = t->last_image >= t->first_image ? t->last_image : t->guest_exit;
    p->boot_ms = ms_between(t->first_run, t->first_image);
    p->images_ms = ms_between(t->first_image, end);
    p->exit_ms = ms_between(end, t->guest_exit);
}

void run_times_add(struct run_stats *rs, const struct run_times *t)
{
    struct run_phases p;
    run_times_phases(t, &p);
    add(rs, "time_setup_ms", p.setup_ms);
    add(rs, "time_boot_ms", p.boot_ms);
    add(rs, "time_images_ms", p.images_ms);
    add(rs, "time_exit_ms", p.exit_ms);
}

void run_times_print(FILE *f, const struct run_times *t)
{
    struct run_phases p;
    run_times_phases(t, &p);
    fprintf(f, "pagevisor: time: VMM set-up %.2f ms, guest boot %.2f ms", p.setup_ms, p.boot_ms);
    if (p.images_ms >= 0)
        fprintf(f, ", images %.2f ms, guest exit %.2f ms", p.images_ms, p.exit_ms);
    else
        fprintf(f, " (no image started)");
    fprintf(f, ", teardown %.2f ms\n", p.teardown_ms);
}
