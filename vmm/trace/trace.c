/* trace.c - fault trace encoders: text, JSON Lines, Chrome trace events. */
#include "trace.h"

#include <string.h>

#include "nt_layout.h"
#include "pte_format.h"
#include "pv_abi.h"
#include "trace_queue.h"

int trace_format_parse(const char *name, enum trace_format *out)
{
    if (strcmp(name, "text") == 0) *out = TRACE_TEXT;
    else if (strcmp(name, "jsonl") == 0) *out = TRACE_JSONL;
    else if (strcmp(name, "chrome") == 0) *out = TRACE_CHROME;
    else return -1;
    return 0;
}

const char *fault_resolution_name(uint32_t resolution)
{
    static const char *const names[PV_FAULT_RESOLUTION_MAX] = {
        [PV_FAULT_DEMAND_ZERO] = "demand_zero",
        [PV_FAULT_PAGE_TABLE] = "page_table",
        [PV_FAULT_PAGEFILE_READ] = "pagefile_read",
        [PV_FAULT_TRANSITION] = "transition",
        [PV_FAULT_PROTOTYPE] = "prototype",
        [PV_FAULT_COPY_ON_WRITE] = "copy_on_write",
        [PV_FAULT_IMAGE_READ] = "image_read",
        [PV_FAULT_GUARD_PAGE] = "guard_page",
        [PV_FAULT_STACK_GROWTH] = "stack_growth",
        [PV_FAULT_ACCESS_VIOLATION] = "access_violation",
        [PV_FAULT_BUGCHECK] = "bug_check",
        [PV_FAULT_SPURIOUS] = "spurious",
        [PV_FAULT_IN_PAGE_ERROR] = "in_page_error",
        [PV_FAULT_FILE_READ] = "file_read",
        [PV_FAULT_RELOCATE] = "relocate",
    };
    if (resolution < PV_FAULT_RESOLUTION_MAX && names[resolution])
        return names[resolution];
    return "unknown";
}

void fault_access_words(uint32_t error_code, bool fetch, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s %s", (error_code & 1) ? "protection" : "not-present",
             fetch ? "execute" : (error_code & 2) ? "write" : "read",
             (error_code & 4) ? "user" : "kernel");
}

static bool is_fetch(const struct fault_event *e)
{
    return e->cr2 == e->eip;
}

/* JSON string content: the texts we write are ASCII we made, but names come from the guest. */
static void json_string(FILE *f, const char *s)
{
    putc_unlocked('"', f);
    while (s && *s) {
        size_t run = 0;                 /* characters that need no escape, written at once */
        for (unsigned char c; (c = (unsigned char)s[run]) >= 0x20 && c < 0x7F && c != '"' &&
                              c != '\\';)
            run++;
        fwrite_unlocked(s, 1, run, f);
        s += run;
        if (!*s)
            break;
        unsigned char c = (unsigned char)*s++;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else
            fprintf(f, "\\u%04x", c);
    }
    putc_unlocked('"', f);
}

void trace_begin(struct trace_writer *w, FILE *f, enum trace_format format)
{
    w->f = f;
    w->format = format;
    w->records = 0;
    if (format == TRACE_CHROME)
        fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    else if (format == TRACE_JSONL)   /* what the records below are, for tools to check */
        fprintf(f, "{\"type\":\"schema\",\"name\":\"pagevisor-trace\",\"version\":%d,"
                "\"records\":[\"fault\",\"counters\",\"statistics\"]}\n",
                TRACE_JSONL_SCHEMA_VERSION);
}

static void text_entry(FILE *f, const char *label, uint32_t va, uint32_t before, uint32_t after,
                       bool known, bool is_pde)
{
    char b[128], a[128];
    if (!known) {
        fprintf(f, "    %s at %08X  (no page table before the fault)\n", label, va);
        return;
    }
    pte_describe(before, is_pde, b, sizeof(b));
    if (before == after) {
        fprintf(f, "    %s at %08X  contains %08X  %s  (unchanged)\n", label, va, before, b);
        return;
    }
    pte_describe(after, is_pde, a, sizeof(a));
    fprintf(f, "    %s at %08X  contains %08X  %s\n", label, va, before, b);
    fprintf(f, "                 now contains %08X  %s\n", after, a);
}

