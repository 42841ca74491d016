/* test_volume.c - the guest's volume (run --volume) over a temporary directory: names that would
 * leave it are refused, flags and their statuses, pages round-trip into and out of guest frames,
 * reads past the end read zeros, a partial last page sets the exact size, hostile requests fail
 * before any I/O, the handle table fills, a full file system is PV_ENOSPC with a line naming the
 * file and offset; and the same through hc_out's call blocks, hostile ones included. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypercall.h"
#include "run_stats.h"
#include "volume.h"
#include "unit.h"

#define RAM    (1u << 20)
#define PAGE   4096u
#define BLOCK  0x1000u

static struct guest_mem mem;
static struct volume vol;
static char dir[64];      /* the volume */
static char outside[64];  /* a directory beside it, which no name may reach */
static char why[512];

static char *path_in(const char *base, const char *name)
{
    static char p[256];
    snprintf(p, sizeof(p), "%s/%s", base, name);
    return p;
}

static void write_host(const char *base, const char *name, const void *data, size_t len)
{
    int fd = open(path_in(base, name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static off_t host_size(const char *name)
{
    struct stat st;
    return stat(path_in(dir, name), &st) == 0 ? st.st_size : -1;
}

static uint8_t *frame(uint32_t pfn)
{
    return mem.base + (size_t)pfn * PAGE;
}

static int32_t open_file(const char *name, uint32_t flags, uint32_t *handle)
{
    struct pv_hc_file_open o = { .flags = flags };
    snprintf(o.name, sizeof(o.name), "%s", name);
    uint32_t created;
    uint64_t size;
    return volume_file_open(&vol, &o, handle, &created, &size);
}

static struct pv_hc_file_io io_req(uint32_t op, uint32_t handle, uint64_t offset, uint32_t count,
                                   uint32_t first_frame)
{
    struct pv_hc_file_io r = { .op = op, .handle = handle, .offset_lo = (uint32_t)offset,
                               .offset_hi = (uint32_t)(offset >> 32), .count = count,
                               .length = count * PAGE };
    for (uint32_t i = 0; i < count && i < PV_PAGEFILE_CLUSTER_MAX; i++)
        r.frames[i] = first_frame + i;
    return r;
}

/* A fresh volume over an empty directory (and an empty one beside it). */
static void fresh(void)
{
    volume_close(&vol);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s/* %s/* %s/.[!.]*", dir, outside, dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    memset(mem.base, 0, RAM);
    CU_ASSERT_EQUAL_FATAL(volume_open(&vol, dir, why, sizeof(why)), 0);
}

/* ---- names ------------------------------------------------------------------------------ */

static void names_that_leave_are_refused(void)
{
    fresh();
    write_host(outside, "secret", "secret", 6);
    write_host(dir, "a", "a", 1);
    mkdir(path_in(dir, "sub"), 0755);
    write_host(dir, "sub/b", "b", 1);
    uint32_t h;
    const char *leave[] = { "..", "../x", "sub/../../x", "/etc/passwd", "sub/..", "a/../a" };
    for (size_t i = 0; i < sizeof(leave) / sizeof(leave[0]); i++)
        CU_ASSERT_EQUAL(open_file(leave[i], 0, &h), PV_EACCES);
    /* symbolic links: one leading out (relative or absolute) is refused, one inside works */
    char target[128];
    snprintf(target, sizeof(target), "../%s/secret", strrchr(outside, '/') + 1);
    CU_ASSERT_EQUAL(symlink(target, path_in(dir, "out-rel")), 0);
    char abs_target[256];
    snprintf(abs_target, sizeof(abs_target), "%s", path_in(outside, "secret"));
    CU_ASSERT_EQUAL(symlink(abs_target, path_in(dir, "out-abs")), 0);
    CU_ASSERT_EQUAL(symlink("/", path_in(dir, "root")), 0);
    CU_ASSERT_EQUAL(symlink("sub/b", path_in(dir, "in")), 0);
    CU_ASSERT_EQUAL(symlink("../a", path_in(dir, "sub/up")), 0);
    CU_ASSERT_EQUAL(open_file("out-rel", 0, &h), PV_EACCES);
    CU_ASSERT_EQUAL(open_file("out-abs", 0, &h), PV_EACCES);
    CU_ASSERT_EQUAL(open_file("root/etc/passwd", 0, &h), PV_EACCES);
    CU_ASSERT_EQUAL(open_file("out-rel", PV_FILE_WRITE | PV_FILE_CREATE, &h), PV_EACCES);
    CU_ASSERT_EQUAL(open_file("in", 0, &h), PV_OK);
    CU_ASSERT_EQUAL(open_file("sub/up", 0, &h), PV_OK);
    CU_ASSERT_EQUAL(vol.stats.files_opened, 2u);
    /* bad names */
    const char *bad[] = { "", "a//b", "sub/", "./a", "sub/./b", "a\tb", "caf\xc3\xa9", "x\x7f" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(open_file(bad[i], 0, &h), PV_EINVAL);
    /* a name filling its array without a NUL */
    struct pv_hc_file_open o = { .flags = 0 };
    memset(o.name, 'a', sizeof(o.name));
    uint32_t created;
    uint64_t size;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h, &created, &size), PV_EINVAL);
    /* the longest name that fits */
    o.name[sizeof(o.name) - 1] = '\0';
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h, &created, &size), PV_ENOENT);
    CU_ASSERT_EQUAL(open_file("sub/none", 0, &h), PV_ENOENT);
    CU_ASSERT_EQUAL(open_file("a/x", 0, &h), PV_ENOENT);
    /* nothing was made outside */
    CU_ASSERT_EQUAL(access(path_in(outside, "x"), F_OK), -1);
}

static void only_regular_files(void)
{
    fresh();
    mkdir(path_in(dir, "sub"), 0755);
    mkfifo(path_in(dir, "fifo"), 0644);
    uint32_t h;
    CU_ASSERT_EQUAL(open_file("sub", 0, &h), PV_EISDIR);
    CU_ASSERT_EQUAL(open_file("sub", PV_FILE_WRITE, &h), PV_EISDIR);
    CU_ASSERT_EQUAL(open_file("fifo", 0, &h), PV_EACCES);  /* and it did not block */
    CU_ASSERT_EQUAL(open_file("fifo", PV_FILE_WRITE, &h), PV_EACCES);
    /* a device (where we may make one) */
    if (mknod(path_in(dir, "null"), S_IFCHR | 0666, makedev(1, 3)) == 0)
        CU_ASSERT_EQUAL(open_file("null", PV_FILE_WRITE | PV_FILE_TRUNCATE, &h), PV_EACCES);
    CU_ASSERT_EQUAL(vol.stats.files_opened, 0u);
}

/* ---- flags ------------------------------------------------------------------------------ */

static void flags_are_validated(void)
{
    fresh();
    write_host(dir, "a", "abc", 3);
    uint32_t h;
    CU_ASSERT_EQUAL(open_file("a", 16, &h), PV_EINVAL);
    CU_ASSERT_EQUAL(open_file("a", 0x80000000u, &h), PV_EINVAL);
    CU_ASSERT_EQUAL(open_file("new", PV_FILE_CREATE, &h), PV_EINVAL);
    CU_ASSERT_EQUAL(open_file("a", PV_FILE_TRUNCATE, &h), PV_EINVAL);
    CU_ASSERT_EQUAL(open_file("a", PV_FILE_WRITE | PV_FILE_EXCL, &h), PV_EINVAL);
    CU_ASSERT_EQUAL(access(path_in(dir, "new"), F_OK), -1);
    CU_ASSERT_EQUAL(host_size("a"), 3);
}

static void create_excl_truncate(void)
{
    fresh();
    struct pv_hc_file_open o = { .flags = PV_FILE_WRITE | PV_FILE_CREATE };
    strcpy(o.name, "new");
    uint32_t h, created;
    uint64_t size;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h, &created, &size), PV_OK);
    CU_ASSERT_EQUAL(created, 1u);
    CU_ASSERT_EQUAL(size, 0u);
    CU_ASSERT(h >= 1 && h <= PV_FILES_MAX);
    struct stat st;
    CU_ASSERT_EQUAL(stat(path_in(dir, "new"), &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0644 & ~(mode_t)022);
    /* again: opened, not created */
    write_host(dir, "new", "hello", 5);
    uint32_t h2;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h2, &created, &size), PV_OK);
    CU_ASSERT_EQUAL(created, 0u);
    CU_ASSERT_EQUAL(size, 5u);
    CU_ASSERT_NOT_EQUAL(h2, h);
    /* exclusive: refused when it exists */
    o.flags = PV_FILE_WRITE | PV_FILE_CREATE | PV_FILE_EXCL;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h2, &created, &size), PV_EEXIST);
    strcpy(o.name, "new2");
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h2, &created, &size), PV_OK);
    CU_ASSERT_EQUAL(created, 1u);
    /* truncate */
    strcpy(o.name, "new");
    o.flags = PV_FILE_WRITE | PV_FILE_TRUNCATE;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h2, &created, &size), PV_OK);
    CU_ASSERT_EQUAL(size, 0u);
    CU_ASSERT_EQUAL(host_size("new"), 0);
    /* a file without write permission: read-only, whoever we are; TRUNCATE cuts nothing */
    write_host(dir, "locked", "keep me", 7);
    CU_ASSERT_EQUAL(chmod(path_in(dir, "locked"), 0444), 0);
    strcpy(o.name, "locked");
    o.flags = PV_FILE_WRITE | PV_FILE_TRUNCATE;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h2, &created, &size), PV_EACCES);
    o.flags = PV_FILE_WRITE | PV_FILE_CREATE;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h2, &created, &size), PV_EACCES);
    CU_ASSERT_EQUAL(host_size("locked"), 7);
    o.flags = 0;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h2, &created, &size), PV_OK);
    CU_ASSERT_EQUAL(size, 7u);
    /* without CREATE a missing file stays missing */
    strcpy(o.name, "none");
    o.flags = PV_FILE_WRITE;
    CU_ASSERT_EQUAL(volume_file_open(&vol, &o, &h2, &created, &size), PV_ENOENT);
    CU_ASSERT_EQUAL(access(path_in(dir, "none"), F_OK), -1);
}

