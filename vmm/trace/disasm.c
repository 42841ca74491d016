/* disasm.c - capstone wrapper for 32-bit guest code, with a per-thread decode cache. */
#include "disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#include "pv_abi.h"

/* Per thread: the trace's writer thread decodes while the vCPU thread may print a crash report. */
static _Thread_local csh cs_handle;
static _Thread_local bool cs_ready;

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

static struct disasm_mem_operand memory_operand(const cs_insn *insn)
{
    struct disasm_mem_operand m = { 0 };
    const cs_x86 *x = &insn->detail->x86;
    for (unsigned i = 0; i < x->op_count; i++) {
        const cs_x86_op *op = &x->operands[i];
        if (op->type != X86_OP_MEM)
            continue;
        struct pv_regs probe = { 0 };
        bool ok = true;
        reg_value(op->mem.base, &probe, &ok);
        reg_value(op->mem.index, &probe, &ok);
        m.present = true;
        m.regs_ok = ok;
        m.base = (int16_t)op->mem.base;
        m.index = (int16_t)op->mem.index;
        m.scale = op->mem.scale;
        m.disp = (int32_t)op->mem.disp;
        break;
    }
    return m;
}

static bool effective_address(const struct disasm_mem_operand *m, const struct pv_regs *g,
                              uint32_t *ea)
{
    if (!m->present || !m->regs_ok)
        return false;
    bool ok = true;
    uint32_t base = reg_value((x86_reg)m->base, g, &ok);
    uint32_t index = reg_value((x86_reg)m->index, g, &ok);
    *ea = base + index * (uint32_t)m->scale + (uint32_t)m->disp;
    return ok;
}

/* Decodes one instruction into out (without mem_ea) and its memory operand. */
static int decode(const uint8_t *code, size_t len, uint32_t eip, struct insn_text *out,
                  struct disasm_mem_operand *mem)
{
    memset(out, 0, sizeof(*out));
    memset(mem, 0, sizeof(*mem));
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
    *mem = memory_operand(insn);
    cs_free(insn, count);
    return 0;
}

int disasm_one(const uint8_t *code, size_t len, uint32_t eip, const struct pv_regs *regs,
               struct insn_text *out)
{
    struct disasm_mem_operand mem;
    if (decode(code, len, eip, out, &mem) != 0)
        return -1;
    if (regs)
        out->has_mem = effective_address(&mem, regs, &out->mem_ea);
    return 0;
}

int disasm_cached(struct disasm_cache *c, uint32_t cr3, const uint8_t *code, size_t len,
                  uint32_t eip, const struct pv_regs *regs, struct insn_text *out)
{
    uint32_t h = (eip * 2654435761u) ^ (cr3 >> 12) * 40503u;
    struct disasm_cache_slot *s = &c->slot[(h >> 8) % DISASM_CACHE_SLOTS];
    if (s->valid && s->cr3 == cr3 && s->eip == eip && s->insn.size <= len &&
        memcmp(s->code, code, s->insn.size) == 0) {
        c->hits++;
        *out = s->insn;
    } else {
        c->misses++;
        /* Only what decoded is kept: undecodable bytes (a partial read, say) are tried again. */
        s->valid = decode(code, len, eip, out, &s->mem) == 0;
        if (!s->valid)
            return -1;
        s->cr3 = cr3;
        s->eip = eip;
        memcpy(s->code, code, out->size <= sizeof(s->code) ? out->size : sizeof(s->code));
        s->insn = *out;
    }
    out->has_mem = regs && effective_address(&s->mem, regs, &out->mem_ea);
    if (!out->has_mem)
        out->mem_ea = 0;
    return 0;
}
