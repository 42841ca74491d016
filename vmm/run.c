/* run.c - the run and probe commands: choosing where to run, loading, and running the guest. */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console_input.h"
#include "disasm.h"
#include "fdio.h"
#include "fault_trace.h"
#include "gdb_kvm.h"
#include "hypercall.h"
#include "image_store.h"
#include "mm_inspect.h"
#include "kvm.h"
#include "kvm_probe.h"
#include "multiboot.h"
#include "multiboot_loader.h"
#include "nt_layout.h"
#include "options.h"
#include "pagefile.h"
#include "preflight.h"
#include "runner.h"
#include "prefix.h"
#include "run_remote.h"
#include "run_stats.h"
#include "symbols.h"
#include "vcpu_loop.h"
#include "volume.h"

static double process_start;

void run_mark_start(void)
{
    process_start = monotonic_seconds();
}

static int load_guest(struct vm *vm, const struct run_options *o, const char *kernel)
{
    struct mb_module *mods = calloc(o->nimages, sizeof(*mods));
    if (!mods)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < o->nimages && rc == 0; i++) {
        mods[i].path = o->images[i].path;
        mods[i].cmdline = image_cmdline(&o->images[i]);
        if (!mods[i].cmdline) {
            fprintf(stderr, "pagevisor: %s: image arguments may not be empty or contain "
                    "whitespace (Multiboot command lines are split on spaces)\n",
                    o->images[i].name);
            rc = -1;
        }
    }
    char err[512];
    struct mb_boot boot;
    char *cmdline = guest_cmdline(o);
    if (!cmdline)
        rc = -1;
    if (rc == 0 && mb_load(&vm->mem, kernel, cmdline, mods, o->nimages, &boot, err,
                           sizeof(err)) != 0) {
        char named[sizeof(err)];
        name_paths(o, err, named, sizeof(named));
        fprintf(stderr, "pagevisor: %s\n", named);
        rc = -1;
    }
    if (rc == 0) {
        vcpu_set_protected_mode(vm);
        vcpu_set_entry(vm, boot.entry, MULTIBOOT_BOOTLOADER_MAGIC, boot.mbi_gpa);
        if (o->verbose)
            fprintf(stderr, "pagevisor: kernel %s at 0x%x-0x%x, entry 0x%x, %zu image(s) up to "
                    "0x%x, %llu MiB RAM\n", run_kernel_name(o), boot.kernel_start, boot.kernel_end,
                    boot.entry, o->nimages, boot.modules_end,
                    (unsigned long long)(vm->mem.size >> 20));
    }
    for (size_t i = 0; i < o->nimages; i++)
        free((void *)mods[i].cmdline);
    free(mods);
    free(cmdline);
    return rc;
}

/* Everything a direct run holds, so that one function sets it up and one tears it down. */
struct session {
    int kvm_fd;
    struct vm vm;
    bool vm_created, images_open, disasm_open;
    struct pagefile pagefile;
    struct volume volume;
    FILE *trace;
    struct fault_tracer tracer;
    struct image_store images;
    struct console_input input;
    bool input_open;
    struct hc_state hc;
    struct symbolizer syms;
    struct gdb_session gdb;
    bool gdb_open;
    const struct run_options *options;
};

/* The trace names the file an image_read or file_read came from: an image by the name the user
 * gave it (its base name), a volume file by its name in the volume. */
static void backing_name(void *ctx, uint32_t backing, char *out, size_t len)
{
    const struct session *s = ctx;
    uint32_t which = backing & ~PV_BACKING_KIND_MASK;

    if ((backing & PV_BACKING_KIND_MASK) == PV_BACKING_IMAGE && which < s->options->nimages) {
        const char *name = s->options->images[which].name, *slash = strrchr(name, '/');
        snprintf(out, len, "%s", slash ? slash + 1 : name);
    } else if ((backing & PV_BACKING_KIND_MASK) == PV_BACKING_FILE && which >= 1 &&
               which <= PV_FILES_MAX && s->volume.files[which - 1].fd >= 0) {
        snprintf(out, len, "C:\\%s", s->volume.files[which - 1].name);
    }
}