/* ---- I/O -------------------------------------------------------------------------------- */

static void pages_round_trip(void)
{
    fresh();
    uint32_t h;
    CU_ASSERT_EQUAL_FATAL(open_file("data", PV_FILE_WRITE | PV_FILE_CREATE, &h), PV_OK);
    for (uint32_t i = 0; i < 4 * PAGE; i++)
        frame(10)[i] = (uint8_t)(i * 7 + i / PAGE);
    struct pv_hc_file_io w = io_req(PV_FILE_WRITE_PAGES, h, 2 * PAGE, 4, 10);
    w.frames[2] = 40; /* scattered */
    memcpy(frame(40), frame(12), PAGE);
    uint32_t bytes;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &w, &bytes), PV_OK);
    CU_ASSERT_EQUAL(bytes, 4 * PAGE);
    CU_ASSERT_EQUAL(host_size("data"), 6 * PAGE);
    struct pv_hc_file_io r = io_req(PV_FILE_READ, h, 2 * PAGE, 4, 100);
    r.frames[1] = 200;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_OK);
    CU_ASSERT_EQUAL(bytes, 4 * PAGE);
    CU_ASSERT_EQUAL(memcmp(frame(100), frame(10), PAGE), 0);
    CU_ASSERT_EQUAL(memcmp(frame(200), frame(11), PAGE), 0);
    CU_ASSERT_EQUAL(memcmp(frame(102), frame(12), 2 * PAGE), 0);
    /* the hole before it reads as zeros */
    memset(frame(150), 0xAA, PAGE);
    r = io_req(PV_FILE_READ, h, 0, 1, 150);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_OK);
    CU_ASSERT_EQUAL(frame(150)[0], 0);
    CU_ASSERT_EQUAL(frame(150)[PAGE - 1], 0);
    CU_ASSERT_EQUAL(vol.stats.pages_written, 4u);
    CU_ASSERT_EQUAL(vol.stats.pages_read, 5u);
}

