/*
 * hypercall.c - serving guest hypercalls.
 *
 * A call block is copied out of guest RAM before it is looked at, so nothing the guest changes
 * later matters, and every address and length in it is checked against guest RAM before use.
 * A bad call fails that call (ret = PV_E*), or is refused as a whole when even its call block
 * is unusable; it never makes the host touch memory outside guest RAM.
 */
#include "hypercall.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crash_report.h"
#include "ntstatus.h"
#include "fdio.h"

void hc_init(struct hc_state *s, struct guest_mem *mem, int stdout_fd, int log_fd, bool verbose,
             struct fault_tracer *tracer)
{
    memset(s, 0, sizeof(*s));
    s->mem = mem;
    s->tracer = tracer;
    s->stdout_fd = stdout_fd;
    s->log_fd = log_fd;
    s->verbose = verbose;
}

static int reject(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return HC_REJECTED;
}

/* Copy a call block in; NULL-safe check of the whole block. */
static bool fetch(struct hc_state *s, uint32_t gpa, void *block, size_t len)
{
    const void *src = gpa_ptr(s->mem, gpa, len);
    if (!src)
        return false;
    memcpy(block, src, len);
    return true;
}

/* Write an OUT field of a call block already fetched (so known to lie inside guest RAM). */
static void put_u32(struct hc_state *s, uint32_t gpa, size_t offset, uint32_t value)
{
    memcpy(gpa_ptr(s->mem, gpa + offset, sizeof(value)), &value, sizeof(value));
}

static void set_ret(struct hc_state *s, uint32_t gpa, size_t offset, int32_t ret)
{
    put_u32(s, gpa, offset, (uint32_t)ret);
}

static void hc_console(struct hc_state *s, uint32_t gpa, struct pv_hc_console *c)
{
    int32_t ret = PV_OK;
    const void *text = gpa_ptr(s->mem, c->buf_gpa, c->len);
    if (c->channel != PV_CONSOLE_STDOUT && c->channel != PV_CONSOLE_LOG)
        ret = PV_EINVAL;
    else if (c->len > PV_CONSOLE_MAX)
        ret = PV_EINVAL;
    else if (!text)
        ret = PV_EFAULT;
    else if (c->channel == PV_CONSOLE_STDOUT)
        fd_write_all(s->stdout_fd, text, c->len);
    else if (s->log_fd >= 0)
        fd_write_all(s->log_fd, text, c->len);
    if (ret == PV_OK)
        s->console_bytes += c->len;
    set_ret(s, gpa, offsetof(struct pv_hc_console, ret), ret);
}

/* The guest asks for what the user typed: validated, then at most capacity bytes straight into
 * its buffer, waiting at most timeout_ms (a signal, such as --timeout's, ends the wait). */
static void hc_console_read(struct hc_state *s, uint32_t gpa, struct pv_hc_console_read *r)
{
    int32_t ret = PV_OK;
    uint32_t count = 0, flags = 0;
    void *buf = gpa_ptr(s->mem, r->buf_gpa, r->capacity);
    if (r->capacity == 0 || r->capacity > PV_CONSOLE_READ_MAX ||
        r->timeout_ms > PV_CONSOLE_READ_WAIT_MAX)
        ret = PV_EINVAL;
    else if (!buf)
        ret = PV_EFAULT;
    else if (!s->input)
        flags = PV_CONSOLE_READ_EOF;
    else {
        bool eof;
        count = (uint32_t)console_input_read(s->input, buf, r->capacity, r->timeout_ms, &eof);
        flags = eof ? PV_CONSOLE_READ_EOF : 0;
        s->console_input_bytes += count;
    }
    put_u32(s, gpa, offsetof(struct pv_hc_console_read, count), count);
    put_u32(s, gpa, offsetof(struct pv_hc_console_read, flags), flags);
    set_ret(s, gpa, offsetof(struct pv_hc_console_read, ret), ret);
}

static bool name_ok(const char *name, size_t max)
{
    return memchr(name, '\0', max) != NULL;
}

static int image_exit_status(uint32_t code)
{
    return code > PV_EXIT_IMAGE_MAX ? PV_EXIT_IMAGE_MAX : (int)code;
}

/* Exceptions that have a faulting address: a page fault's CR2, and NT's 0xFFFFFFFF for an
 * access violation raised by a #GP. Without the registers (an older guest) every one did. */
static bool exit_has_address(const struct pv_hc_process_exit *p)
{
    return !p->regs_valid || p->fault_trap == 14 ||
           (p->fault_trap == 13 && p->exit_status == 0xC0000005u);
}

