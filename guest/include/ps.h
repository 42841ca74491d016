/*
 * ps.h - the process object (a minimal EPROCESS: one thread, no handles yet, its VADs and
 * commit charge in Vm, its working set in Ws, its image's segments for demand paging) and
 * attaching to a process's address space.
 */
#ifndef PV_PS_H
#define PV_PS_H

#include "ntdef.h"
#include "pv_abi.h"
#include "intrin.h"
#include "vad.h"
#include "ws.h"
#include "ldr.h"

#define PS_MAX_HANDLES 16

typedef struct _KPROCESS
{
    ULONG DirectoryTableBase[2];  /* [0] page directory, [1] hyperspace page table (physical) */
} KPROCESS;

typedef struct _EPROCESS
{
    KPROCESS Pcb;
    ULONG UniqueProcessId;
    CHAR ImageFileName[PV_NAME_MAX];
    PFN_NUMBER WorkingSetPage;
    ULONG ImageBase, ImageEnd, EntryPoint;  /* [ImageBase, ImageEnd) */
    ULONG ArgumentCount;
    ULONG InitialStack;                     /* user ESP at entry */
    MMPROCESS_VM Vm;                        /* VADs, commit charge, fault count */
    MMSUPPORT Ws;                           /* working set: list, limits */
    PLDR_MODULE ImageModule;                /* the image file, for demand paging it */
    ULONG ImageSegmentCount;
    LDR_IMAGE_SEGMENT ImageSegments[LDR_MAX_SEGMENTS];
    NTSTATUS ExitStatus;
    BOOLEAN Killed;                         /* ended by an exception */
    ULONG FaultAddress, FaultEip, FaultAccess, FaultTrap, FaultErrorCode;
    PVOID HandleTable[PS_MAX_HANDLES];      /* section objects (mm/section.c): handle 4*(i+1) */
} EPROCESS, *PEPROCESS;

extern EPROCESS PsInitialSystemProcess;

/* ke/forktest.c: a debugging aid for MmCloneProcessAddressSpace (kernel option pv.debugclone) */
NTSTATUS PvDebugCloneProcess(ULONG Operation, PVOID ChildAddress, PVOID Buffer, ULONG Length);
VOID PsDeleteDebugClone(VOID);
extern PEPROCESS PsCurrentProcess;

FORCEINLINE PEPROCESS PsGetCurrentProcess(VOID)
{
    return PsCurrentProcess;
}

/* Switch the processor to Process's address space (CR3). The system half is shared, so the
 * kernel keeps running; hyperspace and user space become Process's. */
FORCEINLINE VOID KeAttachProcess(PEPROCESS Process)
{
    PsCurrentProcess = Process;
    __writecr3(Process->Pcb.DirectoryTableBase[0]);
}

FORCEINLINE VOID KeDetachProcess(VOID)
{
    KeAttachProcess(&PsInitialSystemProcess);
}

#endif /* PV_PS_H */
