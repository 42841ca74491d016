/* run.c - the run and probe commands: choosing where to run, loading, and running the guest. */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disasm.h"
#include "fault_trace.h"
#include "hypercall.h"
#include "kvm.h"
#include "kvm_probe.h"
#include "multiboot.h"
#include "multiboot_loader.h"
#include "options.h"
#include "run_remote.h"
#include "vcpu_loop.h"

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
                    "whitespace (Multiboot command lines are split on spaces)\n", mods[i].path);
            rc = -1;
        }
    }
    char err[512];
    struct mb_boot boot;
    if (rc == 0 && mb_load(&vm->mem, kernel, o->cmdline, mods, o->nimages, &boot, err,
                           sizeof(err)) != 0) {
        fprintf(stderr, "pagevisor: %s\n", err);
        rc = -1;
    }
    if (rc == 0) {
        vcpu_set_protected_mode(vm);
        vcpu_set_entry(vm, boot.entry, MULTIBOOT_BOOTLOADER_MAGIC, boot.mbi_gpa);
        if (o->verbose)
            fprintf(stderr, "pagevisor: kernel %s at 0x%x-0x%x, entry 0x%x, %zu image(s) up to "
                    "0x%x, %llu MiB RAM\n", kernel, boot.kernel_start, boot.kernel_end,
                    boot.entry, o->nimages, boot.modules_end,
                    (unsigned long long)(vm->mem.size >> 20));
    }
    for (size_t i = 0; i < o->nimages; i++)
        free((void *)mods[i].cmdline);
    free(mods);
    return rc;
}

static int run_direct(const struct run_options *o)
{
    char why[256];
    int kvm_fd;
    if (kvm_open(&kvm_fd, why, sizeof(why)) != KVM_OPEN_OK) {
        fprintf(stderr, "pagevisor: %s\n", why);
        return PV_EXIT_INCAPABLE;
    }
    const char *kernel = o->kernel ? o->kernel : default_kernel_path();
    struct vm vm;
    vm_create(&vm, kvm_fd, o->mem);
    if (load_guest(&vm, o, kernel) != 0) {
        vm_destroy(&vm);
        close(kvm_fd);
        return PV_EXIT_VMM_ERROR;
    }
    if (disasm_open() != 0) {
        vm_destroy(&vm);
        close(kvm_fd);
        return PV_EXIT_VMM_ERROR;
    }
    FILE *trace = NULL;
    if (o->trace_path && !(trace = fopen(o->trace_path, "w"))) {
        fprintf(stderr, "pagevisor: --trace %s: %s\n", o->trace_path, strerror(errno));
        disasm_close();
        vm_destroy(&vm);
        close(kvm_fd);
        return PV_EXIT_VMM_ERROR;
    }
    struct fault_tracer tracer;
    tracer_init(&tracer, &vm.mem, trace, o->trace_format, vcpu_read_tsc(&vm), vcpu_tsc_khz(&vm));
    struct hc_state hc;
    hc_init(&hc, &vm.mem, STDOUT_FILENO, o->verbose ? STDERR_FILENO : -1, o->verbose, &tracer);
    struct vcpu_stats st;
    int status = vcpu_run(&vm, &hc, o->timeout, &st);
    if (o->verbose || trace)
        tracer_print_stats(&tracer, stderr, st.exits);
    if (o->verbose)
        fprintf(stderr, "pagevisor: %llu VM exits (%llu I/O, %llu to unclaimed ports), "
                "%llu hypercalls (%llu refused), %u image(s) ended, exit status %d\n",
                st.exits, st.io_exits, st.unclaimed_io, (unsigned long long)hc.calls,
                (unsigned long long)hc.bad_calls, hc.images_run, status);
    if (tracer_finish(&tracer) != 0 || (trace && fclose(trace) != 0)) {
        fprintf(stderr, "pagevisor: --trace %s: write failed: %s\n", o->trace_path,
                strerror(errno));
        if (status == 0)
            status = PV_EXIT_VMM_ERROR;
    }
    tracer_free(&tracer);
    disasm_close();
    vm_destroy(&vm);
    close(kvm_fd);
    return status;
}

int cmd_run(int argc, char **argv)
{
    struct run_options o;
    if (run_options_parse(argc, argv, &o) != 0)
        return PV_EXIT_USAGE;
    int status;
    char why[256];
    if (o.runner == RUNNER_ALWAYS) {
        status = run_remote(&o);
    } else {
        enum kvm_probe_result p = kvm_probe(why, sizeof(why));
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
    enum kvm_probe_result p = kvm_probe(why, sizeof(why));
    if (p == PROBE_CAPABLE) {
        printf("pagevisor: this host's KVM runs 32-bit paged guests\n");
        return 0;
    }
    printf("pagevisor: this host's KVM cannot run 32-bit paged guests (%s): %s\n",
           kvm_probe_result_name(p), why);
    return PV_EXIT_INCAPABLE;
}
