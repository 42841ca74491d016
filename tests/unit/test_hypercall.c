/* test_hypercall.c - validation of guest hypercalls: good calls work, hostile ones fail the
 * call or are refused, and nothing outside guest RAM is ever read or written. */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
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
    memcpy(p.name, name, strnlen(name, sizeof(p.name)));
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

/* What hc_out printed on stderr for the call block at BLOCK. */
static char *stderr_of_call(unsigned nr)
{
    static char text[4096];
    FILE *saved = stderr;
    stderr = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(stderr);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(nr), 4, BLOCK, why, sizeof(why)), HC_OK);
    fclose(stderr);
    stderr = saved;
    return text;
}

/* An exception other than a page fault: its registers, code and backtrace, no fault address
 * and no cr2 (it holds an older fault's); a #GP access violation has NT's 0xFFFFFFFF. */
static void exception_exits_report_registers(void)
{
    reset();
    static const uint8_t idiv[] = { 0xF7, 0xF9 };          /* idiv ecx */
    memcpy(mem.base + 0x3000, idiv, sizeof(idiv));
    struct pv_hc_process_exit p = { .pid = 4, .exit_status = 0xC0000094u, .killed = 1,
                                    .fault_eip = 0x3000, .fault_trap = 0, .regs_valid = 1 };
    p.regs = (struct pv_regs){ .eax = 100, .eip = 0x3000, .cs = 0x1b, .cr2 = 0xDEAD0000u,
                               .cr3 = 0x5000 };
    memcpy(p.name, "div", 4);
    memcpy(mem.base + BLOCK, &p, sizeof(p));
    char *t = stderr_of_call(PV_HC_PROCESS_EXIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "image div was ended by STATUS_INTEGER_DIVIDE_BY_ZERO "
                                     "(0xC0000094) at eip 0x00003000\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "  exception: vector 0 (#DE divide error)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "  cr0=00000000 cr3=00005000 cr4=00000000\n"));
    CU_ASSERT_PTR_NULL(strstr(t, "dead0000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "  00003000: f7 f9                idiv ecx\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "  backtrace:\n    #0  00003000\n"));
    CU_ASSERT_EQUAL(hc.exit_status, PV_EXIT_IMAGE_EXCEPTION);

    reset();
    p.exit_status = (uint32_t)STATUS_ACCESS_VIOLATION;
    p.fault_trap = 13;
    p.fault_address = 0xFFFFFFFFu;
    memcpy(mem.base + BLOCK, &p, sizeof(p));
    t = stderr_of_call(PV_HC_PROCESS_EXIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "at eip 0x00003000, reading 0xffffffff\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "  exception: vector 13 (#GP general protection)\n"));
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

/* ---- PV_HC_PAGEFILE_IO ---------------------------------------------------------------- */

/* A read that lists one frame twice comes back PV_EDUPFRAME, and the user is told that the
 * guest asked for it, not that the pagefile changed behind pagevisor's back. */
static void pagefile_read_into_one_frame_twice(void)
{
    struct pagefile pf;
    char reason[256];
    reset();
    CU_ASSERT_EQUAL_FATAL(pagefile_open(&pf, NULL, 16 * PAGEFILE_SLOT_SIZE, reason,
                                        sizeof(reason)), 0);
    hc.pagefile = &pf;
    struct pv_hc_pagefile_io io = { .op = PV_PAGEFILE_WRITE, .slot = 1, .count = 2,
                                    .frames = { 0x10, 0x11 }, .ret = 99, .done = 99 };
    memcpy(mem.base + BLOCK, &io, sizeof(io));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_PAGEFILE_IO), 4, BLOCK, why, sizeof(why)),
                    HC_OK);
    memcpy(&io, mem.base + BLOCK, sizeof(io));
    CU_ASSERT_EQUAL(io.ret, PV_OK);
    io.op = PV_PAGEFILE_READ;
    io.frames[1] = 0x10;
    memcpy(mem.base + BLOCK, &io, sizeof(io));
    char *text = NULL;
    size_t len = 0;
    FILE *saved = stderr;
    stderr = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_PAGEFILE_IO), 4, BLOCK, why, sizeof(why)),
                    HC_OK);
    fclose(stderr);
    stderr = saved;
    memcpy(&io, mem.base + BLOCK, sizeof(io));
    CU_ASSERT_EQUAL(io.ret, PV_EDUPFRAME);
    CU_ASSERT_EQUAL(io.done, 0u);
    CU_ASSERT_STRING_EQUAL(text, "pagevisor: pagefile read of slots 1 and 2 refused: both into "
                                 "guest frame 0x10 (a guest bug; nothing was read)\n");
    free(text);
    CU_ASSERT_EQUAL(pf.stats.checksum_mismatches, 0u);
    hc.pagefile = NULL;
    pagefile_close(&pf);
}

