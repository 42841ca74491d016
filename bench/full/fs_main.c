/*
 * fs_main.c - `full-system`: the full-system benchmark of `make bench` (issue 4). Runs the
 * pagevisor guest's demand-zero and page-in workloads (bench/images/) and the peers on this
 * kernel side by side, run by run, and reports medians, ratios and VM exits per fault.
 *
 * What is timed:
 *   pagevisor: the guest's own loop, by the time stamp counter read in ring 3 right before and
 *     after it (rdtsc), converted with the TSC rate measured here against CLOCK_MONOTONIC_RAW.
 *     It includes everything that happens while the loop runs: the guest's #PF handling and
 *     page zeroing, the trace-ring flush exits, and any VM exit KVM takes meanwhile (nested
 *     page faults, host interrupts), since the TSC runs on through them. It excludes booting,
 *     loading and the commit/release calls around the loop. As a cross-check, the whole runs
 *     are timed from here too: (median run - median baseline run) / pages, where the baseline
 *     run does everything but the loop.
 *   peers: the same loop in a process here, by CLOCK_MONOTONIC_RAW.
 * VM exits of the loop: in separate counting runs (untimed, traced), every exit KVM took while
 *   the loop ran, by reason, including those it handles in the kernel, and those of them that
 *   went out to pagevisor (the kvm_exit and kvm_userspace_exit tracepoints, placed on the
 *   guest's TSC); pagevisor's own counters (faults by kind, pagefile traffic, exits) of the
 *   counting run minus those of a baseline run that differs by the loop alone.
 *
 * Usage: full-system [options], see usage().
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "fs.h"

struct options {
    const char *pagevisor, *kernel, *images, *json, *text, *where, *host, *when;
    unsigned runs, timeout;
    uint32_t dz_pages, pagein_pages;
    const char *dz_mem, *pagein_mem;
    const char *swap_device, *load_module;
    bool swap_loop, kvm_exits, verbose;
};

#define LINUX_SAMPLES_PER_ROUND 3
/* Every peer takes a short untimed sample right before its timed ones in each round (the
 * guest's warm mode has its own warm-up pass), so that what ran in between (the pagevisor
 * runs) does not land on the peer's first timed faults. */
#define WARMUP_PAGES 512u
#define SAMPLES_MAX (FS_RUNS_MAX * LINUX_SAMPLES_PER_ROUND)

static bool verbose;
static double tsc_hz_guess;   /* for --verbose lines before the final rate is known */

/* A guest workload: the measured run and its baseline (the same run without the loop), for
 * timing and for counting (where nothing but the loop may differ: no check afterwards). */
struct guest_cfg {
    enum fs_row row;
    const char *image, *mem;
    const char *pv_args[3];    /* page-ins: --cmdline pv.readaroundmax=N */
    char cmdline[48];
    const char *args[5], *base_args[5], *count_args[5], *count_base_args[5];
    char pages[16];
};

static void usage(void)
{
    fprintf(stderr,
            "usage: full-system [options]\n"
            "  --pagevisor PATH   the pagevisor to run (default: pagevisor on PATH)\n"
            "  --kernel PATH      guest kernel (default build/guest/kernel.elf)\n"
            "  --images DIR       bench images (default build/bench/images)\n"
            "  --runs N           timed runs of everything, the median is reported (default 5)\n"
            "  --dz-pages N       pages the demand-zero loop touches (default 8192)\n"
            "  --dz-mem SIZE      guest RAM for it (default: the pages plus 8 MiB)\n"
            "  --pagein-pages N   pages of the page-in workload, a power of two (default 4096)\n"
            "  --pagein-mem SIZE  guest RAM for it (default 4M)\n"
            "  --timeout SEC      limit per pagevisor run (default 300)\n"
            "  --swap-device DEV  a block device to swap on for the Linux swap-in peer (root;\n"
            "                     formatted and swapped on for the run, swapped off after)\n"
            "  --swap-loop        swap on a loop device over a file in TMPDIR instead (root)\n"
            "  --load-module KO   load the kernel module KO first (the runner's loop.ko)\n"
            "  --no-kvm-exits     do not count KVM's exits through the kvm_exit tracepoint\n"
            "  --verbose          print every sample as it is taken\n"
            "  --json PATH, --text PATH   also write the results there\n"
            "  --where TEXT, --host TEXT, --when TEXT   where it runs, what the host is, when\n");
    exit(2);
}

