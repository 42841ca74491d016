/*
 * multiboot.h - Multiboot version 1 structures: what the VMM (as loader) writes and the
 * guest kernel reads. Layouts follow the Multiboot 0.6.96 specification.
 */
#ifndef PV_MULTIBOOT_H
#define PV_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_HEADER_MAGIC      0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC  0x2BADB002u
#define MULTIBOOT_SEARCH_BYTES      8192u  /* the header lies in the first 8 KiB, 4-aligned */

/* Header flags. */
#define MULTIBOOT_PAGE_ALIGN        0x00000001u  /* modules on page boundaries */
#define MULTIBOOT_MEMORY_INFO       0x00000002u  /* mem_* and mmap_* wanted */
#define MULTIBOOT_VIDEO_MODE        0x00000004u
#define MULTIBOOT_AOUT_KLUDGE       0x00010000u  /* address fields valid (not used by pagevisor) */

struct multiboot_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Info flags. */
#define MULTIBOOT_INFO_MEMORY       0x00000001u
#define MULTIBOOT_INFO_CMDLINE      0x00000004u
#define MULTIBOOT_INFO_MODS         0x00000008u
#define MULTIBOOT_INFO_MEM_MAP      0x00000040u
#define MULTIBOOT_INFO_BOOT_LOADER_NAME 0x00000200u

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;       /* KiB below 1 MiB, KiB above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info, vbe_mode_info;
    uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
};

struct multiboot_module {
    uint32_t mod_start, mod_end;   /* physical, [start, end) */
    uint32_t cmdline;              /* physical address of a NUL-terminated string */
    uint32_t pad;
};

#define MULTIBOOT_MEMORY_AVAILABLE  1u
#define MULTIBOOT_MEMORY_RESERVED   2u

/* `size` does not count itself: the next entry is at (entry + size + 4). */
struct __attribute__((packed)) multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
};

_Static_assert(sizeof(struct multiboot_info) == 88, "multiboot_info layout");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "multiboot_mmap_entry layout");

#endif /* PV_MULTIBOOT_H */
