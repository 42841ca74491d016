/* test_image_store.c - image pages read into guest frames for demand paging of code. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypercall.h"
#include "image_store.h"
#include "unit.h"

#define RAM (1u << 20)

static struct guest_mem mem;
static char path[] = "/tmp/pv-image-XXXXXX";
static uint8_t file[3 * 4096 + 100]; /* three pages and a bit */

static int make_file(void)
{
    for (size_t i = 0; i < sizeof(file); i++)
        file[i] = (uint8_t)(i * 13 + 5);
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, file, sizeof(file)) != (ssize_t)sizeof(file))
        return -1;
    close(fd);
    return 0;
}

static void reads_whole_and_partial_pages(void)
{
    struct image_store s;
    const char *paths[] = { path };
    CU_ASSERT_EQUAL_FATAL(image_store_open(&s, paths, 1), 0);
    memset(mem.base, 0xEE, RAM);
    uint32_t bytes;
    struct pv_hc_image_read req = { .image = 0, .offset = 4096, .count = 1, .frames = { 0x10 } };
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_OK);
    CU_ASSERT_EQUAL(bytes, 4096u);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x10000, file + 4096, 4096), 0);
    req.offset = 3 * 4096;                           /* the last, partial page */
    req.frames[0] = 0x11;
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_OK);
    CU_ASSERT_EQUAL(bytes, 100u);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x11000, file + 3 * 4096, 100), 0);
    CU_ASSERT_EQUAL(mem.base[0x11000 + 100], 0);     /* the rest of the page is zeroed */
    CU_ASSERT_EQUAL(mem.base[0x11FFF], 0);
    CU_ASSERT_EQUAL(mem.base[0x12000], 0xEE);        /* and nothing past it */
    CU_ASSERT_EQUAL(s.reads, 2u);
    image_store_close(&s);
}

static void refuses_bad_requests(void)
{
    struct image_store s;
    const char *paths[] = { path };
    CU_ASSERT_EQUAL_FATAL(image_store_open(&s, paths, 1), 0);
    uint32_t bytes;
    struct pv_hc_image_read req = { .image = 1, .offset = 0, .count = 1, .frames = { 0x10 } };
    memset(mem.base, 0xEE, RAM);
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_ENODEV);
    req.image = 0;
    req.offset = 100;                                /* not page aligned */
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EINVAL);
    req.offset = 4 * 4096;                           /* past the end of the file */
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EINVAL);
    req.offset = 0;
    req.count = 0;                                   /* no page */
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EINVAL);
    req.count = PV_PAGEFILE_CLUSTER_MAX + 1;         /* more than a cluster */
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EINVAL);
    req.offset = 2 * 4096;                           /* the third page would start past the end */
    req.count = 3;
    req.frames[1] = 0x11;
    req.frames[2] = 0x12;
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EINVAL);
    req.offset = 0;
    req.count = 1;
    req.frames[0] = RAM >> 12;                       /* frame outside guest RAM */
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EFAULT);
    req.frames[0] = 0xFFFFFFFFu;
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EFAULT);
    req.count = 3;                                   /* a bad frame after good ones */
    req.frames[0] = 0x10;
    req.frames[2] = RAM >> 12;
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EFAULT);
    req.frames[2] = 0x10;                            /* one frame twice */
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_EDUPFRAME);
    CU_ASSERT_EQUAL(mem.base[0x10000], 0xEE);        /* nothing was read for a refused call */
    CU_ASSERT_EQUAL(mem.base[0x11000], 0xEE);
    CU_ASSERT_EQUAL(s.reads, 0u);
    image_store_close(&s);
}

