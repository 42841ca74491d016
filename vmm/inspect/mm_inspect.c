/*
 * mm_inspect.c - !vm and !memusage computed on the host: each value is read from the guest
 * kernel's own variables (found by name in its ELF symbols, shared/pv_layout.h) through the
 * guest's page tables, and printed in WinDbg's layout so that material written for WinDbg reads
 * the same. The process list is followed link by link, bounded, so a list the guest was
 * changing (or a hostile one) ends the walk with a message, never a loop.
 */
#include "mm_inspect.h"

#include <string.h>

#include <ctype.h>
#include <stdlib.h>

#include "nt_layout.h"
#include "pt_walk.h"
#include "pte_format.h"
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

/* A walk of PsActiveProcessHead, bounded: start it, then take one EPROCESS at a time. */
struct process_walk {
    uint32_t head, link;
    unsigned n;
};

static int process_walk_start(const struct mm_inspect_src *src, struct process_walk *w,
                              char *why, size_t whylen)
{
    uint32_t size;
    w->n = 0;
    if (!symbol_file_object(src->kernel, PV_SYM_ACTIVE_PROCESS_HEAD, &w->head, &size)) {
        snprintf(why, whylen, "the kernel has no symbol %s", PV_SYM_ACTIVE_PROCESS_HEAD);
        return -1;
    }
    return read_at(src, w->head, &w->link, 4, why, whylen);
}

/* 1 with the next EPROCESS in *ep, 0 at the end, -1 with why (unreadable, or broken). */
static int process_walk_next(const struct mm_inspect_src *src, struct process_walk *w,
                             uint32_t *ep, char *why, size_t whylen)
{
    if (w->link == w->head)
        return 0;
    if (w->n++ == MAX_PROCESSES) {
        snprintf(why, whylen, "more than %u processes on %s: the list is broken",
                 MAX_PROCESSES, PV_SYM_ACTIVE_PROCESS_HEAD);
        return -1;
    }
    *ep = w->link - PV_LAYOUT_EPROCESS_ACTIVE_LINKS;
    return read_at(src, w->link, &w->link, 4, why, whylen) ? -1 : 1;
}

/* The working-set size now: the Count of the process's list, read in its own address space. */
static int ws_count(const struct mm_inspect_src *src, uint32_t ep, uint32_t dirbase,
                    uint32_t *count, char *why, size_t whylen)
{
    uint32_t wsl;
    struct mm_inspect_src own = *src;
    own.cr3 = dirbase;
    *count = 0;
    if (read_at(src, ep + PV_LAYOUT_EPROCESS_WSL, &wsl, 4, why, whylen))
        return -1;
    return wsl ? read_at(&own, wsl + PV_LAYOUT_MMWSL_COUNT, count, 4, why, whylen) : 0;
}

/* !process 0 1's lines after the three: VADs, working set, faults, commit. */
static int print_process_details(FILE *out, const struct mm_inspect_src *src, uint32_t ep,
                                 uint32_t dirbase, char *why, size_t whylen)
{
    uint32_t root, vads, privat, now, min, max, peak, faults, commit;
    if (read_at(src, ep + PV_LAYOUT_EPROCESS_VAD_ROOT, &root, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_VAD_COUNT, &vads, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_PRIVATE_PAGES, &privat, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_WS_MIN, &min, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_WS_MAX, &max, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_WS_PEAK, &peak, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_FAULTS, &faults, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_COMMIT, &commit, 4, why, whylen) ||
        ws_count(src, ep, dirbase, &now, why, whylen))
        return -1;
    fprintf(out, "    VadRoot %08X Vads %u Private %u.\n", root, vads, privat);
    fprintf(out, "    Working Set Sizes (now,min,max)  (%u, %u, %u) (%uKB, %uKB, %uKB)\n", now,
            min, max, now * 4, min * 4, max * 4);
    fprintf(out, "    PeakWorkingSetSize        %8u\n", peak);
    fprintf(out, "    PageFaultCount            %8u\n", faults);
    fprintf(out, "    CommitCharge              %8u\n", commit);
    return 0;
}

