/* test_pagefile.c - the host pagefile: pages round-trip intact, hostile requests fail before any
 * I/O, corrupt, missing and truncated storage and injected errors all end as PV_EIO with
 * nothing unverified left in a guest frame, full storage as PV_ENOSPC, a file deleted or
 * truncated behind pagevisor's back is reported once, and the file is created and removed as
 * promised. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "pagefile.h"
#include "unit.h"

#define RAM    (2u << 20)
#define FRAMES (RAM / PAGEFILE_SLOT_SIZE)
#define SLOTS  64u

static struct guest_mem mem;
static struct pagefile pf;
static char why[512];

/* ---- helpers ---------------------------------------------------------------------------- */

static uint8_t *frame(uint32_t pfn)
{
    return mem.base + (size_t)pfn * PAGEFILE_SLOT_SIZE;
}

/* A page whose every byte depends on tag, so a page in the wrong place is caught. */
static void fill(uint32_t pfn, uint32_t tag)
{
    uint32_t x = tag * 2654435761u + 1;
    for (size_t i = 0; i < PAGEFILE_SLOT_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        frame(pfn)[i] = (uint8_t)(x >> 16);
    }
}

static bool holds(uint32_t pfn, uint32_t tag)
{
    static uint8_t want[PAGEFILE_SLOT_SIZE];
    uint32_t x = tag * 2654435761u + 1;
    for (size_t i = 0; i < PAGEFILE_SLOT_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        want[i] = (uint8_t)(x >> 16);
    }
    return memcmp(frame(pfn), want, PAGEFILE_SLOT_SIZE) == 0;
}

static bool all_bytes(uint32_t pfn, uint8_t value)
{
    for (size_t i = 0; i < PAGEFILE_SLOT_SIZE; i++)
        if (frame(pfn)[i] != value)
            return false;
    return true;
}

static struct pv_hc_pagefile_io request(uint32_t op, uint32_t slot, uint32_t count,
                                        uint32_t first_frame)
{
    struct pv_hc_pagefile_io r = { .op = op, .slot = slot, .count = count };
    for (uint32_t i = 0; i < count && i < PV_PAGEFILE_CLUSTER_MAX; i++)
        r.frames[i] = first_frame + i;
    return r;
}

/* Transfer count pages between slot.. and frames first_frame.. (contiguous). */
static int32_t io(uint32_t op, uint32_t slot, uint32_t count, uint32_t first_frame,
                  uint32_t *done)
{
    struct pv_hc_pagefile_io r = request(op, slot, count, first_frame);
    return pagefile_io(&pf, &mem, &r, done);
}

/* Write tagged pages (tag = slot) to slots first..first+count-1 through frames 16.. */
static void store(uint32_t first, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        fill(16 + i, first + i);
    uint32_t done;
    CU_ASSERT_EQUAL_FATAL(io(PV_PAGEFILE_WRITE, first, count, 16, &done), PV_OK);
    CU_ASSERT_EQUAL(done, count);
}

static void open_temp(uint32_t slots)
{
    pagefile_close(&pf);
    memset(mem.base, 0, RAM);
    CU_ASSERT_EQUAL_FATAL(pagefile_open(&pf, NULL, (uint64_t)slots * PAGEFILE_SLOT_SIZE, why,
                                        sizeof(why)), 0);
}

static void make_temp_dir(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/pv-test-pagefile-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return (size_t)-1;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* ---- checksum --------------------------------------------------------------------------- */

static void crc32c_matches_known_values(void)
{
    /* The standard check value of CRC-32C, and the iSCSI test vector of 32 zero bytes. */
    CU_ASSERT_EQUAL(pagefile_crc32c(0, "123456789", 9), 0xE3069283u);
    CU_ASSERT_EQUAL(pagefile_crc32c_portable(0, "123456789", 9), 0xE3069283u);
    uint8_t zeros[32] = { 0 };
    CU_ASSERT_EQUAL(pagefile_crc32c(0, zeros, 32), 0x8A9136AAu);
    CU_ASSERT_EQUAL(pagefile_crc32c_portable(0, zeros, 32), 0x8A9136AAu);
    /* The fast one agrees with the portable one at every length and alignment, and chains. */
    fill(3, 77);
    for (size_t off = 0; off < 9; off++)
        for (size_t len = 0; len < 100; len += 7)
            CU_ASSERT_EQUAL(pagefile_crc32c(0, frame(3) + off, len),
                            pagefile_crc32c_portable(0, frame(3) + off, len));
    uint32_t whole = pagefile_crc32c(0, frame(3), 4096);
    CU_ASSERT_EQUAL(pagefile_crc32c(pagefile_crc32c(0, frame(3), 1000), frame(3) + 1000, 3096),
                    whole);
}

/* ---- round trips ------------------------------------------------------------------------ */

static void single_page_round_trip(void)
{
    open_temp(SLOTS);
    fill(16, 1234);
    uint32_t done = 99;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, 1, 1, 16, &done), PV_OK);
    CU_ASSERT_EQUAL(done, 1u);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 1, 1, 40, &done), PV_OK);
    CU_ASSERT_EQUAL(done, 1u);
    CU_ASSERT_TRUE(holds(40, 1234));
    /* The last slot works too. */
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, SLOTS - 1, 1, 16, &done), PV_OK);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, SLOTS - 1, 1, 41, &done), PV_OK);
    CU_ASSERT_TRUE(holds(41, 1234));
    CU_ASSERT_EQUAL(pf.stats.pages_written, 2u);
    CU_ASSERT_EQUAL(pf.stats.pages_read, 2u);
    CU_ASSERT_EQUAL(pf.stats.bytes_read, 2u * PAGEFILE_SLOT_SIZE);
    CU_ASSERT_EQUAL(pf.stats.failed_calls, 0u);
}

