/*
 * elf.c - loads a static ELF32 i386 executable (ET_EXEC) from a boot module into the current
 * (attached) process, and reads its pages for the image section.
 *
 * Loading reads and checks the headers and keeps the PT_LOAD segments (their protection: R-X
 * execute-read, R-- read-only, RW- read/write, and so on). The image is mapped as a view of
 * its image section (mm/section.c: one per image file, shared by every process running it,
 * NT's image segment), NT's PAGE_EXECUTE_WRITECOPY allocation protection, charged a page of
 * commitment per page. No page is read or copied then: each page of a segment gets a PTE that
 * says where its contents come from, with the page's protection (the union of the segments
 * on it):
 *   pages with file bytes: the "look up the VAD" prototype form 0xFFFFF400 | prot<<5; the
 *     first touch by any process reads the page from the image file into the section
 *     (LdrReadImagePage: the host's file through PV_HC_IMAGE_READ, or the boot module when
 *     there is no host: ldr/imageio.c), the classic demand-page code fault
 *     (PV_FAULT_IMAGE_READ); every other process maps that same page. Writable data is
 *     PAGE_WRITECOPY: read, it is the shared page; written, the process gets its own copy;
 *   pages past the file bytes (bss only): private demand-zero PTEs.
 * Code and read-only data thus stay clean and shared: when no process has them in its working
 * set they go to Standby, and when their frame is reused the section's prototype PTE says
 * "read the image" again; they never go to the pagefile.
 * Anything malformed is STATUS_INVALID_IMAGE_FORMAT.
 */
#include "ldr.h"
#include "elf.h"
#include "ke.h"
#include "mm.h"
#include "ps.h"
#include "rtl.h"

static NTSTATUS LdrpInvalid(PLDR_MODULE Module, PCSTR Why, ULONG Value)
{
    DbgPrint("ldr: %s: invalid image: %s (0x%X)\n", Module->Name, Why, Value);
    return STATUS_INVALID_IMAGE_FORMAT;
}

static ULONG LdrpSegmentProtection(const Elf32_Phdr *Segment)
{
    BOOLEAN Writable = (Segment->p_flags & PF_W) != 0;

    if (Segment->p_flags & PF_X)
        return Writable ? MM_EXECUTE_READWRITE : MM_EXECUTE_READ;
    return Writable ? MM_READWRITE : MM_READONLY;
}

/* The protection of a page two segments share: write if either writes, execute if either
 * executes. */
static ULONG LdrpCombineProtection(ULONG A, ULONG B)
{
    BOOLEAN Write = A == MM_READWRITE || A == MM_EXECUTE_READWRITE || B == MM_READWRITE ||
                    B == MM_EXECUTE_READWRITE;
    BOOLEAN Execute = A == MM_EXECUTE_READ || A == MM_EXECUTE_READWRITE ||
                      B == MM_EXECUTE_READ || B == MM_EXECUTE_READWRITE;

    if (A == 0)
        return B;
    if (Execute)
        return Write ? MM_EXECUTE_READWRITE : MM_EXECUTE_READ;
    return Write ? MM_READWRITE : MM_READONLY;
}

/* Does segment S overlap [PageVa, PageVa + 4K) at all / with file bytes? */
static BOOLEAN LdrpOverlaps(const LDR_IMAGE_SEGMENT *S, ULONG PageVa, BOOLEAN FileBytes)
{
    ULONG End = S->VirtualAddress + (FileBytes ? S->FileSize : S->MemorySize);

    return S->VirtualAddress < PageVa + PAGE_SIZE && End > PageVa;
}

ULONG LdrImagePageProtection(const LDR_IMAGE_SEGMENT *Segments, ULONG SegmentCount, ULONG Va,
                             BOOLEAN *FileBytes)
{
    ULONG i, Protection = 0;

    *FileBytes = FALSE;
    for (i = 0; i < SegmentCount; i++)
    {
        if (!LdrpOverlaps(&Segments[i], Va, FALSE))
            continue;
        Protection = LdrpCombineProtection(Protection, Segments[i].Protection);
        *FileBytes |= LdrpOverlaps(&Segments[i], Va, TRUE);
    }
    return Protection;
}

