/*
 * faulttrace.c - every page fault, told to the host: the fault trace ring (shared/pv_abi.h,
 * struct pv_trace_ring) and the fault counters behind PvQueryMmCounters.
 *
 * The ring is static kernel data, so physically contiguous (the kernel image is mapped
 * linearly), registered once at boot with PV_HC_TRACE_SETUP. MmAccessFault fills one
 * struct pv_fault_record per fault: MiBeginFaultRecord on entry (the TSC, the PDE and PTE
 * before, the registers of the trap frame), MiEndFaultRecord when it has decided (resolution,
 * status, the covering VAD, the PDE and PTE after, the TSC again), which stores it at
 * head % capacity and advances head. Writing costs no VM exit: the host drains the ring at
 * every exit it sees anyway. Only when the ring is full does the kernel make one
 * PV_HC_TRACE_FLUSH call (that exit lets the host empty it) before writing.
 *
 * Without host services (QEMU, another loader) there is no ring: nobody would read it. The
 * counters are kept either way.
 */
#include "mm.h"
#include "hv.h"
#include "ps.h"
#include "intrin.h"
#include "rtl.h"

#define MI_TRACE_RING_CAPACITY 512u   /* records, a power of two: a flush exit per 512 faults at most */

typedef struct _MI_TRACE_RING
{
    struct pv_trace_ring Header;
    struct pv_fault_record Records[MI_TRACE_RING_CAPACITY];
} MI_TRACE_RING;

_Static_assert(sizeof(struct pv_fault_record) == 120, "pv_fault_record layout");
_Static_assert((MI_TRACE_RING_CAPACITY & (MI_TRACE_RING_CAPACITY - 1)) == 0,
               "ring capacity is a power of two");

static MI_TRACE_RING MiTraceRing __attribute__((aligned(PAGE_SIZE)));
static BOOLEAN MiTraceRingActive;

ULONG MmFaultCount;
ULONG MmFaultsByResolution[PV_FAULT_RESOLUTION_MAX];

VOID MiInitializeFaultTrace(VOID)
{
    LONG Result;

    if (!HvHostServicesPresent)
    {
        DbgPrint("mm: fault trace ring: none (no host to read it)\n");
        return;
    }
    memset(&MiTraceRing, 0, sizeof(MiTraceRing));
    MiTraceRing.Header.magic = PV_TRACE_RING_MAGIC;
    MiTraceRing.Header.capacity = MI_TRACE_RING_CAPACITY;
    Result = HvSetupTraceRing(KI_IMAGE_TO_PHYSICAL(&MiTraceRing), sizeof(MiTraceRing));
    MiTraceRingActive = Result == PV_OK;
    DbgPrint("mm: fault trace ring at physical 0x%08X: %u records of %u bytes%s\n",
             KI_IMAGE_TO_PHYSICAL(&MiTraceRing), MI_TRACE_RING_CAPACITY,
             (ULONG)sizeof(struct pv_fault_record),
             MiTraceRingActive ? "" : ", refused by the host");
}

/* The PDE of Va and, when a page table exists, its PTE. */
static BOOLEAN MiReadTranslation(ULONG Va, uint32_t *Pde, uint32_t *Pte)
{
    MMPTE TempPde = MI_READ_PTE(MiAddressToPde(Va));

    *Pde = TempPde.u.Long;
    *Pte = 0;
    if (!TempPde.u.Hard.Valid || TempPde.u.Hard.LargePage)
        return FALSE;
    *Pte = MI_READ_PTE(MiAddressToPte(Va)).u.Long;
    return TRUE;
}

VOID MiBeginFaultRecord(PMI_FAULT_INFO Fault, ULONG FaultCode, ULONG Va, KPROCESSOR_MODE Mode,
                        PKTRAP_FRAME TrapFrame)
{
    struct pv_fault_record *Record = &Fault->Record;
    PEPROCESS Process = PsGetCurrentProcess();

    memset(Fault, 0, sizeof(*Fault));
    Record->tsc_start = __rdtsc();
    Fault->FaultCode = FaultCode;
    Fault->Va = Va;
    Fault->Mode = Mode;
    Fault->TrapFrame = TrapFrame;

    Record->seq = ++MmFaultCount;
    if (Process != &PsInitialSystemProcess)
    {
        Record->pid = Process->UniqueProcessId;
        Process->Vm.PageFaultCount++;
    }
    Record->eip = TrapFrame->Eip;
    Record->cr2 = Va;
    Record->error_code = FaultCode;
    Record->cr3 = __readcr3();
    if (MiReadTranslation(Va, &Record->pde_before, &Record->pte_before))
        Record->flags |= PV_FAULT_PTE_KNOWN;
    if (Mode == KernelMode)
        Record->flags |= PV_FAULT_KERNEL_MODE;
    Record->regs[0] = TrapFrame->Eax;
    Record->regs[1] = TrapFrame->Ecx;
    Record->regs[2] = TrapFrame->Edx;
    Record->regs[3] = TrapFrame->Ebx;
    /* A ring-3 fault's ESP is the user one the CPU pushed; a ring-0 trap pushes none, so the
     * interrupted ESP is just past EFLAGS. */
    Record->regs[4] = KiUserTrap(TrapFrame) ? TrapFrame->HardwareEsp
                                            : (ULONG)(ULONG_PTR)&TrapFrame->HardwareEsp;
    Record->regs[5] = TrapFrame->Ebp;
    Record->regs[6] = TrapFrame->Esi;
    Record->regs[7] = TrapFrame->Edi;
}

