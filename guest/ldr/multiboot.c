/*
 * multiboot.c - reads what the Multiboot loader handed over (shared/multiboot.h) into the
 * loader block: memory map, kernel command line, boot loader name, and the modules with their
 * command lines ("PATH [ARGS...]"; the image name is the basename of PATH without ".elf").
 * Everything is read from physical memory through hyperspace, so it may lie anywhere in RAM.
 * The frames holding the kernel, the Multiboot data and the modules are recorded as reserved.
 */
#include "ldr.h"
#include "ke.h"
#include "mm.h"
#include "multiboot.h"
#include "rtl.h"

LOADER_PARAMETER_BLOCK KeLoaderBlock;

static VOID LdrpReserve(ULONG Start, ULONG Length, PCSTR What)
{
    LDR_PHYSICAL_RANGE *Range;

    if (Length == 0)
        return;
    if (KeLoaderBlock.ReservedCount >= LDR_MAX_RESERVED)
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x1D0, Start, Length, 0);
    Range = &KeLoaderBlock.Reserved[KeLoaderBlock.ReservedCount++];
    Range->Start = Start;
    Range->End = Start + Length < Start ? 0xFFFFFFFFu : Start + Length;
    Range->What = What;
}

/* Copy a NUL-terminated string from physical memory, never reading past the page that holds
 * its terminator. Returns the bytes it occupies (with the NUL), truncating to Size - 1. */
static ULONG LdrpCopyString(PCHAR Destination, ULONG Size, ULONG Physical)
{
    ULONG Length = 0;

    while (Length + 1 < Size)
    {
        ULONG Chunk = PAGE_SIZE - ((Physical + Length) & (PAGE_SIZE - 1));
        ULONG i;

        if (Chunk > Size - 1 - Length)
            Chunk = Size - 1 - Length;
        MiCopyFromPhysical(Destination + Length, Physical + Length, Chunk);
        for (i = 0; i < Chunk; i++)
        {
            if (Destination[Length + i] == '\0')
                return Length + i + 1;
        }
        Length += Chunk;
    }
    Destination[Length] = '\0';
    return Length + 1;
}

/* Split a command line in place at spaces and tabs. */
ULONG LdrSplitArguments(PCHAR CommandLine, PCHAR *Argv, ULONG MaxArguments)
{
    ULONG Argc = 0;

    while (*CommandLine != '\0' && Argc < MaxArguments)
    {
        while (*CommandLine == ' ' || *CommandLine == '\t')
            *CommandLine++ = '\0';
        if (*CommandLine == '\0')
            break;
        Argv[Argc++] = CommandLine;
        while (*CommandLine != '\0' && *CommandLine != ' ' && *CommandLine != '\t')
            CommandLine++;
    }
    if (*CommandLine != '\0')
        *CommandLine = '\0';
    return Argc;
}

/* "dir/hello.elf arg" -> "hello". */
static VOID LdrpImageName(PLDR_MODULE Module, ULONG Index)
{
    PCSTR Path = Module->CommandLine, Base, End;
    ULONG Length;

    while (*Path == ' ' || *Path == '\t')
        Path++;
    End = Path;
    while (*End != '\0' && *End != ' ' && *End != '\t')
        End++;
    Base = End;
    while (Base > Path && Base[-1] != '/')
        Base--;
    Length = (ULONG)(End - Base);
    if (Length > 4 && strncmp(End - 4, ".elf", 4) == 0)
        Length -= 4;
    if (Length == 0)
    {
        RtlFormatString(Module->Name, sizeof(Module->Name), "module%u", Index);
        return;
    }
    if (Length > sizeof(Module->Name) - 1)
        Length = sizeof(Module->Name) - 1;
    memcpy(Module->Name, Base, Length);
    Module->Name[Length] = '\0';
}

