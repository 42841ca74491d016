/*
 * appel.c - `build/bench/vm-primitives`: Appel and Li's user-level virtual-memory primitives (ASPLOS
 * 1991) measured in the pagevisor guest and, side by side on the same kernel, in Linux:
 *   TRAP+PROT1+UNPROT  protect one page, write it, the fault goes to a user handler that
 *                      unprotects it, the write is retried
 *   PROTN+TRAP+UNPROT  protect N pages at once, then the same trap and unprotect per page
 * The guest (bench/images/bench-appel.c) uses a vectored handler and NtProtectVirtualMemory,
 * timed by rdtsc in ring 3; Linux uses a SIGSEGV handler and mprotect, and a userfaultfd
 * write-protect handler thread (UFFDIO_WRITEPROTECT) where the kernel allows it. Rounds run
 * everything once each; per round trip times are medians over the rounds with their min-max,
 * the ratios are taken round by round. The guest's VM exits per trap come from separate
 * counting runs: pagevisor's own exit count and KVM's (kvm_exit tracepoint) while the loop
 * ran, minus a baseline run without the loop. Like full-system it must run where KVM runs the
 * guest (bench/appel.sh puts it in the KVM runner VM here).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "fs.h"

#define PAGE 4096u
#define ROUNDS_MAX 31

enum { P1, PN, NPRIM };
static const char *const prim_name[NPRIM] = { "TRAP+PROT1+UNPROT", "PROTN+TRAP+UNPROT" };
static const char *const prim_mode[NPRIM] = { "prot1", "protn" };

/* ------------------------------------------------------------------ Linux: SIGSEGV */

static uint8_t *seg_region;
static size_t seg_len;
static volatile uint64_t seg_traps;

static void segv_handler(int sig, siginfo_t *si, void *ctx)
{
    uintptr_t page = (uintptr_t)si->si_addr & ~(uintptr_t)(PAGE - 1);

    (void)ctx;
    if (page - (uintptr_t)seg_region >= seg_len) {
        signal(sig, SIG_DFL);
        return;                              /* not ours: fault again, die */
    }
    if (mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE) != 0)
        abort();
    seg_traps++;
}

static uint8_t *map_pages(uint32_t pages)
{
    uint8_t *r = mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (r == MAP_FAILED)
        err(1, "mmap %u pages", pages);
    (void)madvise(r, (size_t)pages * PAGE, MADV_NOHUGEPAGE);   /* 4 KiB pages, as the guest */
    for (uint32_t i = 0; i < pages; i++)
        r[(size_t)i * PAGE] = 0;
    return r;
}

static void check_writes(const uint8_t *r, uint32_t pages, const char *who)
{
    for (uint32_t i = 0; i < pages; i++)
        if (*(const volatile uint32_t *)(r + (size_t)i * PAGE) != i + 1)
            errx(1, "%s: page %u lost its write", who, i);
}

/* Seconds per round trip. */
static double linux_segv(int prim, uint32_t pages)
{
    struct sigaction sa = { .sa_sigaction = segv_handler, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0)
        err(1, "sigaction");
    seg_region = map_pages(pages);
    seg_len = (size_t)pages * PAGE;
    seg_traps = 0;
    mprotect(seg_region, PAGE, PROT_READ);   /* one untimed round trip */
    *(volatile uint32_t *)seg_region = 0;
    seg_traps = 0;
    double t0 = fs_now();
    if (prim == P1) {
        for (uint32_t i = 0; i < pages; i++) {
            if (mprotect(seg_region + (size_t)i * PAGE, PAGE, PROT_READ) != 0)
                err(1, "mprotect");
            *(volatile uint32_t *)(seg_region + (size_t)i * PAGE) = i + 1;
        }
    } else {
        if (mprotect(seg_region, seg_len, PROT_READ) != 0)
            err(1, "mprotect");
        for (uint32_t i = 0; i < pages; i++)
            *(volatile uint32_t *)(seg_region + (size_t)i * PAGE) = i + 1;
    }
    double t1 = fs_now();
    if (seg_traps != pages)
        errx(1, "SIGSEGV peer: %llu traps for %u pages", (unsigned long long)seg_traps, pages);
    check_writes(seg_region, pages, "SIGSEGV peer");
    munmap(seg_region, seg_len);
    signal(SIGSEGV, SIG_DFL);
    return (t1 - t0) / pages;
}

