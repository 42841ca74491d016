/*
 * pagein.h - the memory layout the host-path benchmark's guest and its host loop agree on,
 * usable from assembly and C. The host checks the call block offsets against pv_abi.h.
 */
#ifndef BENCH_PAGEIN_H
#define BENCH_PAGEIN_H

#define PAGEIN_LOAD_GPA    0x1000    /* the guest's code, linked and loaded here */
#define PAGEIN_PARAMS_GPA  0x8000    /* struct pagein_params */
#define PAGEIN_BLOCKS_GPA  0x10000   /* the call blocks, one per unit, back to back */

/* What the guest does (PARAM_MODE). */
#define PAGEIN_MODE_READ   0  /* one PV_HC_PAGEFILE_IO call per block, then hlt */
#define PAGEIN_MODE_EXITS  1  /* PARAM_COUNT bare `out`s to PAGEIN_NULL_PORT: the exit floor */
#define PAGEIN_MODE_SPIN   2  /* PARAM_COUNT turns of a two-instruction loop, no exit */

/* struct pagein_params, in bytes. */
#define PARAM_MODE         0  /* in: PAGEIN_MODE_* */
#define PARAM_COUNT        4  /* in: call blocks, exits or loop turns */
#define PARAM_BLOCKS       8  /* in: gpa of the first call block */
#define PARAM_STATUS      12  /* out: 0 when every call succeeded, else 1 + the failed block */
#define PARAM_RET         16  /* out: the failed call's ret */

/* struct pv_hc_pagefile_io, in bytes (checked against pv_abi.h by the host). */
#define IO_OP       0
#define IO_SLOT     4
#define IO_COUNT    8
#define IO_FRAMES  12
#define IO_RET     76
#define IO_DONE    80
#define IO_SIZE    84

#define PAGEIN_PORT      0x509  /* PV_HC_PORT(PV_HC_PAGEFILE_IO) */
#define PAGEIN_NULL_PORT 0x80   /* the POST port: an exit that asks for nothing */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct pagein_params {
    uint32_t mode, count, blocks;
    uint32_t status;
    int32_t ret;
};
#endif

#endif /* BENCH_PAGEIN_H */
