/*
 * nt_layout.h - the NT x86 (non-PAE) address-space layout and self-map arithmetic.
 *
 * Shared by the guest memory manager (which maps page tables at PTE_BASE through the
 * self-map PDE) and by the host (which prints PTE/PDE virtual addresses in trace records the
 * way WinDbg's !pte does). Pure arithmetic on 32-bit values; no pointers, so it means the same
 * on both sides.
 */
#ifndef NT_LAYOUT_H
#define NT_LAYOUT_H

#include <stdint.h>

#define PAGE_SHIFT              12u
#define PAGE_SIZE               0x1000u
#define PDE_SHIFT               22u
#define PDE_MAPPED_VA           0x400000u          /* 4 MiB mapped by one PDE */
#define PTE_PER_PAGE            1024u

/* User/system split: NT's default 2 GB / 2 GB. The guest kernel keeps the split in variables
 * (MmHighestUserAddress, MmUserProbeAddress, MmSystemRangeStart) that the /3GB boot option
 * moves to the _3GB values; the host uses the defaults (nothing on the host depends on the
 * split so far). */
#define MM_LOWEST_USER_ADDRESS  0x00010000u
#define MM_HIGHEST_USER_ADDRESS 0x7FFEFFFFu
#define MM_USER_PROBE_ADDRESS   0x7FFF0000u        /* 64 KiB no-access guard below 2 GB */
#define MM_SYSTEM_RANGE_START   0x80000000u
#define MM_HIGHEST_USER_ADDRESS_3GB 0xBFFEFFFFu
#define MM_USER_PROBE_ADDRESS_3GB   0xBFFF0000u
#define MM_SYSTEM_RANGE_START_3GB   0xC0000000u
#define MM_LOWEST_SYSTEM_ADDRESS    0xC0800000u    /* above the self-map and hyperspace */

/* Self-map: PDE 0x300 points at the page directory itself. */
#define PTE_BASE                0xC0000000u
#define PTE_TOP                 0xC03FFFFFu
#define PDE_BASE                0xC0300000u
#define PDE_TOP                 0xC0300FFFu
#define MI_SELFMAP_PDE_INDEX    0x300u
#define MI_HYPERSPACE_PDE_INDEX 0x301u
#define MI_SYSTEM_PDE_FIRST     0x200u             /* PDEs 0x200..0x3FF are system space */

/* Hyperspace: per-process, PDE 0x301. */
#define HYPER_SPACE             0xC0400000u
#define HYPER_SPACE_END         0xC07FFFFFu
#define MI_HYPERSPACE_PTES      255u
#define MI_MAPPING_RANGE_START  0xC0400000u
#define MI_MAPPING_RANGE_END    (MI_MAPPING_RANGE_START + MI_HYPERSPACE_PTES * PAGE_SIZE)
#define MI_WORKING_SET_LIST     0xC0502000u

/* Where pagevisor's kernel lives: linked at 0x80100000, loaded at physical 1 MiB, mapped
 * linearly (virtual = KSEG0_BASE + physical). The /3GB kernel (kernel-3gb.elf, built with
 * PV_KERNEL_3GB) is the same code linked above hyperspace, at 0xC0900000: NT's "virtual bias"
 * moves the boot images out of the 3 GB user space the same way. */
#ifdef PV_KERNEL_3GB
#define KSEG0_BASE              MM_LOWEST_SYSTEM_ADDRESS
#else
#define KSEG0_BASE              0x80000000u
#endif
#define KERNEL_PHYS_BASE        0x00100000u
#define KERNEL_VIRT_BASE        (KSEG0_BASE + KERNEL_PHYS_BASE)

/* Where pagevisor's test images live. */
#define PV_IMAGE_BASE           0x00400000u

/* Self-map formulas (NT's MiAddressToPte and friends) on plain 32-bit values. */
#define MI_PTE_VA(va)           (PTE_BASE + (((uint32_t)(va) >> 10) & ~3u))
#define MI_PDE_VA(va)           (PDE_BASE + (((uint32_t)(va) >> 20) & ~3u))
#define MI_PTE_VA_TO_ADDRESS(p) (((uint32_t)(p) & 0x003FFFFFu) << 10)
#define MI_PDE_VA_TO_ADDRESS(p) (((uint32_t)(p) & 0x00000FFFu) << 20)
#define MI_PDE_INDEX(va)        ((uint32_t)(va) >> PDE_SHIFT)
#define MI_PTE_INDEX(va)        (((uint32_t)(va) >> PAGE_SHIFT) & (PTE_PER_PAGE - 1u))
#define MI_IS_PAGE_TABLE_ADDRESS(va) ((uint32_t)(va) >= PTE_BASE && (uint32_t)(va) <= PTE_TOP)
#define MI_IS_SYSTEM_ADDRESS(va)     ((uint32_t)(va) >= MM_SYSTEM_RANGE_START)
#define MI_IS_USER_ADDRESS(va)       ((uint32_t)(va) >= MM_LOWEST_USER_ADDRESS && \
                                      (uint32_t)(va) <= MM_HIGHEST_USER_ADDRESS)

#endif /* NT_LAYOUT_H */
