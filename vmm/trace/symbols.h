/*
 * symbols.h - a small host symbolizer: the FUNC symbols of the kernel's and the images' ELF
 * symbol tables (.symtab), so that crash reports, backtraces and text traces can say
 * "MmAccessFault+0x2c" or "main+0x14" beside an address.
 *
 * An address is named after the nearest FUNC symbol at or below it, when it lies inside that
 * function (its st_size; a symbol of size 0, such as an assembly stub, covers up to the next
 * symbol and at most SYMBOLS_UNSIZED_SPAN bytes). Kernel addresses are looked up in the kernel;
 * user addresses in the image a process runs, found by the process's name, which the guest
 * derives from the image's file name ("dir/hello.elf" runs as "hello").
 */
#ifndef PV_SYMBOLS_H
#define PV_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYMBOLS_UNSIZED_SPAN 0x1000u

struct symbol {
    uint32_t addr, size;
    const char *name; /* into the owning file's string table */
};

struct symbol_file {
    char name[32];          /* the process name of an image ("" for the kernel) */
    struct symbol *syms;    /* FUNC symbols, sorted by address */
    size_t n;
    struct symbol *objs;    /* OBJECT symbols (data), in file order */
    size_t nobjs;
    char *strtab;
};

struct symbolizer {
    struct symbol_file kernel;
    struct symbol_file ntdll;   /* the system DLL inside the kernel image (every process) */
    struct symbol_file *images;
    size_t nimages;
};

/* Loads one ELF32 file's FUNC symbols. A file without a symbol table loads with none.
 * Returns 0, or -1 with why naming the file and what is wrong. */
int symbol_file_load(struct symbol_file *f, const char *path, char *why, size_t whylen);
/* The FUNC symbols of an ELF file carried inside the kernel file `path` between its symbols
 * `begin` and `end` (the system DLL: LdrpSystemDllFile, LdrpSystemDllFileEnd). -1 with why
 * when the kernel has no such file in it. */
int symbol_file_load_embedded(struct symbol_file *f, const char *path, const char *begin,
                              const char *end, char *why, size_t whylen);
void symbol_file_free(struct symbol_file *f);

/* The address and size of the data object called name; false when the file has none. */
bool symbol_file_object(const struct symbol_file *f, const char *name, uint32_t *addr,
                        uint32_t *size);

/* "name+0xoff" (or "name" at offset 0) for addr; false when no function covers it. */
bool symbol_file_lookup(const struct symbol_file *f, uint32_t addr, char *out, size_t len);

/* The kernel's and the images' symbols; files that cannot be read contribute none (the run
 * reports those itself). Never fails: an empty symbolizer names nothing. */
void symbolizer_open(struct symbolizer *s, const char *kernel, const char *const *images,
                     size_t nimages);
void symbolizer_close(struct symbolizer *s);

/* addr in the kernel, else in the image of the process named `process` (may be NULL: then only
 * the kernel, and an image when exactly one was given), else in the system DLL. s may be
 * NULL. */
bool symbolize(const struct symbolizer *s, const char *process, uint32_t addr, char *out,
               size_t len);

/* The same for a return address: named after the function of the call before it (a call to a
 * function that does not return can be a function's last instruction). */
bool symbolize_return(const struct symbolizer *s, const char *process, uint32_t addr, char *out,
                      size_t len);

/* The image name a path runs under: its base name without ".elf", at most 31 characters. */
void symbols_image_name(const char *path, char *out, size_t len);

#endif /* PV_SYMBOLS_H */
