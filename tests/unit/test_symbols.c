/*
 * test_symbols.c - the host symbolizer (vmm/trace/symbols.c) on small ELF32 files written here: the
 * nearest FUNC symbol at or below an address names it when the address lies inside it
 * ("main+0x14", "main" at offset 0), unsized stubs cover a bounded span, data symbols and
 * undefined ones name nothing, aliases choose the sized one; the kernel first, then the image
 * of the process by name; files that are not ELF32 or whose tables lie outside are refused
 * with the file's name; a file without .symtab loads with no symbols.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols.h"
#include "unit.h"

static const char strtab[] = "\0main\0helper\0table\0puts\0_start_alias\0Kernel\0";
enum { N_MAIN = 1, N_HELPER = 6, N_TABLE = 13, N_PUTS = 19, N_ALIAS = 24, N_KERNEL = 37 };

struct sym_spec {
    uint32_t name, value, size;
    unsigned char type;
    uint16_t shndx;
};

/* An ELF32 file: header, .symtab, .strtab, then section headers (null, .text, .symtab,
 * .strtab). Returns its path in a static buffer. */
static const char *write_elf(const char *name, const struct sym_spec *specs, size_t n,
                             bool with_symtab, bool elf64, bool cut_sections)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/test_symbols_%d_%s", (int)getpid(), name);
    uint8_t buf[4096];
    memset(buf, 0, sizeof(buf));
    Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
                      .e_ehsize = sizeof(Elf32_Ehdr), .e_shentsize = sizeof(Elf32_Shdr) };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = elf64 ? ELFCLASS64 : ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    size_t off = sizeof(eh);
    size_t symoff = off;
    Elf32_Sym none = { 0 };
    memcpy(buf + off, &none, sizeof(none));
    off += sizeof(none);
    for (size_t i = 0; i < n; i++) {
        Elf32_Sym s = { .st_name = specs[i].name, .st_value = specs[i].value,
                        .st_size = specs[i].size,
                        .st_info = ELF32_ST_INFO(STB_GLOBAL, specs[i].type),
                        .st_shndx = specs[i].shndx };
        memcpy(buf + off, &s, sizeof(s));
        off += sizeof(s);
    }
    size_t symsize = off - symoff, stroff = off;
    memcpy(buf + off, strtab, sizeof(strtab));
    off += sizeof(strtab);
    off = (off + 3) & ~(size_t)3;
    Elf32_Shdr sh[4] = { { 0 } };
    sh[1] = (Elf32_Shdr){ .sh_type = SHT_PROGBITS, .sh_addr = 0x400000, .sh_size = 0x1000 };
    sh[2] = (Elf32_Shdr){ .sh_type = with_symtab ? SHT_SYMTAB : SHT_PROGBITS,
                          .sh_offset = (uint32_t)symoff, .sh_size = (uint32_t)symsize,
                          .sh_link = 3, .sh_entsize = sizeof(Elf32_Sym) };
    sh[3] = (Elf32_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = (uint32_t)stroff,
                          .sh_size = sizeof(strtab) };
    eh.e_shoff = (uint32_t)off;
    eh.e_shnum = 4;
    memcpy(buf + off, sh, sizeof(sh));
    off += sizeof(sh);
    memcpy(buf, &eh, sizeof(eh));
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(buf, 1, cut_sections ? off - 20 : off, f),
                    cut_sections ? off - 20 : off);
    fclose(f);
    return path;
}

static const struct sym_spec image_syms[] = {
    { N_MAIN, 0x400100, 0x40, STT_FUNC, 1 },
    { N_ALIAS, 0x400100, 0, STT_FUNC, 1 },      /* an alias of main without a size */
    { N_HELPER, 0x400200, 0, STT_FUNC, 1 },     /* an assembly stub: no size */
    { N_TABLE, 0x400180, 0x40, STT_OBJECT, 1 }, /* data: never a function name */
    { N_PUTS, 0, 0, STT_FUNC, SHN_UNDEF },      /* undefined: ignored */
};

