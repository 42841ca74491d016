/*
 * disasm.h - decoding of guest instructions with capstone (32-bit x86), opened once per run,
 * including the effective address of an instruction's memory operand.
 */
#ifndef PV_DISASM_H
#define PV_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pv_regs;

struct insn_text {
    char text[192];       /* "mov eax, dword ptr [0xc0000000]" */
    char bytes[64];       /* "a1 00 00 00 c0" */
    unsigned size;
    bool has_mem;         /* a memory operand was found */
    uint32_t mem_ea;      /* its effective address, from the registers given */
};

/* Open capstone once; returns -1 (with a message on stderr) if it cannot be opened. */
int disasm_open(void);
void disasm_close(void);

/* Decode one instruction at code[0..len) located at address eip. regs (optional) are used to
 * compute the effective address of the memory operand. Returns 0 on success. */
int disasm_one(const uint8_t *code, size_t len, uint32_t eip, const struct pv_regs *regs,
               struct insn_text *out);

#endif /* PV_DISASM_H */