/* A page read whole from the file for segment S: zero what is not S's file bytes. */
static VOID LdrpZeroOutsideSegment(const LDR_IMAGE_SEGMENT *S, ULONG PageVa, PFN_NUMBER Page)
{
    ULONG Start = S->VirtualAddress > PageVa ? S->VirtualAddress : PageVa;
    ULONG End = S->VirtualAddress + S->FileSize;
    PUCHAR Mapping;

    if (Start > PageVa || End < PageVa + PAGE_SIZE)
    {
        Mapping = MiMapPageInHyperSpace(Page);
        if (Start > PageVa)
            RtlZeroMemory(Mapping, Start - PageVa);
        if (End < PageVa + PAGE_SIZE)
            RtlZeroMemory(Mapping + (End - PageVa), PageVa + PAGE_SIZE - End);
        MiUnmapPageInHyperSpace(Mapping);
    }
}

/* The one segment with file bytes on PageVa's page if its file offsets are congruent with its
 * addresses (the page can be read whole from the file), else NULL. */
static const LDR_IMAGE_SEGMENT *LdrpWholePageSegment(const LDR_IMAGE_SEGMENT *Segments,
                                                     ULONG SegmentCount, ULONG PageVa)
{
    const LDR_IMAGE_SEGMENT *Only = NULL;
    ULONG i, Sources = 0;

    for (i = 0; i < SegmentCount; i++)
    {
        if (LdrpOverlaps(&Segments[i], PageVa, TRUE))
        {
            Only = &Segments[i];
            Sources++;
        }
    }
    if (Sources != 1 || ((Only->FileOffset - Only->VirtualAddress) & (PAGE_SIZE - 1)) != 0)
        return NULL;
    return Only;
}

BOOLEAN LdrImagePageFileOffset(const LDR_IMAGE_SEGMENT *Segments, ULONG SegmentCount,
                               ULONG PageVa, PULONG Offset)
{
    const LDR_IMAGE_SEGMENT *Only = LdrpWholePageSegment(Segments, SegmentCount, PageVa);

    if (Only == NULL)
        return FALSE;
    *Offset = Only->FileOffset + PageVa - Only->VirtualAddress;
    return TRUE;
}

NTSTATUS LdrReadImagePages(PLDR_MODULE Module, const LDR_IMAGE_SEGMENT *Segments,
                           ULONG SegmentCount, ULONG FirstPageVa, ULONG Count,
                           const PFN_NUMBER *Pages)
{
    ULONG i, Offset, Next;
    NTSTATUS Status;

    if (Count == 0 || Count > PV_PAGEFILE_CLUSTER_MAX)
        return STATUS_INVALID_PARAMETER;
    if (Count == 1)
        return LdrReadImagePage(Module, Segments, SegmentCount, FirstPageVa, Pages[0]);
    /* Every page whole from the file, the offsets consecutive: the caller made sure. */
    if (!LdrImagePageFileOffset(Segments, SegmentCount, FirstPageVa, &Offset))
        return STATUS_INVALID_PARAMETER;
    for (i = 1; i < Count; i++)
        if (!LdrImagePageFileOffset(Segments, SegmentCount, FirstPageVa + i * PAGE_SIZE, &Next) ||
            Next != Offset + i * PAGE_SIZE)
            return STATUS_INVALID_PARAMETER;
    Status = LdrReadImageFilePages(Module, Offset, Count, Pages);
    if (!NT_SUCCESS(Status))
        return Status;
    for (i = 0; i < Count; i++)
        LdrpZeroOutsideSegment(LdrpWholePageSegment(Segments, SegmentCount,
                                                    FirstPageVa + i * PAGE_SIZE),
                               FirstPageVa + i * PAGE_SIZE, Pages[i]);
    return STATUS_SUCCESS;
}