/* One PV_HC_PAGEFILE_IO call of BLOCK; returns what it printed on stderr (free it). */
static char *pagefile_call(struct pv_hc_pagefile_io *io)
{
    memcpy(mem.base + BLOCK, io, sizeof(*io));
    char *text = NULL;
    size_t len = 0;
    FILE *saved = stderr;
    stderr = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_PAGEFILE_IO), 4, BLOCK, why, sizeof(why)),
                    HC_OK);
    fclose(stderr);
    stderr = saved;
    memcpy(io, mem.base + BLOCK, sizeof(*io));
    return text;
}

/* A write the full file system refuses comes back PV_ENOSPC with the pages done, and is said;
 * a pagefile deleted behind pagevisor's back is said once, beside the failures. */
static void pagefile_full_and_deleted_are_said(void)
{
    struct pagefile pf;
    char reason[256], dir[] = "/tmp/pv-test-hc-XXXXXX", path[64];
    reset();
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pf", dir);
    CU_ASSERT_EQUAL_FATAL(pagefile_open(&pf, path, 16 * PAGEFILE_SLOT_SIZE, reason,
                                        sizeof(reason)), 0);
    CU_ASSERT_EQUAL_FATAL(pagefile_inject(&pf, "write:slots=3-15,as=enospc", reason,
                                          sizeof(reason)), 0);
    hc.pagefile = &pf;
    struct pv_hc_pagefile_io io = { .op = PV_PAGEFILE_WRITE, .slot = 1, .count = 4,
                                    .frames = { 0x10, 0x11, 0x12, 0x13 }, .ret = 99, .done = 99 };
    char *text = pagefile_call(&io);
    CU_ASSERT_EQUAL(io.ret, PV_ENOSPC);
    CU_ASSERT_EQUAL(io.done, 2u);
    CU_ASSERT_STRING_EQUAL(text, "pagevisor: pagefile write of slot 3 failed: injected by "
                                 "--inject-pagefile-errors as a full file system (as=enospc); "
                                 "the guest keeps those pages in memory\n");
    free(text);
    CU_ASSERT_EQUAL(unlink(path), 0);
    io = (struct pv_hc_pagefile_io){ .op = PV_PAGEFILE_WRITE, .slot = 1, .count = 1,
                                     .frames = { 0x10 } };
    text = pagefile_call(&io);
    CU_ASSERT_EQUAL(io.ret, PV_OK);
    char want[256];
    snprintf(want, sizeof(want), "pagevisor: the pagefile %s was deleted during the run; paging "
             "goes on in the open file, which is gone when the run ends\n", path);
    CU_ASSERT_STRING_EQUAL(text, want);
    free(text);
    text = pagefile_call(&io);
    CU_ASSERT_STRING_EQUAL(text, "");
    free(text);
    hc.pagefile = NULL;
    pagefile_close(&pf);
    rmdir(dir);
}

/* ---- PV_HC_CONSOLE_READ: the guest's console input ------------------------------------- */

#define INBUF 0x3000u

static struct console_input input;
static int in_pipe[2] = { -1, -1 };

/* A fresh run whose standard input is a pipe we write into. */
static void reset_input(void)
{
    reset();
    if (in_pipe[0] >= 0)
        close(in_pipe[0]);
    if (in_pipe[1] >= 0)
        close(in_pipe[1]);
    CU_ASSERT_EQUAL_FATAL(pipe(in_pipe), 0);
    console_input_init(&input, in_pipe[0]);
    hc.input = &input;
}

static void feed(const char *text)
{
    CU_ASSERT_EQUAL(write(in_pipe[1], text, strlen(text)), (ssize_t)strlen(text));
}