static void text_record(FILE *f, const struct fault_event *e)
{
    char access[48];
    if (e->resolution == PV_FAULT_RELOCATE) {
        /* Not a fault: a page (or page table) moved to clear a run for a large page. A page
         * table's record carries PDEs, and the first address the PDE covers. */
        bool table = e->error_code != 0;
        fprintf(f, "# %llu.%06llus relocate: %s of %s at %08X moved from frame %X to frame %X "
                "(%s %08X -> %08X)\n", (unsigned long long)(e->time_ns / 1000000000u),
                (unsigned long long)(e->time_ns % 1000000000u / 1000u),
                table ? "page table" : "page", e->process, e->cr2, e->pte_before >> 12,
                e->pte_after >> 12, table ? "PDE" : "PTE", e->pte_before, e->pte_after);
        return;
    }
    fault_access_words(e->error_code, is_fetch(e), access, sizeof(access));
    fprintf(f, "#%llu %llu.%06llus pid %u (%s) eip %08X cr2 %08X err %x (%s): %s",
            (unsigned long long)e->seq, (unsigned long long)(e->time_ns / 1000000000u),
            (unsigned long long)(e->time_ns % 1000000000u / 1000u), e->pid, e->process,
            e->eip, e->cr2, e->error_code, access, fault_resolution_name(e->resolution));
    if (e->backing[0]) {
        if (e->backing_offset == PV_BACKING_OFFSET_NONE)
            fprintf(f, " from %s", e->backing);
        else
            fprintf(f, " from %s+0x%x", e->backing, e->backing_offset);
    }
    if (e->status)
        fprintf(f, " (status %08X)", e->status);
    fprintf(f, "\n");
    text_entry(f, "PDE", MI_PDE_VA(e->cr2), e->pde_before, e->pde_after, true, true);
    if (pde_is_large(e->pde_before)) {
        char note[40];
        fprintf(f, "    PTE at %08X  (none: %s)\n", MI_PTE_VA(e->cr2),
                pte_large_page_note(e->pde_before, e->cr2, note, sizeof(note)));
    } else {
        text_entry(f, "PTE", MI_PTE_VA(e->cr2), e->pte_before, e->pte_after, e->pte_known,
                   false);
    }
    if (e->insn_ok) {
        fprintf(f, "    %08X%s%s: %-20s %s", e->eip, e->symbol[0] ? " " : "", e->symbol,
                e->insn.bytes, e->insn.text);
        if (e->insn.has_mem)
            fprintf(f, "    ; ea %08X%s", e->insn.mem_ea,
                    e->insn.mem_ea == e->cr2 ? " = cr2" : "");
        fprintf(f, "\n");
    } else {
        fprintf(f, "    %08X%s%s: (instruction not readable)\n", e->eip, e->symbol[0] ? " " : "",
                e->symbol);
    }
}

static void json_insn(FILE *f, const struct fault_event *e)
{
    if (!e->insn_ok) {
        fprintf(f, "null");
        return;
    }
    fprintf(f, "{\"address\":\"0x%08X\",\"bytes\":", e->eip);
    json_string(f, e->insn.bytes);
    fprintf(f, ",\"text\":");
    json_string(f, e->insn.text);
    if (e->insn.has_mem)
        fprintf(f, ",\"mem_ea\":\"0x%08X\",\"ea_matches_cr2\":%s}", e->insn.mem_ea,
                e->insn.mem_ea == e->cr2 ? "true" : "false");
    else
        fprintf(f, ",\"mem_ea\":null}");
}

