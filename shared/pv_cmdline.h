/*
 * pv_cmdline.h - the pv.* options of the guest kernel's command line: one list, which the host
 * checks `pagevisor run --cmdline` against (an unknown key or a value the kernel would clamp
 * or ignore gets a warning) and which names what the kernel reads (guest/ke/main.c,
 * guest/mm/mminit.c, guest/mm/largepag.c, guest/ps/psinit.c, guest/ke/forktest.c).
 *
 * The kernel reads a number as decimal or 0x-hexadecimal (KiQueryCommandLineValue); a flag is
 * a word of its own; a choice is pv.KEY=WORD with WORD from a fixed set. The ranges are the
 * kernel's fixed limits; some are tightened at boot by the machine (pv.wsmax by the RAM).
 * tests/cli.sh checks that every "pv.KEY" the guest sources name is in this list.
 *
 * X(name, kind, minimum, maximum, choices)
 */
#ifndef PV_CMDLINE_H
#define PV_CMDLINE_H

#define PV_KEY_FLAG   0 /* pv.KEY */
#define PV_KEY_NUMBER 1 /* pv.KEY=N, minimum <= N <= maximum */
#define PV_KEY_CHOICE 2 /* pv.KEY=WORD, WORD one of the space-separated choices */

#define PV_CMDLINE_KEYS(X)                                                                      \
    X("pv.burnpages", PV_KEY_NUMBER, 0u, 0xFFFFFFFFu, NULL)   /* pages of RAM left unused */  \
    X("pv.readcluster", PV_KEY_NUMBER, 1u, 16u, NULL)         /* PV_PAGEFILE_CLUSTER_MAX */   \
    X("pv.readaroundmax", PV_KEY_NUMBER, 1u, 16u, NULL)       /* PV_PAGEFILE_CLUSTER_MAX */   \
    X("pv.wsmin", PV_KEY_NUMBER, 0u, 0xFFFFFFFFu, NULL)       /* at most pv.wsmax */          \
    X("pv.wsmax", PV_KEY_NUMBER, 16u, 0xFFFFFFFFu, NULL)      /* at most the available RAM */ \
    X("pv.cloneblocks", PV_KEY_NUMBER, 1u, 8191u, NULL)       /* MI_CLONE_BLOCKS - 1 */       \
    X("pv.largekernel", PV_KEY_NUMBER, 0u, 1u, NULL)                                          \
    X("pv.startimages", PV_KEY_NUMBER, 0u, 0xFFFFFFFFu, NULL) /* set by --child */            \
    X("pv.parallel", PV_KEY_FLAG, 0u, 0u, NULL)               /* set by --parallel */         \
    X("pv.debugclone", PV_KEY_FLAG, 0u, 0u, NULL)                                             \
    X("pv.selftest", PV_KEY_CHOICE, 0u, 0u,                                                   \
      "bugcheck stackoverflow irql readonly kernelstack expandstack triplefault")

#endif /* PV_CMDLINE_H */
