/*
 * fuzz_loader.c - libFuzzer target: the Multiboot/ELF kernel loader (vmm/multiboot_loader.c)
 * on a file written from the input: the checks made before boot (as kernel and as image), the
 * link base, and the whole load from files into a fake guest RAM bounded by guard pages, with
 * the same file as a module. Whatever the file, a refusal carries a reason and a successful
 * load leaves every module and the Multiboot info inside RAM and clear of each other.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_ram.h"
#include "multiboot.h"
#include "multiboot_loader.h"

#define RAM (4u << 20)

static struct guest_mem mem;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ram_init(&mem, RAM);
    char path[256], err[512];
    close(fuzz_temp_file(data, size, path, sizeof(path)));

    err[0] = '\0';
    if (mb_check_file(path, true, RAM, err, sizeof(err)) != 0 && !err[0])
        abort();
    mb_check_file(path, false, RAM, err, sizeof(err));
    uint32_t base;
    mb_kernel_link_base(data, size, &base, err, sizeof(err));

    struct mb_module mod = { path, "module arg" };
    struct mb_boot boot;
    err[0] = '\0';
    int rc = mb_load(&mem, path, "kernel cmdline", &mod, 1, &boot, err, sizeof(err));
    unlink(path);
    if (rc != 0) {
        if (!err[0])
            abort();  /* a refusal without a reason */
        return 0;
    }
    /* A load that succeeded: the info lies in the loader's area, the module inside RAM,
     * after the kernel and clear of the loader's area. */
    if (boot.mbi_gpa < MB_INFO_BASE || boot.mbi_gpa >= MB_INFO_END)
        abort();
    const struct multiboot_info *mbi = (const void *)(mem.base + boot.mbi_gpa);
    const struct multiboot_module *mm = gpa_ptr(&mem, mbi->mods_addr, sizeof(*mm));
    if (mbi->mods_count != 1 || !mm || mm->mod_end - mm->mod_start != size ||
        !gpa_range_ok(&mem, mm->mod_start, size) || mm->mod_start < boot.kernel_end ||
        (mm->mod_start < MB_INFO_END && mm->mod_end > MB_INFO_BASE) ||
        memcmp(mem.base + mm->mod_start, data, size) != 0)
        abort();
    return 0;
}