static void session_close(struct session *s)
{
    if (s->gdb_open)
        gdb_session_close(&s->gdb);
    if (s->input_open)
        console_input_close(&s->input);
    if (s->images_open)
        image_store_close(&s->images);
    pagefile_close(&s->pagefile);
    volume_close(&s->volume);
    tracer_free(&s->tracer);
    symbolizer_close(&s->syms);
    if (s->trace)
        fclose(s->trace);
    if (s->disasm_open)
        disasm_close();
    if (s->vm_created)
        vm_destroy(&s->vm);
    if (s->kvm_fd >= 0)
        close(s->kvm_fd);
}

static bool debugger_stop(void *ctx, const char *why, int *status)
{
    return gdb_session_break(ctx, why, status);
}

/* Returns 0, or the run's exit status after saying what went wrong. */
static int session_open(struct session *s, const struct run_options *o)
{
    char why[256];
    memset(s, 0, sizeof(*s));
    s->kvm_fd = -1;
    s->pagefile.fd = -1;
    s->volume.dirfd = -1;
    if (kvm_open(&s->kvm_fd, why, sizeof(why)) != KVM_OPEN_OK) {
        fprintf(stderr, "pagevisor: %s\n", why);
        return PV_EXIT_INCAPABLE;
    }
    vm_create(&s->vm, s->kvm_fd, o->mem, true, o->thp);
    s->vm_created = true;
    if (load_guest(&s->vm, o, run_kernel_path(o)) != 0)
        return PV_EXIT_VMM_ERROR;
    if (disasm_open() != 0)
        return PV_EXIT_VMM_ERROR;
    s->disasm_open = true;
    if (o->trace_path && !(s->trace = open_trace_file(o->trace_path))) {
        fprintf(stderr, "pagevisor: --trace %s: %s\n", o->trace_name, strerror(errno));
        return PV_EXIT_VMM_ERROR;
    }
    tracer_init(&s->tracer, &s->vm.mem, s->trace, o->trace_format, vcpu_read_tsc(&s->vm),
                vcpu_tsc_khz(&s->vm));
    const char **paths = calloc(o->nimages, sizeof(*paths));
    if (!paths)
        return PV_EXIT_VMM_ERROR;
    for (size_t i = 0; i < o->nimages; i++)
        paths[i] = o->images[i].path;
    s->images_open = image_store_open(&s->images, paths, o->nimages) == 0;
    symbolizer_open(&s->syms, run_kernel_path(o), paths, o->nimages);
    s->tracer.syms = &s->syms;
    s->options = o;
    s->tracer.backing_name = backing_name;
    s->tracer.backing_ctx = s;
    free(paths);
    if (!s->images_open)
        return PV_EXIT_VMM_ERROR;
    if (pagefile_open(&s->pagefile, o->pagefile_path, o->pagefile_size, why, sizeof(why)) != 0) {
        char named[sizeof(why)];
        name_paths(o, why, named, sizeof(named));
        fprintf(stderr, "pagevisor: pagefile: %s\n", named);
        return PV_EXIT_VMM_ERROR;
    }
    pagefile_set_name(&s->pagefile, o->pagefile_name);
    for (size_t i = 0; i < o->ninject; i++)
        if (pagefile_inject(&s->pagefile, o->inject[i], why, sizeof(why)) != 0) {
            fprintf(stderr, "pagevisor: --inject-pagefile-errors %s: %s\n", o->inject[i], why);
            return PV_EXIT_USAGE;
        }
    hc_init(&s->hc, &s->vm.mem, STDOUT_FILENO, o->verbose ? STDERR_FILENO : -1, o->verbose,
            &s->tracer);
    s->hc.images = &s->images;
    s->hc.pagefile = &s->pagefile;
    if (o->volume_path) {
        if (volume_open(&s->volume, o->volume_path, why, sizeof(why)) != 0) {
            char named[sizeof(why)];
            name_paths(o, why, named, sizeof(named));
            fprintf(stderr, "pagevisor: %s\n", named);
            return PV_EXIT_VMM_ERROR;
        }
        s->hc.volume = &s->volume;
    }
    console_input_init(&s->input, STDIN_FILENO);
    s->input_open = true;
    s->hc.input = &s->input;
    if (o->gdb) {
        if (gdb_session_open(&s->gdb, o->gdb, &s->vm, &s->syms.kernel, why, sizeof(why)) != 0) {
            fprintf(stderr, "pagevisor run: --gdb %s: %s\n", o->gdb_name, why);
            return PV_EXIT_USAGE;
        }
        s->gdb_open = true;
        s->gdb.wait = o->gdb_wait;
        s->gdb.where = o->gdb_name;
        s->gdb.no_debug_registers = o->from_host;   /* inside the KVM runner (TCG's SVM) */
        s->hc.debugger_stop = debugger_stop;
        s->hc.debugger_ctx = &s->gdb;
    }
    return 0;
}