NTSTATUS LdrReadImagePage(PLDR_MODULE Module, const LDR_IMAGE_SEGMENT *Segments,
                          ULONG SegmentCount, ULONG PageVa, PFN_NUMBER Page)
{
    const LDR_IMAGE_SEGMENT *Only = LdrpWholePageSegment(Segments, SegmentCount, PageVa);
    ULONG i;
    PUCHAR Mapping;
    NTSTATUS Status = STATUS_SUCCESS;

    /* The usual page: one segment, file offsets congruent with addresses: read the file page
     * straight into the frame, then zero what is not that segment's file bytes. */
    if (Only != NULL && LdrHostImageReads)
    {
        /* (FileOffset - VirtualAddress is a page multiple, so this is a page boundary.) */
        Status = LdrReadImageFilePage(Module, Only->FileOffset + PageVa - Only->VirtualAddress,
                                      Page);
        if (!NT_SUCCESS(Status))
            return Status;
        LdrpZeroOutsideSegment(Only, PageVa, Page);
        return STATUS_SUCCESS;
    }

    /* Otherwise piece by piece: zeros, then each segment's file bytes on this page. */
    Mapping = MiMapPageInHyperSpace(Page);
    RtlZeroMemory(Mapping, PAGE_SIZE);
    for (i = 0; i < SegmentCount && NT_SUCCESS(Status); i++)
    {
        const LDR_IMAGE_SEGMENT *S = &Segments[i];
        ULONG Start, End;

        if (!LdrpOverlaps(S, PageVa, TRUE))
            continue;
        Start = S->VirtualAddress > PageVa ? S->VirtualAddress : PageVa;
        End = S->VirtualAddress + S->FileSize < PageVa + PAGE_SIZE
                  ? S->VirtualAddress + S->FileSize : PageVa + PAGE_SIZE;
        Status = LdrReadImageBytes(Module, S->FileOffset + (Start - S->VirtualAddress),
                                   Mapping + (Start - PageVa), End - Start);
    }
    MiUnmapPageInHyperSpace(Mapping);
    return Status;
}

/* The file offset of the user address Va and how many file bytes follow it in its segment;
 * FALSE if Va is in no segment's file bytes. */
static BOOLEAN LdrpFileOffsetOf(const LDR_IMAGE_INFO *Info, ULONG Va, PULONG Offset,
                                PULONG Available)
{
    ULONG i;

    for (i = 0; i < Info->SegmentCount; i++)
    {
        const LDR_IMAGE_SEGMENT *S = &Info->Segments[i];

        if (Va >= S->VirtualAddress && Va - S->VirtualAddress < S->FileSize)
        {
            *Offset = S->FileOffset + (Va - S->VirtualAddress);
            *Available = S->FileSize - (Va - S->VirtualAddress);
            return TRUE;
        }
    }
    return FALSE;
}

/*
 * The headers of an ELF32 i386 ET_EXEC file, checked: its PT_LOAD segments inside the file and
 * inside user space below the stack, the image's page range, and the table a program header
 * of pagevisor's own points at (TableType: PT_PV_EXPORTS for the system DLL, PT_PV_IMPORTS for
 * an image, where it is optional): inside one segment's file bytes, writable for imports, a
 * whole number of pairs, at most LDR_MAX_TABLE_ENTRIES. An image (Executable) must have its
 * entry point in a segment; the DLL has none.
 */