static void cluster_round_trip_contiguous(void)
{
    open_temp(SLOTS);
    store(10, PV_PAGEFILE_CLUSTER_MAX);
    CU_ASSERT_EQUAL(pf.stats.write_syscalls, 1u);
    uint32_t done;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 10, PV_PAGEFILE_CLUSTER_MAX, 100, &done), PV_OK);
    CU_ASSERT_EQUAL(done, PV_PAGEFILE_CLUSTER_MAX);
    for (uint32_t i = 0; i < PV_PAGEFILE_CLUSTER_MAX; i++)
        CU_ASSERT_TRUE(holds(100 + i, 10 + i));
    CU_ASSERT_EQUAL(pf.stats.read_syscalls, 1u);   /* one transfer for the whole cluster */
    CU_ASSERT_EQUAL(pf.stats.read_calls, 1u);
    CU_ASSERT_EQUAL(pf.stats.pages_read, PV_PAGEFILE_CLUSTER_MAX);
}

static void cluster_round_trip_scattered(void)
{
    open_temp(SLOTS);
    static const uint32_t out[5] = { 200, 90, 91, 92, FRAMES - 1 };
    static const uint32_t in[5] = { FRAMES - 2, 7, 300, 301, 8 };
    struct pv_hc_pagefile_io w = { .op = PV_PAGEFILE_WRITE, .slot = 20, .count = 5 };
    struct pv_hc_pagefile_io r = { .op = PV_PAGEFILE_READ, .slot = 20, .count = 5 };
    for (int i = 0; i < 5; i++) {
        w.frames[i] = out[i];
        r.frames[i] = in[i];
        fill(out[i], 500 + i);
    }
    uint32_t done;
    CU_ASSERT_EQUAL(pagefile_io(&pf, &mem, &w, &done), PV_OK);
    CU_ASSERT_EQUAL(pagefile_io(&pf, &mem, &r, &done), PV_OK);
    CU_ASSERT_EQUAL(done, 5u);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_TRUE(holds(in[i], 500 + i));
    /* Rewriting a slot replaces its checksum too. */
    fill(200, 999);
    w.count = 1;
    r.count = 1;
    CU_ASSERT_EQUAL(pagefile_io(&pf, &mem, &w, &done), PV_OK);
    CU_ASSERT_EQUAL(pagefile_io(&pf, &mem, &r, &done), PV_OK);
    CU_ASSERT_TRUE(holds(in[0], 999));
}

static void info_reports_slots(void)
{
    struct pv_hc_pagefile_info info;
    open_temp(SLOTS);
    pagefile_info(&pf, &info);
    CU_ASSERT_EQUAL(info.slots, SLOTS);
    CU_ASSERT_EQUAL(info.ret, PV_OK);
    pagefile_close(&pf);
    pagefile_info(&pf, &info);
    CU_ASSERT_EQUAL(info.slots, 0u);
    CU_ASSERT_EQUAL(info.ret, PV_ENODEV);
    pagefile_info(NULL, &info);
    CU_ASSERT_EQUAL(info.ret, PV_ENODEV);
    uint32_t done = 5;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 1, 1, 16, &done), PV_ENODEV);
    CU_ASSERT_EQUAL(done, 0u);
    struct pv_hc_pagefile_io r = request(PV_PAGEFILE_READ, 1, 1, 16);
    CU_ASSERT_EQUAL(pagefile_io(NULL, &mem, &r, &done), PV_ENODEV);
}

/* ---- validation ------------------------------------------------------------------------- */

static void expect_refused(struct pv_hc_pagefile_io r, int32_t want)
{
    struct pagefile_stats before = pf.stats;
    uint32_t done = 77;
    CU_ASSERT_EQUAL(pagefile_io(&pf, &mem, &r, &done), want);
    CU_ASSERT_EQUAL(done, 0u);
    CU_ASSERT_EQUAL(pf.stats.rejected_calls, before.rejected_calls + 1);
    CU_ASSERT_EQUAL(pf.stats.read_syscalls, before.read_syscalls);
    CU_ASSERT_EQUAL(pf.stats.write_syscalls, before.write_syscalls);
    CU_ASSERT_EQUAL(pf.stats.read_calls + pf.stats.write_calls,
                    before.read_calls + before.write_calls);
}

