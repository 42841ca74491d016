/* fs_report.c - the full-system benchmark's results: a table for people and a JSON document
 * for tools and the README, both saying where and how they were measured. */
#include <math.h>
#include <string.h>

#include "bench.h"
#include "fs.h"
#include "trace.h"

static const struct {
    const char *key, *label, *unit;
} row_info[FS_ROWS] = {
    [ROW_DZ_WARM] = { "demand_zero_warm", "demand zero, warm frames", "faults" },
    [ROW_DZ_COLD] = { "demand_zero_cold", "demand zero, cold frames", "faults" },
    [ROW_PAGEIN_SEQ] = { "pagein_sequential", "page-in, sequential", "pages" },
    [ROW_PAGEIN_RANDOM] = { "pagein_random", "page-in, random", "pages" },
};

static const struct {
    const char *key, *label;
} peer_info[FS_PEERS] = {
    [PEER_LINUX_DZ] = { "linux_demand_zero", "Linux demand zero (anonymous mmap, write)" },
    [PEER_UFFD_ZEROPAGE] = { "userfaultfd_zeropage",
                             "userfaultfd UFFDIO_ZEROPAGE (+ the write's COW fault)" },
    [PEER_UFFD_COPY] = { "userfaultfd_copy_zeros", "userfaultfd UFFDIO_COPY of a zeroed page" },
    [PEER_UFFD_FILE_SEQ] = { "userfaultfd_file_sequential",
                             "userfaultfd pread+UFFDIO_COPY from a file, sequential" },
    [PEER_UFFD_FILE_RANDOM] = { "userfaultfd_file_random",
                                "userfaultfd pread+UFFDIO_COPY from a file, random" },
};

static bool is_pagein(int r)
{
    return r == ROW_PAGEIN_SEQ || r == ROW_PAGEIN_RANDOM;
}

/* The faults the timed pass is about: demand zero for the demand-zero rows, every fault of
 * the pass for page-ins (hard, soft and whatever else it took). */
static double row_faults(int r, const struct fs_row_result *x)
{
    return is_pagein(r) ? x->d_faults : x->d_kinds[PV_FAULT_DEMAND_ZERO];
}

/* Exits to the VMM during the loop: from the trace when there is one (exactly the loop),
 * else pagevisor's count of the counting run minus its baseline. */
static double vmm_exits(const struct fs_row_result *x)
{
    if (x->have_kvm)
        return (double)x->kvm.to_user;
    return x->have_counts ? x->d_vm_exits : -1;
}

static double vmm_exits_per_fault(int r, const struct fs_row_result *x)
{
    double f = row_faults(r, x), e = vmm_exits(x);
    return e >= 0 && f > 0 ? e / f : -1;
}

static double kvm_exits_per_fault(int r, const struct fs_row_result *x)
{
    double f = row_faults(r, x);
    return x->have_kvm && f > 0 ? (double)kvm_exits_total(&x->kvm) / f : -1;
}

static double exits_per_cluster(const struct fs_row_result *x)
{
    double e = vmm_exits(x);
    return e >= 0 && x->have_counts && x->d_pf_read_calls > 0 ? e / x->d_pf_read_calls : -1;
}

/* Exits to the VMM per read call, less the write calls of the same interval (the modified
 * page writer's, which make room; they are not the page-ins' own). */
static double read_exits_per_cluster(const struct fs_row_result *x)
{
    double e = vmm_exits(x);
    return e >= 0 && x->have_counts && x->d_pf_read_calls > 0
               ? (e - x->d_pf_write_calls) / x->d_pf_read_calls : -1;
}

/* Every KVM exit of the loop but host interrupts, which come with time, not with faults. */
static double own_exits_per_fault(int r, const struct fs_row_result *x)
{
    double f = row_faults(r, x);
    if (!x->have_kvm || f <= 0)
        return -1;
    uint64_t n = kvm_exits_total(&x->kvm);
    for (unsigned i = 0; i < x->kvm.n; i++)
        if (!strcmp(x->kvm.r[i].reason, "interrupt") ||
            !strcmp(x->kvm.r[i].reason, "EXTERNAL_INTERRUPT"))
            n -= x->kvm.r[i].count;
    return (double)n / f;
}

static void faults_by_kind(char *buf, size_t len, const double *kinds)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned k = 1; k < PV_FAULT_RESOLUTION_MAX; k++)
        if (kinds[k] > 0 && used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%.0f %s", used ? ", " : "",
                                     kinds[k], fault_resolution_name(k));
    if (!used)
        snprintf(buf, len, "none");
}

