/*
 * mm_inspect.c - !vm and !memusage computed on the host: each value is read from the guest
 * kernel's own variables (found by name in its ELF symbols, shared/pv_layout.h) through the
 * guest's page tables, and printed in WinDbg's layout so that material written for WinDbg reads
 * the same. The process list is followed link by link, bounded, so a list the guest was
 * changing (or a hostile one) ends the walk with a message, never a loop.
 */
#include "mm_inspect.h"

#include <string.h>

#include "pt_walk.h"
#include "pv_layout.h"

static const char *const list_symbol[] = {
#define SYMBOL(sym, label) sym,
    PV_SYM_PAGE_LISTS(SYMBOL)
#undef SYMBOL
};
static const char *const list_label[] = {
#define LABEL(sym, label) label,
    PV_SYM_PAGE_LISTS(LABEL)
#undef LABEL
};

/* The ULONG at symbol+offset. */
static int read_u32(const struct mm_inspect_src *src, const char *symbol, uint32_t offset,
                    uint32_t *value, char *why, size_t whylen)
{
    uint32_t addr, size;
    if (!symbol_file_object(src->kernel, symbol, &addr, &size)) {
        snprintf(why, whylen, "the kernel has no symbol %s", symbol);
        return -1;
    }
    if (size < offset + 4) {
        snprintf(why, whylen, "%s is %u bytes, too small for a field at +%u", symbol, size,
                 offset);
        return -1;
    }
    if (pt_read_virt(src->mem, src->paging, src->cr3, src->pse, addr + offset, value, 4) != 4) {
        snprintf(why, whylen, "%s+%u (0x%08x) is not mapped", symbol, offset, addr + offset);
        return -1;
    }
    return 0;
}

int mm_inspect_read(const struct mm_inspect_src *src, struct mm_state *st, char *why,
                    size_t whylen)
{
    memset(st, 0, sizeof(*st));
    if (read_u32(src, PV_SYM_HIGHEST_PAGE, 0, &st->highest_page, why, whylen) ||
        read_u32(src, PV_SYM_AVAILABLE_PAGES, 0, &st->available, why, whylen) ||
        read_u32(src, PV_SYM_COMMITTED_PAGES, 0, &st->committed, why, whylen) ||
        read_u32(src, PV_SYM_COMMIT_LIMIT, 0, &st->commit_limit, why, whylen) ||
        read_u32(src, PV_SYM_PAGING_FILE, PV_LAYOUT_PAGING_FILE_SIZE, &st->pagefile_slots, why,
                 whylen) ||
        read_u32(src, PV_SYM_PAGING_FILE, PV_LAYOUT_PAGING_FILE_FREE_SPACE, &st->pagefile_free,
                 why, whylen) ||
        read_u32(src, PV_SYM_PAGING_FILE, PV_LAYOUT_PAGING_FILE_IN_USE, &st->pagefile_in_use,
                 why, whylen))
        return -1;
    for (size_t l = 0; l < sizeof(list_symbol) / sizeof(list_symbol[0]); l++)
        if (read_u32(src, list_symbol[l], PV_LAYOUT_MMPFNLIST_TOTAL, &st->list_total[l], why,
                     whylen))
            return -1;
    return 0;
}

/* "      Label:     pages   (      KB Kb)", the label right-aligned as WinDbg does. */
static void vm_line(FILE *out, const char *label, uint32_t pages)
{
    fprintf(out, "%22s %9u   (%8llu Kb)\n", label, pages, (unsigned long long)pages * 4);
}

void mm_inspect_print_vm(FILE *out, const struct mm_state *st)
{
    fprintf(out, "\n*** Virtual Memory Usage ***\n");
    vm_line(out, "Physical Memory:", st->highest_page + 1);
    if (st->pagefile_slots > 1) {
        /* Slot 0 is never used: the pagefile holds Size - 1 pages. */
        fprintf(out, "      Page File: \\??\\C:\\pagefile.sys\n");
        fprintf(out, "         Current: %9lluKb Free Space: %9lluKb\n",
                (unsigned long long)(st->pagefile_slots - 1) * 4,
                (unsigned long long)st->pagefile_free * 4);
    }
    vm_line(out, "Available Pages:", st->available);
    vm_line(out, "Modified Pages:", st->list_total[3]);
    vm_line(out, "Committed pages:", st->committed);
    vm_line(out, "Commit limit:", st->commit_limit);
}

