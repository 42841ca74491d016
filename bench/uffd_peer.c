/*
 * uffd_peer.c - the userfaultfd peer of the host-path benchmark: host-side demand paging as
 * Firecracker and QEMU do it. A process touches pages of a registered region; a handler thread
 * reads each fault from the userfaultfd, preads the unit's pages from the same file and
 * installs them with one UFFDIO_COPY, which also wakes the faulting thread.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

struct uffd_peer {
    int uffd, fd;
    uint8_t *region;        /* page s at region + s * PAGE */
    size_t bytes;
    uint32_t pages;
    volatile uint32_t cluster; /* pages per fault, set before each run */
    uint8_t *buf;           /* the handler's pread buffer */
    uint64_t faults;
    unsigned char *resident; /* mincore's answer, a byte a page */
    pthread_t handler;
    bool handler_started;
    cpu_set_t anywhere;     /* the process's CPUs, for cpu -1 */
};

/* The three ways to get a userfaultfd, most permissive first. Returns the fd, or -1 with the
 * reason of the first refusal (the others mostly repeat it). */
int uffd_open(char *why, size_t whylen)
{
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int first = errno;
    fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
    if (fd >= 0)
        return fd;
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev >= 0) {
        fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC);
        close(dev);
        if (fd >= 0)
            return fd;
    }
    if (first == EPERM)
        snprintf(why, whylen, "userfaultfd: EPERM (vm.unprivileged_userfaultfd is 0 and this "
                 "process lacks CAP_SYS_PTRACE; /dev/userfaultfd not accessible)");
    else
        snprintf(why, whylen, "userfaultfd: %s", strerror(first));
    return -1;
}

