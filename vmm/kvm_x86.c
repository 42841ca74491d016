/*
 * kvm_x86.c - KVM VM and vCPU setup for a 32-bit x86 guest: /dev/kvm, the memory slot, the
 * in-kernel interrupt controllers and PIT, CPUID, and the protected-mode register state a
 * Multiboot kernel is entered with.
 */
#include "kvm.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pv_abi.h"

/* Intel VMX needs three pages for the real-mode TSS somewhere outside guest RAM. */
#define KVM_TSS_ADDR 0xFFFBD000u

enum kvm_open_result kvm_open(int *fd, char *why, size_t whylen)
{
    *fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENXIO || e == ENODEV) {
            snprintf(why, whylen, "no /dev/kvm on this host (KVM is not available: load kvm-intel "
                     "or kvm-amd, or enable virtualization)");
            return KVM_OPEN_MISSING;
        }
        if (e == EACCES || e == EPERM) {
            snprintf(why, whylen, "permission denied on /dev/kvm (add your user to the group "
                     "that owns it, usually kvm, or run as root)");
            return KVM_OPEN_DENIED;
        }
        snprintf(why, whylen, "/dev/kvm: %s", strerror(e));
        return KVM_OPEN_FAILED;
    }
    int version = ioctl(*fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        snprintf(why, whylen, "KVM_GET_API_VERSION returned %d, expected %d", version,
                 KVM_API_VERSION);
        close(*fd);
        *fd = -1;
        return KVM_OPEN_FAILED;
    }
    return KVM_OPEN_OK;
}

static void vcpu_set_cpuid(struct vm *vm)
{
    int n = 128;
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(struct kvm_cpuid_entry2));
    if (!cpuid)
        errx(PV_EXIT_VMM_ERROR, "out of memory");
    cpuid->nent = n;
    if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_GET_SUPPORTED_CPUID");
    if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_SET_CPUID2");
    free(cpuid);
}

/* Guest RAM: anonymous memory the host backs as the guest touches it. For huge pages it is
 * placed on a 2 MiB boundary (so KVM can map it with 2 MiB pages too) and advised so. */
static void map_guest_ram(struct vm *vm, uint64_t mem_size, enum vm_thp thp)
{
    const size_t huge = 2u << 20;
    size_t map_size = (size_t)mem_size + (thp == VM_THP_ALWAYS ? huge : 0);
    uint8_t *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        err(PV_EXIT_VMM_ERROR, "mmap of %llu bytes of guest RAM", (unsigned long long)mem_size);
    uint8_t *ram = map;
    if (thp == VM_THP_ALWAYS)
        ram = (uint8_t *)(((uintptr_t)map + huge - 1) & ~(uintptr_t)(huge - 1));
    if (thp != VM_THP_SYSTEM &&
        madvise(ram, mem_size, thp == VM_THP_ALWAYS ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0)
        warn("madvise(%s) of guest RAM: --thp has no effect",
             thp == VM_THP_ALWAYS ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE");
    vm->map_base = map;
    vm->map_size = map_size;
    vm->mem.base = ram;
    vm->mem.size = mem_size;
}

void vm_create(struct vm *vm, int kvm_fd, uint64_t mem_size, bool interrupt_controllers,
               enum vm_thp thp)
{
    memset(vm, 0, sizeof(*vm));
    vm->kvm_fd = kvm_fd;
    vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_CREATE_VM");
    /* Only Intel needs it, and older kernels refuse it on AMD: not fatal. */
    (void)ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);
    /* KVM's in-kernel 8259s, I/O APIC and local APIC, before the vCPU exists: the clock's IRQ 0
     * goes in there (vmm/pit.c emulates the PIT itself). With them HLT no longer exits to
     * userspace, so guests that stop with HLT (the probe's, the benchmark's) go without. */
    if (interrupt_controllers && ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_CREATE_IRQCHIP");

    map_guest_ram(vm, mem_size, thp);
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = mem_size,
        .userspace_addr = (uintptr_t)vm->mem.base,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_SET_USER_MEMORY_REGION");

    vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
    if (vm->vcpu_fd < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_CREATE_VCPU");
    int mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < (int)sizeof(struct kvm_run))
        err(PV_EXIT_VMM_ERROR, "KVM_GET_VCPU_MMAP_SIZE");
    vm->run_size = (size_t)mmap_size;
    vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
    if (vm->run == MAP_FAILED)
        err(PV_EXIT_VMM_ERROR, "mmap of the vCPU's kvm_run");
    vcpu_set_cpuid(vm);
}

void vm_destroy(struct vm *vm)
{
    if (vm->run && vm->run != MAP_FAILED)
        munmap(vm->run, vm->run_size);
    if (vm->map_base)
        munmap(vm->map_base, vm->map_size);
    if (vm->vcpu_fd > 0)
        close(vm->vcpu_fd);
    if (vm->vm_fd > 0)
        close(vm->vm_fd);
    vm->run = NULL;
    vm->mem.base = NULL;
    vm->map_base = NULL;
    vm->vcpu_fd = vm->vm_fd = -1;
}

void vcpu_set_protected_mode(struct vm *vm)
{
    struct kvm_sregs sregs;
    if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_GET_SREGS");
    struct kvm_segment code = {
        .base = 0, .limit = 0xFFFFFFFF, .selector = 0x08, .type = 0xB, /* execute/read, accessed */
        .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };
    struct kvm_segment data = code;
    data.selector = 0x10;
    data.type = 0x3; /* read/write, accessed */
    sregs.cs = code;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.cr0 = 0x11;  /* PE | ET; paging off */
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_SET_SREGS");
}

void vcpu_set_entry(struct vm *vm, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    struct kvm_regs regs;
    memset(&regs, 0, sizeof(regs));
    regs.rip = eip;
    regs.rax = eax;
    regs.rbx = ebx;
    regs.rflags = 0x2; /* reserved bit 1; interrupts off */
    if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_SET_REGS");
}

uint64_t vcpu_read_tsc(struct vm *vm)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry entry;
    } msrs = { .hdr.nmsrs = 1, .entry.index = 0x10 /* IA32_TIME_STAMP_COUNTER */ };
    if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &msrs) != 1)
        return 0;
    return msrs.entry.data;
}

uint32_t vcpu_tsc_khz(struct vm *vm)
{
    int khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
    return khz > 0 ? (uint32_t)khz : 0;
}

bool vcpu_read_space(struct vm *vm, bool *paging, uint32_t *cr3, bool *pse)
{
    struct kvm_sregs sregs;
    *paging = *pse = false;
    *cr3 = 0;
    if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
        return false;
    *paging = (sregs.cr0 >> 31) & 1;
    *cr3 = (uint32_t)sregs.cr3;
    *pse = (sregs.cr4 >> 4) & 1;
    return true;
}