static void json_fields(FILE *f, const struct fault_event *e)
{
    char b[128], a[128];
    bool fetch = is_fetch(e);
    fprintf(f, "\"seq\":%llu,\"time_ns\":%llu,\"duration_ns\":%llu,\"pid\":%u,\"process\":",
            (unsigned long long)e->seq, (unsigned long long)e->time_ns,
            (unsigned long long)e->duration_ns, e->pid);
    json_string(f, e->process);
    fprintf(f, ",\"eip\":\"0x%08X\",\"cr2\":\"0x%08X\",\"error_code\":%u,"
            "\"access\":{\"present\":%s,\"write\":%s,\"user\":%s,\"execute\":%s},",
            e->eip, e->cr2, e->error_code, (e->error_code & 1) ? "true" : "false",
            (e->error_code & 2) ? "true" : "false", (e->error_code & 4) ? "true" : "false",
            fetch ? "true" : "false");
    fprintf(f, "\"resolution\":\"%s\",\"status\":\"0x%08X\",", fault_resolution_name(e->resolution),
            e->status);
    if (e->backing[0]) {
        fprintf(f, "\"backing\":{\"file\":");
        json_string(f, e->backing);
        if (e->backing_offset == PV_BACKING_OFFSET_NONE)
            fprintf(f, ",\"offset\":null},");
        else
            fprintf(f, ",\"offset\":%u},", e->backing_offset);
    }
    fprintf(f, "\"pde\":{\"va\":\"0x%08X\",\"before\":\"0x%08X\",\"after\":\"0x%08X\","
            "\"before_decoded\":", MI_PDE_VA(e->cr2), e->pde_before, e->pde_after);
    json_string(f, pte_describe(e->pde_before, true, b, sizeof(b)));
    fprintf(f, ",\"after_decoded\":");
    json_string(f, pte_describe(e->pde_after, true, a, sizeof(a)));
    fprintf(f, "},\"pte\":{\"va\":\"0x%08X\",", MI_PTE_VA(e->cr2));
    if (pde_is_large(e->pde_before)) {
        /* No PTE: the PDE maps a 4 MiB page. */
        fprintf(f, "\"large_page\":");
        json_string(f, pte_large_page_note(e->pde_before, e->cr2, b, sizeof(b)));
        fprintf(f, ",\"before\":null,\"after\":null},\"insn\":");
        json_insn(f, e);
        return;
    }
    if (e->pte_known) {
        fprintf(f, "\"before\":\"0x%08X\",\"before_kind\":\"%s\",\"before_decoded\":",
                e->pte_before, pte_kind_name(e->pte_before));
        json_string(f, pte_describe(e->pte_before, false, b, sizeof(b)));
        fprintf(f, ",");
    } else {
        fprintf(f, "\"before\":null,");
    }
    fprintf(f, "\"after\":\"0x%08X\",\"after_decoded\":", e->pte_after);
    json_string(f, pte_describe(e->pte_after, false, a, sizeof(a)));
    fprintf(f, "},\"insn\":");
    json_insn(f, e);
}

static void chrome_record(struct trace_writer *w, const struct fault_event *e)
{
    /* Complete events ("X") on a per-process track; microseconds with ns precision. */
    fprintf(w->f, "%s{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%llu.%03llu,"
            "\"dur\":%llu.%03llu,\"pid\":%u,\"tid\":%u,\"args\":{",
            w->records ? ",\n" : "", fault_resolution_name(e->resolution),
            e->resolution == PV_FAULT_RELOCATE ? "relocation" : "page_fault",
            (unsigned long long)(e->time_ns / 1000), (unsigned long long)(e->time_ns % 1000),
            (unsigned long long)(e->duration_ns / 1000),
            (unsigned long long)(e->duration_ns % 1000), e->pid, e->pid);
    json_fields(w->f, e);
    fprintf(w->f, "}}");
}

void trace_record(struct trace_writer *w, const struct fault_event *e)
{
    switch (w->format) {
    case TRACE_TEXT:
        text_record(w->f, e);
        break;
    case TRACE_JSONL:
        /* A relocation (a page moved for a large page) is no fault: a type of its own. */
        fputs(e->resolution == PV_FAULT_RELOCATE ? "{\"type\":\"relocation\"," :
              "{\"type\":\"fault\",", w->f);
        json_fields(w->f, e);
        /* The addresses again as integers, for tools that would rather not parse hex. */
        fprintf(w->f, ",\"addresses\":{\"eip\":%u,\"cr2\":%u,\"pde_va\":%u,\"pte_va\":%u}}\n",
                e->eip, e->cr2, MI_PDE_VA(e->cr2), MI_PTE_VA(e->cr2));
        break;
    case TRACE_CHROME:
        chrome_record(w, e);
        break;
    }
    w->records++;
}

