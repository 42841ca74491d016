/*
 * physical.c - Address Windowing Extensions (AWE): a process owns physical frames, listed to
 * it by frame number (NtAllocateUserPhysicalPages: zeroed, locked, never paged), and maps
 * chosen ones into a window it reserved with MEM_RESERVE | MEM_PHYSICAL
 * (NtMapUserPhysicalPages, NtMapUserPhysicalPagesScatter); a NULL array, or a zero frame
 * number, unmaps. Remapping is a PTE write and a TB flush: no fault, no copy, no working set.
 *
 * An AWE frame's PFN: ActiveAndValid, ReferenceCount 1 (locked), u4.AweAllocation, u1 the
 * owning EPROCESS, OriginalPte a read/write demand-zero PTE (what a query of a mapped page
 * reads), and while mapped PteAddress its PTE, ShareCount 1 and PteFrame the page table, which
 * holds a share for it like for any resident page (so the table is never trimmed under it).
 * Unmapped: PteAddress NULL, ShareCount 0. A frame is mapped at one address at most.
 *
 * Every request is checked whole before anything changes: a frame the process does not own
 * is STATUS_CONFLICTING_ADDRESSES, one mapped elsewhere or listed twice
 * STATUS_INVALID_PARAMETER_3, an address outside one AWE window STATUS_INVALID_PARAMETER_1.
 * Only the calling process (NtCurrentProcess()) may be named: pagevisor's choice, where NT
 * also takes a handle with PROCESS_VM_OPERATION.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"

/* Pages an allocation leaves available for everything else (working sets, page tables). */
#define MI_AWE_MINIMUM_AVAILABLE 256u
/* Frame numbers are read from and written to user memory this many at a time. */
#define MI_AWE_CHUNK 64u

ULONG MmAwePagesAllocated;   /* system-wide, for !vm-style counters and leak checks */

static BOOLEAN MiIsOwnedAweFrame(ULONG_PTR Frame, PEPROCESS Process)
{
    PMMPFN Pfn1;

    if (Frame == 0 || Frame > MmHighestPhysicalPage)
        return FALSE;
    Pfn1 = MI_PFN_ELEMENT(Frame);
    return Pfn1->u4.AweAllocation && Pfn1->u3.e1.PageLocation == ActiveAndValid &&
           Pfn1->u1.Flink == (ULONG_PTR)Process;
}

/* The frame mapped at Va goes out of the window (Va's page table is resident). */
static VOID MiUnmapAwePte(ULONG_PTR Va)
{
    PMMPTE PointerPte = MiAddressToPte(Va);
    MMPTE TempPte = MI_READ_PTE(PointerPte);
    MMPTE ZeroPte = { { 0 } };
    PFN_NUMBER Table;
    PMMPFN Pfn1;

    if (!TempPte.u.Hard.Valid)
        return;
    Pfn1 = MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber);
    if (!Pfn1->u4.AweAllocation || Pfn1->PteAddress != PointerPte)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_AWE, Va, TempPte.u.Long,
                     (ULONG_PTR)Pfn1->PteAddress);
    Table = Pfn1->u4.PteFrame;
    MI_WRITE_PTE(PointerPte, ZeroPte);
    __invlpg((PVOID)Va);
    Pfn1->PteAddress = NULL;
    Pfn1->u2.ShareCount = 0;
    Pfn1->u4.PteFrame = 0;
    MiDecrementShareCount(MI_PFN_ELEMENT(Table), Table);
}

/* Frame goes into the window at Va (0: Va is unmapped): whatever was there goes out. */
static NTSTATUS MiMapAwePte(ULONG_PTR Va, ULONG_PTR Frame)
{
    PMMPTE PointerPte = MiAddressToPte(Va);
    PFN_NUMBER Table;
    PMMPFN Pfn1;
    MMPTE TempPte;

    if (Frame == 0)
    {
        if (MiMakeUserPageTableResident(Va))
            MiUnmapAwePte(Va);
        return STATUS_SUCCESS;
    }
    if (!NT_SUCCESS(MiMakePdeExistAndMakeValid(Va)))
        return STATUS_INSUFFICIENT_RESOURCES;
    Pfn1 = MI_PFN_ELEMENT(Frame);
    if (Pfn1->PteAddress == PointerPte)
        return STATUS_SUCCESS;                       /* already there */
    MiUnmapAwePte(Va);
    Table = MiAddressToPde(Va)->u.Hard.PageFrameNumber;
    TempPte = MiMakeUserValidPte(Frame, MM_READWRITE, TRUE);
    Pfn1->PteAddress = PointerPte;
    Pfn1->u2.ShareCount = 1;
    Pfn1->u4.PteFrame = Table;
    MI_PFN_ELEMENT(Table)->u2.ShareCount++;
    MI_WRITE_PTE(PointerPte, TempPte);
    __invlpg((PVOID)Va);
    return STATUS_SUCCESS;
}

