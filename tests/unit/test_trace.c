/* test_trace.c - WinDbg-style PTE descriptions and the three fault trace formats. */
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "nt_pte.h"
#include "pte_format.h"
#include "pv_abi.h"
#include "trace.h"
#include "unit.h"

static void flag_letters_match_windbg_example(void)
{
    char buf[128];
    /* kd> !pte 801544f4: "pfn 3b G-DA--KWV" for the PDE, "pfn 154 G--A--KRV" for the PTE. */
    CU_ASSERT_STRING_EQUAL(pte_describe(0x0003B163u, true, buf, sizeof(buf)), "pfn 3b G-DA--KWV");
    CU_ASSERT_STRING_EQUAL(pte_describe(0x00154121u, false, buf, sizeof(buf)),
                           "pfn 154 G--A--KRV");
    CU_ASSERT_STRING_EQUAL(pte_describe(0x0001D067u, false, buf, sizeof(buf)),
                           "pfn 1d --DA--UWV");
    CU_ASSERT_STRING_EQUAL(pte_describe(0x004000E3u, true, buf, sizeof(buf)),
                           "pfn 400 -LDA--KWV LARGE PAGE");
    /* A global supervisor large PDE; bit 7 of a PTE is not "L" (it is PAT there). */
    CU_ASSERT_STRING_EQUAL(pte_describe(0x008001E3u, true, buf, sizeof(buf)),
                           "pfn 800 GLDA--KWV LARGE PAGE");
    CU_ASSERT_STRING_EQUAL(pte_describe(0x008001E3u, false, buf, sizeof(buf)),
                           "pfn 800 G-DA--KWV");
    CU_ASSERT_STRING_EQUAL(pte_describe(0x0001D225u, false, buf, sizeof(buf)),
                           "pfn 1d ---A--URV CopyOnWrite");
}

static void invalid_ptes_are_decoded(void)
{
    char buf[128];
    CU_ASSERT_STRING_EQUAL(pte_describe(0x80u, false, buf, sizeof(buf)),
                           "not valid: DemandZero, Protect: 4 - ReadWrite");
    CU_ASSERT_STRING_EQUAL(pte_describe(0x280u, false, buf, sizeof(buf)),
                           "not valid: DemandZero, Protect: 14 - ReadWrite Guard");
    CU_ASSERT_STRING_EQUAL(pte_describe(0x300u, false, buf, sizeof(buf)),
                           "not valid: DemandZero, Protect: 18 - NoAccess");
    CU_ASSERT_STRING_EQUAL(pte_describe(MI_MAKE_PAGEFILE_PTE(0, 0x1234, MM_READONLY), false, buf,
                                        sizeof(buf)),
                           "not valid: PageFile: 0, Offset: 1234, Protect: 1 - ReadOnly");
    CU_ASSERT_STRING_EQUAL(pte_describe(0x000AB880u, false, buf, sizeof(buf)),
                           "not valid: Transition: ab, Protect: 4 - ReadWrite");
    CU_ASSERT_STRING_EQUAL(pte_describe(0xFFFFF480u, false, buf, sizeof(buf)),
                           "not valid: Proto: VAD, Protect: 4 - ReadWrite");
    CU_ASSERT_STRING_EQUAL(pte_describe(0, false, buf, sizeof(buf)),
                           "not valid (zero: the VAD decides)");
    CU_ASSERT_STRING_EQUAL(pte_describe(0, true, buf, sizeof(buf)), "not valid (zero)");
    CU_ASSERT_STRING_EQUAL(pte_kind_name(0x000AB880u), "transition");
    CU_ASSERT_STRING_EQUAL(pte_kind_name(0x80u), "demand_zero");
}