/* A Chrome metadata event ("process_name" or "thread_name") naming a track. */
static void chrome_name(struct trace_writer *w, const char *kind, uint32_t pid, uint32_t tid,
                        const char *name)
{
    if (w->format != TRACE_CHROME)
        return;
    fprintf(w->f, "%s{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
            "\"args\":{\"name\":", w->records ? ",\n" : "", kind, pid, tid);
    json_string(w->f, name);
    fprintf(w->f, "}}");
    w->records++;
}

void trace_thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid, const char *name)
{
    chrome_name(w, "thread_name", pid, tid, name);
}

void trace_process_name(struct trace_writer *w, uint32_t pid, const char *name)
{
    /* The process's track, and its one thread's (tid = pid), both named. */
    chrome_name(w, "process_name", pid, pid, name);
    chrome_name(w, "thread_name", pid, pid, name);
}

static const char *const counter_list_names[6] = { "Zeroed", "Free", "Standby", "Modified",
                                                   "ModifiedNoWrite", "Bad" };

/* One Chrome counter event: NAME on PID's track, its args already formatted. */
static void chrome_counter(struct trace_writer *w, uint64_t ns, const char *name, uint32_t pid,
                           const char *args)
{
    fprintf(w->f, "%s{\"name\":\"%s\",\"cat\":\"mm\",\"ph\":\"C\",\"ts\":%llu.%03llu,"
            "\"pid\":%u,\"tid\":%u,\"args\":{%s}}", w->records ? ",\n" : "", name,
            (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000), pid, pid, args);
    w->records++;
}

void trace_counters(struct trace_writer *w, const struct trace_counters *c)
{
    char args[256];
    size_t n = 0;
    switch (w->format) {
    case TRACE_TEXT:
        fprintf(w->f, "# counters at %llu ns:", (unsigned long long)c->time_ns);
        for (int l = 0; l < 6; l++)
            fprintf(w->f, " %s %u,", counter_list_names[l], c->lists[l]);
        fprintf(w->f, " available %u, committed %u of %u, pagefile %u in use", c->available,
                c->committed, c->commit_limit, c->pagefile_in_use);
        for (uint32_t p = 0; p < c->nproc && p < TRACE_COUNTER_PROCESSES; p++)
            fprintf(w->f, "; pid %u working set %u faults %u", c->proc[p].pid, c->proc[p].ws,
                    c->proc[p].faults);
        fputc('\n', w->f);
        break;
    case TRACE_JSONL:
        fprintf(w->f, "{\"type\":\"counters\",\"time_ns\":%llu,\"lists\":{",
                (unsigned long long)c->time_ns);
        for (int l = 0; l < 6; l++)
            fprintf(w->f, "%s\"%s\":%u", l ? "," : "", counter_list_names[l], c->lists[l]);
        fprintf(w->f, "},\"available\":%u,\"committed\":%u,\"commit_limit\":%u,"
                "\"pagefile_in_use\":%u,\"processes\":[", c->available, c->committed,
                c->commit_limit, c->pagefile_in_use);
        for (uint32_t p = 0; p < c->nproc && p < TRACE_COUNTER_PROCESSES; p++)
            fprintf(w->f, "%s{\"pid\":%u,\"working_set\":%u,\"page_faults\":%u}",
                    p ? "," : "", c->proc[p].pid, c->proc[p].ws, c->proc[p].faults);
        fprintf(w->f, "]}\n");
        break;
    case TRACE_CHROME:
        for (int l = 0; l < 6; l++)
            n += (size_t)snprintf(args + n, sizeof(args) - n, "%s\"%s\":%u", l ? "," : "",
                                  counter_list_names[l], c->lists[l]);
        chrome_counter(w, c->time_ns, "page lists", 0, args);
        snprintf(args, sizeof(args), "\"committed\":%u,\"limit\":%u", c->committed,
                 c->commit_limit);
        chrome_counter(w, c->time_ns, "commit charge", 0, args);
        snprintf(args, sizeof(args), "\"in use\":%u", c->pagefile_in_use);
        chrome_counter(w, c->time_ns, "pagefile slots", 0, args);
        for (uint32_t p = 0; p < c->nproc && p < TRACE_COUNTER_PROCESSES; p++) {
            snprintf(args, sizeof(args), "\"pages\":%u", c->proc[p].ws);
            chrome_counter(w, c->time_ns, "working set", c->proc[p].pid, args);
            snprintf(args, sizeof(args), "\"count\":%u", c->proc[p].faults);
            chrome_counter(w, c->time_ns, "page faults", c->proc[p].pid, args);
        }
        break;
    }
}