static void kvm_by_reason(char *buf, size_t len, const struct kvm_exits *k)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < k->n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s %llu", used ? ", " : "",
                                 k->r[i].reason, (unsigned long long)k->r[i].count);
    if (!used)
        snprintf(buf, len, "none");
}

static void cell(FILE *out, double v, int width, const char *fmt)
{
    if (v < 0 || isnan(v))
        fprintf(out, " %*s", width, "n/a");
    else
        fprintf(out, fmt, width, v);
}

void fs_report_table(FILE *out, const struct fs_info *info, const struct fs_row_result *rows,
                     const struct fs_peer_result *peers)
{
    fprintf(out, "\nfull system: the pagevisor guest against peers on the same kernel, median of "
            "%u runs\n", info->runs);
    fprintf(out, "measured %s %s: %s, %s, KVM %s; TSC %.1f MHz\n", info->when, info->where,
            info->cpu, info->kernel, info->kvm, info->tsc_hz / 1e6);
    if (info->host[0])
        fprintf(out, "host: %s\n", info->host);
    fputc('\n', out);

    fprintf(out, "%-26s %6s %10s %8s %6s %10s %10s %9s %9s\n", "workload", "unit",
            "per second", "us each", "spread", "VMM exits", "KVM exits", "vs Linux", "vs uffd");
    fprintf(out, "%-26s %6s %10s %8s %6s %10s %10s %9s %9s\n", "", "", "", "", "", "per fault",
            "per fault", "dz", "");
    for (int r = 0; r < FS_ROWS; r++) {
        const struct fs_row_result *x = &rows[r];
        fprintf(out, "%-26s %6s", row_info[r].label, row_info[r].unit);
        if (x->unavailable) {
            fprintf(out, " unavailable\n");
            continue;
        }
        fprintf(out, " %10.0f %8.2f %5.0f%%", x->per_sec, 1e6 / x->per_sec, x->spread * 100);
        cell(out, vmm_exits_per_fault(r, x), 10, " %*.4f");
        cell(out, kvm_exits_per_fault(r, x), 10, " %*.4f");
        cell(out, x->vs_linux > 0 ? x->vs_linux : -1, 8, " %*.2fx");
        cell(out, x->vs_uffd > 0 ? x->vs_uffd : -1, 8, " %*.2fx");
        fputc('\n', out);
    }
    fprintf(out, "\n%-56s %10s %8s %6s %11s %11s\n", "peer (same kernel, same loop)",
            "per second", "us each", "spread", "faults/page", "uffd events");
    for (int p = 0; p < FS_PEERS; p++) {
        const struct fs_peer_result *x = &peers[p];
        fprintf(out, "%-56s", peer_info[p].label);
        if (x->unavailable) {
            fprintf(out, " unavailable\n");
            continue;
        }
        fprintf(out, " %10.0f %8.2f %5.0f%%", x->per_sec, 1e6 / x->per_sec, x->spread * 100);
        if (p == PEER_UFFD_FILE_SEQ || p == PEER_UFFD_FILE_RANDOM)
            fprintf(out, " %11s", "-");
        else
            fprintf(out, " %11.3f", x->faults_per_page);
        if (p == PEER_LINUX_DZ)
            fprintf(out, " %11s\n", "-");
        else
            fprintf(out, " %11.3f\n", x->events_per_page);
    }

    fprintf(out, "\nper second: faults (demand zero) or pages read back (page-in) of the guest's "
            "timed loop, by its TSC.\nKVM exits: every VM exit while the loop ran, the ones KVM "
            "handles itself too; VMM exits: those\n  of them that went out to pagevisor "
            "(kvm_exit, kvm_userspace_exit tracepoints, in a traced run).\n"
            "Per fault: per demand-zero fault, or per fault of any kind for page-ins.\n"
            "vs Linux dz, vs uffd: median of each round's ratio (the engines run side by side); "
            "uffd: the\n  faster zero-page server for demand zero, the file server of the same "
            "pattern for page-ins.\n");
    for (int r = 0; r < FS_ROWS; r++) {
        const struct fs_row_result *x = &rows[r];
        fprintf(out, "\n%s:", row_info[r].label);
        if (x->unavailable) {
            fprintf(out, " unavailable: %s\n", x->unavailable);
            continue;
        }
        double kinds[PV_FAULT_RESOLUTION_MAX];
        for (unsigned k = 0; k < PV_FAULT_RESOLUTION_MAX; k++)
            kinds[k] = x->kinds[k];
        char buf[512];
        faults_by_kind(buf, sizeof(buf), kinds);
        fprintf(out, " %u pages, --mem %s; the timed loop took %u faults (%s)\n", x->pages,
                x->mem, x->faults, buf);
        if (x->host_timed_per_sec > 0)
            fprintf(out, "  cross-check, whole runs timed from outside minus baseline runs "
                    "(also counts the check and the release): %.0f %s/s\n",
                    x->host_timed_per_sec, row_info[r].unit);
        else
            fprintf(out, "  cross-check from outside: runs minus baselines %.0f ms, within the "
                    "baselines' own spread of %.0f ms: no check\n", x->host_diff_seconds * 1e3,
                    x->host_noise_seconds * 1e3);
        if (!x->have_counts) {
            fprintf(out, "  counting runs failed: no exit counts\n");
            continue;
        }
        faults_by_kind(buf, sizeof(buf), x->d_kinds);
        fprintf(out, "  counted, minus baseline: %.0f faults (%s); %.0f exits to the VMM, %.0f "
                "hypercalls\n", x->d_faults, buf, x->d_vm_exits, x->d_hypercalls);
        if (x->d_faults != x->count_loop_faults)
            fprintf(out, "  note: the runs' fault counts differ by %+.0f from the loop's own "
                    "(%u): the counted traffic is off by what those cost\n",
                    x->d_faults - x->count_loop_faults, x->count_loop_faults);
        fprintf(out, "  pagefile: %.0f pages read in %.0f calls, %.0f pages written in %.0f calls",
                x->d_pf_pages_read, x->d_pf_read_calls, x->d_pf_pages_written,
                x->d_pf_write_calls);
        if (exits_per_cluster(x) >= 0)
            fprintf(out, "; %.3f VMM exits per cluster read", exits_per_cluster(x));
        fputc('\n', out);
        if (x->have_kvm) {
            kvm_by_reason(buf, sizeof(buf), &x->kvm);
            fprintf(out, "  KVM exits while the loop ran: %llu (%s), %llu of them to the VMM\n",
                    (unsigned long long)kvm_exits_total(&x->kvm), buf,
                    (unsigned long long)x->kvm.to_user);
        } else {
            fprintf(out, "  KVM exits: not counted: %s\n", x->kvm_why);
        }
    }

    fprintf(out, "\ntargets:\n");
    for (int r = 0; r < FS_ROWS; r++) {
        const struct fs_row_result *x = &rows[r];
        if (x->unavailable || !x->have_counts)
            continue;
        if (!is_pagein(r)) {
            double v = vmm_exits_per_fault(r, x), own = own_exits_per_fault(r, x);
            fprintf(out, "  %s: %.4f VMM exits per fault, target under %.2f: %s\n",
                    row_info[r].label, v, TARGET_DZ_EXITS_PER_FAULT,
                    v < TARGET_DZ_EXITS_PER_FAULT ? "met" : "NOT met");
            if (own >= 0)
                fprintf(out, "    counting the exits KVM handles itself too (host interrupts "
                        "aside): %.4f per fault, %s\n", own,
                        own < TARGET_DZ_EXITS_PER_FAULT ? "also under" : "over");
        } else {
            double c = exits_per_cluster(x), reads = read_exits_per_cluster(x);
            if (c < 0) {
                fprintf(out, "  %s: no pagefile reads during the timed pass\n",
                        row_info[r].label);
                continue;
            }
            fprintf(out, "  %s: %.3f VMM exits per cluster read, %.3f without the modified "
                    "writer's %.0f write calls; target %.0f: %s\n", row_info[r].label, c, reads,
                    x->d_pf_write_calls, TARGET_EXITS_PER_CLUSTER,
                    reads <= TARGET_EXITS_PER_CLUSTER * 1.05 ? "met (within 5%)" : "NOT met");
        }
    }
    for (int p = 0; p < FS_PEERS; p++)
        if (peers[p].unavailable)
            fprintf(out, "%s: unavailable: %s\n", peer_info[p].key, peers[p].unavailable);
    if (info->tsc_inconsistent)
        fprintf(out, "WARNING: a guest loop took longer by its TSC than its whole run from "
                "outside: the guest's TSC rate is not this machine's, its times are wrong\n");
    if (fabs(info->tsc_hz_end - info->tsc_hz_start) > 0.01 * info->tsc_hz)
        fprintf(out, "note: the TSC rate measured at the start (%.1f MHz) and end (%.1f MHz) "
                "differ by more than 1%%\n", info->tsc_hz_start / 1e6, info->tsc_hz_end / 1e6);
    fprintf(out, "took %.0f s\n", info->elapsed);
}