static void read_past_end_zero_fills(void)
{
    fresh();
    char text[5000];
    memset(text, 'x', sizeof(text));
    write_host(dir, "short", text, sizeof(text));
    uint32_t h;
    CU_ASSERT_EQUAL_FATAL(open_file("short", 0, &h), PV_OK);
    memset(frame(20), 0xAA, 3 * PAGE);
    struct pv_hc_file_io r = io_req(PV_FILE_READ, h, 0, 3, 20);
    uint32_t bytes;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_OK);
    CU_ASSERT_EQUAL(bytes, sizeof(text));
    CU_ASSERT_EQUAL(frame(20)[0], 'x');
    CU_ASSERT_EQUAL(frame(21)[sizeof(text) - PAGE - 1], 'x');
    CU_ASSERT_EQUAL(frame(21)[sizeof(text) - PAGE], 0);
    CU_ASSERT_EQUAL(frame(21)[PAGE - 1], 0);
    CU_ASSERT_EQUAL(frame(22)[0], 0);
    CU_ASSERT_EQUAL(frame(22)[PAGE - 1], 0);
    /* wholly past the end: zeros, 0 bytes */
    memset(frame(20), 0xAA, PAGE);
    r = io_req(PV_FILE_READ, h, 1ull << 40, 1, 20);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_OK);
    CU_ASSERT_EQUAL(bytes, 0u);
    CU_ASSERT_EQUAL(frame(20)[100], 0);
}

