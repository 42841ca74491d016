/*
 * multiboot_loader.c - loads an ELF32 Multiboot kernel and its modules into guest RAM.
 *
 * Everything read from a file is untrusted: offsets and sizes are checked in 64-bit arithmetic
 * before any copy, and every guest-physical range goes through gpa_ptr().
 */
#include "multiboot_loader.h"
#include "fdio.h"

#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "multiboot.h"
#include "nt_layout.h"

#define PAGE_ALIGN_UP(x) (((uint64_t)(x) + 0xFFFu) & ~(uint64_t)0xFFFu)

/* The Multiboot header's three words copied into *h (the image may sit at any alignment). */
static bool find_mb_header(const uint8_t *img, size_t len, struct multiboot_header *h)
{
    size_t limit = len < MULTIBOOT_SEARCH_BYTES ? len : MULTIBOOT_SEARCH_BYTES;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        uint32_t w[3];
        memcpy(w, img + off, sizeof(w));
        if (w[0] == MULTIBOOT_HEADER_MAGIC && (uint32_t)(w[0] + w[1] + w[2]) == 0) {
            memset(h, 0, sizeof(*h));
            h->magic = w[0];
            h->flags = w[1];
            h->checksum = w[2];
            return true;
        }
    }
    return false;
}

static const char *machine_name(unsigned machine)
{
    switch (machine) {
    case EM_X86_64: return " (x86-64)";
    case EM_ARM: return " (32-bit ARM)";
    case EM_AARCH64: return " (AArch64)";
    case EM_RISCV: return " (RISC-V)";
    default: return "";
    }
}

static int check_ehdr(const uint8_t *img, size_t len, char *err, size_t errlen)
{
    Elf32_Ehdr copy;
    const Elf32_Ehdr *eh = &copy;
    memcpy(&copy, img, len < sizeof(copy) ? len : sizeof(copy));
    if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0)
        return fail_why(err, errlen, "not an ELF file");
    if (img[EI_CLASS] == ELFCLASS64)
        return fail_why(err, errlen, "a 64-bit ELF file (ELFCLASS64), not ELFCLASS32: pagevisor "
                    "loads 32-bit i386 executables");
    if (img[EI_CLASS] != ELFCLASS32)
        return fail_why(err, errlen, "ELF class %u is not ELFCLASS32 (a 32-bit i386 executable is "
                    "needed)", img[EI_CLASS]);
    if (len < sizeof(Elf32_Ehdr))
        return fail_why(err, errlen, "truncated ELF header (%zu bytes)", len);
    if (img[EI_DATA] != ELFDATA2LSB)
        return fail_why(err, errlen, "not a little-endian ELF file");
    if (eh->e_machine != EM_386)
        return fail_why(err, errlen, "built for ELF machine %u%s, not EM_386 (i386)", eh->e_machine,
                    machine_name(eh->e_machine));
    if (eh->e_type != ET_EXEC)
        return fail_why(err, errlen, "ELF type %u%s is not ET_EXEC (an executable linked at fixed "
                    "addresses)", eh->e_type, eh->e_type == ET_REL ? " (an object file)" :
                    eh->e_type == ET_DYN ? " (a shared object or PIE)" : "");
    if (eh->e_phnum == 0 || eh->e_phentsize != sizeof(Elf32_Phdr))
        return fail_why(err, errlen, "no usable program headers (phnum %u, phentsize %u)",
                    eh->e_phnum, eh->e_phentsize);
    if ((uint64_t)eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > len)
        return fail_why(err, errlen, "truncated: program headers end past the file (%zu bytes)",
                        len);
    return 0;
}

/* The ELF header and program-header table of an image check_ehdr accepted, copied out: e_phoff
 * may be any offset, so the table is not read in place (it may be misaligned). NULL with a
 * reason when out of memory; the caller frees the table. */
static Elf32_Phdr *read_headers(const uint8_t *img, Elf32_Ehdr *eh, char *err, size_t errlen)
{
    memcpy(eh, img, sizeof(*eh));
    Elf32_Phdr *ph = malloc((size_t)eh->e_phnum * sizeof(*ph));
    if (!ph) {
        fail_why(err, errlen, "out of memory for %u program headers", eh->e_phnum);
        return NULL;
    }
    memcpy(ph, img + eh->e_phoff, (size_t)eh->e_phnum * sizeof(*ph));
    return ph;
}