static void *handler_main(void *arg)
{
    struct uffd_peer *u = arg;
    for (;;) {
        struct uffd_msg msg;
        ssize_t n = read(u->uffd, &msg, sizeof(msg));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n != (ssize_t)sizeof(msg))
            err(1, "uffd peer: read of the userfaultfd");
        if (msg.event != UFFD_EVENT_PAGEFAULT)
            continue;
        uint64_t page = (msg.arg.pagefault.address - (uintptr_t)u->region) / PAGE;
        uint32_t count = u->cluster;
        if (page + count > (uint64_t)u->pages + 1)
            count = (uint32_t)(u->pages + 1 - page);
        size_t len = (size_t)count * PAGE;
        if (pread(u->fd, u->buf, len, (off_t)(page * PAGE)) != (ssize_t)len)
            err(1, "uffd peer: pread of slot %llu", (unsigned long long)page);
        struct uffdio_copy copy = {
            .dst = (uintptr_t)u->region + page * PAGE, .src = (uintptr_t)u->buf, .len = len,
        };
        if (ioctl(u->uffd, UFFDIO_COPY, &copy) < 0 && errno != EEXIST)
            err(1, "uffd peer: UFFDIO_COPY of slot %llu", (unsigned long long)page);
        __atomic_add_fetch(&u->faults, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

struct uffd_peer *uffd_peer_create(int fd, uint32_t pages, char *why, size_t whylen)
{
    struct uffd_peer *u = calloc(1, sizeof(*u));
    if (!u)
        err(1, "calloc");
    u->fd = fd;
    u->pages = pages;
    u->cluster = 1;
    u->uffd = uffd_open(why, whylen);
    if (u->uffd < 0) {
        free(u);
        return NULL;
    }
    /* A kernel that offers userfaultfd but not what this peer needs makes it unavailable,
     * with the reason, like one that refuses userfaultfd. */
    struct uffdio_api api = { .api = UFFD_API };
    if (ioctl(u->uffd, UFFDIO_API, &api) < 0) {
        snprintf(why, whylen, "userfaultfd: UFFDIO_API: %s", strerror(errno));
        close(u->uffd);
        free(u);
        return NULL;
    }
    u->bytes = (size_t)(pages + 1) * PAGE;
    u->region = mmap(NULL, u->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (u->region == MAP_FAILED)
        err(1, "uffd peer: mmap of %zu bytes", u->bytes);
    madvise(u->region, u->bytes, MADV_NOHUGEPAGE);   /* 4 KiB faults, as in the other engines */
    struct uffdio_register reg = {
        .range = { .start = (uintptr_t)u->region, .len = u->bytes },
        .mode = UFFDIO_REGISTER_MODE_MISSING,
    };
    const char *refused = NULL;
    if (ioctl(u->uffd, UFFDIO_REGISTER, &reg) < 0)
        refused = strerror(errno);
    else if (!(reg.ioctls & (1ull << _UFFDIO_COPY)))
        refused = "UFFDIO_COPY not offered for anonymous memory";
    if (refused) {
        snprintf(why, whylen, "userfaultfd: UFFDIO_REGISTER of anonymous memory: %s", refused);
        munmap(u->region, u->bytes);
        close(u->uffd);
        free(u);
        return NULL;
    }
    if (posix_memalign((void **)&u->buf, PAGE, PV_PAGEFILE_CLUSTER_MAX * PAGE))
        errx(1, "uffd peer: out of memory");
    u->resident = malloc(pages + 1);
    if (!u->resident)
        errx(1, "uffd peer: out of memory");
    int rc = pthread_create(&u->handler, NULL, handler_main, u);
    if (rc)
        errx(1, "uffd peer: pthread_create: %s", strerror(rc));
    u->handler_started = true;
    if (sched_getaffinity(0, sizeof(u->anywhere), &u->anywhere) < 0)
        err(1, "uffd peer: sched_getaffinity");
    return u;
}

void uffd_peer_set_handler_cpu(struct uffd_peer *u, int cpu)
{
    cpu_set_t set = u->anywhere;
    if (cpu >= 0) {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
    }
    int rc = pthread_setaffinity_np(u->handler, sizeof(set), &set);
    if (rc)
        errx(1, "uffd peer: pthread_setaffinity_np to CPU %d: %s", cpu, strerror(rc));
}

void uffd_peer_run(struct uffd_peer *u, const struct workload *w, struct measurement *m)
{
    /* Every page missing again; the registration stays. */
    if (madvise(u->region, u->bytes, MADV_DONTNEED) < 0)
        err(1, "uffd peer: madvise MADV_DONTNEED");
    u->cluster = w->cluster;
    uint64_t faults = __atomic_load_n(&u->faults, __ATOMIC_RELAXED);
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < w->nunits; i++)
        (void)*(volatile uint8_t *)(u->region + (size_t)w->units[i].slot * PAGE);
    m->seconds = (double)(now_ns() - t0) / 1e9;
    /* The handler counts a fault after its UFFDIO_COPY woke us: wait for the last count. */
    while (__atomic_load_n(&u->faults, __ATOMIC_RELAXED) - faults < w->nunits)
        sched_yield();
    m->exits = __atomic_load_n(&u->faults, __ATOMIC_RELAXED) - faults;
    /* Every page of every unit must have come in with its unit's fault: a page left out would
     * otherwise be served, untimed, by a fault of the data check that follows. */
    if (mincore(u->region, u->bytes, u->resident) < 0)
        err(1, "uffd peer: mincore");
    for (uint32_t s = 1; s <= w->pages; s++)
        if (!(u->resident[s] & 1))
            errx(1, "uffd peer: slot %u was not served by its unit's fault (%s, cluster %u)", s,
                 w->pattern, w->cluster);
}

const uint8_t *uffd_peer_region(const struct uffd_peer *u)
{
    return u->region;
}

void uffd_peer_destroy(struct uffd_peer *u)
{
    if (!u)
        return;
    if (u->handler_started) {
        pthread_cancel(u->handler);   /* it waits in read(), a cancellation point */
        pthread_join(u->handler, NULL);
    }
    munmap(u->region, u->bytes);
    close(u->uffd);
    free(u->buf);
    free(u->resident);
    free(u);
}