static VOID MiWriteTraceRecord(const struct pv_fault_record *Record)
{
    volatile struct pv_trace_ring *Header = &MiTraceRing.Header;
    ULONG Head = Header->head;

    if (Head - Header->tail >= MI_TRACE_RING_CAPACITY)
    {
        HvFlushTraceRing();
        if (Head - Header->tail >= MI_TRACE_RING_CAPACITY)
        {
            Header->lost++;
            return;
        }
    }
    MiTraceRing.Records[Head & (MI_TRACE_RING_CAPACITY - 1)] = *Record;
    __asm__ volatile("" : : : "memory");   /* the record before the head that publishes it */
    Header->head = Head + 1;
}

/* Where the page of the fault being resolved came from (set by the read paths of mm/section.c,
 * taken into the record when the fault ends). One fault at a time: nothing runs meanwhile. */
ULONG MiFaultBacking, MiFaultBackingOffset;

VOID MiEndFaultRecord(PMI_FAULT_INFO Fault, ULONG Resolution, NTSTATUS Status)
{
    struct pv_fault_record *Record = &Fault->Record;

    Record->resolution = Resolution;
    Record->status = (ULONG)Status;
    (void)MiReadTranslation(Fault->Va, &Record->pde_after, &Record->pte_after);
    if (Fault->Vad != NULL)
    {
        Record->flags |= PV_FAULT_HAS_VAD;
        Record->vad_start = MI_VPN_TO_VA(Fault->Vad->StartingVpn);
        Record->vad_end = MI_VPN_TO_VA_ENDING(Fault->Vad->EndingVpn);
        Record->vad_protection = Fault->Vad->u.VadFlags.Protection;
    }
    if (Resolution == PV_FAULT_IMAGE_READ || Resolution == PV_FAULT_FILE_READ)
    {
        Record->backing = MiFaultBacking;
        Record->backing_offset = MiFaultBackingOffset;
    }
    MiFaultBacking = 0;
    if (Resolution < PV_FAULT_RESOLUTION_MAX)
        MmFaultsByResolution[Resolution]++;
    Record->tsc_end = __rdtsc();
    if (MiTraceRingActive)
        MiWriteTraceRecord(Record);
}

/* A page moved for a large page (mm/contig.c): a record of its own kind, PV_FAULT_RELOCATE. */
VOID MiTraceRelocation(const MI_RELOCATION *R)
{
    struct pv_fault_record Record;

    if (!MiTraceRingActive)
        return;
    memset(&Record, 0, sizeof(Record));
    Record.tsc_start = Record.tsc_end = __rdtsc();
    Record.resolution = PV_FAULT_RELOCATE;
    if (R->PageTable)
    {
        /* The PDE's index in its directory is the 4 MiB it covers. */
        Record.cr2 = (ULONG)((R->PteAddress - PDE_BASE) / sizeof(MMPTE)) << PDE_SHIFT;
        Record.flags = PV_FAULT_RELOCATED_TABLE;
        Record.error_code = 1;
        Record.cr3 = R->DirectoryFrame << PAGE_SHIFT;
    }
    else
    {
        Record.cr2 = (ULONG)(ULONG_PTR)MiPteToAddress(R->PteAddress);
        Record.cr3 = MI_PFN_ELEMENT(R->TableFrame)->u4.PteFrame << PAGE_SHIFT;
    }
    Record.pte_before = R->PteBefore;
    Record.pte_after = R->PteAfter;
    Record.pde_before = Record.pde_after = 0;
    if (Record.cr3 == __readcr3())
        Record.pid = PsGetCurrentProcess()->UniqueProcessId;
    MiWriteTraceRecord(&Record);
}
