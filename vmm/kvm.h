/*
 * kvm.h - one VM with one vCPU and guest RAM in one memory slot: creation, x86 register setup
 * for a Multiboot entry (32-bit protected mode, paging off), and teardown.
 */
#ifndef PV_KVM_H
#define PV_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"

struct vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    struct guest_mem mem;
    void *map_base;      /* the mapping guest RAM sits in (larger when aligned for huge pages) */
    size_t map_size;
};


enum kvm_open_result {
    KVM_OPEN_OK,
    KVM_OPEN_MISSING,     /* no /dev/kvm */
    KVM_OPEN_DENIED,      /* no permission on /dev/kvm */
    KVM_OPEN_FAILED,      /* other error, or an API version we do not speak */
};

/* Open /dev/kvm. On failure writes one line naming the cause into why. */
enum kvm_open_result kvm_open(int *fd, char *why, size_t whylen);

/* Create the VM, its RAM, KVM's in-kernel interrupt controllers if asked (then HLT waits for an
 * interrupt inside KVM instead of exiting) and its vCPU. Exits with PV_EXIT_VMM_ERROR naming
 * the ioctl that failed: these fail only on a broken host, never because of what a guest does. */
void vm_create(struct vm *vm, int kvm_fd, uint64_t mem_size, bool interrupt_controllers,
               enum vm_thp thp);
void vm_destroy(struct vm *vm);

/* Flat 32-bit protected mode, paging off, as the Multiboot spec prescribes at kernel entry. */
void vcpu_set_protected_mode(struct vm *vm);
void vcpu_set_entry(struct vm *vm, uint32_t eip, uint32_t eax, uint32_t ebx);

/* The guest's time stamp counter and its rate (kHz; 0 when KVM cannot say), to turn the TSC
 * values in fault records into times. */
uint64_t vcpu_read_tsc(struct vm *vm);
/* The address space the vCPU is in now, as the host's page-table walker takes it: paging on
 * (CR0.PG), CR3, large pages (CR4.PSE); false (and zeroes) when KVM will not say. */
bool vcpu_read_space(struct vm *vm, bool *paging, uint32_t *cr3, bool *pse);
uint32_t vcpu_tsc_khz(struct vm *vm);

#endif /* PV_KVM_H */
