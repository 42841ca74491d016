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
    [ROW_DZ_COLD_THP] = { "demand_zero_cold_thp", "demand zero, cold frames, --thp always",
                          "faults" },
    [ROW_PAGEIN_SEQ_1] = { "pagein_sequential_window1", "page-in, sequential, window 1", "pages" },
    [ROW_PAGEIN_RANDOM_1] = { "pagein_random_window1", "page-in, random, window 1", "pages" },
    [ROW_PAGEIN_SEQ_4] = { "pagein_sequential_window4", "page-in, sequential, window 4", "pages" },
    [ROW_PAGEIN_RANDOM_4] = { "pagein_random_window4", "page-in, random, window 4", "pages" },
    [ROW_PAGEIN_SEQ_16] = { "pagein_sequential_window16", "page-in, sequential, window 16",
                            "pages" },
    [ROW_PAGEIN_RANDOM_16] = { "pagein_random_window16", "page-in, random, window 16",
                               "pages" },
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
    [PEER_SWAP_SEQ_1] = { "linux_swapin_sequential_window1", "Linux swap-in, sequential" },
    [PEER_SWAP_RANDOM_1] = { "linux_swapin_random_window1", "Linux swap-in, random" },
    [PEER_SWAP_SEQ_4] = { "linux_swapin_sequential_window4", "Linux swap-in, sequential" },
    [PEER_SWAP_RANDOM_4] = { "linux_swapin_random_window4", "Linux swap-in, random" },
    [PEER_SWAP_SEQ_16] = { "linux_swapin_sequential_window16", "Linux swap-in, sequential" },
    [PEER_SWAP_RANDOM_16] = { "linux_swapin_random_window16", "Linux swap-in, random" },
};

static bool is_pagein(int r)
{
    return fs_row_is_pagein(r);
}

/* "78,000 (70,000-81,000)": median (min-max), as the spread allows (bench_fmt_range); a
 * ratio when suffix is "x". */
