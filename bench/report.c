/* report.c - the host-path benchmark's results: a table for people and a JSON document for
 * tools and the README, both saying where and how they were measured. */
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
    snprintf(out, len, "unknown");
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
    snprintf(info->cpu + n, sizeof(info->cpu) - n, ", %ld CPUs", sysconf(_SC_NPROCESSORS_ONLN));
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(info->kernel, sizeof(info->kernel), "Linux %s", u.release);
    static const char *const modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
    snprintf(info->kvm, sizeof(info->kvm), "unknown");
    for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "/sys/module/%s", modules[i]);
        if (access(path, F_OK) == 0)
            snprintf(info->kvm, sizeof(info->kvm), "%s", modules[i]);
    }
    /* A KVM module without the device is not a /dev/kvm from it. */
    if (access("/dev/kvm", F_OK) != 0)
        snprintf(info->kvm, sizeof(info->kvm), "nothing (there is no /dev/kvm)");
    time_t now = time(NULL);
    strftime(info->when, sizeof(info->when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

/* The userfaultfd peer's figure: the faster of its two handler placements. */
static enum engine best_uffd(const struct bench_row *r)
{
    const struct engine_result *same = &r->e[ENGINE_UFFD_SAME_CPU];
    const struct engine_result *other = &r->e[ENGINE_UFFD_OTHER_CPU];
    if (same->unavailable)
        return ENGINE_UFFD_OTHER_CPU;
    if (other->unavailable)
        return ENGINE_UFFD_SAME_CPU;
    return other->pages_per_sec > same->pages_per_sec ? ENGINE_UFFD_OTHER_CPU
                                                      : ENGINE_UFFD_SAME_CPU;
}

/* pagevisor's rate over another engine's, or 0 where either was not measured. */
static double ratio(const struct bench_row *r, enum engine to)
{
    if (r->e[ENGINE_VM].unavailable || r->e[to].unavailable || r->e[to].pages_per_sec <= 0)
        return 0;
    return r->e[ENGINE_VM].pages_per_sec / r->e[to].pages_per_sec;
}

static void cell_rate(FILE *out, const struct engine_result *e, int width)
{
    if (e->unavailable)
        fprintf(out, " %*s", width, "n/a");
    else
        fprintf(out, " %*.0f", width, e->pages_per_sec);
}

static void cell_ratio(FILE *out, double r)
{
    if (r > 0)
        fprintf(out, " %8.2fx", r);
    else
        fprintf(out, " %9s", "n/a");
}

static void table_main(FILE *out, const struct bench_row *rows, size_t nrows)
{
    fprintf(out, "%-10s %7s %12s %10s %13s %8s %11s %9s %9s\n", "pattern", "cluster",
            "pagevisor/s", "exits/page", "userfaultfd/s", "handler", "pread/s", "vs uffd",
            "vs pread");
    for (size_t i = 0; i < nrows; i++) {
        const struct bench_row *r = &rows[i];
        enum engine u = best_uffd(r);
        fprintf(out, "%-10s %7u", r->pattern, r->cluster);
        cell_rate(out, &r->e[ENGINE_VM], 12);
        if (r->e[ENGINE_VM].unavailable)
            fprintf(out, " %10s", "n/a");
        else
            fprintf(out, " %10.4f", r->e[ENGINE_VM].exits_per_page);
        cell_rate(out, &r->e[u], 13);
        fprintf(out, " %8s", r->e[u].unavailable ? "" : u == ENGINE_UFFD_SAME_CPU ? "same" :
                "other");
        cell_rate(out, &r->e[ENGINE_PREAD], 11);
        cell_ratio(out, ratio(r, u));
        cell_ratio(out, ratio(r, ENGINE_PREAD));
        fputc('\n', out);
    }
}

/* Where pagevisor's time goes, and both placements of the userfaultfd handler. */
static void table_detail(FILE *out, const struct bench_row *rows, size_t nrows)
{
    fprintf(out, "\n%-10s %7s %12s %12s %12s %13s %13s\n", "", "", "pagevisor", "in KVM_RUN",
            "serving", "userfaultfd/s", "userfaultfd/s");
    fprintf(out, "%-10s %7s %12s %12s %12s %13s %13s\n", "pattern", "cluster", "us/page",
            "us/page", "us/page", "same CPU", "other CPU");
    for (size_t i = 0; i < nrows; i++) {
        const struct bench_row *r = &rows[i];
        const struct engine_result *vm = &r->e[ENGINE_VM];
        fprintf(out, "%-10s %7u", r->pattern, r->cluster);
        if (vm->unavailable)
            fprintf(out, " %12s %12s %12s", "n/a", "n/a", "n/a");
        else
            fprintf(out, " %12.2f %12.2f %12.2f", 1e6 / vm->pages_per_sec, vm->run_us_per_page,
                    vm->service_us_per_page);
        cell_rate(out, &r->e[ENGINE_UFFD_SAME_CPU], 13);
        cell_rate(out, &r->e[ENGINE_UFFD_OTHER_CPU], 13);
        fputc('\n', out);
    }
}

void report_table(FILE *out, const struct bench_info *info, const struct bench_row *rows,
                  size_t nrows)
{
    fprintf(out, "\nhost path: 4 KiB pages served from a pagefile into memory, %u pages per run, "
            "median of %u runs\n", info->pages, info->runs);
    fprintf(out, "measured %s on %s, %s, /dev/kvm from %s; pagefile in %s\n\n", info->when,
            info->cpu, info->kernel, info->kvm, info->file_dir);
    table_main(out, rows, nrows);
    fprintf(out, "userfaultfd/s is the faster placement of its handler thread: on the faulting "
            "thread's CPU (same) or another one (other); both below.\n");
    table_detail(out, rows, nrows);
    fputc('\n', out);
    for (int e = 0; e < ENGINES; e++)
        if (nrows && rows[0].e[e].unavailable)
            fprintf(out, "%s: unavailable: %s\n", engine_key[e], rows[0].e[e].unavailable);
    if (info->exit_us > 0)
        fprintf(out, "this KVM: a bare exit round trip (out + 2 guest instructions) takes %.2f us;"
                " a guest instruction %.1f ns\n", info->exit_us, info->insn_ns);
    if (info->insn_ns > 20)
        fprintf(out, "  (guest instructions this slow mean KVM emulates the guest here: the "
                "guest side of every exit costs far more than on hardware virtualization)\n");
    unsigned met = 0, judged = 0;
    for (size_t i = 0; i < nrows; i++) {
        double r = ratio(&rows[i], best_uffd(&rows[i]));
        judged += r > 0;
        met += r >= TARGET_VS_UFFD;
    }
    if (judged)
        fprintf(out, "target (pagevisor at least %.0fx the userfaultfd peer): met in %u of %u "
                "rows\n", TARGET_VS_UFFD, met, judged);
    fprintf(out, "filling the pagefile through pagefile_io (writes, no VM): %.0f pages/s\n",
            info->write_pages_per_sec);
}

static void json_engine(FILE *out, enum engine e, const struct engine_result *r)
{
    fprintf(out, "\"%s\": {", engine_key[e]);
    if (r->unavailable) {
        fprintf(out, "\"available\": false, \"reason\": ");
        bench_json_string(out, r->unavailable);
    } else {
        fprintf(out, "\"available\": true, \"pages_per_sec\": %.0f, \"spread\": %.3f",
                r->pages_per_sec, r->spread);
        if (e == ENGINE_VM)
            fprintf(out, ", \"exits_per_page\": %.4f, \"kvm_run_us_per_page\": %.3f, "
                    "\"service_us_per_page\": %.3f", r->exits_per_page, r->run_us_per_page,
                    r->service_us_per_page);
        if (e == ENGINE_UFFD_SAME_CPU || e == ENGINE_UFFD_OTHER_CPU)
            fprintf(out, ", \"faults_per_page\": %.4f", r->exits_per_page);
    }
    fputc('}', out);
}

/* A ratio, or null where one side was not measured. */
static void json_ratio(FILE *out, double r)
{
    if (r > 0)
        fprintf(out, "%.3f", r);
    else
        fprintf(out, "null");
}

void report_json(FILE *out, const struct bench_info *info, const struct bench_row *rows,
                 size_t nrows)
{
    fprintf(out, "{\n  \"benchmark\": \"host-path\",\n  \"when\": ");
    bench_json_string(out, info->when);
    fprintf(out, ",\n  \"machine\": {\"cpu\": ");
    bench_json_string(out, info->cpu);
    fprintf(out, ", \"kernel\": ");
    bench_json_string(out, info->kernel);
    fprintf(out, ", \"kvm\": ");
    bench_json_string(out, info->kvm);
    fprintf(out, "},\n  \"pages_per_run\": %u,\n  \"page_bytes\": %u,\n  \"runs\": %u,\n"
            "  \"statistic\": \"median\",\n  \"pagefile_dir\": ", info->pages, PAGE, info->runs);
    bench_json_string(out, info->file_dir);
    fprintf(out, ",\n  \"cpus\": {\"measuring_thread\": %d, \"other\": %d},\n"
            "  \"kvm_bare_exit_us\": %.3f,\n  \"kvm_guest_insn_ns\": %.2f,\n"
            "  \"guest\": \"32-bit protected mode, no paging, ready-made call blocks\",\n",
            info->main_cpu, info->other_cpu, info->exit_us, info->insn_ns);
    fprintf(out, "  \"fill_write_pages_per_sec\": %.0f,\n  \"target_vs_userfaultfd\": %.1f,\n"
            "  \"rows\": [\n", info->write_pages_per_sec, TARGET_VS_UFFD);
    for (size_t i = 0; i < nrows; i++) {
        const struct bench_row *r = &rows[i];
        fprintf(out, "    {\"pattern\": \"%s\", \"cluster\": %u, ", r->pattern, r->cluster);
        for (int e = 0; e < ENGINES; e++) {
            json_engine(out, (enum engine)e, &r->e[e]);
            fprintf(out, ", ");
        }
        enum engine best = best_uffd(r);
        fprintf(out, "\"userfaultfd_best\": \"%s\", \"ratios\": {\"vs_userfaultfd\": ",
                engine_key[best]);
        json_ratio(out, ratio(r, best));
        fprintf(out, ", \"vs_pread\": ");
        json_ratio(out, ratio(r, ENGINE_PREAD));
        double u = ratio(r, best);
        fprintf(out, "}, \"target_met\": %s}%s\n", u > 0 ? (u >= TARGET_VS_UFFD ? "true" :
                "false") : "null", i + 1 < nrows ? "," : "");
    }
    fprintf(out, "  ]\n}\n");
}
