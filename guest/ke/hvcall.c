/*
 * hvcall.c - host services. At boot a 32-bit `in` from PV_IDENT_PORT tells whether pagevisor
 * is the host. If so, every service is a hypercall: one 32-bit `out` of the physical address
 * of a call block (shared/pv_abi.h) to PV_HC_PORT(nr): console, process start and exit, bug
 * check, trace ring, the pagefile (its size, clustered reads and writes), image file pages and
 * console input. Otherwise the console is COM1 (output only: no console input), there is no pagefile and no image file (the memory manager
 * pages images from their boot modules instead), and the end of the run is a write to QEMU's
 * isa-debug-exit port.
 *
 * Call blocks and the console buffer are static kernel-image data: the image is mapped
 * linearly, so their physical addresses are their virtual addresses minus KSEG0_BASE, and each
 * is physically contiguous.
 */
#include "hv.h"
#include "ke.h"
#include "rtl.h"
#include "intrin.h"

BOOLEAN HvHostServicesPresent;

static struct pv_hc_console HvConsoleBlock __attribute__((aligned(64)));
static struct pv_hc_process_exit HvProcessExitBlock __attribute__((aligned(64)));
static struct pv_hc_process_start HvProcessStartBlock __attribute__((aligned(64)));
static struct pv_hc_shutdown HvShutdownBlock __attribute__((aligned(64)));
static struct pv_hc_bugcheck HvBugCheckBlock __attribute__((aligned(256)));
static struct pv_hc_trace_setup HvTraceSetupBlock __attribute__((aligned(64)));
static struct pv_hc_trace_flush HvTraceFlushBlock __attribute__((aligned(64)));
static struct pv_hc_pagefile_info HvPagefileInfoBlock __attribute__((aligned(64)));
static struct pv_hc_pagefile_io HvPagefileIoBlock __attribute__((aligned(128)));
static struct pv_hc_image_read HvImageReadBlock __attribute__((aligned(64)));
static struct pv_hc_console_read HvConsoleReadBlock __attribute__((aligned(64)));
static struct pv_hc_debug_break HvDebugBreakBlock __attribute__((aligned(128)));
static CHAR HvConsoleBuffer[PV_CONSOLE_MAX] __attribute__((aligned(4096)));

static VOID HvCall(ULONG Number, PVOID Block)
{
    __outdword((USHORT)PV_HC_PORT(Number), KI_IMAGE_TO_PHYSICAL(Block));
}

VOID HvInitialize(VOID)
{
    static const CHAR Absent[] = "pagevisor host services absent; console on COM1\n";

    HvHostServicesPresent = (__indword((USHORT)PV_IDENT_PORT) == PV_IDENT_MAGIC);
    if (!HvHostServicesPresent)
    {
        HalSerialInitialize();
        HalSerialWrite(Absent, sizeof(Absent) - 1);
    }
}

VOID HvConsoleWrite(ULONG Channel, PCSTR Text, ULONG Length)
{
    if (!HvHostServicesPresent)
    {
        HalSerialWrite(Text, Length);
        return;
    }
    while (Length > 0)
    {
        ULONG Chunk = Length < PV_CONSOLE_MAX ? Length : PV_CONSOLE_MAX;

        memcpy(HvConsoleBuffer, Text, Chunk);
        HvConsoleBlock.channel = Channel;
        HvConsoleBlock.buf_gpa = KI_IMAGE_TO_PHYSICAL(HvConsoleBuffer);
        HvConsoleBlock.len = Chunk;
        HvConsoleBlock.ret = 0;
        HvCall(PV_HC_CONSOLE, &HvConsoleBlock);
        Text += Chunk;
        Length -= Chunk;
    }
}

/*
 * Console input: what is there now, up to Capacity bytes (<= PV_CONSOLE_READ_MAX) into Buffer
 * (kernel-image data: physically contiguous), waiting at most TimeoutMs for a first byte.
 * *Ended is TRUE once the host's input has ended. Without host services there is no console
 * input: it has ended. PV_OK or the host's PV_E* code.
 */