/* --------------------------------------------------------- Linux: userfaultfd write-protect */

struct uffd_wp {
    int fd;
    uint8_t *region;
    size_t len;
    volatile uint64_t traps;
    pthread_t thread;
};

static int wp_range(int fd, void *addr, size_t len, bool protect)
{
    struct uffdio_writeprotect wp = {
        .range = { .start = (uintptr_t)addr, .len = len },
        .mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
    };
    return ioctl(fd, UFFDIO_WRITEPROTECT, &wp);
}

static void *wp_handler(void *arg)
{
    struct uffd_wp *u = arg;
    struct uffd_msg msg;

    for (;;) {
        ssize_t n = read(u->fd, &msg, sizeof(msg));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(msg))
            return NULL;                       /* closed: done */
        if (msg.event != UFFD_EVENT_PAGEFAULT || !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
            abort();
        uintptr_t page = (uintptr_t)msg.arg.pagefault.address & ~(uintptr_t)(PAGE - 1);
        if (wp_range(u->fd, (void *)page, PAGE, false) != 0)   /* unprotect, wake */
            abort();
        u->traps++;
    }
}

/* NULL with the reason when the kernel does not allow it. */
static struct uffd_wp *uffd_wp_create(uint32_t pages, char *why, size_t whylen)
{
    struct uffd_wp *u = calloc(1, sizeof(*u));
    if (!u)
        err(1, "calloc");
    u->fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    if (u->fd < 0) {
        snprintf(why, whylen, "userfaultfd: %s", strerror(errno));
        free(u);
        return NULL;
    }
    struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
    if (ioctl(u->fd, UFFDIO_API, &api) != 0) {
        snprintf(why, whylen, "UFFDIO_API with write-protect faults: %s", strerror(errno));
        close(u->fd);
        free(u);
        return NULL;
    }
    u->len = (size_t)pages * PAGE;
    u->region = map_pages(pages);
    struct uffdio_register reg = {
        .range = { .start = (uintptr_t)u->region, .len = u->len },
        .mode = UFFDIO_REGISTER_MODE_WP,
    };
    if (ioctl(u->fd, UFFDIO_REGISTER, &reg) != 0) {
        snprintf(why, whylen, "UFFDIO_REGISTER_MODE_WP: %s", strerror(errno));
        munmap(u->region, u->len);
        close(u->fd);
        free(u);
        return NULL;
    }
    if (pthread_create(&u->thread, NULL, wp_handler, u) != 0)
        errx(1, "pthread_create");
    return u;
}

static double uffd_wp_run(struct uffd_wp *u, int prim, uint32_t pages)
{
    for (uint32_t i = 0; i < pages; i++)
        *(volatile uint32_t *)(u->region + (size_t)i * PAGE) = 0;
    u->traps = 0;
    double t0 = fs_now();
    if (prim == P1) {
        for (uint32_t i = 0; i < pages; i++) {
            if (wp_range(u->fd, u->region + (size_t)i * PAGE, PAGE, true) != 0)
                err(1, "UFFDIO_WRITEPROTECT");
            *(volatile uint32_t *)(u->region + (size_t)i * PAGE) = i + 1;
        }
    } else {
        if (wp_range(u->fd, u->region, (size_t)pages * PAGE, true) != 0)
            err(1, "UFFDIO_WRITEPROTECT");
        for (uint32_t i = 0; i < pages; i++)
            *(volatile uint32_t *)(u->region + (size_t)i * PAGE) = i + 1;
    }
    double t1 = fs_now();
    if (u->traps != pages)
        errx(1, "userfaultfd peer: %llu traps for %u pages", (unsigned long long)u->traps, pages);
    check_writes(u->region, pages, "userfaultfd peer");
    return (t1 - t0) / pages;
}

