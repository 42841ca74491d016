/* test_loader.c - the Multiboot/ELF loader with good and malformed kernels and modules. */
#include <elf.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "multiboot.h"
#include "multiboot_loader.h"
#include "unit.h"

#define RAM (4u << 20)

static struct guest_mem mem;
static uint8_t img[16384];
static char err[512];

/* A minimal Multiboot kernel: one PT_LOAD linked at 0x80100000, loaded at 0x100000, whose
 * file bytes start with the Multiboot header and end with a payload, plus 0x2000 bytes of bss. */
#define TEXT_OFF   0x1000u
#define TEXT_SIZE  0x800u
#define BSS_EXTRA  0x2000u

static size_t build_kernel(void)
{
    memset(img, 0, sizeof(img));
    Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS32;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_386;
    eh->e_version = EV_CURRENT;
    eh->e_entry = 0x00100010u;           /* physical, inside the segment */
    eh->e_phoff = sizeof(Elf32_Ehdr);
    eh->e_ehsize = sizeof(Elf32_Ehdr);
    eh->e_phentsize = sizeof(Elf32_Phdr);
    eh->e_phnum = 1;
    Elf32_Phdr *ph = (Elf32_Phdr *)(img + eh->e_phoff);
    ph->p_type = PT_LOAD;
    ph->p_offset = TEXT_OFF;
    ph->p_vaddr = 0x80100000u;
    ph->p_paddr = 0x00100000u;
    ph->p_filesz = TEXT_SIZE;
    ph->p_memsz = TEXT_SIZE + BSS_EXTRA;
    ph->p_flags = PF_R | PF_X;
    struct multiboot_header *mh = (void *)(img + TEXT_OFF);
    mh->magic = MULTIBOOT_HEADER_MAGIC;
    mh->flags = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO;
    mh->checksum = -(mh->magic + mh->flags);
    memset(img + TEXT_OFF + 0x40, 0xC3, TEXT_SIZE - 0x40);
    return TEXT_OFF + TEXT_SIZE;
}

static Elf32_Phdr *phdr(unsigned i)
{
    return (Elf32_Phdr *)(img + sizeof(Elf32_Ehdr)) + i;
}

static int setup(void)
{
    mem.size = RAM;
    mem.base = calloc(1, RAM);
    return mem.base ? 0 : -1;
}

static int teardown(void)
{
    free(mem.base);
    return 0;
}

static void fresh_ram(void)
{
    memset(mem.base, 0xAA, RAM); /* so bss zeroing is visible */
}

static void loads_good_kernel(void)
{
    size_t len = build_kernel();
    struct mb_boot boot;
    fresh_ram();
    CU_ASSERT_EQUAL_FATAL(mb_load_kernel(&mem, img, len, &boot, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(boot.entry, 0x00100010u);
    CU_ASSERT_EQUAL(boot.kernel_start, 0x00100000u);
    CU_ASSERT_EQUAL(boot.kernel_end, 0x00100000u + TEXT_SIZE + BSS_EXTRA);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x100000, img + TEXT_OFF, TEXT_SIZE), 0);
    CU_ASSERT_EQUAL(mem.base[0x100000 + TEXT_SIZE], 0);               /* bss zeroed */
    CU_ASSERT_EQUAL(mem.base[0x100000 + TEXT_SIZE + BSS_EXTRA - 1], 0);
    CU_ASSERT_EQUAL(mem.base[0x100000 + TEXT_SIZE + BSS_EXTRA], 0xAA); /* nothing past it */
}