static void partial_last_page_sets_size(void)
{
    fresh();
    uint32_t h;
    CU_ASSERT_EQUAL_FATAL(open_file("p", PV_FILE_WRITE | PV_FILE_CREATE, &h), PV_OK);
    memset(frame(5), 'y', 2 * PAGE);
    struct pv_hc_file_io w = io_req(PV_FILE_WRITE_PAGES, h, 0, 2, 5);
    w.length = PAGE + 123;
    uint32_t bytes;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &w, &bytes), PV_OK);
    CU_ASSERT_EQUAL(bytes, PAGE + 123);
    CU_ASSERT_EQUAL(host_size("p"), PAGE + 123);
    /* a shorter write inside the file leaves its size alone */
    w = io_req(PV_FILE_WRITE_PAGES, h, 0, 1, 5);
    w.length = 1;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &w, &bytes), PV_OK);
    CU_ASSERT_EQUAL(host_size("p"), PAGE + 123);
    /* lengths outside ((count - 1) pages, count pages] are refused */
    w = io_req(PV_FILE_WRITE_PAGES, h, 0, 2, 5);
    w.length = PAGE;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &w, &bytes), PV_EINVAL);
    w.length = 2 * PAGE + 1;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &w, &bytes), PV_EINVAL);
    w = io_req(PV_FILE_WRITE_PAGES, h, 0, 1, 5);
    w.length = 0;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &w, &bytes), PV_EINVAL);
    CU_ASSERT_EQUAL(host_size("p"), PAGE + 123);
}

static void hostile_requests_fail_before_io(void)
{
    fresh();
    write_host(dir, "ro", "read only", 9);
    uint32_t h, hw;
    CU_ASSERT_EQUAL_FATAL(open_file("ro", 0, &h), PV_OK);
    CU_ASSERT_EQUAL_FATAL(open_file("rw", PV_FILE_WRITE | PV_FILE_CREATE, &hw), PV_OK);
    uint32_t bytes;
    struct pv_hc_file_io r;
    /* a write on a read-only handle */
    r = io_req(PV_FILE_WRITE_PAGES, h, 0, 1, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EBADF);
    CU_ASSERT_EQUAL(host_size("ro"), 9);
    /* bad handles */
    uint32_t handles[] = { 0, PV_FILES_MAX, PV_FILES_MAX + 1, 0xFFFFFFFFu, 7 };
    for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
        r = io_req(PV_FILE_READ, handles[i], 0, 1, 5);
        CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EBADF);
    }
    /* op, count, offset */
    r = io_req(3, hw, 0, 1, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EINVAL);
    r = io_req(PV_FILE_READ, hw, 0, 0, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EINVAL);
    r = io_req(PV_FILE_READ, hw, 0, PV_PAGEFILE_CLUSTER_MAX + 1, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EINVAL);
    r = io_req(PV_FILE_WRITE_PAGES, hw, 100, 1, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EINVAL);
    r = io_req(PV_FILE_WRITE_PAGES, hw, 1ull << 63, 1, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EINVAL);
    r = io_req(PV_FILE_WRITE_PAGES, hw, (1ull << 63) - PAGE, 2, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EINVAL);
    r = io_req(PV_FILE_READ, hw, 0xFFFFFFFFFFFFF000ull, 1, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EINVAL);
    /* frames outside guest RAM */
    r = io_req(PV_FILE_WRITE_PAGES, hw, 0, 2, 5);
    r.frames[1] = RAM / PAGE;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EFAULT);
    r.frames[1] = 0xFFFFFFFFu;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EFAULT);
    /* one frame twice in a read (a write may) */
    r = io_req(PV_FILE_READ, hw, 0, 3, 5);
    r.frames[2] = 5;
    memset(frame(5), 0xAA, PAGE);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EDUPFRAME);
    CU_ASSERT_EQUAL(frame(5)[0], 0xAA); /* nothing was read */
    r.op = PV_FILE_WRITE_PAGES;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_OK);
    CU_ASSERT_EQUAL(host_size("rw"), 3 * PAGE);
    CU_ASSERT_EQUAL(vol.stats.rejected_calls, 16u);
    CU_ASSERT_EQUAL(host_size("rw"), 3 * PAGE);
}

static void handle_table_fills(void)
{
    fresh();
    write_host(dir, "f", "f", 1);
    uint32_t h, first = 0;
    for (uint32_t i = 0; i < PV_FILES_MAX; i++) {
        CU_ASSERT_EQUAL(open_file("f", 0, &h), PV_OK);
        if (i == 3)
            first = h;
    }
    CU_ASSERT_EQUAL(open_file("f", 0, &h), PV_EMFILE);
    /* a full table creates nothing */
    CU_ASSERT_EQUAL(open_file("g", PV_FILE_WRITE | PV_FILE_CREATE, &h), PV_EMFILE);
    CU_ASSERT_EQUAL(access(path_in(dir, "g"), F_OK), -1);
    CU_ASSERT_EQUAL(volume_file_close(&vol, first), PV_OK);
    CU_ASSERT_EQUAL(open_file("f", 0, &h), PV_OK);
    CU_ASSERT_EQUAL(h, first);
}

