/*
 * crash_report.h - what the host prints when the guest stops abnormally: NT's STOP line for a
 * bug check, the registers, the code around EIP decoded by capstone (kvmtool style), the
 * function EIP lies in, and a backtrace along the EBP chain (the guest keeps frame pointers).
 */
#ifndef PV_CRASH_REPORT_H
#define PV_CRASH_REPORT_H

#include <stdio.h>

#include <stdbool.h>

#include "guest_mem.h"
#include "pv_abi.h"
#include "symbols.h"

#define CRASH_BACKTRACE_MAX 16 /* frames a backtrace shows at most */

void crash_print_regs(FILE *f, const struct pv_regs *r);
/* The same, with cr2 left out when there is no fault address (it holds an older fault's). */
void crash_print_regs_cr2(FILE *f, const struct pv_regs *r, bool with_cr2);

/* Code bytes around EIP and the instruction at EIP with its memory operand's effective address.
 * Reads through the guest's page tables when r->cr0 has PG set. */
void crash_print_code(FILE *f, const struct guest_mem *m, const struct pv_regs *r);
/* The same, naming the function EIP lies in (syms may be NULL; process as for symbolize()). */
void crash_print_code_sym(FILE *f, const struct guest_mem *m, const struct pv_regs *r,
                          const struct symbolizer *syms, const char *process);

/* "  backtrace:" and one line per frame, EIP first, then the return addresses found along the
 * EBP chain through the page tables of r->cr3: at most CRASH_BACKTRACE_MAX frames, stopping at
 * a frame pointer that is zero, misaligned, unmapped, or not above the one before (garbage).
 * Return addresses are named after the call before them; so is EIP when eip_is_return (the
 * registers of a call, not of a trap). Returns the number of frames shown. */
unsigned crash_print_backtrace(FILE *f, const struct guest_mem *m, const struct pv_regs *r,
                               bool eip_is_return, const struct symbolizer *syms,
                               const char *process);

/* "*** STOP: 0x00000050 (...)" with the code's name, the kernel's note, registers, code and
 * backtrace (symbols from syms, which may be NULL; process: the one the kernel was in). */
void bugcheck_report(FILE *f, const struct guest_mem *m, const struct pv_hc_bugcheck *b,
                     const struct symbolizer *syms, const char *process);

#endif /* PV_CRASH_REPORT_H */
