/* workload.c - the work every engine of the host-path benchmark serves, the test file's page
 * contents and their check, and the shared warm-up of the page cache. */
#include "bench.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void workload_make(struct workload *w, const char *pattern, uint32_t cluster, uint32_t pages)
{
    if (cluster == 0 || pages == 0)
        errx(1, "workload: %u pages in clusters of %u", pages, cluster);
    w->pattern = pattern;
    w->cluster = cluster;
    w->pages = pages;
    w->nunits = (pages + cluster - 1) / cluster;
    w->units = calloc(w->nunits, sizeof(*w->units));
    if (!w->units)
        err(1, "calloc of %zu units", w->nunits);
    for (size_t i = 0; i < w->nunits; i++) {
        uint32_t slot = 1 + (uint32_t)i * cluster;
        uint32_t left = pages + 1 - slot;
        w->units[i] = (struct unit){ .slot = slot, .count = left < cluster ? left : cluster };
    }
    if (strcmp(pattern, "random") != 0)
        return;
    uint64_t seed = 0x5EEDull;   /* fixed: every engine and run sees the same order */
    for (size_t i = w->nunits - 1; i > 0; i--) {
        size_t j = (size_t)(splitmix64(&seed) % (i + 1));
        struct unit t = w->units[i];
        w->units[i] = w->units[j];
        w->units[j] = t;
    }
}

void workload_free(struct workload *w)
{
    free(w->units);
    w->units = NULL;
}

void page_fill(uint8_t *page, uint32_t slot)
{
    for (uint32_t i = 0; i < PAGE / 8; i++) {
        uint64_t v = ((uint64_t)slot << 32) | (i * 0x9E37u);
        memcpy(page + i * 8, &v, 8);
    }
}

bool page_check(const uint8_t *page, uint32_t slot)
{
    for (uint32_t i = 0; i < PAGE / 8; i++) {
        uint64_t v;
        memcpy(&v, page + i * 8, 8);
        if (v != (((uint64_t)slot << 32) | (i * 0x9E37u)))
            return false;
    }
    return true;
}

uint32_t region_check(const uint8_t *region, uint32_t pages)
{
    for (uint32_t s = 1; s <= pages; s++)
        if (!page_check(region + (size_t)s * PAGE, s))
            return s;
    return 0;
}

void warm_page_cache(int fd, uint64_t bytes)
{
    static uint8_t buf[1 << 20];
    for (uint64_t off = 0; off < bytes; off += sizeof(buf))
        if (pread(fd, buf, sizeof(buf), (off_t)off) < 0)
            err(1, "pread while warming the page cache");
}