static void set_size_and_close(void)
{
    fresh();
    write_host(dir, "ro", "0123456789", 10);
    uint32_t h, hr;
    CU_ASSERT_EQUAL_FATAL(open_file("s", PV_FILE_WRITE | PV_FILE_CREATE, &h), PV_OK);
    CU_ASSERT_EQUAL_FATAL(open_file("ro", 0, &hr), PV_OK);
    CU_ASSERT_EQUAL(volume_file_set_size(&vol, h, 3 * PAGE + 5), PV_OK);
    CU_ASSERT_EQUAL(host_size("s"), 3 * PAGE + 5);
    CU_ASSERT_EQUAL(volume_file_set_size(&vol, h, 7), PV_OK);
    CU_ASSERT_EQUAL(host_size("s"), 7);
    CU_ASSERT_EQUAL(volume_file_set_size(&vol, h, 1ull << 63), PV_EINVAL);
    CU_ASSERT_EQUAL(volume_file_set_size(&vol, hr, 0), PV_EBADF);
    CU_ASSERT_EQUAL(host_size("ro"), 10);
    CU_ASSERT_EQUAL(volume_file_set_size(&vol, 0, 0), PV_EBADF);
    CU_ASSERT_EQUAL(volume_file_set_size(&vol, PV_FILES_MAX + 1, 0), PV_EBADF);
    /* close: the handle is gone after */
    CU_ASSERT_EQUAL(volume_file_close(&vol, h), PV_OK);
    CU_ASSERT_EQUAL(volume_file_close(&vol, h), PV_EBADF);
    CU_ASSERT_EQUAL(volume_file_set_size(&vol, h, 0), PV_EBADF);
    struct pv_hc_file_io r = io_req(PV_FILE_READ, h, 0, 1, 5);
    uint32_t bytes;
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_EBADF);
    CU_ASSERT_EQUAL(volume_file_close(&vol, 0), PV_EBADF);
    CU_ASSERT_EQUAL(volume_file_close(&vol, PV_FILES_MAX + 1), PV_EBADF);
}

/* A write past RLIMIT_FSIZE: EFBIG, reported as a full file system naming file and offset. */
static void full_file_is_enospc_with_a_line(void)
{
    fresh();
    uint32_t h;
    CU_ASSERT_EQUAL_FATAL(open_file("big", PV_FILE_WRITE | PV_FILE_CREATE, &h), PV_OK);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 2 * PAGE;
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
    memset(frame(5), 'z', 4 * PAGE);
    struct pv_hc_file_io w = io_req(PV_FILE_WRITE_PAGES, h, PAGE, 4, 5);
    uint32_t bytes;
    int32_t ret = volume_file_io(&vol, &mem, &w, &bytes);
    char said[sizeof(vol.failure)];
    memcpy(said, vol.failure, sizeof(said));
    int32_t ret2 = volume_file_set_size(&vol, h, 10 * PAGE);
    setrlimit(RLIMIT_FSIZE, &old);
    CU_ASSERT_EQUAL(ret, PV_ENOSPC);
    CU_ASSERT_EQUAL(bytes, PAGE);
    CU_ASSERT_STRING_EQUAL(vol.failure, "volume file big: setting its size to 40960 bytes failed: "
                           "File too large");
    CU_ASSERT_STRING_EQUAL(said, "volume file big: write at byte 8192 failed: File too large");
    CU_ASSERT_EQUAL(ret2, PV_ENOSPC);
    CU_ASSERT_EQUAL(host_size("big"), 2 * PAGE);
    CU_ASSERT_EQUAL(vol.stats.failed_calls, 1u);
}

static void no_volume_is_enodev(void)
{
    struct volume none = { .dirfd = -1 };
    uint32_t h, c, bytes;
    uint64_t size;
    struct pv_hc_file_open o = { .name = "a" };
    CU_ASSERT_EQUAL(volume_file_open(&none, &o, &h, &c, &size), PV_ENODEV);
    CU_ASSERT_EQUAL(volume_file_open(NULL, &o, &h, &c, &size), PV_ENODEV);
    struct pv_hc_file_io r = io_req(PV_FILE_READ, 1, 0, 1, 5);
    CU_ASSERT_EQUAL(volume_file_io(NULL, &mem, &r, &bytes), PV_ENODEV);
    CU_ASSERT_EQUAL(volume_file_close(NULL, 1), PV_ENODEV);
    CU_ASSERT_EQUAL(volume_file_set_size(NULL, 1, 0), PV_ENODEV);
    CU_ASSERT_EQUAL(volume_open(&none, "/nonexistent/dir", why, sizeof(why)), -1);
    CU_ASSERT_STRING_EQUAL(why, "--volume /nonexistent/dir: No such file or directory");
    volume_close(&none);
}

