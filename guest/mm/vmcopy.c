/*
 * vmcopy.c - another process's memory: which process a virtual-memory service may act on
 * (the caller itself, or one of its children, through a handle with the right access), and
 * NtReadVirtualMemory, NtWriteVirtualMemory, NtFlushInstructionCache. The bytes go through a
 * small bounce buffer on the kernel stack: read in one address space (attached to it), written
 * in the other, a chunk at a time; each chunk ends on a 1 KiB boundary of the other process's
 * address, so a copy that runs into a page it cannot read or write stops exactly there and
 * says how far it got (STATUS_PARTIAL_COPY). Faults in the target are the target's: a page it
 * never touched is demand-zeroed into its working set; a read-only page is not written (as in
 * NT: make it writable first).
 *
 * While a thread is attached to a process, that process's address space must stay: its exit
 * waits for AttachCount to drop (ps/kill.c).
 */
#include "mm.h"
#include "ob.h"
#include "ps.h"

#define MI_COPY_CHUNK 1024u

/* The process a virtual-memory service acts on: the caller's own (NtCurrentProcess() or a
 * handle to itself) or one of its children, through a handle granting Access; referenced.
 * A child that has ended has no address space left: STATUS_PROCESS_IS_TERMINATING. */
NTSTATUS MmReferenceTargetProcess(HANDLE ProcessHandle, ULONG Access, PEPROCESS *Target)
{
    PEPROCESS Process, Current = PsGetCurrentProcess();
    NTSTATUS Status = ObReferenceObjectByHandleAccess(ProcessHandle, ObProcessType, Access,
                                                      (PVOID *)&Process);

    if (!NT_SUCCESS(Status))
        return Status;
    if (Process != Current && Process->InheritedFromUniqueProcessId != Current->UniqueProcessId)
        Status = STATUS_ACCESS_DENIED;
    else if (Process != Current && (Process->Exited || !Process->AddressSpaceCreated))
        Status = STATUS_PROCESS_IS_TERMINATING;
    if (!NT_SUCCESS(Status))
    {
        ObDereferenceObject(Process);
        return Status;
    }
    *Target = Process;
    return STATUS_SUCCESS;
}

/* The service's work runs in the target's address space (its VADs, commitment, working set);
 * what the caller gave and gets back stays in the caller's. */
static VOID MiAttach(PEPROCESS Target)
{
    if (Target == KeGetCurrentThread()->Process)
        return;
    Target->AttachCount++;
    KeAttachProcess(Target);
}

static VOID MiDetach(PEPROCESS Target)
{
    if (Target == KeGetCurrentThread()->Process)
        return;
    KeDetachProcess();
    Target->AttachCount--;
}

VOID MmAttachTarget(PEPROCESS Target)
{
    MiAttach(Target);
}

VOID MmDetachTarget(PEPROCESS Target)
{
    MiDetach(Target);
    ObDereferenceObject(Target);
}


/* Is [Address, Address + Length) inside user space? */
static BOOLEAN MiIsUserRange(ULONG_PTR Address, SIZE_T Length)
{
    return Address <= MmHighestUserAddress && Length <= (ULONG_PTR)MmHighestUserAddress + 1 - Address;
}

/* Copy Length bytes from Source in From's address space to Destination in To's, a chunk at a
 * time; *Done says how many arrived. */
static NTSTATUS MiCopyVirtualMemory(PEPROCESS From, ULONG_PTR Source, PEPROCESS To,
                                    ULONG_PTR Destination, SIZE_T Length, BOOLEAN AlignToSource,
                                    SIZE_T *Done)
{
    UCHAR Bounce[MI_COPY_CHUNK];
    ULONG_PTR Aligned;
    ULONG Chunk;
    NTSTATUS Status = STATUS_SUCCESS;

    *Done = 0;
    while (*Done < Length)
    {
        Aligned = AlignToSource ? Source + *Done : Destination + *Done;
        Chunk = MI_COPY_CHUNK - (ULONG)(Aligned & (MI_COPY_CHUNK - 1));
        if (Chunk > Length - *Done)
            Chunk = (ULONG)(Length - *Done);
        MiAttach(From);
        Status = MmCopyFromUser(Bounce, (PCVOID)(Source + *Done), Chunk);
        MiDetach(From);
        if (!NT_SUCCESS(Status))
            break;
        MiAttach(To);
        Status = MmCopyToUser((PVOID)(Destination + *Done), Bounce, Chunk);
        MiDetach(To);
        if (!NT_SUCCESS(Status))
            break;
        *Done += Chunk;
    }
    return Status;
}

