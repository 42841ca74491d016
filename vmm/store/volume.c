/*
 * volume.c - the guest's volume C: on a host directory: names checked and opened beneath it
 * with openat2, whole pages moved between its files and guest frames with preadv/pwritev, the
 * table of open files, and the counters and failure lines the user sees.
 */
#include "volume.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096u

int volume_open(struct volume *v, const char *dir, char *why, size_t whylen)
{
    memset(v, 0, sizeof(*v));
    for (size_t i = 0; i < PV_FILES_MAX; i++)
        v->files[i].fd = -1;
    v->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (v->dirfd < 0) {
        snprintf(why, whylen, "--volume %s: %s", dir, strerror(errno));
        return -1;
    }
    /* A write past RLIMIT_FSIZE fails its call with EFBIG rather than killing the VMM. */
    struct sigaction old;
    if (sigaction(SIGXFSZ, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        signal(SIGXFSZ, SIG_IGN);
    return 0;
}

void volume_close(struct volume *v)
{
    if (!v || v->dirfd < 0)
        return;
    for (size_t i = 0; i < PV_FILES_MAX; i++)
        if (v->files[i].fd >= 0) {
            close(v->files[i].fd);
            v->files[i].fd = -1;
        }
    close(v->dirfd);
    v->dirfd = -1;
}

static void failure(struct volume *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failure(struct volume *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->failure, sizeof(v->failure), fmt, ap);
    va_end(ap);
}

/* PV_OK, or why the name is refused before the host looks at it. */
static int32_t check_name(const char *name)
{
    size_t len = strnlen(name, PV_FILE_NAME_MAX);
    if (len == PV_FILE_NAME_MAX || len == 0)
        return PV_EINVAL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7F)
            return PV_EINVAL;
    if (name[0] == '/')
        return PV_EACCES;
    int32_t ret = PV_OK;
    for (const char *p = name;;) {
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return PV_EACCES; /* outranks any other fault of the name */
        if (n == 0 || (n == 1 && p[0] == '.'))
            ret = PV_EINVAL;
        if (!*end)
            break;
        p = end + 1;
    }
    return ret;
}

static int open_beneath(struct volume *v, const char *name, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)flags,
        .mode = (flags & O_CREAT) ? 0644 : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    /* EAGAIN: a rename elsewhere raced a ".." in a link's target; the kernel asks to retry. */
    int fd = -1;
    for (int tries = 0; tries < 16; tries++) {
        fd = (int)syscall(SYS_openat2, v->dirfd, name, &how, sizeof(how));
        if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
            break;
    }
    return fd;
}

static int32_t open_errno(struct volume *v, const char *name, int e)
{
    switch (e) {
    case ENOENT: case ENOTDIR: return PV_ENOENT;
    case EEXIST: return PV_EEXIST;
    case EISDIR: return PV_EISDIR;
    case EXDEV: case ELOOP: case EACCES: case EPERM: case EROFS: case ENXIO: case ETXTBSY:
    case ENODEV: case EOPNOTSUPP:
        return PV_EACCES;
    case ENAMETOOLONG: return PV_EINVAL;
    default:
        failure(v, "volume file %s: open failed: %s", name, strerror(e));
        return PV_EIO;
    }
}