/* A kernel without openat2 (made here by a seccomp filter answering ENOSYS): every open is
 * refused, said once, never done another, unsafe way. */
static void without_openat2_every_open_is_refused(void)
{
    fresh();
    write_host(dir, "a", "a", 1);
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    fflush(stderr);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
            _exit(3);
        uint32_t h;
        int bad = 0;
        for (int i = 0; i < 3; i++)
            bad |= open_file("a", 0, &h) != PV_EACCES;
        bad |= open_file("new", PV_FILE_WRITE | PV_FILE_CREATE, &h) != PV_EACCES;
        bad |= vol.stats.files_opened != 0;
        _exit(bad);
    }
    close(p[1]);
    char said[1024] = "";
    ssize_t n, got = 0;
    while ((n = read(p[0], said + got, sizeof(said) - 1 - (size_t)got)) > 0)
        got += n;
    close(p[0]);
    int status;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT_STRING_EQUAL(said, "pagevisor: --volume: this host's kernel has no openat2 (Linux "
                           "5.6 or later), which keeps names inside the volume; every file the "
                           "guest opens is refused\n");
    CU_ASSERT_EQUAL(access(path_in(dir, "new"), F_OK), -1);
}

/* ---- through hc_out --------------------------------------------------------------------- */

static struct hc_state hc;

static void hc_reset(void)
{
    fresh();
    hc_init(&hc, &mem, -1, -1, false, NULL);
    hc.volume = &vol;
}

static uint32_t out_u32(size_t offset)
{
    uint32_t v;
    memcpy(&v, mem.base + BLOCK + offset, sizeof(v));
    return v;
}

static char *call(unsigned nr, enum hc_result want)
{
    static char text[4096];
    FILE *saved = stderr;
    memset(text, 0, sizeof(text));
    stderr = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(stderr);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(nr), 4, BLOCK, why, sizeof(why)), want);
    fclose(stderr);
    stderr = saved;
    return text;
}

static void hypercalls_round_trip(void)
{
    hc_reset();
    write_host(dir, "old", "0123456789", 10);
    struct pv_hc_file_open o = { .name = "old", .flags = PV_FILE_WRITE, .ret = 99,
                                 .handle = 77, .created = 5, .size_lo = 1, .size_hi = 2 };
    memcpy(mem.base + BLOCK, &o, sizeof(o));
    call(PV_HC_FILE_OPEN, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_open, ret)), PV_OK);
    uint32_t h = out_u32(offsetof(struct pv_hc_file_open, handle));
    CU_ASSERT(h >= 1 && h <= PV_FILES_MAX);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_open, created)), 0u);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_open, size_lo)), 10u);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_open, size_hi)), 0u);

    memset(frame(9), 'q', PAGE);
    struct pv_hc_file_io w = io_req(PV_FILE_WRITE_PAGES, h, PAGE, 1, 9);
    w.length = 100;
    memcpy(mem.base + BLOCK, &w, sizeof(w));
    call(PV_HC_FILE_IO, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_io, ret)), PV_OK);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_io, bytes)), 100u);
    CU_ASSERT_EQUAL(host_size("old"), PAGE + 100);

    struct pv_hc_file_io r = io_req(PV_FILE_READ, h, 0, 2, 20);
    memcpy(mem.base + BLOCK, &r, sizeof(r));
    call(PV_HC_FILE_IO, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_io, ret)), PV_OK);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_io, bytes)), PAGE + 100);
    CU_ASSERT_EQUAL(memcmp(frame(20), "0123456789", 10), 0);
    CU_ASSERT_EQUAL(frame(20)[10], 0);
    CU_ASSERT_EQUAL(frame(21)[99], 'q');
    CU_ASSERT_EQUAL(frame(21)[100], 0);

    struct pv_hc_file_set_size z = { .handle = h, .size_lo = 3, .size_hi = 0, .ret = 99 };
    memcpy(mem.base + BLOCK, &z, sizeof(z));
    call(PV_HC_FILE_SET_SIZE, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_set_size, ret)), PV_OK);
    CU_ASSERT_EQUAL(host_size("old"), 3);
    z.size_hi = 0x80000000u;
    memcpy(mem.base + BLOCK, &z, sizeof(z));
    call(PV_HC_FILE_SET_SIZE, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_set_size, ret)), PV_EINVAL);

    struct pv_hc_file_close c = { .handle = h, .ret = 99 };
    memcpy(mem.base + BLOCK, &c, sizeof(c));
    call(PV_HC_FILE_CLOSE, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_close, ret)), PV_OK);
    call(PV_HC_FILE_CLOSE, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_close, ret)), PV_EBADF);
}