static void refuses_bad_requests_before_io(void)
{
    open_temp(SLOTS);
    store(5, 1);
    memset(frame(100), 0xAA, 16 * PAGEFILE_SLOT_SIZE);
    for (uint32_t op = PV_PAGEFILE_READ; op <= PV_PAGEFILE_WRITE; op++) {
        expect_refused(request(op, 0, 1, 100), PV_EINVAL);             /* slot 0 */
        expect_refused(request(op, SLOTS, 1, 100), PV_EINVAL);         /* past the end */
        expect_refused(request(op, SLOTS - 2, 3, 100), PV_EINVAL);     /* runs past the end */
        expect_refused(request(op, 0xFFFFFFFFu, 16, 100), PV_EINVAL);  /* wraps around */
        expect_refused(request(op, 5, 0, 100), PV_EINVAL);
        struct pv_hc_pagefile_io big = request(op, 5, 16, 100);
        big.count = PV_PAGEFILE_CLUSTER_MAX + 1;
        expect_refused(big, PV_EINVAL);
        big.count = 0xFFFFFFFFu;
        expect_refused(big, PV_EINVAL);
        expect_refused(request(op, 5, 1, FRAMES), PV_EFAULT);          /* just past RAM */
        expect_refused(request(op, 5, 1, 0xFFFFFFFFu), PV_EFAULT);
        struct pv_hc_pagefile_io last_bad = request(op, 5, 4, 100);
        last_bad.frames[3] = 0x00100000u;                                /* 4 GiB */
        expect_refused(last_bad, PV_EFAULT);
        struct pv_hc_pagefile_io tail = request(op, 5, 2, FRAMES - 1); /* 2nd frame outside */
        expect_refused(tail, PV_EFAULT);
    }
    expect_refused(request(0, 5, 1, 100), PV_EINVAL);
    expect_refused(request(3, 5, 1, 100), PV_EINVAL);
    expect_refused(request(0xFFFFFFFFu, 5, 1, 100), PV_EINVAL);
    /* Nothing was read into the frames and nothing overwrote slot 5. */
    for (uint32_t i = 0; i < 16; i++)
        CU_ASSERT_TRUE(all_bytes(100 + i, 0xAA));
    uint32_t done;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 5, 1, 120, &done), PV_OK);
    CU_ASSERT_TRUE(holds(120, 5));
    CU_ASSERT_EQUAL(pf.stats.failed_calls, 0u);
}

/* ---- failures --------------------------------------------------------------------------- */

static void unwritten_slot_reads_fail(void)
{
    open_temp(SLOTS);
    memset(frame(100), 0xAA, 2 * PAGEFILE_SLOT_SIZE);
    uint32_t done = 9;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 7, 1, 100, &done), PV_EIO);
    CU_ASSERT_EQUAL(done, 0u);
    CU_ASSERT_TRUE(all_bytes(100, 0));
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_UNWRITTEN);
    CU_ASSERT_EQUAL(pf.last_failure.slot, 7u);
    CU_ASSERT_EQUAL(pf.stats.read_syscalls, 0u);
    /* In a cluster, the pages before the unwritten one arrive. */
    store(5, 1);
    memset(frame(100), 0xAA, 2 * PAGEFILE_SLOT_SIZE);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 5, 2, 100, &done), PV_EIO);
    CU_ASSERT_EQUAL(done, 1u);
    CU_ASSERT_TRUE(holds(100, 5));
    CU_ASSERT_TRUE(all_bytes(101, 0));
    CU_ASSERT_EQUAL(pf.stats.unwritten_reads, 2u);
    CU_ASSERT_EQUAL(pf.stats.failed_calls, 2u);
    CU_ASSERT_PTR_NOT_NULL(strstr(pagefile_describe_failure(&pf, why, sizeof(why)),
                                  "slot 6 failed: the slot was never written"));
}

static void checksum_mismatch_fails_read(void)
{
    open_temp(SLOTS);
    store(2, 4);
    /* Someone changes one byte of slot 4 behind the host's back. */
    CU_ASSERT_EQUAL(pwrite(pf.fd, "X", 1, 4 * PAGEFILE_SLOT_SIZE + 100), 1);
    memset(frame(100), 0xAA, 4 * PAGEFILE_SLOT_SIZE);
    uint32_t done;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 2, 4, 100, &done), PV_EIO);
    CU_ASSERT_EQUAL(done, 2u);
    CU_ASSERT_TRUE(holds(100, 2));
    CU_ASSERT_TRUE(holds(101, 3));
    CU_ASSERT_TRUE(all_bytes(102, 0));   /* neither the corrupt page nor the old contents */
    CU_ASSERT_TRUE(all_bytes(103, 0));   /* nor the good page read after it in the same call */
    CU_ASSERT_EQUAL(pf.stats.checksum_mismatches, 1u);
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_CHECKSUM);
    CU_ASSERT_EQUAL(pf.last_failure.slot, 4u);
    CU_ASSERT_PTR_NOT_NULL(strstr(pagefile_describe_failure(&pf, why, sizeof(why)),
                                  "checksum mismatch"));
    /* Alone, too; and the good neighbour still reads. */
    memset(frame(100), 0xAA, PAGEFILE_SLOT_SIZE);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 4, 1, 100, &done), PV_EIO);
    CU_ASSERT_TRUE(all_bytes(100, 0));
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 5, 1, 100, &done), PV_OK);
    CU_ASSERT_TRUE(holds(100, 5));
    /* A rewrite makes the slot good again. */
    store(4, 1);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 4, 1, 100, &done), PV_OK);
    CU_ASSERT_TRUE(holds(100, 4));
}

/* A read listing one frame for two slots is the guest's mistake: refused before any I/O with
 * its own error and message, not taken for a file changed behind the host's back. */
