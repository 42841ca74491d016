/*
 * vm_path.c - the pagevisor engine of the host-path benchmark: a real KVM guest makes one
 * PV_HC_PAGEFILE_IO hypercall per unit, and this loop serves it the way the VMM does: copy the
 * call block out of guest RAM, pagefile_io into the guest's frames, write ret and done back.
 * What it measures is the whole round trip through KVM_RUN, not pagefile_io alone; it also
 * splits the time into KVM_RUN and the host's service, and calibrates what an exit and a guest
 * instruction cost on this KVM.
 */
#include <err.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bench.h"
#include "guest/pagein.h"
#include "kvm.h"

_Static_assert(offsetof(struct pv_hc_pagefile_io, op) == IO_OP, "pagein.h IO_OP");
_Static_assert(offsetof(struct pv_hc_pagefile_io, slot) == IO_SLOT, "pagein.h IO_SLOT");
_Static_assert(offsetof(struct pv_hc_pagefile_io, count) == IO_COUNT, "pagein.h IO_COUNT");
_Static_assert(offsetof(struct pv_hc_pagefile_io, frames) == IO_FRAMES, "pagein.h IO_FRAMES");
_Static_assert(offsetof(struct pv_hc_pagefile_io, ret) == IO_RET, "pagein.h IO_RET");
_Static_assert(offsetof(struct pv_hc_pagefile_io, done) == IO_DONE, "pagein.h IO_DONE");
_Static_assert(sizeof(struct pv_hc_pagefile_io) == IO_SIZE, "pagein.h IO_SIZE");
_Static_assert(PAGEIN_PORT == PV_HC_PORT(PV_HC_PAGEFILE_IO), "pagein.h PAGEIN_PORT");
_Static_assert(offsetof(struct pagein_params, ret) == PARAM_RET, "pagein.h PARAM_RET");

extern const uint8_t bench_guest_image[], bench_guest_image_end[];

struct vm_path {
    struct vm vm;
    struct pagefile *pf;
    uint32_t pages;
    uint64_t frames_gpa;      /* slot s is read into the frame at frames_gpa + s * PAGE */
    uint64_t service_ns;      /* time in serve_pagefile_io during the current run */
};

#define ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))

static uint8_t *frames_of(struct vm_path *v)
{
    return gpa_ptr(&v->vm.mem, v->frames_gpa, (uint64_t)(v->pages + 1) * PAGE);
}

struct vm_path *vm_path_create(int kvm_fd, struct pagefile *pf, uint32_t pages)
{
    size_t image = (size_t)(bench_guest_image_end - bench_guest_image);
    if (image > PAGEIN_PARAMS_GPA - PAGEIN_LOAD_GPA)
        errx(1, "vm path: the guest image (%zu bytes) overlaps its parameters", image);
    struct vm_path *v = calloc(1, sizeof(*v));
    if (!v)
        err(1, "calloc");
    v->pf = pf;
    v->pages = pages;
    /* At most one call block per page, then the frames, 4 MiB aligned. */
    v->frames_gpa = ALIGN_UP(PAGEIN_BLOCKS_GPA + (uint64_t)pages * IO_SIZE, 4u << 20);
    uint64_t ram = v->frames_gpa + (uint64_t)(pages + 1) * PAGE;
    if (ram > 0xF0000000u)
        errx(1, "vm path: %u pages do not fit a 32-bit guest's RAM", pages);
    vm_create(&v->vm, kvm_fd, ram, false, VM_THP_SYSTEM);
    vcpu_set_protected_mode(&v->vm);
    memcpy(gpa_ptr(&v->vm.mem, PAGEIN_LOAD_GPA, image), bench_guest_image, image);
    vm_path_clear(v);   /* also faults the host pages of guest RAM in, as a running VM has */
    return v;
}

void vm_path_clear(struct vm_path *v)
{
    memset(frames_of(v), 0, (size_t)(v->pages + 1) * PAGE);
}

const uint8_t *vm_path_frames(const struct vm_path *v)
{
    return frames_of((struct vm_path *)v);
}

/* The hypercall, served as the VMM's dispatcher serves it. */
static void serve_pagefile_io(struct vm_path *v, uint32_t gpa)
{
    struct pv_hc_pagefile_io req;
    uint8_t *block = gpa_ptr(&v->vm.mem, gpa, sizeof(req));
    if (!block)
        errx(1, "vm path: call block 0x%08x lies outside guest RAM", gpa);
    memcpy(&req, block, sizeof(req));   /* work on a copy the guest cannot change */
    uint32_t done;
    int32_t ret = pagefile_io(v->pf, &v->vm.mem, &req, &done);
    memcpy(block + offsetof(struct pv_hc_pagefile_io, ret), &ret, sizeof(ret));
    memcpy(block + offsetof(struct pv_hc_pagefile_io, done), &done, sizeof(done));
}