static void hostile_call_blocks(void)
{
    hc_reset();
    /* a block reaching past guest RAM is refused whole */
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_FILE_OPEN), 4,
                           RAM - sizeof(struct pv_hc_file_open) + 4, why, sizeof(why)),
                    HC_REJECTED);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_FILE_IO), 4, 0xFFFFFFF0u, why, sizeof(why)),
                    HC_REJECTED);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_FILE_SET_SIZE), 2, BLOCK, why, sizeof(why)),
                    HC_REJECTED);
    /* a name without its NUL, then one leaving the volume: failed calls, nothing opened */
    struct pv_hc_file_open o = { .flags = PV_FILE_WRITE | PV_FILE_CREATE };
    memset(o.name, 'n', sizeof(o.name));
    memcpy(mem.base + BLOCK, &o, sizeof(o));
    call(PV_HC_FILE_OPEN, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_open, ret)), PV_EINVAL);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_open, handle)), 0u);
    strcpy(o.name, "../escape");
    memcpy(mem.base + BLOCK, &o, sizeof(o));
    call(PV_HC_FILE_OPEN, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_open, ret)), PV_EACCES);
    CU_ASSERT_EQUAL(vol.stats.files_opened, 0u);
    /* an I/O request with garbage everywhere */
    struct pv_hc_file_io r;
    memset(&r, 0xFF, sizeof(r));
    memcpy(mem.base + BLOCK, &r, sizeof(r));
    call(PV_HC_FILE_IO, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_io, ret)), PV_EINVAL);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_io, bytes)), 0u);
    r = io_req(PV_FILE_READ, 1, 0, 1, 5);
    memcpy(mem.base + BLOCK, &r, sizeof(r));
    call(PV_HC_FILE_IO, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_io, ret)), PV_EBADF);
    /* a read into the call block's own frame is allowed: the OUT fields land after it */
    write_host(dir, "f", "data", 4);
    strcpy(o.name, "f");
    o.flags = 0;
    memcpy(mem.base + BLOCK, &o, sizeof(o));
    call(PV_HC_FILE_OPEN, HC_OK);
    uint32_t h = out_u32(offsetof(struct pv_hc_file_open, handle));
    r = io_req(PV_FILE_READ, h, 0, 1, BLOCK / PAGE);
    memcpy(mem.base + BLOCK, &r, sizeof(r));
    call(PV_HC_FILE_IO, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_io, ret)), PV_OK);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_io, bytes)), 4u);
}

static void without_volume_every_call_is_enodev(void)
{
    hc_reset();
    hc.volume = NULL;
    write_host(dir, "f", "data", 4);
    struct pv_hc_file_open o = { .name = "f", .handle = 5 };
    memcpy(mem.base + BLOCK, &o, sizeof(o));
    call(PV_HC_FILE_OPEN, HC_OK);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_open, ret)), PV_ENODEV);
    CU_ASSERT_EQUAL(out_u32(offsetof(struct pv_hc_file_open, handle)), 0u);
    unsigned nrs[] = { PV_HC_FILE_IO, PV_HC_FILE_CLOSE, PV_HC_FILE_SET_SIZE };
    size_t rets[] = { offsetof(struct pv_hc_file_io, ret), offsetof(struct pv_hc_file_close, ret),
                      offsetof(struct pv_hc_file_set_size, ret) };
    for (size_t i = 0; i < 3; i++) {
        memset(mem.base + BLOCK, 0, PAGE);
        call(nrs[i], HC_OK);
        CU_ASSERT_EQUAL((int32_t)out_u32(rets[i]), PV_ENODEV);
    }
}

/* Host failures are said on stderr, naming the file and offset, at most ten times. */
static void failures_are_said_rate_limited(void)
{
    hc_reset();
    struct pv_hc_file_open o = { .name = "big", .flags = PV_FILE_WRITE | PV_FILE_CREATE };
    memcpy(mem.base + BLOCK, &o, sizeof(o));
    call(PV_HC_FILE_OPEN, HC_OK);
    uint32_t h = out_u32(offsetof(struct pv_hc_file_open, handle));
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = PAGE;
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
    struct pv_hc_file_io w = io_req(PV_FILE_WRITE_PAGES, h, 3 * PAGE, 1, 5);
    char said[12][512];
    for (int i = 0; i < 12; i++) {
        memcpy(mem.base + BLOCK, &w, sizeof(w));
        snprintf(said[i], sizeof(said[i]), "%s", call(PV_HC_FILE_IO, HC_OK));
    }
    setrlimit(RLIMIT_FSIZE, &old);
    CU_ASSERT_EQUAL((int32_t)out_u32(offsetof(struct pv_hc_file_io, ret)), PV_ENOSPC);
    CU_ASSERT_STRING_EQUAL(said[0], "pagevisor: volume file big: write at byte 12288 failed: "
                           "File too large\n");
    CU_ASSERT_STRING_EQUAL(said[9], "pagevisor: volume file big: write at byte 12288 failed: "
                           "File too large (further failures not shown)\n");
    CU_ASSERT_STRING_EQUAL(said[10], "");
    CU_ASSERT_STRING_EQUAL(said[11], "");
}

