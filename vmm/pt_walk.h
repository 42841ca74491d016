/*
 * pt_walk.h - the host's walker of guest page tables: translates a guest virtual address
 * through any guest CR3 (two-level 32-bit paging, 4 KiB and 4 MiB pages), reading the tables
 * from guest RAM with every access bounds-checked.
 */
#ifndef PV_PT_WALK_H
#define PV_PT_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

enum pt_walk_result {
    PT_WALK_OK,
    PT_WALK_PDE_NOT_PRESENT,
    PT_WALK_PTE_NOT_PRESENT,
    PT_WALK_BAD_TABLE,        /* the directory or a table lies outside guest RAM */
};

struct pt_walk {
    uint32_t va;
    uint32_t pde_gpa, pde;    /* where the PDE is and what it holds */
    uint32_t pte_gpa, pte;    /* not meaningful for a large page */
    bool large;               /* mapped by a 4 MiB PDE */
    uint64_t gpa;             /* the translation, when PT_WALK_OK */
};

/* pse: CR4.PSE, which decides whether PDE bit 7 means a 4 MiB page. */
enum pt_walk_result pt_walk(const struct guest_mem *m, uint32_t cr3, bool pse, uint32_t va,
                            struct pt_walk *w);

/* Copy len bytes at guest virtual va (paging on: through cr3; paging off: physical) into buf,
 * page by page. Returns the number of bytes copied before the first untranslatable byte. */
size_t pt_read_virt(const struct guest_mem *m, bool paging, uint32_t cr3, bool pse, uint32_t va,
                    void *buf, size_t len);

/* The same the other way: buf into guest RAM at virtual va (the page tables' permissions are
 * the guest's business: a debugger may write read-only code). Bytes written, up to the first
 * untranslatable one. */
size_t pt_write_virt(const struct guest_mem *m, bool paging, uint32_t cr3, bool pse, uint32_t va,
                     const void *buf, size_t len);

const char *pt_walk_result_name(enum pt_walk_result r);

#endif /* PV_PT_WALK_H */