/* A demand-zero write fault at 0x00500000 by "mov dword ptr [eax], 1". */
static struct fault_event sample_event(void)
{
    struct fault_event e;
    memset(&e, 0, sizeof(e));
    e.seq = 12;
    e.time_ns = 4512345;
    e.duration_ns = 2800;
    e.pid = 3;
    e.process = "dz-\"big\"";
    e.eip = 0x00401023u;
    e.cr2 = 0x00500000u;
    e.error_code = 6;
    e.pde_before = e.pde_after = 0x0001C067u;
    e.pte_before = 0x80u;
    e.pte_after = 0x0001D067u;
    e.pte_known = true;
    e.resolution = PV_FAULT_DEMAND_ZERO;
    static const uint8_t code[] = { 0xC7, 0x00, 0x01, 0x00, 0x00, 0x00 };
    struct pv_regs r;
    memset(&r, 0, sizeof(r));
    r.eax = 0x00500000u;
    e.insn_ok = disasm_one(code, sizeof(code), e.eip, &r, &e.insn) == 0;
    return e;
}

/* A ring-3 read of 0x80523456, under the kernel's large PDE (pfn 0): an access violation. */
static struct fault_event large_page_event(void)
{
    struct fault_event e = sample_event();
    e.cr2 = 0x80523456u;
    e.error_code = 5;
    e.pde_before = e.pde_after = 0x004001E3u;
    e.pte_before = e.pte_after = 0;
    e.pte_known = false;
    e.resolution = PV_FAULT_ACCESS_VIOLATION;
    e.status = 0xC0000005u;
    e.insn_ok = false;
    return e;
}

/* The first record of a JSON Lines trace, after its schema line (checked here). */
static char *first_record(char *t)
{
    char *line = strtok(t, "\n");
    CU_ASSERT_TRUE_FATAL(line != NULL);
    CU_ASSERT_STRING_EQUAL(line, "{\"type\":\"schema\",\"name\":\"pagevisor-trace\","
                                 "\"version\":1,\"records\":[\"fault\",\"counters\","
                                 "\"statistics\"]}");
    CU_ASSERT_TRUE(json_is_valid(line));
    return strtok(NULL, "\n");
}

static char *write_event(enum trace_format format, const struct fault_event *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct trace_writer w;
    trace_begin(&w, f, format);
    trace_record(&w, e);
    CU_ASSERT_EQUAL(trace_end(&w), 0);
    fclose(f);
    return text;
}

static void large_pde_has_no_pte(void)
{
    char buf[64];
    CU_ASSERT_TRUE(pde_is_large(0x004001E3u));
    CU_ASSERT_FALSE(pde_is_large(0x00400163u));
    CU_ASSERT_FALSE(pde_is_large(0x00400080u));   /* not valid: no page at all */
    CU_ASSERT_STRING_EQUAL(pte_large_page_note(0x004001E3u, 0x80523456u, buf, sizeof(buf)),
                           "LARGE PAGE pfn 523");

    struct fault_event e = large_page_event();
    char *t = write_event(TRACE_TEXT, &e);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "PDE at C0300804  contains 004001E3  pfn 400 GLDA--KWV "
                                     "LARGE PAGE  (unchanged)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "PTE at C020148C  (none: LARGE PAGE pfn 523)"));
    free(t);
    t = write_event(TRACE_JSONL, &e);
    char *line = first_record(t);
    CU_ASSERT_TRUE_FATAL(line != NULL);
    CU_ASSERT_TRUE(json_is_valid(line));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"pte\":{\"va\":\"0xC020148C\",\"large_page\":"
                                        "\"LARGE PAGE pfn 523\",\"before\":null,\"after\":null}"));
    free(t);
}

static char *write_trace(enum trace_format format, int n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct trace_writer w;
    trace_begin(&w, f, format);
    trace_process_name(&w, 3, "dz-\"big\"");
    struct fault_event e = sample_event();
    for (int i = 0; i < n; i++) {
        e.seq = 12 + (uint64_t)i;
        trace_record(&w, &e);
    }
    CU_ASSERT_EQUAL(trace_end(&w), 0);
    fclose(f);
    return text;
}

