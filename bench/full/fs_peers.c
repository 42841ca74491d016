/*
 * fs_peers.c - the peers of the full-system benchmark, on the same kernel as the pagevisor
 * runs: Linux's own demand-zero faults (first writes to a fresh anonymous mapping), and a
 * userfaultfd handler thread serving zero pages to a touching thread (host-side demand
 * paging as Firecracker and QEMU do it), with UFFDIO_ZEROPAGE or with UFFDIO_COPY of a zeroed
 * page. Also the time stamp counter and its rate.
 */
#include <err.h>
#include <errno.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "fs.h"

uint64_t fs_rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

double fs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double fs_tsc_hz(unsigned ms)
{
    double t0 = fs_now();
    uint64_t c0 = fs_rdtsc();
    struct timespec nap = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
    while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
        ;
    uint64_t c1 = fs_rdtsc();
    double t1 = fs_now();
    return (double)(c1 - c0) / (t1 - t0);
}

/* Page faults of this process, minor and major: Linux counts a fault it retried (after a
 * userfaultfd handler resolved it) as a major one. */
static uint64_t process_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

/* The same touch as the guest's bench-dz: one store into the first word of every page. */
static void touch(uint8_t *region, uint32_t pages)
{
    for (uint32_t i = 0; i < pages; i++)
        *(volatile uint32_t *)(region + (size_t)i * PAGE) = i + 1;
}

static void check(const uint8_t *region, uint32_t pages, const char *who)
{
    for (uint32_t i = 0; i < pages; i++) {
        const uint32_t *w = (const uint32_t *)(region + (size_t)i * PAGE);
        if (w[0] != i + 1 || w[1] != 0 || w[PAGE / 4 - 1] != 0)
            errx(1, "%s: page %u holds the wrong data", who, i);
    }
}

void linux_dz_run(uint32_t pages, struct peer_sample *s)
{
    size_t bytes = (size_t)pages * PAGE;
    uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        err(1, "linux peer: mmap of %zu bytes", bytes);
    madvise(p, bytes, MADV_NOHUGEPAGE);   /* 4 KiB faults, one per page, as in the guest */
    uint64_t f0 = process_faults();
    double t0 = fs_now();
    touch(p, pages);
    s->seconds = fs_now() - t0;
    s->faults = process_faults() - f0;
    s->events = 0;
    check(p, pages, "linux peer");
    munmap(p, bytes);
}

struct uffd_zero {
    int uffd;
    enum uffd_zero_mode mode;
    uint8_t *region, *zeros;
    size_t bytes;
    uint32_t pages;
    uint64_t events;
    pthread_t handler;
};

static void *zero_handler(void *arg)
{
    struct uffd_zero *u = arg;
    for (;;) {
        struct uffd_msg msg;
        ssize_t n = read(u->uffd, &msg, sizeof(msg));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n != (ssize_t)sizeof(msg))
            err(1, "userfaultfd peer: read");
        if (msg.event != UFFD_EVENT_PAGEFAULT)
            continue;
        uint64_t page = msg.arg.pagefault.address & ~(uint64_t)(PAGE - 1);
        int rc;
        if (u->mode == UFFD_ZEROPAGE) {
            struct uffdio_zeropage z = { .range = { .start = page, .len = PAGE } };
            rc = ioctl(u->uffd, UFFDIO_ZEROPAGE, &z);
        } else {
            struct uffdio_copy c = { .dst = page, .src = (uintptr_t)u->zeros, .len = PAGE };
            rc = ioctl(u->uffd, UFFDIO_COPY, &c);
        }
        if (rc < 0 && errno != EEXIST)
            err(1, "userfaultfd peer: %s at 0x%llx",
                u->mode == UFFD_ZEROPAGE ? "UFFDIO_ZEROPAGE" : "UFFDIO_COPY",
                (unsigned long long)page);
        __atomic_add_fetch(&u->events, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

struct uffd_zero *uffd_zero_create(uint32_t pages, enum uffd_zero_mode mode, char *why,
                                   size_t whylen)
{
    struct uffd_zero *u = calloc(1, sizeof(*u));
    if (!u)
        err(1, "calloc");
    u->mode = mode;
    u->pages = pages;
    u->uffd = uffd_open(why, whylen);
    if (u->uffd < 0) {
        free(u);
        return NULL;
    }
    struct uffdio_api api = { .api = UFFD_API };
    if (ioctl(u->uffd, UFFDIO_API, &api) < 0)
        err(1, "userfaultfd peer: UFFDIO_API");
    u->bytes = (size_t)pages * PAGE;
    u->region = mmap(NULL, u->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (u->region == MAP_FAILED)
        err(1, "userfaultfd peer: mmap of %zu bytes", u->bytes);
    madvise(u->region, u->bytes, MADV_NOHUGEPAGE);
    struct uffdio_register reg = {
        .range = { .start = (uintptr_t)u->region, .len = u->bytes },
        .mode = UFFDIO_REGISTER_MODE_MISSING,
    };
    if (ioctl(u->uffd, UFFDIO_REGISTER, &reg) < 0)
        err(1, "userfaultfd peer: UFFDIO_REGISTER");
    uint64_t need = mode == UFFD_ZEROPAGE ? 1ull << _UFFDIO_ZEROPAGE : 1ull << _UFFDIO_COPY;
    if (!(reg.ioctls & need)) {
        snprintf(why, whylen, "%s is not offered for anonymous memory by this kernel",
                 mode == UFFD_ZEROPAGE ? "UFFDIO_ZEROPAGE" : "UFFDIO_COPY");
        munmap(u->region, u->bytes);
        close(u->uffd);
        free(u);
        return NULL;
    }
    u->zeros = aligned_alloc(PAGE, PAGE);
    if (!u->zeros)
        errx(1, "userfaultfd peer: out of memory");
    memset(u->zeros, 0, PAGE);
    int rc = pthread_create(&u->handler, NULL, zero_handler, u);
    if (rc)
        errx(1, "userfaultfd peer: pthread_create: %s", strerror(rc));
    return u;
}

void uffd_zero_run(struct uffd_zero *u, uint32_t pages, struct peer_sample *s)
{
    if (pages > u->pages)
        pages = u->pages;
    /* Every page missing again; the registration stays. */
    if (madvise(u->region, u->bytes, MADV_DONTNEED) < 0)
        err(1, "userfaultfd peer: MADV_DONTNEED");
    uint64_t e0 = __atomic_load_n(&u->events, __ATOMIC_RELAXED);
    uint64_t f0 = process_faults();
    double t0 = fs_now();
    touch(u->region, pages);
    s->seconds = fs_now() - t0;
    /* The handler counts an event after the ioctl that woke us: wait for the last count. */
    while (__atomic_load_n(&u->events, __ATOMIC_RELAXED) - e0 < pages)
        sched_yield();
    s->faults = process_faults() - f0;
    s->events = __atomic_load_n(&u->events, __ATOMIC_RELAXED) - e0;
    check(u->region, pages, u->mode == UFFD_ZEROPAGE ? "userfaultfd zeropage peer"
                                                        : "userfaultfd copy peer");
}

void uffd_zero_destroy(struct uffd_zero *u)
{
    if (!u)
        return;
    pthread_cancel(u->handler);   /* it waits in read(), a cancellation point */
    pthread_join(u->handler, NULL);
    munmap(u->region, u->bytes);
    close(u->uffd);
    free(u->zeros);
    free(u);
}