/* The AWE window holding every page of [Va, Va + Pages pages), or NULL. */
static PMMVAD MiAweWindow(ULONG_PTR Va, ULONG_PTR Pages)
{
    PMMVAD Vad = MiLocateVad(&MiGetCurrentProcessVm()->VadRoot, MI_VA_TO_VPN(Va));

    if (Vad == NULL || Vad->u.VadFlags.VadType != VadAwe ||
        Vad->EndingVpn - MI_VA_TO_VPN(Va) + 1 < Pages)
        return NULL;
    return Vad;
}

VOID MiUnmapAweRange(ULONG_PTR StartVa, ULONG_PTR EndVa)
{
    ULONG_PTR Va = StartVa, TableEnd, Page;

    for (;;)
    {
        TableEnd = Va | (PDE_MAPPED_VA - 1);
        if (TableEnd > EndVa)
            TableEnd = EndVa;
        if (MiMakeUserPageTableResident(Va))          /* else nothing is mapped in it */
            for (Page = Va; Page <= TableEnd; Page += PAGE_SIZE)
                MiUnmapAwePte(Page);
        if (TableEnd == EndVa)
            break;
        Va = TableEnd + 1;
    }
}

/* --------------------------------------------------------------- allocating and freeing */

static VOID MiFreeAweFrame(ULONG_PTR Frame, PEPROCESS Process)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Frame);

    if (Pfn1->PteAddress != NULL)
        MiUnmapAwePte((ULONG_PTR)MiPteToAddress(Pfn1->PteAddress));
    Pfn1->u4.AweAllocation = 0;
    Pfn1->u1.Flink = 0;
    MI_SET_PFN_DELETED(Pfn1);
    MiDecrementReferenceCount(Pfn1, Frame);          /* onto the free list */
    Process->AwePages--;
    MmAwePagesAllocated--;
}

/* The count both NtAllocate- and NtFreeUserPhysicalPages take: for the calling process only,
 * from 1 to the frames there are. */
static NTSTATUS MiCaptureAweCount(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
                                  PULONG_PTR Count)
{
    NTSTATUS Status;

    if (ProcessHandle != NtCurrentProcess())
        return STATUS_NOT_SUPPORTED;
    Status = MmCopyFromUser(Count, NumberOfPages, sizeof(*Count));
    if (!NT_SUCCESS(Status))
        return Status;
    if (*Count == 0 || *Count > MmHighestPhysicalPage + 1)
        return STATUS_INVALID_PARAMETER_2;
    return STATUS_SUCCESS;
}

/*
 * NTSTATUS NtAllocateUserPhysicalPages(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
 *     PULONG_PTR UserPfnArray) - system service 0x0028.
 * Up to *NumberOfPages zeroed frames for the caller, their numbers into UserPfnArray; fewer
 * when memory is short (*NumberOfPages says how many), STATUS_INSUFFICIENT_RESOURCES when none.
 * 0 pages: STATUS_INVALID_PARAMETER_2. An array that cannot be written: nothing allocated.
 */