static void reads_a_cluster_of_pages(void)
{
    struct image_store s;
    const char *paths[] = { path };
    CU_ASSERT_EQUAL_FATAL(image_store_open(&s, paths, 1), 0);
    memset(mem.base, 0xEE, RAM);
    uint32_t bytes;
    /* Pages 1..3 of the file (the last partial) into three scattered frames in one call. */
    struct pv_hc_image_read req = { .image = 0, .offset = 4096, .count = 3,
                                    .frames = { 0x30, 0x22, 0x41 } };
    CU_ASSERT_EQUAL(image_store_read(&s, &mem, &req, &bytes), PV_OK);
    CU_ASSERT_EQUAL(bytes, 2 * 4096u + 100);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x30000, file + 4096, 4096), 0);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x22000, file + 2 * 4096, 4096), 0);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x41000, file + 3 * 4096, 100), 0);
    CU_ASSERT_EQUAL(mem.base[0x41000 + 100], 0);     /* past the end of the file: zero */
    CU_ASSERT_EQUAL(mem.base[0x41FFF], 0);
    CU_ASSERT_EQUAL(mem.base[0x31000], 0xEE);        /* nothing else was touched */
    CU_ASSERT_EQUAL(mem.base[0x21FFF], 0xEE);
    CU_ASSERT_EQUAL(s.reads, 1u);
    CU_ASSERT_EQUAL(s.pages, 3u);
    image_store_close(&s);
}

static void missing_file_is_refused_at_open(void)
{
    struct image_store s;
    const char *paths[] = { path, "/nonexistent/image.elf" };
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    CU_ASSERT_EQUAL(image_store_open(&s, paths, 2), -1);
    fclose(stderr);
    stderr = saved;
}

static void served_through_the_hypercall(void)
{
    struct image_store s;
    struct fault_tracer t;
    struct hc_state hc;
    const char *paths[] = { path };
    CU_ASSERT_EQUAL_FATAL(image_store_open(&s, paths, 1), 0);
    tracer_init(&t, &mem, NULL, TRACE_TEXT, 0, 0);
    hc_init(&hc, &mem, 1, -1, false, &t);
    struct pv_hc_image_read req = { .image = 0, .offset = 0, .count = 2, .frames = { 0x20, 0x28 },
                                    .ret = 99 };
    memcpy(mem.base + 0x1000, &req, sizeof(req));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_IMAGE_READ), 4, 0x1000, NULL, 0), HC_OK);
    memcpy(&req, mem.base + 0x1000, sizeof(req));
    CU_ASSERT_EQUAL(req.ret, PV_ENODEV);             /* no store attached yet */
    hc.images = &s;
    req.ret = 99;
    memcpy(mem.base + 0x1000, &req, sizeof(req));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_IMAGE_READ), 4, 0x1000, NULL, 0), HC_OK);
    memcpy(&req, mem.base + 0x1000, sizeof(req));
    CU_ASSERT_EQUAL(req.ret, PV_OK);
    CU_ASSERT_EQUAL(req.bytes, 2 * 4096u);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x20000, file, 4096), 0);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x28000, file + 4096, 4096), 0);
    req.frames[1] = 0x20;                            /* the host checks the guest's list too */
    req.ret = 99;
    memcpy(mem.base + 0x1000, &req, sizeof(req));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_IMAGE_READ), 4, 0x1000, NULL, 0), HC_OK);
    memcpy(&req, mem.base + 0x1000, sizeof(req));
    CU_ASSERT_EQUAL(req.ret, PV_EDUPFRAME);
    CU_ASSERT_EQUAL(req.bytes, 0u);
    tracer_free(&t);
    image_store_close(&s);
}

static const struct unit_test tests[] = {
    UNIT_TEST(reads_whole_and_partial_pages),
    UNIT_TEST(refuses_bad_requests),
    UNIT_TEST(reads_a_cluster_of_pages),
    UNIT_TEST(missing_file_is_refused_at_open),
    UNIT_TEST(served_through_the_hypercall),
};

int main(void)
{
    mem.size = RAM;
    mem.base = calloc(1, RAM);
    if (!mem.base || make_file())
        return 2;
    int rc = unit_run("image_store", tests, sizeof(tests) / sizeof(tests[0]));
    unlink(path);
    free(mem.base);
    return rc;
}