/* The run's statistics (--stats, --verbose, the trace's last record) count the volume's pages. */
static void run_statistics_count_volume_pages(void)
{
    hc_reset();
    struct fault_tracer tracer;
    tracer_init(&tracer, &mem, NULL, TRACE_TEXT, 0, 0);
    hc.tracer = &tracer;
    uint32_t h, bytes;
    CU_ASSERT_EQUAL_FATAL(open_file("st", PV_FILE_WRITE | PV_FILE_CREATE, &h), PV_OK);
    struct pv_hc_file_io w = io_req(PV_FILE_WRITE_PAGES, h, 0, 3, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &w, &bytes), PV_OK);
    struct pv_hc_file_io r = io_req(PV_FILE_READ, h, 0, 2, 5);
    CU_ASSERT_EQUAL(volume_file_io(&vol, &mem, &r, &bytes), PV_OK);
    struct vcpu_stats st = { 0 };
    struct run_stats rs;
    run_stats_collect(&rs, &hc, &st);
    double opened = -1, read = -1, written = -1;
    for (size_t i = 0; i < rs.n; i++) {
        if (strcmp(rs.items[i].name, "volume_files_opened") == 0)
            opened = rs.items[i].value;
        if (strcmp(rs.items[i].name, "volume_pages_read") == 0)
            read = rs.items[i].value;
        if (strcmp(rs.items[i].name, "volume_pages_written") == 0)
            written = rs.items[i].value;
    }
    CU_ASSERT_EQUAL(opened, 1);
    CU_ASSERT_EQUAL(read, 2);
    CU_ASSERT_EQUAL(written, 3);
    char text[2048] = "";
    FILE *f = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    run_stats_print(f, &rs);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "pagevisor: volume 1 files opened, 2 pages read, 3 pages "
                                        "written\n"));
    /* without a volume: no such items, no such line */
    hc.volume = NULL;
    run_stats_collect(&rs, &hc, &st);
    for (size_t i = 0; i < rs.n; i++)
        CU_ASSERT_PTR_NULL(strstr(rs.items[i].name, "volume"));
    memset(text, 0, sizeof(text));
    f = fmemopen(text, sizeof(text), "w");
    run_stats_print(f, &rs);
    fclose(f);
    CU_ASSERT_PTR_NULL(strstr(text, "volume"));
    tracer_free(&tracer);
}

static const struct unit_test tests[] = {
    UNIT_TEST(names_that_leave_are_refused),
    UNIT_TEST(only_regular_files),
    UNIT_TEST(flags_are_validated),
    UNIT_TEST(create_excl_truncate),
    UNIT_TEST(pages_round_trip),
    UNIT_TEST(read_past_end_zero_fills),
    UNIT_TEST(partial_last_page_sets_size),
    UNIT_TEST(hostile_requests_fail_before_io),
    UNIT_TEST(handle_table_fills),
    UNIT_TEST(set_size_and_close),
    UNIT_TEST(full_file_is_enospc_with_a_line),
    UNIT_TEST(no_volume_is_enodev),
    UNIT_TEST(without_openat2_every_open_is_refused),
    UNIT_TEST(hypercalls_round_trip),
    UNIT_TEST(hostile_call_blocks),
    UNIT_TEST(without_volume_every_call_is_enodev),
    UNIT_TEST(failures_are_said_rate_limited),
    UNIT_TEST(run_statistics_count_volume_pages),
};

int main(void)
{
    mem.size = RAM;
    mem.base = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem.base == MAP_FAILED) {
        perror("mmap of the test's guest RAM");
        return 2;
    }
    umask(022);
    signal(SIGXFSZ, SIG_IGN);
    strcpy(dir, "/tmp/pv-volume-XXXXXX");
    strcpy(outside, "/tmp/pv-outside-XXXXXX");
    if (!mkdtemp(dir) || !mkdtemp(outside)) {
        perror("mkdtemp");
        return 2;
    }
    vol.dirfd = -1;
    int rc = unit_run("volume", tests, sizeof(tests) / sizeof(tests[0]));
    volume_close(&vol);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, outside);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    munmap(mem.base, RAM);
    return rc;
}
