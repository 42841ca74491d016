/*
 * run.h - `pagevisor run`: boot the guest kernel with the given images, here under KVM or, when
 * this host's KVM cannot run 32-bit paged guests, inside the KVM runner VM.
 */
#ifndef PV_RUN_H
#define PV_RUN_H

int cmd_run(int argc, char **argv);
/* Notes the process's start, for --stats' time line: main() calls it first thing. */
void run_mark_start(void);
int cmd_probe(int argc, char **argv);

#endif /* PV_RUN_H */
