/*
 * elf.c - loads a static ELF32 i386 executable (ET_EXEC) from a boot module into the current
 * (attached) process: checks the headers, then copies every PT_LOAD segment into fresh user
 * pages (zero-filled past the file bytes), with the segment's protection (R-X execute-read,
 * R-- read-only, RW- read/write). The image is one VAD (VadImageMap, NT's PAGE_EXECUTE_WRITECOPY
 * allocation protection) charged a page of commitment per page. Anything malformed is
 * STATUS_INVALID_IMAGE_FORMAT. Demand paging of images comes later: every page is loaded now.
 */
#include "ldr.h"
#include "elf.h"
#include "ke.h"
#include "mm.h"
#include "ps.h"
#include "rtl.h"

#define LDR_MAX_SEGMENTS 16

static NTSTATUS LdrpInvalid(PLDR_MODULE Module, PCSTR Why, ULONG Value)
{
    DbgPrint("ldr: %s: invalid image: %s (0x%X)\n", Module->Name, Why, Value);
    return STATUS_INVALID_IMAGE_FORMAT;
}

/* Copy a segment's file bytes that fall in the user page at PageVa into its frame. */
static VOID LdrpCopyToPage(PLDR_MODULE Module, const Elf32_Phdr *Segment, ULONG PageVa,
                           PFN_NUMBER Page)
{
    ULONG FileStart = Segment->p_vaddr, FileEnd = Segment->p_vaddr + Segment->p_filesz;
    ULONG Start = PageVa > FileStart ? PageVa : FileStart;
    ULONG End = PageVa + PAGE_SIZE < FileEnd ? PageVa + PAGE_SIZE : FileEnd;
    PUCHAR Mapping;

    if (Start >= End)
        return;
    Mapping = MiMapPageInHyperSpace(Page);
    MiCopyFromPhysical(Mapping + (Start - PageVa),
                       Module->PhysicalStart + Segment->p_offset + (Start - FileStart),
                       End - Start);
    MiUnmapPageInHyperSpace(Mapping);
}

