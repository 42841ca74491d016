/*
 * nt_pte.h - x86 non-PAE PTE formats as NT uses them: hardware bits, software PTEs
 * (demand zero, pagefile), transition and prototype PTEs, and the protection codes.
 *
 * Values, not bitfield structs: the host and the guest both encode and decode PTEs with these
 * macros, and a uint32_t means the same thing on both compilers.
 */
#ifndef NT_PTE_H
#define NT_PTE_H

#include <stdint.h>

/* Hardware bits (valid PTEs and PDEs). */
#define PTE_VALID          0x001u
#define PTE_WRITE          0x002u
#define PTE_OWNER          0x004u  /* user */
#define PTE_WRITE_THROUGH  0x008u
#define PTE_CACHE_DISABLE  0x010u
#define PTE_ACCESSED       0x020u
#define PTE_DIRTY          0x040u
#define PTE_LARGE_PAGE     0x080u  /* PDE only: 4 MiB page (needs CR4.PSE) */
#define PTE_GLOBAL         0x100u
#define PTE_COPY_ON_WRITE  0x200u  /* software */
#define PTE_PROTOTYPE      0x400u  /* software */
#define PTE_TRANSITION     0x800u  /* software, only meaningful when not valid */
#define PTE_FRAME_MASK     0xFFFFF000u
#define PDE_LARGE_FRAME_MASK 0xFFC00000u

#define PTE_PFN(pte)       ((uint32_t)(pte) >> 12)
#define PTE_FROM_PFN(pfn)  ((uint32_t)(pfn) << 12)

/* Templates (NT's ValidKernelPte: V|W|A|D). */
#define MM_VALID_KERNEL_PTE   (PTE_VALID | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY)
#define MM_VALID_KERNEL_PDE   MM_VALID_KERNEL_PTE

/* Protection codes (5 bits in software PTEs). */
#define MM_ZERO_ACCESS         0u
#define MM_READONLY            1u
#define MM_EXECUTE             2u
#define MM_EXECUTE_READ        3u
#define MM_READWRITE           4u
#define MM_WRITECOPY           5u
#define MM_EXECUTE_READWRITE   6u
#define MM_EXECUTE_WRITECOPY   7u
#define MM_PROTECT_ACCESS      7u
#define MM_NOCACHE             0x08u
#define MM_GUARD_PAGE          0x10u
#define MM_DECOMMIT            0x10u   /* MM_ZERO_ACCESS | MM_GUARD_PAGE */
#define MM_NOACCESS            0x18u   /* MM_ZERO_ACCESS | MM_WRITECOMBINE */

/* Software PTE fields (valid = 0). */
#define MM_PTE_PROTECTION_SHIFT 5u
#define MM_PTE_PROTECTION_MASK  (0x1Fu << MM_PTE_PROTECTION_SHIFT)
#define MM_PTE_PAGEFILE_LOW_SHIFT 1u
#define MM_PTE_PAGEFILE_LOW_MASK  (0xFu << MM_PTE_PAGEFILE_LOW_SHIFT)
#define MM_PTE_PAGEFILE_HIGH_SHIFT 12u

#define MI_PTE_PROTECTION(pte)  (((uint32_t)(pte) & MM_PTE_PROTECTION_MASK) >> MM_PTE_PROTECTION_SHIFT)
#define MI_PAGEFILE_HIGH(pte)   ((uint32_t)(pte) >> MM_PTE_PAGEFILE_HIGH_SHIFT)
#define MI_PAGEFILE_LOW(pte)    (((uint32_t)(pte) & MM_PTE_PAGEFILE_LOW_MASK) >> MM_PTE_PAGEFILE_LOW_SHIFT)

/* A demand-zero PTE: protection only (MM_READWRITE gives NT's familiar 0x80). */
#define MI_MAKE_DEMAND_ZERO_PTE(prot) ((uint32_t)(prot) << MM_PTE_PROTECTION_SHIFT)
#define MM_DEMAND_ZERO_WRITE_PTE      MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE)  /* 0x00000080 */
#define MM_DECOMMITTED_PTE            MI_MAKE_DEMAND_ZERO_PTE(MM_DECOMMIT)   /* 0x00000200 */