NTSTATUS LdrParseImage(PLDR_MODULE Module, BOOLEAN Executable, PLDR_IMAGE_INFO Info)
{
    ULONG Size = Module->PhysicalEnd - Module->PhysicalStart;
    ULONG TableType = Executable ? PT_PV_IMPORTS : PT_PV_EXPORTS, Available, i;
    Elf32_Ehdr Header;
    Elf32_Phdr Segments[LDR_MAX_SEGMENTS];
    const Elf32_Phdr *Table = NULL;
    BOOLEAN EntryInImage = FALSE;
    NTSTATUS Status;

    memset(Info, 0, sizeof(*Info));
    Info->ImageBase = 0xFFFFFFFFu;
    if (Size < sizeof(Header))
        return LdrpInvalid(Module, "shorter than an ELF header", Size);
    Status = LdrReadImageBytes(Module, 0, &Header, sizeof(Header));
    if (!NT_SUCCESS(Status))
        return Status;
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
    Status = LdrReadImageBytes(Module, Header.e_phoff, Segments,
                               Header.e_phnum * sizeof(Elf32_Phdr));
    if (!NT_SUCCESS(Status))
        return Status;

    for (i = 0; i < Header.e_phnum; i++)
    {
        const Elf32_Phdr *Segment = &Segments[i];
        ULONG End;

        if (Segment->p_type == PT_INTERP || Segment->p_type == PT_DYNAMIC)
            return LdrpInvalid(Module, "not a static executable", Segment->p_type);
        if (Segment->p_type == TableType)
        {
            if (Table != NULL)
                return LdrpInvalid(Module, "two import or export tables", i);
            Table = Segment;
            continue;
        }
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
        if (ALIGN_DOWN_BY(Segment->p_vaddr, PAGE_SIZE) < Info->ImageBase)
            Info->ImageBase = ALIGN_DOWN_BY(Segment->p_vaddr, PAGE_SIZE);
        if (ALIGN_UP_BY(End, PAGE_SIZE) > Info->ImageEnd)
            Info->ImageEnd = ALIGN_UP_BY(End, PAGE_SIZE);
        Info->Segments[Info->SegmentCount++] = (LDR_IMAGE_SEGMENT){
            Segment->p_vaddr, Segment->p_memsz, Segment->p_offset, Segment->p_filesz,
            LdrpSegmentProtection(Segment) };
    }
    if (Info->SegmentCount == 0)
        return LdrpInvalid(Module, "no loadable segment", 0);
    if (Executable && !EntryInImage)
        return LdrpInvalid(Module, "entry point outside the image", Header.e_entry);
    Info->EntryPoint = Header.e_entry;

    if (Table == NULL)
        return Executable ? STATUS_SUCCESS : LdrpInvalid(Module, "no export table", 0);
    Info->TableVa = Table->p_vaddr;
    Info->TableEntries = Table->p_memsz / sizeof(LDR_TABLE_ENTRY);
    if (Table->p_memsz % sizeof(LDR_TABLE_ENTRY) != 0 || Table->p_filesz != Table->p_memsz ||
        Info->TableEntries > LDR_MAX_TABLE_ENTRIES || (Table->p_vaddr & 3) != 0 ||
        !LdrpFileOffsetOf(Info, Table->p_vaddr, &Info->TableOffset, &Available) ||
        Available < Table->p_memsz)
        return LdrpInvalid(Module, "import or export table outside the file's segments",
                           Table->p_vaddr);
    if (Executable)
    {
        ULONG Protection = LdrImagePageProtection(Info->Segments, Info->SegmentCount,
                                                  Table->p_vaddr, &EntryInImage);

        if (Protection != MM_READWRITE && Protection != MM_EXECUTE_READWRITE)
            return LdrpInvalid(Module, "import table not in writable data", Table->p_vaddr);
    }
    return STATUS_SUCCESS;
}

NTSTATUS LdrReadTable(PLDR_MODULE Module, const LDR_IMAGE_INFO *Info, LDR_TABLE_ENTRY *Entries)
{
    return LdrReadImageBytes(Module, Info->TableOffset, Entries,
                             Info->TableEntries * sizeof(LDR_TABLE_ENTRY));
}

/* The name at NameVa: NUL-terminated, at most LDR_MAX_NAME - 1 characters, in the file's
 * segments. */