static const char *const host_io_names[] = { "pagefile read", "pagefile write", "image read",
                                            "file read", "file write" };

void trace_host_io(struct trace_writer *w, const struct trace_host_io *io)
{
    const char *name = io->kind < 5 ? host_io_names[io->kind] : "host io";
    bool slot = io->kind == TRACE_IO_PAGEFILE_READ || io->kind == TRACE_IO_PAGEFILE_WRITE;
    switch (w->format) {
    case TRACE_TEXT:
        fprintf(w->f, "# host io at %llu ns: %s of %u page%s at %s %u, %llu ns%s\n",
                (unsigned long long)io->time_ns, name, io->pages, io->pages == 1 ? "" : "s",
                slot ? "slot" : "offset", io->where, (unsigned long long)io->duration_ns,
                io->ret ? " (failed)" : "");
        break;
    case TRACE_JSONL:
        fprintf(w->f, "{\"type\":\"host_io\",\"time_ns\":%llu,\"duration_ns\":%llu,"
                "\"io\":\"%s\",\"pages\":%u,\"%s\":%u,\"ret\":%d}\n",
                (unsigned long long)io->time_ns, (unsigned long long)io->duration_ns, name,
                io->pages, slot ? "slot" : "offset", io->where, io->ret);
        break;
    case TRACE_CHROME:
        fprintf(w->f, "%s{\"name\":\"%s\",\"cat\":\"host_io\",\"ph\":\"X\",\"ts\":%llu.%03llu,"
                "\"dur\":%llu.%03llu,\"pid\":0,\"tid\":1,\"args\":{\"pages\":%u,\"%s\":%u,"
                "\"ret\":%d}}", w->records ? ",\n" : "", name,
                (unsigned long long)(io->time_ns / 1000), (unsigned long long)(io->time_ns % 1000),
                (unsigned long long)(io->duration_ns / 1000),
                (unsigned long long)(io->duration_ns % 1000), io->pages, slot ? "slot" : "offset",
                io->where, io->ret);
        w->records++;
        break;
    }
}

void trace_stats(struct trace_writer *w, uint64_t time_ns, const struct trace_stat *stats,
                 size_t n)
{
    switch (w->format) {
    case TRACE_TEXT:
        fprintf(w->f, "# statistics:");
        for (size_t i = 0; i < n; i++)
            fprintf(w->f, "%s %s %.15g", i ? "," : "", stats[i].name, stats[i].value);
        fprintf(w->f, "\n");
        break;
    case TRACE_JSONL:
        fprintf(w->f, "{\"type\":\"statistics\"");
        for (size_t i = 0; i < n; i++)
            fprintf(w->f, ",\"%s\":%.15g", stats[i].name, stats[i].value);
        fprintf(w->f, "}\n");
        break;
    case TRACE_CHROME:
        /* A global instant event at the end of the run carries the counters. */
        fprintf(w->f, "%s{\"name\":\"statistics\",\"ph\":\"i\",\"s\":\"g\",\"ts\":%llu.%03llu,"
                "\"pid\":0,\"tid\":0,\"args\":{", w->records ? ",\n" : "",
                (unsigned long long)(time_ns / 1000), (unsigned long long)(time_ns % 1000));
        for (size_t i = 0; i < n; i++)
            fprintf(w->f, "%s\"%s\":%.15g", i ? "," : "", stats[i].name, stats[i].value);
        fprintf(w->f, "}}");
        w->records++;
        break;
    }
}

int trace_end(struct trace_writer *w)
{
    if (w->format == TRACE_CHROME)
        fprintf(w->f, "\n]}\n");
    return fflush(w->f) == 0 && !ferror(w->f) ? 0 : -1;
}
