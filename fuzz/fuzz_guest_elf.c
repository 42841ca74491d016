/*
 * fuzz_guest_elf.c - libFuzzer target: the guest kernel's own image loader (LdrLoadImage,
 * guest/ldr/elf.c) compiled for the host as it is, on an image file that is the input. What it
 * reaches in the rest of the kernel is played by shims here: the file's bytes (a read outside
 * the file is a finding: the loader checks every offset before it reads), the VAD it creates
 * and the PTEs it writes (each must lie inside that VAD, in user space below the stack). An
 * accepted image has its entry point, base and end inside user space.
 */
#include "../guest/ldr/elf.c"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *file;
static ULONG file_size;
static ULONG_PTR vad_start, vad_end;   /* the image's VAD, inclusive end; vad_end 0: none */
static unsigned vads;

BOOLEAN LdrHostImageReads = FALSE;

ULONG DbgPrint(PCSTR Format, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, Format);
    int n = vsnprintf(line, sizeof(line), Format, ap);
    va_end(ap);
    return n < 0 ? 0 : (ULONG)n;
}

NTSTATUS LdrReadImageBytes(PLDR_MODULE Module, ULONG Offset, PVOID Buffer, ULONG Length)
{
    (void)Module;
    if (Offset > file_size || file_size - Offset < Length)
        abort();  /* asked for bytes outside the file */
    memcpy(Buffer, file + Offset, Length);
    return STATUS_SUCCESS;
}

/* The image view: once per load, page aligned, inside user space below the stack, with the
 * segments the loader checked. */
NTSTATUS MiMapImageView(PLDR_MODULE Module, const LDR_IMAGE_SEGMENT *Segments,
                        ULONG SegmentCount, ULONG ImageBase, ULONG ImageEnd)
{
    (void)Module, (void)Segments;
    if (vads++ || ImageBase >= ImageEnd || ImageBase < MM_LOWEST_USER_ADDRESS ||
        ImageEnd > MM_USER_STACK_BASE || (ImageBase & (PAGE_SIZE - 1)) ||
        (ImageEnd & (PAGE_SIZE - 1)) || SegmentCount == 0 || SegmentCount > LDR_MAX_SEGMENTS)
        abort();
    vad_start = ImageBase;
    vad_end = ImageEnd - 1;
    return STATUS_SUCCESS;
}

BOOLEAN MiMakeUserPageTableResident(ULONG_PTR Va)
{
    return (Va & 0x400000) != 0;  /* some tables resident, some made valid */
}

NTSTATUS MiMakeUserPageTableValid(ULONG_PTR Va)
{
    (void)Va;
    return STATUS_SUCCESS;
}

BOOLEAN MiEnsureAvailablePages(ULONG Pages)
{
    return Pages == 1;
}

VOID MiWriteUserPte(ULONG_PTR Va, ULONG Value)
{
    (void)Value;
    if (!vad_end || Va < vad_start || Va > vad_end || (Va & (PAGE_SIZE - 1)))
        abort();  /* a PTE outside the image's VAD */
}

/* Demand paging, not reached by a load. */
NTSTATUS LdrReadImageFilePage(PLDR_MODULE Module, ULONG Offset, PFN_NUMBER Page)
{
    (void)Module, (void)Offset, (void)Page;
    abort();
}

NTSTATUS LdrReadImageFilePages(PLDR_MODULE Module, ULONG Offset, ULONG Count,
                               const PFN_NUMBER *Pages)
{
    (void)Module, (void)Offset, (void)Count, (void)Pages;
    abort();
}

PVOID MiMapPageInHyperSpace(PFN_NUMBER PageFrameIndex)
{
    (void)PageFrameIndex;
    abort();
}

VOID MiUnmapPageInHyperSpace(PVOID Address)
{
    (void)Address;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 20)
        return 0;
    static EPROCESS process;
    static LDR_MODULE module;
    memset(&process, 0, sizeof(process));
    memset(&module, 0, sizeof(module));
    module.PhysicalStart = 0x400000;
    module.PhysicalEnd = 0x400000 + (ULONG)size;
    strcpy(module.Name, "fuzz");
    file = data;
    file_size = (ULONG)size;
    vad_start = vad_end = 0;
    vads = 0;
    NTSTATUS status = LdrLoadImage(&process, &module);
    if (NT_SUCCESS(status) &&
        (process.ImageBase < MM_LOWEST_USER_ADDRESS || process.ImageEnd > MM_USER_STACK_BASE ||
         process.ImageBase >= process.ImageEnd || process.EntryPoint < process.ImageBase ||
         process.EntryPoint >= process.ImageEnd || process.ImageSegmentCount == 0 ||
         process.ImageSegmentCount > LDR_MAX_SEGMENTS || vad_start != process.ImageBase ||
         vad_end != process.ImageEnd - 1))
        abort();
    if (!NT_SUCCESS(status) && status != STATUS_INVALID_IMAGE_FORMAT)
        abort();  /* the shims fail nothing */

    /* The same bytes as an image with imports and as the system DLL: the table and every
     * name read and checked (ldr/sysdll.c does this at boot and for each process). */
    for (int dll = 0; dll <= 1; dll++) {
        static LDR_IMAGE_INFO info;
        static LDR_TABLE_ENTRY table[LDR_MAX_TABLE_ENTRIES];
        CHAR name[LDR_MAX_NAME];
        status = LdrParseImage(&module, !dll, &info);
        if (!NT_SUCCESS(status)) {
            if (status != STATUS_INVALID_IMAGE_FORMAT)
                abort();
            continue;
        }
        if (info.TableEntries > LDR_MAX_TABLE_ENTRIES ||
            (info.TableEntries != 0 &&
             (info.TableOffset > file_size ||
              file_size - info.TableOffset < info.TableEntries * sizeof(LDR_TABLE_ENTRY))))
            abort();
        if (info.TableEntries == 0 || !NT_SUCCESS(LdrReadTable(&module, &info, table)))
            continue;
        for (ULONG i = 0; i < info.TableEntries; i++) {
            status = LdrReadTableName(&module, &info, table[i].Name, name);
            if (NT_SUCCESS(status) ? strnlen(name, sizeof(name)) >= sizeof(name)
                                   : status != STATUS_INVALID_IMAGE_FORMAT)
                abort();
        }
    }
    return 0;
}
