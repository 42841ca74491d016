/*
 * volume_sync.c - a --volume directory through the KVM runner VM (see volume_sync.h): measured
 * before boot, marked and packed inside the VM, written back into the host directory after the
 * run, walking every path component by component so that nothing leaves it.
 */
#include "volume_sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "pv_abi.h"

#define WALK_DEPTH_MAX 64

/* Called for each regular file: rel is its path under the walk's root, dirfd/name where it is. */
typedef int (*walk_fn)(void *ctx, int dirfd, const char *name, const char *rel,
                       const struct stat *st, char *why, size_t whylen);

static int walk(int dirfd, const char *rel, int depth, walk_fn fn, void *ctx, char *why,
                size_t whylen)
{
    if (depth > WALK_DEPTH_MAX)
        return fail_why(why, whylen, "%s: directories nested too deep", rel);
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return fail_why(why, whylen, "%s: %s", rel[0] ? rel : ".", strerror(errno));
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) >=
            (int)sizeof(sub)) {
            rc = fail_why(why, whylen, "%s/%s: path too long", rel, de->d_name);
            break;
        }
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = fail_why(why, whylen, "%s: %s", sub, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            int sfd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sfd < 0)
                rc = fail_why(why, whylen, "%s: %s", sub, strerror(errno));
            else {
                rc = walk(sfd, sub, depth + 1, fn, ctx, why, whylen);
                close(sfd);
            }
        } else if (S_ISREG(st.st_mode)) {
            rc = fn(ctx, dirfd, de->d_name, sub, &st, why, whylen);
        }
    }
    if (rc == 0 && errno != 0 && !de)
        rc = fail_why(why, whylen, "%s: %s", rel[0] ? rel : ".", strerror(errno));
    closedir(d);
    return rc;
}

static int walk_dir(const char *dir, walk_fn fn, void *ctx, char *why, size_t whylen)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail_why(why, whylen, "%s: %s", dir, strerror(errno));
    int rc = walk(fd, "", 0, fn, ctx, why, whylen);
    close(fd);
    return rc;
}

static int add_size(void *ctx, int dirfd, const char *name, const char *rel,
                    const struct stat *st, char *why, size_t whylen)
{
    (void)dirfd, (void)name, (void)rel, (void)why, (void)whylen;
    *(uint64_t *)ctx += (uint64_t)st->st_size;
    return 0;
}

int volume_measure(const char *dir, uint64_t *bytes, char *why, size_t whylen)
{
    *bytes = 0;
    return walk_dir(dir, add_size, bytes, why, whylen);
}

