/*
 * pagefile.h - the host pagefile: a file of 4 KiB slots that guest pages move to and from with
 * pread/pwrite straight into guest frames, a checksum per slot verified on every read, error
 * injection for the guest's in-page error paths, and traffic counters.
 */
#ifndef PV_PAGEFILE_H
#define PV_PAGEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guest_mem.h"
#include "pv_abi.h"

#define PAGEFILE_SLOT_SIZE 4096u
#define PAGEFILE_INJECT_RULES_MAX 16u

/* Events pagefile_notice reports, once each. */
#define PAGEFILE_NOTICE_DELETED   1u /* the named file's last name was removed */
#define PAGEFILE_NOTICE_TRUNCATED 2u /* the file is shorter than pagevisor made it */

/* Traffic since pagefile_open. A "call" is one PV_HC_PAGEFILE_IO request. */
struct pagefile_stats {
    uint64_t read_calls, write_calls;   /* requests that passed validation */
    uint64_t rejected_calls;            /* requests refused before any I/O (PV_EINVAL/EFAULT) */
    uint64_t failed_calls;              /* requests that ended in PV_EIO or PV_ENOSPC */
    uint64_t pages_read, pages_written; /* pages transferred and (for reads) verified */
    uint64_t bytes_read, bytes_written; /* bytes moved by the syscalls, partial ones included */
    uint64_t read_syscalls, write_syscalls; /* preadv/pwritev calls: shows the coalescing */
    uint64_t checksum_mismatches;       /* reads whose data did not match the slot's checksum */
    uint64_t unwritten_reads;           /* reads of a slot never written (a guest bug) */
    uint64_t io_errors;                 /* real host I/O failures (errno, or end of file) */
    uint64_t injected_failures;         /* failures made by --inject-pagefile-errors */
    uint64_t full_writes;               /* write requests that ended in PV_ENOSPC: the file
                                         * system was full or the file at its size limit
                                         * (ENOSPC, EDQUOT, EFBIG), injected ones included */
};

/* Why the last failed request failed, for the host's message (pagefile_describe_failure). */
enum pagefile_failure_kind {
    PAGEFILE_FAIL_NONE,
    PAGEFILE_FAIL_IO,        /* preadv/pwritev failed; errno in err */
    PAGEFILE_FAIL_EOF,       /* the file ended inside the slot (it shrank behind our back) */
    PAGEFILE_FAIL_CHECKSUM,  /* the data read back is not what was written */
    PAGEFILE_FAIL_UNWRITTEN, /* the slot was never written, or its last write failed */
    PAGEFILE_FAIL_INJECTED,  /* --inject-pagefile-errors chose this page */
    PAGEFILE_FAIL_DUPLICATE, /* a read listed one frame for two slots: refused, no I/O */
    PAGEFILE_FAIL_FULL,      /* pwritev found no room: ENOSPC, EDQUOT or EFBIG in err */
};

struct pagefile_failure {
    enum pagefile_failure_kind kind;
    int err;       /* errno for PAGEFILE_FAIL_IO (EIO...) and PAGEFILE_FAIL_FULL; ENOSPC for
                    * an injected write failure of an as=enospc rule; else 0 */
    uint32_t op;   /* PV_PAGEFILE_READ or PV_PAGEFILE_WRITE */
    uint32_t slot; /* the slot of the page that failed */
    uint32_t frame, first_slot; /* PAGEFILE_FAIL_DUPLICATE: the frame, the slot listed first */
};

enum pagefile_inject_select { INJECT_RATE, INJECT_SLOTS, INJECT_NTH };

struct pagefile_slot_range {
    uint32_t first, last; /* inclusive */
};

/* One rule of --inject-pagefile-errors: which op it applies to and which pages it fails. */
struct pagefile_inject_rule {
    uint32_t ops;                      /* bit mask of 1 << PV_PAGEFILE_READ / WRITE */
    enum pagefile_inject_select select;
    double rate;                       /* INJECT_RATE: probability per page */
    uint64_t rng;                      /* INJECT_RATE: generator state, from seed */
    struct pagefile_slot_range *ranges; /* INJECT_SLOTS */
    size_t nranges;
    uint64_t nth, seen;                /* INJECT_NTH: fail the nth page, counting from 1 */
    int as;                            /* 0 (as=eio, the default) or ENOSPC (as=enospc): how
                                        * an injected write failure is reported */
};

struct pagefile {
    int fd;                 /* -1 when closed */
    uint32_t slots;         /* size in slots; slot 0 is reserved, pages use 1..slots-1 */
    char *path;             /* the named file, or NULL for an unlinked temporary one */
    char *name;             /* what messages call the named file (pagefile_set_name) */
    char *tmpdir;           /* the directory of a temporary one, for messages */
    uint64_t size;          /* the size pagevisor set, in bytes */
    uint32_t noticed, told; /* PAGEFILE_NOTICE_* found by the check; said by pagefile_notice */
    uint64_t truncated_to;  /* PAGEFILE_NOTICE_TRUNCATED: the size the check found */
    uint32_t *checksum;     /* per slot, valid where the bit in `written` is set */
    uint64_t *written;      /* bitmap: slot holds data whose write completed */
    struct pagefile_inject_rule rules[PAGEFILE_INJECT_RULES_MAX];
    size_t nrules;
    struct pagefile_stats stats;
    struct pagefile_failure last_failure;
};

