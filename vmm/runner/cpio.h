/*
 * cpio.h - a small writer of newc ("070701") cpio archives, the format Linux unpacks as an
 * initramfs. The KVM runner (runner.c) writes each job's files with it.
 *
 * Entries are directories, regular files and symbolic links, named by paths relative to the
 * archive's root ("pv/bin/pagevisor"; a leading '/' is dropped, "." and repeated slashes are
 * folded, ".." is refused). The parent directories of every entry are added first (mode 0755) unless the
 * archive already has them, and a directory is never added twice. Owner and group are 0 (root).
 * Sizes are limited to 4 GiB - 1 per file by the format.
 *
 * Every function returns 0, or -1 with errno set; after a failure the archive is incomplete and
 * only cpio_writer_free() is useful.
 */
#ifndef PV_CPIO_H
#define PV_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct cpio_writer {
    int fd;            /* where the archive goes, written from its current offset */
    uint64_t offset;   /* archive bytes written so far (alignment counts from 0) */
    uint32_t next_ino; /* inode numbers, unique within the archive */
    uint32_t mtime;    /* for entries without a host file: when the writer was opened */
    char **dirs;       /* directories already in the archive */
    size_t n_dirs, cap_dirs;
};

/* Start an archive on fd. The archive must begin at a 4-byte aligned offset of the file the
 * kernel reads (alignment in newc is counted from the archive's first byte). */
int cpio_writer_init(struct cpio_writer *w, int fd);

/* A directory; mode holds the permission bits (e.g. 0755). */
int cpio_add_dir(struct cpio_writer *w, const char *path, unsigned mode);

/* A regular file with the given permission bits and contents. */
int cpio_add_file(struct cpio_writer *w, const char *path, unsigned mode,
                  const void *data, size_t size);

/* A regular file whose contents are the next `size` bytes read from src_fd (a short read is an
 * error: EIO). mtime is stored as given. */
int cpio_add_file_fd(struct cpio_writer *w, const char *path, unsigned mode, uint32_t mtime,
                     int src_fd, uint64_t size);

/* A symbolic link to target (stored as given: it is not resolved or checked). */
int cpio_add_symlink(struct cpio_writer *w, const char *path, const char *target);

/* The trailer entry. The archive is complete after it. Does not close fd. */
int cpio_finish(struct cpio_writer *w);

/* Release the writer's memory (after cpio_finish or after a failure). Does not close fd. */
void cpio_writer_free(struct cpio_writer *w);

/* Fold `path` into the normalized entry name described above, into buf. Returns 0, or -1 with
 * errno EINVAL (empty, "..", or nothing left) or ENAMETOOLONG. */
int cpio_normalize_path(const char *path, char *buf, size_t size);

#endif /* PV_CPIO_H */