int mm_inspect_print_processes(FILE *out, const struct mm_inspect_src *src, bool details,
                               char *why, size_t whylen)
{
    struct process_walk w;
    uint32_t ep;
    int more;
    if (process_walk_start(src, &w, why, whylen))
        return -1;
    fprintf(out, "**** NT ACTIVE PROCESS DUMP ****\n");
    while ((more = process_walk_next(src, &w, &ep, why, whylen)) > 0) {
        uint32_t pid, parent, dirbase;
        uint32_t handles[PV_LAYOUT_EPROCESS_HANDLES];
        char name[33] = { 0 };
        if (read_at(src, ep + PV_LAYOUT_EPROCESS_PID, &pid, 4, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_PARENT_PID, &parent, 4, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_DIRBASE, &dirbase, 4, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_IMAGE_NAME, name, 32, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_HANDLE_TABLE, handles, sizeof(handles), why,
                    whylen))
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
        fprintf(out, "    Image: %s\n", name);
        if (details && print_process_details(out, src, ep, dirbase, why, whylen))
            return -1;
        fputc('\n', out);
    }
    return more;
}

int mm_inspect_print_pte(FILE *out, const struct mm_inspect_src *src, uint32_t va, char *why,
                         size_t whylen)
{
    struct pt_walk w;
    char pde[96], pte[96];
    if (!src->paging) {
        snprintf(why, whylen, "paging is off: there are no page tables");
        return -1;
    }
    enum pt_walk_result r = pt_walk(src->mem, src->cr3, src->pse, va, &w);
    if (r == PT_WALK_BAD_TABLE) {
        snprintf(why, whylen, "the page tables of cr3 %08X are outside guest RAM", src->cr3);
        return -1;
    }
    fprintf(out, "%08X  - PDE at %08X        PTE at %08X\n", va, MI_PDE_VA(va), MI_PTE_VA(va));
    pte_describe(w.pde, true, pde, sizeof(pde));
    if (r == PT_WALK_PDE_NOT_PRESENT) {
        fprintf(out, "          contains %08X\n", w.pde);
        fprintf(out, "        %s\n", pde);
        return 0;
    }
    if (w.large)
        pte_large_page_note(w.pde, va, pte, sizeof(pte));
    else
        pte_describe(w.pte, false, pte, sizeof(pte));
    if (w.large)
        fprintf(out, "          contains %08X\n", w.pde);
    else
        fprintf(out, "          contains %08X      contains %08X\n", w.pde, w.pte);
    fprintf(out, "        %s    %s\n", pde, pte);
    return 0;
}

static const char *location_name(unsigned l)
{
    static const char *const names[8] = { "Zeroed", "Free", "Standby", "Modified",
                                          "ModifiedNoWrite", "Bad", "Active", "Transition" };
    return names[l & 7];
}