/* A paged-out PTE: protection, paging file number, offset (slot) in that file. Offset 0 is
 * never used for a page, so PageFileHigh == 0 always means demand zero. */
#define MI_MAKE_PAGEFILE_PTE(file, offset, prot) \
    (((uint32_t)(offset) << MM_PTE_PAGEFILE_HIGH_SHIFT) | \
     (((uint32_t)(file) & 0xFu) << MM_PTE_PAGEFILE_LOW_SHIFT) | \
     ((uint32_t)(prot) << MM_PTE_PROTECTION_SHIFT))

/* A transition PTE: the page is still in RAM on the standby or modified list. */
#define MI_MAKE_TRANSITION_PTE(pfn, prot) \
    (PTE_FROM_PFN(pfn) | PTE_TRANSITION | ((uint32_t)(prot) << MM_PTE_PROTECTION_SHIFT))

/* Prototype PTE whose prototype must be found through the VAD (NT's 0xFFFFF480 for RW). */
#define MI_PTE_LOOKUP_NEEDED 0xFFFFFu
#define MI_MAKE_PROTO_LOOKUP_PTE(prot) \
    ((MI_PTE_LOOKUP_NEEDED << 12) | PTE_PROTOTYPE | ((uint32_t)(prot) << MM_PTE_PROTECTION_SHIFT))

/* The two prototype-PTE forms a process PTE takes (Prototype = 1, Valid = 0). Both keep the
 * protection in bits 5-9 like every software PTE; bits 12-31 say where the prototype is:
 *   0xFFFFF   "look up the VAD": a view page (the VAD names the section and the prototype PTE)
 *             or an image page (read from the image file);
 *   1..0xFFFFE  a fork prototype PTE: the index of a clone block (guest/mm/clonblk.c) holding the
 *             prototype of a private page shared copy-on-write by a process and its clone.
 * NT encodes the prototype's pool address in the second form (MMPTE_PROTOTYPE); pagevisor keeps
 * clone blocks in one fixed pool, so an index does, and the protection stays where the
 * protection-changing code expects it. */
#define MI_MAKE_FORK_PROTO_PTE(index, prot) \
    (((uint32_t)(index) << 12) | PTE_PROTOTYPE | ((uint32_t)(prot) << MM_PTE_PROTECTION_SHIFT))
#define MI_PROTO_PTE_INDEX(pte)     ((uint32_t)(pte) >> 12)
#define MI_IS_PROTO_LOOKUP_PTE(pte) \
    (((pte) & (PTE_VALID | PTE_PROTOTYPE)) == PTE_PROTOTYPE && \
     MI_PROTO_PTE_INDEX(pte) == MI_PTE_LOOKUP_NEEDED)
#define MI_IS_FORK_PROTO_PTE(pte) \
    (((pte) & (PTE_VALID | PTE_PROTOTYPE)) == PTE_PROTOTYPE && \
     MI_PROTO_PTE_INDEX(pte) != MI_PTE_LOOKUP_NEEDED && MI_PROTO_PTE_INDEX(pte) != 0)

/* Kinds of PTE, as !pte decodes them. */
enum mi_pte_kind {
    MI_PTE_ZERO,        /* 0: no information, consult the VAD */
    MI_PTE_VALID,
    MI_PTE_DEMAND_ZERO,
    MI_PTE_PAGEFILE,
    MI_PTE_TRANSITION,
    MI_PTE_PROTOTYPE,
};

static inline enum mi_pte_kind mi_pte_kind(uint32_t pte)
{
    if (pte == 0)
        return MI_PTE_ZERO;
    if (pte & PTE_VALID)
        return MI_PTE_VALID;
    if (pte & PTE_PROTOTYPE)
        return MI_PTE_PROTOTYPE;
    if (pte & PTE_TRANSITION)
        return MI_PTE_TRANSITION;
    if (MI_PAGEFILE_HIGH(pte) == 0)
        return MI_PTE_DEMAND_ZERO;
    return MI_PTE_PAGEFILE;
}

#endif /* NT_PTE_H */