static void names_functions_and_offsets(void)
{
    struct symbol_file f;
    char why[256], out[64];
    const char *path = write_elf("img", image_syms, 5, true, false, false);
    CU_ASSERT_EQUAL_FATAL(symbol_file_load(&f, path, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(f.n, 3);
    CU_ASSERT_TRUE(symbol_file_lookup(&f, 0x400114, out, sizeof(out)));
    CU_ASSERT_STRING_EQUAL(out, "main+0x14");
    CU_ASSERT_TRUE(symbol_file_lookup(&f, 0x400100, out, sizeof(out)));
    CU_ASSERT_STRING_EQUAL(out, "main");
    CU_ASSERT_TRUE(symbol_file_lookup(&f, 0x40013F, out, sizeof(out)));
    CU_ASSERT_STRING_EQUAL(out, "main+0x3f");
    CU_ASSERT_FALSE(symbol_file_lookup(&f, 0x400140, out, sizeof(out))); /* past main's end */
    CU_ASSERT_FALSE(symbol_file_lookup(&f, 0x400190, out, sizeof(out))); /* the table */
    CU_ASSERT_FALSE(symbol_file_lookup(&f, 0x4000FF, out, sizeof(out))); /* before all */
    CU_ASSERT_TRUE(symbol_file_lookup(&f, 0x400210, out, sizeof(out)));
    CU_ASSERT_STRING_EQUAL(out, "helper+0x10");
    CU_ASSERT_TRUE(symbol_file_lookup(&f, 0x400200 + SYMBOLS_UNSIZED_SPAN - 1, out, sizeof(out)));
    CU_ASSERT_FALSE(symbol_file_lookup(&f, 0x400200 + SYMBOLS_UNSIZED_SPAN, out, sizeof(out)));
    symbol_file_free(&f);
    unlink(path);
}

static void kernel_first_then_the_process_image(void)
{
    static const struct sym_spec kernel_syms[] = {
        { N_KERNEL, 0x80101000, 0x100, STT_FUNC, 1 },
    };
    char kpath[64], ipath[64], ipath2[64], out[64];
    snprintf(kpath, sizeof(kpath), "%s", write_elf("kernel", kernel_syms, 1, true, false, false));
    snprintf(ipath, sizeof(ipath), "%s.elf", write_elf("app", image_syms, 5, true, false, false));
    char raw[64];
    snprintf(raw, sizeof(raw), "/tmp/test_symbols_%d_app", (int)getpid());
    CU_ASSERT_EQUAL_FATAL(rename(raw, ipath), 0);
    snprintf(ipath2, sizeof(ipath2), "/tmp/test_symbols_%d_other.elf", (int)getpid());
    FILE *junk = fopen(ipath2, "w");               /* not ELF: contributes nothing */
    CU_ASSERT_PTR_NOT_NULL_FATAL(junk);
    fputs("not an elf\n", junk);
    fclose(junk);

    struct symbolizer s;
    const char *images[] = { ipath, ipath2, "/nonexistent/x.elf" };
    symbolizer_open(&s, kpath, images, 3);
    CU_ASSERT_EQUAL(s.nimages, 1);
    char want_name[64];
    snprintf(want_name, sizeof(want_name), "test_symbols_%d_app", (int)getpid());
    CU_ASSERT_STRING_EQUAL(s.images[0].name, want_name);
    CU_ASSERT_TRUE(symbolize(&s, "System", 0x8010102C, out, sizeof(out)));
    CU_ASSERT_STRING_EQUAL(out, "Kernel+0x2c");
    CU_ASSERT_TRUE(symbolize(&s, want_name, 0x400114, out, sizeof(out)));
    CU_ASSERT_STRING_EQUAL(out, "main+0x14");
    CU_ASSERT_FALSE(symbolize(&s, "someone-else", 0x400114, out, sizeof(out)));
    CU_ASSERT_TRUE(symbolize(&s, NULL, 0x400114, out, sizeof(out))); /* the only image */
    CU_ASSERT_FALSE(symbolize(NULL, NULL, 0x400114, out, sizeof(out)));
    symbolizer_close(&s);
    unlink(kpath);
    unlink(ipath);
    unlink(ipath2);
}

static void bad_files_are_named(void)
{
    struct symbol_file f;
    char why[256];
    const char *path = write_elf("elf64", image_syms, 5, true, true, false);
    CU_ASSERT_EQUAL(symbol_file_load(&f, path, why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a 32-bit ELF file"));
    unlink(path);
    path = write_elf("cut", image_syms, 5, true, false, true);
    CU_ASSERT_EQUAL(symbol_file_load(&f, path, why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "section headers outside the file"));
    unlink(path);
    CU_ASSERT_EQUAL(symbol_file_load(&f, "/nonexistent/k.elf", why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "/nonexistent/k.elf"));
    path = write_elf("nosym", image_syms, 5, false, false, false);
    CU_ASSERT_EQUAL(symbol_file_load(&f, path, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(f.n, 0);
    char out[32];
    CU_ASSERT_FALSE(symbol_file_lookup(&f, 0x400114, out, sizeof(out)));
    symbol_file_free(&f);
    unlink(path);
}

/* The system DLL is named from inside the kernel file (both kernels carry it): every stub of
 * build/guest/ntdll.elf is found there under its own name, in any process; a kernel without
 * one is said to have none. */
static void the_system_dll_inside_the_kernel(void)
{
    const char *kernels[] = { "build/guest/kernel.elf", "build/guest/kernel-3gb.elf" };
    struct symbol_file direct;
    char why[256], out[64];

    CU_ASSERT_EQUAL_FATAL(symbol_file_load(&direct, "build/guest/ntdll.elf", why, sizeof(why)),
                          0);
    CU_ASSERT_FATAL(direct.n >= 20);
    for (unsigned k = 0; k < 2; k++) {
        struct symbolizer s;
        symbolizer_open(&s, kernels[k], NULL, 0);
        CU_ASSERT_EQUAL(s.ntdll.n, direct.n);
        for (size_t i = 0; i < direct.n; i++) {
            CU_ASSERT_TRUE(symbolize(&s, "anyone", direct.syms[i].addr + 2, out, sizeof(out)));
            char want[64];
            snprintf(want, sizeof(want), "%s+0x2", direct.syms[i].name);
            CU_ASSERT_STRING_EQUAL(out, want);
        }
        symbolizer_close(&s);
    }
    symbol_file_free(&direct);
    struct symbol_file none;
    CU_ASSERT_EQUAL(symbol_file_load_embedded(&none, "build/guest/ntdll.elf", "LdrpSystemDllFile",
                                              "LdrpSystemDllFileEnd", why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "no embedded file"));
}

static void image_names_as_the_guest_makes_them(void)
{
    char out[40];
    symbols_image_name("build/images/hello.elf", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "hello");
    symbols_image_name("/pv/root/tmp/x/my.prog", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "my.prog");
    symbols_image_name("a-very-long-image-name-of-forty-characters.elf", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "a-very-long-image-name-of-forty");
}

static const struct unit_test tests[] = {
    UNIT_TEST(names_functions_and_offsets),
    UNIT_TEST(kernel_first_then_the_process_image),
    UNIT_TEST(bad_files_are_named),
    UNIT_TEST(image_names_as_the_guest_makes_them),
    UNIT_TEST(the_system_dll_inside_the_kernel),
};
UNIT_MAIN("symbols", tests)
