/* disasm.c - capstone wrapper for 32-bit guest code. */
#include "disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#include "pv_abi.h"

static csh cs_handle;
static bool cs_ready;

int disasm_open(void)
{
    if (cs_ready)
        return 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_32, &cs_handle) != CS_ERR_OK) {
        fprintf(stderr, "pagevisor: capstone: cs_open failed\n");
        return -1;
    }
    cs_option(cs_handle, CS_OPT_DETAIL, CS_OPT_ON);
    cs_ready = true;
    return 0;
}

void disasm_close(void)
{
    if (cs_ready)
        cs_close(&cs_handle);
    cs_ready = false;
}

static uint32_t reg_value(x86_reg r, const struct pv_regs *g, bool *ok)
{
    switch (r) {
    case X86_REG_INVALID: return 0;
    case X86_REG_EAX: return g->eax;
    case X86_REG_EBX: return g->ebx;
    case X86_REG_ECX: return g->ecx;
    case X86_REG_EDX: return g->edx;
    case X86_REG_ESI: return g->esi;
    case X86_REG_EDI: return g->edi;
    case X86_REG_EBP: return g->ebp;
    case X86_REG_ESP: return g->esp;
    default: *ok = false; return 0;
    }
}

/* The effective address of a memory operand (flat segments: the segment base is 0 in both the
 * guest kernel and its processes). */
static bool effective_address(const cs_insn *insn, const struct pv_regs *g, uint32_t *ea)
{
    const cs_x86 *x = &insn->detail->x86;
    for (unsigned i = 0; i < x->op_count; i++) {
        const cs_x86_op *op = &x->operands[i];
        if (op->type != X86_OP_MEM)
            continue;
        bool ok = true;
        uint32_t base = reg_value(op->mem.base, g, &ok);
        uint32_t index = reg_value(op->mem.index, g, &ok);
        if (!ok)
            return false;
        *ea = base + index * (uint32_t)op->mem.scale + (uint32_t)op->mem.disp;
        return true;
    }
    return false;
}

int disasm_one(const uint8_t *code, size_t len, uint32_t eip, const struct pv_regs *regs,
               struct insn_text *out)
{
    memset(out, 0, sizeof(*out));
    if (!cs_ready && disasm_open())
        return -1;
    cs_insn *insn;
    size_t count = cs_disasm(cs_handle, code, len, eip, 1, &insn);
    if (count == 0) {
        snprintf(out->text, sizeof(out->text), "(undecodable)");
        return -1;
    }
    snprintf(out->text, sizeof(out->text), "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
             insn->op_str);
    size_t used = 0;
    for (unsigned i = 0; i < insn->size && used + 4 < sizeof(out->bytes); i++)
        used += (size_t)snprintf(out->bytes + used, sizeof(out->bytes) - used, "%s%02x",
                                 i ? " " : "", insn->bytes[i]);
    out->size = insn->size;
    if (regs)
        out->has_mem = effective_address(insn, regs, &out->mem_ea);
    cs_free(insn, count);
    return 0;
}
