/* pt_walk.c - translation of guest virtual addresses through guest page tables. */
#include "pt_walk.h"

#include <string.h>

#include "nt_layout.h"
#include "nt_pte.h"

static bool read_u32(const struct guest_mem *m, uint64_t gpa, uint32_t *out)
{
    const void *p = gpa_ptr(m, gpa, 4);
    if (!p)
        return false;
    memcpy(out, p, 4);
    return true;
}

enum pt_walk_result pt_walk(const struct guest_mem *m, uint32_t cr3, bool pse, uint32_t va,
                            struct pt_walk *w)
{
    memset(w, 0, sizeof(*w));
    w->va = va;
    w->pde_gpa = (cr3 & PTE_FRAME_MASK) + MI_PDE_INDEX(va) * 4u;
    if (!read_u32(m, w->pde_gpa, &w->pde))
        return PT_WALK_BAD_TABLE;
    if (!(w->pde & PTE_VALID))
        return PT_WALK_PDE_NOT_PRESENT;
    if (pse && (w->pde & PTE_LARGE_PAGE)) {
        w->large = true;
        w->gpa = (uint64_t)(w->pde & PDE_LARGE_FRAME_MASK) + (va & (PDE_MAPPED_VA - 1));
        return PT_WALK_OK;
    }
    w->pte_gpa = (w->pde & PTE_FRAME_MASK) + MI_PTE_INDEX(va) * 4u;
    if (!read_u32(m, w->pte_gpa, &w->pte))
        return PT_WALK_BAD_TABLE;
    if (!(w->pte & PTE_VALID))
        return PT_WALK_PTE_NOT_PRESENT;
    w->gpa = (uint64_t)(w->pte & PTE_FRAME_MASK) + (va & (PAGE_SIZE - 1));
    return PT_WALK_OK;
}

/* Copies between buf and guest virtual va, page by page, in the direction asked. */
static size_t copy_virt(const struct guest_mem *m, bool paging, uint32_t cr3, bool pse,
                        uint32_t va, uint8_t *buf, size_t len, bool to_guest)
{
    size_t done = 0;
    while (done < len) {
        uint32_t at = va + (uint32_t)done;
        uint64_t gpa = at;
        if (paging) {
            struct pt_walk w;
            if (pt_walk(m, cr3, pse, at, &w) != PT_WALK_OK)
                break;
            gpa = w.gpa;
        }
        size_t chunk = PAGE_SIZE - (at & (PAGE_SIZE - 1));
        if (chunk > len - done)
            chunk = len - done;
        uint8_t *ram = (uint8_t *)gpa_ptr(m, gpa, chunk);
        if (!ram)
            break;
        if (to_guest)
            memcpy(ram, buf + done, chunk);
        else
            memcpy(buf + done, ram, chunk);
        done += chunk;
        /* Guest virtual addresses are 32 bits: the next byte after 0xFFFFFFFF is not at 0.
         * Compare in 32 bits (at + chunk in size_t never wraps). */
        if ((uint32_t)(at + (uint32_t)chunk) < at)
            break;
    }
    return done;
}

size_t pt_read_virt(const struct guest_mem *m, bool paging, uint32_t cr3, bool pse, uint32_t va,
                    void *buf, size_t len)
{
    return copy_virt(m, paging, cr3, pse, va, buf, len, false);
}

size_t pt_write_virt(const struct guest_mem *m, bool paging, uint32_t cr3, bool pse, uint32_t va,
                     const void *buf, size_t len)
{
    return copy_virt(m, paging, cr3, pse, va, (uint8_t *)(uintptr_t)buf, len, true);
}

const char *pt_walk_result_name(enum pt_walk_result r)
{
    switch (r) {
    case PT_WALK_OK: return "ok";
    case PT_WALK_PDE_NOT_PRESENT: return "PDE not present";
    case PT_WALK_PTE_NOT_PRESENT: return "PTE not present";
    case PT_WALK_BAD_TABLE: return "page table outside guest RAM";
    }
    return "?";
}