static void duplicate_frames_are_refused(void)
{
    open_temp(SLOTS);
    store(2, 4);
    memset(frame(100), 0xAA, 4 * PAGEFILE_SLOT_SIZE);
    struct pv_hc_pagefile_io r = request(PV_PAGEFILE_READ, 2, 4, 100);
    r.frames[3] = 101;                       /* slots 3 and 5 both into frame 101 */
    expect_refused(r, PV_EDUPFRAME);
    for (uint32_t i = 0; i < 4; i++)
        CU_ASSERT_TRUE(all_bytes(100 + i, 0xAA));
    CU_ASSERT_EQUAL(pf.stats.checksum_mismatches, 0u);
    CU_ASSERT_EQUAL(pf.stats.failed_calls, 0u);
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_DUPLICATE);
    pagefile_describe_failure(&pf, why, sizeof(why));
    CU_ASSERT_STRING_EQUAL(why, "pagefile read of slots 3 and 5 refused: both into guest frame "
                                "0x65 (a guest bug; nothing was read)");
    CU_ASSERT_PTR_NULL(strstr(why, "behind"));
    /* The slots are fine: read properly, they arrive. */
    uint32_t done;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 2, 4, 100, &done), PV_OK);
    for (uint32_t i = 0; i < 4; i++)
        CU_ASSERT_TRUE(holds(100 + i, 2 + i));
    /* A write may list a frame twice: both slots get that page. */
    struct pv_hc_pagefile_io w = request(PV_PAGEFILE_WRITE, 10, 2, 100);
    w.frames[1] = 100;
    CU_ASSERT_EQUAL(pagefile_io(&pf, &mem, &w, &done), PV_OK);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 10, 2, 110, &done), PV_OK);
    CU_ASSERT_TRUE(holds(110, 2));
    CU_ASSERT_TRUE(holds(111, 2));
}

static void truncated_file_reads_fail(void)
{
    open_temp(SLOTS);
    store(10, 2);
    CU_ASSERT_EQUAL(ftruncate(pf.fd, 10 * PAGEFILE_SLOT_SIZE + 100), 0);
    memset(frame(100), 0xAA, 2 * PAGEFILE_SLOT_SIZE);
    uint32_t done;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 10, 2, 100, &done), PV_EIO);
    CU_ASSERT_EQUAL(done, 0u);
    CU_ASSERT_TRUE(all_bytes(100, 0));
    CU_ASSERT_TRUE(all_bytes(101, 0));
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_EOF);
    CU_ASSERT_EQUAL(pf.stats.io_errors, 1u);
}

/* The write path when the storage is full: partial success, PV_ENOSPC (the slot is not bad,
 * the file cannot grow), the errno kept and said in the user's words, no crash. */
static void check_full_write(uint32_t first_slot, int want_errno, uint32_t at_most,
                             const char *want_words)
{
    for (uint32_t i = 0; i < PV_PAGEFILE_CLUSTER_MAX; i++)
        fill(16 + i, first_slot + i);
    uint32_t done = 99;
    uint64_t full_before = pf.stats.full_writes, io_errors_before = pf.stats.io_errors;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, first_slot, PV_PAGEFILE_CLUSTER_MAX, 16, &done),
                    PV_ENOSPC);
    CU_ASSERT_TRUE(done <= at_most);
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_FULL);
    CU_ASSERT_EQUAL(pf.last_failure.err, want_errno);
    CU_ASSERT_EQUAL(pf.last_failure.op, PV_PAGEFILE_WRITE);
    CU_ASSERT_EQUAL(pf.last_failure.slot, first_slot + done);
    CU_ASSERT_EQUAL(pf.stats.pages_written, done);
    CU_ASSERT_EQUAL(pf.stats.full_writes, full_before + 1);
    CU_ASSERT_EQUAL(pf.stats.io_errors, io_errors_before);
    CU_ASSERT_PTR_NOT_NULL(strstr(pagefile_describe_failure(&pf, why, sizeof(why)), "pwritev: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, strerror(want_errno)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, " full"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the guest keeps those pages in memory"));
    if (!strstr(why, want_words))
        printf("\n    message '%s' lacks '%s'", why, want_words);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, want_words));
    char line[512];
    FILE *m = fmemopen(line, sizeof(line), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    pagefile_print_stats(&pf, m);
    fclose(m);
    char want[64];
    snprintf(want, sizeof(want), "; %llu writes refused: file system full\n",
             (unsigned long long)pf.stats.full_writes);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, want));
    /* What was written reads back; the failed page does not. */
    for (uint32_t i = 0; i < done; i++) {
        CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, first_slot + i, 1, 200, NULL), PV_OK);
        CU_ASSERT_TRUE(holds(200, first_slot + i));
    }
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, first_slot + done, 1, 200, NULL), PV_EIO);
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_UNWRITTEN);
}