/* NtRead/NtWriteVirtualMemory: the count pointer probed, the ranges checked, the process
 * referenced, the copy, the count written. */
static NTSTATUS MiTransferVirtualMemory(HANDLE ProcessHandle, ULONG Access, ULONG_PTR TargetAddress,
                                       ULONG_PTR CallerAddress, SIZE_T Length, PSIZE_T Count,
                                       BOOLEAN Write)
{
    PEPROCESS Target, Caller = PsGetCurrentProcess();
    SIZE_T Done = 0;
    NTSTATUS Status = STATUS_SUCCESS;

    if (Count != NULL)
        Status = ProbeForWrite(Count, sizeof(*Count), sizeof(ULONG));
    if (!NT_SUCCESS(Status))
        return Status;
    if (Length != 0 && (!MiIsUserRange(TargetAddress, Length) || !MiIsUserRange(CallerAddress, Length)))
        return STATUS_ACCESS_VIOLATION;
    Status = MmReferenceTargetProcess(ProcessHandle, Access, &Target);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Write)
        Status = MiCopyVirtualMemory(Caller, CallerAddress, Target, TargetAddress, Length, FALSE,
                                     &Done);
    else
        Status = MiCopyVirtualMemory(Target, TargetAddress, Caller, CallerAddress, Length, TRUE,
                                     &Done);
    ObDereferenceObject(Target);
    if (Count != NULL)
        (void)MmCopyToUser(Count, &Done, sizeof(Done));
    if (Done == Length)
        return STATUS_SUCCESS;
    return Done == 0 ? Status : STATUS_PARTIAL_COPY;
}

/*
 * NTSTATUS NtReadVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PVOID Buffer,
 * SIZE_T BufferSize, PSIZE_T NumberOfBytesRead) - service 0x0021. PROCESS_VM_READ on the
 * caller itself or a child. All: STATUS_SUCCESS; part: STATUS_PARTIAL_COPY; none: the
 * failure (STATUS_ACCESS_VIOLATION); *NumberOfBytesRead (optional) says how many.
 */
NTSTATUS NtReadVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PVOID Buffer,
                             SIZE_T BufferSize, PSIZE_T NumberOfBytesRead)
{
    return MiTransferVirtualMemory(ProcessHandle, PROCESS_VM_READ, (ULONG_PTR)BaseAddress,
                                   (ULONG_PTR)Buffer, BufferSize, NumberOfBytesRead, FALSE);
}

/* NtWriteVirtualMemory(...) - service 0x0022: the same with PROCESS_VM_WRITE, into the
 * process. A page it may not write (read-only, no access, reserved) stops the copy. */
NTSTATUS NtWriteVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PCVOID Buffer,
                              SIZE_T BufferSize, PSIZE_T NumberOfBytesWritten)
{
    return MiTransferVirtualMemory(ProcessHandle, PROCESS_VM_WRITE, (ULONG_PTR)BaseAddress,
                                   (ULONG_PTR)Buffer, BufferSize, NumberOfBytesWritten, TRUE);
}

/*
 * NTSTATUS NtFlushInstructionCache(HANDLE ProcessHandle, PVOID BaseAddress, SIZE_T Length) -
 * service 0x0023. x86 keeps instruction fetches coherent with stores (and the iret back to
 * user mode serializes), so there is nothing to flush: the handle (PROCESS_VM_WRITE) and the
 * range (user space; BaseAddress NULL: all of it) are checked.
 */
NTSTATUS NtFlushInstructionCache(HANDLE ProcessHandle, PVOID BaseAddress, SIZE_T Length)
{
    PEPROCESS Target;
    NTSTATUS Status;

    if (BaseAddress != NULL && !MiIsUserRange((ULONG_PTR)BaseAddress, Length))
        return STATUS_ACCESS_VIOLATION;
    Status = MmReferenceTargetProcess(ProcessHandle, PROCESS_VM_WRITE, &Target);
    if (NT_SUCCESS(Status))
        ObDereferenceObject(Target);
    return Status;
}
