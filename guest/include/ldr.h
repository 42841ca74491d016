/*
 * ldr.h - what the boot loader handed over (the Multiboot information, copied into the loader
 * block at boot) and the ELF32 image loader.
 */
#ifndef PV_LDR_H
#define PV_LDR_H

#include "ntdef.h"
#include "pv_abi.h"

#define LDR_MAX_MODULES       64
#define LDR_MAX_MEMORY_RANGES 32
#define LDR_MAX_RESERVED      (8 + 2 * LDR_MAX_MODULES)
#define LDR_MAX_COMMAND_LINE  256
#define LDR_MAX_ARGUMENTS     16

typedef struct _LDR_MEMORY_RANGE
{
    ULONGLONG Base, Length;
    ULONG Type;               /* MULTIBOOT_MEMORY_* */
} LDR_MEMORY_RANGE;

typedef struct _LDR_PHYSICAL_RANGE
{
    ULONG Start, End;         /* [Start, End) physical */
    PCSTR What;
} LDR_PHYSICAL_RANGE;

typedef struct _LDR_MODULE
{
    ULONG Index;                             /* position among the boot modules */
    ULONG PhysicalStart, PhysicalEnd;        /* [start, end); the file's size is their
                                                difference (the frames may be free later) */
    CHAR CommandLine[LDR_MAX_COMMAND_LINE];  /* "PATH [ARGS...]" */
    CHAR Name[PV_NAME_MAX];                  /* basename of PATH without ".elf" */
    BOOLEAN InKernel;                        /* the system DLL: its file is in the kernel
                                                image, never read from the host */
} LDR_MODULE, *PLDR_MODULE;

typedef struct _LOADER_PARAMETER_BLOCK
{
    ULONG MultibootFlags;
    ULONG MemLowerKb, MemUpperKb;
    ULONG MemoryRangeCount;
    LDR_MEMORY_RANGE MemoryRanges[LDR_MAX_MEMORY_RANGES];
    ULONG ModuleCount;
    LDR_MODULE Modules[LDR_MAX_MODULES];
    ULONG ReservedCount;      /* frames in use at boot: kernel, Multiboot data, modules */
    LDR_PHYSICAL_RANGE Reserved[LDR_MAX_RESERVED];
    CHAR CommandLine[LDR_MAX_COMMAND_LINE];
    CHAR BootLoaderName[64];
} LOADER_PARAMETER_BLOCK, *PLOADER_PARAMETER_BLOCK;

extern LOADER_PARAMETER_BLOCK KeLoaderBlock;

/* ldr/multiboot.c */
VOID LdrReadMultibootInformation(ULONG MultibootInfoPhysical);
ULONG LdrSplitArguments(PCHAR CommandLine, PCHAR *Argv, ULONG MaxArguments);

/* One PT_LOAD segment of a process's image, kept for demand paging it. */
#define LDR_MAX_SEGMENTS 16
typedef struct _LDR_IMAGE_SEGMENT
{
    ULONG VirtualAddress, MemorySize, FileOffset, FileSize;
    ULONG Protection;          /* MM_* */
} LDR_IMAGE_SEGMENT, *PLDR_IMAGE_SEGMENT;

/* ldr/elf.c */
struct _EPROCESS;
NTSTATUS LdrLoadImage(struct _EPROCESS *Process, PLDR_MODULE Module);

/* The system DLL's export table and an image's import table (PT_PV_EXPORTS, PT_PV_IMPORTS):
 * arrays of these. Name: the address of a NUL-terminated name in the file's segments; Target:
 * the exported stub, or the import's slot the loader fills. */
typedef struct _LDR_TABLE_ENTRY
{
    ULONG Name, Target;
} LDR_TABLE_ENTRY;
#define LDR_MAX_TABLE_ENTRIES 256
#define LDR_MAX_NAME          64      /* with its NUL */

/* What LdrParseImage found in a file's headers, checked. */
typedef struct _LDR_IMAGE_INFO
{
    LDR_IMAGE_SEGMENT Segments[LDR_MAX_SEGMENTS];
    ULONG SegmentCount;
    ULONG ImageBase, ImageEnd, EntryPoint;   /* [ImageBase, ImageEnd) */
    ULONG TableVa, TableOffset, TableEntries; /* its import or export table; 0 entries: none */
} LDR_IMAGE_INFO, *PLDR_IMAGE_INFO;

NTSTATUS LdrParseImage(PLDR_MODULE Module, BOOLEAN Executable, PLDR_IMAGE_INFO Info);
/* The whole table (Info->TableEntries entries), then each entry's name. */
NTSTATUS LdrReadTable(PLDR_MODULE Module, const LDR_IMAGE_INFO *Info, LDR_TABLE_ENTRY *Entries);
NTSTATUS LdrReadTableName(PLDR_MODULE Module, const LDR_IMAGE_INFO *Info, ULONG NameVa,
                          PCHAR Name);

/* ldr/sysdll.c: the system DLL at 0x77F60000 */
#define LDR_SYSTEM_DLL_BASE 0x77F60000u
VOID LdrInitializeSystemDll(VOID);
/* Map it into the current (attached) process and fill the image's import table from it. */
NTSTATUS LdrBindSystemDll(struct _EPROCESS *Process);
/* Fill the frame Page with what the image (Module, its PT_LOAD segments) has at the user page
 * PageVa: its segments' file bytes, zeros elsewhere. STATUS_IO_DEVICE_ERROR if the host
 * failed the read. */
NTSTATUS LdrReadImagePage(PLDR_MODULE Module, const LDR_IMAGE_SEGMENT *Segments,
                          ULONG SegmentCount, ULONG PageVa, PFN_NUMBER Page);
/* Is PageVa's page read whole from the file (one segment's file bytes on it, file offsets
 * congruent with addresses)? If so, *Offset is its page's offset in the file. */
BOOLEAN LdrImagePageFileOffset(const LDR_IMAGE_SEGMENT *Segments, ULONG SegmentCount,
                               ULONG PageVa, PULONG Offset);
/* Count (1..PV_PAGEFILE_CLUSTER_MAX) consecutive image pages from FirstPageVa into Pages, in
 * one host read: every page read whole from the file (LdrImagePageFileOffset) at consecutive
 * offsets (one page may be anything LdrReadImagePage reads). */
NTSTATUS LdrReadImagePages(PLDR_MODULE Module, const LDR_IMAGE_SEGMENT *Segments,
                           ULONG SegmentCount, ULONG FirstPageVa, ULONG Count,
                           const PFN_NUMBER *Pages);
/* The protection of the image page at Va (the union of the segments on it; 0: a hole between
 * segments) and whether any file bytes are on it (else it is bss only: demand zero). */
ULONG LdrImagePageProtection(const LDR_IMAGE_SEGMENT *Segments, ULONG SegmentCount, ULONG Va,
                             BOOLEAN *FileBytes);

/* ldr/imageio.c: where image bytes come from */
extern BOOLEAN LdrHostImageReads;   /* TRUE: PV_HC_IMAGE_READ; FALSE: the boot modules in RAM */
VOID LdrInitializeImageAccess(VOID);
NTSTATUS LdrReadImageBytes(PLDR_MODULE Module, ULONG Offset, PVOID Buffer, ULONG Length);
NTSTATUS LdrReadImageFilePage(PLDR_MODULE Module, ULONG Offset, PFN_NUMBER Page);
NTSTATUS LdrReadImageFilePages(PLDR_MODULE Module, ULONG Offset, ULONG Count,
                               const PFN_NUMBER *Pages);

#endif /* PV_LDR_H */