static void file_size_limit_fails_writes_with_efbig(void)
{
    open_temp(256);
    struct rlimit old, lim;
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 16 * PAGEFILE_SLOT_SIZE;
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
    /* slots 10..15 fit under the limit */
    char words[128];
    snprintf(words, sizeof(words), "failed: the temporary pagefile in %s is full: it reached "
             "the largest file size allowed (pwritev: File too large)",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    check_full_write(10, EFBIG, 6, words);
    CU_ASSERT_EQUAL(pf.stats.pages_written, 6u);
    CU_ASSERT_EQUAL(setrlimit(RLIMIT_FSIZE, &old), 0);
}

/* A real full file system: a 32 KiB tmpfs in a private mount namespace. Needs CAP_SYS_ADMIN;
 * without it the test says so and relies on the RLIMIT_FSIZE one above. */
static void full_file_system_fails_writes_with_enospc(void)
{
    char dir[64];
    make_temp_dir(dir, sizeof(dir));
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=32k,mode=0700") < 0) {
        printf("\n    (skipped: no private tmpfs: %s) ", strerror(errno));
        rmdir(dir);
        return;
    }
    char path[128];
    snprintf(path, sizeof(path), "%s/pagefile", dir);
    pagefile_close(&pf);
    CU_ASSERT_EQUAL_FATAL(pagefile_open(&pf, path, 256 * PAGEFILE_SLOT_SIZE, why, sizeof(why)), 0);
    check_full_write(1, ENOSPC, 8, "the file system holding ");
    char words[512];
    snprintf(words, sizeof(words), "pagefile write of slot %u failed: the file system holding "
             "%s is full (pwritev: No space left on device); the guest keeps those pages in "
             "memory", 1 + (unsigned)pf.stats.pages_written, path);
    CU_ASSERT_STRING_EQUAL(why, words);   /* check_full_write left the message there */
    pagefile_close(&pf);
    CU_ASSERT_EQUAL(umount(dir), 0);
    rmdir(dir);
}

/* ---- the file itself -------------------------------------------------------------------- */

/* Every notice pending, one per line. */
static void take_notices(char *out, size_t len)
{
    char line[512];
    out[0] = '\0';
    while (pagefile_notice(&pf, line, sizeof(line)))
        snprintf(out + strlen(out), len - strlen(out), "%s\n", line);
}

/* The user removes --pagefile's file while the guest pages: said once, and paging goes on in
 * the open file. */
static void named_file_deleted_mid_run_is_reported_once(void)
{
    char dir[64], path[128], text[2048], want[512];
    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/pagefile.sys", dir);
    pagefile_close(&pf);
    CU_ASSERT_EQUAL_FATAL(pagefile_open(&pf, path, SLOTS * PAGEFILE_SLOT_SIZE, why,
                                        sizeof(why)), 0);
    pagefile_set_name(&pf, "my/pagefile.sys");   /* what the user called it */
    store(1, 4);
    take_notices(text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "");
    CU_ASSERT_EQUAL(unlink(path), 0);
    /* Reads that succeed do not look (no fstat on the hot path)... */
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 1, 1, 100, NULL), PV_OK);
    take_notices(text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "");
    /* ...the next write does. */
    store(5, 2);
    take_notices(text, sizeof(text));
    snprintf(want, sizeof(want), "the pagefile my/pagefile.sys was deleted during the run; "
             "paging goes on in the open file, which is gone when the run ends\n");
    CU_ASSERT_STRING_EQUAL(text, want);
    store(7, 1);
    take_notices(text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "");              /* once */
    for (uint32_t s = 1; s <= 7; s++) {
        CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, s, 1, 100, NULL), PV_OK);
        CU_ASSERT_TRUE(holds(100, s));
    }
    pagefile_close(&pf);
    rmdir(dir);
}

/* The file cut short behind pagevisor's back: said once, whether a write or a failed read
 * finds it, and reads past the new end fail as the end of the file. */
static void truncation_mid_run_is_reported_once(void)
{
    char dir[64], path[128], text[2048], want[512];
    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/pagefile.sys", dir);
    for (int found_by_write = 0; found_by_write < 2; found_by_write++) {
        pagefile_close(&pf);
        CU_ASSERT_EQUAL_FATAL(pagefile_open(&pf, path, SLOTS * PAGEFILE_SLOT_SIZE, why,
                                            sizeof(why)), 0);
        store(1, 16);
        store(17, 4);
        CU_ASSERT_EQUAL(truncate(path, 10 * PAGEFILE_SLOT_SIZE), 0);
        if (found_by_write)
            store(2, 1);
        CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 15, 1, 100, NULL), PV_EIO);
        CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_EOF);
        CU_ASSERT_TRUE(all_bytes(100, 0));
        take_notices(text, sizeof(text));
        snprintf(want, sizeof(want), "the pagefile %s was truncated from %u to %u bytes behind "
                 "pagevisor's back; pages in the slots past byte %u (slot 10 on) are lost (the "
                 "guest gets an in-page error when it reads one)\n", path,
                 SLOTS * PAGEFILE_SLOT_SIZE, 10 * PAGEFILE_SLOT_SIZE, 10 * PAGEFILE_SLOT_SIZE);
        CU_ASSERT_STRING_EQUAL(text, want);
        /* Slots before the cut still read; past it they keep failing, and nothing more is
         * said. */
        CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 3, 1, 100, NULL), PV_OK);
        CU_ASSERT_TRUE(holds(100, 3));
        CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 18, 1, 100, NULL), PV_EIO);
        CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_EOF);
        store(4, 1);
        take_notices(text, sizeof(text));
        CU_ASSERT_STRING_EQUAL(text, "");
    }
    pagefile_close(&pf);
    unlink(path);
    rmdir(dir);
}