NTSTATUS LdrLoadImage(PEPROCESS Process, PLDR_MODULE Module)
{
    ULONG Size = Module->PhysicalEnd - Module->PhysicalStart;
    Elf32_Ehdr Header;
    Elf32_Phdr Segments[LDR_MAX_SEGMENTS];
    ULONG i, Va, PagesNeeded = 0, Loads = 0;
    ULONG ImageBase = 0xFFFFFFFFu, ImageEnd = 0;
    BOOLEAN EntryInImage = FALSE;
    PFN_NUMBER Page;
    PMMVAD Vad;
    NTSTATUS Status;

    if (Size < sizeof(Header))
        return LdrpInvalid(Module, "shorter than an ELF header", Size);
    MiCopyFromPhysical(&Header, Module->PhysicalStart, sizeof(Header));
    if (Header.e_ident[0] != ELFMAG0 || Header.e_ident[1] != 'E' || Header.e_ident[2] != 'L' ||
        Header.e_ident[3] != 'F')
        return LdrpInvalid(Module, "no ELF magic", Header.e_ident[0]);
    if (Header.e_ident[4] != ELFCLASS32 || Header.e_ident[5] != ELFDATA2LSB ||
        Header.e_ident[6] != EV_CURRENT)
        return LdrpInvalid(Module, "not ELF32 little-endian version 1", Header.e_ident[4]);
    if (Header.e_type != ET_EXEC)
        return LdrpInvalid(Module, "not ET_EXEC", Header.e_type);
    if (Header.e_machine != EM_386)
        return LdrpInvalid(Module, "not EM_386", Header.e_machine);
    if (Header.e_phentsize != sizeof(Elf32_Phdr) || Header.e_phnum == 0 ||
        Header.e_phnum > LDR_MAX_SEGMENTS)
        return LdrpInvalid(Module, "bad program header table", Header.e_phnum);
    if (Header.e_phoff > Size || Size - Header.e_phoff < Header.e_phnum * sizeof(Elf32_Phdr))
        return LdrpInvalid(Module, "program headers outside the file", Header.e_phoff);
    MiCopyFromPhysical(Segments, Module->PhysicalStart + Header.e_phoff,
                       Header.e_phnum * sizeof(Elf32_Phdr));

    for (i = 0; i < Header.e_phnum; i++)
    {
        const Elf32_Phdr *Segment = &Segments[i];
        ULONG End;

        if (Segment->p_type == PT_INTERP || Segment->p_type == PT_DYNAMIC)
            return LdrpInvalid(Module, "not a static executable", Segment->p_type);
        if (Segment->p_type != PT_LOAD || Segment->p_memsz == 0)
            continue;
        if (Segment->p_filesz > Segment->p_memsz)
            return LdrpInvalid(Module, "segment file size above memory size", i);
        if (Segment->p_offset > Size || Size - Segment->p_offset < Segment->p_filesz)
            return LdrpInvalid(Module, "segment outside the file", i);
        End = Segment->p_vaddr + Segment->p_memsz;
        if (Segment->p_vaddr < MM_LOWEST_USER_ADDRESS || End < Segment->p_vaddr ||
            End > MM_USER_STACK_BASE)
            return LdrpInvalid(Module, "segment outside user space below the stack",
                               Segment->p_vaddr);
        if (Header.e_entry >= Segment->p_vaddr && Header.e_entry < End)
            EntryInImage = TRUE;
        if (ALIGN_DOWN_BY(Segment->p_vaddr, PAGE_SIZE) < ImageBase)
            ImageBase = ALIGN_DOWN_BY(Segment->p_vaddr, PAGE_SIZE);
        if (ALIGN_UP_BY(End, PAGE_SIZE) > ImageEnd)
            ImageEnd = ALIGN_UP_BY(End, PAGE_SIZE);
        PagesNeeded += (ULONG)((ALIGN_UP_BY(End, PAGE_SIZE) -
                                ALIGN_DOWN_BY(Segment->p_vaddr, PAGE_SIZE)) >> PAGE_SHIFT);
        Loads++;
    }
    if (Loads == 0)
        return LdrpInvalid(Module, "no loadable segment", 0);
    if (!EntryInImage)
        return LdrpInvalid(Module, "entry point outside the image", Header.e_entry);

    /* Image pages, the stack's first page and its page table, and a page table for each
     * 4 MiB the image touches. */
    PagesNeeded += (MM_USER_STACK_COMMIT >> PAGE_SHIFT) + 1 +
                   ((ImageEnd - ImageBase) >> PDE_SHIFT) + 2;
    if (PagesNeeded > MmAvailablePages)
    {
        DbgPrint("ldr: %s: needs %u pages, %u available\n", Module->Name, PagesNeeded,
                 MmAvailablePages);
        return STATUS_NO_MEMORY;
    }

    Status = MiCreateVad(&Process->Vm, ImageBase, ImageEnd - 1, MM_EXECUTE_WRITECOPY,
                         VadImageMap, TRUE, &Vad);
    if (!NT_SUCCESS(Status))
        return Status;

    for (i = 0; i < Header.e_phnum; i++)
    {
        const Elf32_Phdr *Segment = &Segments[i];
        BOOLEAN Writable = (Segment->p_flags & PF_W) != 0;
        ULONG Protection;

        if (Segment->p_type != PT_LOAD || Segment->p_memsz == 0)
            continue;
        if (Segment->p_flags & PF_X)
            Protection = Writable ? MM_EXECUTE_READWRITE : MM_EXECUTE_READ;
        else
            Protection = Writable ? MM_READWRITE : MM_READONLY;
        for (Va = ALIGN_DOWN_BY(Segment->p_vaddr, PAGE_SIZE);
             Va < Segment->p_vaddr + Segment->p_memsz; Va += PAGE_SIZE)
        {
            Status = MiCommitUserPage((PVOID)(ULONG_PTR)Va, Protection, &Page);
            if (!NT_SUCCESS(Status))
                return Status;
            LdrpCopyToPage(Module, Segment, Va, Page);
        }
        DbgPrint("ldr: %s: segment 0x%08X-0x%08X %s%s%s (file 0x%X bytes at 0x%X)\n",
                 Module->Name, Segment->p_vaddr, Segment->p_vaddr + Segment->p_memsz - 1,
                 (Segment->p_flags & PF_R) ? "R" : "-", Writable ? "W" : "-",
                 (Segment->p_flags & PF_X) ? "X" : "-", Segment->p_filesz, Segment->p_offset);
    }

    Process->ImageBase = ImageBase;
    Process->ImageEnd = ImageEnd;
    Process->EntryPoint = Header.e_entry;
    return STATUS_SUCCESS;
}
