/*
 * host_path.c - `make bench`: the host service path of demand paging (issue 4's first
 * benchmark). The same pages of the same file are served into memory three ways, side by side:
 * pagevisor's hypercall path through KVM_RUN exits and pagefile_io, a userfaultfd handler (the
 * Firecracker/QEMU way), and plain pread (the limit); sequential and random, single pages and
 * clusters. Prints a table and writes it as JSON.
 *
 * Usage: host-path [--pages N] [--runs N] [--json PATH]
 */
#include <err.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "kvm.h"

#define RUNS_MAX 31

struct options {
    uint32_t pages;
    unsigned runs;
    const char *json;
};

struct engines {
    struct pagefile *pf;
    uint64_t file_bytes;
    struct vm_path *vm;
    struct uffd_peer *uffd;
    struct pread_peer *pread;
    int main_cpu, other_cpu;
    const char *unavailable[ENGINES];
    char vm_why[256], uffd_why[256];
};

static const char *const engine_name[ENGINES] = {
    "pagevisor", "userfaultfd (handler on the same CPU)",
    "userfaultfd (handler on another CPU)", "pread",
};

static void usage(void)
{
    fprintf(stderr, "usage: host-path [--pages N] [--runs N] [--json PATH]\n"
            "  --pages N   pages served per run, a multiple of %u (default 32768)\n"
            "  --runs N    timed runs per engine and row, the median is reported (default 5)\n"
            "  --json PATH also write the results there\n", PV_PAGEFILE_CLUSTER_MAX);
    exit(2);
}

static void parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .pages = 32768, .runs = 5, .json = NULL };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--pages"))
            o->pages = (uint32_t)bench_number(arg, val, 500000), i++;
        else if (!strcmp(arg, "--runs"))
            o->runs = (unsigned)bench_number(arg, val, RUNS_MAX), i++;
        else if (!strcmp(arg, "--json") && val)
            o->json = val, i++;
        else
            usage();
    }
    if (o->pages % PV_PAGEFILE_CLUSTER_MAX)
        errx(2, "--pages: %u is not a multiple of the cluster size %u", o->pages,
             PV_PAGEFILE_CLUSTER_MAX);
}

/* Write every slot through pagefile_io itself, so the checksums the reads verify are real. */
static double fill_pagefile(struct pagefile *pf, uint32_t pages)
{
    struct guest_mem staging = { .size = PV_PAGEFILE_CLUSTER_MAX * PAGE };
    staging.base = mmap(NULL, staging.size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (staging.base == MAP_FAILED)
        err(1, "mmap of the staging frames");
    uint64_t t0 = now_ns();
    for (uint32_t slot = 1; slot <= pages; slot += PV_PAGEFILE_CLUSTER_MAX) {
        struct pv_hc_pagefile_io req = { .op = PV_PAGEFILE_WRITE, .slot = slot };
        req.count = pages + 1 - slot < PV_PAGEFILE_CLUSTER_MAX ? pages + 1 - slot
                                                                : PV_PAGEFILE_CLUSTER_MAX;
        for (uint32_t i = 0; i < req.count; i++) {
            page_fill(staging.base + i * PAGE, slot + i);
            req.frames[i] = i;
        }
        uint32_t done;
        if (pagefile_io(pf, &staging, &req, &done) != PV_OK) {
            char why[256];
            errx(1, "filling the pagefile: %s", pagefile_describe_failure(pf, why, sizeof(why)));
        }
    }
    double seconds = (double)(now_ns() - t0) / 1e9;
    munmap(staging.base, staging.size);
    return pages / seconds;
}

/* The measuring thread stays on one CPU for every engine; the userfaultfd handler is put on
 * the same CPU or on the next one the process may use. */
static void pick_cpus(struct engines *en)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        err(1, "sched_getaffinity");
    en->main_cpu = en->other_cpu = -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        if (en->main_cpu < 0)
            en->main_cpu = c;
        else if (en->other_cpu < 0)
            en->other_cpu = c;
    }
}

static void engines_create(struct engines *en, struct pagefile *pf, uint32_t pages)
{
    memset(en, 0, sizeof(*en));
    en->pf = pf;
    en->file_bytes = (uint64_t)(pages + 1) * PAGE;
    pick_cpus(en);
    int kvm_fd;
    if (kvm_open(&kvm_fd, en->vm_why, sizeof(en->vm_why)) == KVM_OPEN_OK)
        en->vm = vm_path_create(kvm_fd, pf, pages);
    else
        en->unavailable[ENGINE_VM] = en->vm_why;
    en->uffd = uffd_peer_create(pf->fd, pages, en->uffd_why, sizeof(en->uffd_why));
    if (!en->uffd)
        en->unavailable[ENGINE_UFFD_SAME_CPU] = en->unavailable[ENGINE_UFFD_OTHER_CPU] =
            en->uffd_why;
    else if (en->other_cpu < 0)
        en->unavailable[ENGINE_UFFD_OTHER_CPU] = "this process may use only one CPU";
    en->pread = pread_peer_create(pf->fd, pages);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(en->main_cpu, &one);
    if (sched_setaffinity(0, sizeof(one), &one) < 0)
        err(1, "sched_setaffinity to CPU %d", en->main_cpu);
}

static void engines_destroy(struct engines *en)
{
    vm_path_destroy(en->vm);
    uffd_peer_destroy(en->uffd);
    pread_peer_destroy(en->pread);
}