static void named_file_is_private_and_stays(void)
{
    char dir[64], path[128];
    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/pagefile.sys", dir);
    pagefile_close(&pf);
    CU_ASSERT_EQUAL_FATAL(pagefile_open(&pf, path, 8 * PAGEFILE_SLOT_SIZE, why, sizeof(why)), 0);
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    CU_ASSERT_EQUAL(st.st_size, 8 * PAGEFILE_SLOT_SIZE);
    store(3, 1);
    pagefile_close(&pf);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);

    /* Reused: made private again, resized, and old data is never handed to a guest. */
    CU_ASSERT_EQUAL(chmod(path, 0644), 0);
    CU_ASSERT_EQUAL(pagefile_open(&pf, path, 16 * PAGEFILE_SLOT_SIZE, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    CU_ASSERT_EQUAL(st.st_size, 16 * PAGEFILE_SLOT_SIZE);
    CU_ASSERT_EQUAL(pf.slots, 16u);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 3, 1, 100, NULL), PV_EIO);
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_UNWRITTEN);
    pagefile_close(&pf);
    unlink(path);
    rmdir(dir);
}

static void temporary_file_leaves_nothing(void)
{
    char dir[64];
    make_temp_dir(dir, sizeof(dir));
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TMPDIR", dir, 1);
    pagefile_close(&pf);
    CU_ASSERT_EQUAL_FATAL(pagefile_open(&pf, NULL, SLOTS * PAGEFILE_SLOT_SIZE, why,
                                        sizeof(why)), 0);
    struct stat st;
    CU_ASSERT_EQUAL(fstat(pf.fd, &st), 0);
    CU_ASSERT_EQUAL(st.st_nlink, 0u);            /* no name, not even while open */
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    CU_ASSERT_EQUAL(st.st_size, SLOTS * PAGEFILE_SLOT_SIZE);
    CU_ASSERT_EQUAL(dir_entries(dir), 0u);
    store(1, 1);
    CU_ASSERT_FALSE(pagefile_notice(&pf, why, sizeof(why)));   /* no name on purpose */
    pagefile_close(&pf);
    CU_ASSERT_EQUAL(dir_entries(dir), 0u);
    CU_ASSERT_EQUAL(pf.fd, -1);
    pagefile_close(&pf);                          /* twice is harmless */
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    rmdir(dir);
}

static void open_refuses_bad_sizes_and_paths(void)
{
    pagefile_close(&pf);
    static const uint64_t bad[] = { 0, 4096, 4097, 12288 + 1,
                                    (uint64_t)PAGEFILE_SLOT_SIZE << 32 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        CU_ASSERT_EQUAL(pagefile_open(&pf, NULL, bad[i], why, sizeof(why)), -1);
        CU_ASSERT_EQUAL(errno, EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "multiple of 4 KiB"));
        CU_ASSERT_FALSE(pagefile_is_open(&pf));
    }
    CU_ASSERT_EQUAL(pagefile_open(&pf, "/nonexistent-dir/pagefile", 8192, why, sizeof(why)), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "/nonexistent-dir/pagefile"));
    CU_ASSERT_EQUAL(pagefile_open(&pf, "/tmp", 8192, why, sizeof(why)), -1);
    CU_ASSERT_EQUAL(errno, EISDIR);
    CU_ASSERT_EQUAL(pagefile_open(&pf, "/dev/null", 8192, why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a regular file"));
    CU_ASSERT_FALSE(pagefile_is_open(&pf));
}

/* ---- injection -------------------------------------------------------------------------- */

static void inject(const char *spec)
{
    CU_ASSERT_EQUAL(pagefile_inject(&pf, spec, why, sizeof(why)), 0);
}

static void inject_nth(void)
{
    open_temp(SLOTS);
    store(1, 8);
    inject("read:nth=3");
    uint32_t done;
    for (uint32_t s = 1; s <= 5; s++) {
        memset(frame(100), 0xAA, PAGEFILE_SLOT_SIZE);
        int32_t want = s == 3 ? PV_EIO : PV_OK;
        CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, s, 1, 100, &done), want);
        CU_ASSERT_TRUE(s == 3 ? all_bytes(100, 0) : holds(100, s));
    }
    CU_ASSERT_EQUAL(pf.stats.injected_failures, 1u);
    /* In a cluster: the third page of the call fails, like a real error on it. */
    open_temp(SLOTS);
    store(1, 8);
    inject("read:nth=3");
    memset(frame(100), 0xAA, 8 * PAGEFILE_SLOT_SIZE);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 1, 8, 100, &done), PV_EIO);
    CU_ASSERT_EQUAL(done, 2u);
    CU_ASSERT_TRUE(holds(100, 1) && holds(101, 2));
    for (uint32_t i = 2; i < 8; i++)
        CU_ASSERT_TRUE(all_bytes(100 + i, 0));
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_INJECTED);
    CU_ASSERT_EQUAL(pf.last_failure.slot, 3u);
    CU_ASSERT_PTR_NOT_NULL(strstr(pagefile_describe_failure(&pf, why, sizeof(why)),
                                  "read of slot 3 failed: injected"));
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 1, 8, 100, &done), PV_OK);   /* once only */
}

