/*
 * fuzz_ram.h - what the fuzz targets share: a fake guest RAM mapped between two inaccessible
 * guard pages (any host access outside RAM faults at once, under the fuzzer or not), filled
 * from the fuzz input, and a little reader that takes fields off the front of the input.
 */
#ifndef PV_FUZZ_RAM_H
#define PV_FUZZ_RAM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_mem.h"

/* RAM of size bytes (a multiple of the page size) with a guard page on each side; made once
 * and reused by every input. Exits when the mapping cannot be made. */
static inline void fuzz_ram_init(struct guest_mem *m, size_t size)
{
    if (m->base)
        return;
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *map = mmap(NULL, size + 2 * (size_t)page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || mprotect(map, (size_t)page, PROT_NONE) ||
        mprotect(map + page + size, (size_t)page, PROT_NONE)) {
        perror("fuzz: guest RAM with guard pages");
        exit(2);
    }
    m->base = map + page;
    m->size = size;
}

/* Fields taken in turn off the front of the input; past its end they read as zero. */
struct fuzz_input {
    const uint8_t *data;
    size_t len;
};

static inline uint32_t fuzz_take(struct fuzz_input *in, size_t bytes)
{
    uint32_t v = 0;
    for (size_t i = 0; i < bytes && in->len; i++, in->data++, in->len--)
        v |= (uint32_t)in->data[0] << (8 * i);
    return v;
}

/* RAM zeroed, then the rest of the input copied in from guest-physical 0 (as much as fits). */
static inline void fuzz_ram_fill(struct guest_mem *m, const struct fuzz_input *in)
{
    size_t n = in->len < m->size ? in->len : (size_t)m->size;
    memset(m->base, 0, m->size);
    memcpy(m->base, in->data, n);
}

/* An input's bytes as a new temporary file (unlinked at once); returns its fd, or exits. The
 * path is left in path (for APIs that open by name) until the caller unlinks it. */
static inline int fuzz_temp_file(const void *data, size_t len, char *path, size_t pathlen)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, pathlen, "%s/pv-fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
        perror("fuzz: temporary file");
        exit(2);
    }
    return fd;
}

#endif /* PV_FUZZ_RAM_H */
