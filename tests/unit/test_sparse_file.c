/*
 * test_sparse_file.c - a kept pagefile's trip out of the KVM runner VM (vmm/runner/sparse_file.c): a
 * 64 MiB sparse file with a few written pages packs into little more than those pages, and
 * unpacks into a file of the same size and bytes that is sparse again (its blocks are about its
 * data); all-zero blocks inside written data are holes too; an empty file and a file of only a
 * hole round-trip; packed forms that are not one, that end early, or whose extents overlap or
 * pass the end are refused with the output's name.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sparse_file.h"
#include "unit.h"

static char src[64], packed[64], out[64];

static void paths(void)
{
    snprintf(src, sizeof(src), "/tmp/test_sparse_%d.src", (int)getpid());
    snprintf(packed, sizeof(packed), "/tmp/test_sparse_%d.packed", (int)getpid());
    snprintf(out, sizeof(out), "/tmp/test_sparse_%d.out", (int)getpid());
}

static void cleanup(void)
{
    unlink(src);
    unlink(packed);
    unlink(out);
}

static off_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : -1;
}

static int unpack_to_out(char *why, size_t whylen)
{
    int in = open(packed, O_RDONLY), o = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_TRUE_FATAL(in >= 0 && o >= 0);
    int rc = sparse_unpack(in, o, "host.pagefile", why, whylen);
    close(in);
    close(o);
    return rc;
}

/* Whole files compared in chunks. */
static bool same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    static char x[1 << 16], y[1 << 16];
    while (same) {
        size_t n = fread(x, 1, sizeof(x), fa), m = fread(y, 1, sizeof(y), fb);
        same = n == m && memcmp(x, y, n) == 0;
        if (n == 0)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static void write_at(int fd, off_t off, char fill, size_t len)
{
    char *buf = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    memset(buf, fill, len);
    CU_ASSERT_EQUAL(pwrite(fd, buf, len, off), (ssize_t)len);
    free(buf);
}

static void round_trip_stays_sparse(void)
{
    char why[256];
    paths();
    int fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(ftruncate(fd, 64 << 20), 0);
    write_at(fd, 0, 'a', 4096);
    write_at(fd, 5 << 20, 'b', 8192);
    write_at(fd, (64 << 20) - 4096, 'c', 4096);   /* the last page */
    /* 192 KiB written, the middle 64 KiB block all zero: a hole in the packed form too. */
    write_at(fd, 9 << 20, 'd', 65536);
    write_at(fd, (9 << 20) + 65536, 0, 65536);
    write_at(fd, (9 << 20) + 131072, 'e', 65536);
    close(fd);
    CU_ASSERT_EQUAL_FATAL(sparse_pack(src, packed, why, sizeof(why)), 0);
    off_t psize = file_size(packed);
    CU_ASSERT_TRUE(psize > 4096 + 8192 + 4096 + 131072);
    CU_ASSERT_TRUE(psize < 4096 + 8192 + 4096 + 131072 + 4096);
    CU_ASSERT_EQUAL_FATAL(unpack_to_out(why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(file_size(out), 64 << 20);
    CU_ASSERT_TRUE(same_bytes(src, out));
    struct stat st;
    CU_ASSERT_EQUAL(stat(out, &st), 0);
    CU_ASSERT_TRUE((long long)st.st_blocks * 512 < (4 << 20)); /* sparse, not 64 MiB */
    cleanup();
}

static void empty_and_all_hole(void)
{
    char why[256];
    paths();
    int fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    close(fd);
    CU_ASSERT_EQUAL(sparse_pack(src, packed, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(file_size(packed), 8 + 8 + 16);
    CU_ASSERT_EQUAL(unpack_to_out(why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(file_size(out), 0);
    fd = open(src, O_RDWR | O_TRUNC);
    CU_ASSERT_EQUAL(ftruncate(fd, 1 << 20), 0);
    close(fd);
    CU_ASSERT_EQUAL(sparse_pack(src, packed, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(file_size(packed), 8 + 8 + 16);
    /* The output had something before: it is replaced whole. */
    fd = open(out, O_RDWR | O_TRUNC);
    write_at(fd, 0, 'z', 100);
    close(fd);
    CU_ASSERT_EQUAL(unpack_to_out(why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(file_size(out), 1 << 20);
    CU_ASSERT_TRUE(same_bytes(src, out));
    cleanup();
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A packed file by hand: size, then (offset, length) pairs each followed by length bytes. */
static void write_packed(const char *magic, uint64_t size, const uint64_t *ext, size_t n,
                         bool end)
{
    uint8_t buf[512];
    size_t len = 0;
    memcpy(buf, magic, 8);
    put_u64(buf + 8, size);
    len = 16;
    for (size_t i = 0; i < n; i++) {
        put_u64(buf + len, ext[2 * i]);
        put_u64(buf + len + 8, ext[2 * i + 1]);
        len += 16;
        memset(buf + len, 'x', ext[2 * i + 1]);
        len += ext[2 * i + 1];
    }
    if (end) {
        put_u64(buf + len, SPARSE_END);
        put_u64(buf + len + 8, 0);
        len += 16;
    }
    FILE *f = fopen(packed, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(buf, 1, len, f);
    fclose(f);
}

static void bad_packed_forms(void)
{
    char why[256];
    paths();
    const uint64_t good[] = { 0, 4, 100, 8 };
    write_packed(SPARSE_MAGIC, 200, good, 2, true);
    CU_ASSERT_EQUAL(unpack_to_out(why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(file_size(out), 200);
    write_packed("PVSPARS0", 200, good, 2, true);
    CU_ASSERT_EQUAL(unpack_to_out(why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "host.pagefile: not a packed sparse file"));
    write_packed(SPARSE_MAGIC, 200, good, 2, false);
    CU_ASSERT_EQUAL(unpack_to_out(why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "ends early"));
    const uint64_t overlap[] = { 0, 8, 4, 8 };
    write_packed(SPARSE_MAGIC, 200, overlap, 2, true);
    CU_ASSERT_EQUAL(unpack_to_out(why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "bad extent (8 bytes at 4)"));
    const uint64_t past[] = { 196, 8 };
    write_packed(SPARSE_MAGIC, 200, past, 1, true);
    CU_ASSERT_EQUAL(unpack_to_out(why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "bad extent"));
    CU_ASSERT_EQUAL(sparse_pack("/nonexistent/pf", packed, why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "/nonexistent/pf: No such file or directory"));
    cleanup();
}

static const struct unit_test tests[] = {
    UNIT_TEST(round_trip_stays_sparse),
    UNIT_TEST(empty_and_all_hole),
    UNIT_TEST(bad_packed_forms),
};
UNIT_MAIN("sparse_file", tests)