void mm_inspect_print_memusage(FILE *out, const struct mm_state *st)
{
    uint64_t on_lists = 0;
    for (size_t l = 0; l < sizeof(list_label) / sizeof(list_label[0]); l++) {
        fprintf(out, "%19s: %8u (%8llu kb)\n", list_label[l], st->list_total[l],
                (unsigned long long)st->list_total[l] * 4);
        on_lists += st->list_total[l];
    }
    /* Every other frame is in use (valid, or a page table, or the kernel's own). */
    uint64_t total = (uint64_t)st->highest_page + 1;
    uint64_t active = total > on_lists ? total - on_lists : 0;
    fprintf(out, "%19s: %8llu (%8llu kb)\n", "Active/Valid", (unsigned long long)active,
            (unsigned long long)active * 4);
    fprintf(out, "%19s: %8llu (%8llu kb)\n", "TOTAL", (unsigned long long)total,
            (unsigned long long)total * 4);
}

/* Bytes at a guest virtual address (no symbol). */
static int read_at(const struct mm_inspect_src *src, uint32_t va, void *buf, size_t len,
                   char *why, size_t whylen)
{
    if (pt_read_virt(src->mem, src->paging, src->cr3, src->pse, va, buf, len) == len)
        return 0;
    snprintf(why, whylen, "0x%08x is not mapped", va);
    return -1;
}

#define MAX_PROCESSES 256   /* far more than the guest can have: a longer list is broken */

int mm_inspect_print_processes(FILE *out, const struct mm_inspect_src *src, char *why,
                               size_t whylen)
{
    uint32_t head, size, link;
    if (!symbol_file_object(src->kernel, PV_SYM_ACTIVE_PROCESS_HEAD, &head, &size)) {
        snprintf(why, whylen, "the kernel has no symbol %s", PV_SYM_ACTIVE_PROCESS_HEAD);
        return -1;
    }
    fprintf(out, "**** NT ACTIVE PROCESS DUMP ****\n");
    if (read_at(src, head, &link, 4, why, whylen))
        return -1;
    for (unsigned n = 0; link != head; n++) {
        if (n == MAX_PROCESSES) {
            snprintf(why, whylen, "more than %u processes on %s: the list is broken",
                     MAX_PROCESSES, PV_SYM_ACTIVE_PROCESS_HEAD);
            return -1;
        }
        uint32_t ep = link - PV_LAYOUT_EPROCESS_ACTIVE_LINKS, pid, parent, dirbase;
        uint32_t handles[PV_LAYOUT_EPROCESS_HANDLES];
        char name[33] = { 0 };
        if (read_at(src, ep + PV_LAYOUT_EPROCESS_PID, &pid, 4, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_PARENT_PID, &parent, 4, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_DIRBASE, &dirbase, 4, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_IMAGE_NAME, name, 32, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_HANDLE_TABLE, handles, sizeof(handles), why,
                    whylen) ||
            read_at(src, link, &link, 4, why, whylen))
            return -1;
        unsigned open = 0;
        for (unsigned h = 0; h < PV_LAYOUT_EPROCESS_HANDLES; h++)
            open += handles[h] != 0;
        for (char *c = name; *c; c++)   /* the guest's bytes, printed as text */
            if (*c < 0x20 || *c > 0x7E)
                *c = '?';
        fprintf(out, "PROCESS %08X  SessionId: none  Cid: %04x    Peb: 00000000  ParentCid: "
                "%04x\n", ep, pid, parent);
        fprintf(out, "    DirBase: %08X  ObjectTable: %08X  HandleCount: %3u.\n", dirbase,
                ep + PV_LAYOUT_EPROCESS_HANDLE_TABLE, open);
        fprintf(out, "    Image: %s\n\n", name);
    }
    return 0;
}