static void inject_slots(void)
{
    open_temp(SLOTS);
    inject("write:slots=5,9-12");
    uint32_t done;
    for (uint32_t s = 1; s <= 14; s++) {
        fill(16, s);
        bool bad = s == 5 || (s >= 9 && s <= 12);
        CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, s, 1, 16, &done), bad ? PV_EIO : PV_OK);
        CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, s, 1, 100, &done), bad ? PV_EIO : PV_OK);
    }
    CU_ASSERT_EQUAL(pf.stats.injected_failures, 5u);
    /* A cluster write stops at the bad slot; the slots from there on are unreadable. */
    for (uint32_t i = 0; i < 5; i++)
        fill(16 + i, 3 + i);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, 3, 5, 16, &done), PV_EIO);
    CU_ASSERT_EQUAL(done, 2u);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 3, 2, 100, &done), PV_OK);
    CU_ASSERT_TRUE(holds(100, 3) && holds(101, 4));
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 6, 1, 100, &done), PV_EIO);  /* not written this time */
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_UNWRITTEN);
}

/* The failures of reading every slot once, one bit per slot. */
static uint64_t rate_pattern(const char *spec)
{
    open_temp(SLOTS);
    for (uint32_t s = 1; s < SLOTS; s += 16)
        store(s, s + 16 <= SLOTS ? 16 : SLOTS - s);
    inject(spec);
    uint64_t failed = 0;
    for (uint32_t s = 1; s < SLOTS; s++)
        if (io(PV_PAGEFILE_READ, s, 1, 100, NULL) != PV_OK)
            failed |= 1ull << s;
    CU_ASSERT_EQUAL(pf.stats.injected_failures, (uint64_t)__builtin_popcountll(failed));
    return failed;
}

static void inject_rate_is_reproducible(void)
{
    uint64_t a = rate_pattern("read:rate=0.3,seed=42");
    uint64_t b = rate_pattern("read:rate=0.3,seed=42");
    uint64_t c = rate_pattern("read:rate=0.3,seed=43");
    CU_ASSERT_EQUAL(a, b);
    CU_ASSERT_NOT_EQUAL(a, c);
    int n = __builtin_popcountll(a);
    CU_ASSERT_TRUE(n > 5 && n < 40);             /* about 19 of 63 */
    CU_ASSERT_EQUAL(rate_pattern("read:rate=1"), ~1ull);
    CU_ASSERT_EQUAL(rate_pattern("write:rate=1"), 0u);   /* (the writes came before the rule) */
}

static void inject_combines_rules(void)
{
    open_temp(SLOTS);
    store(1, 10);
    inject("rw:slots=7;read:nth=2");
    inject("write:nth=1");                       /* several options add up */
    CU_ASSERT_EQUAL(pf.nrules, 3u);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 1, 1, 100, NULL), PV_OK);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 2, 1, 100, NULL), PV_EIO);   /* nth=2 */
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 7, 1, 100, NULL), PV_EIO);   /* slots=7 */
    fill(16, 8);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, 8, 1, 16, NULL), PV_EIO);   /* write nth=1 */
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, 8, 1, 16, NULL), PV_OK);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, 7, 1, 16, NULL), PV_EIO);   /* slots=7 */
    CU_ASSERT_EQUAL(pf.stats.injected_failures, 4u);
}

/* as=enospc: the disk is "full" from slot 40 on, as a real full file system would be. */
static void inject_as_enospc(void)
{
    open_temp(SLOTS);
    inject("write:slots=40-4294967295,as=enospc");
    for (uint32_t i = 0; i < 8; i++)
        fill(16 + i, 36 + i);
    uint32_t done = 99;
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, 36, 8, 16, &done), PV_ENOSPC);
    CU_ASSERT_EQUAL(done, 4u);
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_INJECTED);
    CU_ASSERT_EQUAL(pf.last_failure.err, ENOSPC);
    CU_ASSERT_EQUAL(pf.last_failure.slot, 40u);
    CU_ASSERT_STRING_EQUAL(pagefile_describe_failure(&pf, why, sizeof(why)),
                           "pagefile write of slot 40 failed: injected by "
                           "--inject-pagefile-errors as a full file system (as=enospc); the "
                           "guest keeps those pages in memory");
    CU_ASSERT_EQUAL(pf.stats.full_writes, 1u);
    CU_ASSERT_EQUAL(pf.stats.injected_failures, 1u);
    CU_ASSERT_EQUAL(pf.stats.failed_calls, 1u);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 39, 1, 100, NULL), PV_OK);
    CU_ASSERT_TRUE(holds(100, 39));
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 40, 1, 100, NULL), PV_EIO);   /* never written */
    CU_ASSERT_EQUAL(pf.last_failure.kind, PAGEFILE_FAIL_UNWRITTEN);
    /* as=eio (the default, or said) and an rw rule's reads stay I/O errors. */
    open_temp(SLOTS);
    store(1, 4);
    inject("write:nth=1,as=eio;rw:slots=3,as=enospc");
    fill(16, 5);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, 5, 1, 16, NULL), PV_EIO);
    CU_ASSERT_EQUAL(pf.last_failure.err, 0);
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_READ, 3, 1, 100, NULL), PV_EIO);
    CU_ASSERT_EQUAL(pf.last_failure.err, 0);
    CU_ASSERT_PTR_NULL(strstr(pagefile_describe_failure(&pf, why, sizeof(why)), "full"));
    CU_ASSERT_EQUAL(io(PV_PAGEFILE_WRITE, 3, 1, 16, NULL), PV_ENOSPC);
    CU_ASSERT_EQUAL(pf.stats.full_writes, 1u);
}