static int mark_one(void *ctx, int dirfd, const char *name, const char *rel,
                    const struct stat *st, char *why, size_t whylen)
{
    (void)ctx, (void)st;
    const struct timespec t[2] = { { VOLUME_MARK_TIME, 0 }, { VOLUME_MARK_TIME, 0 } };
    if (utimensat(dirfd, name, t, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_why(why, whylen, "%s: %s", rel, strerror(errno));
    return 0;
}

int volume_mark(const char *dir, char *why, size_t whylen)
{
    return walk_dir(dir, mark_one, NULL, why, whylen);
}

static int pack_one(void *ctx, int dirfd, const char *name, const char *rel,
                    const struct stat *st, char *why, size_t whylen)
{
    int out = *(int *)ctx;
    if (st->st_mtim.tv_sec == VOLUME_MARK_TIME && st->st_mtim.tv_nsec == 0)
        return 0;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat now;
    if (fd < 0 || fstat(fd, &now) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail_why(why, whylen, "%s: %s", rel, strerror(e));
    }
    uint32_t len = (uint32_t)strlen(rel);
    uint64_t size = (uint64_t)now.st_size;
    int rc = 0;
    if (fd_write_all(out, &len, sizeof(len)) < 0 || fd_write_all(out, rel, len) < 0 ||
        fd_write_all(out, &size, sizeof(size)) < 0)
        rc = fail_why(why, whylen, "writing the pack: %s", strerror(errno));
    char buf[1 << 16];
    for (uint64_t left = size; rc == 0 && left > 0;) {
        ssize_t n = read(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = fail_why(why, whylen, "%s: %s", rel, n < 0 ? strerror(errno) : "it shrank");
        else if (fd_write_all(out, buf, (size_t)n) < 0)
            rc = fail_why(why, whylen, "writing the pack: %s", strerror(errno));
        else
            left -= (uint64_t)n;
    }
    close(fd);
    return rc;
}

int volume_pack(const char *dir, const char *out_path, char *why, size_t whylen)
{
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return fail_why(why, whylen, "%s: %s", out_path, strerror(errno));
    int rc = fd_write_all(out, VOLUME_PACK_MAGIC, 8) < 0 ? -1 : 0;
    if (rc < 0)
        fail_why(why, whylen, "%s: %s", out_path, strerror(errno));
    if (rc == 0)
        rc = walk_dir(dir, pack_one, &out, why, whylen);
    uint32_t end = 0;
    if (rc == 0 && fd_write_all(out, &end, sizeof(end)) < 0)
        rc = fail_why(why, whylen, "%s: %s", out_path, strerror(errno));
    if (close(out) < 0 && rc == 0)
        rc = fail_why(why, whylen, "%s: %s", out_path, strerror(errno));
    return rc;
}

/* ---- writing back ----------------------------------------------------------------------- */

static bool name_ok(const char *name)
{
    if (!name[0] || name[0] == '/')
        return false;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            return false;
    for (const char *p = name;;) {
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (!*end)
            return true;
        p = end + 1;
    }
}

static int read_at(int fd, void *buf, size_t len, off_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

/* The directory holding name's last component, walked from root without following a symbolic
 * link, missing ones made. Returns its fd (O_PATH), or -1 with why. *base: the last component. */
static int parent_of(int root, char *name, const char **base, char *why, size_t whylen)
{
    int cur = dup(root);
    if (cur < 0)
        return fail_why(why, whylen, "%s: %s", name, strerror(errno));
    char *p = name;
    for (char *slash; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
        *slash = '\0';
        int next = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && mkdirat(cur, p, 0755) == 0)
            next = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        *slash = '/';
        if (next < 0) {
            close(cur);
            if (e == ENOTDIR || e == ELOOP)
                return fail_why(why, whylen, "%.*s is not a directory (a symbolic link or a file) "
                            "in the volume; %s not written", (int)(slash - name), name, name);
            return fail_why(why, whylen, "%.*s: %s", (int)(slash - name), name, strerror(e));
        }
        close(cur);
        cur = next;
    }
    *base = p;
    return cur;
}

/* Whether the host file (open in fd) holds exactly size bytes equal to the pack's at off. */
static bool same_bytes(int fd, int in_fd, off_t off, uint64_t size)
{
    static char a[1 << 16], b[1 << 16];
    for (uint64_t at = 0; at < size;) {
        size_t n = size - at < sizeof(a) ? (size_t)(size - at) : sizeof(a);
        if (read_at(fd, a, n, (off_t)at) < 0 || read_at(in_fd, b, n, off + (off_t)at) < 0 ||
            memcmp(a, b, n) != 0)
            return false;
        at += n;
    }
    return true;
}

static int write_one(int root, char *name, int in_fd, off_t off, uint64_t size, bool *changed,
                     char *why, size_t whylen)
{
    const char *base = name;
    int dir = parent_of(root, name, &base, why, whylen);
    if (dir < 0)
        return -1;
    int rc = -1, tmp = -1;
    char tmpname[64] = "";
    struct stat st;
    bool exists = fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        fail_why(why, whylen, "%s is not a regular file on the host any more; not written", name);
        goto out;
    }
    /* Root inside the VM could write any file: on the host, only what the user may. */
    if (exists && faccessat(dir, base, W_OK, AT_EACCESS) < 0) {
        fail_why(why, whylen, "%s: %s", name, strerror(errno));
        goto out;
    }
    if (exists && (uint64_t)st.st_size == size) {
        int fd = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        bool same = fd >= 0 && same_bytes(fd, in_fd, off, size);
        if (fd >= 0)
            close(fd);
        if (same) {
            *changed = false;
            rc = 0;
            goto out;
        }
    }
    static unsigned counter;
    snprintf(tmpname, sizeof(tmpname), ".pagevisor-volume-%d-%u", (int)getpid(), counter++);
    tmp = openat(dir, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 exists ? 0600 : 0644);
    if (tmp < 0) {
        fail_why(why, whylen, "%s: a new file beside it: %s", name, strerror(errno));
        tmpname[0] = '\0';
        goto out;
    }
    static char buf[1 << 16];
    for (uint64_t at = 0; at < size;) {
        size_t n = size - at < sizeof(buf) ? (size_t)(size - at) : sizeof(buf);
        if (read_at(in_fd, buf, n, off + (off_t)at) < 0) {
            fail_why(why, whylen, "reading the pack: %s", strerror(errno));
            goto out;
        }
        if (fd_write_all(tmp, buf, n) < 0) {
            fail_why(why, whylen, "%s: %s", name, strerror(errno));
            goto out;
        }
        at += n;
    }
    if ((exists && fchmod(tmp, st.st_mode & 07777) < 0) ||
        (fsync(tmp) < 0 && errno != EINVAL && errno != EROFS)) {
        fail_why(why, whylen, "%s: %s", name, strerror(errno));
        goto out;
    }
    int c = close(tmp);
    tmp = -1;
    if (c < 0 || renameat(dir, tmpname, dir, base) < 0) {
        fail_why(why, whylen, "%s: %s", name, strerror(errno));
        goto out;
    }
    tmpname[0] = '\0';
    *changed = true;
    rc = 0;
out:
    if (tmp >= 0)
        close(tmp);
    if (tmpname[0])
        unlinkat(dir, tmpname, 0);
    close(dir);
    return rc;
}

int volume_unpack(int in_fd, const char *dir, unsigned *written, unsigned *unchanged,
                  char *why, size_t whylen)
{
    *written = *unchanged = 0;
    struct stat st;
    char magic[8];
    if (fstat(in_fd, &st) < 0 || read_at(in_fd, magic, 8, 0) < 0 ||
        memcmp(magic, VOLUME_PACK_MAGIC, 8) != 0)
        return fail_why(why, whylen, "the packed volume from the VM is not one");
    int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return fail_why(why, whylen, "%s", strerror(errno));
    uint64_t end = (uint64_t)st.st_size;
    off_t off = 8;
    int rc = 0;
    for (;;) {
        uint32_t len;
        uint64_t size;
        char name[PATH_MAX];
        if (read_at(in_fd, &len, sizeof(len), off) < 0) {
            rc = fail_why(why, whylen, "the packed volume from the VM ends early");
            break;
        }
        off += (off_t)sizeof(len);
        if (len == 0)
            break;
        if (len >= sizeof(name) || read_at(in_fd, name, len, off) < 0 ||
            read_at(in_fd, &size, sizeof(size), off + (off_t)len) < 0) {
            rc = fail_why(why, whylen, "the packed volume from the VM is garbled");
            break;
        }
        name[len] = '\0';
        off += (off_t)len + (off_t)sizeof(size);
        if (size > end - (uint64_t)off) {
            rc = fail_why(why, whylen, "the packed volume from the VM is garbled");
            break;
        }
        if (strlen(name) != len || !name_ok(name)) {
            rc = fail_why(why, whylen,
                          "the VM sent a file named \"%s\", which is not a name inside "
                          "the volume; nothing of it written", name);
            break;
        }
        bool changed = false;
        if (write_one(root, name, in_fd, off, size, &changed, why, whylen) < 0) {
            rc = -1;
            break;
        }
        if (changed)
            (*written)++;
        else
            (*unchanged)++;
        off += (off_t)size;
    }
    close(root);
    return rc;
}

int volume_pack_main(int argc, char **argv)
{
    char why[PATH_MAX + 128];
    int rc;
    if (argc == 3 && strcmp(argv[1], "--mark") == 0)
        rc = volume_mark(argv[2], why, sizeof(why));
    else if (argc == 3 && argv[1][0] != '-')
        rc = volume_pack(argv[1], argv[2], why, sizeof(why));
    else {
        fprintf(stderr, "usage: pagevisor volume-pack --mark DIR | DIR OUT\n");
        return PV_EXIT_USAGE;
    }
    if (rc != 0) {
        fprintf(stderr, "pagevisor volume-pack: %s\n", why);
        return PV_EXIT_VMM_ERROR;
    }
    return 0;
}
