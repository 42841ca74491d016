/* test_disasm.c - capstone decoding and effective addresses of known instruction bytes, and
 * the crash report's code listing read through guest page tables. */
#include <stdlib.h>
#include <string.h>

#include "crash_report.h"
#include "disasm.h"
#include "nt_pte.h"
#include "unit.h"

static struct pv_regs regs(void)
{
    struct pv_regs r;
    memset(&r, 0, sizeof(r));
    r.eax = 0x80100000u;
    r.ebx = 0x00400000u;
    r.ecx = 3;
    r.esp = 0x7FFDFF00u;
    return r;
}

static void decodes_absolute_load(void)
{
    static const uint8_t code[] = { 0xA1, 0x00, 0x00, 0x00, 0xC0 };
    struct pv_regs r = regs();
    struct insn_text t;
    CU_ASSERT_EQUAL_FATAL(disasm_one(code, sizeof(code), 0x00401000u, &r, &t), 0);
    CU_ASSERT_STRING_EQUAL(t.text, "mov eax, dword ptr [0xc0000000]");
    CU_ASSERT_STRING_EQUAL(t.bytes, "a1 00 00 00 c0");
    CU_ASSERT_EQUAL(t.size, 5u);
    CU_ASSERT_TRUE(t.has_mem);
    CU_ASSERT_EQUAL(t.mem_ea, 0xC0000000u);
}

static void computes_register_effective_addresses(void)
{
    struct pv_regs r = regs();
    struct insn_text t;
    static const uint8_t store[] = { 0x89, 0x08 };              /* mov [eax], ecx */
    CU_ASSERT_EQUAL_FATAL(disasm_one(store, sizeof(store), 0x401000u, &r, &t), 0);
    CU_ASSERT_STRING_EQUAL(t.text, "mov dword ptr [eax], ecx");
    CU_ASSERT_EQUAL(t.mem_ea, 0x80100000u);
    static const uint8_t stack[] = { 0x8B, 0x44, 0x24, 0x04 };  /* mov eax, [esp+4] */
    CU_ASSERT_EQUAL_FATAL(disasm_one(stack, sizeof(stack), 0x401000u, &r, &t), 0);
    CU_ASSERT_EQUAL(t.mem_ea, 0x7FFDFF04u);
    static const uint8_t scaled[] = { 0x8B, 0x44, 0x8B, 0x10 }; /* mov eax, [ebx+ecx*4+0x10] */
    CU_ASSERT_EQUAL_FATAL(disasm_one(scaled, sizeof(scaled), 0x401000u, &r, &t), 0);
    CU_ASSERT_EQUAL(t.mem_ea, 0x0040001Cu);
    static const uint8_t nomem[] = { 0x31, 0xC0 };              /* xor eax, eax */
    CU_ASSERT_EQUAL_FATAL(disasm_one(nomem, sizeof(nomem), 0x401000u, &r, &t), 0);
    CU_ASSERT_FALSE(t.has_mem);
}

static void refuses_truncated_instruction(void)
{
    static const uint8_t cut[] = { 0xA1, 0x00, 0x00 };
    struct insn_text t;
    CU_ASSERT_EQUAL(disasm_one(cut, sizeof(cut), 0x401000u, NULL, &t), -1);
    CU_ASSERT_STRING_EQUAL(t.text, "(undecodable)");
}

static void crash_report_lists_code_through_page_tables(void)
{
    enum { RAM = 1u << 20, PD = 0x10000, PT = 0x11000, CODE = 0x20000 };
    struct guest_mem m = { calloc(1, RAM), RAM };
    CU_ASSERT_PTR_NOT_NULL_FATAL(m.base);
    uint32_t pde = PT | PTE_VALID, pte = CODE | PTE_VALID;
    memcpy(m.base + PD + 1 * 4, &pde, 4);          /* 0x00400000 */
    memcpy(m.base + PT + 1 * 4, &pte, 4);          /* 0x00401000 -> CODE */
    static const uint8_t code[] = { 0x90, 0x90, 0xA1, 0x00, 0x00, 0x00, 0xC0 };
    memcpy(m.base + CODE + 0x10, code, sizeof(code));
    struct pv_regs r = regs();
    r.eip = 0x00401012u;
    r.cr0 = 0x80000011u;
    r.cr3 = PD;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    crash_print_code(f, &m, &r);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "90 90 <a1> 00 00 00 c0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "00401012: a1 00 00 00 c0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "mov eax, dword ptr [0xc0000000]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "ea c0000000"));
    free(text);

    r.eip = 0x00800000u;                           /* not mapped */
    f = open_memstream(&text, &len);
    crash_print_code(f, &m, &r);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "not readable"));
    free(text);
    free(m.base);
}

/* The cache answers exactly as a decode would: per-fault effective addresses, another address
 * space or changed bytes decode anew. */
static void cache_answers_as_a_decode_would(void)
{
    static struct disasm_cache c;
    static const uint8_t store[] = { 0xC7, 0x04, 0x8B, 0x01, 0x00, 0x00, 0x00 };
    static const uint8_t load[] = { 0x8B, 0x03 };
    struct pv_regs r = regs();
    struct insn_text a, b;
    CU_ASSERT_EQUAL_FATAL(disasm_one(store, sizeof(store), 0x401000u, &r, &a), 0);
    CU_ASSERT_EQUAL_FATAL(disasm_cached(&c, 0x10000, store, sizeof(store), 0x401000u, &r, &b), 0);
    CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
    CU_ASSERT_EQUAL(c.misses, 1u);
    r.ecx = 5;                                   /* the same instruction, other registers */
    CU_ASSERT_EQUAL_FATAL(disasm_cached(&c, 0x10000, store, sizeof(store), 0x401000u, &r, &b), 0);
    CU_ASSERT_EQUAL(c.hits, 1u);
    CU_ASSERT_STRING_EQUAL(b.text, "mov dword ptr [ebx + ecx*4], 1");
    CU_ASSERT(b.has_mem);
    CU_ASSERT_EQUAL(b.mem_ea, 0x00400000u + 5 * 4);
    /* Other code at the same EIP (a new image in the same address space), another CR3. */
    CU_ASSERT_EQUAL_FATAL(disasm_cached(&c, 0x10000, load, sizeof(load), 0x401000u, &r, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.text, "mov eax, dword ptr [ebx]");
    CU_ASSERT_EQUAL(b.mem_ea, 0x00400000u);
    CU_ASSERT_EQUAL_FATAL(disasm_cached(&c, 0x20000, store, sizeof(store), 0x401000u, &r, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.text, "mov dword ptr [ebx + ecx*4], 1");
    CU_ASSERT_EQUAL(c.misses, 3u);
    /* Bytes that do not decode are not remembered as decoded. */
    static const uint8_t cut[] = { 0x0F };
    CU_ASSERT_EQUAL(disasm_cached(&c, 0x10000, cut, sizeof(cut), 0x402000u, &r, &b), -1);
    CU_ASSERT_EQUAL(disasm_cached(&c, 0x10000, cut, sizeof(cut), 0x402000u, &r, &b), -1);
    CU_ASSERT_EQUAL(c.misses, 5u);
}

static const struct unit_test tests[] = {
    UNIT_TEST(cache_answers_as_a_decode_would),
    UNIT_TEST(decodes_absolute_load),
    UNIT_TEST(computes_register_effective_addresses),
    UNIT_TEST(refuses_truncated_instruction),
    UNIT_TEST(crash_report_lists_code_through_page_tables),
};

int main(void)
{
    int rc = unit_run("disasm", tests, sizeof(tests) / sizeof(tests[0]));
    disasm_close();
    return rc;
}
