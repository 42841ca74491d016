/*
 * test_runner.c - unit tests of the KVM runner's host-side pieces that need no VM:
 * the newc cpio writer (read back by our own parser and, where busybox is installed, by
 * `busybox cpio`), the host -> VM path rule, CRC-32, and the result-stream parser with good,
 * truncated and garbled input.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "runner.h"
#include "unit.h"

/* ------------------------------------------------------------------------------------------ */
/* A newc reader, written from the format (not from the writer).                              */

struct entry {
    char name[256];
    unsigned ino, mode, nlink, mtime, size, namesize;
    const unsigned char *data;
};

static unsigned hex8(const unsigned char *p, bool *ok)
{
    unsigned v = 0;
    for (int i = 0; i < 8; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else {
            *ok = false;
            return 0;
        }
        v = v * 16 + (unsigned)d;
    }
    return v;
}

/* Parse a whole archive; returns the entry count (trailer excluded) or -1 when malformed. */
static int parse_newc(const unsigned char *buf, size_t len, struct entry *out, int max)
{
    size_t off = 0;
    int n = 0;
    for (;;) {
        if (off % 4 != 0 || off + 110 > len || memcmp(buf + off, "070701", 6) != 0)
            return -1;
        bool ok = true;
        unsigned f[13];
        for (int i = 0; i < 13; i++)
            f[i] = hex8(buf + off + 6 + 8 * i, &ok);
        if (!ok)
            return -1;
        struct entry e = { .ino = f[0], .mode = f[1], .nlink = f[4], .mtime = f[5], .size = f[6],
                           .namesize = f[11] };
        if (f[2] != 0 || f[3] != 0 || f[12] != 0) /* uid, gid, check */
            return -1;
        if (e.namesize == 0 || e.namesize > sizeof(e.name) || off + 110 + e.namesize > len)
            return -1;
        memcpy(e.name, buf + off + 110, e.namesize);
        if (e.name[e.namesize - 1] != '\0' || strlen(e.name) + 1 != e.namesize)
            return -1;
        off += 110 + e.namesize;
        while (off % 4) /* name padding must be zeros */
            if (off >= len || buf[off++] != 0)
                return -1;
        if (off + e.size > len)
            return -1;
        e.data = buf + off;
        off += e.size;
        while (off % 4)
            if (off >= len || buf[off++] != 0)
                return -1;
        if (strcmp(e.name, "TRAILER!!!") == 0)
            return off == len ? n : -1; /* nothing after the trailer */
        if (n >= max)
            return -1;
        out[n++] = e;
    }
}

static const struct entry *find_entry(const struct entry *e, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            return &e[i];
    return NULL;
}

static unsigned char *slurp_fd(int fd, size_t *len)
{
    off_t end = lseek(fd, 0, SEEK_END);
    unsigned char *buf = malloc((size_t)end + 1);
    if (!buf || pread(fd, buf, (size_t)end, 0) != end) {
        free(buf);
        return NULL;
    }
    *len = (size_t)end;
    return buf;
}

static int tmp_fd(void)
{
    char path[] = "/tmp/test_runner.XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* An archive with a bit of everything; the file's contents are 0,1,2,... of size n. */
static int build_sample(int fd)
{
    struct cpio_writer w;
    unsigned char data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7);
    int src = tmp_fd();
    if (src < 0 || write(src, data, 333) != 333 || lseek(src, 0, SEEK_SET) != 0)
        return -1;
    int rc = cpio_writer_init(&w, fd);
    rc |= cpio_add_dir(&w, "pv", 0755);
    rc |= cpio_add_file(&w, "/pv/.job/cmd", 0644, "exec 'x'\n", 9);
    rc |= cpio_add_file(&w, "pv/empty", 0600, "", 0);
    for (size_t n = 1; n <= 5; n++) {
        char name[32];
        snprintf(name, sizeof(name), "pv/sizes/f%zu", n);
        rc |= cpio_add_file(&w, name, 0644, data, n);
    }
    rc |= cpio_add_file(&w, "pv//a/./b/c/big", 0755, data, sizeof(data));
    rc |= cpio_add_file_fd(&w, "pv/a/fromfd", 0640, 12345, src, 333);
    rc |= cpio_add_dir(&w, "pv/a/b", 0700); /* already there: not added again */
    rc |= cpio_finish(&w);
    cpio_writer_free(&w);
    close(src);
    return rc;
}