static void parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){
        .pagevisor = "pagevisor", .kernel = "build/guest/kernel.elf",
        .images = "build/bench/images", .runs = 5, .timeout = 300, .dz_pages = 8192,
        .pagein_pages = 4096, .pagein_mem = "4M", .kvm_exits = true,
        .where = "directly on this machine",
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-kvm-exits") || !strcmp(a, "--verbose") ||
            !strcmp(a, "--swap-loop")) {
            if (a[2] == 'n')
                o->kvm_exits = false;
            else if (a[2] == 'v')
                o->verbose = true;
            else
                o->swap_loop = true;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--pagevisor"))
            o->pagevisor = v;
        else if (!strcmp(a, "--kernel"))
            o->kernel = v;
        else if (!strcmp(a, "--images"))
            o->images = v;
        else if (!strcmp(a, "--runs"))
            o->runs = (unsigned)bench_number(a, v, FS_RUNS_MAX);
        else if (!strcmp(a, "--dz-pages"))
            o->dz_pages = (uint32_t)bench_number(a, v, 200000);
        else if (!strcmp(a, "--dz-mem"))
            o->dz_mem = v;
        else if (!strcmp(a, "--pagein-pages"))
            o->pagein_pages = (uint32_t)bench_number(a, v, 1u << 18);
        else if (!strcmp(a, "--pagein-mem"))
            o->pagein_mem = v;
        else if (!strcmp(a, "--timeout"))
            o->timeout = (unsigned)bench_number(a, v, 86400);
        else if (!strcmp(a, "--json"))
            o->json = v;
        else if (!strcmp(a, "--text"))
            o->text = v;
        else if (!strcmp(a, "--where"))
            o->where = v;
        else if (!strcmp(a, "--host"))
            o->host = v;
        else if (!strcmp(a, "--when"))
            o->when = v;
        else if (!strcmp(a, "--swap-device"))
            o->swap_device = v;
        else if (!strcmp(a, "--load-module"))
            o->load_module = v;
        else
            usage();
    }
    if (o->pagein_pages & (o->pagein_pages - 1))
        errx(2, "--pagein-pages: %u is not a power of two", o->pagein_pages);
}

/* ------------------------------------------------------------------------- machine facts */

static void first_value(const char *file, const char *key, char *out, size_t len)
{
    FILE *f = fopen(file, "r");
    char line[512];
    snprintf(out, len, "unknown");
    while (f && fgets(line, sizeof(line), f)) {
        const char *colon = strchr(line, ':');
        if (strncmp(line, key, strlen(key)) || !colon)
            continue;
        snprintf(out, len, "%s", colon + 2);
        out[strcspn(out, "\n")] = '\0';
        break;
    }
    if (f)
        fclose(f);
}