/* The Multiboot header of a kernel, and the features of it pagevisor does not provide. */
static int check_mb_header(const uint8_t *img, size_t len, char *err, size_t errlen)
{
    struct multiboot_header hdr;
    const struct multiboot_header *mh = &hdr;
    if (!find_mb_header(img, len, &hdr))
        return fail_why(err, errlen, "no Multiboot header in the first %u bytes",
                    MULTIBOOT_SEARCH_BYTES);
    if (mh->flags & MULTIBOOT_VIDEO_MODE)
        return fail_why(err, errlen, "kernel asks for a video mode (Multiboot flag 2), which "
                    "pagevisor does not provide");
    if (mh->flags & MULTIBOOT_AOUT_KLUDGE)
        return fail_why(err, errlen, "kernel uses the a.out kludge (Multiboot flag 16); pagevisor "
                    "loads ELF program headers only");
    return 0;
}

/* What a loadable segment must be in any file: inside it, and no more file bytes than memory. */
static int check_segment_file(const Elf32_Phdr *ph, unsigned i, size_t len, char *err,
                              size_t errlen)
{
    if ((uint64_t)ph->p_offset + ph->p_filesz > len)
        return fail_why(err, errlen,
                        "truncated: segment %u needs file bytes 0x%x-0x%llx, file has %zu",
                    i, ph->p_offset, (unsigned long long)ph->p_offset + ph->p_filesz, len);
    if (ph->p_filesz > ph->p_memsz)
        return fail_why(err, errlen, "segment %u has filesz 0x%x > memsz 0x%x", i, ph->p_filesz,
                    ph->p_memsz);
    return 0;
}

static int check_segment(const struct guest_mem *m, const Elf32_Phdr *ph, unsigned i, size_t len,
                         char *err, size_t errlen)
{
    uint64_t start = ph->p_paddr, end = start + ph->p_memsz;
    if (check_segment_file(ph, i, len, err, errlen))
        return -1;
    if (!gpa_range_ok(m, start, ph->p_memsz))
        return fail_why(err, errlen,
                    "segment %u (physical 0x%llx-0x%llx) lies outside guest RAM (%llu MiB)", i,
                    (unsigned long long)start, (unsigned long long)end,
                    (unsigned long long)(m->size >> 20));
    if (start < MB_INFO_END && end > MB_INFO_BASE)
        return fail_why(err, errlen,
                    "segment %u (physical 0x%llx-0x%llx) overlaps the loader's area 0x%x-0x%x", i,
                    (unsigned long long)start, (unsigned long long)end, MB_INFO_BASE, MB_INFO_END);
    return 0;
}

static int check_overlaps(const Elf32_Phdr *ph, unsigned n, char *err, size_t errlen)
{
    for (unsigned i = 0; i < n; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        for (unsigned j = i + 1; j < n; j++) {
            if (ph[j].p_type != PT_LOAD || ph[j].p_memsz == 0)
                continue;
            uint64_t a0 = ph[i].p_paddr, a1 = a0 + ph[i].p_memsz;
            uint64_t b0 = ph[j].p_paddr, b1 = b0 + ph[j].p_memsz;
            if (a0 < b1 && b0 < a1)
                return fail_why(err, errlen,
                                "segments %u and %u overlap (physical 0x%llx-0x%llx and "
                            "0x%llx-0x%llx)", i, j, (unsigned long long)a0,
                            (unsigned long long)a1, (unsigned long long)b0,
                            (unsigned long long)b1);
        }
    }
    return 0;
}

/* Multiboot enters with paging off, so the entry point is physical. Kernels linked high often
 * give a virtual e_entry; translate it through the segment that contains it, as GRUB does. */
static int find_entry(const Elf32_Ehdr *eh, const Elf32_Phdr *ph, uint32_t *entry)
{
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && eh->e_entry >= ph[i].p_paddr &&
            (uint64_t)eh->e_entry < (uint64_t)ph[i].p_paddr + ph[i].p_memsz) {
            *entry = eh->e_entry;
            return 0;
        }
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && eh->e_entry >= ph[i].p_vaddr &&
            (uint64_t)eh->e_entry < (uint64_t)ph[i].p_vaddr + ph[i].p_memsz) {
            *entry = eh->e_entry - ph[i].p_vaddr + ph[i].p_paddr;
            return 0;
        }
    return -1;
}