/* ------------------------------------------------------------------------------------ JSON */

static void json_num(FILE *out, double v, const char *fmt)
{
    if (v < 0 || isnan(v))
        fprintf(out, "null");
    else
        fprintf(out, fmt, v);
}

static void json_kinds(FILE *out, const double *kinds)
{
    fputc('{', out);
    int n = 0;
    for (unsigned k = 1; k < PV_FAULT_RESOLUTION_MAX; k++)
        if (kinds[k] > 0)
            fprintf(out, "%s\"%s\": %.0f", n++ ? ", " : "", fault_resolution_name(k), kinds[k]);
    fputc('}', out);
}

static void json_row(FILE *out, int r, const struct fs_row_result *x)
{
    fprintf(out, "    {\"workload\": \"%s\", \"unit\": \"%s\", ", row_info[r].key,
            row_info[r].unit);
    if (x->unavailable) {
        fprintf(out, "\"available\": false, \"reason\": ");
        bench_json_string(out, x->unavailable);
        fprintf(out, "}");
        return;
    }
    double kinds[PV_FAULT_RESOLUTION_MAX];
    for (unsigned k = 0; k < PV_FAULT_RESOLUTION_MAX; k++)
        kinds[k] = x->kinds[k];
    fprintf(out, "\"available\": true, \"pages\": %u, \"guest_mem\": \"%s\", "
            "\"per_sec\": %.0f, \"us_each\": %.3f, \"spread\": %.3f, \"loop_seconds\": %.6f, "
            "\"host_timed_per_sec\": ", x->pages, x->mem, x->per_sec, 1e6 / x->per_sec,
            x->spread, x->seconds);
    json_num(out, x->host_timed_per_sec > 0 ? x->host_timed_per_sec : -1, "%.0f");
    fprintf(out, ", \"host_diff_seconds\": %.4f, \"host_noise_seconds\": %.4f",
            x->host_diff_seconds, x->host_noise_seconds);
    fprintf(out, ",\n     \"loop_faults\": %u, \"loop_faults_by_kind\": ", x->faults);
    json_kinds(out, kinds);
    fprintf(out, ",\n     \"ratios\": {\"vs_linux_demand_zero\": ");
    json_num(out, x->vs_linux > 0 ? x->vs_linux : -1, "%.3f");
    fprintf(out, ", \"vs_userfaultfd\": ");
    json_num(out, x->vs_uffd > 0 ? x->vs_uffd : -1, "%.3f");
    fprintf(out, ", \"userfaultfd_peer\": \"%s\", \"statistic\": \"median of the rounds' "
            "ratios\"}", peer_info[x->uffd_peer].key);
    if (!x->have_counts) {
        fprintf(out, ", \"counted_minus_baseline\": null}");
        return;
    }
    fprintf(out, ",\n     \"counted_minus_baseline\": {\"faults\": %.0f, "
            "\"faults_by_kind\": ", x->d_faults);
    json_kinds(out, x->d_kinds);
    fprintf(out, ", \"vmm_exits\": %.0f, \"hypercalls\": %.0f, \"pagefile_pages_read\": %.0f, "
            "\"pagefile_read_calls\": %.0f, \"pagefile_pages_written\": %.0f, "
            "\"pagefile_write_calls\": %.0f", x->d_vm_exits, x->d_hypercalls,
            x->d_pf_pages_read, x->d_pf_read_calls, x->d_pf_pages_written, x->d_pf_write_calls);
    fprintf(out, "},\n     \"in_loop\": {");
    if (x->have_kvm) {
        fprintf(out, "\"kvm_exits\": %llu, \"vmm_exits\": %llu, \"kvm_exits_by_reason\": {",
                (unsigned long long)kvm_exits_total(&x->kvm), (unsigned long long)x->kvm.to_user);
        for (unsigned i = 0; i < x->kvm.n; i++) {
            fprintf(out, "%s", i ? ", " : "");
            bench_json_string(out, x->kvm.r[i].reason);
            fprintf(out, ": %llu", (unsigned long long)x->kvm.r[i].count);
        }
        fprintf(out, "}, \"kvm_exits_per_fault\": ");
        json_num(out, kvm_exits_per_fault(r, x), "%.5f");
    } else {
        fprintf(out, "\"kvm_exits\": null, \"reason\": ");
        bench_json_string(out, x->kvm_why);
    }
    fprintf(out, ", \"vmm_exits_per_fault\": ");
    json_num(out, vmm_exits_per_fault(r, x), "%.5f");
    fprintf(out, ", \"vmm_exits_per_cluster_read\": ");
    json_num(out, exits_per_cluster(x), "%.4f");
    fprintf(out, "}");
    if (!is_pagein(r)) {
        double v = vmm_exits_per_fault(r, x), own = own_exits_per_fault(r, x);
        fprintf(out, ",\n     \"target\": {\"vmm_exits_per_fault_under\": %.2f, \"met\": %s, "
                "\"kvm_exits_per_fault_without_interrupts\": ", TARGET_DZ_EXITS_PER_FAULT,
                v >= 0 && v < TARGET_DZ_EXITS_PER_FAULT ? "true" : "false");
        json_num(out, own, "%.5f");
        fprintf(out, "}");
    } else {
        double reads = read_exits_per_cluster(x);
        fprintf(out, ",\n     \"target\": {\"vmm_exits_per_cluster_read\": %.0f, "
                "\"measured_without_write_calls\": ", TARGET_EXITS_PER_CLUSTER);
        json_num(out, reads, "%.4f");
        fprintf(out, ", \"met\": %s}", reads < 0 ? "null" :
                reads <= TARGET_EXITS_PER_CLUSTER * 1.05 ? "true" : "false");
    }
    fprintf(out, "}");
}