static void fill_info(struct fs_info *info, const struct options *o)
{
    first_value("/proc/cpuinfo", "model name", info->cpu, sizeof(info->cpu));
    size_t n = strlen(info->cpu);
    snprintf(info->cpu + n, sizeof(info->cpu) - n, ", %ld CPU%s", sysconf(_SC_NPROCESSORS_ONLN),
             sysconf(_SC_NPROCESSORS_ONLN) == 1 ? "" : "s");
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(info->kernel, sizeof(info->kernel), "Linux %s", u.release);
    snprintf(info->kvm, sizeof(info->kvm), "none");
    static const char *const mods[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
    for (size_t i = 0; i < 3; i++) {
        char p[64];
        snprintf(p, sizeof(p), "/sys/module/%s", mods[i]);
        if (access(p, F_OK) == 0)
            snprintf(info->kvm, sizeof(info->kvm), "%s", mods[i]);
    }
    if (access("/dev/kvm", F_OK) != 0)
        snprintf(info->kvm, sizeof(info->kvm), "none (no /dev/kvm)");
    if (o->when)
        snprintf(info->when, sizeof(info->when), "%s", o->when);
    else {
        time_t now = time(NULL);
        strftime(info->when, sizeof(info->when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    }
    snprintf(info->where, sizeof(info->where), "%s", o->where);
    snprintf(info->host, sizeof(info->host), "%s", o->host ? o->host : "");
    info->runs = o->runs;
}

/* ------------------------------------------------------------------------------ the runs */

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median (the upper middle for an even count) and (max - min) / median. */
static double median(const double *v, unsigned n, double *spread)
{
    double s[SAMPLES_MAX];
    memcpy(s, v, n * sizeof(*v));
    qsort(s, n, sizeof(*s), by_double);
    if (spread)
        *spread = s[n / 2] > 0 ? (s[n - 1] - s[0]) / s[n / 2] : 0;
    return s[n / 2];
}

/* Min, median and max of n samples. */
static struct fs_stat stat_of(const double *v, unsigned n)
{
    struct fs_stat st = { 0, 0, 0 };
    if (n == 0)
        return st;
    st.med = median(v, n, NULL);
    st.lo = st.hi = v[0];
    for (unsigned i = 1; i < n; i++) {
        st.lo = v[i] < st.lo ? v[i] : st.lo;
        st.hi = v[i] > st.hi ? v[i] : st.hi;
    }
    return st;
}

static bool run_ok(const struct pv_run *r)
{
    return r->status == 0 && r->have_line && r->bad == 0;
}

struct guest_row_runs {
    struct pv_run timed[FS_RUNS_MAX];
    double base_wall[FS_RUNS_MAX];
    unsigned n;
    char why[512];
};

/* One timed run and one baseline; false (with the reason kept) when either failed. */
/* The run options of a workload: the common ones, or the row's own (its read cluster). */
static struct pv_env row_env(const struct pv_env *env, const struct guest_cfg *c)
{
    struct pv_env e = *env;
    if (c->pv_args[0])
        e.pv_args = c->pv_args;
    return e;
}

static bool guest_round(const struct pv_env *common, const struct guest_cfg *c,
                        struct guest_row_runs *g)
{
    struct pv_env e = row_env(common, c), *env = &e;
    struct pv_run r, b;
    pv_run(env, c->mem, c->image, c->args, false, &r);
    if (!run_ok(&r)) {
        snprintf(g->why, sizeof(g->why), "%s", r.why);
        return false;
    }
    pv_run(env, c->mem, c->image, c->base_args, false, &b);
    if (!run_ok(&b)) {
        snprintf(g->why, sizeof(g->why), "%s", b.why);
        return false;
    }
    if (verbose)
        fprintf(stderr, "    %s %s %s: loop %.2f us/page; run %.3f s, baseline %.3f s\n",
                c->image, c->args[0], c->args[1], (double)r.cycles / tsc_hz_guess * 1e6 / r.pages,
                r.wall_seconds, b.wall_seconds);
    if (g->n < FS_RUNS_MAX) {
        g->timed[g->n] = r;
        g->base_wall[g->n] = b.wall_seconds;
        g->n++;
    }
    return true;
}

static void summarize_guest(const struct guest_cfg *c, struct guest_row_runs *g, double tsc_hz,
                            struct fs_row_result *res, bool *tsc_inconsistent)
{
    double secs[FS_RUNS_MAX], walls[FS_RUNS_MAX], rates[FS_RUNS_MAX];
    for (unsigned i = 0; i < g->n; i++) {
        secs[i] = (double)g->timed[i].cycles / tsc_hz;
        rates[i] = g->timed[i].pages / secs[i];
        walls[i] = g->timed[i].wall_seconds;
        if (secs[i] > walls[i])   /* the loop cannot take longer than the whole run */
            *tsc_inconsistent = true;
    }
    res->seconds = median(secs, g->n, &res->spread);
    const struct pv_run *m = &g->timed[0];
    for (unsigned i = 0; i < g->n; i++)
        if ((double)g->timed[i].cycles / tsc_hz == res->seconds)
            m = &g->timed[i];
    res->pages = m->pages;
    res->mem = c->mem;
    res->per_sec = m->pages / res->seconds;
    res->rate = stat_of(rates, g->n);
    res->faults = m->faults;
    memcpy(res->kinds, m->kinds, sizeof(res->kinds));
    res->faults_per_page = m->pages ? (double)m->faults / m->pages : 0;
    /* The cross-check from outside: each round's run minus its baseline, the median; it
     * means something only when it stands out of the baselines' own run-to-run noise. */
    double diffs[FS_RUNS_MAX], lo = g->base_wall[0], hi = g->base_wall[0];
    for (unsigned i = 0; i < g->n; i++) {
        diffs[i] = walls[i] - g->base_wall[i];
        lo = g->base_wall[i] < lo ? g->base_wall[i] : lo;
        hi = g->base_wall[i] > hi ? g->base_wall[i] : hi;
    }
    res->host_diff_seconds = median(diffs, g->n, NULL);
    res->host_noise_seconds = hi - lo;
    res->host_timed_per_sec = res->host_diff_seconds > res->host_noise_seconds
                                  ? m->pages / res->host_diff_seconds : 0;
}

/* Counting runs: the measured run and its baseline once more, traced, KVM's exits counted. */
static void count_guest(const struct pv_env *common, const struct guest_cfg *c,
                        struct fs_row_result *res)
{
    struct pv_env e = row_env(common, c), *env = &e;
    struct pv_run r, b;
    pv_run(env, c->mem, c->image, c->count_args, true, &r);
    pv_run(env, c->mem, c->image, c->count_base_args, true, &b);
    if (!run_ok(&r) || !run_ok(&b) || !r.have_stats || !b.have_stats) {
        fprintf(stderr, "full-system: the counting runs of %s %s failed: %s\n", c->image,
                c->args[0], !run_ok(&r) ? r.why : b.why);
        return;
    }
    res->have_counts = true;
    res->count_loop_faults = r.faults;
    res->d_faults = r.faults_total - b.faults_total;
    for (unsigned k = 0; k < PV_FAULT_RESOLUTION_MAX; k++)
        res->d_kinds[k] = r.kinds_total[k] - b.kinds_total[k];
    res->d_vm_exits = r.vm_exits - b.vm_exits;
    res->d_hypercalls = r.hypercalls - b.hypercalls;
    res->d_pf_pages_read = r.pf_pages_read - b.pf_pages_read;
    res->d_pf_read_calls = r.pf_read_calls - b.pf_read_calls;
    res->d_pf_pages_written = r.pf_pages_written - b.pf_pages_written;
    res->d_pf_write_calls = r.pf_write_calls - b.pf_write_calls;
    res->ram_backed_kib = r.ram_backed_kib;
    res->have_kvm = r.have_kvm_exits;
    res->kvm = r.kvm;
    snprintf(res->kvm_why, sizeof(res->kvm_why), "%s", r.kvm_why);
}

struct peer_runs {
    double secs[SAMPLES_MAX];
    struct peer_sample s[SAMPLES_MAX];
    unsigned n;
    double round_secs[FS_RUNS_MAX];   /* the median sample of each round */
    unsigned rounds, round_first;     /* rounds closed; first sample of the open round */
};

/* The round is over: keep its median sample. */
static void peer_end_round(struct peer_runs *p)
{
    if (p->n > p->round_first && p->rounds < FS_RUNS_MAX)
        p->round_secs[p->rounds++] = median(p->secs + p->round_first, p->n - p->round_first,
                                            NULL);
    p->round_first = p->n;
}

static void peer_keep(struct peer_runs *p, const struct peer_sample *s, const char *name,
                      uint32_t pages)
{
    if (verbose)
        fprintf(stderr, "    %s: %.2f us/page\n", name, s->seconds * 1e6 / pages);
    if (p->n < SAMPLES_MAX) {
        p->s[p->n] = *s;
        p->secs[p->n] = s->seconds;
        p->n++;
    }
}

static void summarize_peer(struct peer_runs *p, uint32_t pages, struct fs_peer_result *res)
{
    double sec = median(p->secs, p->n, &res->spread);
    const struct peer_sample *m = &p->s[0];
    for (unsigned i = 0; i < p->n; i++)
        if (p->secs[i] == sec)
            m = &p->s[i];
    res->pages = pages;
    res->per_sec = pages / sec;
    double rates[FS_RUNS_MAX];
    for (unsigned i = 0; i < p->rounds; i++)
        rates[i] = pages / p->round_secs[i];
    res->rate = stat_of(rates, p->rounds);
    for (unsigned i = 0; i < p->n; i++)
        res->resident = p->s[i].resident > res->resident ? p->s[i].resident : res->resident;
    res->faults_per_page = (double)m->faults / pages;
    res->events_per_page = (double)m->events / pages;
}

/* The peer a row is compared with, the one that does the same work: Linux's own demand-zero
 * fault for warm frames (a fault that in a VM never reaches the host either); for cold frames,
 * whose first touch does reach the host, the faster userfaultfd zero-page server (never the
 * slower: the peer is not tuned down); for page-ins, Linux's swap-in at the same cluster. */
static int peer_of(int r, const struct fs_peer_result *p)
{
    if (r == ROW_DZ_WARM)
        return PEER_LINUX_DZ;
    if (fs_row_is_pagein(r))
        return PEER_SWAP_SEQ_1 + (r - ROW_PAGEIN_SEQ_1);
    if (p[PEER_UFFD_ZEROPAGE].unavailable)
        return PEER_UFFD_COPY;
    if (p[PEER_UFFD_COPY].unavailable)
        return PEER_UFFD_ZEROPAGE;
    return p[PEER_UFFD_COPY].per_sec > p[PEER_UFFD_ZEROPAGE].per_sec ? PEER_UFFD_COPY
                                                                     : PEER_UFFD_ZEROPAGE;
}

/* Page-ins one page per fault are also set against userfaultfd serving a file, one page per
 * fault; -1 for every other row (userfaultfd's file peer has no readahead to match). */
static int uffd_peer_of(int r)
{
    if (r == ROW_PAGEIN_SEQ_1)
        return PEER_UFFD_FILE_SEQ;
    return r == ROW_PAGEIN_RANDOM_1 ? PEER_UFFD_FILE_RANDOM : -1;
}

/* The guest's rate over the peer's, round by round; min, median, max. 0s when either is
 * missing. */
static struct fs_stat paired_ratio(const struct guest_row_runs *g, double tsc_hz,
                                   const struct peer_runs *p, const struct fs_peer_result *pr)
{
    double ratios[FS_RUNS_MAX];
    unsigned n = 0;
    if (pr->unavailable)
        return (struct fs_stat){ 0, 0, 0 };
    for (unsigned i = 0; i < g->n && i < p->rounds; i++) {
        double guest = g->timed[i].pages / ((double)g->timed[i].cycles / tsc_hz);
        double peer = pr->pages / p->round_secs[i];
        ratios[n++] = guest / peer;
    }
    return stat_of(ratios, n);
}

/* The page-in peer: a userfaultfd handler serving pages from a file (bench/uffd_peer.c). */
struct file_peer {
    int fd;
    uint64_t bytes;
    struct uffd_peer *uffd;
    struct workload w[3];   /* sequential, random, a short warm-up; one page per fault */
};

static void file_peer_sample(struct file_peer *fp, int which, struct peer_sample *s)
{
    struct measurement m = { 0 };
    warm_page_cache(fp->fd, fp->bytes);
    uffd_peer_run(fp->uffd, &fp->w[which], &m);
    uint32_t bad = region_check(uffd_peer_region(fp->uffd), fp->w[which].pages);
    if (bad)
        errx(1, "userfaultfd file peer served wrong data for page %u", bad);
    *s = (struct peer_sample){ .seconds = m.seconds, .events = m.exits };
}

static const char *file_peer_create(struct file_peer *fp, const char *dir, uint32_t pages,
                                    char *why, size_t whylen)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/pagein-peer.dat", dir);
    fp->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fp->fd < 0)
        err(1, "%s", path);
    unlink(path);
    fp->bytes = (uint64_t)(pages + 1) * PAGE;
    uint8_t *page = aligned_alloc(PAGE, PAGE);
    for (uint32_t s = 1; s <= pages; s++) {
        page_fill(page, s);
        if (pwrite(fp->fd, page, PAGE, (off_t)s * PAGE) != PAGE)
            err(1, "writing the page-in peer's file");
    }
    free(page);
    workload_make(&fp->w[0], "sequential", 1, pages);
    workload_make(&fp->w[1], "random", 1, pages);
    workload_make(&fp->w[2], "sequential", 1, pages < WARMUP_PAGES ? pages : WARMUP_PAGES);
    fp->uffd = uffd_peer_create(fp->fd, pages, why, whylen);
    return fp->uffd ? NULL : why;
}

/* Load a kernel module (the runner's loop.ko) with finit_module: the runner's userland is
 * busybox, with no modprobe that knows its modules. Already loaded is fine. */
static int load_module(const char *ko, char *why, size_t whylen)
{
    const char *params = "";
    int fd = open(ko, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", ko, strerror(errno));
        return -1;
    }
    long rc = syscall(SYS_finit_module, fd, params, 0);
    int e = errno;
    close(fd);
    if (rc != 0 && e != EEXIST) {
        snprintf(why, whylen, "loading %s: %s", ko, strerror(e));
        return -1;
    }
    return 0;
}

/* One sample of a swap-in peer (with its cluster set first); kept when runs is given. A peer
 * that cannot push its pages out is reported unavailable from then on. */
static void swap_sample(struct fs_peer_result *pr, int p, uint32_t pages, struct peer_runs *runs,
                        struct peer_sample *s)
{
    static char why[FS_PEERS][256];
    if (pr->unavailable)
        return;
    swap_peer_set_cluster(pr->cluster);
    if (swap_peer_run(pages, fs_row_is_random(ROW_PAGEIN_SEQ_1 + (p - PEER_SWAP_SEQ_1)), s,
                      why[p], sizeof(why[p])) != 0) {
        pr->unavailable = why[p];
        fprintf(stderr, "  swap-in peer unavailable: %s\n", why[p]);
        return;
    }
    if (runs)
        peer_keep(runs, s, "swap-in", pages);
}

int main(int argc, char **argv)
{
    struct options o;
    parse_options(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);
    double started = fs_now();

    static struct fs_info info;
    fill_info(&info, &o);
    info.tsc_hz_start = fs_tsc_hz(250);
    tsc_hz_guess = info.tsc_hz_start;
    verbose = o.verbose;

    char dz_mem[32];
    if (!o.dz_mem) {
        snprintf(dz_mem, sizeof(dz_mem), "%uM", (o.dz_pages + 1023) / 256 + 8);
        o.dz_mem = dz_mem;
    }
    const char *tmp = getenv("TMPDIR");
    char tmpdir[512];
    snprintf(tmpdir, sizeof(tmpdir), "%s/pv-full-system.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpdir))
        err(1, "mkdtemp %s", tmpdir);

    struct pv_env env = { .pagevisor = o.pagevisor, .kernel = o.kernel, .images = o.images,
                          .tmpdir = tmpdir, .timeout = o.timeout };
    if (!o.kvm_exits)
        snprintf(info.kvm_why, sizeof(info.kvm_why), "not counted (--no-kvm-exits)");
    else if (kvm_tracer_open(info.kvm_why, sizeof(info.kvm_why)) == 0)
        env.count_kvm_exits = true;

    /* The workloads. */
    static struct guest_cfg cfg[FS_ROWS];
    for (int r = 0; r < FS_ROWS; r++) {
        struct guest_cfg *c = &cfg[r];
        c->row = (enum fs_row)r;
        bool dz = !fs_row_is_pagein(r);
        snprintf(c->pages, sizeof(c->pages), "%u", dz ? o.dz_pages : o.pagein_pages);
        c->image = dz ? "bench-dz.elf" : "bench-pagein.elf";
        c->mem = dz ? o.dz_mem : o.pagein_mem;
        const char *how = r == ROW_DZ_WARM ? "warm" : dz ? "cold" :
                          fs_row_is_random(r) ? "random" : "seq";
        if (r == ROW_DZ_COLD_THP) {   /* the host's huge pages under guest RAM */
            c->pv_args[0] = "--thp";
            c->pv_args[1] = "always";
        }
        if (!dz) {   /* the window at most; the first read its default (3) or less */
            unsigned w = fs_row_cluster(r);
            snprintf(c->cmdline, sizeof(c->cmdline), "pv.readaroundmax=%u%s", w,
                     w < 3 ? " pv.readcluster=1" : "");
            c->pv_args[0] = "--cmdline";
            c->pv_args[1] = c->cmdline;
        }
        const char *a[] = { c->pages, how, "1", NULL, NULL }, *b[] = { c->pages, how, "0", NULL,
                                                                        NULL };
        memcpy(c->args, a, sizeof(a));
        memcpy(c->base_args, b, sizeof(b));
        if (dz)
            a[3] = b[3] = "0";   /* bench-dz: CHECK 0 */
        memcpy(c->count_args, a, sizeof(a));
        memcpy(c->count_base_args, b, sizeof(b));
    }
    static struct fs_row_result rows[FS_ROWS];
    static struct guest_row_runs gruns[FS_ROWS];

    /* The peers. */
    static struct fs_peer_result peers[FS_PEERS];
    static struct peer_runs pruns[FS_PEERS];
    char why_zp[256], why_copy[256], why_file[256];
    struct uffd_zero *zp = uffd_zero_create(o.dz_pages, UFFD_ZEROPAGE, why_zp, sizeof(why_zp));
    struct uffd_zero *cp = uffd_zero_create(o.dz_pages, UFFD_COPY_ZEROS, why_copy,
                                            sizeof(why_copy));
    struct file_peer fp = { 0 };
    const char *file_why = file_peer_create(&fp, tmpdir, o.pagein_pages, why_file,
                                            sizeof(why_file));
    peers[PEER_UFFD_ZEROPAGE].unavailable = zp ? NULL : why_zp;
    peers[PEER_UFFD_COPY].unavailable = cp ? NULL : why_copy;
    peers[PEER_UFFD_FILE_SEQ].unavailable = peers[PEER_UFFD_FILE_RANDOM].unavailable = file_why;
    /* Linux's swap-in: on the device given, or on a RAM disk loaded for it. */
    char why_swap[256] = "no swap of its own: --swap-loop or --swap-device DEV, as root "
                         "(bench/full-system.sh gives --swap-loop in the KVM runner VM)";
    char loop_dev[64];
    bool swap = false;
    const char *swap_dev = o.swap_device;
    if (o.load_module && load_module(o.load_module, why_swap, sizeof(why_swap)) != 0)
        fprintf(stderr, "full-system: %s\n", why_swap);
    else if (!swap_dev && o.swap_loop &&
             swap_loop_create(tmp && *tmp ? tmp : "/tmp", o.pagein_pages, loop_dev,
                              sizeof(loop_dev), why_swap, sizeof(why_swap)) == 0)
        swap_dev = loop_dev;
    if (swap_dev)
        swap = swap_peer_open(swap_dev, o.pagein_pages, why_swap, sizeof(why_swap)) == 0;
    for (int p = PEER_SWAP_SEQ_1; p <= PEER_SWAP_RANDOM_16; p++) {
        int r = ROW_PAGEIN_SEQ_1 + (p - PEER_SWAP_SEQ_1);
        peers[p].unavailable = swap ? NULL : why_swap;
        peers[p].cluster = swap ? swap_peer_set_cluster(fs_row_cluster(r)) : fs_row_cluster(r);
    }

    printf("full system: %s; %u timed runs of each, side by side\n", o.where, o.runs);
    /* Warm-up (not counted): each workload once; one that fails now is reported unavailable
     * with its reason and left out. */
    for (int r = 0; r < FS_ROWS; r++) {
        struct pv_run w;
        struct pv_env e = row_env(&env, &cfg[r]);
        pv_run(&e, cfg[r].mem, cfg[r].image, cfg[r].args, false, &w);
        if (!run_ok(&w)) {
            snprintf(gruns[r].why, sizeof(gruns[r].why), "%s", w.why);
            rows[r].unavailable = gruns[r].why;
            fprintf(stderr, "  %s %s: unavailable: %s\n", cfg[r].image, cfg[r].args[1], w.why);
        }
    }
    struct peer_sample s;
    linux_dz_run(o.dz_pages, &s);
    if (zp)
        uffd_zero_run(zp, o.dz_pages, &s);
    if (cp)
        uffd_zero_run(cp, o.dz_pages, &s);
    if (!file_why) {
        file_peer_sample(&fp, 0, &s);
        file_peer_sample(&fp, 1, &s);
    }
    for (int p = PEER_SWAP_SEQ_1; p <= PEER_SWAP_RANDOM_16 && swap; p++)
        swap_sample(&peers[p], p, o.pagein_pages, NULL, &s);

    /* Timed rounds: everything once per round, so a slow moment hits every engine. */
    bool failed = false;
    for (unsigned round = 0; round < o.runs; round++) {
        for (int r = 0; r < FS_ROWS; r++) {
            if (rows[r].unavailable)
                continue;
            if (!guest_round(&env, &cfg[r], &gruns[r])) {
                rows[r].unavailable = gruns[r].why;   /* it worked in the warm-up: say so */
                fprintf(stderr, "  %s %s failed in round %u: %s\n", cfg[r].image,
                        cfg[r].args[1], round + 1, gruns[r].why);
                failed = true;
            }
        }
        /* Linux's loop is short and its time varies most from sample to sample here: three
         * samples a round, so its median rests on more of them. */
        linux_dz_run(o.dz_pages, &s);   /* cheap: as long as a timed sample */
        for (int k = 0; k < LINUX_SAMPLES_PER_ROUND; k++) {
            linux_dz_run(o.dz_pages, &s);
            peer_keep(&pruns[PEER_LINUX_DZ], &s, "linux", o.dz_pages);
        }
        if (zp) {
            uffd_zero_run(zp, WARMUP_PAGES, &s);
            uffd_zero_run(zp, o.dz_pages, &s);
            peer_keep(&pruns[PEER_UFFD_ZEROPAGE], &s, "uffd zeropage", o.dz_pages);
        }
        if (cp) {
            uffd_zero_run(cp, WARMUP_PAGES, &s);
            uffd_zero_run(cp, o.dz_pages, &s);
            peer_keep(&pruns[PEER_UFFD_COPY], &s, "uffd copy", o.dz_pages);
        }
        if (!file_why) {
            file_peer_sample(&fp, 2, &s);
            file_peer_sample(&fp, 0, &s);
            peer_keep(&pruns[PEER_UFFD_FILE_SEQ], &s, "uffd file seq", o.pagein_pages);
            file_peer_sample(&fp, 2, &s);
            file_peer_sample(&fp, 1, &s);
            peer_keep(&pruns[PEER_UFFD_FILE_RANDOM], &s, "uffd file random",
                      o.pagein_pages);
        }
        for (int p = PEER_SWAP_SEQ_1; p <= PEER_SWAP_RANDOM_16 && swap; p++)
            swap_sample(&peers[p], p, o.pagein_pages, &pruns[p], &s);
        for (int p = 0; p < FS_PEERS; p++)
            peer_end_round(&pruns[p]);
        fprintf(stderr, "  round %u of %u done\n", round + 1, o.runs);
    }
    info.tsc_hz_end = fs_tsc_hz(250);
    info.tsc_hz = (info.tsc_hz_start + info.tsc_hz_end) / 2;

    for (int r = 0; r < FS_ROWS; r++) {
        if (rows[r].unavailable || gruns[r].n == 0)
            continue;
        summarize_guest(&cfg[r], &gruns[r], info.tsc_hz, &rows[r], &info.tsc_inconsistent);
        count_guest(&env, &cfg[r], &rows[r]);
    }
    if (env.count_kvm_exits)
        kvm_tracer_close();
    swap_peer_close();
    for (int p = 0; p < FS_PEERS; p++) {
        uint32_t pages = p >= PEER_UFFD_FILE_SEQ ? o.pagein_pages : o.dz_pages;
        if (!peers[p].unavailable && pruns[p].n)
            summarize_peer(&pruns[p], pages, &peers[p]);
        peers[p].pages = pages;
    }
    for (int r = 0; r < FS_ROWS; r++) {
        rows[r].peer = peer_of(r, peers);
        rows[r].uffd_peer = uffd_peer_of(r);
        if (rows[r].unavailable)
            continue;
        rows[r].vs_peer = paired_ratio(&gruns[r], info.tsc_hz, &pruns[rows[r].peer],
                                       &peers[rows[r].peer]);
        if (rows[r].uffd_peer >= 0)
            rows[r].vs_uffd = paired_ratio(&gruns[r], info.tsc_hz, &pruns[rows[r].uffd_peer],
                                           &peers[rows[r].uffd_peer]);
    }
    uffd_zero_destroy(zp);
    uffd_zero_destroy(cp);
    if (fp.uffd)
        uffd_peer_destroy(fp.uffd);
    close(fp.fd);
    for (int i = 0; i < 3; i++)
        workload_free(&fp.w[i]);
    static const char *const left[] = { "run.out", "run.err", "run.trace" };
    for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", tmpdir, left[i]);
        unlink(path);
    }
    rmdir(tmpdir);

    info.elapsed = fs_now() - started;
    fs_report_table(stdout, &info, rows, peers);
    if (o.text) {
        FILE *f = fopen(o.text, "w");
        if (!f)
            err(1, "%s", o.text);
        fs_report_table(f, &info, rows, peers);
        if (fclose(f))
            err(1, "writing %s", o.text);
    }
    if (o.json) {
        FILE *f = fopen(o.json, "w");
        if (!f)
            err(1, "%s", o.json);
        fs_report_json(f, &info, rows, peers);
        if (fclose(f))
            err(1, "writing %s", o.json);
    }
    return failed ? 1 : 0;
}