int mb_kernel_link_base(const uint8_t *img, size_t len, uint32_t *base, char *err,
                        size_t errlen)
{
    if (check_ehdr(img, len, err, errlen))
        return -1;
    Elf32_Ehdr ehdr;
    const Elf32_Ehdr *eh = &ehdr;
    Elf32_Phdr *ph = read_headers(img, &ehdr, err, errlen);
    if (!ph)
        return -1;
    uint64_t lo = UINT64_MAX;
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_memsz != 0 && ph[i].p_vaddr < lo)
            lo = ph[i].p_vaddr;
    free(ph);
    if (lo == UINT64_MAX)
        return fail_why(err, errlen, "no loadable segment");
    *base = (uint32_t)lo;
    return 0;
}

static int load_segments(struct guest_mem *m, const uint8_t *img, size_t len,
                         const Elf32_Ehdr *eh, const Elf32_Phdr *ph, struct mb_boot *boot,
                         char *err, size_t errlen)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        if (check_segment(m, &ph[i], i, len, err, errlen))
            return -1;
        if (ph[i].p_paddr < lo)
            lo = ph[i].p_paddr;
        if ((uint64_t)ph[i].p_paddr + ph[i].p_memsz > hi)
            hi = (uint64_t)ph[i].p_paddr + ph[i].p_memsz;
    }
    if (hi == 0)
        return fail_why(err, errlen, "no loadable segment");
    if (check_overlaps(ph, eh->e_phnum, err, errlen))
        return -1;
    if (find_entry(eh, ph, &boot->entry))
        return fail_why(err, errlen, "entry point 0x%x lies in no loadable segment", eh->e_entry);

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        uint8_t *dst = gpa_ptr(m, ph[i].p_paddr, ph[i].p_memsz);
        memcpy(dst, img + ph[i].p_offset, ph[i].p_filesz);
        memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
    }
    boot->kernel_start = (uint32_t)lo;
    boot->kernel_end = (uint32_t)hi;
    return 0;
}

int mb_load_kernel(struct guest_mem *m, const uint8_t *img, size_t len, struct mb_boot *boot,
                   char *err, size_t errlen)
{
    if (check_ehdr(img, len, err, errlen))
        return -1;
    if (check_mb_header(img, len, err, errlen))
        return -1;
    Elf32_Ehdr eh;
    Elf32_Phdr *ph = read_headers(img, &eh, err, errlen);
    if (!ph)
        return -1;
    int rc = load_segments(m, img, len, &eh, ph, boot, err, errlen);
    free(ph);
    return rc;
}

static int check_segments(size_t len, const Elf32_Ehdr *eh, const Elf32_Phdr *ph, bool kernel,
                          char *err, size_t errlen)
{
    unsigned loads = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_INTERP || ph[i].p_type == PT_DYNAMIC)
            return fail_why(err, errlen, "dynamically linked (it has a %s segment); pagevisor runs "
                        "static executables", ph[i].p_type == PT_INTERP ? "PT_INTERP" :
                        "PT_DYNAMIC");
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        if (check_segment_file(&ph[i], i, len, err, errlen))
            return -1;
        loads++;
    }
    if (loads == 0)
        return fail_why(err, errlen, "no loadable segment");
    uint32_t entry;
    if (kernel && find_entry(eh, ph, &entry))
        return fail_why(err, errlen, "entry point 0x%x lies in no loadable segment", eh->e_entry);
    if (kernel)
        return 0;
    /* An image runs in user space, from its entry point (the guest's loader refuses others). */
    bool entry_in = false;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        if (ph[i].p_vaddr < MM_LOWEST_USER_ADDRESS)
            return fail_why(err, errlen, "segment %u is linked at 0x%x, below user space (0x%x on)",
                        i, ph[i].p_vaddr, MM_LOWEST_USER_ADDRESS);
        if (eh->e_entry >= ph[i].p_vaddr && (uint64_t)eh->e_entry < (uint64_t)ph[i].p_vaddr +
            ph[i].p_memsz)
            entry_in = true;
    }
    if (!entry_in)
        return fail_why(err, errlen, "entry point 0x%x lies in no loadable segment", eh->e_entry);
    return 0;
}

