/* pte_format.c - WinDbg-style descriptions of x86 non-PAE PTEs and PDEs. */
#include "pte_format.h"

#include <stdio.h>

#include "nt_layout.h"
#include "nt_pte.h"

void pte_flag_letters(uint32_t pte, bool is_pde, char out[10])
{
    out[0] = (pte & PTE_GLOBAL) ? 'G' : '-';
    out[1] = (is_pde && (pte & PTE_LARGE_PAGE)) ? 'L' : '-';
    out[2] = (pte & PTE_DIRTY) ? 'D' : '-';
    out[3] = (pte & PTE_ACCESSED) ? 'A' : '-';
    out[4] = (pte & PTE_CACHE_DISABLE) ? 'N' : '-';
    out[5] = (pte & PTE_WRITE_THROUGH) ? 'T' : '-';
    out[6] = (pte & PTE_OWNER) ? 'U' : 'K';
    out[7] = (pte & PTE_WRITE) ? 'W' : 'R';
    out[8] = (pte & PTE_VALID) ? 'V' : '-';
    out[9] = '\0';
}

const char *pte_protection_name(uint32_t protection, char *buf, size_t len)
{
    static const char *const access[8] = {
        "ZeroAccess", "ReadOnly", "Execute", "ExecuteRead",
        "ReadWrite", "WriteCopy", "ExecuteReadWrite", "ExecuteWriteCopy",
    };
    protection &= 0x1F;
    if (protection == MM_DECOMMIT)
        snprintf(buf, len, "Decommitted");
    else if (protection == MM_NOACCESS)
        snprintf(buf, len, "NoAccess");
    else
        snprintf(buf, len, "%s%s%s", access[protection & MM_PROTECT_ACCESS],
                 (protection & 0x18) == MM_GUARD_PAGE ? " Guard" : "",
                 (protection & 0x18) == MM_NOCACHE ? " NoCache" :
                 (protection & 0x18) == 0x18 ? " WriteCombine" : "");
    return buf;
}

bool pde_is_large(uint32_t pde)
{
    return (pde & (PTE_VALID | PTE_LARGE_PAGE)) == (PTE_VALID | PTE_LARGE_PAGE);
}

const char *pte_large_page_note(uint32_t pde, uint32_t va, char *buf, size_t len)
{
    uint32_t pa = (pde & PDE_LARGE_FRAME_MASK) | (va & (PDE_MAPPED_VA - 1));
    snprintf(buf, len, "LARGE PAGE pfn %x", PTE_PFN(pa));
    return buf;
}

const char *pte_kind_name(uint32_t pte)
{
    switch (mi_pte_kind(pte)) {
    case MI_PTE_ZERO: return "zero";
    case MI_PTE_VALID: return "valid";
    case MI_PTE_DEMAND_ZERO: return "demand_zero";
    case MI_PTE_PAGEFILE: return "pagefile";
    case MI_PTE_TRANSITION: return "transition";
    case MI_PTE_PROTOTYPE: return "prototype";
    }
    return "?";
}

const char *pte_describe(uint32_t pte, bool is_pde, char *buf, size_t len)
{
    char flags[10], prot[40];
    uint32_t protection = MI_PTE_PROTECTION(pte);
    pte_protection_name(protection, prot, sizeof(prot));
    switch (mi_pte_kind(pte)) {
    case MI_PTE_VALID:
        pte_flag_letters(pte, is_pde, flags);
        if (is_pde && pde_is_large(pte))
            snprintf(buf, len, "pfn %x %s LARGE PAGE", PTE_PFN(pte & PDE_LARGE_FRAME_MASK),
                     flags);
        else
            snprintf(buf, len, "pfn %x %s%s", PTE_PFN(pte), flags,
                     (!is_pde && (pte & PTE_COPY_ON_WRITE)) ? " CopyOnWrite" : "");
        break;
    case MI_PTE_ZERO:
        /* A zero user PTE defers to the VAD; a zero PDE just means no page table. */
        snprintf(buf, len, is_pde ? "not valid (zero)" : "not valid (zero: the VAD decides)");
        break;
    case MI_PTE_DEMAND_ZERO:
        snprintf(buf, len, "not valid: DemandZero, Protect: %x - %s", protection, prot);
        break;
    case MI_PTE_PAGEFILE:
        snprintf(buf, len, "not valid: PageFile: %x, Offset: %x, Protect: %x - %s",
                 MI_PAGEFILE_LOW(pte), MI_PAGEFILE_HIGH(pte), protection, prot);
        break;
    case MI_PTE_TRANSITION:
        snprintf(buf, len, "not valid: Transition: %x, Protect: %x - %s", PTE_PFN(pte),
                 protection, prot);
        break;
    case MI_PTE_PROTOTYPE:
        if ((pte >> 12) == MI_PTE_LOOKUP_NEEDED)
            snprintf(buf, len, "not valid: Proto: VAD, Protect: %x - %s", protection, prot);
        else if (MI_IS_FORK_PROTO_PTE(pte))
            snprintf(buf, len, "not valid: Proto: clone block %x, Protect: %x - %s",
                     MI_PROTO_PTE_INDEX(pte), protection, prot);
        else
            snprintf(buf, len, "not valid: Proto: %08X", pte);
        break;
    }
    return buf;
}