static void text_format_reads_like_pte(void)
{
    char *t = write_trace(TRACE_TEXT, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "#12 0.004512s pid 3 (dz-\"big\") eip 00401023 cr2 00500000 "
                                     "err 6 (not-present write user): demand_zero"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "PDE at C0300004  contains 0001C067  pfn 1c --DA--UWV  "
                                     "(unchanged)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "PTE at C0001400  contains 00000080  not valid: DemandZero, "
                                     "Protect: 4 - ReadWrite"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "now contains 0001D067  pfn 1d --DA--UWV"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "00401023: c7 00 01 00 00 00    mov dword ptr [eax], 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "; ea 00500000 = cr2"));
    free(t);
}

/* An image or file page-in names its file and offset: text "from NAME+0xOFF", JSON a "backing"
 * object (offset null when the page was assembled from pieces); other faults have neither. */
static void page_ins_name_their_file(void)
{
    struct fault_event e = sample_event();
    e.resolution = PV_FAULT_FILE_READ;
    snprintf(e.backing, sizeof(e.backing), "C:\\big \"file\".bin");
    e.backing_offset = 0x3000;
    char *t = write_event(TRACE_TEXT, &e);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "(not-present write user): file_read from C:\\big \"file\""
                                     ".bin+0x3000\n"));
    free(t);
    t = write_event(TRACE_JSONL, &e);
    char *record = first_record(t);
    CU_ASSERT_TRUE(json_is_valid(record));
    CU_ASSERT_PTR_NOT_NULL(strstr(record, "\"backing\":{\"file\":\"C:\\\\big \\\"file\\\".bin\","
                                          "\"offset\":12288}"));
    free(t);
    e.resolution = PV_FAULT_IMAGE_READ;
    snprintf(e.backing, sizeof(e.backing), "hello.elf");
    e.backing_offset = PV_BACKING_OFFSET_NONE;
    t = write_event(TRACE_JSONL, &e);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"backing\":{\"file\":\"hello.elf\",\"offset\":null}"));
    free(t);
    t = write_event(TRACE_TEXT, &e);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, ": image_read from hello.elf\n"));
    free(t);
    e = sample_event();
    t = write_event(TRACE_JSONL, &e);
    CU_ASSERT_PTR_NULL(strstr(t, "\"backing\""));
    free(t);
}

static void jsonl_lines_parse(void)
{
    char *t = write_trace(TRACE_JSONL, 3);
    int lines = 0;
    for (char *line = first_record(t); line; line = strtok(NULL, "\n")) {
        lines++;
        CU_ASSERT_TRUE(json_is_valid(line));
        CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"resolution\":\"demand_zero\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"process\":\"dz-\\\"big\\\"\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"ea_matches_cr2\":true"));
        CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"before_kind\":\"demand_zero\""));
        /* The addresses again as integers. */
        CU_ASSERT_PTR_NOT_NULL(strstr(line, ",\"addresses\":{\"eip\":"));
    }
    CU_ASSERT_EQUAL(lines, 3);
    free(t);
}

static void chrome_document_parses(void)
{
    char *t = write_trace(TRACE_CHROME, 2);
    CU_ASSERT_TRUE(json_is_valid(t));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"traceEvents\":["));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"name\":\"process_name\",\"ph\":\"M\",\"pid\":3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"ph\":\"X\",\"ts\":4512.345,\"dur\":2.800,\"pid\":3"));
    free(t);
    t = write_trace(TRACE_CHROME, 0);    /* an empty trace is still a valid document */
    CU_ASSERT_TRUE(json_is_valid(t));
    free(t);
}