static void fmt_stat(char *buf, size_t len, const struct fs_stat *st, const char *suffix)
{
    if (st->med <= 0) {
        snprintf(buf, len, "n/a");
        return;
    }
    bench_fmt_range(buf, len, (struct bench_range){ st->lo, st->med, st->hi },
                    suffix[0] == 'x' ? BENCH_RATIO : BENCH_RATE);
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

    char g[64], pe[64], ra[64], u[64];
    fprintf(out, "Demand zero: a store into each of %u freshly committed pages; per second: "
            "faults, median (min-max)\n", rows[ROW_DZ_WARM].pages ? rows[ROW_DZ_WARM].pages
                                                                 : rows[ROW_DZ_COLD].pages);
    fprintf(out, "%-12s %-26s %8s %9s %9s %9s  %-24s %-26s %s\n", "frames", "pagevisor guest",
            "us each", "VMM exits", "KVM exits", "host RAM", "peer (the same work)", "peer",
            "guest/peer");
    fprintf(out, "%-12s %-26s %8s %9s %9s %9s  %-24s %-26s %s\n", "", "", "", "per fault",
            "per fault", "backed", "", "", "by round");
    for (int r = ROW_DZ_WARM; r <= ROW_DZ_COLD_THP; r++) {
        const struct fs_row_result *x = &rows[r];
        const struct fs_peer_result *p = &peers[x->peer];
        fprintf(out, "%-12s", r == ROW_DZ_WARM ? "warm" : r == ROW_DZ_COLD ? "cold" :
                "cold, THP");
        if (x->unavailable) {
            fprintf(out, " unavailable\n");
            continue;
        }
        fmt_stat(g, sizeof(g), &x->rate, "");
        fmt_stat(pe, sizeof(pe), &p->rate, "");
        fmt_stat(ra, sizeof(ra), &x->vs_peer, "x");
        fprintf(out, " %-26s %8.1f", g, 1e6 / x->rate.med);
        cell(out, vmm_exits_per_fault(r, x), 9, " %*.4f");
        cell(out, kvm_exits_per_fault(r, x), 9, " %*.4f");
        char mib[16];
        snprintf(mib, sizeof(mib), "%.0f MiB", x->ram_backed_kib / 1024);
        fprintf(out, " %9s", x->have_counts && x->ram_backed_kib > 0 ? mib : "n/a");
        fprintf(out, "  %-24s %-26s %s\n", r == ROW_DZ_WARM ? "Linux's own fault" :
                x->peer == PEER_UFFD_COPY ? "userfaultfd UFFDIO_COPY" :
                "userfaultfd ZEROPAGE", p->unavailable ? "unavailable" : pe,
                p->unavailable ? "-" : ra);
    }

    fprintf(out, "\nPage-ins: %u pages written, then read back (first and last word of each) "
            "in a guest\nwith --mem %s; the peer pushes the same pages to swap with "
            "MADV_PAGEOUT and reads them back\nthe same way; window: the most pages one read may "
            "bring in, on both sides (the guest's\npv.readaroundmax, Linux's vm.page-cluster; "
            "both grow their reads on sequential faults up\nto it); per second: pages, median "
            "(min-max)\n", rows[ROW_PAGEIN_SEQ_1].pages,
            rows[ROW_PAGEIN_SEQ_1].mem ? rows[ROW_PAGEIN_SEQ_1].mem : "?");
    fprintf(out, "%-8s %-7s %-26s %9s %9s %9s  %-26s %8s %-18s %s\n", "pattern", "window",
            "pagevisor guest", "hard", "pages", "VMM exits", "Linux swap-in", "major",
            "guest/swap-in", "guest/userfaultfd");
    fprintf(out, "%-8s %-7s %-26s %9s %9s %9s  %-26s %8s %-18s %s\n", "", "", "", "per page",
            "per read", "per page", "", "per page", "by round", "from a file");
    for (int r = ROW_PAGEIN_SEQ_1; r < FS_ROWS; r++) {
        const struct fs_row_result *x = &rows[r];
        const struct fs_peer_result *p = &peers[x->peer];
        char cl[16];
        snprintf(cl, sizeof(cl), "%u/%u", fs_row_cluster(r), p->cluster);
        fprintf(out, "%-8s %-7s", fs_row_is_random(r) ? "random" : "seq", cl);
        if (x->unavailable) {
            fprintf(out, " unavailable\n");
            continue;
        }
        fmt_stat(g, sizeof(g), &x->rate, "");
        fprintf(out, " %-26s", g);
        cell(out, x->pages ? x->kinds[PV_FAULT_PAGEFILE_READ] / (double)x->pages : -1, 9, " %*.3f");
        cell(out, x->have_counts && x->d_pf_read_calls > 0
                      ? x->d_pf_pages_read / x->d_pf_read_calls : -1, 9, " %*.1f");
        cell(out, x->have_counts && x->pages ? vmm_exits(x) / x->pages : -1, 9, " %*.3f");
        if (p->unavailable) {
            fprintf(out, "  %-26s %8s %-18s", "unavailable", "-", "-");
        } else {
            fmt_stat(pe, sizeof(pe), &p->rate, "");
            fmt_stat(ra, sizeof(ra), &x->vs_peer, "x");
            fprintf(out, "  %-26s %8.3f %-18s", pe, p->faults_per_page, ra);
        }
        if (x->uffd_peer >= 0 && !peers[x->uffd_peer].unavailable) {
            fmt_stat(u, sizeof(u), &x->vs_uffd, "x");
            fprintf(out, " %s", u);
        } else {
            fprintf(out, " -");
        }
        fputc('\n', out);
    }

    fprintf(out, "\n%-56s %-26s %11s %11s\n", "every peer (same kernel, same loop)",
            "per second (min-max)", "faults/page", "events/page");
    for (int p = 0; p < FS_PEERS; p++) {
        const struct fs_peer_result *x = &peers[p];
        char label[80];
        if (p >= PEER_SWAP_SEQ_1)
            snprintf(label, sizeof(label), "%s, readahead %u", peer_info[p].label, x->cluster);
        else
            snprintf(label, sizeof(label), "%s", peer_info[p].label);
        fprintf(out, "%-56s", label);
        if (x->unavailable) {
            fprintf(out, " unavailable\n");
            continue;
        }
        fmt_stat(pe, sizeof(pe), &x->rate, "");
        fprintf(out, " %-26s", pe);
        if (p == PEER_UFFD_FILE_SEQ || p == PEER_UFFD_FILE_RANDOM)
            fprintf(out, " %11s", "-");
        else
            fprintf(out, " %11.3f", x->faults_per_page);
        if (p == PEER_LINUX_DZ)
            fprintf(out, " %11s\n", "-");
        else
            fprintf(out, " %11.3f\n", x->events_per_page);
    }

    fprintf(out, "\nGuest rates: the guest's timed loop, by its TSC. KVM exits: every VM exit "
            "while the loop ran,\n  the ones KVM handles itself too; VMM exits: those of them "
            "that went out to pagevisor\n  (kvm_exit, kvm_userspace_exit tracepoints, in a "
            "traced run). hard per page: page-ins that\n  read the pagefile, per page of the "
            "loop (the rest were soft: still in memory on a list).\nguest/peer: each round's "
            "ratio of rates (the engines run side by side), median (min-max).\n"
            "Swap-in: major faults per page are the ones that read the swap device; the others "
            "found\n  the page in the swap cache, brought in by readahead. The guest's default is "
            "window 16 (its\n  first read 3 pages); Linux's is 8. userfaultfd from a file "
            "serves one page per fault:\n  only the window-1 rows are set against it.\n");
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

static void json_stat(FILE *out, const struct fs_stat *st, const char *fmt)
{
    if (st->med <= 0) {
        fprintf(out, "null");
        return;
    }
    fprintf(out, "{\"min\": ");
    fprintf(out, fmt, st->lo);
    fprintf(out, ", \"median\": ");
    fprintf(out, fmt, st->med);
    fprintf(out, ", \"max\": ");
    fprintf(out, fmt, st->hi);
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
    fprintf(out, ",\n     \"per_sec_stat\": ");
    json_stat(out, &x->rate, "%.0f");
    if (fs_row_is_pagein(r))
        fprintf(out, ", \"read_cluster\": %u", fs_row_cluster(r));
    fprintf(out, ",\n     \"ratios\": {\"peer\": \"%s\", \"vs_peer\": ", peer_info[x->peer].key);
    json_stat(out, &x->vs_peer, "%.3f");
    if (x->uffd_peer >= 0) {
        fprintf(out, ", \"userfaultfd_peer\": \"%s\", \"vs_userfaultfd\": ",
                peer_info[x->uffd_peer].key);
        json_stat(out, &x->vs_uffd, "%.3f");
    }
    fprintf(out, ", \"statistic\": \"each round's ratio of rates: min, median, max\"}");
    if (!x->have_counts) {
        fprintf(out, ", \"counted_minus_baseline\": null}");
        return;
    }
    fprintf(out, ",\n     \"host_ram_backed_kib_after_counting_run\": %.0f", x->ram_backed_kib);
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
            fprintf(out, ", \"per_sec_stat\": ");
            json_stat(out, &x->rate, "%.0f");
            if (p >= PEER_SWAP_SEQ_1)
                fprintf(out, ", \"readahead_pages_max\": %u, \"pages_left_in_memory\": %.0f",
                        x->cluster, x->resident);
        }
        fprintf(out, "}%s\n", p + 1 < FS_PEERS ? "," : "");
    }
    fprintf(out, "  ]\n}\n");
}