static const char *trap_name(uint32_t trap)
{
    static const char *const names[] = {
        [0] = "#DE divide error", [1] = "#DB debug", [3] = "#BP breakpoint",
        [4] = "#OF overflow", [5] = "#BR bound range", [6] = "#UD invalid opcode",
        [7] = "#NM no math coprocessor", [8] = "#DF double fault",
        [10] = "#TS invalid TSS", [11] = "#NP segment not present", [12] = "#SS stack fault",
        [13] = "#GP general protection", [14] = "#PF page fault", [16] = "#MF x87 error",
        [17] = "#AC alignment check", [18] = "#MC machine check", [19] = "#XM SIMD error",
    };
    return trap < sizeof(names) / sizeof(names[0]) && names[trap] ? names[trap] : NULL;
}

/* The killed process's registers, code and backtrace, when no failed fault told them already. */
static void exception_report(struct hc_state *s, const struct pv_hc_process_exit *p,
                             bool has_address)
{
    const struct symbolizer *syms = s->tracer ? s->tracer->syms : NULL;
    const char *trap = trap_name(p->fault_trap);
    if (trap)
        fprintf(stderr, "  exception: vector %u (%s)\n", p->fault_trap, trap);
    else
        fprintf(stderr, "  exception: vector %u\n", p->fault_trap);
    crash_print_regs_cr2(stderr, &p->regs, has_address && p->fault_trap == 14);
    crash_print_code_sym(stderr, s->mem, &p->regs, syms, p->name);
    crash_print_backtrace(stderr, s->mem, &p->regs, false, syms, p->name);
}

static void hc_process_exit(struct hc_state *s, uint32_t gpa, struct pv_hc_process_exit *p)
{
    if (!name_ok(p->name, sizeof(p->name))) {
        set_ret(s, gpa, offsetof(struct pv_hc_process_exit, ret), PV_EINVAL);
        return;
    }
    s->images_run++;
    s->last_exit_time = monotonic_seconds();
    const char *status_name = pv_ntstatus_name(p->exit_status);
    if (s->verbose && s->log_fd >= 0)
        dprintf(s->log_fd, "pagevisor: process %u (%s) ended: %s 0x%08X%s%s\n", p->pid, p->name,
                p->killed ? "killed by" : "exit status", p->exit_status,
                status_name ? " " : "", status_name ? status_name : "");
    /* A child's crash is reported too; only images the run started decide its status. */
    if ((s->exit_status == 0 || p->child) && p->killed) {
        if (!p->child)
            s->exit_status = PV_EXIT_IMAGE_EXCEPTION;
        char where[80] = "";
        if (symbolize(s->tracer ? s->tracer->syms : NULL, p->name, p->fault_eip, where + 2,
                      sizeof(where) - 3)) {
            where[0] = ' ';
            where[1] = '(';
            strcat(where, ")");
        }
        bool has_address = exit_has_address(p);
        fprintf(stderr, "pagevisor: %s %s was ended by %s (0x%08X) at eip 0x%08x%s",
                p->child ? "child process" : "image", p->name,
                status_name ? status_name : "an exception", p->exit_status, p->fault_eip,
                where);
        if (has_address)
            fprintf(stderr, ", %s 0x%08x",
                    p->fault_write == 1 ? "writing" : p->fault_write == 8 ? "executing" :
                    "reading", p->fault_address);
        fprintf(stderr, "\n");
        if (!tracer_crash_report(s->tracer, stderr, p->pid, p->exit_status)) {
            if (p->regs_valid)
                exception_report(s, p, has_address);
        } else if (p->regs_valid) {
            crash_print_backtrace(stderr, s->mem, &p->regs, false,
                                  s->tracer ? s->tracer->syms : NULL, p->name);
        }
        fflush(stderr);
    } else if (s->exit_status == 0 && p->exit_status != 0 && !p->child) {
        s->exit_status = image_exit_status(p->exit_status);
    }
    tracer_process_exit(s->tracer, p->pid);
    set_ret(s, gpa, offsetof(struct pv_hc_process_exit, ret), PV_OK);
}

static void hc_bugcheck(struct hc_state *s, struct pv_hc_bugcheck *b)
{
    b->text[sizeof(b->text) - 1] = '\0';
    const char *process = NULL;
    if (s->tracer && b->regs.cr3)
        process = tracer_process_by_cr3(s->tracer, b->regs.cr3);
    bugcheck_report(stderr, s->mem, b, s->tracer ? s->tracer->syms : NULL, process);
    if (b->regs_valid && (b->regs.cr0 & 0x80000000u))
        tracer_bugcheck_context(s->tracer, stderr, b->regs.cr3, b->regs.cr2);
    fflush(stderr);
    s->exit_status = PV_EXIT_BUGCHECK;
    s->finished = true;
}

