/* symbols.c - FUNC symbols from ELF32 .symtab sections, and addresses named by them (symbols.h). */
#include "symbols.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiboot_loader.h"

#define SYMBOLS_FILE_MAX (256u << 20) /* a larger "image" is not one of ours */

static int fail(char *why, size_t whylen, const char *path, const char *what)
{
    snprintf(why, whylen, "%s: %s", path, what);
    return -1;
}

static bool range_ok(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

static int by_addr(const void *a, const void *b)
{
    const struct symbol *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    /* Aliases: the sized one first, then by name, so the choice does not depend on order. */
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int parse(struct symbol_file *f, const uint8_t *img, size_t len, const char *path,
                 char *why, size_t whylen)
{
    Elf32_Ehdr eh;
    if (len < sizeof(eh))
        return fail(why, whylen, path, "too short for an ELF header");
    memcpy(&eh, img, sizeof(eh));
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        return fail(why, whylen, path, "not an ELF file");
    if (eh.e_ident[EI_CLASS] != ELFCLASS32)
        return fail(why, whylen, path, "not a 32-bit ELF file");
    if (eh.e_shnum == 0)
        return 0;
    if (eh.e_shentsize != sizeof(Elf32_Shdr) ||
        !range_ok(len, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf32_Shdr)))
        return fail(why, whylen, path, "section headers outside the file");
    const uint8_t *shdrs = img + eh.e_shoff;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        Elf32_Shdr sh, st;
        memcpy(&sh, shdrs + (size_t)i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_SYMTAB)
            continue;
        if (sh.sh_link >= eh.e_shnum)
            return fail(why, whylen, path, "symbol table links to no string table");
        memcpy(&st, shdrs + (size_t)sh.sh_link * sizeof(st), sizeof(st));
        if (sh.sh_entsize != sizeof(Elf32_Sym) || !range_ok(len, sh.sh_offset, sh.sh_size) ||
            st.sh_type != SHT_STRTAB || !range_ok(len, st.sh_offset, st.sh_size) ||
            st.sh_size == 0)
            return fail(why, whylen, path, "symbol or string table outside the file");
        size_t count = sh.sh_size / sizeof(Elf32_Sym);
        f->strtab = malloc(st.sh_size + 1);
        f->syms = calloc(count ? count : 1, sizeof(*f->syms));
        f->objs = calloc(count ? count : 1, sizeof(*f->objs));
        if (!f->strtab || !f->syms || !f->objs)
            return fail(why, whylen, path, "out of memory for its symbols");
        memcpy(f->strtab, img + st.sh_offset, st.sh_size);
        f->strtab[st.sh_size] = '\0';
        for (size_t k = 0; k < count; k++) {
            Elf32_Sym s;
            memcpy(&s, img + sh.sh_offset + k * sizeof(s), sizeof(s));
            unsigned type = ELF32_ST_TYPE(s.st_info);
            if ((type != STT_FUNC && type != STT_OBJECT) || s.st_shndx == SHN_UNDEF ||
                s.st_name == 0 || s.st_name >= st.sh_size || f->strtab[s.st_name] == '\0')
                continue;
            struct symbol sym = { s.st_value, s.st_size, f->strtab + s.st_name };
            if (type == STT_FUNC)
                f->syms[f->n++] = sym;
            else
                f->objs[f->nobjs++] = sym;
        }
        qsort(f->syms, f->n, sizeof(*f->syms), by_addr);
        return 0;
    }
    return 0;
}

int symbol_file_load(struct symbol_file *f, const char *path, char *why, size_t whylen)
{
    memset(f, 0, sizeof(*f));
    size_t len;
    char err[256];
    uint8_t *img = read_file_bounded(path, SYMBOLS_FILE_MAX, &len, err, sizeof(err));
    if (!img) {
        snprintf(why, whylen, "%s", err);
        return -1;
    }
    int rc = parse(f, img, len, path, why, whylen);
    free(img);
    if (rc != 0)
        symbol_file_free(f);
    return rc;
}

/* The file offset of a kernel symbol's address (through its section), and the symbol found. */
static bool embedded_symbol(const uint8_t *img, size_t len, const char *want, uint64_t *off)
{
    Elf32_Ehdr eh;
    memcpy(&eh, img, sizeof(eh));
    if (eh.e_shentsize != sizeof(Elf32_Shdr) ||
        !range_ok(len, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf32_Shdr)))
        return false;
    const uint8_t *shdrs = img + eh.e_shoff;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        Elf32_Shdr sh, st, home;
        memcpy(&sh, shdrs + (size_t)i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= eh.e_shnum ||
            sh.sh_entsize != sizeof(Elf32_Sym) || !range_ok(len, sh.sh_offset, sh.sh_size))
            continue;
        memcpy(&st, shdrs + (size_t)sh.sh_link * sizeof(st), sizeof(st));
        if (!range_ok(len, st.sh_offset, st.sh_size))
            continue;
        for (size_t k = 0; k < sh.sh_size / sizeof(Elf32_Sym); k++) {
            Elf32_Sym s;
            memcpy(&s, img + sh.sh_offset + k * sizeof(s), sizeof(s));
            if (s.st_name >= st.sh_size || s.st_shndx == SHN_UNDEF || s.st_shndx >= eh.e_shnum ||
                strncmp((const char *)img + st.sh_offset + s.st_name, want,
                        st.sh_size - s.st_name) != 0)
                continue;
            memcpy(&home, shdrs + (size_t)s.st_shndx * sizeof(home), sizeof(home));
            if (s.st_value < home.sh_addr || s.st_value - home.sh_addr > home.sh_size)
                return false;
            *off = (uint64_t)home.sh_offset + (s.st_value - home.sh_addr);
            return *off <= len;
        }
    }
    return false;
}

