/* image_store.c - reading image file pages into guest frames for the guest's page faults. */
#include "image_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nt_layout.h"

int image_store_open(struct image_store *s, const char *const *paths, size_t count)
{
    memset(s, 0, sizeof(*s));
    s->fds = calloc(count ? count : 1, sizeof(*s->fds));
    s->sizes = calloc(count ? count : 1, sizeof(*s->sizes));
    if (!s->fds || !s->sizes) {
        image_store_close(s);
        fprintf(stderr, "pagevisor: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        s->fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
        s->count = i + 1;
        if (s->fds[i] < 0 || fstat(s->fds[i], &st) < 0) {
            fprintf(stderr, "pagevisor: %s: %s\n", paths[i], strerror(errno));
            image_store_close(s);
            return -1;
        }
        s->sizes[i] = (uint64_t)st.st_size;
    }
    return 0;
}

void image_store_close(struct image_store *s)
{
    for (size_t i = 0; s->fds && i < s->count; i++)
        if (s->fds[i] >= 0)
            close(s->fds[i]);
    free(s->fds);
    free(s->sizes);
    s->fds = NULL;
    s->sizes = NULL;
    s->count = 0;
}

int32_t image_store_read(struct image_store *s, struct guest_mem *m,
                         const struct pv_hc_image_read *req, uint32_t *bytes)
{
    *bytes = 0;
    if (req->image >= s->count)
        return PV_ENODEV;
    uint64_t size = s->sizes[req->image];
    if ((req->offset & (PAGE_SIZE - 1)) || req->count == 0 ||
        req->count > PV_PAGEFILE_CLUSTER_MAX ||
        (uint64_t)req->offset + (uint64_t)(req->count - 1) * PAGE_SIZE >= size)
        return PV_EINVAL;
    uint8_t *frames[PV_PAGEFILE_CLUSTER_MAX];
    for (uint32_t i = 0; i < req->count; i++) {
        frames[i] = gpa_ptr(m, (uint64_t)req->frames[i] << PAGE_SHIFT, PAGE_SIZE);
        if (!frames[i])
            return PV_EFAULT;
        for (uint32_t j = 0; j < i; j++)
            if (req->frames[j] == req->frames[i])
                return PV_EDUPFRAME;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < req->count; i++) {
        uint64_t offset = (uint64_t)req->offset + (uint64_t)i * PAGE_SIZE;
        uint64_t left = size - offset;
        size_t want = left < PAGE_SIZE ? (size_t)left : PAGE_SIZE;
        size_t got = 0;
        while (got < want) {
            ssize_t r = pread(s->fds[req->image], frames[i] + got, want - got,
                              (off_t)(offset + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                /* Never hand the guest a half-read page: the whole request failed. */
                for (uint32_t k = 0; k <= i; k++)
                    memset(frames[k], 0, PAGE_SIZE);
                return PV_EIO;
            }
            got += (size_t)r;
        }
        memset(frames[i] + got, 0, PAGE_SIZE - got);
        total += got;
    }
    s->reads++;
    s->pages += req->count;
    s->bytes += total;
    *bytes = (uint32_t)total;
    return PV_OK;
}
