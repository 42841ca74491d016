/*
 * image_store.h - the image files of a run, kept open on the host so the guest can demand-page
 * their code and data from them (PV_HC_IMAGE_READ) instead of copying them at load time.
 */
#ifndef PV_IMAGE_STORE_H
#define PV_IMAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "pv_abi.h"

struct image_store {
    int *fds;
    uint64_t *sizes;
    size_t count;
    unsigned long long reads, pages, bytes; /* calls served, pages and file bytes read */
};

/* Opens every image; on failure prints which and why, and returns -1. */
int image_store_open(struct image_store *s, const char *const *paths, size_t count);
void image_store_close(struct image_store *s);

/* Serves one PV_HC_IMAGE_READ: validates the image index, the offset (page aligned, every
 * page starting inside the file), the count (1..PV_PAGEFILE_CLUSTER_MAX) and the frames
 * (inside guest RAM, none twice), then reads. Returns PV_OK or a PV_E* code; *bytes is the
 * number of file bytes copied in all (the rest of each page is zeroed). */
int32_t image_store_read(struct image_store *s, struct guest_mem *m,
                         const struct pv_hc_image_read *req, uint32_t *bytes);

#endif /* PV_IMAGE_STORE_H */