NTSTATUS NtAllocateUserPhysicalPages(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
                                     PULONG_PTR UserPfnArray)
{
    PEPROCESS Process = PsGetCurrentProcess();
    ULONG_PTR Wanted, Got = 0, Chunk[MI_AWE_CHUNK];
    ULONG n = 0;
    NTSTATUS Status;

    Status = MiCaptureAweCount(ProcessHandle, NumberOfPages, &Wanted);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ProbeForWrite(UserPfnArray, Wanted * sizeof(ULONG_PTR), sizeof(ULONG_PTR));
    if (!NT_SUCCESS(Status))
        return Status;
    (void)MiEnsureAvailablePages(Wanted < MI_AWE_CHUNK ? Wanted : MI_AWE_CHUNK);
    while (Got < Wanted)
    {
        PFN_NUMBER Page;
        PMMPFN Pfn1;

        if (MmAvailablePages <= MI_AWE_MINIMUM_AVAILABLE)
            break;
        Page = MiRemoveZeroPage();
        if (Page == 0)
            break;
        Pfn1 = MI_PFN_ELEMENT(Page);
        MiInitializeLockedPfn(Page, NULL, 0, 0);
        Pfn1->u1.Flink = (ULONG_PTR)Process;
        Pfn1->u4.AweAllocation = 1;
        Process->AwePages++;
        MmAwePagesAllocated++;
        Chunk[n++] = Page;
        Got++;
        if (n == MI_AWE_CHUNK || Got == Wanted)
        {
            Status = MmCopyToUser(&UserPfnArray[Got - n], Chunk, n * sizeof(ULONG_PTR));
            if (!NT_SUCCESS(Status))
                break;
            n = 0;
        }
    }
    if (NT_SUCCESS(Status) && n != 0)
        Status = MmCopyToUser(&UserPfnArray[Got - n], Chunk, n * sizeof(ULONG_PTR));
    if (NT_SUCCESS(Status) && Got == 0)
        Status = STATUS_INSUFFICIENT_RESOURCES;
    if (NT_SUCCESS(Status))
        Status = MmCopyToUser(NumberOfPages, &Got, sizeof(Got));
    if (!NT_SUCCESS(Status))
    {
        /* The caller learns of none of them: give every one back (those written out are
         * read back from where they were written; the last chunk is still in hand). */
        ULONG_PTR i, Frame;

        for (i = 0; i + n < Got; i++)
            if (NT_SUCCESS(MmCopyFromUser(&Frame, &UserPfnArray[i], sizeof(Frame))) &&
                MiIsOwnedAweFrame(Frame, Process))
                MiFreeAweFrame(Frame, Process);
        for (i = 0; i < n; i++)
            MiFreeAweFrame(Chunk[i], Process);
        /* Frames whose numbers could not be read back stay the process's: freed at its end. */
    }
    return Status;
}

/* Checks every frame number of a request before anything changes: owned by the caller
 * (STATUS_CONFLICTING_ADDRESSES), none twice, and, when mapping at Va (0: freeing), none
 * mapped anywhere but where it goes (STATUS_INVALID_PARAMETER_3). Zero entries are allowed
 * when mapping (they unmap). Vas: the scatter addresses (or NULL: Va + i pages). */
static NTSTATUS MiCheckAweFrames(PEPROCESS Process, PULONG_PTR UserPfnArray, ULONG_PTR Count,
                                 BOOLEAN Mapping, ULONG_PTR Va, PVOID *Vas)
{
    ULONG_PTR Chunk[MI_AWE_CHUNK], i, j, n, Target;
    NTSTATUS Status = STATUS_SUCCESS;
    ULONG_PTR Marked = 0;

    for (i = 0; i < Count && NT_SUCCESS(Status); i += n)
    {
        n = Count - i < MI_AWE_CHUNK ? Count - i : MI_AWE_CHUNK;
        Status = MmCopyFromUser(Chunk, &UserPfnArray[i], n * sizeof(ULONG_PTR));
        for (j = 0; j < n && NT_SUCCESS(Status); j++)
        {
            PMMPFN Pfn1;

            if (Chunk[j] == 0 && Mapping)
                continue;
            if (!MiIsOwnedAweFrame(Chunk[j], Process))
            {
                Status = STATUS_CONFLICTING_ADDRESSES;
                break;
            }
            Pfn1 = MI_PFN_ELEMENT(Chunk[j]);
            if (Pfn1->u3.e1.RemovalRequested)
            {
                Status = STATUS_INVALID_PARAMETER_3;     /* listed twice */
                break;
            }
            if (Mapping && Pfn1->PteAddress != NULL)
            {
                if (Vas != NULL)
                {
                    ULONG_PTR Where;
                    Status = MmCopyFromUser(&Where, &Vas[i + j], sizeof(Where));
                    Target = Where & ~(ULONG_PTR)(PAGE_SIZE - 1);
                }
                else
                {
                    Target = Va + (i + j) * PAGE_SIZE;
                }
                if (NT_SUCCESS(Status) && Pfn1->PteAddress != MiAddressToPte(Target))
                    Status = STATUS_INVALID_PARAMETER_3; /* mapped at another address */
                if (!NT_SUCCESS(Status))
                    break;
            }
            Pfn1->u3.e1.RemovalRequested = 1;
            Marked++;
        }
    }
    /* Clear the marks: every owned frame of the process carries none after this. */
    for (i = 0; i < Count && Marked != 0; i += n)
    {
        n = Count - i < MI_AWE_CHUNK ? Count - i : MI_AWE_CHUNK;
        if (!NT_SUCCESS(MmCopyFromUser(Chunk, &UserPfnArray[i], n * sizeof(ULONG_PTR))))
            break;
        for (j = 0; j < n; j++)
            if (MiIsOwnedAweFrame(Chunk[j], Process) &&
                MI_PFN_ELEMENT(Chunk[j])->u3.e1.RemovalRequested)
            {
                MI_PFN_ELEMENT(Chunk[j])->u3.e1.RemovalRequested = 0;
                Marked--;
            }
    }
    if (Marked != 0)
    {
        /* The array changed under us (unreadable now): clear every mark of the process. */
        PFN_NUMBER Page;

        for (Page = 1; Page <= MmHighestPhysicalPage; Page++)
            if (MiIsOwnedAweFrame(Page, Process))
                MI_PFN_ELEMENT(Page)->u3.e1.RemovalRequested = 0;
    }
    return Status;
}