LONG HvConsoleRead(PVOID Buffer, ULONG Capacity, ULONG TimeoutMs, PULONG Count,
                   BOOLEAN *Ended)
{
    *Count = 0;
    *Ended = TRUE;
    if (!HvHostServicesPresent)
        return PV_OK;
    HvConsoleReadBlock.buf_gpa = KI_IMAGE_TO_PHYSICAL(Buffer);
    HvConsoleReadBlock.capacity = Capacity;
    HvConsoleReadBlock.timeout_ms = TimeoutMs;
    HvConsoleReadBlock.count = 0;
    HvConsoleReadBlock.flags = 0;
    HvConsoleReadBlock.ret = PV_EINVAL;
    HvCall(PV_HC_CONSOLE_READ, &HvConsoleReadBlock);
    *Ended = (HvConsoleReadBlock.flags & PV_CONSOLE_READ_EOF) != 0;
    if (HvConsoleReadBlock.ret == PV_OK)
        *Count = HvConsoleReadBlock.count <= Capacity ? HvConsoleReadBlock.count : Capacity;
    return HvConsoleReadBlock.ret;
}

/* image_end is exclusive: [ImageBase, ImageEnd). */
VOID HvNotifyProcessStart(ULONG ProcessId, ULONG Cr3, ULONG ImageBase, ULONG ImageEnd,
                          PCSTR Name)
{
    ULONG i;

    if (!HvHostServicesPresent)
        return;
    memset(&HvProcessStartBlock, 0, sizeof(HvProcessStartBlock));
    HvProcessStartBlock.pid = ProcessId;
    HvProcessStartBlock.cr3 = Cr3;
    HvProcessStartBlock.image_base = ImageBase;
    HvProcessStartBlock.image_end = ImageEnd;
    for (i = 0; i + 1 < PV_NAME_MAX && Name[i] != '\0'; i++)
        HvProcessStartBlock.name[i] = Name[i];
    HvCall(PV_HC_PROCESS_START, &HvProcessStartBlock);
}

VOID HvNotifyProcessExit(ULONG ProcessId, ULONG ExitStatus, BOOLEAN Killed, ULONG FaultAddress,
                         ULONG FaultEip, ULONG FaultAccess, BOOLEAN Child, PCSTR Name,
                         ULONG FaultTrap, const struct pv_regs *Regs)
{
    ULONG i;

    if (!HvHostServicesPresent)
        return;
    memset(&HvProcessExitBlock, 0, sizeof(HvProcessExitBlock));
    HvProcessExitBlock.pid = ProcessId;
    HvProcessExitBlock.exit_status = ExitStatus;
    HvProcessExitBlock.killed = Killed ? 1 : 0;
    HvProcessExitBlock.fault_address = FaultAddress;
    HvProcessExitBlock.fault_eip = FaultEip;
    HvProcessExitBlock.fault_write = FaultAccess;
    HvProcessExitBlock.child = Child ? 1 : 0;
    for (i = 0; i + 1 < PV_NAME_MAX && Name[i] != '\0'; i++)
        HvProcessExitBlock.name[i] = Name[i];
    if (Regs != NULL)
    {
        HvProcessExitBlock.regs_valid = 1;
        HvProcessExitBlock.fault_trap = FaultTrap;
        HvProcessExitBlock.regs = *Regs;
    }
    HvCall(PV_HC_PROCESS_EXIT, &HvProcessExitBlock);
}

VOID HvReportBugCheck(const struct pv_hc_bugcheck *BugCheck)
{
    if (!HvHostServicesPresent)
        return;
    memcpy(&HvBugCheckBlock, BugCheck, sizeof(HvBugCheckBlock));
    HvCall(PV_HC_BUGCHECK, &HvBugCheckBlock);
}

/* Register the fault trace ring (physically contiguous): PV_OK, or the host's refusal. */
LONG HvSetupTraceRing(ULONG RingPhysical, ULONG RingBytes)
{
    if (!HvHostServicesPresent)
        return PV_ENODEV;
    HvTraceSetupBlock.ring_gpa = RingPhysical;
    HvTraceSetupBlock.ring_bytes = RingBytes;
    HvTraceSetupBlock.ret = PV_EINVAL;
    HvCall(PV_HC_TRACE_SETUP, &HvTraceSetupBlock);
    return HvTraceSetupBlock.ret;
}

/* The ring is full: one exit, during which the host drains it. */
VOID HvFlushTraceRing(VOID)
{
    if (!HvHostServicesPresent)
        return;
    HvTraceFlushBlock.ret = PV_EINVAL;
    HvCall(PV_HC_TRACE_FLUSH, &HvTraceFlushBlock);
}

