/*
 * forktest.c - DEBUGGING AID, NOT A REAL SERVICE: PvDebugCloneProcess lets a test image drive
 * MmCloneProcessAddressSpace (mm/forksup.c) with a clone that never runs, so that a test can
 * look at both sides from one process and make the clone fail half-way on purpose. It exists
 * only when the kernel command line has `pv.debugclone` (else STATUS_NOT_IMPLEMENTED);
 * NtCreateProcess (ps/create.c) is the real thing.
 *
 *   NTSTATUS PvDebugCloneProcess(ULONG Operation, PVOID ChildAddress, PVOID Buffer,
 *                                ULONG Length)
 *   PV_DEBUG_CLONE_CREATE  a second EPROCESS (pid: the caller's + 2), its address space made
 *                          (MmCreateProcessAddressSpace) and cloned from the caller's
 *                          (MmCloneProcessAddressSpace); the clone's status is returned (on a
 *                          failure the child is gone again). The child never runs: its pages
 *                          are reached by attaching to it (KeAttachProcess), as below.
 *   PV_DEBUG_CLONE_READ    Length bytes at ChildAddress in the child into Buffer (caller's);
 *   PV_DEBUG_CLONE_WRITE   Buffer into the child at ChildAddress: the child's own faults
 *                          (prototype, copy on write) in its own working set;
 *   PV_DEBUG_CLONE_DELETE  the child's address space deleted now (child first); a child left
 *                          when the caller ends is deleted after it (parent first:
 *                          PsDeleteDebugClone, from ps/kill.c, before the leak checks).
 */
#include "ke.h"
#include "hv.h"
#include "mm.h"
#include "ps.h"
#include "rtl.h"

static EPROCESS PspDebugClone;
static BOOLEAN PspDebugCloneExists;
static UCHAR PspDebugCloneBuffer[PAGE_SIZE];

static NTSTATUS PspCreateDebugClone(VOID)
{
    PEPROCESS Parent = PsGetCurrentProcess(), Child = &PspDebugClone;
    NTSTATUS Status;

    if (PspDebugCloneExists)
        return STATUS_INVALID_PARAMETER_1;
    memset(Child, 0, sizeof(*Child));
    Child->UniqueProcessId = Parent->UniqueProcessId + 2;
    memcpy(Child->ImageFileName, Parent->ImageFileName, sizeof(Child->ImageFileName));
    Status = MmCreateProcessAddressSpace(Child);
    if (!NT_SUCCESS(Status))
        return Status;
    HvNotifyProcessStart(Child->UniqueProcessId, Child->Pcb.DirectoryTableBase[0],
                         Parent->ImageBase, Parent->ImageEnd, Child->ImageFileName);
    Status = MmCloneProcessAddressSpace(Parent, Child);
    DbgPrint("ps: debug clone of %s (pid %u) as pid %u: 0x%08X\n", Parent->ImageFileName,
             Parent->UniqueProcessId, Child->UniqueProcessId, (ULONG)Status);
    if (!NT_SUCCESS(Status))
    {
        MmDeleteProcessAddressSpace(Child);
        return Status;
    }
    PspDebugCloneExists = TRUE;
    return STATUS_SUCCESS;
}

/* From any address space but the child's: it is attached for the clean-up. */
static VOID PspDeleteDebugClone(VOID)
{
    PEPROCESS Current = PsGetCurrentProcess();

    KeAttachProcess(&PspDebugClone);
    MmCleanProcessAddressSpace(&PspDebugClone);
    KeAttachProcess(Current);
    MmDeleteProcessAddressSpace(&PspDebugClone);
    PspDebugCloneExists = FALSE;
}

VOID PsDeleteDebugClone(VOID)
{
    if (PspDebugCloneExists)
        PspDeleteDebugClone();
}

/* Copy between the caller's Buffer and the child's ChildAddress a page-sized chunk at a time,
 * through a kernel buffer (the two user halves are never mapped at once). */
static NTSTATUS PspCopyDebugClone(BOOLEAN ToChild, ULONG ChildAddress, PUCHAR Buffer,
                                  ULONG Length)
{
    PEPROCESS Parent = PsGetCurrentProcess();
    ULONG Done, Chunk;
    NTSTATUS Status;

    /* Both ranges whole before a byte moves: a bad one changes neither side. */
    Status = ToChild ? MmProbeForReadAccess(Buffer, Length) : ProbeForWrite(Buffer, Length, 1);
    if (!NT_SUCCESS(Status))
        return Status;
    KeAttachProcess(&PspDebugClone);
    Status = ToChild ? ProbeForWrite((PVOID)(ULONG_PTR)ChildAddress, Length, 1)
                     : MmProbeForReadAccess((PCVOID)(ULONG_PTR)ChildAddress, Length);
    KeAttachProcess(Parent);
    for (Done = 0; Done < Length && NT_SUCCESS(Status); Done += Chunk)
    {
        Chunk = Length - Done < PAGE_SIZE ? Length - Done : PAGE_SIZE;
        if (ToChild)
            Status = MmCopyFromUser(PspDebugCloneBuffer, Buffer + Done, Chunk);
        if (!NT_SUCCESS(Status))
            break;
        KeAttachProcess(&PspDebugClone);
        Status = ToChild ? MmCopyToUser((PVOID)(ULONG_PTR)(ChildAddress + Done),
                                        PspDebugCloneBuffer, Chunk)
                         : MmCopyFromUser(PspDebugCloneBuffer,
                                          (PCVOID)(ULONG_PTR)(ChildAddress + Done), Chunk);
        KeAttachProcess(Parent);
        if (NT_SUCCESS(Status) && !ToChild)
            Status = MmCopyToUser(Buffer + Done, PspDebugCloneBuffer, Chunk);
    }
    return Status;
}

NTSTATUS PvDebugCloneProcess(ULONG Operation, PVOID ChildAddress, PVOID Buffer, ULONG Length)
{
    if (!KiCommandLineHasOption("pv.debugclone"))
        return STATUS_NOT_IMPLEMENTED;
    if (Operation == PV_DEBUG_CLONE_CREATE)
        return PspCreateDebugClone();
    if (!PspDebugCloneExists)
        return STATUS_INVALID_PARAMETER_1;
    switch (Operation)
    {
    case PV_DEBUG_CLONE_READ:
    case PV_DEBUG_CLONE_WRITE:
        return PspCopyDebugClone(Operation == PV_DEBUG_CLONE_WRITE,
                                 (ULONG)(ULONG_PTR)ChildAddress, Buffer, Length);
    case PV_DEBUG_CLONE_DELETE:
        PspDeleteDebugClone();
        return STATUS_SUCCESS;
    default:
        return STATUS_INVALID_PARAMETER_1;
    }
}
