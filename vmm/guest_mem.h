/*
 * guest_mem.h - guest RAM as the host sees it, and the only way host code touches it:
 * every guest-physical range is checked against the RAM size before a pointer is made.
 */
#ifndef PV_GUEST_MEM_H
#define PV_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem {
    uint8_t *base;  /* host mapping of guest-physical 0 */
    uint64_t size;  /* bytes of RAM, one slot from guest-physical 0 */
};

/* How the host backs guest RAM (run --thp): as the host's transparent_hugepage setting says,
 * with 2 MiB pages where it can (MADV_HUGEPAGE on 2 MiB-aligned RAM), or 4 KiB pages only. */
enum vm_thp { VM_THP_SYSTEM, VM_THP_ALWAYS, VM_THP_NEVER };

/* True when [gpa, gpa+len) lies inside guest RAM (no wrap-around). */
static inline bool gpa_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    return gpa <= m->size && len <= m->size - gpa;
}

/* Host pointer to [gpa, gpa+len), or NULL when any byte of it is outside guest RAM. */
static inline void *gpa_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    return gpa_range_ok(m, gpa, len) ? m->base + gpa : NULL;
}

/* Parse a size such as "16M", "4096K", "1G" or a plain byte count. Returns 0 on success. */
int parse_size(const char *text, uint64_t *bytes);

#endif /* PV_GUEST_MEM_H */