/* ------------------------------------------------------------------------------ driver */

/* Seconds per round trip as "31 us (18-33)"; ratios as "6.7x (5.9-8.5)": median (min-max),
 * digits as the spread allows. */
static void fmt_micros(char *out, size_t len, const double *seconds, unsigned runs)
{
    struct bench_range r;
    r.med = bench_median(seconds, runs, &r.lo, &r.hi);
    r = (struct bench_range){ r.lo * 1e6, r.med * 1e6, r.hi * 1e6 };
    char v[40];
    bench_fmt_range(v, sizeof(v), r, BENCH_MICROS);
    char *paren = strchr(v, ' ');   /* the unit after the median */
    if (paren)
        snprintf(out, len, "%.*s us%s", (int)(paren - v), v, paren);
    else
        snprintf(out, len, "%s us", v);
}

static void fmt_ratio(char *out, size_t len, const double *ratios, unsigned runs)
{
    struct bench_range r;
    r.med = bench_median(ratios, runs, &r.lo, &r.hi);
    bench_fmt_range(out, len, r, BENCH_RATIO);
}

static void usage(void)
{
    fprintf(stderr, "usage: appel [--pagevisor PATH] [--kernel PATH] [--images DIR] [--runs N]\n"
                    "             [--pages N] [--text PATH] [--where TEXT]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *pagevisor = "pagevisor", *kernel = "build/guest/kernel.elf",
               *images = "build/bench/images", *text = NULL, *where = "here";
    unsigned runs = 5;
    uint32_t pages = 1024;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--pagevisor")) pagevisor = v;
        else if (!strcmp(a, "--kernel")) kernel = v;
        else if (!strcmp(a, "--images")) images = v;
        else if (!strcmp(a, "--text")) text = v;
        else if (!strcmp(a, "--where")) where = v;
        else if (!strcmp(a, "--runs")) runs = (unsigned)bench_number(a, v, ROUNDS_MAX);
        else if (!strcmp(a, "--pages")) pages = (uint32_t)bench_number(a, v, 65536);
        else usage();
        i++;
    }
    if (runs == 0 || pages == 0)
        usage();

    char tmpdir[] = "/tmp/pv-appel.XXXXXX";
    if (!mkdtemp(tmpdir))
        err(1, "mkdtemp");
    struct pv_env env = { .pagevisor = pagevisor, .kernel = kernel, .images = images,
                          .tmpdir = tmpdir, .timeout = 600, .count_kvm_exits = true };
    char kvm_why[256] = "";
    if (kvm_tracer_open(kvm_why, sizeof(kvm_why)) != 0)
        env.count_kvm_exits = false;
    char mem[32], npages[16];
    snprintf(mem, sizeof(mem), "%uM", pages / 256 + 16);
    snprintf(npages, sizeof(npages), "%u", pages);
    char uffd_why[160] = "";
    struct uffd_wp *uffd = uffd_wp_create(pages, uffd_why, sizeof(uffd_why));

    double hz0 = fs_tsc_hz(200);
    double guest[NPRIM][ROUNDS_MAX], segv[NPRIM][ROUNDS_MAX], wp[NPRIM][ROUNDS_MAX],
           vs_segv[NPRIM][ROUNDS_MAX], vs_wp[NPRIM][ROUNDS_MAX];
    uint64_t cycles[NPRIM][ROUNDS_MAX];
    for (unsigned r = 0; r < runs; r++) {
        for (int p = 0; p < NPRIM; p++) {
            struct pv_run run;
            const char *args[] = { prim_mode[p], npages, NULL };
            pv_run(&env, mem, "bench-appel.elf", args, false, &run);
            if (run.status != 0 || !run.have_line)
                errx(1, "guest run failed: %s", run.why);
            cycles[p][r] = run.cycles;
            segv[p][r] = linux_segv(p, pages);
            wp[p][r] = uffd ? uffd_wp_run(uffd, p, pages) : 0;
        }
        fprintf(stderr, "appel: round %u of %u done\n", r + 1, runs);
    }
    double hz = (hz0 + fs_tsc_hz(200)) / 2;
    for (int p = 0; p < NPRIM; p++)
        for (unsigned r = 0; r < runs; r++) {
            guest[p][r] = (double)cycles[p][r] / hz / pages;
            vs_segv[p][r] = segv[p][r] / guest[p][r];
            vs_wp[p][r] = uffd ? wp[p][r] / guest[p][r] : 0;
        }

    /* Counting runs: the loop's exits, by pagevisor and by KVM, minus a baseline run. */
    struct pv_run base, counted[NPRIM];
    const char *base_args[] = { "none", npages, NULL };
    pv_run(&env, mem, "bench-appel.elf", base_args, true, &base);
    for (int p = 0; p < NPRIM; p++) {
        const char *args[] = { prim_mode[p], npages, NULL };
        pv_run(&env, mem, "bench-appel.elf", args, true, &counted[p]);
    }

    FILE *outs[2] = { stdout, text ? fopen(text, "w") : NULL };
    for (int o = 0; o < 2; o++) {
        FILE *f = outs[o];
        if (!f)
            continue;
        fprintf(f, "User-level VM primitives (Appel & Li), %u pages, %u rounds, %s\n", pages,
                runs, where);
        fprintf(f, "Per round trip: median (min-max) over the rounds; ratio = peer time / "
                   "pagevisor time, round by round (above 1: pagevisor is faster).\n\n");
        fprintf(f, "%-18s %-22s %-22s %-22s %-16s %-16s %s\n", "primitive",
                "pagevisor (VEH)", "Linux SIGSEGV", "Linux uffd-wp", "vs SIGSEGV", "vs uffd-wp",
                "exits/trap (VMM, KVM)");
        for (int p = 0; p < NPRIM; p++) {
            char g[48], s[48], w[48], rs[48], rw[48], ex[600];
            fmt_micros(g, sizeof(g), guest[p], runs);
            fmt_micros(s, sizeof(s), segv[p], runs);
            fmt_ratio(rs, sizeof(rs), vs_segv[p], runs);
            if (uffd) {
                fmt_micros(w, sizeof(w), wp[p], runs);
                fmt_ratio(rw, sizeof(rw), vs_wp[p], runs);
            } else {
                snprintf(w, sizeof(w), "unavailable");
                snprintf(rw, sizeof(rw), "-");
            }
            const struct pv_run *c = &counted[p];
            if (c->have_stats && base.have_stats) {
                int used = snprintf(ex, sizeof(ex), "%.3f",
                                    (c->vm_exits - base.vm_exits) / pages);
                if (c->have_kvm_exits)
                    snprintf(ex + used, sizeof(ex) - (size_t)used, ", %.3f",
                             (double)kvm_exits_total(&c->kvm) / pages);
                else
                    snprintf(ex + used, sizeof(ex) - (size_t)used, ", -");
            } else {
                snprintf(ex, sizeof(ex), "not counted: %s", c->why[0] ? c->why : base.why);
            }
            fprintf(f, "%-18s %-22s %-22s %-22s %-16s %-16s %s\n", prim_name[p], g, s, w, rs,
                    rw, ex);
        }
        if (!uffd)
            fprintf(f, "\nuserfaultfd write-protect: unavailable: %s\n", uffd_why);
        if (!env.count_kvm_exits)
            fprintf(f, "KVM's exits not counted: %s\n", kvm_why);
        fprintf(f, "TSC %.0f MHz. VMM exits: pagevisor's count for the whole counting run minus "
                   "the baseline's, per trap; KVM: every exit while the loop ran, per trap.\n",
                hz / 1e6);
        if (o == 1)
            fclose(f);
    }
    if (env.count_kvm_exits)
        kvm_tracer_close();
    rmdir(tmpdir);
    return 0;
}
