/*
 * imageio.c - where the bytes of an image file come from. Under pagevisor the host keeps every
 * image file open and serves pages of it (PV_HC_IMAGE_READ, by module index = the image's
 * position among the boot modules). At boot LdrInitializeImageAccess checks that the host's
 * first page of each module is the module's first page in RAM (so the indexes agree); if so,
 * images are read from the host from then on and mm/mminit.c gives the modules' frames back
 * to the Free list. Otherwise (QEMU, another Multiboot loader, or a host without image files)
 * the bytes are copied from the boot modules, which then stay in RAM.
 *
 * Reads of whole file pages go straight into the target frame; pieces go through a scratch
 * page of the kernel image (physically contiguous) and are copied.
 */
#include "ldr.h"
#include "hv.h"
#include "ke.h"
#include "mm.h"
#include "rtl.h"

BOOLEAN LdrHostImageReads;

static UCHAR LdrpScratchPage[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define LDRP_SCRATCH_PFN (KI_IMAGE_TO_PHYSICAL(LdrpScratchPage) >> PAGE_SHIFT)
/* Which file page the scratch page holds (LdrReadImageBytes reads headers, tables and names a
 * few bytes at a time: the same page is not asked of the host again). */
static ULONG LdrpScratchModule = 0xFFFFFFFFu, LdrpScratchOffset;

static ULONG LdrpFileSize(PLDR_MODULE Module)
{
    return Module->PhysicalEnd - Module->PhysicalStart;
}

VOID LdrInitializeImageAccess(VOID)
{
    static UCHAR Copy[256];
    ULONG i, Bytes, Length;
    LONG Result;

    LdrHostImageReads = FALSE;
    LdrpScratchModule = 0xFFFFFFFFu;
    if (!HvHostServicesPresent || KeLoaderBlock.ModuleCount == 0)
        return;
    for (i = 0; i < KeLoaderBlock.ModuleCount; i++)
    {
        PLDR_MODULE Module = &KeLoaderBlock.Modules[i];

        Length = LdrpFileSize(Module) < sizeof(Copy) ? LdrpFileSize(Module) : sizeof(Copy);
        Result = HvReadImagePage(Module->Index, 0, LDRP_SCRATCH_PFN, &Bytes);
        if (Length == 0)
            continue;
        MiCopyFromPhysical(Copy, Module->PhysicalStart, Length);
        if (Result != PV_OK || Bytes < Length || memcmp(Copy, LdrpScratchPage, Length) != 0)
        {
            DbgPrint("ldr: the host's image %u does not match boot module %u (%d, %u bytes): "
                     "images are paged from the boot modules\n", i, i, (int)Result, Bytes);
            return;
        }
    }
    LdrHostImageReads = TRUE;
    DbgPrint("ldr: images are paged from the host's image files (PV_HC_IMAGE_READ)\n");
}

/* One page of the file (Offset page aligned) into a frame, the rest of the page past the end
 * of the file zero. */
NTSTATUS LdrReadImageFilePage(PLDR_MODULE Module, ULONG Offset, PFN_NUMBER Page)
{
    ULONG Bytes, Length;
    PUCHAR Mapping;

    if (Offset >= LdrpFileSize(Module))
        return STATUS_INVALID_IMAGE_FORMAT;
    if (LdrHostImageReads && !Module->InKernel)
    {
        if (HvReadImagePage(Module->Index, Offset, Page, &Bytes) != PV_OK)
            return STATUS_IO_DEVICE_ERROR;
        return STATUS_SUCCESS;
    }
    Length = LdrpFileSize(Module) - Offset;
    if (Length > PAGE_SIZE)
        Length = PAGE_SIZE;
    Mapping = MiMapPageInHyperSpace(Page);
    MiCopyFromPhysical(Mapping, Module->PhysicalStart + Offset, Length);
    RtlZeroMemory(Mapping + Length, PAGE_SIZE - Length);
    MiUnmapPageInHyperSpace(Mapping);
    return STATUS_SUCCESS;
}

/* Count consecutive pages of the file from Offset (page aligned, every page starting inside
 * the file) into Pages: one PV_HC_IMAGE_READ for them all, or copies from the boot module. */
NTSTATUS LdrReadImageFilePages(PLDR_MODULE Module, ULONG Offset, ULONG Count,
                               const PFN_NUMBER *Pages)
{
    ULONG Bytes, i;
    NTSTATUS Status;

    if (Count == 0 || Count > PV_PAGEFILE_CLUSTER_MAX || Offset >= LdrpFileSize(Module) ||
        (LdrpFileSize(Module) - Offset - 1) / PAGE_SIZE < Count - 1)
        return STATUS_INVALID_IMAGE_FORMAT;
    if (LdrHostImageReads && !Module->InKernel)
    {
        if (HvReadImagePages(Module->Index, Offset, Count, Pages, &Bytes) != PV_OK)
            return STATUS_IO_DEVICE_ERROR;
        return STATUS_SUCCESS;
    }
    for (i = 0; i < Count; i++)
    {
        Status = LdrReadImageFilePage(Module, Offset + i * PAGE_SIZE, Pages[i]);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    return STATUS_SUCCESS;
}

/* Any bytes of the file, [Offset, Offset + Length), which must lie inside it. */
NTSTATUS LdrReadImageBytes(PLDR_MODULE Module, ULONG Offset, PVOID Buffer, ULONG Length)
{
    PUCHAR Out = Buffer;

    if (Offset > LdrpFileSize(Module) || LdrpFileSize(Module) - Offset < Length)
        return STATUS_INVALID_IMAGE_FORMAT;
    if (!LdrHostImageReads || Module->InKernel)
    {
        MiCopyFromPhysical(Buffer, Module->PhysicalStart + Offset, Length);
        return STATUS_SUCCESS;
    }
    while (Length > 0)
    {
        ULONG InPage = Offset & (PAGE_SIZE - 1), Chunk = PAGE_SIZE - InPage, Bytes;

        if (Chunk > Length)
            Chunk = Length;
        if (LdrpScratchModule != Module->Index || LdrpScratchOffset != Offset - InPage)
        {
            LdrpScratchModule = 0xFFFFFFFFu;
            if (HvReadImagePage(Module->Index, Offset - InPage, LDRP_SCRATCH_PFN, &Bytes) !=
                PV_OK)
                return STATUS_IO_DEVICE_ERROR;
            LdrpScratchModule = Module->Index;
            LdrpScratchOffset = Offset - InPage;
        }
        memcpy(Out, LdrpScratchPage + InPage, Chunk);
        Out += Chunk;
        Offset += Chunk;
        Length -= Chunk;
    }
    return STATUS_SUCCESS;
}