/* --inspect-on-exit: the memory manager's state as the guest left it, read by the host; and
 * on SIGUSR1 while it runs. */
static void inspect_now(struct session *s, const char *when)
{
    static const char *const defaults[] = { "!vm 1", "!memusage", "!process 0 0" };
    const struct run_options *o = s->options;
    const char *const *cmds = o->ninspect ? o->inspect : defaults;
    size_t n = o->ninspect ? o->ninspect : sizeof(defaults) / sizeof(defaults[0]);
    char why[256];
    struct mm_inspect_src src = { .mem = &s->vm.mem, .kernel = &s->syms.kernel };
    if (!vcpu_read_space(&s->vm, &src.paging, &src.cr3, &src.pse)) {
        fprintf(stderr, "pagevisor: --inspect-on-exit: KVM_GET_SREGS failed\n");
        return;
    }
    fprintf(stderr, "pagevisor: the guest's memory manager %s (cr3 %08X):\n", when, src.cr3);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "kd> %s\n", cmds[i]);
        if (mm_inspect_command(stderr, &src, cmds[i], why, sizeof(why)) != 0)
            fprintf(stderr, "pagevisor: %s: %s\n", cmds[i], why);
    }
}

static void inspect_snapshot(void *ctx, const char *when)
{
    inspect_now(ctx, when);
}

static int run_direct(const struct run_options *o)
{
    struct session s;
    int status = session_open(&s, o);
    if (status != 0) {
        session_close(&s);
        return status;
    }
    struct vcpu_stats st;
    s.hc.snapshot = inspect_snapshot;   /* PvDebugBreak always; SIGUSR1 with --inspect* */
    s.hc.snapshot_ctx = &s;
    s.hc.snapshot_on_signal = o->inspect_on_exit;
    status = vcpu_run(&s.vm, &s.hc, o->timeout, &st, s.gdb_open ? &s.gdb : NULL);
    struct run_times times = { .start = process_start, .first_run = st.first_run_time,
                               .first_image = s.hc.first_start_time,
                               .last_image = s.hc.last_exit_time,
                               .guest_exit = monotonic_seconds() };
    if (o->inspect_on_exit)
        inspect_now(&s, "when it stopped");
    struct run_stats rs;
    run_stats_collect(&rs, &s.hc, &st);
    run_times_add(&rs, &times);
    if (o->verbose || o->stats || s.trace)
        run_stats_print(stderr, &rs);
    if (o->verbose)
        pagefile_print_stats(&s.pagefile, stderr);
    if (o->verbose && volume_is_open(&s.volume))
        volume_print_stats(&s.volume, stderr);
    if (s.trace)
        tracer_write_stats(&s.tracer, tracer_now_ns(&s.tracer, vcpu_read_tsc(&s.vm)),
                           rs.items, rs.n);
    if (o->verbose)
        fprintf(stderr, "pagevisor: %llu VM exits (%llu I/O, %llu to unclaimed ports), "
                "%llu hypercalls (%llu refused), %llu image pages read in %llu calls, "
                "%u image(s) ended, "
                "exit status %d\n", st.exits, st.io_exits, st.unclaimed_io,
                (unsigned long long)s.hc.calls, (unsigned long long)s.hc.bad_calls,
                s.images.pages, s.images.reads, s.hc.images_run, status);
    if (o->verbose && s.input.started)
        fprintf(stderr, "pagevisor: the guest read %llu bytes of console input%s\n",
                s.hc.console_input_bytes, s.input.ended ? ", to its end" : "");
    if (tracer_finish(&s.tracer) != 0 || (s.trace && fflush(s.trace) != 0)) {
        fprintf(stderr, "pagevisor: --trace %s: write failed: %s\n", o->trace_name,
                strerror(errno));
        if (status == 0)
            status = PV_EXIT_VMM_ERROR;
    }
    session_close(&s);
    times.teardown = monotonic_seconds();
    /* Last: teardown is known only now. */
    if (o->verbose || o->stats)
        run_times_print(stderr, &times);
    return status;
}