/*
 * Open the pagefile. path NULL: an unlinked temporary file (mode 0600) in $TMPDIR or /tmp that
 * disappears with the process. Otherwise the file at path is created or reused (mode 0600).
 * Either way it is sized with ftruncate to size_bytes: a multiple of 4 KiB holding at least
 * two slots (slot 0 is never used) and at most 2^32-1. Data already in a reused file is never
 * handed to a guest: every slot starts unwritten. Returns 0, or -1 with errno set and one line
 * naming the cause in why. Sets SIGXFSZ to ignored if it was at its default, so that a write
 * past RLIMIT_FSIZE fails its call with EFBIG instead of killing the VMM.
 */
int pagefile_open(struct pagefile *pf, const char *path, uint64_t size_bytes,
                  char *why, size_t whylen);

/* What messages call the named pagefile (default: its path), e.g. the user's path for a run
 * inside the KVM runner, whose pagefile has another path in the VM. Ignored for a temporary
 * one; name NULL keeps the path. */
void pagefile_set_name(struct pagefile *pf, const char *name);

/* Close the file (a named one stays on disk) and free everything; safe on a closed pagefile. */
void pagefile_close(struct pagefile *pf);

static inline bool pagefile_is_open(const struct pagefile *pf)
{
    return pf && pf->fd >= 0;
}

/* Serve PV_HC_PAGEFILE_INFO: slots = pagefile size in slots, or 0 and PV_ENODEV without one. */
void pagefile_info(const struct pagefile *pf, struct pv_hc_pagefile_info *info);

/*
 * Serve PV_HC_PAGEFILE_IO from a call block already copied out of guest RAM. Everything is
 * validated before any I/O: op, 1 <= count <= PV_PAGEFILE_CLUSTER_MAX, slots inside 1..slots-1,
 * every frame inside guest RAM (PV_EINVAL / PV_EFAULT, nothing read or written), and for a read
 * no frame listed twice (PV_EDUPFRAME, last_failure names the frame: two slots cannot both land
 * in one frame, and reading them would look like a checksum mismatch). Then the pages
 * are transferred; *done receives the number of pages transferred (and verified) before the
 * first failure. Returns PV_OK, PV_EIO (last_failure says why), PV_ENOSPC (a write the file
 * system had no room for: ENOSPC, EDQUOT or EFBIG, or an injected as=enospc failure),
 * PV_EINVAL, PV_EFAULT, PV_EDUPFRAME, or
 * PV_ENODEV without a pagefile. After a failed read the frames from *done on hold zeros; after a
 * failed write the slots from *done on read as failures until written again.
 * After every write request, and after a failed read, the open file is checked (one fstat):
 * a named file deleted, or any pagefile made shorter than pagevisor made it, queues a notice
 * for pagefile_notice.
 */
int32_t pagefile_io(struct pagefile *pf, struct guest_mem *mem,
                    const struct pv_hc_pagefile_io *req, uint32_t *done);

/*
 * Add the rules of one --inject-pagefile-errors spec (grammar in pagefile.c and README):
 *   spec  := rule { ';' rule }
 *   rule  := ops ':' select
 *   ops   := read | write | rw
 *   select:= rate=P [',' seed=N] | slots=R { ',' R } | nth=N        R := N | N-M
 *            and optionally ',as=eio' (the default) or ',as=enospc' (write and rw rules only:
 *            an injected write failure is reported as a full file system, PV_ENOSPC)
 * Returns 0, or -1 with one line naming the bad part in why; a bad spec adds no rule at all.
 * Call it after pagefile_open (which starts with no rules); with pf NULL it only checks the
 * spec, for option parsing before the pagefile exists. At most PAGEFILE_INJECT_RULES_MAX rules.
 */
int pagefile_inject(struct pagefile *pf, const char *spec, char *why, size_t whylen);

/* One line describing last_failure, e.g. "write of slot 7 failed: pwritev: No space left...". */
const char *pagefile_describe_failure(const struct pagefile *pf, char *buf, size_t len);

/*
 * Something happened to the file behind pagevisor's back (found by pagefile_io's check): puts
 * one line for the user into buf (without "pagevisor: " and the newline) and returns true, once
 * per kind of event ever; false when there is nothing new to say. Call it until it says false:
 *   the pagefile PATH was deleted during the run; ...   (a named file only)
 *   the pagefile PATH was truncated from X to Y bytes behind pagevisor's back; ...
 */
bool pagefile_notice(struct pagefile *pf, char *buf, size_t len);

/* The traffic counters as a short human summary (the host's statistics at exit). */
void pagefile_print_stats(const struct pagefile *pf, FILE *out);

/* CRC-32C (Castagnoli) of buf, hardware-assisted where the CPU has SSE4.2; the portable one
 * computes the same value. Exposed for tests. */
uint32_t pagefile_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t pagefile_crc32c_portable(uint32_t crc, const void *buf, size_t len);

#endif /* PV_PAGEFILE_H */
