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
    if ((req->offset & (PAGE_SIZE - 1)) || req->offset >= s->sizes[req->image])
        return PV_EINVAL;
    uint8_t *frame = gpa_ptr(m, (uint64_t)req->frame << PAGE_SHIFT, PAGE_SIZE);
    if (!frame)
        return PV_EFAULT;
    uint64_t left = s->sizes[req->image] - req->offset;
    size_t want = left < PAGE_SIZE ? (size_t)left : PAGE_SIZE;
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(s->fds[req->image], frame + got, want - got, req->offset + got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            /* Never hand the guest a half-read page. */
            memset(frame, 0, PAGE_SIZE);
            return PV_EIO;
        }
        got += (size_t)r;
    }
    memset(frame + got, 0, PAGE_SIZE - got);
    s->reads++;
    s->bytes += got;
    *bytes = (uint32_t)got;
    return PV_OK;
}