/* Pagefile size in 4 KiB slots; 0 without a pagefile (the host answers PV_ENODEV). */
ULONG HvQueryPagefileSlots(VOID)
{
    if (!HvHostServicesPresent)
        return 0;
    HvPagefileInfoBlock.slots = 0;
    HvPagefileInfoBlock.ret = PV_ENODEV;
    HvCall(PV_HC_PAGEFILE_INFO, &HvPagefileInfoBlock);
    return HvPagefileInfoBlock.ret == PV_OK ? HvPagefileInfoBlock.slots : 0;
}

/*
 * Pages Slot..Slot+Count-1 of the pagefile from or to the frames (one exit for the whole
 * cluster). Returns PV_OK or the host's PV_E* code; *Done receives the pages transferred before
 * the first failure. Without host services: PV_ENODEV, nothing done.
 */
LONG HvPagefileIo(ULONG Operation, ULONG Slot, ULONG Count, const PFN_NUMBER *Frames,
                  PULONG Done)
{
    ULONG i;

    *Done = 0;
    if (!HvHostServicesPresent)
        return PV_ENODEV;
    if (Count == 0 || Count > PV_PAGEFILE_CLUSTER_MAX)
        return PV_EINVAL;
    HvPagefileIoBlock.op = Operation;
    HvPagefileIoBlock.slot = Slot;
    HvPagefileIoBlock.count = Count;
    for (i = 0; i < PV_PAGEFILE_CLUSTER_MAX; i++)
        HvPagefileIoBlock.frames[i] = i < Count ? Frames[i] : 0;
    HvPagefileIoBlock.ret = PV_EINVAL;
    HvPagefileIoBlock.done = 0;
    HvCall(PV_HC_PAGEFILE_IO, &HvPagefileIoBlock);
    *Done = HvPagefileIoBlock.done <= Count ? HvPagefileIoBlock.done : 0;
    return HvPagefileIoBlock.ret;
}

/* Count consecutive pages of boot module Image's file, from byte Offset (page aligned), into
 * Frames[0..Count-1] in one call; the part past the end of the file reads as zero. PV_OK or a
 * PV_E* code (nothing read then). *Bytes: the file bytes copied in all. */
LONG HvReadImagePages(ULONG Image, ULONG Offset, ULONG Count, const PFN_NUMBER *Frames,
                      PULONG Bytes)
{
    ULONG i;

    *Bytes = 0;
    if (!HvHostServicesPresent)
        return PV_ENODEV;
    if (Count == 0 || Count > PV_PAGEFILE_CLUSTER_MAX)
        return PV_EINVAL;
    HvImageReadBlock.image = Image;
    HvImageReadBlock.offset = Offset;
    HvImageReadBlock.count = Count;
    for (i = 0; i < PV_PAGEFILE_CLUSTER_MAX; i++)
        HvImageReadBlock.frames[i] = i < Count ? Frames[i] : 0;
    HvImageReadBlock.ret = PV_EINVAL;
    HvImageReadBlock.bytes = 0;
    HvCall(PV_HC_IMAGE_READ, &HvImageReadBlock);
    *Bytes = HvImageReadBlock.bytes;
    return HvImageReadBlock.ret;
}

/* One page of boot module Image's file, from byte Offset (page aligned), into Frame. */
LONG HvReadImagePage(ULONG Image, ULONG Offset, PFN_NUMBER Frame, PULONG Bytes)
{
    return HvReadImagePages(Image, Offset, 1, &Frame, Bytes);
}

DECLSPEC_NORETURN VOID HvShutdown(ULONG ImagesRun)
{
    if (HvHostServicesPresent)
    {
        HvShutdownBlock.images_run = ImagesRun;
        HvCall(PV_HC_SHUTDOWN, &HvShutdownBlock);
    }
    KiHaltSystem(HV_QEMU_EXIT_DONE);
}

/* ------------------------------------------------------------------ the volume's files */

static struct pv_hc_file_open HvFileOpenBlock __attribute__((aligned(64)));
static struct pv_hc_file_io HvFileIoBlock __attribute__((aligned(128)));
static struct pv_hc_file_close HvFileCloseBlock __attribute__((aligned(64)));
static struct pv_hc_file_set_size HvFileSetSizeBlock __attribute__((aligned(64)));

/* Open a file of the volume (Name: relative, '/' between components, shorter than
 * PV_FILE_NAME_MAX). PV_OK with its handle, whether this call created it and its size. */
