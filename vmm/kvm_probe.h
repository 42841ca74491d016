/*
 * kvm_probe.h - does this host's KVM run 32-bit paged guests? Found out by trying: a tiny guest
 * turns on two-level paging and reads through a non-identity mapping.
 */
#ifndef PV_KVM_PROBE_H
#define PV_KVM_PROBE_H

#include <stddef.h>

enum kvm_probe_result {
    PROBE_CAPABLE,
    PROBE_NO_KVM,         /* no /dev/kvm */
    PROBE_NO_PERMISSION,  /* /dev/kvm not accessible */
    PROBE_NO_32BIT_PAGING,/* KVM works but refuses 32-bit paging (kvm-pvm) */
    PROBE_FAILED,         /* KVM misbehaved in some other way */
};

/* Runs the probe in a child process (so a misbehaving KVM cannot hang or kill the caller),
 * with a time limit. why receives one line explaining a negative result. */
enum kvm_probe_result kvm_probe(char *why, size_t whylen);

const char *kvm_probe_result_name(enum kvm_probe_result r);

#endif /* PV_KVM_PROBE_H */
