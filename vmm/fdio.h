/* fdio.h - small file-descriptor, path and clock helpers shared by the host's subsystems. */
#ifndef PV_FDIO_H
#define PV_FDIO_H

#include <stddef.h>

/* Writes all len bytes: retries after signals and, on a non-blocking fd, waits until it can
 * write. Returns 0, or -1 with errno set (a write of nothing counts as EIO). */
int fd_write_all(int fd, const void *buf, size_t len);

/* The directory part of path into dir: "." for a bare name, "/" for a file in the root. */
void path_parent_dir(const char *path, char *dir, size_t size);

/* The one-line message of a failure into why (vsnprintf), then -1: the error return of the
 * checks that explain themselves (preflight, the kernel loader, the runner's volume). */
int fail_why(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Seconds on the monotonic clock (timeouts, waits, flush intervals). */
double monotonic_seconds(void);

/* After a preadv/pwritev moved `done` bytes of *iov (*iovcnt entries): the entries it finished
 * dropped, the one it stopped in shortened, so that the call can be made again for the rest. */
struct iovec;
void iov_advance(struct iovec **iov, int *iovcnt, size_t done);

#endif