int symbol_file_load_embedded(struct symbol_file *f, const char *path, const char *begin,
                              const char *end, char *why, size_t whylen)
{
    memset(f, 0, sizeof(*f));
    size_t len;
    char err[256];
    uint64_t from, to;
    uint8_t *img = read_file_bounded(path, SYMBOLS_FILE_MAX, &len, err, sizeof(err));
    if (!img) {
        snprintf(why, whylen, "%s", err);
        return -1;
    }
    int rc = len >= sizeof(Elf32_Ehdr) && embedded_symbol(img, len, begin, &from) &&
                     embedded_symbol(img, len, end, &to) && from < to
                 ? parse(f, img + from, (size_t)(to - from), path, why, whylen)
                 : fail(why, whylen, path, "no embedded file between those symbols");
    free(img);
    if (rc != 0)
        symbol_file_free(f);
    return rc;
}

void symbol_file_free(struct symbol_file *f)
{
    free(f->syms);
    free(f->objs);
    free(f->strtab);
    f->syms = f->objs = NULL;
    f->strtab = NULL;
    f->n = f->nobjs = 0;
}

bool symbol_file_object(const struct symbol_file *f, const char *name, uint32_t *addr,
                        uint32_t *size)
{
    for (size_t i = 0; f && i < f->nobjs; i++)
        if (strcmp(f->objs[i].name, name) == 0) {
            *addr = f->objs[i].addr;
            *size = f->objs[i].size;
            return true;
        }
    return false;
}

/* The function that covers addr, or NULL. */
static const struct symbol *covering(const struct symbol_file *f, uint32_t addr)
{
    if (!f || f->n == 0 || addr < f->syms[0].addr)
        return NULL;
    size_t lo = 0, hi = f->n; /* the last symbol at or below addr is in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->syms[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    /* The first of the aliases at that address: sorted to be the sized one. */
    while (lo > 0 && f->syms[lo - 1].addr == f->syms[lo].addr)
        lo--;
    const struct symbol *s = &f->syms[lo];
    uint32_t off = addr - s->addr;
    if (s->size ? off >= s->size : off >= SYMBOLS_UNSIZED_SPAN)
        return NULL;
    return s;
}

/* name+0x(addr - start) of the function that covers `at`. */
static bool lookup_at(const struct symbol_file *f, uint32_t at, uint32_t addr, char *out,
                      size_t len)
{
    const struct symbol *s = covering(f, at);
    if (!s)
        return false;
    uint32_t off = addr - s->addr;
    if (off)
        snprintf(out, len, "%s+0x%x", s->name, off);
    else
        snprintf(out, len, "%s", s->name);
    return true;
}

bool symbol_file_lookup(const struct symbol_file *f, uint32_t addr, char *out, size_t len)
{
    return lookup_at(f, addr, addr, out, len);
}

void symbols_image_name(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".elf") == 0)
        n -= 4;
    if (n > 31)
        n = 31;
    snprintf(out, len, "%.*s", (int)n, base);
}

void symbolizer_open(struct symbolizer *s, const char *kernel, const char *const *images,
                     size_t nimages)
{
    char why[512];
    memset(s, 0, sizeof(*s));
    if (kernel) {
        symbol_file_load(&s->kernel, kernel, why, sizeof(why));
        symbol_file_load_embedded(&s->ntdll, kernel, "LdrpSystemDllFile", "LdrpSystemDllFileEnd",
                                  why, sizeof(why));
    }
    s->images = calloc(nimages ? nimages : 1, sizeof(*s->images));
    if (!s->images)
        return;
    for (size_t i = 0; i < nimages; i++) {
        struct symbol_file *f = &s->images[s->nimages];
        char name[32];
        symbols_image_name(images[i], name, sizeof(name));
        bool seen = false;
        for (size_t k = 0; k < s->nimages; k++)
            seen |= strcmp(s->images[k].name, name) == 0;
        if (seen || symbol_file_load(f, images[i], why, sizeof(why)) != 0)
            continue;
        snprintf(f->name, sizeof(f->name), "%s", name);
        s->nimages++;
    }
}

void symbolizer_close(struct symbolizer *s)
{
    symbol_file_free(&s->kernel);
    symbol_file_free(&s->ntdll);
    for (size_t i = 0; i < s->nimages; i++)
        symbol_file_free(&s->images[i]);
    free(s->images);
    memset(s, 0, sizeof(*s));
}

static bool symbolize_at(const struct symbolizer *s, const char *process, uint32_t at,
                         uint32_t addr, char *out, size_t len)
{
    if (!s)
        return false;
    if (lookup_at(&s->kernel, at, addr, out, len))
        return true;
    for (size_t i = 0; i < s->nimages; i++)
        if ((process ? strcmp(s->images[i].name, process) == 0 : s->nimages == 1) &&
            lookup_at(&s->images[i], at, addr, out, len))
            return true;
    return lookup_at(&s->ntdll, at, addr, out, len);
}

bool symbolize(const struct symbolizer *s, const char *process, uint32_t addr, char *out,
               size_t len)
{
    return symbolize_at(s, process, addr, addr, out, len);
}

bool symbolize_return(const struct symbolizer *s, const char *process, uint32_t addr, char *out,
                      size_t len)
{
    return addr != 0 && symbolize_at(s, process, addr - 1, addr, out, len);
}