static void test_cpio_roundtrip(void)
{
    int fd = tmp_fd();
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(build_sample(fd), 0);
    size_t len;
    unsigned char *buf = slurp_fd(fd, &len);
    CU_ASSERT_FATAL(buf != NULL);
    CU_ASSERT_EQUAL(len % 4, 0);
    struct entry e[64];
    int n = parse_newc(buf, len, e, 64);
    /* pv, pv/.job, cmd, empty, pv/sizes, f1..f5, pv/a, pv/a/b, pv/a/b/c, big, fromfd */
    CU_ASSERT_EQUAL_FATAL(n, 15);

    const struct entry *x = find_entry(e, n, "pv/.job/cmd");
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_EQUAL(x->mode, 0100644);
    CU_ASSERT_EQUAL(x->size, 9);
    CU_ASSERT_EQUAL(x->nlink, 1);
    CU_ASSERT(memcmp(x->data, "exec 'x'\n", 9) == 0);

    x = find_entry(e, n, "pv/.job");
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_EQUAL(x->mode, 040755);
    CU_ASSERT_EQUAL(x->size, 0);

    x = find_entry(e, n, "pv/empty");
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_EQUAL(x->mode, 0100600);
    CU_ASSERT_EQUAL(x->size, 0);

    for (unsigned s = 1; s <= 5; s++) {
        char name[32];
        snprintf(name, sizeof(name), "pv/sizes/f%u", s);
        x = find_entry(e, n, name);
        CU_ASSERT_FATAL(x != NULL);
        CU_ASSERT_EQUAL(x->size, s);
        for (unsigned i = 0; i < s; i++)
            CU_ASSERT_EQUAL(x->data[i], (unsigned char)(i * 7));
    }

    x = find_entry(e, n, "pv/a/b/c/big");
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_EQUAL(x->mode, 0100755);
    CU_ASSERT_EQUAL(x->size, 1000);
    CU_ASSERT_EQUAL(x->data[999], (unsigned char)(999 * 7));

    x = find_entry(e, n, "pv/a/fromfd");
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_EQUAL(x->mode, 0100640);
    CU_ASSERT_EQUAL(x->mtime, 12345);
    CU_ASSERT_EQUAL(x->size, 333);
    CU_ASSERT_EQUAL(x->data[332], (unsigned char)(332 * 7));

    /* Parents come before their children, each directory once, inode numbers unique. */
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
            CU_ASSERT(strcmp(e[i].name, e[j].name) != 0);
            CU_ASSERT(e[i].ino != e[j].ino);
        }
        char parent[256];
        memcpy(parent, e[i].name, sizeof(parent));
        char *slash = strrchr(parent, '/');
        if (slash) {
            *slash = '\0';
            const struct entry *p = find_entry(e, i, parent);
            CU_ASSERT(p != NULL && (p->mode & 0170000) == 040000);
        }
    }
    free(buf);
    close(fd);
}

/* A --volume's symbolic links go in as links: mode 0120777, the target as the data. */
static void test_cpio_symlink(void)
{
    int fd = tmp_fd();
    CU_ASSERT_FATAL(fd >= 0);
    struct cpio_writer w;
    cpio_writer_init(&w, fd);
    CU_ASSERT_EQUAL(cpio_add_symlink(&w, "pv/.volume/in", "sub/a.txt"), 0);
    CU_ASSERT_EQUAL(cpio_add_symlink(&w, "pv/.volume/out", "/etc/passwd"), 0);
    CU_ASSERT_EQUAL(cpio_add_symlink(&w, "pv/.volume/empty", ""), -1);
    CU_ASSERT_EQUAL(cpio_add_symlink(&w, "pv/../x", "a"), -1);
    CU_ASSERT_EQUAL(cpio_finish(&w), 0);
    cpio_writer_free(&w);
    size_t len;
    unsigned char *buf = slurp_fd(fd, &len);
    CU_ASSERT_FATAL(buf != NULL);
    struct entry e[16];
    int n = parse_newc(buf, len, e, 16);
    CU_ASSERT_EQUAL_FATAL(n, 4); /* pv, pv/.volume, two links */
    const struct entry *x = find_entry(e, n, "pv/.volume/in");
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_EQUAL(x->mode, 0120777);
    CU_ASSERT_EQUAL(x->size, 9);
    CU_ASSERT(memcmp(x->data, "sub/a.txt", 9) == 0);
    x = find_entry(e, n, "pv/.volume/out");
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_EQUAL(x->size, 11);
    CU_ASSERT_EQUAL(find_entry(e, n, "pv/.volume")->mode, 040755);
    free(buf);
    close(fd);
}

