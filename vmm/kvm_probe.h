/*
 * kvm_probe.h - does this host's KVM run 32-bit paged guests? Found out by trying: a tiny guest
 * turns on two-level paging and reads through a non-identity mapping.
 */
#ifndef PV_KVM_PROBE_H
#define PV_KVM_PROBE_H

#include <stdbool.h>
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

/* kvm_probe() once per host boot: the answer of a probe that could tell (capable, or no 32-bit
 * paging) is kept for this boot and this set of KVM modules in a file of the user's own
 * (/tmp/pagevisor-probe-UID, mode 0600), so a run starts no second VM to ask again. No /dev/kvm,
 * no permission and failures are found again every time (they are cheap, or may change).
 * *cached says whether the answer came from the file. `pagevisor probe` always probes anew. */
enum kvm_probe_result kvm_probe_cached(char *why, size_t whylen, bool *cached);
/* Probes anew and keeps the answer for kvm_probe_cached(). */
enum kvm_probe_result kvm_probe_fresh(char *why, size_t whylen);

const char *kvm_probe_result_name(enum kvm_probe_result r);

#endif /* PV_KVM_PROBE_H */