static void hc_process_start(struct hc_state *s, uint32_t gpa, struct pv_hc_process_start *p)
{
    int32_t ret = PV_OK;
    if (!name_ok(p->name, sizeof(p->name)))
        ret = PV_EINVAL;
    else
        tracer_process_start(s->tracer, p->pid, p->cr3, p->name);
    if (ret == PV_OK && s->first_start_time == 0)
        s->first_start_time = monotonic_seconds();
    if (ret == PV_OK && s->verbose && s->log_fd >= 0)
        dprintf(s->log_fd, "pagevisor: process %u (%s) starts, cr3 %08x, image %08x-%08x\n",
                p->pid, p->name, p->cr3, p->image_base, p->image_end);
    set_ret(s, gpa, offsetof(struct pv_hc_process_start, ret), ret);
}

static void hc_trace_setup(struct hc_state *s, uint32_t gpa, struct pv_hc_trace_setup *t)
{
    set_ret(s, gpa, offsetof(struct pv_hc_trace_setup, ret),
            tracer_setup(s->tracer, t->ring_gpa, t->ring_bytes));
}

static void hc_trace_flush(struct hc_state *s, uint32_t gpa)
{
    tracer_drain(s->tracer); /* the exit loop drained already; a flush is just the exit */
    set_ret(s, gpa, offsetof(struct pv_hc_trace_flush, ret), PV_OK);
}

/* PvDebugBreak: the snapshot now, headed by the process and its label (printable bytes only:
 * the label is the guest's). */
static void hc_debug_break(struct hc_state *s, uint32_t gpa, const struct pv_hc_debug_break *d)
{
    if (!s->snapshot || d->label_len > PV_DEBUG_LABEL_MAX) {
        set_ret(s, gpa, offsetof(struct pv_hc_debug_break, ret),
                s->snapshot ? PV_EINVAL : PV_ENODEV);
        return;
    }
    char label[PV_DEBUG_LABEL_MAX + 1], when[PV_DEBUG_LABEL_MAX + 64];
    for (uint32_t i = 0; i < d->label_len; i++)
        label[i] = d->label[i] >= 0x20 && d->label[i] < 0x7F ? d->label[i] : '?';
    label[d->label_len] = '\0';
    snprintf(when, sizeof(when), "at PvDebugBreak(\"%s\") in process %u", label, d->pid);
    set_ret(s, gpa, offsetof(struct pv_hc_debug_break, ret), PV_OK);
    int status;
    if (s->debugger_stop && s->debugger_stop(s->debugger_ctx, when, &status)) {
        if (status >= 0) {
            s->finished = true;
            s->exit_status = status;
        }
        return;
    }
    s->snapshot(s->snapshot_ctx, when);
}

static void hc_pagefile_info(struct hc_state *s, uint32_t gpa)
{
    struct pv_hc_pagefile_info info;
    pagefile_info(s->pagefile, &info);
    memcpy(gpa_ptr(s->mem, gpa, sizeof(info)), &info, sizeof(info));
}

static void hc_pagefile_io(struct hc_state *s, uint32_t gpa, struct pv_hc_pagefile_io *req)
{
    uint32_t done = 0;
    uint64_t t0 = tracer_host_tsc();
    int32_t ret = pagefile_io(s->pagefile, s->mem, req, &done);
    tracer_host_io(s->tracer, req->op == PV_PAGEFILE_WRITE ? TRACE_IO_PAGEFILE_WRITE
                                                           : TRACE_IO_PAGEFILE_READ,
                   req->count, req->slot, ret, t0, tracer_host_tsc());
    /* The guest copes (an in-page error, or the write goes elsewhere); the user should still
     * hear that the backing store failed, or that the guest asked for a read into one frame
     * twice, without a flood from a high injected rate. */
    if ((ret == PV_EIO || ret == PV_ENOSPC || ret == PV_EDUPFRAME) &&
        ++s->pagefile_failures <= 10) {
        char what[4608];
        fprintf(stderr, "pagevisor: %s%s\n",
                pagefile_describe_failure(s->pagefile, what, sizeof(what)),
                s->pagefile_failures == 10 ? " (further failures not shown)" : "");
    }
    /* The file deleted or truncated behind our back: said once each, whatever the cap. */
    char notice[4608];
    while (s->pagefile && pagefile_notice(s->pagefile, notice, sizeof(notice)))
        fprintf(stderr, "pagevisor: %s\n", notice);
    set_ret(s, gpa, offsetof(struct pv_hc_pagefile_io, ret), ret);
    put_u32(s, gpa, offsetof(struct pv_hc_pagefile_io, done), done);
}