NTSTATUS LdrReadTableName(PLDR_MODULE Module, const LDR_IMAGE_INFO *Info, ULONG NameVa,
                          PCHAR Name)
{
    ULONG Offset, Available, Length, i;
    NTSTATUS Status;

    if (!LdrpFileOffsetOf(Info, NameVa, &Offset, &Available))
        return LdrpInvalid(Module, "a table name outside the file's segments", NameVa);
    Length = Available < LDR_MAX_NAME ? Available : LDR_MAX_NAME;
    Status = LdrReadImageBytes(Module, Offset, Name, Length);
    if (!NT_SUCCESS(Status))
        return Status;
    for (i = 0; i < Length && Name[i] != 0; i++)
        ;
    if (i == Length || i == 0)
        return LdrpInvalid(Module, "a table name without its end, or empty", NameVa);
    return STATUS_SUCCESS;
}

NTSTATUS LdrLoadImage(PEPROCESS Process, PLDR_MODULE Module)
{
    LDR_IMAGE_INFO Info;
    ULONG Va, ImagePages = 0, ZeroPages = 0, i;
    NTSTATUS Status = LdrParseImage(Module, TRUE, &Info);

    if (!NT_SUCCESS(Status))
        return Status;
    Process->ImageModule = Module;
    Process->ImageSegmentCount = Info.SegmentCount;
    memcpy(Process->ImageSegments, Info.Segments, sizeof(Info.Segments));
    Process->ImportTableVa = Info.TableVa;
    Process->ImportTableOffset = Info.TableOffset;
    Process->ImportTableEntries = Info.TableEntries;

    /* The image section (one per image file, shared by every process running it) mapped as
     * an image view: mm/section.c. */
    Status = MiMapImageView(Module, Info.Segments, Info.SegmentCount, Info.ImageBase,
                            Info.ImageEnd);
    if (!NT_SUCCESS(Status))
        return Status;

    /* Each page's PTE: where its contents come from, and its protection. */
    for (Va = Info.ImageBase; Va < Info.ImageEnd; Va += PAGE_SIZE)
    {
        BOOLEAN FileBytes;
        ULONG Protection = LdrImagePageProtection(Info.Segments, Info.SegmentCount, Va,
                                                  &FileBytes);

        if (Protection == 0)
            continue;   /* a hole between segments: reserved, never committed */
        /* The page table directly (not by a fault: the host learns of the process after
         * the load, before its first fault). */
        if (!MiMakeUserPageTableResident(Va))
        {
            Status = MiEnsureAvailablePages(1) ? MiMakeUserPageTableValid(Va) : STATUS_NO_MEMORY;
            if (!NT_SUCCESS(Status))
                return Status;
        }
        /* File bytes: the section's page (writable data copy-on-write); bss only: a private
         * demand-zero page. */
        Protection = FileBytes ? MI_IMAGE_VIEW_PROTECTION(Protection) : Protection;
        MiWriteUserPte(Va, FileBytes ? MI_MAKE_PROTO_LOOKUP_PTE(Protection)
                                     : MI_MAKE_DEMAND_ZERO_PTE(Protection));
        if (FileBytes)
            ImagePages++;
        else
            ZeroPages++;
    }
    for (i = 0; i < Process->ImageSegmentCount; i++)
    {
        const LDR_IMAGE_SEGMENT *S = &Process->ImageSegments[i];

        DbgPrint("ldr: %s: segment 0x%08X-0x%08X protection %u (file 0x%X bytes at 0x%X)\n",
                 Module->Name, S->VirtualAddress, S->VirtualAddress + S->MemorySize - 1,
                 S->Protection, S->FileSize, S->FileOffset);
    }
    DbgPrint("ldr: %s: %u pages paged from the image %s, %u demand zero\n", Module->Name,
             ImagePages, LdrHostImageReads ? "file on the host" : "module", ZeroPages);

    Process->ImageBase = Info.ImageBase;
    Process->ImageEnd = Info.ImageEnd;
    Process->EntryPoint = Info.EntryPoint;
    return STATUS_SUCCESS;
}
