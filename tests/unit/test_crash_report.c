/*
 * test_crash_report.c - the backtrace of crash reports (vmm/trace/crash_report.c) on plain memory
 * with paging off: EIP first, then each return address along the EBP chain up to a zero frame
 * pointer, named by the symbolizer (a return address after the call before it); the walk stops
 * with a note at a frame pointer that is misaligned, outside memory or not above the one
 * before, and after CRASH_BACKTRACE_MAX frames; registers without cr2 when asked.
 */
#include <stdlib.h>
#include <string.h>

#include "crash_report.h"
#include "unit.h"

#define RAM 0x10000u

static struct guest_mem mem;

static void put32(uint32_t gpa, uint32_t v) { memcpy(mem.base + gpa, &v, 4); }

/* A frame at ebp: the caller's ebp, then the return address. */
static void frame(uint32_t ebp, uint32_t next, uint32_t ret)
{
    put32(ebp, next);
    put32(ebp + 4, ret);
}

static char *backtrace_text(const struct pv_regs *r, bool eip_is_return,
                            const struct symbolizer *syms, unsigned *frames)
{
    static char text[8192];
    FILE *f = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    *frames = crash_print_backtrace(f, &mem, r, eip_is_return, syms, "app");
    fclose(f);
    return text;
}

static struct symbolizer fake_syms(void)
{
    static struct symbol image_syms[] = {
        { 0x401000, 0x100, "main" },
        { 0x401100, 0x20, "Helper" },   /* ends with a call that does not return */
        { 0x401200, 0x80, "_start" },
    };
    static struct symbol_file image = { .name = "app", .syms = image_syms, .n = 3 };
    struct symbolizer s = { .images = &image, .nimages = 1 };
    return s;
}

static void follows_the_chain(void)
{
    mem.base = calloc(1, RAM);
    mem.size = RAM;
    frame(0x8000, 0x8100, 0x401120);   /* returns just past Helper: named Helper+0x20 */
    frame(0x8100, 0x8200, 0x401050);
    frame(0x8200, 0, 0x401210);
    struct pv_regs r = { .eip = 0x401108, .ebp = 0x8000 };
    struct symbolizer s = fake_syms();
    unsigned n;
    char *t = backtrace_text(&r, false, &s, &n);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_STRING_EQUAL(t, "  backtrace:\n"
                              "    #0  00401108 Helper+0x8\n"
                              "    #1  00401120 Helper+0x20\n"
                              "    #2  00401050 main+0x50\n"
                              "    #3  00401210 _start+0x10\n");
    /* The registers of a call: EIP is a return address too. */
    r.eip = 0x401100;
    t = backtrace_text(&r, true, &s, &n);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "#0  00401100 main+0x100\n"));
    t = backtrace_text(&r, false, &s, &n);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "#0  00401100 Helper\n"));
    t = backtrace_text(&r, false, NULL, &n);             /* no symbols: addresses only */
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "#1  00401120\n"));
    free(mem.base);
}

static void stops_at_garbage(void)
{
    mem.base = calloc(1, RAM);
    mem.size = RAM;
    unsigned n;
    frame(0x8000, 0x7000, 0x401050);                     /* leads down the stack */
    struct pv_regs r = { .eip = 0x401008, .ebp = 0x8000 };
    char *t = backtrace_text(&r, false, NULL, &n);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "(stopped at a frame pointer that does not lead up the "
                                     "stack: 00008000)"));
    frame(0x8000, 0x8102, 0x401050);                     /* misaligned */
    t = backtrace_text(&r, false, NULL, &n);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "(stopped at a misaligned frame pointer: 00008102)"));
    frame(0x8000, 0xFFF0000, 0x401050);                  /* outside RAM */
    t = backtrace_text(&r, false, NULL, &n);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "unmapped memory: 0fff0000"));
    for (uint32_t i = 0; i < 40; i++)                    /* deeper than shown */
        frame(0x8000 + 16 * i, 0x8000 + 16 * (i + 1), 0x401000 + i);
    t = backtrace_text(&r, false, NULL, &n);
    CU_ASSERT_EQUAL(n, CRASH_BACKTRACE_MAX);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "(more frames not shown)"));
    r.ebp = 0;                                           /* no frame at all */
    t = backtrace_text(&r, false, NULL, &n);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_STRING_EQUAL(t, "  backtrace:\n    #0  00401008\n");
    free(mem.base);
}

static void registers_without_cr2(void)
{
    char text[512];
    struct pv_regs r = { .eax = 1, .eip = 0x401000, .cs = 0x1b, .cr0 = 0x80010031u,
                         .cr2 = 0xDEAD0000u, .cr3 = 0x1a3000, .cr4 = 0x90 };
    FILE *f = fmemopen(text, sizeof(text), "w");
    crash_print_regs_cr2(f, &r, false);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "  cr0=80010031 cr3=001a3000 cr4=00000090\n"));
    CU_ASSERT_PTR_NULL(strstr(text, "dead0000"));
    f = fmemopen(text, sizeof(text), "w");
    crash_print_regs(f, &r);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "cr2=dead0000"));
}

/* A fault record's registers (cs 0) carry no CR0/CR4: the report leaves them out rather than
 * print the walker's assumed values as if they had been read. */
static void record_registers_leave_out_cr0_cr4(void)
{
    char text[512];
    struct pv_regs r = { .eip = 0x401000, .cr0 = 0x80010011u, .cr2 = 0x10000, .cr3 = 0x1a3000,
                         .cr4 = 0x90 };
    FILE *f = fmemopen(text, sizeof(text), "w");
    crash_print_regs(f, &r);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "  cr2=00010000 cr3=001a3000\n"));
    CU_ASSERT_PTR_NULL(strstr(text, "cr0="));
    CU_ASSERT_PTR_NULL(strstr(text, "cr4="));
}

static const struct unit_test tests[] = {
    UNIT_TEST(follows_the_chain),
    UNIT_TEST(stops_at_garbage),
    UNIT_TEST(registers_without_cr2),
    UNIT_TEST(record_registers_leave_out_cr0_cr4),
};
UNIT_MAIN("crash_report", tests)
