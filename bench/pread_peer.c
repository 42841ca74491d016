/* pread_peer.c - the limit of the host-path benchmark: the same units pread from the same file
 * into the same kind of destination (page s at s * PAGE of a resident region), with no VM exit,
 * no fault and no checksum. */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

struct pread_peer {
    int fd;
    uint8_t *region;
    size_t bytes;
};

struct pread_peer *pread_peer_create(int fd, uint32_t pages)
{
    struct pread_peer *p = calloc(1, sizeof(*p));
    if (!p)
        err(1, "calloc");
    p->fd = fd;
    p->bytes = (size_t)(pages + 1) * PAGE;
    p->region = mmap(NULL, p->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p->region == MAP_FAILED)
        err(1, "pread peer: mmap of %zu bytes", p->bytes);
    pread_peer_clear(p);   /* resident, like guest RAM */
    return p;
}

void pread_peer_clear(struct pread_peer *p)
{
    memset(p->region, 0, p->bytes);
}

void pread_peer_run(struct pread_peer *p, const struct workload *w, struct measurement *m)
{
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < w->nunits; i++) {
        size_t len = (size_t)w->units[i].count * PAGE;
        off_t off = (off_t)w->units[i].slot * PAGE;
        if (pread(p->fd, p->region + off, len, off) != (ssize_t)len)
            err(1, "pread peer: pread of slot %u", w->units[i].slot);
    }
    m->seconds = (double)(now_ns() - t0) / 1e9;
    m->exits = 0;
}

const uint8_t *pread_peer_region(const struct pread_peer *p)
{
    return p->region;
}

void pread_peer_destroy(struct pread_peer *p)
{
    if (!p)
        return;
    munmap(p->region, p->bytes);
    free(p);
}