static void hc_image_read(struct hc_state *s, uint32_t gpa, struct pv_hc_image_read *r)
{
    uint32_t bytes = 0;
    uint64_t t0 = tracer_host_tsc();
    int32_t ret = s->images ? image_store_read(s->images, s->mem, r, &bytes) : PV_ENODEV;
    tracer_host_io(s->tracer, TRACE_IO_IMAGE_READ, r->count, r->offset, ret, t0,
                   tracer_host_tsc());
    set_ret(s, gpa, offsetof(struct pv_hc_image_read, ret), ret);
    put_u32(s, gpa, offsetof(struct pv_hc_image_read, bytes), bytes);
}

/* A volume file's host failure: said on stderr (which file, where, why), at most ten times. */
static void volume_failed(struct hc_state *s, int32_t ret)
{
    if ((ret == PV_EIO || ret == PV_ENOSPC) && ++s->volume_failures <= 10)
        fprintf(stderr, "pagevisor: %s%s\n", s->volume->failure,
                s->volume_failures == 10 ? " (further failures not shown)" : "");
}

/* The volume's file calls; without --volume each is PV_ENODEV. */
static void hc_file_open(struct hc_state *s, uint32_t gpa, struct pv_hc_file_open *o)
{
    uint32_t handle = 0, created = 0;
    uint64_t size = 0;
    int32_t ret = volume_file_open(s->volume, o, &handle, &created, &size);
    volume_failed(s, ret);
    put_u32(s, gpa, offsetof(struct pv_hc_file_open, handle), handle);
    put_u32(s, gpa, offsetof(struct pv_hc_file_open, created), created);
    put_u32(s, gpa, offsetof(struct pv_hc_file_open, size_lo), (uint32_t)size);
    put_u32(s, gpa, offsetof(struct pv_hc_file_open, size_hi), (uint32_t)(size >> 32));
    set_ret(s, gpa, offsetof(struct pv_hc_file_open, ret), ret);
}

static void hc_file_io(struct hc_state *s, uint32_t gpa, struct pv_hc_file_io *r)
{
    uint32_t bytes = 0;
    uint64_t t0 = tracer_host_tsc();
    int32_t ret = volume_file_io(s->volume, s->mem, r, &bytes);
    tracer_host_io(s->tracer, r->op == PV_FILE_READ ? TRACE_IO_FILE_READ : TRACE_IO_FILE_WRITE,
                   r->count, r->offset_lo, ret, t0, tracer_host_tsc());
    volume_failed(s, ret);
    put_u32(s, gpa, offsetof(struct pv_hc_file_io, bytes), bytes);
    set_ret(s, gpa, offsetof(struct pv_hc_file_io, ret), ret);
}

static void hc_file_close(struct hc_state *s, uint32_t gpa, struct pv_hc_file_close *c)
{
    int32_t ret = volume_file_close(s->volume, c->handle);
    volume_failed(s, ret);
    set_ret(s, gpa, offsetof(struct pv_hc_file_close, ret), ret);
}

static void hc_file_set_size(struct hc_state *s, uint32_t gpa, struct pv_hc_file_set_size *z)
{
    int32_t ret = volume_file_set_size(s->volume, z->handle,
                                       (uint64_t)z->size_hi << 32 | z->size_lo);
    volume_failed(s, ret);
    set_ret(s, gpa, offsetof(struct pv_hc_file_set_size, ret), ret);
}

static void hc_shutdown(struct hc_state *s, struct pv_hc_shutdown *sd)
{
    if (s->verbose && s->log_fd >= 0)
        dprintf(s->log_fd, "pagevisor: guest shut down after %u image(s)\n", sd->images_run);
    s->finished = true;
}

