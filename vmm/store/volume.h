/*
 * volume.h - the guest's volume C: (`run --volume HOSTDIR`): the host files the guest opens by
 * name under HOSTDIR, and their whole pages moved to and from guest frames (PV_HC_FILE_*).
 * No name can reach outside HOSTDIR: "..", absolute names and symbolic links leading out are
 * refused (openat2 with RESOLVE_BENEATH).
 */
#ifndef PV_VOLUME_H
#define PV_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guest_mem.h"
#include "pv_abi.h"

struct volume_stats {
    uint64_t files_opened;              /* successful opens */
    uint64_t read_calls, write_calls;   /* PV_HC_FILE_IO requests that passed validation */
    uint64_t pages_read, pages_written; /* pages of those requests that were moved whole */
    uint64_t rejected_calls;            /* requests refused before any I/O */
    uint64_t failed_calls;              /* requests whose host I/O failed (PV_EIO, PV_ENOSPC) */
};

struct volume_file {
    int fd;                         /* -1: the handle is free */
    bool writable;
    char name[PV_FILE_NAME_MAX];    /* as the guest gave it: relative to HOSTDIR */
};

struct volume {
    int dirfd;                      /* O_PATH of HOSTDIR, -1 when there is no volume */
    bool no_openat2;                /* the kernel has no openat2: every open is refused */
    bool no_openat2_told;
    struct volume_file files[PV_FILES_MAX]; /* handle h is files[h - 1] */
    struct volume_stats stats;
    char failure[PV_FILE_NAME_MAX + 256]; /* the last host failure, for the user (no prefix) */
};

/* Opens HOSTDIR as the volume. 0, or -1 with one line in why. */
int volume_open(struct volume *v, const char *dir, char *why, size_t whylen);

/* Closes every open file and the volume; safe on a volume never opened (dirfd -1) or closed. */
void volume_close(struct volume *v);

static inline bool volume_is_open(const struct volume *v)
{
    return v && v->dirfd >= 0;
}

/*
 * PV_HC_FILE_OPEN from a call block already copied out of guest RAM. Returns PV_OK with
 * *handle, *created and *size set, or PV_EINVAL (a name not NUL-terminated in its array, empty,
 * with an empty or "." component or a byte that is not printable ASCII; bad flags), PV_EACCES
 * (an absolute name, "..", a symbolic link out of HOSTDIR, not a regular file, the host's
 * permissions; writing a file without any write permission bit, even as root), PV_ENOENT, PV_EEXIST, PV_EISDIR, PV_EMFILE, PV_EIO (failure says why), or
 * PV_ENODEV without a volume.
 */
int32_t volume_file_open(struct volume *v, const struct pv_hc_file_open *req, uint32_t *handle,
                         uint32_t *created, uint64_t *size);

/*
 * PV_HC_FILE_IO. Validated before any I/O: op, handle (PV_EBADF, also for a write to a file
 * opened read-only), 1 <= count <= PV_PAGEFILE_CLUSTER_MAX, offset page aligned and the pages
 * below 2^63, a write's length in ((count - 1) * 4096, count * 4096] (PV_EINVAL), every frame
 * inside guest RAM (PV_EFAULT), no frame twice in a read (PV_EDUPFRAME). A read past the end
 * of the file zeroes the rest of the frames; *bytes is what the file held (read) or what was
 * written. Host failures: PV_ENOSPC (ENOSPC, EDQUOT, EFBIG), else PV_EIO; failure says which
 * file and byte offset.
 */
int32_t volume_file_io(struct volume *v, struct guest_mem *mem, const struct pv_hc_file_io *req,
                       uint32_t *bytes);

/* PV_HC_FILE_CLOSE: PV_OK, PV_EBADF, PV_EIO (the handle is free either way), PV_ENODEV. */
int32_t volume_file_close(struct volume *v, uint32_t handle);

/* PV_HC_FILE_SET_SIZE: the file (opened for writing, else PV_EBADF) grows with zeros or is cut
 * to size (below 2^63, else PV_EINVAL). PV_OK, PV_ENOSPC, PV_EIO, PV_ENODEV. */
int32_t volume_file_set_size(struct volume *v, uint32_t handle, uint64_t size);

/* The counters as one line (--verbose). */
void volume_print_stats(const struct volume *v, FILE *out);

#endif /* PV_VOLUME_H */
