/*
 * probe.c - the kernel's only way to touch user memory on behalf of a system call.
 * ProbeForRead/ProbeForWrite check that a range lies wholly in user space (below
 * MM_USER_PROBE_ADDRESS, no wrap); MmCopyFromUser/MmCopyToUser then copy with one
 * `rep movsb` whose address is in the exception fixup table: if it faults on a user address,
 * KiTrap0E resumes after it and the copy returns STATUS_ACCESS_VIOLATION instead of the
 * kernel bug-checking. (NT raises an exception from the probe; here it returns a status.)
 */
#include "mm.h"

static NTSTATUS MiProbe(PCVOID Address, SIZE_T Length, ULONG Alignment)
{
    ULONG Start = (ULONG)(ULONG_PTR)Address;
    ULONG End = Start + (ULONG)Length;

    if (Length == 0)
        return STATUS_SUCCESS;
    if (Alignment > 1 && (Start & (Alignment - 1)) != 0)
        return STATUS_DATATYPE_MISALIGNMENT;
    if (End < Start || End > MM_USER_PROBE_ADDRESS)
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

NTSTATUS ProbeForRead(PCVOID Address, SIZE_T Length, ULONG Alignment)
{
    return MiProbe(Address, Length, Alignment);
}

NTSTATUS ProbeForWrite(PVOID Address, SIZE_T Length, ULONG Alignment)
{
    return MiProbe(Address, Length, Alignment);
}

/* The copy itself; Remaining is nonzero after a fault. */
static ULONG MiSafeCopy(PVOID Destination, PCVOID Source, ULONG Length)
{
    ULONG Remaining = Length;

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

NTSTATUS MmCopyFromUser(PVOID Destination, PCVOID UserSource, SIZE_T Length)
{
    NTSTATUS Status = ProbeForRead(UserSource, Length, 1);

    if (!NT_SUCCESS(Status))
        return Status;
    return MiSafeCopy(Destination, UserSource, (ULONG)Length) == 0 ? STATUS_SUCCESS
                                                                   : STATUS_ACCESS_VIOLATION;
}

NTSTATUS MmCopyToUser(PVOID UserDestination, PCVOID Source, SIZE_T Length)
{
    NTSTATUS Status = ProbeForWrite(UserDestination, Length, 1);

    if (!NT_SUCCESS(Status))
        return Status;
    return MiSafeCopy(UserDestination, Source, (ULONG)Length) == 0 ? STATUS_SUCCESS
                                                                   : STATUS_ACCESS_VIOLATION;
}