enum hc_result hc_out(struct hc_state *s, uint16_t port, unsigned size, uint32_t value,
                      char *why, size_t whylen)
{
    if (port < PV_HC_PIO_BASE || port >= PV_HC_PORT(PV_HC_MAX))
        return HC_BAD_PORT;
    uint32_t nr = port - PV_HC_PIO_BASE;
    s->calls++;
    if (nr == 0 || size != 4) {
        s->bad_calls++;
        return reject(why, whylen, "hypercall %u: a %u-byte out; calls are one 32-bit out of a "
                      "call block address to ports 0x%x-0x%x", nr, size, PV_HC_PORT(1),
                      PV_HC_PORT(PV_HC_MAX - 1));
    }
    union {
        struct pv_hc_console console;
        struct pv_hc_process_exit exit;
        struct pv_hc_bugcheck bugcheck;
        struct pv_hc_shutdown shutdown;
        struct pv_hc_process_start start;
        struct pv_hc_trace_setup trace_setup;
        struct pv_hc_trace_flush trace_flush;
        struct pv_hc_pagefile_info pagefile_info;
        struct pv_hc_pagefile_io pagefile_io;
        struct pv_hc_image_read image_read;
        struct pv_hc_console_read console_read;
        struct pv_hc_file_open file_open;
        struct pv_hc_file_io file_io;
        struct pv_hc_file_close file_close;
        struct pv_hc_file_set_size file_set_size;
        struct pv_hc_debug_break debug_break;
    } block;
    static const size_t block_size[PV_HC_MAX] = {
        [PV_HC_CONSOLE] = sizeof(struct pv_hc_console),
        [PV_HC_PROCESS_EXIT] = sizeof(struct pv_hc_process_exit),
        [PV_HC_BUGCHECK] = sizeof(struct pv_hc_bugcheck),
        [PV_HC_SHUTDOWN] = sizeof(struct pv_hc_shutdown),
        [PV_HC_PROCESS_START] = sizeof(struct pv_hc_process_start),
        [PV_HC_TRACE_SETUP] = sizeof(struct pv_hc_trace_setup),
        [PV_HC_TRACE_FLUSH] = sizeof(struct pv_hc_trace_flush),
        [PV_HC_PAGEFILE_INFO] = sizeof(struct pv_hc_pagefile_info),
        [PV_HC_PAGEFILE_IO] = sizeof(struct pv_hc_pagefile_io),
        [PV_HC_IMAGE_READ] = sizeof(struct pv_hc_image_read),
        [PV_HC_CONSOLE_READ] = sizeof(struct pv_hc_console_read),
        [PV_HC_FILE_OPEN] = sizeof(struct pv_hc_file_open),
        [PV_HC_FILE_IO] = sizeof(struct pv_hc_file_io),
        [PV_HC_FILE_CLOSE] = sizeof(struct pv_hc_file_close),
        [PV_HC_FILE_SET_SIZE] = sizeof(struct pv_hc_file_set_size),
        [PV_HC_DEBUG_BREAK] = sizeof(struct pv_hc_debug_break),
    };
    if (!fetch(s, value, &block, block_size[nr])) {
        s->bad_calls++;
        return reject(why, whylen, "hypercall %u: call block 0x%08x+%zu lies outside guest RAM",
                      nr, value, block_size[nr]);
    }
    switch ((enum pv_hc_nr)nr) {
    case PV_HC_CONSOLE: hc_console(s, value, &block.console); break;
    case PV_HC_PROCESS_EXIT: hc_process_exit(s, value, &block.exit); break;
    case PV_HC_BUGCHECK: hc_bugcheck(s, &block.bugcheck); break;
    case PV_HC_SHUTDOWN: hc_shutdown(s, &block.shutdown); break;
    case PV_HC_PROCESS_START: hc_process_start(s, value, &block.start); break;
    case PV_HC_TRACE_SETUP: hc_trace_setup(s, value, &block.trace_setup); break;
    case PV_HC_TRACE_FLUSH: hc_trace_flush(s, value); break;
    case PV_HC_PAGEFILE_INFO: hc_pagefile_info(s, value); break;
    case PV_HC_PAGEFILE_IO: hc_pagefile_io(s, value, &block.pagefile_io); break;
    case PV_HC_IMAGE_READ: hc_image_read(s, value, &block.image_read); break;
    case PV_HC_CONSOLE_READ: hc_console_read(s, value, &block.console_read); break;
    case PV_HC_FILE_OPEN: hc_file_open(s, value, &block.file_open); break;
    case PV_HC_FILE_IO: hc_file_io(s, value, &block.file_io); break;
    case PV_HC_FILE_CLOSE: hc_file_close(s, value, &block.file_close); break;
    case PV_HC_FILE_SET_SIZE: hc_file_set_size(s, value, &block.file_set_size); break;
    case PV_HC_DEBUG_BREAK: hc_debug_break(s, value, &block.debug_break); break;
    case PV_HC_MAX: break;
    }
    return HC_OK;
}

bool hc_in(uint16_t port, unsigned size, uint32_t *value)
{
    if (port < PV_HC_PIO_BASE || port >= PV_HC_PORT(PV_HC_MAX))
        return false;
    *value = (port == PV_IDENT_PORT && size == 4) ? PV_IDENT_MAGIC : 0xFFFFFFFFu;
    return true;
}