/*
 * NTSTATUS NtFreeUserPhysicalPages(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
 *     PULONG_PTR UserPfnArray) - system service 0x0029.
 * The frames listed go back to the system (unmapped first where they are mapped). Every one
 * must be the caller's, and none listed twice, or nothing is freed.
 */
NTSTATUS NtFreeUserPhysicalPages(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
                                 PULONG_PTR UserPfnArray)
{
    PEPROCESS Process = PsGetCurrentProcess();
    ULONG_PTR Count, Chunk[MI_AWE_CHUNK], i, j, n;
    NTSTATUS Status;

    Status = MiCaptureAweCount(ProcessHandle, NumberOfPages, &Count);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MiCheckAweFrames(Process, UserPfnArray, Count, FALSE, 0, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    for (i = 0; i < Count; i += n)
    {
        n = Count - i < MI_AWE_CHUNK ? Count - i : MI_AWE_CHUNK;
        Status = MmCopyFromUser(Chunk, &UserPfnArray[i], n * sizeof(ULONG_PTR));
        if (!NT_SUCCESS(Status))
            return Status;
        for (j = 0; j < n; j++)
            if (MiIsOwnedAweFrame(Chunk[j], Process))
                MiFreeAweFrame(Chunk[j], Process);
    }
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------------ mapping */

static NTSTATUS MiMapUserPhysicalPages(ULONG_PTR Va, PVOID *Vas, ULONG_PTR Count,
                                       PULONG_PTR UserPfnArray)
{
    PEPROCESS Process = PsGetCurrentProcess();
    ULONG_PTR Chunk[MI_AWE_CHUNK], Where[MI_AWE_CHUNK], i, j, n;
    NTSTATUS Status;

    if (Count == 0)
        return STATUS_SUCCESS;
    /* Every address inside an AWE window; page tables made for them now, so that mapping
     * cannot fail half way for want of one. */
    for (i = 0; i < Count; i += n)
    {
        n = Count - i < MI_AWE_CHUNK ? Count - i : MI_AWE_CHUNK;
        if (Vas != NULL &&
            !NT_SUCCESS(MmCopyFromUser(Where, &Vas[i], n * sizeof(ULONG_PTR))))
            return STATUS_ACCESS_VIOLATION;
        for (j = 0; j < n; j++)
        {
            ULONG_PTR At = Vas != NULL ? Where[j] & ~(ULONG_PTR)(PAGE_SIZE - 1)
                                       : Va + (i + j) * PAGE_SIZE;
            if (MiAweWindow(At, 1) == NULL)
                return STATUS_INVALID_PARAMETER_1;
            if (UserPfnArray != NULL && !NT_SUCCESS(MiMakePdeExistAndMakeValid(At)))
                return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    if (UserPfnArray != NULL)
    {
        Status = MiCheckAweFrames(Process, UserPfnArray, Count, TRUE, Va, Vas);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    for (i = 0; i < Count; i += n)
    {
        n = Count - i < MI_AWE_CHUNK ? Count - i : MI_AWE_CHUNK;
        if ((Vas != NULL &&
             !NT_SUCCESS(MmCopyFromUser(Where, &Vas[i], n * sizeof(ULONG_PTR)))) ||
            (UserPfnArray != NULL &&
             !NT_SUCCESS(MmCopyFromUser(Chunk, &UserPfnArray[i], n * sizeof(ULONG_PTR)))))
            return STATUS_ACCESS_VIOLATION;
        for (j = 0; j < n; j++)
        {
            ULONG_PTR At = Vas != NULL ? Where[j] & ~(ULONG_PTR)(PAGE_SIZE - 1)
                                       : Va + (i + j) * PAGE_SIZE;
            ULONG_PTR Frame = UserPfnArray != NULL ? Chunk[j] : 0;

            /* Checked above; the arrays are the caller's own (one thread) and unchanged. */
            if (Frame != 0 && !MiIsOwnedAweFrame(Frame, Process))
                return STATUS_CONFLICTING_ADDRESSES;
            Status = MiMapAwePte(At, Frame);
            if (!NT_SUCCESS(Status))
                return Status;
        }
    }
    return STATUS_SUCCESS;
}

/*
 * NTSTATUS NtMapUserPhysicalPages(PVOID VirtualAddress, ULONG_PTR NumberOfPages,
 *     PULONG_PTR UserPfnArray) - system service 0x002A.
 * Maps frame UserPfnArray[i] at VirtualAddress + i pages (0, or a NULL array: unmapped), all
 * inside one AWE window (STATUS_INVALID_PARAMETER_1 otherwise, as for an unaligned address).
 */
NTSTATUS NtMapUserPhysicalPages(PVOID VirtualAddress, ULONG_PTR NumberOfPages,
                                PULONG_PTR UserPfnArray)
{
    ULONG_PTR Va = (ULONG_PTR)VirtualAddress;

    if (Va & (PAGE_SIZE - 1))
        return STATUS_INVALID_PARAMETER_1;
    if (NumberOfPages > (MmHighestUserAddress + 1 - Va) / PAGE_SIZE)
        return STATUS_INVALID_PARAMETER_2;
    if (NumberOfPages != 0 && MiAweWindow(Va, NumberOfPages) == NULL)
        return STATUS_INVALID_PARAMETER_1;
    return MiMapUserPhysicalPages(Va, NULL, NumberOfPages, UserPfnArray);
}

/*
 * NTSTATUS NtMapUserPhysicalPagesScatter(PVOID *VirtualAddresses, ULONG_PTR NumberOfPages,
 *     PULONG_PTR UserPfnArray) - system service 0x002B.
 * Maps frame UserPfnArray[i] at the page of VirtualAddresses[i] (0, or a NULL array:
 * unmapped); every address inside an AWE window of the caller.
 */
NTSTATUS NtMapUserPhysicalPagesScatter(PVOID *VirtualAddresses, ULONG_PTR NumberOfPages,
                                       PULONG_PTR UserPfnArray)
{
    if (NumberOfPages > 0x10000000u)
        return STATUS_INVALID_PARAMETER_2;
    return MiMapUserPhysicalPages(0, VirtualAddresses, NumberOfPages, UserPfnArray);
}

/* Process end (before its page tables go): every window emptied, every frame freed. */
VOID MiDeleteProcessAwe(PEPROCESS Process)
{
    PMMVAD Vad;
    PFN_NUMBER Page;

    for (Vad = MiFirstVadAtOrAbove(&Process->Vm.VadRoot, 0); Vad != NULL;
         Vad = MiFirstVadAtOrAbove(&Process->Vm.VadRoot, Vad->EndingVpn + 1))
        if (Vad->u.VadFlags.VadType == VadAwe)
            MiUnmapAweRange(MI_VPN_TO_VA(Vad->StartingVpn), MI_VPN_TO_VA_ENDING(Vad->EndingVpn));
    for (Page = 1; Page <= MmHighestPhysicalPage && Process->AwePages != 0; Page++)
        if (MiIsOwnedAweFrame(Page, Process))
            MiFreeAweFrame(Page, Process);
}
