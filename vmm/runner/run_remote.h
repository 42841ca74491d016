/*
 * run_remote.h - `pagevisor run` inside the KVM runner VM: the same command, its files mapped to
 * paths inside the VM, its output and exit status brought back.
 */
#ifndef PV_RUN_REMOTE_H
#define PV_RUN_REMOTE_H

#include "options.h"

/* Returns the exit status of the run inside the VM, or PV_EXIT_* for a runner failure. */
int run_remote(const struct run_options *o);

#endif /* PV_RUN_REMOTE_H */
