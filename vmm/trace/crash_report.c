/* crash_report.c - bug-check, exception and triple-fault reports. */
#include "crash_report.h"

#include "disasm.h"
#include "ntstatus.h"
#include "pt_walk.h"

#define CR0_PG  0x80000000u
#define CR4_PSE 0x00000010u

void crash_print_regs(FILE *f, const struct pv_regs *r)
{
    crash_print_regs_cr2(f, r, true);
}

void crash_print_regs_cr2(FILE *f, const struct pv_regs *r, bool with_cr2)
{
    fprintf(f, "  eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n",
            r->eax, r->ebx, r->ecx, r->edx, r->esi, r->edi);
    /* Fault trace records carry no flags or selectors (cs 0): leave out what is unknown. */
    if (r->cs)
        fprintf(f, "  eip=%08x esp=%08x ebp=%08x efl=%08x cs=%04x ss=%04x\n",
                r->eip, r->esp, r->ebp, r->eflags, r->cs, r->ss);
    else
        fprintf(f, "  eip=%08x esp=%08x ebp=%08x\n", r->eip, r->esp, r->ebp);
    /* Nor CR0 and CR4: only the walker's assumptions stand there (paging and PSE on). */
    if (!r->cs)
        fprintf(f, "  cr2=%08x cr3=%08x\n", r->cr2, r->cr3);
    else if (with_cr2)
        fprintf(f, "  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", r->cr0, r->cr2, r->cr3, r->cr4);
    else
        fprintf(f, "  cr0=%08x cr3=%08x cr4=%08x\n", r->cr0, r->cr3, r->cr4);
}

void crash_print_code(FILE *f, const struct guest_mem *m, const struct pv_regs *r)
{
    crash_print_code_sym(f, m, r, NULL, NULL);
}

void crash_print_code_sym(FILE *f, const struct guest_mem *m, const struct pv_regs *r,
                          const struct symbolizer *syms, const char *process)
{
    enum { BEFORE = 16, AFTER = 16 };
    bool paging = r->cr0 & CR0_PG, pse = r->cr4 & CR4_PSE;
    uint8_t code[BEFORE + AFTER];
    /* Bytes before EIP may sit on an unmapped page: read them separately. */
    size_t before = pt_read_virt(m, paging, r->cr3, pse, r->eip - BEFORE, code, BEFORE);
    size_t after = pt_read_virt(m, paging, r->cr3, pse, r->eip, code + BEFORE, AFTER);
    if (after == 0) {
        fprintf(f, "  code: eip %08x is not readable (%s)\n", r->eip,
                paging ? "not mapped through cr3" : "outside guest RAM");
        return;
    }
    fprintf(f, "  code:");
    for (size_t i = before == BEFORE ? 0 : BEFORE; i < BEFORE + after; i++)
        fprintf(f, i == BEFORE ? " <%02x>" : " %02x", code[i]);
    fprintf(f, "\n");
    char where[80] = "";
    if (symbolize(syms, process, r->eip, where + 1, sizeof(where) - 1))
        where[0] = ' ';
    struct insn_text insn;
    if (disasm_one(code + BEFORE, after, r->eip, r, &insn) == 0) {
        fprintf(f, "  %08x%s: %-20s %s", r->eip, where, insn.bytes, insn.text);
        if (insn.has_mem)
            fprintf(f, "    ; ea %08x", insn.mem_ea);
        fprintf(f, "\n");
    } else {
        fprintf(f, "  %08x%s: (undecodable)\n", r->eip, where);
    }
}

static void print_frame(FILE *f, unsigned n, uint32_t eip, bool is_return,
                        const struct symbolizer *syms, const char *process)
{
    char name[80];
    if (is_return ? symbolize_return(syms, process, eip, name, sizeof(name)) :
                    symbolize(syms, process, eip, name, sizeof(name)))
        fprintf(f, "    #%-2u %08x %s\n", n, eip, name);
    else
        fprintf(f, "    #%-2u %08x\n", n, eip);
}

unsigned crash_print_backtrace(FILE *f, const struct guest_mem *m, const struct pv_regs *r,
                               bool eip_is_return, const struct symbolizer *syms,
                               const char *process)
{
    bool paging = r->cr0 & CR0_PG, pse = r->cr4 & CR4_PSE;
    unsigned n = 0;
    fprintf(f, "  backtrace:\n");
    print_frame(f, n++, r->eip, eip_is_return, syms, process);
    uint32_t ebp = r->ebp;
    const char *stop = NULL;
    while (n < CRASH_BACKTRACE_MAX) {
        uint32_t frame[2]; /* the caller's EBP, then the return address */
        if (ebp == 0)
            break; /* the outermost frame */
        if (ebp & 3) {
            stop = "a misaligned frame pointer";
            break;
        }
        if (pt_read_virt(m, paging, r->cr3, pse, ebp, frame, sizeof(frame)) != sizeof(frame)) {
            stop = "a frame pointer into unmapped memory";
            break;
        }
        if (frame[1] == 0)
            break;
        print_frame(f, n++, frame[1], true, syms, process);
        if (frame[0] != 0 && frame[0] <= ebp) {
            stop = "a frame pointer that does not lead up the stack";
            break;
        }
        ebp = frame[0];
    }
    if (stop)
        fprintf(f, "    (stopped at %s: %08x)\n", stop, ebp);
    else if (n == CRASH_BACKTRACE_MAX && ebp != 0)
        fprintf(f, "    (more frames not shown)\n");
    return n;
}

void bugcheck_report(FILE *f, const struct guest_mem *m, const struct pv_hc_bugcheck *b,
                     const struct symbolizer *syms, const char *process)
{
    const char *name = pv_bugcheck_name(b->code);
    fprintf(f, "pagevisor: guest bug check 0x%08X %s\n", b->code, name ? name : "(unknown code)");
    fprintf(f, "*** STOP: 0x%08X (0x%08X,0x%08X,0x%08X,0x%08X)\n", b->code, b->param[0],
            b->param[1], b->param[2], b->param[3]);
    if (name)
        fprintf(f, "%s\n", name);
    if (b->text[0])
        fprintf(f, "  %.*s\n", (int)sizeof(b->text), b->text);
    if (b->regs_valid) {
        crash_print_regs(f, &b->regs);
        crash_print_code_sym(f, m, &b->regs, syms, process);
    }
    /* Without a trap frame the kernel still gives EIP and EBP of KeBugCheckEx's caller. */
    if (b->regs.eip)
        crash_print_backtrace(f, m, &b->regs, !b->regs_valid, syms, process);
    fflush(f);
}
