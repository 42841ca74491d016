/*
 * multiboot_loader.h - pagevisor as a Multiboot (v1) loader: the ELF32 kernel by its program
 * headers, test images as modules with their command lines, a memory map and the kernel
 * command line, all written into guest RAM with every bound checked.
 */
#ifndef PV_MULTIBOOT_LOADER_H
#define PV_MULTIBOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* The loader's own area in low memory: the info structure, memory map, module list and
 * strings. A kernel segment may not overlap it. */
#define MB_INFO_BASE 0x00008000u
#define MB_INFO_END  0x0009F000u
#define MB_MIN_MEM   (2u << 20)
/* The lowest address a module is placed at: above the loader's area and the BIOS holes. */
#define MB_MODULES_MIN 0x00100000u

struct mb_module {
    const char *path;    /* host file to load */
    const char *cmdline; /* the module's command line as the guest sees it: "PATH ARGS..." */
};

struct mb_boot {
    uint32_t entry;         /* guest-physical entry point */
    uint32_t mbi_gpa;       /* guest-physical address of struct multiboot_info (EBX) */
    uint32_t kernel_start;  /* guest-physical [start, end) of the kernel, bss included */
    uint32_t kernel_end;
    uint32_t modules_end;   /* first byte after the last module */
};

/* Validate a Multiboot ELF32 kernel image held in img[0..len) and copy its loadable segments
 * into guest RAM. On error returns -1 with a one-line reason in err. */
int mb_load_kernel(struct guest_mem *m, const uint8_t *img, size_t len, struct mb_boot *boot,
                   char *err, size_t errlen);

/* Place the modules (already read into memory) after the kernel, at MB_MODULES_MIN or above,
 * and write the Multiboot info
 * structure with the memory map and command lines. */
struct mb_blob {
    const uint8_t *data;
    size_t len;
    const char *name;     /* for messages */
    const char *cmdline;
};
int mb_write_modules_and_info(struct guest_mem *m, struct mb_boot *boot, const char *cmdline,
                              const struct mb_blob *mods, size_t n, char *err, size_t errlen);

/* The whole load from files. Messages name the file at fault. */
int mb_load(struct guest_mem *m, const char *kernel_path, const char *cmdline,
            const struct mb_module *mods, size_t n, struct mb_boot *boot, char *err, size_t errlen);

/* The lowest virtual address of the ELF32 kernel's loadable segments (0x80100000 for the
 * default kernel, 0xC0900000 for the /3GB one). -1 with a reason when img is no usable ELF. */
int mb_kernel_link_base(const uint8_t *img, size_t len, uint32_t *base, char *err,
                        size_t errlen);

/* Whether img[0..len) is an executable pagevisor can load: ELF32, little-endian, EM_386,
 * ET_EXEC, statically linked, with a loadable segment inside the file; a kernel also needs a
 * Multiboot header asking for nothing pagevisor lacks. The checks mb_load_kernel starts with
 * (and the guest's image loader repeats), made before anything boots. -1 with a reason. */
int mb_check_elf(const uint8_t *img, size_t len, bool kernel, char *err, size_t errlen);

/* mb_check_elf on the file at path (no larger than max bytes); the reason starts with path
 * as given: "foo.elf: not an ELF file", "dir: a directory, not a file". */
int mb_check_file(const char *path, bool kernel, size_t max, char *err, size_t errlen);

/* Read a whole file, refusing files larger than max bytes. Returns NULL with err set. */
uint8_t *read_file_bounded(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif /* PV_MULTIBOOT_LOADER_H */
