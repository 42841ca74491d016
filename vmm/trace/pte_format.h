/*
 * pte_format.h - PTEs and PDEs described the way WinDbg's !pte does: where the entry lives in
 * the self-map, what it contains, and either "pfn N FLAGS" or the decode of an invalid PTE
 * (DemandZero, PageFile, Transition, Proto) with its protection. A large PDE reads
 * "pfn 400 GLDA--KWV LARGE PAGE"; the PTE column of an address under it "LARGE PAGE pfn 523".
 */
#ifndef PV_PTE_FORMAT_H
#define PV_PTE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "G-DA--KWV": GLDANT(U|K)(W|R)V, the x86 !pte flag letters. L is shown for PDEs only. */
void pte_flag_letters(uint32_t pte, bool is_pde, char out[10]);

/* "ReadWrite", "ReadOnly Guard", "NoAccess", ... for a 5-bit protection code. */
const char *pte_protection_name(uint32_t protection, char *buf, size_t len);

/* One line: "pfn 1d ---DA--UWV" for a valid entry ("pfn 400 GLDA--KWV LARGE PAGE" for a
 * large PDE), or "not valid: DemandZero, Protect: 4 -
 * ReadWrite" (and the other decodes) for an invalid one. Returns buf. */
const char *pte_describe(uint32_t pte, bool is_pde, char *buf, size_t len);

/* A valid PDE with the PS bit: a 4 MiB page (the guest runs with CR4.PSE on). */
bool pde_is_large(uint32_t pde);

/* What stands in the PTE column for va under the large PDE pde: "LARGE PAGE pfn 523", the
 * 4 KiB frame of va inside the large page (there is no PTE). Returns buf. */
const char *pte_large_page_note(uint32_t pde, uint32_t va, char *buf, size_t len);

/* Short machine-friendly name of the PTE's kind: "valid", "zero", "demand_zero", "pagefile",
 * "transition", "prototype". */
const char *pte_kind_name(uint32_t pte);

#endif /* PV_PTE_FORMAT_H */
