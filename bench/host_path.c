/*
 * host_path.c - `make bench`: the host service path of demand paging (issue 4's first
 * benchmark). The same pages of the same file are served into memory three ways, side by side:
 * pagevisor's hypercall path through KVM_RUN exits and pagefile_io, a userfaultfd handler (the
 * Firecracker/QEMU way), and plain pread (the limit); sequential and random, in clusters of 1,
 * 3 (the guest kernel's base read cluster) and 16 pages per request on every side. Prints a
 * table (min, median and max of the runs; ratios run by run) and writes it as JSON.
 *
 * Usage: host-path [--pages N] [--runs N] [--json PATH] [--text PATH] [--where TEXT]
 *                  [--host TEXT] | --check
 * --check only tries the tiny guest on this host's KVM (bench/host-path.sh decides with it
 * whether to run here or in the KVM runner VM).
 */
#include <err.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "kvm.h"

/* The guest kernel's base read cluster for the small guests the benchmarks run (NT's
 * MmReadClusterSize for up to 13 MiB of RAM, guest/mm/mminit.c; pv.readcluster=N sets it). */
#define GUEST_READ_CLUSTER 3u

/* How long the check gives the tiny guest to make its hypercall and halt. */
#define CHECK_TIMEOUT_S 20

struct options {
    uint32_t pages;
    unsigned runs;
    bool check;
    const char *json, *text, *where, *host;
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
    fprintf(stderr, "usage: host-path [--pages N] [--runs N] [--json PATH] [--text PATH]\n"
            "                 [--where TEXT] [--host TEXT]\n"
            "       host-path --check\n"
            "  --pages N    pages served per run (default 32768); where a cluster does not divide\n"
            "               N, its last request is short (e.g. 32768 = 10922 x 3 + 2)\n"
            "  --runs N     timed runs per engine and row, 1-%u (default 5): min, median, max\n"
            "  --json PATH  also write the results there\n"
            "  --text PATH  also write the printed table there\n"
            "  --where TEXT where this runs, for the header (bench/host-path.sh says)\n"
            "  --host TEXT  a line about the host, for the header (the runner VM's host)\n"
            "  --check      only try the tiny guest on this host's KVM: one hypercall served and\n"
            "               checked; exit 0 if it runs, else 1 with the reason\n", RUNS_MAX);
    exit(2);
}

static void parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .pages = 32768, .runs = 5 };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--pages"))
            o->pages = (uint32_t)bench_number(arg, val, 500000), i++;
        else if (!strcmp(arg, "--runs"))
            o->runs = (unsigned)bench_number(arg, val, RUNS_MAX), i++;
        else if (!strcmp(arg, "--json") && val)
            o->json = val, i++;
        else if (!strcmp(arg, "--text") && val)
            o->text = val, i++;
        else if (!strcmp(arg, "--where") && val)
            o->where = val, i++;
        else if (!strcmp(arg, "--host") && val)
            o->host = val, i++;
        else if (!strcmp(arg, "--check"))
            o->check = true;
        else
            usage();
    }
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

/* The check's child: the tiny guest makes one PV_HC_PAGEFILE_IO hypercall for one page, served
 * and checked as in a run. Any failure ends it with a message on stderr (vm_path's errx). */
static int check_child(void)
{
    char why[256];
    int kvm_fd;
    if (kvm_open(&kvm_fd, why, sizeof(why)) != KVM_OPEN_OK)
        errx(1, "%s", why);
    struct pagefile pf;
    if (pagefile_open(&pf, NULL, 2 * PAGE, why, sizeof(why)) < 0)
        errx(1, "%s", why);
    fill_pagefile(&pf, 1);
    struct vm_path *v = vm_path_create(kvm_fd, &pf, 1);
    struct workload w;
    struct measurement m;
    workload_make(&w, "sequential", 1, 1);
    vm_path_run(v, &w, &m);
    if (region_check(vm_path_frames(v), 1))
        errx(1, "the guest's hypercall returned, but its frame does not hold the slot's data");
    return 0;
}

/* Can the tiny guest run on this host's KVM? Tried in a child process, so that a KVM that
 * kills the VM, refuses an ioctl or never returns from KVM_RUN costs only the child. Returns
 * true, or false with the reason in why. */
