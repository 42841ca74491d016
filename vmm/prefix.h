/*
 * prefix.h - where the pieces pagevisor needs beside itself are: the guest kernels and the
 * static twin that runs inside the KVM runner VM. Two layouts, told apart by where the
 * executable is:
 *   build tree  DIR/pagevisor      DIR/guest/kernel.elf, DIR/guest/kernel-3gb.elf,
 *                                  DIR/pagevisor-static, DIR/../tests/kvm-runner/prepare.sh
 *   install     PREFIX/bin/pagevisor  PREFIX/lib/pagevisor/{kernel.elf,kernel-3gb.elf,
 *                                  pagevisor-static,runner/prepare.sh}
 * An executable in a directory named bin with no guest/ beside it is an install; anything else
 * (build/pagevisor, a unit test binary) is the build tree's layout.
 */
#ifndef PV_PREFIX_H
#define PV_PREFIX_H

#include <stdbool.h>
#include <stddef.h>

enum pv_piece {
    PV_PIECE_KERNEL,
    PV_PIECE_KERNEL_3GB,
    PV_PIECE_STATIC,
    PV_PIECE_RUNNER_PREPARE,   /* the script that prepares the KVM runner's cache */
};

struct pv_piece_where {
    char path[4096];       /* where the piece belongs */
    char provider[4200];   /* the command that puts it there */
    bool installed;        /* the install's layout (else the build tree's) */
};

/* Where piece belongs for the executable at exe (an absolute path). Returns 0, or -1 when the
 * path does not fit. */
int pv_piece_locate(const char *exe, enum pv_piece piece, struct pv_piece_where *w);

/* The same for this process (/proc/self/exe); relative to the current directory
 * (build/guest/kernel.elf, build/pagevisor-static) when that cannot be read. */
int pv_piece_locate_self(enum pv_piece piece, struct pv_piece_where *w);

/* Whether the default kernel of a run (kernel-3gb.elf for --3gb) is where it belongs; if not,
 * says on stderr which file is missing and which command provides it. */
bool pv_default_kernel_present(bool three_gb);

#endif /* PV_PREFIX_H */