static void test_cpio_refuses(void)
{
    int fd = tmp_fd();
    struct cpio_writer w;
    CU_ASSERT_FATAL(fd >= 0);
    cpio_writer_init(&w, fd);
    errno = 0;
    CU_ASSERT_EQUAL(cpio_add_file(&w, "pv/../etc/passwd", 0644, "x", 1), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_EQUAL(cpio_add_file(&w, "", 0644, "x", 1), -1);
    CU_ASSERT_EQUAL(cpio_add_dir(&w, "/", 0755), -1);
    CU_ASSERT_EQUAL(cpio_add_dir(&w, "pv/d", 0755), 0);
    CU_ASSERT_EQUAL(cpio_add_file(&w, "pv/d", 0644, "x", 1), -1); /* a directory already */
    CU_ASSERT_EQUAL(errno, EISDIR);
    /* A file that is shorter than announced. */
    int src = tmp_fd();
    CU_ASSERT_FATAL(src >= 0);
    CU_ASSERT_EQUAL(write(src, "abc", 3), 3);
    lseek(src, 0, SEEK_SET);
    CU_ASSERT_EQUAL(cpio_add_file_fd(&w, "pv/short", 0644, 0, src, 10), -1);
    CU_ASSERT_EQUAL(errno, EIO);
    cpio_writer_free(&w);
    close(src);
    close(fd);
}

static void test_cpio_normalize(void)
{
    char b[64];
    CU_ASSERT(cpio_normalize_path("/pv//bin/./x/", b, sizeof(b)) == 0 && strcmp(b, "pv/bin/x") == 0);
    CU_ASSERT(cpio_normalize_path("a", b, sizeof(b)) == 0 && strcmp(b, "a") == 0);
    CU_ASSERT(cpio_normalize_path("././/", b, sizeof(b)) == -1 && errno == EINVAL);
    CU_ASSERT(cpio_normalize_path("a/..", b, sizeof(b)) == -1 && errno == EINVAL);
    CU_ASSERT(cpio_normalize_path("a/..b/c..", b, sizeof(b)) == 0 && strcmp(b, "a/..b/c..") == 0);
    CU_ASSERT(cpio_normalize_path("abcdefgh", b, 8) == -1 && errno == ENAMETOOLONG);
    CU_ASSERT(cpio_normalize_path("abcdefg", b, 8) == 0);
}

/* The archive as busybox's cpio reads it (the tool the runner's base image is built with). */
static void test_cpio_busybox(void)
{
    if (system("command -v busybox >/dev/null 2>&1") != 0) {
        printf("\n    (busybox not installed: cross-check skipped) ");
        return;
    }
    char dir[] = "/tmp/test_runner_bb.XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    char arch[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(arch, sizeof(arch), "%s/a.cpio", dir);
    FILE *f = fopen(arch, "w");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_EQUAL(build_sample(fileno(f)), 0);
    fclose(f);

    snprintf(cmd, sizeof(cmd), "busybox cpio -t < %s 2>/dev/null | LC_ALL=C sort > %s/list", arch, dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    snprintf(cmd, sizeof(cmd),
             "printf '%%s\\n' pv pv/.job pv/.job/cmd pv/a pv/a/b pv/a/b/c pv/a/b/c/big pv/a/fromfd "
             "pv/empty pv/sizes pv/sizes/f1 pv/sizes/f2 pv/sizes/f3 pv/sizes/f4 pv/sizes/f5 | "
             "LC_ALL=C sort | cmp -s - %s/list", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);

    snprintf(cmd, sizeof(cmd), "cd %s && mkdir x && cd x && busybox cpio -i -d < ../a.cpio 2>/dev/null", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    char path[PATH_MAX + 32];
    struct stat st;
    snprintf(path, sizeof(path), "%s/x/pv/a/b/c/big", dir);
    CU_ASSERT(stat(path, &st) == 0 && st.st_size == 1000 && (st.st_mode & 0777) == 0755);
    snprintf(path, sizeof(path), "%s/x/pv/.job/cmd", dir);
    f = fopen(path, "r");
    char line[32] = "";
    CU_ASSERT(f && fgets(line, sizeof(line), f) && strcmp(line, "exec 'x'\n") == 0);
    if (f)
        fclose(f);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Host path -> VM path.                                                                      */

static void expect_vm_path(const char *host, const char *want)
{
    char buf[PATH_MAX];
    int rc = runner_vm_path(host, buf, sizeof(buf));
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0 || strcmp(buf, want) != 0)
        printf("\n    runner_vm_path(\"%s\") = \"%s\", want \"%s\" ", host, rc ? "(error)" : buf, want);
    CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_vm_path(void)
{
    char cwd[PATH_MAX], want[PATH_MAX + 64], tmp[PATH_MAX];
    CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL);
    char real_cwd[PATH_MAX];
    CU_ASSERT_FATAL(realpath(cwd, real_cwd) != NULL);

    /* Relative without "..": under /pv, as written (folded). */
    expect_vm_path("build/pagevisor", "/pv/build/pagevisor");
    expect_vm_path("./a//b/", "/pv/a/b");
    expect_vm_path("x", "/pv/x");
    expect_vm_path(".", "/pv");
    expect_vm_path("a..b/c", "/pv/a..b/c");

    /* Absolute: /pv/root + the canonical path. */
    expect_vm_path("/", "/pv/root");
    CU_ASSERT_FATAL(realpath("/tmp", tmp) != NULL);
    snprintf(want, sizeof(want), "/pv/root%s", tmp);
    expect_vm_path("/tmp", want);
    expect_vm_path("/tmp/", want);
    expect_vm_path("/no-such-dir-pv/a/../b//c", "/pv/root/no-such-dir-pv/b/c");

    /* Relative with "..": absolute from the cwd. */
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", real_cwd);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
    else
        snprintf(parent, sizeof(parent), "/");
    snprintf(want, sizeof(want), "/pv/root%s/no-such-file-pv", strcmp(parent, "/") ? parent : "");
    expect_vm_path("../no-such-file-pv", want);

    /* Symlinks are resolved as far as the path exists. */
    char dir[] = "/tmp/test_runner_vp.XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    char real_dir[PATH_MAX], link[PATH_MAX + 16], target[PATH_MAX + 16];
    CU_ASSERT_FATAL(realpath(dir, real_dir) != NULL);
    snprintf(target, sizeof(target), "%s/real", dir);
    snprintf(link, sizeof(link), "%s/link", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(target, 0700), 0);
    CU_ASSERT_EQUAL_FATAL(symlink("real", link), 0);
    char host[PATH_MAX + 32];
    snprintf(host, sizeof(host), "%s/link/new-file", dir);
    snprintf(want, sizeof(want), "/pv/root%s/real/new-file", real_dir);
    expect_vm_path(host, want);
    unlink(link);
    rmdir(target);
    rmdir(dir);

    /* Errors. */
    char small[8];
    CU_ASSERT_EQUAL(runner_vm_path("", small, sizeof(small)), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_EQUAL(runner_vm_path(NULL, small, sizeof(small)), -1);
    CU_ASSERT_EQUAL(runner_vm_path("a/long/path", small, sizeof(small)), -1);
    CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
}

/* ------------------------------------------------------------------------------------------ */
/* CRC-32 and the result stream.                                                              */

static void test_crc32(void)
{
    CU_ASSERT_EQUAL(runner_crc32(0, "", 0), 0u);
    CU_ASSERT_EQUAL(runner_crc32(0, "123456789", 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(runner_crc32(0, "hello", 5), 0x3610A686u); /* busybox crc32 says 3610a686 */
    /* Incremental = whole. */
    CU_ASSERT_EQUAL(runner_crc32(runner_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

struct sink {
    char path[8][128];
    unsigned char data[8][4096];
    size_t len[8];
    int files, ended_files, missing;
    int fail_begin;
};

static int sink_begin(void *ctx, const char *vm_path, uint64_t size)
{
    struct sink *s = ctx;
    if (s->fail_begin || s->files >= 8 || size > sizeof(s->data[0]))
        return -1;
    snprintf(s->path[s->files], sizeof(s->path[0]), "%s", vm_path);
    s->len[s->files] = 0;
    s->files++;
    return 0;
}

static int sink_data(void *ctx, const void *buf, size_t len)
{
    struct sink *s = ctx;
    int i = s->files - 1;
    memcpy(s->data[i] + s->len[i], buf, len);
    s->len[i] += len;
    return 0;
}

static int sink_end(void *ctx, const char *vm_path)
{
    struct sink *s = ctx;
    s->ended_files++;
    return strcmp(vm_path, s->path[s->files - 1]) == 0 ? 0 : -1;
}

static void sink_missing(void *ctx, const char *vm_path)
{
    struct sink *s = ctx;
    (void)vm_path;
    s->missing++;
}

static struct runner_frames *new_parser(struct sink *s)
{
    struct runner_frames *p = malloc(sizeof(*p));
    memset(s, 0, sizeof(*s));
    runner_frames_init(p);
    p->file_begin = sink_begin;
    p->file_data = sink_data;
    p->file_end = sink_end;
    p->file_missing = sink_missing;
    p->ctx = s;
    return p;
}

/* A good stream; the file's bytes include newlines and a fake END frame. */
static const unsigned char payload[] = "line1\nPV1 END\n\0\xff binary\n";
#define PAYLOAD_LEN (sizeof(payload) - 1)

static size_t good_stream(char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size,
                                "PV1 START\nPV1 EXIT 3\nPV1 FILE %zu %x /pv/out dir/trace file\n",
                                PAYLOAD_LEN, runner_crc32(0, payload, PAYLOAD_LEN));
    memcpy(buf + n, payload, PAYLOAD_LEN);
    n += PAYLOAD_LEN;
    n += (size_t)snprintf(buf + n, size - n,
                          "\nPV1 NOFILE /pv/missing\nPV1 FILE 0 0 /tmp/empty\n\nPV1 END\n");
    return n;
}

static void check_good_result(struct runner_frames *p, struct sink *s)
{
    CU_ASSERT_EQUAL(runner_frames_finish(p), 0);
    CU_ASSERT(p->started && p->exited && p->ended);
    CU_ASSERT_EQUAL(p->exit_status, 3);
    CU_ASSERT_EQUAL(p->files, 2);
    CU_ASSERT_EQUAL(s->files, 2);
    CU_ASSERT_EQUAL(s->ended_files, 2);
    CU_ASSERT_EQUAL(s->missing, 1);
    CU_ASSERT_STRING_EQUAL(s->path[0], "/pv/out dir/trace file");
    CU_ASSERT_EQUAL(s->len[0], PAYLOAD_LEN);
    CU_ASSERT(memcmp(s->data[0], payload, PAYLOAD_LEN) == 0);
    CU_ASSERT_STRING_EQUAL(s->path[1], "/tmp/empty");
    CU_ASSERT_EQUAL(s->len[1], 0);
    CU_ASSERT_STRING_EQUAL(p->vm_error, "");
}

static void test_frames_good(void)
{
    char buf[1024];
    size_t n = good_stream(buf, sizeof(buf));
    struct sink s;

    /* Whole. */
    struct runner_frames *p = new_parser(&s);
    CU_ASSERT_EQUAL(runner_frames_feed(p, buf, n), 0);
    check_good_result(p, &s);
    free(p);

    /* Byte by byte, and in every split into two pieces. */
    p = new_parser(&s);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(runner_frames_feed(p, buf + i, 1), 0);
    check_good_result(p, &s);
    free(p);
    for (size_t cut = 0; cut <= n; cut++) {
        p = new_parser(&s);
        int rc = runner_frames_feed(p, buf, cut) | runner_frames_feed(p, buf + cut, n - cut);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(runner_frames_finish(p), 0);
        CU_ASSERT_EQUAL(s.len[0], PAYLOAD_LEN);
        free(p);
    }
}

static void test_frames_truncated(void)
{
    char buf[1024];
    size_t n = good_stream(buf, sizeof(buf));
    struct sink s;
    /* Every proper prefix is fine so far but not a complete stream. */
    for (size_t cut = 0; cut < n; cut++) {
        struct runner_frames *p = new_parser(&s);
        CU_ASSERT_EQUAL(runner_frames_feed(p, buf, cut), 0);
        CU_ASSERT_EQUAL(runner_frames_finish(p), -1);
        CU_ASSERT(p->error[0] != '\0');
        free(p);
    }
    /* The message says where it was cut. */
    struct runner_frames *p = new_parser(&s);
    const char *data = memmem(buf, n, "line1", 5);
    CU_ASSERT_FATAL(data != NULL);
    runner_frames_feed(p, buf, (size_t)(data - buf) + 3);
    CU_ASSERT_EQUAL(runner_frames_finish(p), -1);
    CU_ASSERT(strstr(p->error, "cut inside /pv/out dir/trace file") != NULL);
    free(p);
    p = new_parser(&s);
    runner_frames_feed(p, "PV1 START\n", 10);
    CU_ASSERT_EQUAL(runner_frames_finish(p), -1);
    CU_ASSERT(strstr(p->error, "no exit status") != NULL);
    free(p);
}

/* Feeds `text` (plus `len` extra raw bytes, if any) and expects a rejection mentioning `why`. */
static void expect_garbled(const char *text, const char *why)
{
    struct sink s;
    struct runner_frames *p = new_parser(&s);
    int rc = runner_frames_feed(p, text, strlen(text));
    if (rc == 0)
        rc = runner_frames_finish(p);
    CU_ASSERT_EQUAL(rc, -1);
    if (rc != -1 || !strstr(p->error, why))
        printf("\n    stream \"%.40s...\": error \"%s\", want \"%s\" ", text, p->error, why);
    CU_ASSERT(strstr(p->error, why) != NULL);
    /* Once failed, it stays failed. */
    CU_ASSERT_EQUAL(runner_frames_feed(p, "PV1 END\n", 8), -1);
    free(p);
}

static void test_frames_garbled(void)
{
    expect_garbled("hello\n", "unexpected line \"hello\"");
    expect_garbled("PV2 START\n", "unexpected line");
    expect_garbled("PV1 START\nPV1 START\n", "START twice");
    expect_garbled("PV1 EXIT 0\n", "EXIT out of order");
    expect_garbled("PV1 START\nPV1 EXIT x\n", "bad exit status");
    expect_garbled("PV1 START\nPV1 EXIT 256\n", "bad exit status");
    expect_garbled("PV1 START\nPV1 EXIT\n", "bad exit status");
    expect_garbled("PV1 START\nPV1 FILE 1 0 /a\nx\n", "FILE before EXIT");
    expect_garbled("PV1 START\nPV1 EXIT 0\nPV1 FILE 1 0\n", "bad FILE line");
    expect_garbled("PV1 START\nPV1 EXIT 0\nPV1 FILE -1 0 /a\n", "bad FILE line");
    expect_garbled("PV1 START\nPV1 EXIT 0\nPV1 FILE 1 xyz /a\n", "bad FILE line");
    expect_garbled("PV1 START\nPV1 EXIT 0\nPV1 FILE 3 0 /a\nabcd\n", "more data than");
    expect_garbled("PV1 START\nPV1 EXIT 0\nPV1 FILE 3 0 /a\nabc\n", "checksum mismatch");
    expect_garbled("PV1 START\nPV1 EXIT 0\nPV1 END\nPV1 END\n", "data after END");
    expect_garbled("PV1 START\nPV1 EXIT 0\nPV1 END\nx", "cut inside a line");
    expect_garbled("PV1 START\nPV1 EXIT 0\nPV1 NOFILE\n", "bad NOFILE");
    expect_garbled("PV1 START\nPV1 BOGUS\n", "unexpected line");
    expect_garbled("PV1 START extra\n", "unexpected line");

    /* A NUL inside a line, and a line that never ends. */
    struct sink s;
    struct runner_frames *p = new_parser(&s);
    CU_ASSERT_EQUAL(runner_frames_feed(p, "PV1 ST\0RT\n", 10), -1);
    CU_ASSERT(strstr(p->error, "NUL") != NULL);
    free(p);
    p = new_parser(&s);
    char junk[512];
    memset(junk, 'A', sizeof(junk));
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++)
        rc = runner_frames_feed(p, junk, sizeof(junk));
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT(strstr(p->error, "line too long") != NULL);
    free(p);

    /* A file whose data is one byte off (a flipped bit). */
    char buf[1024];
    size_t n = good_stream(buf, sizeof(buf));
    char *data = memmem(buf, n, "line1", 5);
    CU_ASSERT_FATAL(data != NULL);
    data[0] ^= 0x01;
    p = new_parser(&s);
    CU_ASSERT_EQUAL(runner_frames_feed(p, buf, n), -1);
    CU_ASSERT(strstr(p->error, "checksum mismatch") != NULL);
    free(p);

    /* A callback that refuses. */
    n = good_stream(buf, sizeof(buf));
    p = new_parser(&s);
    s.fail_begin = 1;
    CU_ASSERT_EQUAL(runner_frames_feed(p, buf, n), -1);
    CU_ASSERT(strstr(p->error, "cannot store /pv/out dir/trace file") != NULL);
    free(p);

    /* Random garbage never crashes it. */
    srand(1);
    for (int round = 0; round < 200; round++) {
        unsigned char g[300];
        for (size_t i = 0; i < sizeof(g); i++)
            g[i] = (unsigned char)(rand() % 4 ? "PV1 STARTEXIFLNOD0123456789 \n"[rand() % 29] : rand());
        p = new_parser(&s);
        if (runner_frames_feed(p, g, sizeof(g)) == 0)
            runner_frames_finish(p);
        free(p);
    }
}

static void test_frames_vm_error(void)
{
    struct sink s;
    struct runner_frames *p = new_parser(&s);
    const char *t = "PV1 ERROR insmod kvm-amd.ko failed\nPV1 END\n";
    CU_ASSERT_EQUAL(runner_frames_feed(p, t, strlen(t)), 0);
    CU_ASSERT_STRING_EQUAL(p->vm_error, "insmod kvm-amd.ko failed");
    CU_ASSERT(p->ended);
    CU_ASSERT(!p->exited);
    CU_ASSERT_EQUAL(runner_frames_finish(p), -1); /* no exit status: not a complete run */
    CU_ASSERT(strstr(p->error, "insmod kvm-amd.ko failed") != NULL);
    free(p);
    /* END without EXIT and without a reason is just as incomplete. */
    p = new_parser(&s);
    t = "PV1 START\nPV1 END\n";
    CU_ASSERT_EQUAL(runner_frames_feed(p, t, strlen(t)), 0);
    CU_ASSERT_EQUAL(runner_frames_finish(p), -1);
    CU_ASSERT(strstr(p->error, "without an exit status") != NULL);
    free(p);
}

/* ------------------------------------------------------------------------------------------ */

static const struct unit_test tests[] = {
    { "cpio round trip", test_cpio_roundtrip },
    { "cpio symbolic links", test_cpio_symlink },
    { "cpio refuses bad entries", test_cpio_refuses },
    { "cpio path normalization", test_cpio_normalize },
    { "cpio read by busybox cpio", test_cpio_busybox },
    { "host path to VM path", test_vm_path },
    { "crc32", test_crc32 },
    { "result stream: good", test_frames_good },
    { "result stream: truncated", test_frames_truncated },
    { "result stream: garbled", test_frames_garbled },
    { "result stream: VM error", test_frames_vm_error },
};

UNIT_MAIN("runner", tests)
