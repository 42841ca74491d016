/*
 * layout - checks from ring 3 that the kernel laid the process out as documented: the stack
 * inside its 1 MiB reservation [0x7FEE0000, 0x7FFE0000), argc/argv on the stack above ESP the
 * i386 way, main inside the image's code from 0x00400000, initialized data and bss where the
 * image's own ELF program headers (mapped at 0x00400000) say, data writable.
 *
 * ARGS: alpha beta
 * Run it with the module command line "layout.elf alpha beta" (so argv = layout alpha beta).
 * Expected: begin, argc and each argument, one line per check, end; "layout: exit(0)".
 */
#include <ntapi.h>

/* Linker-script symbols (guest/user/image.ld). */
extern char __ImageBase[], _etext[], __data_start[], _edata[], __bss_start[], _end[];

typedef struct
{
    unsigned char e_ident[16];
    unsigned short e_type, e_machine;
    ULONG e_version, e_entry, e_phoff, e_shoff, e_flags;
    unsigned short e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} ELF_HEADER;

typedef struct
{
    ULONG p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
} ELF_SEGMENT;

static volatile int InitializedData = 0x1234567;
static volatile int ZeroedData;

/* The PT_LOAD segment holding Address, or NULL. */
static const ELF_SEGMENT *FindSegment(ULONG Address)
{
    const ELF_HEADER *Header = (const ELF_HEADER *)__ImageBase;
    const ELF_SEGMENT *Segments = (const ELF_SEGMENT *)(__ImageBase + Header->e_phoff);
    int i;

    for (i = 0; i < Header->e_phnum; i++)
    {
        if (Segments[i].p_type == 1 && Address >= Segments[i].p_vaddr &&
            Address < Segments[i].p_vaddr + Segments[i].p_memsz)
            return &Segments[i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int Local = 0;
    ULONG Esp, Code = (ULONG)&main, Data = (ULONG)&InitializedData, Bss = (ULONG)&ZeroedData;
    const ELF_HEADER *Header = (const ELF_HEADER *)__ImageBase;
    const ELF_SEGMENT *Segment;
    BOOLEAN OnStack = TRUE;
    int i;

    __asm__ volatile("movl %%esp, %0" : "=r"(Esp));
    msg("begin");
    msg("argc = %d", argc);
    for (i = 0; i < argc; i++)
        msg("argv[%d] = '%s'", i, argv[i]);

    CHECK(argc == 3 && strcmp(argv[0], "layout") == 0 && strcmp(argv[1], "alpha") == 0 &&
          strcmp(argv[2], "beta") == 0 && argv[3] == NULL,
          "argv is layout alpha beta, NULL-terminated");
    CHECK((ULONG)&Local >= 0x7FEE0000u && (ULONG)&Local < 0x7FFE0000u,
          "a local variable lies in the stack reservation [0x7FEE0000,0x7FFE0000)");
    for (i = 0; i < argc; i++)
    {
        if ((ULONG)argv[i] <= Esp || (ULONG)argv[i] + strlen(argv[i]) >= 0x7FFE0000u)
            OnStack = FALSE;
    }
    CHECK((ULONG)argv > Esp && (ULONG)&argv[argc] < 0x7FFE0000u && OnStack,
          "argv and its strings lie on the stack above esp");
    CHECK(((int *)argv)[-1] == argc, "argc lies just below argv");

    CHECK((ULONG)__ImageBase == 0x00400000u && Code >= (ULONG)__ImageBase &&
          Code < (ULONG)_etext, "main lies in the image's code from 0x00400000");
    CHECK(Header->e_ident[0] == 0x7F && Header->e_ident[1] == 'E' && Header->e_type == 2 &&
          Header->e_machine == 3, "the image's ELF header is mapped at 0x00400000");
    Segment = FindSegment(Code);
    CHECK(Segment != NULL && (Segment->p_flags & 1) && !(Segment->p_flags & 2),
          "main lies in an executable, read-only segment");
    Segment = FindSegment(Data);
    CHECK(Segment != NULL && (Segment->p_flags & 2) &&
          Data + sizeof(int) <= Segment->p_vaddr + Segment->p_filesz &&
          Data >= (ULONG)__data_start && Data < (ULONG)_edata,
          "initialized data lies in the file part of a writable segment");
    Segment = FindSegment(Bss);
    CHECK(Segment != NULL && (Segment->p_flags & 2) &&
          Bss >= Segment->p_vaddr + Segment->p_filesz && Bss >= (ULONG)__bss_start &&
          Bss < (ULONG)_end, "bss lies in the zero-filled part of a writable segment");
    CHECK(InitializedData == 0x1234567 && ZeroedData == 0,
          "initialized data holds its value, bss reads zero");
    InitializedData++;
    ZeroedData = 42;
    CHECK(InitializedData == 0x1234568 && ZeroedData == 42, "data and bss are writable");
    msg("end");
    return 0;
}