/* Calls PV_HC_CONSOLE_READ with a block whose OUT fields hold junk; returns ret. */
static int32_t console_read(uint32_t buf, uint32_t capacity, uint32_t timeout_ms,
                            uint32_t *count, uint32_t *flags)
{
    struct pv_hc_console_read r = { buf, capacity, timeout_ms, 0xDEADBEEFu, 0xDEADBEEFu, 12345 };
    memcpy(mem.base + BLOCK, &r, sizeof(r));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE_READ), 4, BLOCK, why, sizeof(why)),
                    HC_OK);
    memcpy(&r, mem.base + BLOCK, sizeof(r));
    *count = r.count;
    *flags = r.flags;
    return r.ret;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void console_read_returns_bytes_and_keeps_the_rest(void)
{
    uint32_t count, flags;
    reset_input();
    feed("hello world\n");
    CU_ASSERT_EQUAL(console_read(INBUF, 5, 0, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 5u);
    CU_ASSERT_EQUAL(flags, 0u);
    CU_ASSERT_EQUAL(memcmp(mem.base + INBUF, "hello", 5), 0);
    CU_ASSERT_EQUAL(mem.base[INBUF + 5], 0);           /* nothing past capacity */
    CU_ASSERT_EQUAL(console_read(INBUF, PV_CONSOLE_READ_MAX, 1000, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 7u);                        /* the rest, not lost between calls */
    CU_ASSERT_EQUAL(memcmp(mem.base + INBUF, " world\n", 7), 0);
    CU_ASSERT_EQUAL(hc.console_input_bytes, 12u);
    /* A buffer that ends exactly at the end of RAM is fine (the guard page after it would
     * fault on any byte beyond). */
    feed("xyz");
    CU_ASSERT_EQUAL(console_read(RAM - 3, 3, 0, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 3u);
    CU_ASSERT_EQUAL(memcmp(mem.base + RAM - 3, "xyz", 3), 0);
}

static void console_read_waits_at_most_the_timeout(void)
{
    uint32_t count, flags;
    reset_input();
    double t0 = seconds();
    CU_ASSERT_EQUAL(console_read(INBUF, 16, 0, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 0u);                        /* nothing yet, and not the end */
    CU_ASSERT_EQUAL(flags, 0u);
    CU_ASSERT_EQUAL(console_read(INBUF, 16, 200, &count, &flags), PV_OK);
    double waited = seconds() - t0;
    CU_ASSERT_EQUAL(count, 0u);
    CU_ASSERT_EQUAL(flags, 0u);
    CU_ASSERT_TRUE(waited >= 0.15);
    CU_ASSERT_TRUE(waited < 0.9);
    /* Input that is there answers at once, whatever the timeout. */
    feed("k");
    t0 = seconds();
    CU_ASSERT_EQUAL(console_read(INBUF, 16, PV_CONSOLE_READ_WAIT_MAX, &count, &flags), PV_OK);
    CU_ASSERT_TRUE(seconds() - t0 < 0.5);
    CU_ASSERT_EQUAL(count, 1u);
}

static void console_read_reports_the_end_of_input(void)
{
    uint32_t count, flags;
    reset_input();
    feed("last");
    close(in_pipe[1]);
    in_pipe[1] = -1;
    CU_ASSERT_EQUAL(console_read(INBUF, 64, 0, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 4u);
    CU_ASSERT_EQUAL(console_read(INBUF, 64, 1000, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 0u);
    CU_ASSERT_EQUAL(flags, PV_CONSOLE_READ_EOF);
    CU_ASSERT_EQUAL(console_read(INBUF, 64, 1000, &count, &flags), PV_OK); /* and stays so */
    CU_ASSERT_EQUAL(flags, PV_CONSOLE_READ_EOF);
    /* No input at all (a run without one) is an input that has ended. */
    reset();
    CU_ASSERT_EQUAL(console_read(INBUF, 64, 1000, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 0u);
    CU_ASSERT_EQUAL(flags, PV_CONSOLE_READ_EOF);
}

static void console_read_rejects_hostile_blocks(void)
{
    uint32_t count, flags;
    reset_input();
    feed("secret");
    CU_ASSERT_EQUAL(console_read(INBUF, 0, 0, &count, &flags), PV_EINVAL);
    CU_ASSERT_EQUAL(console_read(INBUF, PV_CONSOLE_READ_MAX + 1, 0, &count, &flags), PV_EINVAL);
    CU_ASSERT_EQUAL(console_read(INBUF, 0xFFFFFFFFu, 0, &count, &flags), PV_EINVAL);
    CU_ASSERT_EQUAL(console_read(INBUF, 16, PV_CONSOLE_READ_WAIT_MAX + 1, &count, &flags),
                    PV_EINVAL);
    CU_ASSERT_EQUAL(console_read(INBUF, 16, 0xFFFFFFFFu, &count, &flags), PV_EINVAL);
    CU_ASSERT_EQUAL(console_read(RAM - 2, 16, 0, &count, &flags), PV_EFAULT);  /* past RAM */
    CU_ASSERT_EQUAL(console_read(0xFFFFFFF0u, 0x20, 0, &count, &flags), PV_EFAULT); /* wraps */
    CU_ASSERT_EQUAL(console_read(RAM, 1, 0, &count, &flags), PV_EFAULT);
    /* Every refused call answers count 0, no flags, and took nothing from the input. */
    CU_ASSERT_EQUAL(count, 0u);
    CU_ASSERT_EQUAL(flags, 0u);
    CU_ASSERT_EQUAL(hc.console_input_bytes, 0u);
    CU_ASSERT_EQUAL(console_read(INBUF, 64, 0, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 6u);
    CU_ASSERT_EQUAL(memcmp(mem.base + INBUF, "secret", 6), 0);
    /* A call block outside RAM is refused as a whole. */
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_CONSOLE_READ), 4, RAM - 8, why, sizeof(why)),
                    HC_REJECTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "outside guest RAM"));
}

/* The buffer may overlap the call block itself: the host's answer still lands in the block
 * and never outside RAM. */
static void console_read_into_its_own_block(void)
{
    uint32_t count, flags;
    reset_input();
    feed("0123456789abcdefghijklmnopqrstuvwxyz");
    CU_ASSERT_EQUAL(console_read(BLOCK, 24, 0, &count, &flags), PV_OK);
    CU_ASSERT_EQUAL(count, 24u);
    CU_ASSERT_EQUAL(flags, 0u);
}

/* PvDebugBreak (PV_HC_DEBUG_BREAK): the snapshot is taken once, headed by the process and its
 * label with unprintable bytes shown as '?'; a label longer than the block allows is refused
 * and nothing is looked at; without a snapshot to take the call says PV_ENODEV. */
static char snapshot_when[160];
static unsigned snapshots;

static void record_snapshot(void *ctx, const char *when)
{
    (void)ctx;
    snapshots++;
    snprintf(snapshot_when, sizeof(snapshot_when), "%s", when);
}

static int32_t debug_break(uint32_t pid, const char *label, uint32_t len)
{
    struct pv_hc_debug_break d = { .pid = pid, .label_len = len, .ret = 12345 };
    size_t have = strlen(label) + 1;   /* what there is to copy; len is what the call claims */
    memcpy(d.label, label, have < sizeof(d.label) ? have : sizeof(d.label));
    memcpy(mem.base + BLOCK, &d, sizeof(d));
    CU_ASSERT_EQUAL(hc_out(&hc, PV_HC_PORT(PV_HC_DEBUG_BREAK), 4, BLOCK, why, sizeof(why)),
                    HC_OK);
    int32_t ret;
    memcpy(&ret, mem.base + BLOCK + offsetof(struct pv_hc_debug_break, ret), sizeof(ret));
    return ret;
}

static void debug_break_takes_a_snapshot_headed_by_its_label(void)
{
    reset();
    CU_ASSERT_EQUAL(debug_break(8, "no host", 7), PV_ENODEV);
    hc.snapshot = record_snapshot;
    snapshots = 0;
    CU_ASSERT_EQUAL(debug_break(8, "after\x01" "commit", 12), PV_OK);
    CU_ASSERT_EQUAL(snapshots, 1);
    CU_ASSERT_STRING_EQUAL(snapshot_when, "at PvDebugBreak(\"after?commit\") in process 8");
    CU_ASSERT_EQUAL(debug_break(8, "x", PV_DEBUG_LABEL_MAX + 1), PV_EINVAL);
    CU_ASSERT_EQUAL(snapshots, 1);
    CU_ASSERT_EQUAL(debug_break(9, "", 0), PV_OK);
    CU_ASSERT_STRING_EQUAL(snapshot_when, "at PvDebugBreak(\"\") in process 9");
}

static const struct unit_test tests[] = {
    UNIT_TEST(ident_port_answers_magic),
    UNIT_TEST(console_writes_text),
    UNIT_TEST(console_rejects_bad_ranges),
    UNIT_TEST(refuses_call_blocks_outside_ram),
    UNIT_TEST(refuses_bad_numbers_and_sizes),
    UNIT_TEST(process_exits_set_run_status),
    UNIT_TEST(process_exit_needs_terminated_name),
    UNIT_TEST(exception_exits_report_registers),
    UNIT_TEST(shutdown_and_bugcheck_finish_the_run),
    UNIT_TEST(pagefile_read_into_one_frame_twice),
    UNIT_TEST(pagefile_full_and_deleted_are_said),
    UNIT_TEST(console_read_returns_bytes_and_keeps_the_rest),
    UNIT_TEST(console_read_waits_at_most_the_timeout),
    UNIT_TEST(console_read_reports_the_end_of_input),
    UNIT_TEST(console_read_rejects_hostile_blocks),
    UNIT_TEST(console_read_into_its_own_block),
    UNIT_TEST(debug_break_takes_a_snapshot_headed_by_its_label),
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
    unsetenv(CONSOLE_INPUT_RELAY_ENV);
    out_fd = memfd_create("guest-stdout", 0);
    if (out_fd < 0)
        return 2;
    int rc = unit_run("hypercall", tests, sizeof(tests) / sizeof(tests[0]));
    close(out_fd);
    munmap(mapping, RAM + (size_t)page);
    return rc;
}