/* --3gb gives user space the third gigabyte: a kernel linked there (the default kernel, at
 * 0x80100000) cannot run so. A kernel that cannot be read is left to the load to report. */
static bool kernel_fits_3gb(const char *path)
{
    char why[256];
    size_t len;
    uint32_t base;
    uint8_t *img = read_file_bounded(path, PV_MAX_MEM, &len, why, sizeof(why));
    if (!img)
        return true;
    int rc = mb_kernel_link_base(img, len, &base, why, sizeof(why));
    free(img);
    if (rc != 0 || base >= MM_LOWEST_SYSTEM_ADDRESS)
        return true;
    fprintf(stderr, "pagevisor run: --3gb needs a kernel linked above 0x%08X (user space then "
            "reaches 0xBFFEFFFF), but %s is linked at 0x%08X\n(see pagevisor run --help)\n",
            MM_LOWEST_SYSTEM_ADDRESS, path, base);
    return false;
}

int cmd_run(int argc, char **argv)
{
    struct run_options o;
    if (run_options_parse(argc, argv, &o) != 0)
        return PV_EXIT_USAGE;
    /* Everything a user can get wrong is found here, before a VM (or the runner) starts. */
    if (!o.from_host)
        cmdline_warnings(o.cmdline, stderr);
    if (!o.kernel && !pv_default_kernel_present(o.three_gb)) {
        run_options_free(&o);
        return PV_EXIT_VMM_ERROR;
    }
    if ((o.three_gb && !kernel_fits_3gb(run_kernel_path(&o))) || run_preflight(&o) != 0) {
        run_options_free(&o);
        return PV_EXIT_USAGE;
    }
    int status;
    char why[256];
    if (o.runner == RUNNER_ALWAYS) {
        status = run_remote(&o);
    } else {
        bool cached;
        enum kvm_probe_result p = kvm_probe_cached(why, sizeof(why), &cached);
        if (o.verbose)
            fprintf(stderr, "pagevisor: probe: %s%s\n", kvm_probe_result_name(p),
                    cached ? " (this boot's answer, kept in /tmp/pagevisor-probe-UID)" : "");
        if (p == PROBE_CAPABLE) {
            status = run_direct(&o);
        } else if (o.runner == RUNNER_NEVER) {
            fprintf(stderr, "pagevisor: cannot run 32-bit paged guests on this host: %s "
                    "(--runner never)\n", why);
            status = PV_EXIT_INCAPABLE;
        } else {
            fprintf(stderr, "pagevisor: %s; running in the KVM runner VM\n", why);
            status = run_remote(&o);
        }
    }
    run_options_free(&o);
    console_input_restore();
    fflush(stdout);
    return status;
}

int cmd_probe(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: pagevisor probe\n");
        return PV_EXIT_USAGE;
    }
    char why[256];
    enum kvm_probe_result p = kvm_probe_fresh(why, sizeof(why));
    if (p == PROBE_CAPABLE) {
        printf("pagevisor: this host's KVM runs 32-bit paged guests\n");
        return 0;
    }
    printf("pagevisor: this host's KVM cannot run 32-bit paged guests (%s): %s\n",
           kvm_probe_result_name(p), why);
    char how[PATH_MAX + 64];
    printf("pagevisor: `pagevisor run` still works here: it runs the guest inside the KVM runner "
           "VM (Linux with a KVM that can, under QEMU's emulator; a few seconds more per run), "
           "which %s prepares once\n", runner_prepare_command(how, sizeof(how)));
    return PV_EXIT_INCAPABLE;
}
