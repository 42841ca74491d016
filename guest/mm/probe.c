/*
 * probe.c - the kernel's only way to touch user memory on behalf of a system call.
 * ProbeForRead/ProbeForWrite check that a range lies wholly in user space (below
 * MmUserProbeAddress, no wrap), and ProbeForWrite, as NT's, then touches every page of it: a
 * byte of each is read and written back, so a range that cannot be written fails before the
 * service changes anything. MmProbeForReadAccess touches every page by reading one byte (for
 * a service that must not act on part of a buffer). MmCopyFromUser/MmCopyToUser then copy
 * with one
 * `rep movsb` whose address is in the exception fixup table: if it faults on a user address,
 * KiTrap0E resumes after it and the copy returns STATUS_ACCESS_VIOLATION instead of the
 * kernel bug-checking. (NT raises an exception from the probe; here it returns a status.)
 *
 * A copy that touches committed user memory not yet in memory just faults it in (the fault
 * path resolves user addresses for kernel mode too, stack growth included). When the fault
 * cannot be resolved, KiTrap0E leaves MmAccessFault's status in MmUserCopyFaultStatus before
 * resuming at the fixup, and the copy returns it: STATUS_ACCESS_VIOLATION, or
 * STATUS_GUARD_PAGE_VIOLATION for a guard page (whose guard bit is gone then: the same call
 * succeeds the next time), or STATUS_STACK_OVERFLOW.
 */
#include "mm.h"

NTSTATUS MmUserCopyFaultStatus;

static NTSTATUS MiProbe(PCVOID Address, SIZE_T Length, ULONG Alignment)
{
    ULONG Start = (ULONG)(ULONG_PTR)Address;
    ULONG End = Start + (ULONG)Length;

    if (Length == 0)
        return STATUS_SUCCESS;
    if (Alignment > 1 && (Start & (Alignment - 1)) != 0)
        return STATUS_DATATYPE_MISALIGNMENT;
    if (End < Start || End > MmUserProbeAddress)
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

NTSTATUS ProbeForRead(PCVOID Address, SIZE_T Length, ULONG Alignment)
{
    return MiProbe(Address, Length, Alignment);
}

/* The copy itself; Remaining is nonzero after a fault. */
static ULONG MiSafeCopy(PVOID Destination, PCVOID Source, ULONG Length)
{
    ULONG Remaining = Length;

    MmUserCopyFaultStatus = STATUS_ACCESS_VIOLATION;

    __asm__ volatile(
        "1:\trep movsb\n"
        "2:\n"
        "\t.pushsection __ex_table, \"a\"\n"
        "\t.long 1b, 2b\n"
        "\t.popsection"
        : "+c"(Remaining), "+S"(Source), "+D"(Destination)
        :
        : "memory");
    return Remaining;
}

static NTSTATUS MiCopyStatus(ULONG Remaining)
{
    if (Remaining == 0)
        return STATUS_SUCCESS;
    return NT_SUCCESS(MmUserCopyFaultStatus) ? STATUS_ACCESS_VIOLATION : MmUserCopyFaultStatus;
}

/* One byte of each page of a range already known to lie in user space: read, and when Write
 * written back unchanged (nothing else runs in between: one CPU, no preemption in the kernel).
 * The fault path brings each page in, copy-on-write pages are copied, and a page that cannot
 * be read (or written) fails the probe with the fault's status. */
static NTSTATUS MiTouchPages(PVOID Address, SIZE_T Length, BOOLEAN Write)
{
    ULONG Va = (ULONG)(ULONG_PTR)Address, End = Va + (ULONG)Length;
    NTSTATUS Status = STATUS_SUCCESS;
    UCHAR Byte;

    while (Va < End && NT_SUCCESS(Status))
    {
        Status = MiCopyStatus(MiSafeCopy(&Byte, (PCVOID)(ULONG_PTR)Va, 1));
        if (NT_SUCCESS(Status) && Write)
            Status = MiCopyStatus(MiSafeCopy((PVOID)(ULONG_PTR)Va, &Byte, 1));
        Va = (Va & ~(PAGE_SIZE - 1)) + PAGE_SIZE;
        if (Va == 0)
            break;
    }
    return Status;
}

NTSTATUS ProbeForWrite(PVOID Address, SIZE_T Length, ULONG Alignment)
{
    NTSTATUS Status = MiProbe(Address, Length, Alignment);

    if (NT_SUCCESS(Status))
        Status = MiTouchPages(Address, Length, TRUE);
    return Status;
}

NTSTATUS MmProbeForReadAccess(PCVOID Address, SIZE_T Length)
{
    NTSTATUS Status = MiProbe(Address, Length, 1);

    if (NT_SUCCESS(Status))
        Status = MiTouchPages((PVOID)Address, Length, FALSE);
    return Status;
}

NTSTATUS MmCopyFromUser(PVOID Destination, PCVOID UserSource, SIZE_T Length)
{
    NTSTATUS Status = ProbeForRead(UserSource, Length, 1);

    if (!NT_SUCCESS(Status))
        return Status;
    return MiCopyStatus(MiSafeCopy(Destination, UserSource, (ULONG)Length));
}

NTSTATUS MmCopyToUser(PVOID UserDestination, PCVOID Source, SIZE_T Length)
{
    NTSTATUS Status = MiProbe(UserDestination, Length, 1);   /* the copy itself touches it */

    if (!NT_SUCCESS(Status))
        return Status;
    return MiCopyStatus(MiSafeCopy(UserDestination, Source, (ULONG)Length));
}

/* A NUL-terminated user string into Destination (Size bytes, the NUL included), a byte at a
 * time so that a string ending just before unmapped memory is fine. STATUS_BUFFER_OVERFLOW
 * if it does not fit. */
NTSTATUS MmCopyStringFromUser(PCHAR Destination, PCSTR UserSource, ULONG Size)
{
    ULONG i;
    NTSTATUS Status;

    for (i = 0; i < Size; i++)
    {
        Status = MmCopyFromUser(&Destination[i], UserSource + i, 1);
        if (!NT_SUCCESS(Status))
            return Status;
        if (Destination[i] == '\0')
            return STATUS_SUCCESS;
    }
    Destination[Size - 1] = '\0';
    return STATUS_BUFFER_OVERFLOW;
}
