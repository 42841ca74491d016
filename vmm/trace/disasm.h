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

/* Open capstone once per thread (each thread that decodes has its own handle); returns -1
 * (with a message on stderr) if it cannot be opened. */
int disasm_open(void);
void disasm_close(void);

/* Decode one instruction at code[0..len) located at address eip. regs (optional) are used to
 * compute the effective address of the memory operand. Returns 0 on success. */
int disasm_one(const uint8_t *code, size_t len, uint32_t eip, const struct pv_regs *regs,
               struct insn_text *out);

/* Decoded instructions remembered by (CR3, EIP) and their bytes, so that a loop that faults at
 * the same instruction thousands of times is decoded once; the effective address is still
 * computed from each fault's registers. Direct-mapped; a collision or changed code bytes just
 * decode again. One cache per thread. */
#define DISASM_CACHE_SLOTS 1024
/* An instruction's first memory operand (flat segments: the segment base is 0 in both the
 * guest kernel and its processes). */
struct disasm_mem_operand {
    bool present;
    bool regs_ok;               /* base and index are general registers a fault record carries */
    int16_t base, index;        /* capstone register ids, 0 for none */
    int32_t scale, disp;
};
struct disasm_cache_slot {
    bool valid;                 /* holds a decoded instruction */
    uint32_t cr3, eip;
    uint8_t code[16];           /* the instruction's bytes (size of them) when decoded */
    struct insn_text insn;      /* mem_ea unset: it depends on the registers */
    struct disasm_mem_operand mem;
};
struct disasm_cache {
    struct disasm_cache_slot slot[DISASM_CACHE_SLOTS];
    unsigned long long hits, misses;
};

/* disasm_one through the cache: same results, same return value. */
int disasm_cached(struct disasm_cache *c, uint32_t cr3, const uint8_t *code, size_t len,
                  uint32_t eip, const struct pv_regs *regs, struct insn_text *out);

#endif /* PV_DISASM_H */