static void translates_virtual_entry(void)
{
    size_t len = build_kernel();
    ((Elf32_Ehdr *)img)->e_entry = 0x80100020u;
    struct mb_boot boot;
    CU_ASSERT_EQUAL_FATAL(mb_load_kernel(&mem, img, len, &boot, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(boot.entry, 0x00100020u);
}

/* The lowest link address of the loadable segments: what pagevisor run --3gb checks. */
static void reports_link_base(void)
{
    size_t len = build_kernel();
    uint32_t base = 0;
    CU_ASSERT_EQUAL_FATAL(mb_kernel_link_base(img, len, &base, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(base, 0x80100000u);
    phdr(0)->p_vaddr = 0xC0900000u;
    CU_ASSERT_EQUAL_FATAL(mb_kernel_link_base(img, len, &base, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(base, 0xC0900000u);
    phdr(0)->p_type = PT_NOTE;
    CU_ASSERT_EQUAL(mb_kernel_link_base(img, len, &base, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no loadable segment"));
    CU_ASSERT_EQUAL(mb_kernel_link_base(img, 20, &base, err, sizeof(err)), -1);
}

/* Expect a refusal whose message contains `needle`. */
static void expect_refusal(size_t len, const char *needle)
{
    struct mb_boot boot;
    err[0] = '\0';
    CU_ASSERT_EQUAL(mb_load_kernel(&mem, img, len, &boot, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
    if (!strstr(err, needle))
        fprintf(stderr, "\n    got \"%s\", wanted \"%s\"\n", err, needle);
}

static void refuses_truncated_files(void)
{
    build_kernel();
    expect_refusal(0, "not an ELF");
    expect_refusal(20, "truncated ELF header");
    expect_refusal(sizeof(Elf32_Ehdr) + 4, "program headers end past the file");
    expect_refusal(TEXT_OFF + TEXT_SIZE - 1, "truncated: segment 0");
}

static void refuses_wrong_class_and_machine(void)
{
    build_kernel();
    img[EI_CLASS] = ELFCLASS64;
    expect_refusal(TEXT_OFF + TEXT_SIZE, "not ELFCLASS32");
    build_kernel();
    ((Elf32_Ehdr *)img)->e_machine = EM_X86_64;
    expect_refusal(TEXT_OFF + TEXT_SIZE, "not EM_386");
    build_kernel();
    ((Elf32_Ehdr *)img)->e_type = ET_DYN;
    expect_refusal(TEXT_OFF + TEXT_SIZE, "not ET_EXEC");
    build_kernel();
    memcpy(img, "\177ELG", 4);
    expect_refusal(TEXT_OFF + TEXT_SIZE, "not an ELF");
}

static void refuses_missing_or_bad_multiboot_header(void)
{
    build_kernel();
    ((struct multiboot_header *)(img + TEXT_OFF))->checksum += 1;
    expect_refusal(TEXT_OFF + TEXT_SIZE, "no Multiboot header");
    build_kernel();
    struct multiboot_header *mh = (void *)(img + TEXT_OFF);
    mh->flags |= MULTIBOOT_VIDEO_MODE;
    mh->checksum = -(mh->magic + mh->flags);
    expect_refusal(TEXT_OFF + TEXT_SIZE, "video mode");
}

static void refuses_segments_outside_ram(void)
{
    build_kernel();
    phdr(0)->p_paddr = RAM - 0x100;
    expect_refusal(TEXT_OFF + TEXT_SIZE, "outside guest RAM");
    build_kernel();
    phdr(0)->p_paddr = 0xFFFFF000u; /* would wrap in 32 bits */
    expect_refusal(TEXT_OFF + TEXT_SIZE, "outside guest RAM");
    build_kernel();
    phdr(0)->p_paddr = 0x9000;      /* the loader's own area */
    expect_refusal(TEXT_OFF + TEXT_SIZE, "overlaps the loader's area");
    build_kernel();
    phdr(0)->p_filesz = phdr(0)->p_memsz + 1;
    expect_refusal(sizeof(img), "filesz");
}

static void refuses_overlapping_segments(void)
{
    build_kernel();
    Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
    eh->e_phnum = 2;
    *phdr(1) = *phdr(0);
    phdr(1)->p_paddr += 0x1000; /* overlaps the first segment's bss */
    expect_refusal(TEXT_OFF + TEXT_SIZE, "segments 0 and 1 overlap");
}

static void refuses_entry_outside_segments(void)
{
    build_kernel();
    ((Elf32_Ehdr *)img)->e_entry = 0x00500000u;
    expect_refusal(TEXT_OFF + TEXT_SIZE, "entry point 0x500000 lies in no loadable segment");
}

/* A 52-byte file (the ELF header alone) whose e_phoff of 2 puts its one program header inside
 * the ELF header, at an offset no Elf32_Phdr can be read at in place: refused with a reason,
 * not a misaligned read (which aborts this sanitized test). The same kernel whose image starts
 * at an odd address loads as it does aligned. */
static void reads_headers_at_any_offset(void)
{
    static uint8_t small[sizeof(Elf32_Ehdr)];
    build_kernel();
    Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
    eh->e_phoff = 2;
    memcpy(small, img, sizeof(small));
    CU_ASSERT_EQUAL(mb_check_elf(small, sizeof(small), false, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no loadable segment"));
    uint32_t base;
    CU_ASSERT_EQUAL(mb_kernel_link_base(small, sizeof(small), &base, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no loadable segment"));
    struct mb_boot boot;
    CU_ASSERT_EQUAL(mb_load_kernel(&mem, small, sizeof(small), &boot, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no Multiboot header"));
    /* Past the end by one byte: refused on the bounds. */
    eh->e_phoff = sizeof(small) - sizeof(Elf32_Phdr) + 1;
    memcpy(small, img, sizeof(small));
    CU_ASSERT_EQUAL(mb_check_elf(small, sizeof(small), false, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "program headers end past the file"));

    /* The whole kernel at an odd address (program headers at an odd offset from the start). */
    size_t len = build_kernel();
    static uint8_t odd[sizeof(img) + 1];
    memcpy(odd + 1, img, len);
    fresh_ram();
    CU_ASSERT_EQUAL_FATAL(mb_load_kernel(&mem, odd + 1, len, &boot, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(boot.entry, 0x00100010u);
    CU_ASSERT_EQUAL(boot.kernel_end, 0x100000u + TEXT_SIZE + BSS_EXTRA);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x100000, img + TEXT_OFF, TEXT_SIZE), 0);
    CU_ASSERT_EQUAL(mb_check_elf(odd + 1, len, true, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(mb_kernel_link_base(odd + 1, len, &base, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(base, 0x80100000u);
}

static void writes_modules_and_info(void)
{
    size_t len = build_kernel();
    struct mb_boot boot;
    fresh_ram();
    CU_ASSERT_EQUAL_FATAL(mb_load_kernel(&mem, img, len, &boot, err, sizeof(err)), 0);
    static const uint8_t a[5000] = { 1, 2, 3 }, b[10] = { 9 };
    struct mb_blob mods[2] = {
        { a, sizeof(a), "a.elf", "a.elf alpha beta" },
        { b, sizeof(b), "b.elf", "b.elf" },
    };
    CU_ASSERT_EQUAL_FATAL(mb_write_modules_and_info(&mem, &boot, "pv.x=1", mods, 2, err,
                                                    sizeof(err)), 0);
    struct multiboot_info *mbi = (void *)(mem.base + boot.mbi_gpa);
    CU_ASSERT_TRUE(boot.mbi_gpa >= MB_INFO_BASE && boot.mbi_gpa < MB_INFO_END);
    CU_ASSERT_TRUE(mbi->flags & MULTIBOOT_INFO_MODS);
    CU_ASSERT_TRUE(mbi->flags & MULTIBOOT_INFO_MEM_MAP);
    CU_ASSERT_TRUE(mbi->flags & MULTIBOOT_INFO_CMDLINE);
    CU_ASSERT_STRING_EQUAL((char *)mem.base + mbi->cmdline, "pv.x=1");
    CU_ASSERT_STRING_EQUAL((char *)mem.base + mbi->boot_loader_name, "pagevisor");
    CU_ASSERT_EQUAL(mbi->mem_lower, 639u);
    CU_ASSERT_EQUAL(mbi->mem_upper, (RAM - 0x100000) / 1024);
    CU_ASSERT_EQUAL_FATAL(mbi->mods_count, 2u);
    struct multiboot_module *mm = (void *)(mem.base + mbi->mods_addr);
    CU_ASSERT_EQUAL(mm[0].mod_start % 4096, 0u);
    CU_ASSERT_TRUE(mm[0].mod_start >= boot.kernel_end);
    CU_ASSERT_EQUAL(mm[0].mod_end - mm[0].mod_start, sizeof(a));
    CU_ASSERT_EQUAL(memcmp(mem.base + mm[0].mod_start, a, sizeof(a)), 0);
    CU_ASSERT_EQUAL(mm[1].mod_start % 4096, 0u);
    CU_ASSERT_TRUE(mm[1].mod_start >= mm[0].mod_end);
    CU_ASSERT_EQUAL(memcmp(mem.base + mm[1].mod_start, b, sizeof(b)), 0);
    CU_ASSERT_STRING_EQUAL((char *)mem.base + mm[0].cmdline, "a.elf alpha beta");
    CU_ASSERT_STRING_EQUAL((char *)mem.base + mm[1].cmdline, "b.elf");
    /* The memory map covers RAM above 1 MiB as available and ends exactly at the RAM size. */
    struct multiboot_mmap_entry *e = (void *)(mem.base + mbi->mmap_addr);
    unsigned n = mbi->mmap_length / sizeof(*e);
    CU_ASSERT_EQUAL_FATAL(n, 4u);
    CU_ASSERT_EQUAL(e[n - 1].addr, 0x100000u);
    CU_ASSERT_EQUAL(e[n - 1].addr + e[n - 1].len, RAM);
    CU_ASSERT_EQUAL(e[n - 1].type, MULTIBOOT_MEMORY_AVAILABLE);
    CU_ASSERT_EQUAL(e[0].size, 20u);
}

/* A kernel linked below the loader's area (at 0x1000): its modules go at 1 MiB, not right
 * after it, where the first would run over the Multiboot info at 0x8000 and be overwritten by
 * the module list and command lines written there. */
static void places_modules_above_loader_area(void)
{
    size_t len = build_kernel();
    phdr(0)->p_paddr = 0x1000;
    ((Elf32_Ehdr *)img)->e_entry = 0x1010;
    struct mb_boot boot;
    fresh_ram();
    CU_ASSERT_EQUAL_FATAL(mb_load_kernel(&mem, img, len, &boot, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(boot.kernel_end, 0x1000u + TEXT_SIZE + BSS_EXTRA);
    static uint8_t a[0x9000], b[100];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)(i * 7 + 1);
    memset(b, 0x5B, sizeof(b));
    struct mb_blob mods[2] = {
        { a, sizeof(a), "a.elf", "a.elf one" },
        { b, sizeof(b), "b.elf", "b.elf two" },
    };
    CU_ASSERT_EQUAL_FATAL(mb_write_modules_and_info(&mem, &boot, "low", mods, 2, err,
                                                    sizeof(err)), 0);
    struct multiboot_info *mbi = (void *)(mem.base + boot.mbi_gpa);
    CU_ASSERT_EQUAL_FATAL(mbi->mods_count, 2u);
    CU_ASSERT_STRING_EQUAL((char *)mem.base + mbi->cmdline, "low");
    struct multiboot_module *mm = (void *)(mem.base + mbi->mods_addr);
    CU_ASSERT_EQUAL(mm[0].mod_start, MB_MODULES_MIN);
    CU_ASSERT_EQUAL(mm[0].mod_end, MB_MODULES_MIN + sizeof(a));
    CU_ASSERT_EQUAL(memcmp(mem.base + mm[0].mod_start, a, sizeof(a)), 0);
    CU_ASSERT_TRUE(mm[1].mod_start >= mm[0].mod_end);
    CU_ASSERT_EQUAL(memcmp(mem.base + mm[1].mod_start, b, sizeof(b)), 0);
    CU_ASSERT_STRING_EQUAL((char *)mem.base + mm[0].cmdline, "a.elf one");
    CU_ASSERT_STRING_EQUAL((char *)mem.base + mm[1].cmdline, "b.elf two");
    /* No module byte lies in the loader's area. */
    for (unsigned i = 0; i < 2; i++)
        CU_ASSERT_TRUE(mm[i].mod_end <= MB_INFO_BASE || mm[i].mod_start >= MB_INFO_END);
}

static void refuses_modules_too_large_for_ram(void)
{
    size_t len = build_kernel();
    struct mb_boot boot;
    CU_ASSERT_EQUAL_FATAL(mb_load_kernel(&mem, img, len, &boot, err, sizeof(err)), 0);
    static uint8_t big[RAM - 0x100000];
    struct mb_blob mods[1] = { { big, sizeof(big), "big.elf", "big.elf" } };
    CU_ASSERT_EQUAL(mb_write_modules_and_info(&mem, &boot, "", mods, 1, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "big.elf"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "raise --mem"));
}

static void reports_missing_files(void)
{
    struct mb_boot boot;
    CU_ASSERT_EQUAL(mb_load(&mem, "/nonexistent/kernel.elf", "", NULL, 0, &boot, err,
                            sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/kernel.elf: No such file"));

    char path[] = "/tmp/pv-test-kernel-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    size_t len = build_kernel();
    CU_ASSERT_EQUAL(write(fd, img, len), (ssize_t)len);
    close(fd);
    struct mb_module mod = { "/nonexistent/image.elf", "/nonexistent/image.elf" };
    CU_ASSERT_EQUAL(mb_load(&mem, path, "", &mod, 1, &boot, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/image.elf: No such file"));
    struct mb_module self = { path, path };
    CU_ASSERT_EQUAL(mb_load(&mem, path, "", &self, 1, &boot, err, sizeof(err)), 0);
    unlink(path);
}

/* mb_check_elf: the checks made before anything boots, on a kernel and on an image. */
static void expect_check(size_t len, bool kernel, const char *needle)
{
    err[0] = '\0';
    int rc = mb_check_elf(img, len, kernel, err, sizeof(err));
    if (!needle) {
        CU_ASSERT_EQUAL(rc, 0);
        if (rc != 0)
            fprintf(stderr, "\n    refused: \"%s\"\n", err);
        return;
    }
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
    if (!strstr(err, needle))
        fprintf(stderr, "\n    got \"%s\", wanted \"%s\"\n", err, needle);
}

/* The test kernel as an image: its entry point virtual, as an image's is. */
static size_t build_image(void)
{
    size_t len = build_kernel();
    ((Elf32_Ehdr *)img)->e_entry = 0x80100010u;
    return len;
}

static void checks_executables_before_boot(void)
{
    size_t len = build_kernel();
    expect_check(len, true, NULL);
    ((Elf32_Ehdr *)img)->e_entry = 0x00300000u;
    expect_check(len, true, "entry point 0x300000 lies in no loadable segment");
    len = build_image();
    expect_check(len, false, NULL);
    ((struct multiboot_header *)(img + TEXT_OFF))->checksum += 1;
    expect_check(len, true, "no Multiboot header");
    expect_check(len, false, NULL);              /* an image needs none */
    len = build_image();
    ((Elf32_Ehdr *)img)->e_entry = 0x00100010u;
    expect_check(len, false, "entry point 0x100010 lies in no loadable segment");
    len = build_image();
    phdr(0)->p_vaddr = 0x1000u;
    ((Elf32_Ehdr *)img)->e_entry = 0x1010u;
    expect_check(len, false, "segment 0 is linked at 0x1000, below user space (0x10000 on)");
    len = build_kernel();
    img[EI_CLASS] = ELFCLASS64;
    expect_check(len, false, "a 64-bit ELF file (ELFCLASS64)");
    len = build_kernel();
    ((Elf32_Ehdr *)img)->e_machine = EM_X86_64;
    expect_check(len, false, "built for ELF machine 62 (x86-64), not EM_386 (i386)");
    len = build_kernel();
    ((Elf32_Ehdr *)img)->e_type = ET_REL;
    expect_check(len, false, "ELF type 1 (an object file) is not ET_EXEC");
    len = build_kernel();
    ((Elf32_Ehdr *)img)->e_type = ET_DYN;
    expect_check(len, false, "(a shared object or PIE) is not ET_EXEC");
    len = build_kernel();
    phdr(0)->p_type = PT_NOTE;
    expect_check(len, false, "no loadable segment");
    len = build_kernel();
    phdr(0)->p_memsz = 0;
    expect_check(len, false, "no loadable segment");
    len = build_kernel();
    ((Elf32_Ehdr *)img)->e_phnum = 2;
    phdr(1)->p_type = PT_INTERP;
    expect_check(len, false, "dynamically linked (it has a PT_INTERP segment)");
    len = build_kernel();
    expect_check(len - 1, false, "truncated: segment 0");
    expect_check(3, false, "not an ELF file");
    memcpy(img, "#!/bin/sh\n", 10);
    expect_check(len, false, "not an ELF file");
}

/* mb_check_file names the file as given, whatever is wrong with it. */
static void checks_files_before_boot(void)
{
    char dir[] = "/tmp/pv-test-check-XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    char path[64];
    CU_ASSERT_EQUAL(mb_check_file(dir, false, RAM, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ": a directory, not a file"));
    CU_ASSERT_EQUAL(strncmp(err, dir, strlen(dir)), 0);

    snprintf(path, sizeof(path), "%s/fifo.elf", dir);
    CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);  /* must not wait for a writer */
    CU_ASSERT_EQUAL(mb_check_file(path, false, RAM, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "fifo.elf: not a regular file"));
    unlink(path);

    snprintf(path, sizeof(path), "%s/k.elf", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    size_t len = build_kernel();
    fwrite(img, 1, len, f);
    fclose(f);
    CU_ASSERT_EQUAL(mb_check_file(path, true, RAM, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(mb_check_file(path, true, len - 1, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than guest RAM allows"));
    f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(mb_check_file(path, false, RAM, err, sizeof(err)), -1);
    char want[128];
    snprintf(want, sizeof(want), "%s: not an ELF file", path);
    CU_ASSERT_STRING_EQUAL(err, want);
    unlink(path);
    CU_ASSERT_EQUAL(mb_check_file(path, false, RAM, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    CU_ASSERT_STRING_EQUAL(err, want);
    rmdir(dir);
}

static void parses_sizes(void)
{
    uint64_t v;
    CU_ASSERT_EQUAL(parse_size("16M", &v), 0);
    CU_ASSERT_EQUAL(v, 16u << 20);
    CU_ASSERT_EQUAL(parse_size("4096K", &v), 0);
    CU_ASSERT_EQUAL(v, 4u << 20);
    CU_ASSERT_EQUAL(parse_size("1GiB", &v), 0);
    CU_ASSERT_EQUAL(v, 1u << 30);
    CU_ASSERT_EQUAL(parse_size("8192", &v), 0);
    CU_ASSERT_EQUAL(v, 8192u);
    CU_ASSERT_EQUAL(parse_size("", &v), -1);
    CU_ASSERT_EQUAL(parse_size("12Q", &v), -1);
    CU_ASSERT_EQUAL(parse_size("-5M", &v), -1);
    CU_ASSERT_EQUAL(parse_size("99999999999999999999", &v), -1);
}

static const struct unit_test tests[] = {
    UNIT_TEST(loads_good_kernel),
    UNIT_TEST(translates_virtual_entry),
    UNIT_TEST(reports_link_base),
    UNIT_TEST(refuses_truncated_files),
    UNIT_TEST(refuses_wrong_class_and_machine),
    UNIT_TEST(refuses_missing_or_bad_multiboot_header),
    UNIT_TEST(refuses_segments_outside_ram),
    UNIT_TEST(refuses_overlapping_segments),
    UNIT_TEST(refuses_entry_outside_segments),
    UNIT_TEST(reads_headers_at_any_offset),
    UNIT_TEST(writes_modules_and_info),
    UNIT_TEST(places_modules_above_loader_area),
    UNIT_TEST(refuses_modules_too_large_for_ram),
    UNIT_TEST(reports_missing_files),
    UNIT_TEST(parses_sizes),
    UNIT_TEST(checks_executables_before_boot),
    UNIT_TEST(checks_files_before_boot),
};

int main(void)
{
    if (setup())
        return 2;
    int rc = unit_run("loader", tests, sizeof(tests) / sizeof(tests[0]));
    teardown();
    return rc;
}
