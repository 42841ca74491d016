/*
 * elf.h - the ELF32 structures and constants the image loader checks (System V ABI, i386).
 */
#ifndef PV_ELF_H
#define PV_ELF_H

#include <stdint.h>

#define EI_NIDENT     16
#define ELFMAG0       0x7F
#define ELFCLASS32    1
#define ELFDATA2LSB   1
#define EV_CURRENT    1
#define ET_EXEC       2
#define EM_386        3
#define PT_NULL       0
#define PT_LOAD       1
#define PT_DYNAMIC    2
#define PT_INTERP     3
/* pagevisor's own (in the OS-specific range): the system DLL's export table and an image's
 * import table, each an array of { name address, target address } pairs (ldr/sysdll.c). */
#define PT_PV_EXPORTS 0x6F504501u
#define PT_PV_IMPORTS 0x6F504902u
#define PF_X          1
#define PF_W          2
#define PF_R          4

typedef struct
{
    uint8_t  e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version, e_entry, e_phoff, e_shoff, e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf32_Ehdr;

typedef struct
{
    uint32_t p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
} Elf32_Phdr;

_Static_assert(sizeof(Elf32_Ehdr) == 52, "Elf32_Ehdr layout");
_Static_assert(sizeof(Elf32_Phdr) == 32, "Elf32_Phdr layout");

#endif /* PV_ELF_H */
