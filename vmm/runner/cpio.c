/*
 * cpio.c - newc cpio writer (see cpio.h).
 *
 * newc entry: a 110-byte ASCII header ("070701" and 13 fields of 8 hex digits: ino, mode, uid,
 * gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check), the
 * name with its NUL, zero padding to a multiple of 4, the data, zero padding to a multiple of 4.
 * The archive ends with an entry named "TRAILER!!!".
 */
#include "cpio.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CPIO_HEADER_SIZE 110u
#define CPIO_TRAILER     "TRAILER!!!"

static int write_all(struct cpio_writer *w, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        w->offset += (uint64_t)n;
    }
    return 0;
}

static int pad4(struct cpio_writer *w)
{
    static const char zeros[4];
    size_t pad = (size_t)((4 - (w->offset & 3)) & 3);
    return pad ? write_all(w, zeros, pad) : 0;
}

int cpio_normalize_path(const char *path, char *buf, size_t size)
{
    size_t len = 0;
    const char *p = path;

    if (!path || !*path || size == 0) {
        errno = EINVAL;
        return -1;
    }
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != '/')
            end++;
        size_t clen = (size_t)(end - p);
        if (clen == 1 && p[0] == '.') {
            p = end;
            continue;
        }
        if (clen == 2 && p[0] == '.' && p[1] == '.') {
            errno = EINVAL;
            return -1;
        }
        if (len + (len ? 1 : 0) + clen + 1 > size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (len)
            buf[len++] = '/';
        memcpy(buf + len, p, clen);
        len += clen;
        p = end;
    }
    if (len == 0) {
        errno = EINVAL;
        return -1;
    }
    buf[len] = '\0';
    return 0;
}

static int write_header(struct cpio_writer *w, const char *name, uint32_t mode, uint32_t nlink,
                        uint32_t mtime, uint32_t filesize)
{
    char hdr[CPIO_HEADER_SIZE + 1];
    size_t namesize = strlen(name) + 1;
    uint32_t ino = strcmp(name, CPIO_TRAILER) ? w->next_ino++ : 0;

    if (namesize > UINT32_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(hdr, sizeof(hdr),
             "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             ino, mode, 0u, 0u, nlink, mtime, filesize, 0u, 0u, 0u, 0u, (uint32_t)namesize, 0u);
    if (write_all(w, hdr, CPIO_HEADER_SIZE) < 0 || write_all(w, name, namesize) < 0)
        return -1;
    return pad4(w);
}

static int have_dir(const struct cpio_writer *w, const char *name)
{
    for (size_t i = 0; i < w->n_dirs; i++)
        if (strcmp(w->dirs[i], name) == 0)
            return 1;
    return 0;
}

static int remember_dir(struct cpio_writer *w, const char *name)
{
    if (w->n_dirs == w->cap_dirs) {
        size_t cap = w->cap_dirs ? 2 * w->cap_dirs : 16;
        char **dirs = realloc(w->dirs, cap * sizeof(*dirs));
        if (!dirs)
            return -1;
        w->dirs = dirs;
        w->cap_dirs = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    w->dirs[w->n_dirs++] = copy;
    return 0;
}

/* Add directory `name` (normalized) if the archive lacks it. */
static int add_dir_entry(struct cpio_writer *w, const char *name, unsigned mode)
{
    if (have_dir(w, name))
        return 0;
    if (write_header(w, name, S_IFDIR | (mode & 07777), 2, w->mtime, 0) < 0)
        return -1;
    return remember_dir(w, name);
}

/* Add every proper parent directory of normalized `name`. */
static int add_parents(struct cpio_writer *w, const char *name)
{
    char dir[PATH_MAX];
    size_t len = strlen(name);

    if (len >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, name, len + 1);
    for (char *slash = strchr(dir, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int rc = add_dir_entry(w, dir, 0755);
        *slash = '/';
        if (rc < 0)
            return -1;
    }
    return 0;
}

int cpio_writer_init(struct cpio_writer *w, int fd)
{
    memset(w, 0, sizeof(*w));
    w->fd = fd;
    w->next_ino = 1;
    w->mtime = (uint32_t)time(NULL);
    return 0;
}

int cpio_add_dir(struct cpio_writer *w, const char *path, unsigned mode)
{
    char name[PATH_MAX];
    if (cpio_normalize_path(path, name, sizeof(name)) < 0 || add_parents(w, name) < 0)
        return -1;
    return add_dir_entry(w, name, mode);
}

static int begin_file(struct cpio_writer *w, const char *path, unsigned mode, uint32_t mtime,
                      uint64_t size)
{
    char name[PATH_MAX];
    if (size > UINT32_MAX) {
        errno = EFBIG;
        return -1;
    }
    if (cpio_normalize_path(path, name, sizeof(name)) < 0)
        return -1;
    if (have_dir(w, name)) {
        errno = EISDIR;
        return -1;
    }
    if (add_parents(w, name) < 0)
        return -1;
    return write_header(w, name, S_IFREG | (mode & 07777), 1, mtime, (uint32_t)size);
}

int cpio_add_file(struct cpio_writer *w, const char *path, unsigned mode,
                  const void *data, size_t size)
{
    if (begin_file(w, path, mode, w->mtime, size) < 0 || write_all(w, data, size) < 0)
        return -1;
    return pad4(w);
}

int cpio_add_file_fd(struct cpio_writer *w, const char *path, unsigned mode, uint32_t mtime,
                     int src_fd, uint64_t size)
{
    char buf[1 << 16];
    uint64_t left = size;

    if (begin_file(w, path, mode, mtime, size) < 0)
        return -1;
    while (left > 0) {
        size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        ssize_t n = read(src_fd, buf, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) { /* the file shrank under us */
            errno = EIO;
            return -1;
        }
        if (write_all(w, buf, (size_t)n) < 0)
            return -1;
        left -= (uint64_t)n;
    }
    return pad4(w);
}

int cpio_add_symlink(struct cpio_writer *w, const char *path, const char *target)
{
    char name[PATH_MAX];
    size_t len = strlen(target);
    if (len == 0 || len >= PATH_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (cpio_normalize_path(path, name, sizeof(name)) < 0)
        return -1;
    if (have_dir(w, name)) {
        errno = EISDIR;
        return -1;
    }
    if (add_parents(w, name) < 0 ||
        write_header(w, name, S_IFLNK | 0777, 1, w->mtime, (uint32_t)len) < 0 ||
        write_all(w, target, len) < 0)
        return -1;
    return pad4(w);
}

int cpio_finish(struct cpio_writer *w)
{
    return write_header(w, CPIO_TRAILER, 0, 1, 0, 0);
}

void cpio_writer_free(struct cpio_writer *w)
{
    for (size_t i = 0; i < w->n_dirs; i++)
        free(w->dirs[i]);
    free(w->dirs);
    w->dirs = NULL;
    w->n_dirs = w->cap_dirs = 0;
}
