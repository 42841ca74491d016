/* test_hypercall.c - validation of guest hypercalls: good calls work, hostile ones fail the
 * call or are refused, and nothing outside guest RAM is ever read or written. */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hypercall.h"
#include "ntstatus.h"
#include "unit.h"

#define RAM   (1u << 20)
#define BLOCK 0x1000u
#define TEXT  0x2000u

static struct guest_mem mem;
static uint8_t *mapping;
static int out_fd;            /* a memfd collecting what the guest printed */
static struct hc_state hc;
static struct fault_tracer tracer;
static char why[256];

static void reset(void)
{
    memset(mem.base, 0, RAM);
    ftruncate(out_fd, 0);
    lseek(out_fd, 0, SEEK_SET);
    tracer_free(&tracer);
    tracer_init(&tracer, &mem, NULL, TRACE_TEXT, 0, 0);
    hc_init(&hc, &mem, out_fd, -1, false, &tracer);
}

static size_t printed(char *buf, size_t len)
{
    ssize_t n = pread(out_fd, buf, len - 1, 0);
    buf[n < 0 ? 0 : n] = '\0';
    return n < 0 ? 0 : (size_t)n;
}

static void put_console(uint32_t channel, uint32_t buf, uint32_t len)
{
    struct pv_hc_console c = { channel, buf, len, 12345 };
    memcpy(mem.base + BLOCK, &c, sizeof(c));
}

static int32_t console_ret(void)
{
    int32_t ret;
    memcpy(&ret, mem.base + BLOCK + offsetof(struct pv_hc_console, ret), sizeof(ret));
    return ret;
}

static void ident_port_answers_magic(void)
{
    uint32_t v = 0;
    CU_ASSERT_TRUE(hc_in(PV_IDENT_PORT, 4, &v));
    CU_ASSERT_EQUAL(v, PV_IDENT_MAGIC);
    CU_ASSERT_TRUE(hc_in(PV_HC_PORT(PV_HC_CONSOLE), 4, &v));
    CU_ASSERT_EQUAL(v, 0xFFFFFFFFu);
    CU_ASSERT_FALSE(hc_in(0x3F8, 1, &v));
}

static void console_writes_text(void)
{
    reset();
    memcpy(mem.base + TEXT, "hello\n", 6);
    put_console(PV_CONSOLE_STDOUT, TEXT, 6);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE), 4, BLOCK, why, sizeof(why)), HC_OK);
    CU_ASSERT_EQUAL(console_ret(), PV_OK);
    char buf[64];
    CU_ASSERT_EQUAL(printed(buf, sizeof(buf)), 6u);
    CU_ASSERT_STRING_EQUAL(buf, "hello\n");
    /* The log channel is dropped without --verbose, and still succeeds. */
    put_console(PV_CONSOLE_LOG, TEXT, 6);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE), 4, BLOCK, why, sizeof(why)), HC_OK);
    CU_ASSERT_EQUAL(console_ret(), PV_OK);
    CU_ASSERT_EQUAL(printed(buf, sizeof(buf)), 6u);
}

static void console_rejects_bad_ranges(void)
{
    char buf[64];
    reset();
    put_console(PV_CONSOLE_STDOUT, RAM - 2, 6);           /* runs past the end of RAM */
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE), 4, BLOCK, why, sizeof(why)), HC_OK);
    CU_ASSERT_EQUAL(console_ret(), PV_EFAULT);
    put_console(PV_CONSOLE_STDOUT, 0xFFFFFFF0u, 0x20);    /* wraps around 4 GiB */
    hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(console_ret(), PV_EFAULT);
    put_console(PV_CONSOLE_STDOUT, TEXT, PV_CONSOLE_MAX + 1);
    hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(console_ret(), PV_EINVAL);
    put_console(7, TEXT, 1);                              /* no such channel */
    hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(console_ret(), PV_EINVAL);
    CU_ASSERT_EQUAL(printed(buf, sizeof(buf)), 0u);
}

static void refuses_call_blocks_outside_ram(void)
{
    reset();
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE), 4, RAM - 4, why, sizeof(why)),
                    HC_REJECTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "outside guest RAM"));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_BUGCHECK), 4, 0xFFFFFFFFu, why, sizeof(why)),
                    HC_REJECTED);
    CU_ASSERT_FALSE(hc.finished);
    CU_ASSERT_EQUAL(hc.bad_calls, 2u);
}

static void refuses_bad_numbers_and_sizes(void)
{
    reset();
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE), 1, BLOCK, why, sizeof(why)),
                    HC_REJECTED);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_IDENT_PORT, 4, BLOCK, why, sizeof(why)), HC_REJECTED);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_MAX), 4, BLOCK, why, sizeof(why)), HC_BAD_PORT);
    CU_ASSERT_EQUAL(hc_out(&hc, 0x3F8, 1, 'x', why, sizeof(why)), HC_BAD_PORT);
    CU_ASSERT_EQUAL(hc.bad_calls, 2u);
}