static bool guest_runs_here(char *why, size_t whylen)
{
    int pipefd[2];
    if (pipe(pipefd) < 0)
        err(1, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        err(1, "fork");
    if (pid == 0) {
        close(pipefd[0]);
        dup2(pipefd[1], STDERR_FILENO);
        _exit(check_child());
    }
    close(pipefd[1]);
    int status = 0;
    bool hung = false;
    for (int waited_ms = 0;; waited_ms += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r < 0 && errno != EINTR)
            err(1, "waitpid");
        if (r == pid)
            break;
        if (waited_ms >= CHECK_TIMEOUT_S * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            hung = true;
            break;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
    char msg[512];
    ssize_t n = read(pipefd[0], msg, sizeof(msg) - 1);
    close(pipefd[0]);
    msg[n > 0 ? n : 0] = '\0';
    msg[strcspn(msg, "\n")] = '\0';
    /* errx's "program: " prefix is ours, not part of the reason. */
    const char *reason = msg, *colon = strstr(msg, ": ");
    if (colon && !memchr(msg, ' ', (size_t)(colon - msg)))
        reason = colon + 2;
    if (hung)
        snprintf(why, whylen, "the tiny guest did not halt within %d s (KVM_RUN hung)",
                 CHECK_TIMEOUT_S);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    else if (*reason)
        snprintf(why, whylen, "%s", reason);
    else if (WIFSIGNALED(status))
        snprintf(why, whylen, "the check process died of signal %d", WTERMSIG(status));
    else
        snprintf(why, whylen, "the check process failed (status 0x%x)", status);
    return false;
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
    if (!guest_runs_here(en->vm_why, sizeof(en->vm_why)))
        en->unavailable[ENGINE_VM] = en->vm_why;
    else if (kvm_open(&kvm_fd, en->vm_why, sizeof(en->vm_why)) == KVM_OPEN_OK)
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

/* Run r of an engine, per page. */
static void record(struct engine_result *r, unsigned run, const struct measurement *m,
                   uint32_t pages)
{
    r->pages_per_sec[run] = pages / m->seconds;
    r->exits_per_page[run] = (double)m->exits / pages;
    r->run_us_per_page[run] = m->run_seconds * 1e6 / pages;
    r->service_us_per_page[run] = m->service_seconds * 1e6 / pages;
}

/* The engines take turns run by run, so a slow moment of the machine hits all of them. */
static void measure_row(struct engines *en, const char *pattern, uint32_t cluster,
                        const struct options *o, struct bench_row *row)
{
    struct workload w;
    workload_make(&w, pattern, cluster, o->pages);
    memset(row, 0, sizeof(*row));
    row->pattern = pattern;
    row->cluster = cluster;
    row->requests = w.nunits;
    row->last_count = o->pages - (uint32_t)(w.nunits - 1) * cluster;
    struct measurement m;
    for (int e = 0; e < ENGINES; e++) {
        row->e[e].unavailable = en->unavailable[e];
        if (!en->unavailable[e])
            run_once(en, (enum engine)e, &w, &m);   /* warm-up, not counted */
    }
    for (unsigned r = 0; r < o->runs; r++) {
        for (int e = 0; e < ENGINES; e++) {
            if (en->unavailable[e])
                continue;
            run_once(en, (enum engine)e, &w, &m);
            record(&row->e[e], r, &m, o->pages);
        }
    }
    fprintf(stderr, "  %-10s cluster %2u done\n", pattern, cluster);
    workload_free(&w);
}

static void save(const char *path, const struct bench_info *info, const struct bench_row *rows,
                 size_t nrows, bool json)
{
    FILE *f = fopen(path, "w");
    if (!f)
        err(1, "fopen %s", path);
    if (json)
        report_json(f, info, rows, nrows);
    else
        report_table(f, info, rows, nrows);
    if (fclose(f) != 0)
        err(1, "writing %s", path);
}

int main(int argc, char **argv)
{
    struct options o;
    parse_options(argc, argv, &o);
    if (o.check) {
        char why[512];
        if (!guest_runs_here(why, sizeof(why))) {
            fprintf(stderr, "host-path: the tiny guest cannot run on this host's KVM: %s\n", why);
            return 1;
        }
        printf("host-path: the tiny guest runs on this host's KVM (one PV_HC_PAGEFILE_IO "
               "hypercall served and checked)\n");
        return 0;
    }
    struct bench_info info = { .pages = o.pages, .runs = o.runs, .where = o.where,
                               .host = o.host };
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
    static const uint32_t clusters[] = { 1, GUEST_READ_CLUSTER, PV_PAGEFILE_CLUSTER_MAX };
    enum { NPATTERNS = sizeof(patterns) / sizeof(patterns[0]),
           NCLUSTERS = sizeof(clusters) / sizeof(clusters[0]) };
    static struct bench_row rows[NPATTERNS * NCLUSTERS];
    size_t nrows = 0;
    for (size_t p = 0; p < NPATTERNS; p++)
        for (size_t c = 0; c < NCLUSTERS; c++)
            measure_row(&en, patterns[p], clusters[c], &o, &rows[nrows++]);

    report_table(stdout, &info, rows, nrows);
    if (o.text)
        save(o.text, &info, rows, nrows, false);
    if (o.json)
        save(o.json, &info, rows, nrows, true);
    if (pf.stats.failed_calls || pf.stats.rejected_calls)
        errx(1, "the pagefile failed %llu calls during the benchmark",
             (unsigned long long)(pf.stats.failed_calls + pf.stats.rejected_calls));
    engines_destroy(&en);
    pagefile_close(&pf);
    return 0;
}
