/*
 * crash_report.h - what the host prints when the guest stops abnormally: NT's STOP line for a
 * bug check, the registers, and the code around EIP decoded by capstone (kvmtool style).
 */
#ifndef PV_CRASH_REPORT_H
#define PV_CRASH_REPORT_H

#include <stdio.h>

#include "guest_mem.h"
#include "pv_abi.h"

void crash_print_regs(FILE *f, const struct pv_regs *r);

/* Code bytes around EIP and the instruction at EIP with its memory operand's effective address.
 * Reads through the guest's page tables when r->cr0 has PG set. */
void crash_print_code(FILE *f, const struct guest_mem *m, const struct pv_regs *r);

/* "*** STOP: 0x00000050 (...)" with the code's name, the kernel's note, registers and code. */
void bugcheck_report(FILE *f, const struct guest_mem *m, const struct pv_hc_bugcheck *b);

#endif /* PV_CRASH_REPORT_H */