static VOID LdrpReadMemoryMap(const struct multiboot_info *Mbi)
{
    ULONG Offset = 0;

    if (Mbi->flags & MULTIBOOT_INFO_MEM_MAP)
    {
        LdrpReserve(Mbi->mmap_addr, Mbi->mmap_length, "Multiboot memory map");
        while (Offset + sizeof(struct multiboot_mmap_entry) <= Mbi->mmap_length &&
               KeLoaderBlock.MemoryRangeCount < LDR_MAX_MEMORY_RANGES)
        {
            struct multiboot_mmap_entry Entry;
            LDR_MEMORY_RANGE *Range;

            MiCopyFromPhysical(&Entry, Mbi->mmap_addr + Offset, sizeof(Entry));
            Range = &KeLoaderBlock.MemoryRanges[KeLoaderBlock.MemoryRangeCount++];
            Range->Base = Entry.addr;
            Range->Length = Entry.len;
            Range->Type = Entry.type == MULTIBOOT_MEMORY_AVAILABLE ? MULTIBOOT_MEMORY_AVAILABLE
                                                                   : MULTIBOOT_MEMORY_RESERVED;
            if (Entry.size < 20)
                break;
            Offset += Entry.size + 4;
        }
    }
    else if (Mbi->flags & MULTIBOOT_INFO_MEMORY)
    {
        KeLoaderBlock.MemoryRanges[0].Base = 0;
        KeLoaderBlock.MemoryRanges[0].Length = (ULONGLONG)Mbi->mem_lower * 1024;
        KeLoaderBlock.MemoryRanges[0].Type = MULTIBOOT_MEMORY_AVAILABLE;
        KeLoaderBlock.MemoryRanges[1].Base = 0x100000;
        KeLoaderBlock.MemoryRanges[1].Length = (ULONGLONG)Mbi->mem_upper * 1024;
        KeLoaderBlock.MemoryRanges[1].Type = MULTIBOOT_MEMORY_AVAILABLE;
        KeLoaderBlock.MemoryRangeCount = 2;
    }
}

VOID LdrReadMultibootInformation(ULONG MultibootInfoPhysical)
{
    struct multiboot_info Mbi;
    ULONG i, Length;

    LdrpReserve(KI_IMAGE_TO_PHYSICAL(__KernelStart), (ULONG)(__KernelEnd - __KernelStart),
                "kernel image");
    MiCopyFromPhysical(&Mbi, MultibootInfoPhysical, sizeof(Mbi));
    LdrpReserve(MultibootInfoPhysical, sizeof(Mbi), "Multiboot information");
    KeLoaderBlock.MultibootFlags = Mbi.flags;
    if (Mbi.flags & MULTIBOOT_INFO_MEMORY)
    {
        KeLoaderBlock.MemLowerKb = Mbi.mem_lower;
        KeLoaderBlock.MemUpperKb = Mbi.mem_upper;
    }

    if ((Mbi.flags & MULTIBOOT_INFO_CMDLINE) && Mbi.cmdline != 0)
    {
        Length = LdrpCopyString(KeLoaderBlock.CommandLine, sizeof(KeLoaderBlock.CommandLine),
                                Mbi.cmdline);
        LdrpReserve(Mbi.cmdline, Length, "kernel command line");
    }
    if ((Mbi.flags & MULTIBOOT_INFO_BOOT_LOADER_NAME) && Mbi.boot_loader_name != 0)
    {
        Length = LdrpCopyString(KeLoaderBlock.BootLoaderName,
                                sizeof(KeLoaderBlock.BootLoaderName), Mbi.boot_loader_name);
        LdrpReserve(Mbi.boot_loader_name, Length, "boot loader name");
    }

    LdrpReadMemoryMap(&Mbi);
    if (KeLoaderBlock.MemoryRangeCount == 0)
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x1D1, Mbi.flags, 0, 0);

    if (Mbi.flags & MULTIBOOT_INFO_MODS)
    {
        if (Mbi.mods_count > LDR_MAX_MODULES)
            DbgPrint("ldr: %u modules, only the first %u are run\n", Mbi.mods_count,
                     LDR_MAX_MODULES);
        LdrpReserve(Mbi.mods_addr, Mbi.mods_count * sizeof(struct multiboot_module),
                    "Multiboot module list");
        for (i = 0; i < Mbi.mods_count && i < LDR_MAX_MODULES; i++)
        {
            struct multiboot_module Mod;
            PLDR_MODULE Module = &KeLoaderBlock.Modules[i];

            MiCopyFromPhysical(&Mod, Mbi.mods_addr + i * sizeof(Mod), sizeof(Mod));
            Module->Index = i;
            Module->PhysicalStart = Mod.mod_start;
            Module->PhysicalEnd = Mod.mod_end < Mod.mod_start ? Mod.mod_start : Mod.mod_end;
            if (Mod.cmdline != 0)
            {
                Length = LdrpCopyString(Module->CommandLine, sizeof(Module->CommandLine),
                                        Mod.cmdline);
                LdrpReserve(Mod.cmdline, Length, "module command line");
            }
            LdrpImageName(Module, i);
            LdrpReserve(Module->PhysicalStart, Module->PhysicalEnd - Module->PhysicalStart,
                        "module");
            KeLoaderBlock.ModuleCount++;
        }
    }
}