int mm_inspect_print_pfn(FILE *out, const struct mm_inspect_src *src, uint32_t pfn, char *why,
                         size_t whylen)
{
    uint32_t highest, base;
    if (read_u32(src, PV_SYM_HIGHEST_PAGE, 0, &highest, why, whylen) ||
        read_u32(src, PV_SYM_PFN_DATABASE, 0, &base, why, whylen))
        return -1;
    if (pfn > highest) {
        snprintf(why, whylen, "pfn %x is above the highest page, %x", pfn, highest);
        return -1;
    }
    uint32_t at = base + pfn * PV_LAYOUT_MMPFN_SIZE;
    uint8_t e[PV_LAYOUT_MMPFN_SIZE];
    if (read_at(src, at, e, sizeof(e), why, whylen))
        return -1;
    uint32_t u1, pte_address, u2, original, u4;
    uint16_t refs, flags;
    memcpy(&u1, e + PV_LAYOUT_MMPFN_U1, 4);
    memcpy(&pte_address, e + PV_LAYOUT_MMPFN_PTE_ADDRESS, 4);
    memcpy(&u2, e + PV_LAYOUT_MMPFN_U2, 4);
    memcpy(&refs, e + PV_LAYOUT_MMPFN_REFCOUNT, 2);
    memcpy(&flags, e + PV_LAYOUT_MMPFN_FLAGS, 2);
    memcpy(&original, e + PV_LAYOUT_MMPFN_ORIGINAL_PTE, 4);
    memcpy(&u4, e + PV_LAYOUT_MMPFN_U4, 4);
    char letters[8] = "", *l = letters;
    if (flags & PV_MMPFN_MODIFIED)
        *l++ = 'M';
    if (flags & PV_MMPFN_PROTOTYPE_PTE)
        *l++ = 'P';
    if (flags & PV_MMPFN_READ_IN_PROGRESS)
        *l++ = 'R';
    if (flags & PV_MMPFN_WRITE_IN_PROGRESS)
        *l++ = 'W';
    *l = '\0';
    fprintf(out, "    PFN %08X at address %08X\n", pfn, at);
    fprintf(out, "    flink       %08X  blink / share count %08X  pteaddress %08X\n", u1, u2,
            pte_address);
    fprintf(out, "    reference count %04X                                 color %u\n", refs,
            PV_MMPFN_COLOR(flags));
    fprintf(out, "    restore pte %08X  containing page        %06X  %-*s%s\n", original,
            u4 & 0x1FFFFFFu, letters[0] ? 11 : 0, location_name(PV_MMPFN_LOCATION(flags)),
            letters);
    const char *words[] = { (flags & PV_MMPFN_MODIFIED) ? "Modified" : NULL,
                            (flags & PV_MMPFN_PROTOTYPE_PTE) ? "Shared" : NULL,
                            (flags & PV_MMPFN_READ_IN_PROGRESS) ? "ReadInProgress" : NULL,
                            (flags & PV_MMPFN_WRITE_IN_PROGRESS) ? "WriteInProgress" : NULL };
    bool any = false;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (words[i]) {
            fprintf(out, "%s%s", any ? " " : "    ", words[i]);
            any = true;
        }
    if (any)
        fputc('\n', out);
    return 0;
}

/* The EPROCESS whose page directory is cr3, from PsActiveProcessHead; 0 with why if none. */
static uint32_t current_process(const struct mm_inspect_src *src, char *why, size_t whylen)
{
    struct process_walk w;
    uint32_t ep, dirbase;
    int more;
    if (process_walk_start(src, &w, why, whylen))
        return 0;
    while ((more = process_walk_next(src, &w, &ep, why, whylen)) > 0) {
        if (read_at(src, ep + PV_LAYOUT_EPROCESS_DIRBASE, &dirbase, 4, why, whylen))
            return 0;
        if ((dirbase & ~0xFFFu) == (src->cr3 & ~0xFFFu))
            return ep;
    }
    if (more < 0)
        return 0;
    snprintf(why, whylen, "no process runs on cr3 %08X (give one: !vad EPROCESS)", src->cr3);
    return 0;
}

/* NT's names of a protection code (MM_*), as !vad prints them. */
static const char *protection_name(uint32_t p, char *buf, size_t len)
{
    static const char *const access[8] = { "NO_ACCESS", "READONLY", "EXECUTE", "EXECUTE_READ",
                                           "READWRITE", "WRITECOPY", "EXECUTE_READWRITE",
                                           "EXECUTE_WRITECOPY" };
    if ((p & 0x18u) == 0x18u)
        snprintf(buf, len, "%s", (p & 7u) ? "WRITECOMBINE" : "NO_ACCESS");
    else
        snprintf(buf, len, "%s%s%s", access[p & 7u], (p & 0x08u) ? " NOCACHE" : "",
                 (p & 0x10u) ? " GUARD" : "");
    return buf;
}

#define VAD_DEPTH_MAX 64    /* an AVL tree of the guest's 512 VADs is 13 deep at most */
#define VAD_NODES_MAX 4096