/* One timed run from the same start for every engine: destination cleared (untimed), page
 * cache warm; then the data checked page by page, so a fast wrong answer cannot count. */
static void run_once(struct engines *en, enum engine e, const struct workload *w,
                     struct measurement *m)
{
    const uint8_t *result = NULL;
    if (e == ENGINE_VM)
        vm_path_clear(en->vm);
    if (e == ENGINE_PREAD)
        pread_peer_clear(en->pread);
    warm_page_cache(en->pf->fd, en->file_bytes);
    switch (e) {
    case ENGINE_VM:
        vm_path_run(en->vm, w, m);
        result = vm_path_frames(en->vm);
        break;
    case ENGINE_UFFD_SAME_CPU:
    case ENGINE_UFFD_OTHER_CPU:
        uffd_peer_set_handler_cpu(en->uffd, e == ENGINE_UFFD_SAME_CPU ? en->main_cpu
                                                                      : en->other_cpu);
        uffd_peer_run(en->uffd, w, m);
        result = uffd_peer_region(en->uffd);
        break;
    case ENGINE_PREAD:
        pread_peer_run(en->pread, w, m);
        result = pread_peer_region(en->pread);
        break;
    case ENGINES:
        return;
    }
    uint32_t bad = region_check(result, w->pages);
    if (bad)
        errx(1, "%s served wrong data for slot %u (%s, cluster %u)", engine_name[e], bad,
             w->pattern, w->cluster);
}

static int by_time(const void *a, const void *b)
{
    double x = ((const struct measurement *)a)->seconds;
    double y = ((const struct measurement *)b)->seconds;
    return (x > y) - (x < y);
}

/* The median run by time (the upper middle one for an even count), and the spread. */
static void summarize(const struct measurement *runs, unsigned n, uint32_t pages,
                      struct engine_result *r)
{
    struct measurement sorted[RUNS_MAX];
    memcpy(sorted, runs, n * sizeof(*runs));
    qsort(sorted, n, sizeof(*sorted), by_time);
    const struct measurement *median = &sorted[n / 2];
    r->pages_per_sec = pages / median->seconds;
    r->exits_per_page = (double)median->exits / pages;
    r->spread = (sorted[n - 1].seconds - sorted[0].seconds) / median->seconds;
    r->run_us_per_page = median->run_seconds * 1e6 / pages;
    r->service_us_per_page = median->service_seconds * 1e6 / pages;
}

/* The engines take turns run by run, so a slow moment of the machine hits all of them. */
static void measure_row(struct engines *en, const char *pattern, uint32_t cluster,
                        const struct options *o, struct bench_row *row)
{
    struct workload w;
    workload_make(&w, pattern, cluster, o->pages);
    row->pattern = pattern;
    row->cluster = cluster;
    struct measurement runs[ENGINES][RUNS_MAX], m;
    for (int e = 0; e < ENGINES; e++) {
        row->e[e].unavailable = en->unavailable[e];
        if (!en->unavailable[e])
            run_once(en, (enum engine)e, &w, &m);   /* warm-up, not counted */
    }
    for (unsigned r = 0; r < o->runs; r++) {
        for (int e = 0; e < ENGINES; e++) {
            if (en->unavailable[e])
                continue;
            run_once(en, (enum engine)e, &w, &runs[e][r]);
        }
    }
    for (int e = 0; e < ENGINES; e++)
        if (!en->unavailable[e])
            summarize(runs[e], o->runs, o->pages, &row->e[e]);
    fprintf(stderr, "  %-10s cluster %2u done\n", pattern, cluster);
    workload_free(&w);
}

int main(int argc, char **argv)
{
    struct options o;
    parse_options(argc, argv, &o);
    struct bench_info info = { .pages = o.pages, .runs = o.runs };
    bench_info_fill_machine(&info);
    const char *tmp = getenv("TMPDIR");
    info.file_dir = tmp && *tmp ? tmp : "/tmp";

    struct pagefile pf;
    char why[256];
    if (pagefile_open(&pf, NULL, (uint64_t)(o.pages + 1) * PAGE, why, sizeof(why)) < 0)
        errx(1, "%s", why);
    info.write_pages_per_sec = fill_pagefile(&pf, o.pages);

    struct engines en;
    engines_create(&en, &pf, o.pages);
    info.main_cpu = en.main_cpu;
    info.other_cpu = en.other_cpu;
    if (en.vm)
        vm_path_calibrate(en.vm, &info.exit_us, &info.insn_ns);
    static const char *const patterns[] = { "sequential", "random" };
    static const uint32_t clusters[] = { 1, PV_PAGEFILE_CLUSTER_MAX };
    struct bench_row rows[4];
    size_t nrows = 0;
    for (size_t p = 0; p < 2; p++)
        for (size_t c = 0; c < 2; c++)
            measure_row(&en, patterns[p], clusters[c], &o, &rows[nrows++]);

    report_table(stdout, &info, rows, nrows);
    if (o.json) {
        FILE *f = fopen(o.json, "w");
        if (!f)
            err(1, "fopen %s", o.json);
        report_json(f, &info, rows, nrows);
        if (fclose(f) != 0)
            err(1, "writing %s", o.json);
        printf("saved %s\n", o.json);
    }
    if (pf.stats.failed_calls || pf.stats.rejected_calls)
        errx(1, "the pagefile failed %llu calls during the benchmark",
             (unsigned long long)(pf.stats.failed_calls + pf.stats.rejected_calls));
    engines_destroy(&en);
    pagefile_close(&pf);
    return 0;
}