static void inject_rejects_bad_specs(void)
{
    static const struct { const char *spec, *hint; } bad[] = {
        { "", "empty rule" },
        { "read", "expected OPS:SELECT" },
        { "read:", "expected OPS:SELECT" },
        { "reed:nth=1", "unknown operation 'reed'" },
        { "read:nth=0", "nth '0'" },
        { "read:nth=x", "nth 'x'" },
        { "read:nth=-1", "nth '-1'" },
        { "read:rate=0", "not a probability" },
        { "read:rate=1.5", "not a probability" },
        { "read:rate=nan", "not a probability" },
        { "read:rate=0.1x", "not a probability" },
        { "read:rate=0.1,rate=0.2", "'rate' given twice" },
        { "read:seed=4", "exactly one of" },
        { "read:rate=0.1,seed=-4", "seed '-4'" },
        { "read:slots=3,seed=4", "seed= only goes with rate=" },
        { "read:rate=0.5,slots=3", "exactly one of" },
        { "read:slots=", "is not a slot" },
        { "read:slots=0", "slot 0 is never used" },
        { "read:slots=9-3", "'9-3' is not a slot" },
        { "read:slots=5,,7", "empty item" },
        { "read:slots=5,x", "'x' is not a slot" },
        { "read:slots=4294967296", "is not a slot" },
        { "read:nth=1,", "empty item" },
        { "read:nth=1;", "empty rule" },
        { "read:nth=1;;write:nth=1", "empty rule" },
        { "read:nth=1,5", "'5' is not KEY=VALUE" },
        { "read:size=3", "unknown key 'size'" },
        { "read:nth=1,as=enospc", "rule 'read:nth=1,as=enospc': as=enospc only goes with "
                                  "write or rw (a read cannot find the file system full)" },
        { "write:nth=1,as=bogus", "rule 'write:nth=1,as=bogus': as 'bogus' is not eio or "
                                  "enospc" },
        { "write:nth=1,as=", "as '' is not eio or enospc" },
        { "write:nth=1,as=eio,as=enospc", "'as' given twice" },
        { "write:as=enospc", "exactly one of" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        CU_ASSERT_EQUAL(pagefile_inject(NULL, bad[i].spec, why, sizeof(why)), -1);
        if (!strstr(why, bad[i].hint))
            printf("\n    spec '%s': message '%s' lacks '%s'", bad[i].spec, why, bad[i].hint);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].hint));
    }
    static const char *const good[] = {
        "read:rate=0.01,seed=42", "write:slots=5,9-12", "read:nth=3", "rw:rate=1",
        "read:slots=1-4294967295", "read:nth=1;write:rate=0.5;rw:slots=3",
        "write:slots=40-4294967295,as=enospc", "rw:as=enospc,rate=0.5,seed=3", "read:nth=1,as=eio",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CU_ASSERT_EQUAL(pagefile_inject(NULL, good[i], why, sizeof(why)), 0);
    /* All or nothing, and a limit on the number of rules. */
    open_temp(SLOTS);
    CU_ASSERT_EQUAL(pagefile_inject(&pf, "read:nth=1;bogus", why, sizeof(why)), -1);
    CU_ASSERT_EQUAL(pf.nrules, 0u);
    for (unsigned i = 0; i < PAGEFILE_INJECT_RULES_MAX; i++)
        inject("write:slots=1-3");
    CU_ASSERT_EQUAL(pagefile_inject(&pf, "read:nth=1", why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "more than"));
    pagefile_close(&pf);
}

static const struct unit_test tests[] = {
    UNIT_TEST(crc32c_matches_known_values),
    UNIT_TEST(single_page_round_trip),
    UNIT_TEST(cluster_round_trip_contiguous),
    UNIT_TEST(cluster_round_trip_scattered),
    UNIT_TEST(info_reports_slots),
    UNIT_TEST(refuses_bad_requests_before_io),
    UNIT_TEST(unwritten_slot_reads_fail),
    UNIT_TEST(checksum_mismatch_fails_read),
    UNIT_TEST(duplicate_frames_are_refused),
    UNIT_TEST(truncated_file_reads_fail),
    UNIT_TEST(file_size_limit_fails_writes_with_efbig),
    UNIT_TEST(full_file_system_fails_writes_with_enospc),
    UNIT_TEST(named_file_is_private_and_stays),
    UNIT_TEST(named_file_deleted_mid_run_is_reported_once),
    UNIT_TEST(truncation_mid_run_is_reported_once),
    UNIT_TEST(temporary_file_leaves_nothing),
    UNIT_TEST(open_refuses_bad_sizes_and_paths),
    UNIT_TEST(inject_nth),
    UNIT_TEST(inject_slots),
    UNIT_TEST(inject_rate_is_reproducible),
    UNIT_TEST(inject_combines_rules),
    UNIT_TEST(inject_as_enospc),
    UNIT_TEST(inject_rejects_bad_specs),
};

int main(void)
{
    mem.size = RAM;
    mem.base = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem.base == MAP_FAILED) {
        perror("mmap of the test's guest RAM");
        return 2;
    }
    pf.fd = -1;
    int rc = unit_run("pagefile", tests, sizeof(tests) / sizeof(tests[0]));
    pagefile_close(&pf);
    munmap(mem.base, RAM);
    return rc;
}