int mm_inspect_print_vad(FILE *out, const struct mm_inspect_src *src, bool have_process,
                         uint32_t eprocess, char *why, size_t whylen)
{
    uint32_t ep = have_process ? eprocess : current_process(src, why, whylen), root;
    if (!ep || read_at(src, ep + PV_LAYOUT_EPROCESS_VAD_ROOT, &root, 4, why, whylen))
        return -1;
    fprintf(out, "VAD     level      start      end    commit\n");
    /* In order, with an explicit stack: (node, level). */
    struct { uint32_t vad, level; } stack[VAD_DEPTH_MAX];
    unsigned depth = 0, count = 0, levels = 0, deepest = 0;
    uint32_t node = root, level = 0;
    while (node || depth) {
        while (node) {
            if (depth == VAD_DEPTH_MAX) {
                snprintf(why, whylen, "the VAD tree is deeper than %u: it is broken",
                         VAD_DEPTH_MAX);
                return -1;
            }
            stack[depth].vad = node;
            stack[depth++].level = level++;
            if (read_at(src, node + PV_LAYOUT_MMVAD_LEFT, &node, 4, why, whylen))
                return -1;
        }
        node = stack[--depth].vad;
        level = stack[depth].level;
        uint32_t start, end, flags;
        if (read_at(src, node + PV_LAYOUT_MMVAD_START_VPN, &start, 4, why, whylen) ||
            read_at(src, node + PV_LAYOUT_MMVAD_END_VPN, &end, 4, why, whylen) ||
            read_at(src, node + PV_LAYOUT_MMVAD_FLAGS, &flags, 4, why, whylen))
            return -1;
        if (++count > VAD_NODES_MAX) {
            snprintf(why, whylen, "more than %u VADs: the tree is broken", VAD_NODES_MAX);
            return -1;
        }
        char prot[48];
        bool image = !PV_MMVAD_PRIVATE(flags) && PV_MMVAD_TYPE(flags) == 2;
        /* An AWE window (VadAwe) is "Phys", large pages (VadLargePages) "Large". */
        const char *kind = image ? "Exe" : PV_MMVAD_TYPE(flags) == 3 ? "Phys" :
                           PV_MMVAD_TYPE(flags) == 5 ? "Large" : "";
        fprintf(out, "%08x (%2u) %10x %8x %9u %-7s %-4s %s\n", node, level, start, end,
                PV_MMVAD_COMMIT(flags), PV_MMVAD_PRIVATE(flags) ? "Private" : "Mapped",
                kind, protection_name(PV_MMVAD_PROTECTION(flags), prot, sizeof(prot)));
        levels += level + 1;
        deepest = level > deepest ? level : deepest;
        if (read_at(src, node + PV_LAYOUT_MMVAD_RIGHT, &node, 4, why, whylen))
            return -1;
        level++;
    }
    fprintf(out, "\nTotal VADs: %5u  average level: %4u  maximum depth: %u\n", count,
            count ? (levels + count / 2) / count : 0, deepest);
    return 0;
}

#define WSLE_MAX (1u << 20)   /* far more entries than the guest's lists have */