int mb_check_elf(const uint8_t *img, size_t len, bool kernel, char *err, size_t errlen)
{
    if (check_ehdr(img, len, err, errlen))
        return -1;
    if (kernel && check_mb_header(img, len, err, errlen))
        return -1;
    Elf32_Ehdr eh;
    Elf32_Phdr *ph = read_headers(img, &eh, err, errlen);
    if (!ph)
        return -1;
    int rc = check_segments(len, &eh, ph, kernel, err, errlen);
    free(ph);
    return rc;
}

int mb_check_file(const char *path, bool kernel, size_t max, char *err, size_t errlen)
{
    char why[256];
    size_t len;
    uint8_t *img = read_file_bounded(path, max, &len, err, errlen);
    if (!img)
        return -1;
    int rc = mb_check_elf(img, len, kernel, why, sizeof(why));
    free(img);
    if (rc)
        return fail_why(err, errlen, "%s: %s", path, why);
    return 0;
}

/* Bump allocator over the loader's low-memory area. */
struct info_area {
    struct guest_mem *m;
    uint32_t next;
};

static uint32_t info_alloc(struct info_area *a, size_t len, uint32_t align)
{
    uint64_t at = ((uint64_t)a->next + align - 1) & ~(uint64_t)(align - 1);
    if (at + len > MB_INFO_END || !gpa_range_ok(a->m, at, len))
        return 0;
    a->next = (uint32_t)(at + len);
    memset(a->m->base + at, 0, len);
    return (uint32_t)at;
}

static uint32_t info_string(struct info_area *a, const char *s)
{
    size_t n = strlen(s) + 1;
    uint32_t at = info_alloc(a, n, 1);
    if (at)
        memcpy(a->m->base + at, s, n);
    return at;
}

static void put_mmap_entry(struct multiboot_mmap_entry *e, uint64_t addr, uint64_t len,
                           uint32_t type)
{
    e->size = sizeof(*e) - sizeof(e->size);
    e->addr = addr;
    e->len = len;
    e->type = type;
}

/* A PC-like map: conventional memory, the EBDA/BIOS holes, then RAM above 1 MiB. The holes are
 * there so the guest learns to honour the map rather than assume RAM is contiguous. */
static int write_mmap(struct info_area *a, struct multiboot_info *mbi)
{
    enum { N = 4 };
    uint32_t at = info_alloc(a, N * sizeof(struct multiboot_mmap_entry), 4);
    if (!at)
        return -1;
    struct multiboot_mmap_entry *e = (void *)(a->m->base + at);
    put_mmap_entry(&e[0], 0, 0x9FC00, MULTIBOOT_MEMORY_AVAILABLE);
    put_mmap_entry(&e[1], 0x9FC00, 0x400, MULTIBOOT_MEMORY_RESERVED);
    put_mmap_entry(&e[2], 0xF0000, 0x10000, MULTIBOOT_MEMORY_RESERVED);
    put_mmap_entry(&e[3], 0x100000, a->m->size - 0x100000, MULTIBOOT_MEMORY_AVAILABLE);
    mbi->mmap_addr = at;
    mbi->mmap_length = N * sizeof(struct multiboot_mmap_entry);
    mbi->mem_lower = 0x9FC00 / 1024;
    mbi->mem_upper = (uint32_t)((a->m->size - 0x100000) / 1024);
    mbi->flags |= MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_MEM_MAP;
    return 0;
}