static void put_child_exit(uint32_t status, uint32_t killed, uint32_t child, const char *name)
{
    struct pv_hc_process_exit p = { .pid = 1, .exit_status = status, .killed = killed,
                                    .fault_address = 0xC0000000u, .fault_eip = 0x401000,
                                    .child = child };
    strncpy(p.name, name, sizeof(p.name));
    memcpy(mem.base + BLOCK, &p, sizeof(p));
}

static void put_exit(uint32_t status, uint32_t killed, const char *name)
{
    put_child_exit(status, killed, 0, name);
}

static int32_t exit_ret(void)
{
    int32_t ret;
    memcpy(&ret, mem.base + BLOCK + offsetof(struct pv_hc_process_exit, ret), sizeof(ret));
    return ret;
}

static void process_exits_set_run_status(void)
{
    reset();
    put_exit(0, 0, "hello");
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why)), HC_OK);
    CU_ASSERT_EQUAL(exit_ret(), PV_OK);
    CU_ASSERT_EQUAL(hc.exit_status, 0);
    put_exit(3, 0, "three");
    hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(hc.exit_status, 3);
    put_exit((uint32_t)STATUS_ACCESS_VIOLATION, 1, "av");  /* the first failure decides */
    hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(hc.exit_status, 3);
    CU_ASSERT_EQUAL(hc.images_run, 3u);

    reset();
    put_exit((uint32_t)STATUS_ACCESS_VIOLATION, 1, "av");
    hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(hc.exit_status, PV_EXIT_IMAGE_EXCEPTION);

    reset();                                               /* children do not decide */
    put_child_exit(7, 0, 1, "child");
    hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why));
    put_child_exit((uint32_t)STATUS_ACCESS_VIOLATION, 1, 1, "child");
    hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(hc.exit_status, 0);
    CU_ASSERT_EQUAL(hc.images_run, 2u);
    put_exit(0, 0, "parent");
    hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(hc.exit_status, 0);

    reset();
    put_exit(0xFFFFFFFFu, 0, "minus-one");                 /* exit(-1) clamps */
    hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why));
    CU_ASSERT_EQUAL(hc.exit_status, PV_EXIT_IMAGE_MAX);
}

static void process_exit_needs_terminated_name(void)
{
    reset();
    put_exit(0, 0, "");
    memset(mem.base + BLOCK + offsetof(struct pv_hc_process_exit, name), 'A', PV_NAME_MAX);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_PROCESS_EXIT), 4, BLOCK, why, sizeof(why)), HC_OK);
    CU_ASSERT_EQUAL(exit_ret(), PV_EINVAL);
    CU_ASSERT_EQUAL(hc.images_run, 0u);
}

static void shutdown_and_bugcheck_finish_the_run(void)
{
    reset();
    struct pv_hc_shutdown sd = { 1 };
    memcpy(mem.base + BLOCK, &sd, sizeof(sd));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_SHUTDOWN), 4, BLOCK, why, sizeof(why)), HC_OK);
    CU_ASSERT_TRUE(hc.finished);
    CU_ASSERT_EQUAL(hc.exit_status, 0);

    reset();
    struct pv_hc_bugcheck b;
    memset(&b, 0, sizeof(b));
    b.code = PAGE_FAULT_IN_NONPAGED_AREA;
    b.param[0] = 0xC0800000u;
    memset(b.text, 'x', sizeof(b.text)); /* unterminated note: must not be read past */
    memcpy(mem.base + BLOCK, &b, sizeof(b));
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_BUGCHECK), 4, BLOCK, why, sizeof(why)), HC_OK);
    fclose(stderr);
    stderr = saved;
    CU_ASSERT_TRUE(hc.finished);
    CU_ASSERT_EQUAL(hc.exit_status, PV_EXIT_BUGCHECK);
}

static const struct unit_test tests[] = {
    UNIT_TEST(ident_port_answers_magic),
    UNIT_TEST(console_writes_text),
    UNIT_TEST(console_rejects_bad_ranges),
    UNIT_TEST(refuses_call_blocks_outside_ram),
    UNIT_TEST(refuses_bad_numbers_and_sizes),
    UNIT_TEST(process_exits_set_run_status),
    UNIT_TEST(process_exit_needs_terminated_name),
    UNIT_TEST(shutdown_and_bugcheck_finish_the_run),
};

int main(void)
{
    /* Guest RAM followed by an inaccessible guard page: any read past RAM would fault. */
    long page = sysconf(_SC_PAGESIZE);
    mapping = mmap(NULL, RAM + (size_t)page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED || mprotect(mapping + RAM, (size_t)page, PROT_NONE))
        return 2;
    mem.base = mapping;
    mem.size = RAM;
    out_fd = memfd_create("guest-stdout", 0);
    if (out_fd < 0)
        return 2;
    int rc = unit_run("hypercall", tests, sizeof(tests) / sizeof(tests[0]));
    close(out_fd);
    munmap(mapping, RAM + (size_t)page);
    return rc;
}