int mm_inspect_print_ws(FILE *out, const struct mm_inspect_src *src, bool have_process,
                        uint32_t eprocess, char *why, size_t whylen)
{
    uint32_t ep = have_process ? eprocess : current_process(src, why, whylen), dirbase, wsl, pid;
    char name[33] = { 0 };
    if (!ep || read_at(src, ep + PV_LAYOUT_EPROCESS_DIRBASE, &dirbase, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_WSL, &wsl, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_PID, &pid, 4, why, whylen) ||
        read_at(src, ep + PV_LAYOUT_EPROCESS_IMAGE_NAME, name, 32, why, whylen))
        return -1;
    for (char *c = name; *c; c++)
        if (*c < 0x20 || *c > 0x7E)
            *c = '?';
    if (!wsl) {
        snprintf(why, whylen, "process %x (%s) has no working-set list", pid, name);
        return -1;
    }
    struct mm_inspect_src own = *src;   /* the list lives in the process's own space */
    own.cr3 = dirbase;
    uint32_t h[6];
    if (read_at(&own, wsl, h, sizeof(h), why, whylen))
        return -1;
    uint32_t first_free = h[PV_LAYOUT_MMWSL_FIRST_FREE / 4],
             last_init = h[PV_LAYOUT_MMWSL_LAST_INITIALIZED / 4],
             capacity = h[PV_LAYOUT_MMWSL_CAPACITY / 4], oldest = h[PV_LAYOUT_MMWSL_OLDEST / 4],
             newest = h[PV_LAYOUT_MMWSL_NEWEST / 4], count = h[PV_LAYOUT_MMWSL_COUNT / 4];
    fprintf(out, "Working Set @ %08x (process %x, %s)\n", wsl, pid, name);
    fprintf(out, "    FirstFree %8x  LastInitialized %8x  Capacity %8x\n", first_free,
            last_init, capacity);
    fprintf(out, "    Oldest    %8x  Newest          %8x  Count    %8x\n", oldest, newest,
            count);
    fprintf(out, "    index  address   (oldest first)\n");
    uint32_t at = oldest, seen = 0;
    while (at != PV_WSLE_NONE) {
        uint32_t e[2];
        if (at >= capacity || seen == count || seen == WSLE_MAX) {
            snprintf(why, whylen, "entry %x after %u of %u: the list is broken", at, seen,
                     count);
            return -1;
        }
        if (read_at(&own, wsl + PV_LAYOUT_MMWSL_WSLE + at * PV_LAYOUT_MMWSLE_SIZE, e,
                    sizeof(e), why, whylen))
            return -1;
        fprintf(out, "    %5x  %08x%s%s\n", at, e[0] & ~0xFFFu,
                (e[0] & PV_WSLE_PAGE_TABLE) ? "  page table" : "",
                (e[0] & PV_WSLE_VALID) ? "" : "  (not valid)");
        seen++;
        at = e[PV_LAYOUT_MMWSLE_FLINK / 4];
    }
    if (seen != count) {
        snprintf(why, whylen, "the list holds %u entries, Count says %u", seen, count);
        return -1;
    }
    return 0;
}

int mm_inspect_counters(const struct mm_inspect_src *src, struct mm_counters *c, char *why,
                        size_t whylen)
{
    struct process_walk w;
    uint32_t ep, dirbase;
    int more = 0;
    memset(c, 0, sizeof(*c));
    if (mm_inspect_read(src, &c->sys, why, whylen) || process_walk_start(src, &w, why, whylen))
        return -1;
    while (c->nproc < MM_COUNTER_PROCESSES &&
           (more = process_walk_next(src, &w, &ep, why, whylen)) > 0) {
        if (read_at(src, ep + PV_LAYOUT_EPROCESS_PID, &c->proc[c->nproc].pid, 4, why, whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_FAULTS, &c->proc[c->nproc].faults, 4, why,
                    whylen) ||
            read_at(src, ep + PV_LAYOUT_EPROCESS_DIRBASE, &dirbase, 4, why, whylen) ||
            ws_count(src, ep, dirbase, &c->proc[c->nproc].ws, why, whylen))
            return -1;
        c->nproc++;
    }
    return more < 0 ? -1 : 0;
}

/* A hex number as WinDbg reads one ("401000", "0x401000", "0n12" is not taken). */
static bool hex_arg(const char *text, uint32_t *v)
{
    char *end;
    while (*text == ' ')
        text++;
    if (!isxdigit((unsigned char)*text))
        return false;
    unsigned long long n = strtoull(text, &end, 16);
    while (*end == ' ')
        end++;
    if (*end || n > 0xFFFFFFFFull)
        return false;
    *v = (uint32_t)n;
    return true;
}

enum command { CMD_VM, CMD_MEMUSAGE, CMD_PROCESS, CMD_PROCESS_DETAILS, CMD_PTE, CMD_PFN,
               CMD_VAD, CMD_VAD_OF, CMD_WS, CMD_WS_OF, CMD_BAD };

