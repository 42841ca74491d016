/* report.c - the host-path benchmark's results: a table for people (a Markdown table, aligned)
 * and a JSON document for tools and the README, both saying where and how they were measured.
 * Every figure is the median of the runs with their min and max, rounded to what that spread
 * supports; ratios are taken run by run (run r of every engine ran in the same turn). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static const char *const engine_key[ENGINES] = {
    "pagevisor", "userfaultfd_same_cpu", "userfaultfd_other_cpu", "pread",
};

static void first_line_value(const char *file, const char *key, char *out, size_t len)
{
    FILE *f = fopen(file, "r");
    char line[512];
    snprintf(out, len, "unknown CPU");
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, strlen(key)) != 0)
            continue;
        const char *colon = strchr(line, ':');
        if (colon) {
            snprintf(out, len, "%s", colon + 2);
            out[strcspn(out, "\n")] = '\0';
        }
        break;
    }
    if (f)
        fclose(f);
}

void bench_info_fill_machine(struct bench_info *info)
{
    first_line_value("/proc/cpuinfo", "model name", info->cpu, sizeof(info->cpu));
    size_t n = strlen(info->cpu);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(info->cpu + n, sizeof(info->cpu) - n, ", %ld CPU%s", cpus, cpus == 1 ? "" : "s");
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(info->kernel, sizeof(info->kernel), "Linux %s", u.release);
    static const char *const modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
    snprintf(info->kvm, sizeof(info->kvm), "/dev/kvm from an unknown module");
    for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "/sys/module/%s", modules[i]);
        if (access(path, F_OK) == 0)
            snprintf(info->kvm, sizeof(info->kvm), "/dev/kvm from %s", modules[i]);
    }
    /* A KVM module without the device is not a /dev/kvm from it. */
    if (access("/dev/kvm", F_OK) != 0)
        snprintf(info->kvm, sizeof(info->kvm), "no /dev/kvm");
    time_t now = time(NULL);
    strftime(info->when, sizeof(info->when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

/* ------------------------------------------------------------------ statistics */

static struct bench_range range_of(const double *v, unsigned n)
{
    struct bench_range r;
    r.med = bench_median(v, n, &r.lo, &r.hi);
    return r;
}

static bool measured(const struct engine_result *e)
{
    return !e->unavailable;
}

/* The userfaultfd peer's figure: the placement of its handler with the higher median rate. */
static enum engine best_uffd(const struct bench_row *r, unsigned runs)
{
    const struct engine_result *same = &r->e[ENGINE_UFFD_SAME_CPU];
    const struct engine_result *other = &r->e[ENGINE_UFFD_OTHER_CPU];
    if (!measured(same))
        return ENGINE_UFFD_OTHER_CPU;
    if (!measured(other))
        return ENGINE_UFFD_SAME_CPU;
    return range_of(other->pages_per_sec, runs).med > range_of(same->pages_per_sec, runs).med
        ? ENGINE_UFFD_OTHER_CPU : ENGINE_UFFD_SAME_CPU;
}

/* pagevisor's rate over another engine's, run by run, into out[0..runs); false where either
 * was not measured. */
static bool ratio_runs(const struct bench_row *r, enum engine to, unsigned runs, double *out)
{
    if (!measured(&r->e[ENGINE_VM]) || !measured(&r->e[to]))
        return false;
    for (unsigned i = 0; i < runs; i++)
        out[i] = r->e[ENGINE_VM].pages_per_sec[i] / r->e[to].pages_per_sec[i];
    return true;
}

static void per_run_us(const struct engine_result *e, unsigned runs, double *out)
{
    for (unsigned i = 0; i < runs; i++)
        out[i] = 1e6 / e->pages_per_sec[i];
}

/* ------------------------------------------------------------------ formatting */

/* Exits and faults per page are counts: 4 decimals, the range where the runs differ. */
static void fmt_count(char *out, size_t len, struct bench_range r)
{
    char lo[16], hi[16];
    snprintf(lo, sizeof(lo), "%.4f", r.lo);
    snprintf(hi, sizeof(hi), "%.4f", r.hi);
    if (!strcmp(lo, hi))
        snprintf(out, len, "%.4f", r.med);
    else
        snprintf(out, len, "%.4f (%s-%s)", r.med, lo, hi);
}

/* ------------------------------------------------------------------ the tables */

#define COLS_MAX 9
#define ROWS_MAX 16
#define CELL 112

struct table {
    size_t ncols, nrows;               /* rows after the header */
    char cell[ROWS_MAX + 1][COLS_MAX][CELL];
};

/* The header row, and how many rows follow it (at most ROWS_MAX). */
static void table_begin(struct table *t, const char *const *head, size_t ncols, size_t nrows)
{
    t->ncols = ncols < COLS_MAX ? ncols : COLS_MAX;
    t->nrows = nrows < ROWS_MAX ? nrows : ROWS_MAX;
    for (size_t c = 0; c < t->ncols; c++)
        snprintf(t->cell[0][c], CELL, "%s", head[c]);
}

static void table_print(FILE *out, const struct table *t)
{
    size_t width[COLS_MAX] = { 0 };
    for (size_t r = 0; r <= t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            if (strlen(t->cell[r][c]) > width[c])
                width[c] = strlen(t->cell[r][c]);
    for (size_t r = 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            fprintf(out, "| %-*s ", (int)width[c], t->cell[r][c]);
        fprintf(out, "|\n");
        if (r == 0) {
            for (size_t c = 0; c < t->ncols; c++) {
                fprintf(out, "|");
                for (size_t i = 0; i < width[c] + 2; i++)
                    fputc('-', out);
            }
            fprintf(out, "|\n");
        }
    }
}

static void cell_rate(char *out, const struct engine_result *e, unsigned runs)
{
    if (!measured(e))
        snprintf(out, CELL, "n/a");
    else
        bench_fmt_range(out, CELL, range_of(e->pages_per_sec, runs), BENCH_RATE);
}

static void cell_ratio(char *out, const struct bench_row *r, enum engine to, unsigned runs)
{
    double v[RUNS_MAX];
    if (ratio_runs(r, to, runs, v))
        bench_fmt_range(out, CELL, range_of(v, runs), BENCH_RATIO);
    else
        snprintf(out, CELL, "n/a");
}

static void table_main(FILE *out, const struct bench_row *rows, size_t nrows, unsigned runs)
{
    static const char *const head[] = {
        "pattern", "cluster", "pagevisor pages/s", "VM exits/page", "userfaultfd pages/s",
        "handler", "pread pages/s", "vs userfaultfd", "vs pread",
    };
    static struct table t;
    table_begin(&t, head, sizeof(head) / sizeof(head[0]), nrows);
    for (size_t i = 0; i < t.nrows; i++) {
        const struct bench_row *r = &rows[i];
        char (*cell)[CELL] = t.cell[i + 1];
        enum engine u = best_uffd(r, runs);
        snprintf(cell[0], CELL, "%s", r->pattern);
        snprintf(cell[1], CELL, "%u", r->cluster);
        cell_rate(cell[2], &r->e[ENGINE_VM], runs);
        if (measured(&r->e[ENGINE_VM]))
            fmt_count(cell[3], CELL, range_of(r->e[ENGINE_VM].exits_per_page, runs));
        else
            snprintf(cell[3], CELL, "n/a");
        cell_rate(cell[4], &r->e[u], runs);
        snprintf(cell[5], CELL, "%s", !measured(&r->e[u]) ? "" :
                 u == ENGINE_UFFD_SAME_CPU ? "same" : "other");
        cell_rate(cell[6], &r->e[ENGINE_PREAD], runs);
        cell_ratio(cell[7], r, u, runs);
        cell_ratio(cell[8], r, ENGINE_PREAD, runs);
    }
    table_print(out, &t);
}

/* Where pagevisor's time goes, and both placements of the userfaultfd handler. */
static void table_detail(FILE *out, const struct bench_row *rows, size_t nrows, unsigned runs)
{
    static const char *const head[] = {
        "pattern", "cluster", "pagevisor us/page", "in KVM_RUN us/page", "serving us/page",
        "userfaultfd pages/s, same CPU", "userfaultfd pages/s, other CPU",
    };
    static struct table t;
    table_begin(&t, head, sizeof(head) / sizeof(head[0]), nrows);
    for (size_t i = 0; i < t.nrows; i++) {
        const struct bench_row *r = &rows[i];
        const struct engine_result *vm = &r->e[ENGINE_VM];
        char (*cell)[CELL] = t.cell[i + 1];
        snprintf(cell[0], CELL, "%s", r->pattern);
        snprintf(cell[1], CELL, "%u", r->cluster);
        if (measured(vm)) {
            double us[RUNS_MAX];
            per_run_us(vm, runs, us);
            bench_fmt_range(cell[2], CELL, range_of(us, runs), BENCH_MICROS);
            bench_fmt_range(cell[3], CELL, range_of(vm->run_us_per_page, runs), BENCH_MICROS);
            bench_fmt_range(cell[4], CELL, range_of(vm->service_us_per_page, runs), BENCH_MICROS);
        } else {
            for (int c = 2; c <= 4; c++)
                snprintf(cell[c], CELL, "n/a");
        }
        cell_rate(cell[5], &r->e[ENGINE_UFFD_SAME_CPU], runs);
        cell_rate(cell[6], &r->e[ENGINE_UFFD_OTHER_CPU], runs);
    }
    table_print(out, &t);
}

static const char *engine_unavailable(const struct bench_row *rows, size_t nrows, enum engine e)
{
    return nrows ? rows[0].e[e].unavailable : NULL;
}

void report_table(FILE *out, const struct bench_info *info, const struct bench_row *rows,
                  size_t nrows)
{
    unsigned runs = info->runs;
    fprintf(out, "\nhost path: 4 KiB pages served from a pagefile into memory, %u pages per run; "
            "%u run%s, the engines taking turns;\nfigures: median (min-max) of the runs, ratios "
            "run by run, rounded to what the spread supports\n", info->pages, runs,
            runs == 1 ? "" : "s");
    fprintf(out, "measured %s%s%s: %s, %s, %s; pagefile in %s\n", info->when,
            info->where ? " " : "", info->where ? info->where : "", info->cpu, info->kernel,
            info->kvm, info->file_dir);
    if (info->host)
        fprintf(out, "%s\n", info->host);
    fputc('\n', out);
    table_main(out, rows, nrows, runs);
    fprintf(out, "\ncluster N: N pages per request on every side (a hypercall, a userfaultfd fault,"
            " a pread).\n");
    for (size_t i = 0; i < nrows; i++) {
        bool first = true;   /* one line per cluster size: the patterns share the units */
        for (size_t j = 0; j < i; j++)
            first = first && rows[j].cluster != rows[i].cluster;
        if (!first || rows[i].last_count == rows[i].cluster)
            continue;
        char requests[32];
        bench_fmt_number(requests, sizeof(requests), (double)rows[i].requests, 1);
        fprintf(out, "cluster %u: %s requests a run, the last of %u page%s (%u is not a "
                "multiple of %u)\n", rows[i].cluster, requests, rows[i].last_count,
                rows[i].last_count == 1 ? "" : "s", info->pages, rows[i].cluster);
    }
    fprintf(out, "userfaultfd pages/s: the handler thread's placement with the higher median: on"
            " the faulting thread's CPU (same) or another (other); both below.\n\n");
    table_detail(out, rows, nrows, runs);
    fputc('\n', out);
    for (int e = 0; e < ENGINES; e++) {
        const char *why = engine_unavailable(rows, nrows, (enum engine)e);
        if (why)
            fprintf(out, "%s: unavailable: %s\n", engine_key[e], why);
    }
    if (info->exit_us > 0)
        fprintf(out, "this KVM: a bare exit round trip (out + 2 guest instructions) takes %.2f us;"
                " a guest instruction %.1f ns (the best of 3)\n", info->exit_us, info->insn_ns);
    if (info->insn_ns > 20)
        fprintf(out, "  (guest instructions this slow mean KVM emulates the guest here: the "
                "guest side of every exit costs far more than on hardware virtualization)\n");
    unsigned met = 0, judged = 0;
    for (size_t i = 0; i < nrows; i++) {
        double v[RUNS_MAX];
        if (!ratio_runs(&rows[i], best_uffd(&rows[i], runs), runs, v))
            continue;
        judged++;
        met += range_of(v, runs).med >= TARGET_VS_UFFD;
    }
    if (judged)
        fprintf(out, "target (pagevisor at least %.0fx the userfaultfd peer, median ratio): met in"
                " %u of %u rows\n", TARGET_VS_UFFD, met, judged);
    char fill[32];
    double w = info->write_pages_per_sec;
    bench_fmt_range(fill, sizeof(fill), (struct bench_range){ w, w, w }, BENCH_RATE);
    fprintf(out, "filling the pagefile through pagefile_io (writes, no VM, one pass): %s pages/s\n",
            fill);
}

/* ------------------------------------------------------------------ JSON */

static void json_series(FILE *out, const char *key, const double *v, unsigned runs,
                        const char *fmt)
{
    struct bench_range r = range_of(v, runs);
    fprintf(out, "\"%s\": {\"min\": ", key);
    fprintf(out, fmt, r.lo);
    fprintf(out, ", \"median\": ");
    fprintf(out, fmt, r.med);
    fprintf(out, ", \"max\": ");
    fprintf(out, fmt, r.hi);
    fprintf(out, ", \"runs\": [");
    for (unsigned i = 0; i < runs; i++) {
        fprintf(out, i ? ", " : "");
        fprintf(out, fmt, v[i]);
    }
    fprintf(out, "]}");
}

static void json_engine(FILE *out, enum engine e, const struct engine_result *r, unsigned runs)
{
    fprintf(out, "      \"%s\": {", engine_key[e]);
    if (!measured(r)) {
        fprintf(out, "\"available\": false, \"reason\": ");
        bench_json_string(out, r->unavailable);
    } else {
        fprintf(out, "\"available\": true, ");
        json_series(out, "pages_per_sec", r->pages_per_sec, runs, "%.0f");
        if (e == ENGINE_VM) {
            fprintf(out, ", ");
            json_series(out, "exits_per_page", r->exits_per_page, runs, "%.4f");
            fprintf(out, ", ");
            json_series(out, "kvm_run_us_per_page", r->run_us_per_page, runs, "%.3f");
            fprintf(out, ", ");
            json_series(out, "service_us_per_page", r->service_us_per_page, runs, "%.3f");
        }
        if (e == ENGINE_UFFD_SAME_CPU || e == ENGINE_UFFD_OTHER_CPU) {
            fprintf(out, ", ");
            json_series(out, "faults_per_page", r->exits_per_page, runs, "%.4f");
        }
    }
    fprintf(out, "},\n");
}

static void json_ratio(FILE *out, const char *key, const struct bench_row *r, enum engine to,
                       unsigned runs)
{
    double v[RUNS_MAX];
    if (ratio_runs(r, to, runs, v))
        json_series(out, key, v, runs, "%.3f");
    else
        fprintf(out, "\"%s\": null", key);
}

static void json_text_or_null(FILE *out, const char *s)
{
    if (s)
        bench_json_string(out, s);
    else
        fprintf(out, "null");
}

void report_json(FILE *out, const struct bench_info *info, const struct bench_row *rows,
                 size_t nrows)
{
    unsigned runs = info->runs;
    fprintf(out, "{\n  \"benchmark\": \"host-path\",\n  \"when\": ");
    bench_json_string(out, info->when);
    fprintf(out, ",\n  \"where\": ");
    json_text_or_null(out, info->where);
    fprintf(out, ",\n  \"machine\": {\"cpu\": ");
    bench_json_string(out, info->cpu);
    fprintf(out, ", \"kernel\": ");
    bench_json_string(out, info->kernel);
    fprintf(out, ", \"kvm\": ");
    bench_json_string(out, info->kvm);
    fprintf(out, "},\n  \"started_from\": ");
    json_text_or_null(out, info->host);
    fprintf(out, ",\n  \"pages_per_run\": %u,\n  \"page_bytes\": %u,\n  \"runs\": %u,\n"
            "  \"statistic\": \"min, median, max and every run; ratios run by run (run i of "
            "every engine ran in the same turn)\",\n  \"pagefile_dir\": ", info->pages, PAGE,
            runs);
    bench_json_string(out, info->file_dir);
    fprintf(out, ",\n  \"cpus\": {\"measuring_thread\": %d, \"other\": %d},\n"
            "  \"kvm_bare_exit_us\": %.3f,\n  \"kvm_guest_insn_ns\": %.2f,\n"
            "  \"guest\": \"32-bit protected mode, no paging, ready-made call blocks\",\n",
            info->main_cpu, info->other_cpu, info->exit_us, info->insn_ns);
    fprintf(out, "  \"fill_write_pages_per_sec\": %.0f,\n  \"target_vs_userfaultfd\": %.1f,\n"
            "  \"rows\": [\n", info->write_pages_per_sec, TARGET_VS_UFFD);
    for (size_t i = 0; i < nrows; i++) {
        const struct bench_row *r = &rows[i];
        fprintf(out, "    {\"pattern\": \"%s\", \"cluster\": %u, \"requests_per_run\": %zu, "
                "\"last_request_pages\": %u,\n", r->pattern, r->cluster, r->requests,
                r->last_count);
        for (int e = 0; e < ENGINES; e++)
            json_engine(out, (enum engine)e, &r->e[e], runs);
        enum engine best = best_uffd(r, runs);
        fprintf(out, "      \"userfaultfd_best\": \"%s\",\n      \"ratios\": {", engine_key[best]);
        json_ratio(out, "vs_userfaultfd", r, best, runs);
        fprintf(out, ", ");
        json_ratio(out, "vs_pread", r, ENGINE_PREAD, runs);
        double v[RUNS_MAX];
        const char *met = "null";
        if (ratio_runs(r, best, runs, v))
            met = range_of(v, runs).med >= TARGET_VS_UFFD ? "true" : "false";
        fprintf(out, "},\n      \"target_met\": %s}%s\n", met, i + 1 < nrows ? "," : "");
    }
    fprintf(out, "  ]\n}\n");
}