void fs_report_json(FILE *out, const struct fs_info *info, const struct fs_row_result *rows,
                    const struct fs_peer_result *peers)
{
    fprintf(out, "{\n  \"benchmark\": \"full-system\",\n  \"when\": ");
    bench_json_string(out, info->when);
    fprintf(out, ",\n  \"where\": ");
    bench_json_string(out, info->where);
    fprintf(out, ",\n  \"host\": ");
    bench_json_string(out, info->host);
    fprintf(out, ",\n  \"machine\": {\"cpu\": ");
    bench_json_string(out, info->cpu);
    fprintf(out, ", \"kernel\": ");
    bench_json_string(out, info->kernel);
    fprintf(out, ", \"kvm\": ");
    bench_json_string(out, info->kvm);
    fprintf(out, "},\n  \"tsc_hz\": %.0f,\n  \"runs\": %u,\n  \"statistic\": \"median\",\n"
            "  \"seconds\": %.1f,\n  \"tsc_consistent\": %s,\n", info->tsc_hz, info->runs,
            info->elapsed, info->tsc_inconsistent ? "false" : "true");
    fprintf(out, "  \"timing\": \"guest: rdtsc in ring 3 around the touch loop (includes every "
            "exit taken meanwhile); peers: CLOCK_MONOTONIC_RAW around the same loop\",\n"
            "  \"exit_counts\": \"in_loop: kvm_exit and kvm_userspace_exit tracepoints "
            "between the guest's TSC readings around the loop, in a traced run; "
            "counted_minus_baseline: pagevisor's statistics of that run minus a run without "
            "the loop\",\n");
    if (info->kvm_why[0]) {
        fprintf(out, "  \"kvm_exits_unavailable\": ");
        bench_json_string(out, info->kvm_why);
        fprintf(out, ",\n");
    }
    fprintf(out, "  \"rows\": [\n");
    for (int r = 0; r < FS_ROWS; r++) {
        json_row(out, r, &rows[r]);
        fprintf(out, "%s\n", r + 1 < FS_ROWS ? "," : "");
    }
    fprintf(out, "  ],\n  \"peers\": [\n");
    for (int p = 0; p < FS_PEERS; p++) {
        const struct fs_peer_result *x = &peers[p];
        fprintf(out, "    {\"peer\": \"%s\", \"description\": ", peer_info[p].key);
        bench_json_string(out, peer_info[p].label);
        if (x->unavailable) {
            fprintf(out, ", \"available\": false, \"reason\": ");
            bench_json_string(out, x->unavailable);
        } else {
            fprintf(out, ", \"available\": true, \"pages\": %u, \"per_sec\": %.0f, "
                    "\"us_each\": %.3f, \"spread\": %.3f, \"faults_per_page\": %.3f, "
                    "\"userfaultfd_events_per_page\": %.3f", x->pages, x->per_sec,
                    1e6 / x->per_sec, x->spread, x->faults_per_page, x->events_per_page);
        }
        fprintf(out, "}%s\n", p + 1 < FS_PEERS ? "," : "");
    }
    fprintf(out, "  ]\n}\n");
}