/* A command that takes an EPROCESS address or nothing (the process on the current CR3). */
static enum command process_arg(const char *c, size_t n, const char *rest, uint32_t *arg,
                                enum command current, enum command given, char *why,
                                size_t whylen)
{
    if (!*rest)
        return current;
    if (hex_arg(rest, arg))
        return given;
    snprintf(why, whylen, "%.*s takes an EPROCESS address in hex, or nothing: '%s'", (int)n, c,
             c);
    return CMD_BAD;
}

static enum command parse_command(const char *c, uint32_t *arg, char *why, size_t whylen)
{
    while (*c == ' ')
        c++;
    size_t n = strcspn(c, " ");
    const char *rest = c + n;
    while (*rest == ' ')
        rest++;
    if (n == 3 && !strncmp(c, "!vm", 3) && (!*rest || !strcmp(rest, "1")))
        return CMD_VM;
    if (n == 9 && !strncmp(c, "!memusage", 9) && !*rest)
        return CMD_MEMUSAGE;
    if (n == 8 && !strncmp(c, "!process", 8) && (!*rest || !strcmp(rest, "0 0")))
        return CMD_PROCESS;
    if (n == 8 && !strncmp(c, "!process", 8) && !strcmp(rest, "0 1"))
        return CMD_PROCESS_DETAILS;
    if (n == 3 && !strncmp(c, "!ws", 3))
        return process_arg(c, n, rest, arg, CMD_WS, CMD_WS_OF, why, whylen);
    if (n == 4 && !strncmp(c, "!pte", 4)) {
        if (hex_arg(rest, arg))
            return CMD_PTE;
        snprintf(why, whylen, "!pte needs a virtual address in hex: '%s'", c);
        return CMD_BAD;
    }
    if (n == 4 && !strncmp(c, "!pfn", 4)) {
        if (hex_arg(rest, arg))
            return CMD_PFN;
        snprintf(why, whylen, "!pfn needs a page frame number in hex: '%s'", c);
        return CMD_BAD;
    }
    if (n == 4 && !strncmp(c, "!vad", 4))
        return process_arg(c, n, rest, arg, CMD_VAD, CMD_VAD_OF, why, whylen);
    snprintf(why, whylen, "unknown command '%s' (known: !vm, !memusage, !process 0 0|0 1, "
             "!pte VA, !pfn N, !vad [EPROCESS], !ws [EPROCESS])", c);
    return CMD_BAD;
}

bool mm_inspect_command_valid(const char *command, char *why, size_t whylen)
{
    uint32_t arg;
    return parse_command(command, &arg, why, whylen) != CMD_BAD;
}

int mm_inspect_command(FILE *out, const struct mm_inspect_src *src, const char *command,
                       char *why, size_t whylen)
{
    uint32_t arg = 0;
    struct mm_state st;
    enum command k = parse_command(command, &arg, why, whylen);
    switch (k) {
    case CMD_VM:
        if (mm_inspect_read(src, &st, why, whylen))
            return -1;
        mm_inspect_print_vm(out, &st);
        return 0;
    case CMD_MEMUSAGE:
        if (mm_inspect_read(src, &st, why, whylen))
            return -1;
        mm_inspect_print_memusage(out, &st);
        return 0;
    case CMD_PROCESS:
    case CMD_PROCESS_DETAILS:
        return mm_inspect_print_processes(out, src, k == CMD_PROCESS_DETAILS, why, whylen);
    case CMD_WS:
        return mm_inspect_print_ws(out, src, false, 0, why, whylen);
    case CMD_WS_OF:
        return mm_inspect_print_ws(out, src, true, arg, why, whylen);
    case CMD_PTE:
        return mm_inspect_print_pte(out, src, arg, why, whylen);
    case CMD_PFN:
        return mm_inspect_print_pfn(out, src, arg, why, whylen);
    case CMD_VAD:
        return mm_inspect_print_vad(out, src, false, 0, why, whylen);
    case CMD_VAD_OF:
        return mm_inspect_print_vad(out, src, true, arg, why, whylen);
    case CMD_BAD:
        break;
    }
    return -1;
}