LONG HvFileOpen(PCSTR Name, ULONG Flags, PULONG Handle, BOOLEAN *Created, PULONGLONG Size)
{
    ULONG i;

    if (!HvHostServicesPresent)
        return PV_ENODEV;
    for (i = 0; i < PV_FILE_NAME_MAX - 1 && Name[i] != 0; i++)
        HvFileOpenBlock.name[i] = Name[i];
    if (Name[i] != 0)
        return PV_EINVAL;
    for (; i < PV_FILE_NAME_MAX; i++)
        HvFileOpenBlock.name[i] = 0;
    HvFileOpenBlock.flags = Flags;
    HvFileOpenBlock.ret = PV_EINVAL;
    HvFileOpenBlock.handle = 0;
    HvCall(PV_HC_FILE_OPEN, &HvFileOpenBlock);
    *Handle = HvFileOpenBlock.handle;
    *Created = HvFileOpenBlock.created != 0;
    *Size = ((ULONGLONG)HvFileOpenBlock.size_hi << 32) | HvFileOpenBlock.size_lo;
    return HvFileOpenBlock.ret;
}

/* Count whole pages at the page-aligned Offset to (PV_FILE_READ) or from (PV_FILE_WRITE_PAGES,
 * Length bytes) the frames. *Bytes: file bytes moved. */
LONG HvFileIo(ULONG Operation, ULONG Handle, ULONGLONG Offset, ULONG Count, ULONG Length,
              const PFN_NUMBER *Frames, PULONG Bytes)
{
    ULONG i;

    *Bytes = 0;
    if (!HvHostServicesPresent)
        return PV_ENODEV;
    if (Count == 0 || Count > PV_PAGEFILE_CLUSTER_MAX)
        return PV_EINVAL;
    HvFileIoBlock.op = Operation;
    HvFileIoBlock.handle = Handle;
    HvFileIoBlock.offset_lo = (ULONG)Offset;
    HvFileIoBlock.offset_hi = (ULONG)(Offset >> 32);
    HvFileIoBlock.count = Count;
    HvFileIoBlock.length = Length;
    for (i = 0; i < PV_PAGEFILE_CLUSTER_MAX; i++)
        HvFileIoBlock.frames[i] = i < Count ? Frames[i] : 0;
    HvFileIoBlock.ret = PV_EINVAL;
    HvFileIoBlock.bytes = 0;
    HvCall(PV_HC_FILE_IO, &HvFileIoBlock);
    *Bytes = HvFileIoBlock.bytes <= Count * PAGE_SIZE ? HvFileIoBlock.bytes : 0;
    return HvFileIoBlock.ret;
}

LONG HvFileClose(ULONG Handle)
{
    if (!HvHostServicesPresent)
        return PV_ENODEV;
    HvFileCloseBlock.handle = Handle;
    HvFileCloseBlock.ret = PV_EINVAL;
    HvCall(PV_HC_FILE_CLOSE, &HvFileCloseBlock);
    return HvFileCloseBlock.ret;
}

LONG HvFileSetSize(ULONG Handle, ULONGLONG Size)
{
    if (!HvHostServicesPresent)
        return PV_ENODEV;
    HvFileSetSizeBlock.handle = Handle;
    HvFileSetSizeBlock.size_lo = (ULONG)Size;
    HvFileSetSizeBlock.size_hi = (ULONG)(Size >> 32);
    HvFileSetSizeBlock.ret = PV_EINVAL;
    HvCall(PV_HC_FILE_SET_SIZE, &HvFileSetSizeBlock);
    return HvFileSetSizeBlock.ret;
}

/* PvDebugBreak: the host looks at the guest now (its --inspect snapshot), then returns.
 * PV_ENODEV without pagevisor. */
LONG HvDebugBreak(ULONG ProcessId, PCSTR Label, ULONG Length)
{
    if (!HvHostServicesPresent)
        return PV_ENODEV;
    if (Length > PV_DEBUG_LABEL_MAX)
        Length = PV_DEBUG_LABEL_MAX;
    HvDebugBreakBlock.pid = ProcessId;
    HvDebugBreakBlock.label_len = Length;
    RtlCopyMemory(HvDebugBreakBlock.label, Label, Length);
    HvDebugBreakBlock.ret = PV_EINVAL;
    HvCall(PV_HC_DEBUG_BREAK, &HvDebugBreakBlock);
    return HvDebugBreakBlock.ret;
}