/* One exit; false once the guest has halted. */
static bool handle_exit(struct vm_path *v)
{
    struct kvm_run *run = v->vm.run;
    switch (run->exit_reason) {
    case KVM_EXIT_IO: {
        if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == PAGEIN_NULL_PORT)
            return true;
        if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != PAGEIN_PORT ||
            run->io.size != 4 || run->io.count != 1)
            errx(1, "vm path: unexpected %s of %u bytes at port 0x%x",
                 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.size,
                 run->io.port);
        uint32_t gpa;
        memcpy(&gpa, (uint8_t *)run + run->io.data_offset, sizeof(gpa));
        uint64_t t0 = now_ns();
        serve_pagefile_io(v, gpa);
        v->service_ns += now_ns() - t0;
        return true;
    }
    case KVM_EXIT_HLT:
        return false;
    case KVM_EXIT_INTR:
        return true;
    default:
        errx(1, "vm path: unexpected KVM exit %u (see KVM_EXIT_* in linux/kvm.h); a 32-bit "
             "guest without paging should run on any KVM", run->exit_reason);
    }
}

/* Run the guest in a mode until it halts. Returns its params afterwards. */
static struct pagein_params run_guest(struct vm_path *v, uint32_t mode, uint32_t count,
                                      struct measurement *m)
{
    struct pagein_params params = {
        .mode = mode, .count = count, .blocks = PAGEIN_BLOCKS_GPA, .status = 0xFFFFFFFFu,
    };
    memcpy(gpa_ptr(&v->vm.mem, PAGEIN_PARAMS_GPA, sizeof(params)), &params, sizeof(params));
    vcpu_set_entry(&v->vm, PAGEIN_LOAD_GPA, PAGEIN_PARAMS_GPA, 0);
    v->service_ns = 0;
    uint64_t exits = 0, in_run = 0, t0 = now_ns();
    for (;;) {
        uint64_t r0 = now_ns();
        int rc = ioctl(v->vm.vcpu_fd, KVM_RUN, 0);
        in_run += now_ns() - r0;
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            err(1, "KVM_RUN");
        }
        exits++;
        if (!handle_exit(v))
            break;
    }
    m->seconds = (double)(now_ns() - t0) / 1e9;
    m->exits = exits;
    m->run_seconds = (double)in_run / 1e9;
    m->service_seconds = (double)v->service_ns / 1e9;
    memcpy(&params, gpa_ptr(&v->vm.mem, PAGEIN_PARAMS_GPA, sizeof(params)), sizeof(params));
    return params;
}

/* The guest's call blocks: ready-made, as if the guest had filled them in. */
static void lay_out_blocks(struct vm_path *v, const struct workload *w)
{
    uint8_t *blocks = gpa_ptr(&v->vm.mem, PAGEIN_BLOCKS_GPA, w->nunits * IO_SIZE);
    if (!blocks || w->pages > v->pages)
        errx(1, "vm path: the workload does not fit the guest");
    for (size_t i = 0; i < w->nunits; i++) {
        struct pv_hc_pagefile_io b = {
            .op = PV_PAGEFILE_READ, .slot = w->units[i].slot, .count = w->units[i].count,
            .ret = -1,
        };
        for (uint32_t k = 0; k < b.count; k++)
            b.frames[k] = (uint32_t)(v->frames_gpa / PAGE) + b.slot + k;
        memcpy(blocks + i * IO_SIZE, &b, sizeof(b));
    }
}

void vm_path_run(struct vm_path *v, const struct workload *w, struct measurement *m)
{
    lay_out_blocks(v, w);
    struct pagein_params p = run_guest(v, PAGEIN_MODE_READ, (uint32_t)w->nunits, m);
    if (p.status != 0) {
        char why[256];
        errx(1, "vm path: the guest's call for unit %u failed with %d: %s", p.status - 1, p.ret,
             pagefile_describe_failure(v->pf, why, sizeof(why)));
    }
}

void vm_path_calibrate(struct vm_path *v, double *exit_us, double *insn_ns)
{
    struct measurement m;
    double best_exit = 1e9, best_turn = 1e9;
    for (int i = 0; i < 3; i++) {   /* the best of three: calibration wants the floor */
        run_guest(v, PAGEIN_MODE_EXITS, 20000, &m);
        if (m.seconds / 20000 < best_exit)
            best_exit = m.seconds / 20000;
        run_guest(v, PAGEIN_MODE_SPIN, 200000, &m);
        if (m.seconds / 200000 < best_turn)
            best_turn = m.seconds / 200000;
    }
    *exit_us = best_exit * 1e6;
    *insn_ns = best_turn * 1e9 / 2;   /* dec + jnz */
}

void vm_path_destroy(struct vm_path *v)
{
    if (!v)
        return;
    vm_destroy(&v->vm);
    free(v);
}