int32_t volume_file_open(struct volume *v, const struct pv_hc_file_open *req, uint32_t *handle,
                         uint32_t *created, uint64_t *size)
{
    *handle = 0;
    *created = 0;
    *size = 0;
    if (!volume_is_open(v))
        return PV_ENODEV;
    int32_t ret = check_name(req->name);
    uint32_t f = req->flags;
    if (ret == PV_OK && ((f & ~(PV_FILE_WRITE | PV_FILE_CREATE | PV_FILE_EXCL |
                                PV_FILE_TRUNCATE)) ||
                         ((f & (PV_FILE_CREATE | PV_FILE_TRUNCATE)) && !(f & PV_FILE_WRITE)) ||
                         ((f & PV_FILE_EXCL) && !(f & PV_FILE_CREATE))))
        ret = PV_EINVAL;
    size_t slot = PV_FILES_MAX;
    for (size_t i = 0; ret == PV_OK && i < PV_FILES_MAX && slot == PV_FILES_MAX; i++)
        if (v->files[i].fd < 0)
            slot = i;
    if (ret == PV_OK && slot == PV_FILES_MAX)
        ret = PV_EMFILE;
    if (ret == PV_OK && v->no_openat2)
        ret = PV_EACCES;
    if (ret != PV_OK)
        return ret;
    const char *name = req->name;
    /* Never blocking on a FIFO, never taking a terminal; only regular files are kept. */
    int base = ((f & PV_FILE_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    int fd = -1;
    bool made = false;
    if (f & PV_FILE_CREATE) {
        /* Exclusive first, so that the guest learns whether this call made the file. */
        for (int tries = 0; tries < 8; tries++) {
            fd = open_beneath(v, name, base | O_CREAT | O_EXCL);
            if (fd >= 0) {
                made = true;
                break;
            }
            if (errno != EEXIST || (f & PV_FILE_EXCL))
                break;
            fd = open_beneath(v, name, base);
            if (fd >= 0 || errno != ENOENT)
                break; /* ENOENT: it went away in between; try again */
        }
    } else {
        fd = open_beneath(v, name, base);
    }
    if (fd < 0) {
        int e = errno;
        if (e == ENOSYS) {
            v->no_openat2 = true;
            if (!v->no_openat2_told) {
                v->no_openat2_told = true;
                fflush(stdout);
                fprintf(stderr, "pagevisor: --volume: this host's kernel has no openat2 (Linux "
                        "5.6 or later), which keeps names inside the volume; every file the "
                        "guest opens is refused\n");
            }
            return PV_EACCES;
        }
        return open_errno(v, name, e);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        failure(v, "volume file %s: fstat failed: %s", name, strerror(e));
        return PV_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return S_ISDIR(st.st_mode) ? PV_EISDIR : PV_EACCES;
    }
    /* A file nobody may write stays read-only for root too (the pagevisor inside the KVM
     * runner VM is root): the same answer as a direct run by its owner. */
    if ((f & PV_FILE_WRITE) && !made && !(st.st_mode & 0222)) {
        close(fd);
        return PV_EACCES;
    }
    /* Cut only now that it is known to be a regular file the guest may write. */
    if ((f & PV_FILE_TRUNCATE) && st.st_size != 0) {
        int rc;
        while ((rc = ftruncate(fd, 0)) < 0 && errno == EINTR)
            ;
        if (rc < 0) {
            int e = errno;
            close(fd);
            failure(v, "volume file %s: truncating it failed: %s", name, strerror(e));
            return PV_EIO;
        }
        st.st_size = 0;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    struct volume_file *vf = &v->files[slot];
    vf->fd = fd;
    vf->writable = (f & PV_FILE_WRITE) != 0;
    memcpy(vf->name, name, strlen(name) + 1);
    v->stats.files_opened++;
    *handle = (uint32_t)slot + 1;
    *created = made;
    *size = (uint64_t)st.st_size;
    return PV_OK;
}

static struct volume_file *file_of(struct volume *v, uint32_t handle)
{
    if (handle == 0 || handle > PV_FILES_MAX || v->files[handle - 1].fd < 0)
        return NULL;
    return &v->files[handle - 1];
}

static int32_t validate_io(struct volume *v, const struct guest_mem *mem,
                           const struct pv_hc_file_io *req)
{
    if (req->op != PV_FILE_READ && req->op != PV_FILE_WRITE_PAGES)
        return PV_EINVAL;
    struct volume_file *vf = file_of(v, req->handle);
    if (!vf)
        return PV_EBADF;
    if (req->count == 0 || req->count > PV_PAGEFILE_CLUSTER_MAX)
        return PV_EINVAL;
    uint64_t offset = (uint64_t)req->offset_hi << 32 | req->offset_lo;
    if ((offset & (PAGE - 1)) || offset >= (1ull << 63) ||
        (uint64_t)req->count * PAGE > (1ull << 63) - offset)
        return PV_EINVAL;
    if (req->op == PV_FILE_WRITE_PAGES &&
        (req->length <= (req->count - 1) * PAGE || req->length > req->count * PAGE))
        return PV_EINVAL;
    for (uint32_t i = 0; i < req->count; i++)
        if (!gpa_range_ok(mem, (uint64_t)req->frames[i] * PAGE, PAGE))
            return PV_EFAULT;
    if (req->op == PV_FILE_WRITE_PAGES && !vf->writable)
        return PV_EBADF;
    for (uint32_t i = 1; req->op == PV_FILE_READ && i < req->count; i++)
        for (uint32_t j = 0; j < i; j++)
            if (req->frames[j] == req->frames[i])
                return PV_EDUPFRAME;
    return PV_OK;
}

/* The frames as iovecs for the first len bytes, frames adjacent in guest RAM merged. */
static int build_iov(struct guest_mem *mem, const uint32_t *frames, size_t len,
                     struct iovec *iov)
{
    int k = -1;
    for (uint32_t i = 0; len > 0; i++) {
        uint8_t *p = mem->base + (uint64_t)frames[i] * PAGE;
        size_t n = len < PAGE ? len : PAGE;
        len -= n;
        if (k >= 0 && (uint8_t *)iov[k].iov_base + iov[k].iov_len == p) {
            iov[k].iov_len += n;
        } else {
            k++;
            iov[k].iov_base = p;
            iov[k].iov_len = n;
        }
    }
    return k + 1;
}

/* All of iov at off, resumed after short transfers and EINTR. 0 (a read may end early at the
 * end of the file), or -1 with *err. *moved = bytes transferred. */
static int transfer(int fd, bool write, struct iovec *iov, int iovcnt, off_t off,
                    size_t *moved, int *err)
{
    *moved = 0;
    *err = 0;
    while (iovcnt > 0) {
        ssize_t r = write ? pwritev(fd, iov, iovcnt, off) : preadv(fd, iov, iovcnt, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *err = errno;
            return -1;
        }
        if (r == 0) {
            if (!write)
                return 0; /* the end of the file */
            *err = EIO;   /* a write that moves nothing would spin forever */
            return -1;
        }
        *moved += (size_t)r;
        off += r;
        iov_advance(&iov, &iovcnt, (size_t)r);
    }
    return 0;
}

static bool no_room(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

int32_t volume_file_io(struct volume *v, struct guest_mem *mem, const struct pv_hc_file_io *req,
                       uint32_t *bytes)
{
    *bytes = 0;
    if (!volume_is_open(v))
        return PV_ENODEV;
    int32_t ret = validate_io(v, mem, req);
    if (ret != PV_OK) {
        v->stats.rejected_calls++;
        return ret;
    }
    struct volume_file *vf = file_of(v, req->handle);
    bool write = req->op == PV_FILE_WRITE_PAGES;
    uint64_t offset = (uint64_t)req->offset_hi << 32 | req->offset_lo;
    size_t len = write ? req->length : (size_t)req->count * PAGE;
    struct iovec iov[PV_PAGEFILE_CLUSTER_MAX];
    int n = build_iov(mem, req->frames, len, iov);
    size_t moved;
    int err;
    int rc = transfer(vf->fd, write, iov, n, (off_t)offset, &moved, &err);
    *bytes = (uint32_t)moved;
    if (write)
        v->stats.write_calls++;
    else
        v->stats.read_calls++;
    if (!write) {
        /* Past the end of the file, or after a failure: zeros, never stale frame contents. */
        for (size_t at = moved; at < len;) {
            uint32_t i = (uint32_t)(at / PAGE);
            size_t in = at % PAGE;
            memset(mem->base + (uint64_t)req->frames[i] * PAGE + in, 0, PAGE - in);
            at += PAGE - in;
        }
    }
    if (rc == 0) {
        if (write)
            v->stats.pages_written += req->count;
        else
            v->stats.pages_read += req->count;
        return PV_OK;
    }
    v->stats.failed_calls++;
    failure(v, "volume file %s: %s at byte %llu failed: %s", vf->name, write ? "write" : "read",
            (unsigned long long)(offset + moved), strerror(err));
    return write && no_room(err) ? PV_ENOSPC : PV_EIO;
}

int32_t volume_file_close(struct volume *v, uint32_t handle)
{
    if (!volume_is_open(v))
        return PV_ENODEV;
    struct volume_file *vf = file_of(v, handle);
    if (!vf)
        return PV_EBADF;
    int rc = close(vf->fd);
    int e = errno;
    vf->fd = -1;
    if (rc < 0 && e != EINTR) {
        failure(v, "volume file %s: close failed: %s", vf->name, strerror(e));
        return PV_EIO;
    }
    return PV_OK;
}

int32_t volume_file_set_size(struct volume *v, uint32_t handle, uint64_t size)
{
    if (!volume_is_open(v))
        return PV_ENODEV;
    struct volume_file *vf = file_of(v, handle);
    if (!vf || !vf->writable)
        return PV_EBADF;
    if (size >= (1ull << 63))
        return PV_EINVAL;
    int rc;
    while ((rc = ftruncate(vf->fd, (off_t)size)) < 0 && errno == EINTR)
        ;
    if (rc == 0)
        return PV_OK;
    int e = errno;
    failure(v, "volume file %s: setting its size to %llu bytes failed: %s", vf->name,
            (unsigned long long)size, strerror(e));
    return no_room(e) ? PV_ENOSPC : PV_EIO;
}

void volume_print_stats(const struct volume *v, FILE *out)
{
    const struct volume_stats *s = &v->stats;
    fprintf(out, "pagevisor: volume: %llu files opened, %llu pages read in %llu calls, %llu pages "
            "written in %llu calls; %llu calls failed, %llu refused\n",
            (unsigned long long)s->files_opened, (unsigned long long)s->pages_read,
            (unsigned long long)s->read_calls, (unsigned long long)s->pages_written,
            (unsigned long long)s->write_calls, (unsigned long long)s->failed_calls,
            (unsigned long long)s->rejected_calls);
}