int mb_write_modules_and_info(struct guest_mem *m, struct mb_boot *boot, const char *cmdline,
                              const struct mb_blob *mods, size_t n, char *err, size_t errlen)
{
    if (m->size < MB_MIN_MEM)
        return fail_why(err, errlen, "guest RAM of %llu KiB is below the minimum of %u KiB",
                    (unsigned long long)(m->size >> 10), MB_MIN_MEM >> 10);
    struct info_area a = { m, MB_INFO_BASE };
    uint32_t mbi_at = info_alloc(&a, sizeof(struct multiboot_info), 8);
    uint32_t mods_at = info_alloc(&a, (n ? n : 1) * sizeof(struct multiboot_module), 8);
    if (!mbi_at || !mods_at)
        return fail_why(err, errlen, "too many modules (%zu) for the Multiboot area", n);
    struct multiboot_info *mbi = (void *)(m->base + mbi_at);
    struct multiboot_module *mm = (void *)(m->base + mods_at);

    /* Modules go after the kernel and never below 1 MiB: a kernel linked low would otherwise
     * have them copied over this loader's area (the info structure, module list and strings at
     * MB_INFO_BASE-MB_INFO_END) and the BIOS holes the memory map reserves. */
    uint64_t at = PAGE_ALIGN_UP(boot->kernel_end);
    if (at < MB_MODULES_MIN)
        at = MB_MODULES_MIN;
    for (size_t i = 0; i < n; i++) {
        if (!gpa_range_ok(m, at, mods[i].len))
            return fail_why(err, errlen, "%s (%zu KiB) does not fit in guest RAM (%llu MiB) after "
                        "the kernel and the images before it; raise --mem", mods[i].name,
                        (mods[i].len + 1023) / 1024, (unsigned long long)(m->size >> 20));
        memcpy(m->base + at, mods[i].data, mods[i].len);
        mm[i].mod_start = (uint32_t)at;
        mm[i].mod_end = (uint32_t)(at + mods[i].len);
        mm[i].cmdline = info_string(&a, mods[i].cmdline);
        if (!mm[i].cmdline)
            return fail_why(err, errlen, "command lines too long for the Multiboot area");
        at = PAGE_ALIGN_UP(at + mods[i].len);
    }
    boot->modules_end = (uint32_t)at;

    mbi->flags = MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS | MULTIBOOT_INFO_BOOT_LOADER_NAME;
    mbi->mods_count = (uint32_t)n;
    mbi->mods_addr = mods_at;
    mbi->cmdline = info_string(&a, cmdline ? cmdline : "");
    mbi->boot_loader_name = info_string(&a, "pagevisor");
    if (!mbi->cmdline || !mbi->boot_loader_name || write_mmap(&a, mbi))
        return fail_why(err, errlen, "command lines too long for the Multiboot area");
    boot->mbi_gpa = mbi_at;
    return 0;
}

uint8_t *read_file_bounded(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block */
    if (fd < 0) {
        fail_why(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st = { 0 };
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        fail_why(err, errlen, "%s: %s", path, S_ISDIR(st.st_mode) ? "a directory, not a file" :
             "not a regular file");
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        fail_why(err, errlen, "%s: %lld bytes is larger than guest RAM allows (%zu)", path,
             (long long)st.st_size, max);
        close(fd);
        return NULL;
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    size_t done = 0;
    while (buf && done < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);
        if (r <= 0) {
            fail_why(err, errlen, "%s: read: %s", path, r ? strerror(errno) : "unexpected end");
            free(buf);
            close(fd);
            return NULL;
        }
        done += (size_t)r;
    }
    close(fd);
    if (!buf)
        fail_why(err, errlen, "%s: out of memory", path);
    *len = done;
    return buf;
}

int mb_load(struct guest_mem *m, const char *kernel_path, const char *cmdline,
            const struct mb_module *mods, size_t n, struct mb_boot *boot, char *err, size_t errlen)
{
    char why[256];
    size_t klen;
    uint8_t *kimg = read_file_bounded(kernel_path, m->size, &klen, err, errlen);
    if (!kimg)
        return -1;
    int rc = mb_load_kernel(m, kimg, klen, boot, why, sizeof(why));
    free(kimg);
    if (rc)
        return fail_why(err, errlen, "kernel %s: %s", kernel_path, why);

    struct mb_blob *blobs = calloc(n ? n : 1, sizeof(*blobs));
    if (!blobs)
        return fail_why(err, errlen, "out of memory");
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        blobs[i].name = mods[i].path;
        blobs[i].cmdline = mods[i].cmdline;
        blobs[i].data = read_file_bounded(mods[i].path, m->size, &blobs[i].len, err, errlen);
        if (!blobs[i].data)
            rc = -1;
    }
    if (rc == 0)
        rc = mb_write_modules_and_info(m, boot, cmdline, blobs, n, err, errlen);
    for (size_t i = 0; i < n; i++)
        free((void *)blobs[i].data);
    free(blobs);
    return rc;
}