static void statistics_close_every_format(void)
{
    static const struct trace_stat stats[] = { { "faults", 12 }, { "exits_per_fault", 0.25 } };
    for (int format = TRACE_TEXT; format <= TRACE_CHROME; format++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        struct trace_writer w;
        trace_begin(&w, f, (enum trace_format)format);
        struct fault_event e = sample_event();
        trace_record(&w, &e);
        trace_stats(&w, 5000, stats, 2);
        CU_ASSERT_EQUAL(trace_end(&w), 0);
        fclose(f);
        if (format == TRACE_TEXT) {
            CU_ASSERT_PTR_NOT_NULL(strstr(text, "# statistics: faults 12, exits_per_fault 0.25\n"));
        } else if (format == TRACE_JSONL) {
            char *fault = strchr(text, '\n') + 1;   /* after the schema line */
            char *second = strchr(fault, '\n') + 1;
            CU_ASSERT_PTR_NOT_NULL(strstr(text, "{\"type\":\"fault\","));
            CU_ASSERT_STRING_EQUAL(second,
                "{\"type\":\"statistics\",\"faults\":12,\"exits_per_fault\":0.25}\n");
            second[-1] = '\0';
            CU_ASSERT_TRUE(json_is_valid(fault));
        } else {
            CU_ASSERT_TRUE(json_is_valid(text));
            CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"name\":\"statistics\",\"ph\":\"i\""));
        }
        free(text);
    }
}

static void json_checker_rejects_broken_documents(void)
{
    CU_ASSERT_TRUE(json_is_valid("{\"a\":[1,2.5,-3e2,true,null,\"x\\u00e9\"]}"));
    CU_ASSERT_FALSE(json_is_valid("{\"a\":1,}"));
    CU_ASSERT_FALSE(json_is_valid("{\"a\" 1}"));
    CU_ASSERT_FALSE(json_is_valid("[1,2"));
    CU_ASSERT_FALSE(json_is_valid("\"tab\there\""));
    CU_ASSERT_FALSE(json_is_valid("{} {}"));
    CU_ASSERT_FALSE(json_is_valid("01"));
}

static void formats_and_names(void)
{
    enum trace_format f;
    CU_ASSERT_EQUAL(trace_format_parse("chrome", &f), 0);
    CU_ASSERT_EQUAL(f, TRACE_CHROME);
    CU_ASSERT_EQUAL(trace_format_parse("xml", &f), -1);
    CU_ASSERT_STRING_EQUAL(fault_resolution_name(PV_FAULT_COPY_ON_WRITE), "copy_on_write");
    CU_ASSERT_STRING_EQUAL(fault_resolution_name(PV_FAULT_IN_PAGE_ERROR), "in_page_error");
    CU_ASSERT_STRING_EQUAL(fault_resolution_name(PV_FAULT_FILE_READ), "file_read");
    CU_ASSERT_STRING_EQUAL(fault_resolution_name(PV_FAULT_RESOLUTION_MAX), "unknown");
    CU_ASSERT_STRING_EQUAL(fault_resolution_name(999), "unknown");
    char words[48];
    fault_access_words(5, false, words, sizeof(words));
    CU_ASSERT_STRING_EQUAL(words, "protection read user");
    fault_access_words(4, true, words, sizeof(words));
    CU_ASSERT_STRING_EQUAL(words, "not-present execute user");
}

static const struct unit_test tests[] = {
    UNIT_TEST(flag_letters_match_windbg_example),
    UNIT_TEST(invalid_ptes_are_decoded),
    UNIT_TEST(large_pde_has_no_pte),
    UNIT_TEST(text_format_reads_like_pte),
    UNIT_TEST(jsonl_lines_parse),
    UNIT_TEST(page_ins_name_their_file),
    UNIT_TEST(chrome_document_parses),
    UNIT_TEST(statistics_close_every_format),
    UNIT_TEST(json_checker_rejects_broken_documents),
    UNIT_TEST(formats_and_names),
};

int main(void)
{
    int rc = unit_run("trace", tests, sizeof(tests) / sizeof(tests[0]));
    disasm_close();
    return rc;
}
