/* sparse_file.c - packing a sparse file as its data extents and writing it back sparse
 * (sparse_file.h). */
#include "sparse_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pv_abi.h"
#include "fdio.h"

/* Exactly len bytes at off; 0, or -1 (errno; EIO for a file shorter than expected). */
static int pread_all(int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

static int put_u64(int fd, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fd_write_all(fd, b, sizeof(b));
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* The extents of [start, end), all-zero blocks left out, written to out. */
static int pack_range(int in, int out, uint64_t start, uint64_t end, uint8_t *buf)
{
    uint64_t run_start = 0, run_len = 0; /* pending non-zero bytes, not yet written */
    uint8_t *run = buf + SPARSE_BLOCK;   /* room for up to 16 blocks of a run */
    const uint64_t run_max = 16ull * SPARSE_BLOCK;
    for (uint64_t off = start; off < end;) {
        size_t n = (size_t)(end - off < SPARSE_BLOCK - off % SPARSE_BLOCK ?
                            end - off : SPARSE_BLOCK - off % SPARSE_BLOCK);
        if (pread_all(in, buf, n, (off_t)off) < 0)
            return -1;
        bool zero = all_zero(buf, n);
        if (run_len && (zero || run_start + run_len != off || run_len + n > run_max)) {
            if (put_u64(out, run_start) || put_u64(out, run_len) ||
                fd_write_all(out, run, (size_t)run_len))
                return -1;
            run_len = 0;
        }
        if (!zero) {
            if (!run_len)
                run_start = off;
            memcpy(run + run_len, buf, n);
            run_len += n;
        }
        off += n;
    }
    if (run_len && (put_u64(out, run_start) || put_u64(out, run_len) ||
                    fd_write_all(out, run, (size_t)run_len)))
        return -1;
    return 0;
}

int sparse_pack(const char *src, const char *dst, char *why, size_t whylen)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    uint8_t *buf = NULL;
    struct stat st;
    const char *failed = src;
    if (in < 0 || fstat(in, &st) < 0)
        goto done;
    failed = dst;
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    buf = malloc(17u * SPARSE_BLOCK);
    if (out < 0 || !buf || fd_write_all(out, SPARSE_MAGIC, 8) || put_u64(out, (uint64_t)st.st_size))
        goto done;
    uint64_t size = (uint64_t)st.st_size, off = 0;
    while (off < size) {
        off_t data = lseek(in, (off_t)off, SEEK_DATA), hole;
        if (data < 0 && errno == ENXIO)
            break; /* only a hole is left */
        if (data < 0) {
            data = (off_t)off; /* no SEEK_DATA here: all of it is data, zero blocks aside */
            hole = (off_t)size;
        } else {
            hole = lseek(in, data, SEEK_HOLE);
            if (hole < 0)
                hole = (off_t)size;
        }
        failed = src;
        if (pack_range(in, out, (uint64_t)data, (uint64_t)hole, buf) < 0)
            goto done;
        off = (uint64_t)hole;
    }
    failed = dst;
    if (put_u64(out, SPARSE_END) || put_u64(out, 0))
        goto done;
    if (close(out) < 0) {
        out = -1;
        goto done;
    }
    out = -1;
    rc = 0;
done:
    if (rc != 0)
        snprintf(why, whylen, "%s: %s", failed, strerror(errno ? errno : EIO));
    free(buf);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

static int get_u64(int fd, off_t *pos, uint64_t *v)
{
    uint8_t b[8];
    if (pread_all(fd, b, sizeof(b), *pos) < 0)
        return -1;
    *pos += 8;
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)b[i] << (8 * i);
    return 0;
}

int sparse_unpack(int in_fd, int out_fd, const char *name, char *why, size_t whylen)
{
    char magic[8];
    off_t pos = 0;
    uint64_t size, off, len, next = 0;
    uint8_t *buf = malloc(SPARSE_BLOCK);
    int rc = -1;
    if (!buf) {
        snprintf(why, whylen, "%s: out of memory", name);
        return -1;
    }
    if (pread_all(in_fd, magic, 8, 0) < 0 || memcmp(magic, SPARSE_MAGIC, 8) != 0 ||
        (pos = 8, get_u64(in_fd, &pos, &size) < 0)) {
        snprintf(why, whylen, "%s: not a packed sparse file", name);
        goto done;
    }
    if (size > (uint64_t)INT64_MAX || ftruncate(out_fd, 0) < 0 ||
        ftruncate(out_fd, (off_t)size) < 0) {
        snprintf(why, whylen, "%s: cannot set its size to %llu bytes: %s", name,
                 (unsigned long long)size, strerror(errno));
        goto done;
    }
    for (;;) {
        if (get_u64(in_fd, &pos, &off) < 0 || get_u64(in_fd, &pos, &len) < 0) {
            snprintf(why, whylen, "%s: packed sparse file ends early", name);
            goto done;
        }
        if (off == SPARSE_END && len == 0)
            break;
        if (off < next || len == 0 || off > size || len > size - off) {
            snprintf(why, whylen, "%s: packed sparse file has a bad extent (%llu bytes at %llu)",
                     name, (unsigned long long)len, (unsigned long long)off);
            goto done;
        }
        next = off + len;
        while (len > 0) {
            size_t n = len < SPARSE_BLOCK ? (size_t)len : SPARSE_BLOCK;
            if (pread_all(in_fd, buf, n, pos) < 0) {
                snprintf(why, whylen, "%s: packed sparse file ends early", name);
                goto done;
            }
            ssize_t w;
            size_t done_bytes = 0;
            while (done_bytes < n) {
                w = pwrite(out_fd, buf + done_bytes, n - done_bytes, (off_t)(off + done_bytes));
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0) {
                    snprintf(why, whylen, "%s: %s", name, strerror(w < 0 ? errno : EIO));
                    goto done;
                }
                done_bytes += (size_t)w;
            }
            pos += (off_t)n;
            off += n;
            len -= n;
        }
    }
    rc = 0;
done:
    free(buf);
    return rc;
}

int sparse_pack_main(int argc, char **argv)
{
    char why[512];
    if (argc != 3) {
        fprintf(stderr, "usage: pagevisor sparse-pack SRC DST\n");
        return PV_EXIT_USAGE;
    }
    if (sparse_pack(argv[1], argv[2], why, sizeof(why)) != 0) {
        fprintf(stderr, "pagevisor sparse-pack: %s\n", why);
        return PV_EXIT_VMM_ERROR;
    }
    return 0;
}
