/*
 * virtual.c - private virtual memory: NtAllocateVirtualMemory, NtFreeVirtualMemory,
 * NtProtectVirtualMemory, NtQueryVirtualMemory and the commit accounting behind them.
 *
 * As in NT, reserving touches no page table: it inserts a VAD. Committing a range reserved
 * earlier writes demand-zero PTEs (protection << 5) into it, creating page tables through the
 * self-map as needed; a range reserved and committed in one call is committed by its VAD alone
 * (MemCommit: its zero PTEs are committed). Decommitting frees resident pages and writes
 * MM_DECOMMITTED_PTE (0x200). Nothing gets a physical page until the fault path
 * (mm/pagfault.c) demand-zeroes it, so decommitted-then-recommitted memory reads zero.
 * vad.h says how a page's state follows from its PTE and VAD.
 *
 * Commitment: every committed private page is charged to its process and to the system total,
 * MmTotalCommittedPages, which may not pass MmTotalCommitLimit (set at boot from the RAM then
 * available plus the pagefile). Past it a commit fails with STATUS_COMMITMENT_LIMIT and the
 * caller goes on. Charge goes back on decommit, release and process end. Page tables are not
 * charged (the limit keeps a reserve for them, see mm/mminit.c).
 *
 * User pointers (BaseAddress, RegionSize, ...) are probed for writing first (read, then the
 * same value written back through the fault-safe copy), so a bad pointer fails the call with
 * STATUS_ACCESS_VIOLATION before anything changes. The process is the caller's own or a
 * child's, through a handle (mm/vmcopy.c): the work runs attached to it, the arguments and
 * results stay in the caller's memory.
 *
 * User space ends at MmHighestUserAddress (0x7FFEFFFF, or 0xBFFEFFFF under /3GB); VADs end
 * 64 KiB below it (MM_HIGHEST_VAD_ADDRESS), and the free-range search, bottom-up or top-down,
 * runs up to there: under /3GB a process can reserve and commit memory above 2 GB.
 *
 * Statuses follow NT (ReactOS' ARM3 virtual.c and its API tests, Wine's tests; vm-test-suites.md
 * 4.3); where NT was unclear the choice is written next to the check. No hardware here: the
 * host unit tests compile this file with fake primitives (tests/unit/test_vad.c).
 */
#include "../include/vad.h"

/* NT's 2 GB split until MmInitSystem sees /3GB (mm/mminit.c). */
ULONG MmHighestUserAddress = MM_HIGHEST_USER_ADDRESS;
ULONG MmUserProbeAddress = MM_USER_PROBE_ADDRESS;
ULONG MmSystemRangeStart = MM_SYSTEM_RANGE_START;

ULONG MmTotalCommittedPages;
ULONG MmTotalCommitLimit;

#define MI_PAGES(Start, End)  ((ULONG)(((End) - (Start) + 1) >> PAGE_SHIFT))
#define MI_CHUNK_END(Va, End) \
    (((ULONG_PTR)(Va) | (PDE_MAPPED_VA - 1)) < (End) ? ((ULONG_PTR)(Va) | (PDE_MAPPED_VA - 1)) : (End))

/* ---------------------------------------------------------------------------- protections */

ULONG MiMakeProtectionMask(ULONG Protect)
{
    ULONG Flags = Protect & ~0xFFu, Mask;

    if (Flags & ~(PAGE_GUARD | PAGE_NOCACHE | PAGE_WRITECOMBINE))
        return MM_INVALID_PROTECTION;
    switch (Protect & 0xFFu)
    {
    case PAGE_NOACCESS:          Mask = MM_NOACCESS; break;
    case PAGE_READONLY:          Mask = MM_READONLY; break;
    case PAGE_READWRITE:         Mask = MM_READWRITE; break;
    case PAGE_WRITECOPY:         Mask = MM_WRITECOPY; break;
    case PAGE_EXECUTE:           Mask = MM_EXECUTE; break;
    case PAGE_EXECUTE_READ:      Mask = MM_EXECUTE_READ; break;
    case PAGE_EXECUTE_READWRITE: Mask = MM_EXECUTE_READWRITE; break;
    case PAGE_EXECUTE_WRITECOPY: Mask = MM_EXECUTE_WRITECOPY; break;
    default:                     return MM_INVALID_PROTECTION;   /* none, or several */
    }
    if (Flags == 0)
        return Mask;
    /* No access takes no modifier, and the modifiers exclude each other. */
    if (Mask == MM_NOACCESS || (Flags & (Flags - 1)) != 0)
        return MM_INVALID_PROTECTION;
    if (Flags == PAGE_GUARD)
        return Mask | MM_GUARD_PAGE;
    if (Flags == PAGE_NOCACHE)
        return Mask | MM_NOCACHE;
    return Mask | MM_WRITECOMBINE;
}

ULONG MiProtectionToWin32(ULONG Protection)
{
    static const ULONG Base[8] = {
        PAGE_NOACCESS, PAGE_READONLY, PAGE_EXECUTE, PAGE_EXECUTE_READ,
        PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY,
    };
    ULONG Access = Protection & MM_PROTECT_ACCESS;

    if (Access == 0)
        return PAGE_NOACCESS;   /* MM_NOACCESS (and the no-access codes) */
    switch (Protection & MM_PROTECT_SPECIAL)
    {
    case MM_NOCACHE:     return Base[Access] | PAGE_NOCACHE;
    case MM_GUARD_PAGE:  return Base[Access] | PAGE_GUARD;
    case MM_WRITECOMBINE: return Base[Access] | PAGE_WRITECOMBINE;
    default:             return Base[Access];
    }
}

/* NT's access table: reads need a protection 1-7, writes 4-7 (5 and 7 copy on write). There
 * is no NX in 32-bit non-PAE paging, so an instruction fetch is checked as a read. */
BOOLEAN MiIsAccessAllowed(ULONG Protection, BOOLEAN Write)
{
    ULONG Access = Protection & MM_PROTECT_ACCESS;

    if (Access == 0)
        return FALSE;
    return Write ? Access >= MM_READWRITE : TRUE;
}

static BOOLEAN MiIsWriteCopy(ULONG Protection)
{
    ULONG Access = Protection & MM_PROTECT_ACCESS;

    return Access == MM_WRITECOPY || Access == MM_EXECUTE_WRITECOPY;
}

/* ----------------------------------------------------------------------------- commitment */

/* Committing pages of a view commits its section's pages (mm/section.c, which replaces this
 * weak definition in the kernel; host builds of this file have no sections). */
__attribute__((weak)) NTSTATUS MiCommitViewPages(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa,
                                                 ULONG Protection)
{
    UNREFERENCED_PARAMETER(Vad);
    UNREFERENCED_PARAMETER(StartVa);
    UNREFERENCED_PARAMETER(EndVa);
    UNREFERENCED_PARAMETER(Protection);
    return STATUS_CONFLICTING_ADDRESSES;
}

BOOLEAN MiChargeCommitment(PMMPROCESS_VM Vm, ULONG Pages)
{
    if (Pages > MmTotalCommitLimit || MmTotalCommittedPages > MmTotalCommitLimit - Pages)
        return FALSE;
    MmTotalCommittedPages += Pages;
    Vm->CommitCharge += Pages;
    if (Vm->CommitCharge > Vm->CommitChargePeak)
        Vm->CommitChargePeak = Vm->CommitCharge;
    return TRUE;
}

VOID MiReturnCommitment(PMMPROCESS_VM Vm, ULONG Pages)
{
    MmTotalCommittedPages -= Pages;
    Vm->CommitCharge -= Pages;
}

/* ----------------------------------------------------------------------------- page state */

static BOOLEAN MiIsResidentPte(ULONG Pte)
{
    return (Pte & PTE_VALID) || (Pte & (PTE_PROTOTYPE | PTE_TRANSITION)) == PTE_TRANSITION;
}

/* Is a zero PTE (or a missing page table) in this VAD committed? */
static BOOLEAN MiZeroPteIsCommitted(PMMVAD Vad)
{
    return Vad->u.VadFlags.MemCommit && Vad->u.VadFlags.VadType != VadImageMap;
}

BOOLEAN MiQueryPageProtection(PMMVAD Vad, ULONG_PTR Va, PULONG Protection)
{
    BOOLEAN TableExists;
    ULONG Pte;

    if (Vad->u.VadFlags.VadType == VadLargePages)
    {
        /* Mapped by a large PDE: committed, resident, no PTE (what the self-map shows there
         * is the large page's own first 4 KiB, never to be read as PTEs). */
        *Protection = Vad->u.VadFlags.Protection;
        return TRUE;
    }
    Pte = MiReadUserPte(Va, &TableExists);

    if (Pte & PTE_VALID)
    {
        *Protection = MiGetResidentProtection(Va);
        return TRUE;
    }
    if (Pte == 0 && MI_IS_IMAGE_VIEW_VAD(Vad))
        return MiImageViewProtection(Vad, Va, Protection);   /* the prototype PTE says */
    if (Pte == 0)
    {
        if (!MiZeroPteIsCommitted(Vad))
            return FALSE;
        *Protection = Vad->u.VadFlags.Protection;
        return TRUE;
    }
    if (Pte == MM_DECOMMITTED_PTE)
        return FALSE;
    *Protection = MI_PTE_PROTECTION(Pte);
    return TRUE;
}

/* The committed pages of [StartVa, EndVa] in Vad (whole 4 MiB chunks without a page table at
 * once). */
static ULONG MiCountCommittedPages(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa)
{
    ULONG_PTR Va = StartVa, ChunkEnd;
    ULONG Count = 0, Protection;
    BOOLEAN TableExists;

    while (Va <= EndVa)
    {
        ChunkEnd = MI_CHUNK_END(Va, EndVa);
        (void)MiReadUserPte(Va, &TableExists);
        if (!TableExists)
        {
            if (MiZeroPteIsCommitted(Vad))
                Count += MI_PAGES(Va, ChunkEnd);
        }
        else
        {
            for (; Va <= ChunkEnd; Va += PAGE_SIZE)
                if (MiQueryPageProtection(Vad, Va, &Protection))
                    Count++;
        }
        Va = ChunkEnd + 1;
    }
    return Count;
}

/* Give a committed page a new protection, resident or not. A page that is not resident keeps
 * where it is (its pagefile slot, its image PTE): only the PTE's protection bits change. */
static VOID MiSetPageProtection(ULONG_PTR Va, ULONG Protection)
{
    BOOLEAN TableExists;
    ULONG Pte = MiReadUserPte(Va, &TableExists);

    if (MiIsResidentPte(Pte))
        MiSetResidentProtection(Va, Protection);
    else if (Pte == 0)
        MiWriteUserPte(Va, MI_MAKE_DEMAND_ZERO_PTE(Protection));
    else
        MiWriteUserPte(Va, (Pte & ~MM_PTE_PROTECTION_MASK) |
                               (Protection << MM_PTE_PROTECTION_SHIFT));
}

/* --------------------------------------------------------------------- VADs and commitment */

NTSTATUS MiCreateVad(PMMPROCESS_VM Vm, ULONG_PTR StartVa, ULONG_PTR EndVa, ULONG Protection,
                     MI_VAD_TYPE VadType, BOOLEAN Commit, PMMVAD *Vad)
{
    ULONG Pages = MI_PAGES(StartVa, EndVa);
    PMMVAD NewVad;

    if (Commit && !MiChargeCommitment(Vm, Pages))
        return STATUS_COMMITMENT_LIMIT;
    NewVad = MiAllocateVad();
    if (NewVad == NULL)
    {
        if (Commit)
            MiReturnCommitment(Vm, Pages);
        return STATUS_NO_MEMORY;
    }
    NewVad->StartingVpn = MI_VA_TO_VPN(StartVa);
    NewVad->EndingVpn = MI_VA_TO_VPN(EndVa);
    NewVad->u.VadFlags.Protection = Protection;
    NewVad->u.VadFlags.VadType = VadType;
    NewVad->u.VadFlags.PrivateMemory = 1;
    NewVad->u.VadFlags.MemCommit = Commit;
    NewVad->u.VadFlags.CommitCharge = Commit ? Pages : 0;
    MiInsertVad(&Vm->VadRoot, NewVad);
    *Vad = NewVad;
    return STATUS_SUCCESS;
}

NTSTATUS MiCommitPages(PMMPROCESS_VM Vm, PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa,
                       ULONG Protection)
{
    ULONG_PTR Va, ChunkEnd;
    ULONG NewPages = MiCountCommittedPages(Vad, StartVa, EndVa), Current;
    BOOLEAN TableExists;
    NTSTATUS Status;

    NewPages = MI_PAGES(StartVa, EndVa) - NewPages;
    if (!MiChargeCommitment(Vm, NewPages))
        return STATUS_COMMITMENT_LIMIT;

    /* Page tables first, for every 4 MiB chunk whose PTEs must be written: then nothing can
     * fail half-way. A chunk without a table in a MemCommit VAD is committed already and needs
     * one only for a new protection. */
    for (Va = StartVa; Va <= EndVa; Va = ChunkEnd + 1)
    {
        ChunkEnd = MI_CHUNK_END(Va, EndVa);
        (void)MiReadUserPte(Va, &TableExists);
        if (TableExists || (MiZeroPteIsCommitted(Vad) && Protection == Vad->u.VadFlags.Protection))
            continue;
        Status = MiMakePdeExistAndMakeValid(Va);
        if (!NT_SUCCESS(Status))
        {
            MiReturnCommitment(Vm, NewPages);
            return Status;
        }
    }

    for (Va = StartVa; Va <= EndVa; Va += PAGE_SIZE)
    {
        if (!MiQueryPageProtection(Vad, Va, &Current))
            MiWriteUserPte(Va, MI_MAKE_DEMAND_ZERO_PTE(Protection));
        else if (Current != Protection)
            MiSetPageProtection(Va, Protection);
    }
    Vad->u.VadFlags.CommitCharge += NewPages;
    return STATUS_SUCCESS;
}

/* Decommit [StartVa, EndVa] of Vad: resident pages are freed, every committed page becomes
 * MM_DECOMMITTED_PTE. Returns the pages decommitted (their charge is the caller's to return). */
static NTSTATUS MiDecommitPages(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa, PULONG Count)
{
    ULONG_PTR Va, ChunkEnd;
    ULONG Protection;
    BOOLEAN TableExists;
    NTSTATUS Status;

    *Count = 0;
    /* A MemCommit VAD's pages without a page table are committed: they need one to say that
     * they are not any more. */
    if (MiZeroPteIsCommitted(Vad))
    {
        for (Va = StartVa; Va <= EndVa; Va = ChunkEnd + 1)
        {
            ChunkEnd = MI_CHUNK_END(Va, EndVa);
            Status = MiMakePdeExistAndMakeValid(Va);
            if (!NT_SUCCESS(Status))
                return Status;
        }
    }
    for (Va = StartVa; Va <= EndVa; Va = ChunkEnd + 1)
    {
        ChunkEnd = MI_CHUNK_END(Va, EndVa);
        (void)MiReadUserPte(Va, &TableExists);
        if (!TableExists)
            continue;   /* all reserved */
        for (; Va <= ChunkEnd; Va += PAGE_SIZE)
        {
            if (!MiQueryPageProtection(Vad, Va, &Protection))
                continue;
            MiWriteUserPte(Va, MM_DECOMMITTED_PTE);
            (*Count)++;
        }
    }
    return STATUS_SUCCESS;
}

/* Release the pages of [StartVa, EndVa]: resident ones freed, every PTE zero. Returns the
 * committed pages among them. */
static ULONG MiDeleteVirtualAddresses(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa)
{
    ULONG Count = MiCountCommittedPages(Vad, StartVa, EndVa);
    ULONG_PTR Va, ChunkEnd;
    BOOLEAN TableExists;

    for (Va = StartVa; Va <= EndVa; Va = ChunkEnd + 1)
    {
        ChunkEnd = MI_CHUNK_END(Va, EndVa);
        (void)MiReadUserPte(Va, &TableExists);
        if (!TableExists)
            continue;
        for (; Va <= ChunkEnd; Va += PAGE_SIZE)
            MiWriteUserPte(Va, 0);
    }
    return Count;
}

static VOID MiDeleteVad(PMMPROCESS_VM Vm, PMMVAD Vad)
{
    MiReturnCommitment(Vm, Vad->u.VadFlags.CommitCharge);
    if (Vm->StackVad == Vad)
        Vm->StackVad = NULL;
    MiRemoveVad(&Vm->VadRoot, Vad);
    MiFreeVad(Vad);
}

VOID MiDeleteProcessVads(PMMPROCESS_VM Vm)
{
    while (Vm->VadRoot.Root != NULL)
        MiDeleteVad(Vm, Vm->VadRoot.Root);
}

/* ------------------------------------------------------------------------ argument helpers */

/* Read a pointer-sized user value and write it back: fails like NT's ProbeForWrite would. */
static NTSTATUS MiProbeAndReadPointer(PCVOID UserAddress, ULONG_PTR *Value)
{
    NTSTATUS Status;

    if ((ULONG_PTR)UserAddress & (sizeof(ULONG_PTR) - 1))
        return STATUS_DATATYPE_MISALIGNMENT;
    Status = MmCopyFromUser(Value, UserAddress, sizeof(*Value));
    if (NT_SUCCESS(Status))
        Status = MmCopyToUser((PVOID)UserAddress, Value, sizeof(*Value));
    return Status;
}

/* The (base, size) pair of NtAllocate/NtFreeVirtualMemory, captured in NT's order: both
 * pointers probed and read, then the process handle checked (PROCESS_VM_OPERATION). */
static NTSTATUS MiCaptureRegion(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                ULONG_PTR *Base, ULONG_PTR *Size,
                                struct _EPROCESS **Target)
{
    NTSTATUS Status = MiProbeAndReadPointer(BaseAddress, Base);

    if (NT_SUCCESS(Status))
        Status = MiProbeAndReadPointer(RegionSize, Size);
    if (!NT_SUCCESS(Status))
        return Status;
    return MmReferenceTargetProcess(ProcessHandle, PROCESS_VM_OPERATION, Target);
}

static NTSTATUS MiWriteUserPointer(PVOID UserAddress, ULONG_PTR Value)
{
    return MmCopyToUser(UserAddress, &Value, sizeof(Value));
}

/* The results of a service that has acted, into pointers probed writable before it did: a
 * write can fail now only because the service itself took the memory away (the pointers lay
 * in the range freed, or made read-only) or the page could not be read back in. The change
 * stays and the service succeeds, as in NT, rather than report a failure that changed
 * something. */
static VOID MiWriteBackRegion(PVOID *BaseAddress, PSIZE_T RegionSize, ULONG_PTR StartVa,
                              ULONG_PTR EndVa)
{
    if (NT_SUCCESS(MiWriteUserPointer(BaseAddress, StartVa)))
        (void)MiWriteUserPointer(RegionSize, EndVa - StartVa + 1);
}

/* ----------------------------------------------------------------- NtAllocateVirtualMemory */

#define MI_ALLOCATION_TYPES (MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_TOP_DOWN)

/*
 * NTSTATUS NtAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
 *     ULONG_PTR ZeroBits, PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect)
 * System service 0x0001. Reserve (MEM_RESERVE, or any call with *BaseAddress NULL: a new VAD
 * on 64 KiB granularity), commit (MEM_COMMIT inside one existing VAD), or both. On success
 * *BaseAddress and *RegionSize describe the pages reserved or committed.
 */
static NTSTATUS MiAllocateVirtualMemory(ULONG_PTR Base, ULONG_PTR Size, ULONG_PTR ZeroBits,
                                        ULONG AllocationType, ULONG Protection,
                                        ULONG_PTR *StartVaOut, ULONG_PTR *EndVaOut);

NTSTATUS NtAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                 PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect)
{
    ULONG_PTR Base, Size, StartVa = 0, EndVa = 0;
    ULONG Protection;
    struct _EPROCESS *Target;
    NTSTATUS Status;

    if (ZeroBits > MI_MAX_ZERO_BITS)
        return STATUS_INVALID_PARAMETER_3;
    /* MEM_LARGE_PAGES: reserved and committed at once, read/write (mm/largepag.c). */
    if (AllocationType & MEM_LARGE_PAGES)
    {
        if ((AllocationType & ~MEM_TOP_DOWN) != (MEM_LARGE_PAGES | MEM_RESERVE | MEM_COMMIT))
            return STATUS_INVALID_PARAMETER_5;
        if (Protect != PAGE_READWRITE)
            return STATUS_INVALID_PAGE_PROTECTION;
    }
    /* MEM_PHYSICAL: an AWE window (mm/physical.c), reserved read/write and nothing else. */
    else if (AllocationType & MEM_PHYSICAL)
    {
        if ((AllocationType & ~MEM_TOP_DOWN) != (MEM_RESERVE | MEM_PHYSICAL))
            return STATUS_INVALID_PARAMETER_5;
        if (Protect != PAGE_READWRITE)
            return STATUS_INVALID_PAGE_PROTECTION;
    }
    /* MEM_WRITE_WATCH and MEM_LARGE_PAGES are not supported: like unknown bits,
     * STATUS_INVALID_PARAMETER_5. */
    else if ((AllocationType & ~MI_ALLOCATION_TYPES) != 0 ||
        (AllocationType & (MEM_COMMIT | MEM_RESERVE | MEM_RESET)) == 0 ||
        ((AllocationType & MEM_RESET) && AllocationType != MEM_RESET))
        return STATUS_INVALID_PARAMETER_5;
    Protection = MiMakeProtectionMask(Protect);
    if (Protection == MM_INVALID_PROTECTION)
        return STATUS_INVALID_PAGE_PROTECTION;

    Status = MiCaptureRegion(ProcessHandle, BaseAddress, RegionSize, &Base, &Size, &Target);
    if (!NT_SUCCESS(Status))
        return Status;
    MmAttachTarget(Target);
    Status = MiAllocateVirtualMemory(Base, Size, ZeroBits, AllocationType, Protection, &StartVa,
                                     &EndVa);
    MmDetachTarget(Target);
    if (NT_SUCCESS(Status))
        MiWriteBackRegion(BaseAddress, RegionSize, StartVa, EndVa);
    return Status;
}

/* NtAllocateVirtualMemory's work, in the target's address space. */
static NTSTATUS MiAllocateVirtualMemory(ULONG_PTR Base, ULONG_PTR Size, ULONG_PTR ZeroBits,
                                        ULONG AllocationType, ULONG Protection,
                                        ULONG_PTR *StartVaOut, ULONG_PTR *EndVaOut)
{
    PMMPROCESS_VM Vm;
    ULONG_PTR StartVa, EndVa, Highest;
    PMMVAD Vad;
    NTSTATUS Status;

    if (Base > MM_HIGHEST_VAD_ADDRESS)
        return STATUS_INVALID_PARAMETER_2;
    if (Size == 0 || (ULONG_PTR)MM_HIGHEST_VAD_ADDRESS + 1 - Base < Size)
        return STATUS_INVALID_PARAMETER_4;
    if (Base != 0 && Base < MM_LOWEST_USER_ADDRESS)
        return STATUS_INVALID_PARAMETER_2;
    Vm = MiGetCurrentProcessVm();
    if (AllocationType & MEM_LARGE_PAGES)
        return MiAllocateLargePageVad(Vm, Base, Size, ZeroBits, AllocationType, Protection,
                                      StartVaOut, EndVaOut);

    if (AllocationType == MEM_RESET)
    {
        /* MEM_RESET is accepted and does nothing: the pages stay committed with their
         * contents (NT may discard them instead of writing them; pagevisor keeps them, which
         * MEM_RESET allows). The range must lie in one allocation. */
        StartVa = ALIGN_DOWN_BY(Base, PAGE_SIZE);
        EndVa = (Base + Size - 1) | (PAGE_SIZE - 1);
        Vad = MiLocateVad(&Vm->VadRoot, MI_VA_TO_VPN(StartVa));
        if (Vad == NULL || MI_VA_TO_VPN(EndVa) > Vad->EndingVpn)
            return STATUS_CONFLICTING_ADDRESSES;
    }
    else if ((AllocationType & MEM_RESERVE) || Base == 0)
    {
        /* Copy on write comes only with sections. */
        if (MiIsWriteCopy(Protection))
            return STATUS_INVALID_PAGE_PROTECTION;
        if (Base == 0)
        {
            /* ZeroBits counts the high address bits that must be zero; it is used only when
             * the system picks the address (so it is ignored with a base, as NT documents). */
            Highest = MM_HIGHEST_VAD_ADDRESS;
            if (ZeroBits != 0 && (0xFFFFFFFFu >> ZeroBits) < Highest)
                Highest = 0xFFFFFFFFu >> ZeroBits;
            Size = ALIGN_UP_BY(Size, PAGE_SIZE);
            Status = MiFindEmptyAddressRange(&Vm->VadRoot, Size, MM_VIRTMEM_GRANULARITY,
                                             MM_LOWEST_USER_ADDRESS, Highest,
                                             (AllocationType & MEM_TOP_DOWN) != 0, &StartVa);
            if (!NT_SUCCESS(Status))
                return STATUS_NO_MEMORY;
            EndVa = StartVa + Size - 1;
        }
        else
        {
            StartVa = ALIGN_DOWN_BY(Base, MM_VIRTMEM_GRANULARITY);
            EndVa = (Base + Size - 1) | (PAGE_SIZE - 1);
            if (MiCheckForConflictingVad(&Vm->VadRoot, MI_VA_TO_VPN(StartVa),
                                         MI_VA_TO_VPN(EndVa)) != NULL)
                return STATUS_CONFLICTING_ADDRESSES;
        }
        Status = MiCreateVad(Vm, StartVa, EndVa, Protection,
                             (AllocationType & MEM_PHYSICAL) ? VadAwe : VadNone,
                             (AllocationType & MEM_COMMIT) != 0, &Vad);
        if (!NT_SUCCESS(Status))
            return Status;
        /* A clone of the process does not get a window (its frames are the parent's). */
        Vad->NoInherit = (AllocationType & MEM_PHYSICAL) != 0;
    }
    else
    {
        /* Commit inside one existing private allocation. */
        StartVa = ALIGN_DOWN_BY(Base, PAGE_SIZE);
        EndVa = (Base + Size - 1) | (PAGE_SIZE - 1);
        Vad = MiLocateVad(&Vm->VadRoot, MI_VA_TO_VPN(StartVa));
        if (Vad != NULL && MI_VA_TO_VPN(EndVa) <= Vad->EndingVpn && MI_IS_VIEW_VAD(Vad))
            Status = MiCommitViewPages(Vad, StartVa, EndVa, Protection);   /* a section's */
        else if (Vad == NULL || MI_VA_TO_VPN(EndVa) > Vad->EndingVpn ||
                 !Vad->u.VadFlags.PrivateMemory || Vad->u.VadFlags.VadType == VadAwe ||
                 Vad->u.VadFlags.VadType == VadLargePages)
            return STATUS_CONFLICTING_ADDRESSES;   /* an AWE window maps frames, never commits */
        else if (MiIsWriteCopy(Protection))
            return STATUS_INVALID_PAGE_PROTECTION;
        else
            Status = MiCommitPages(Vm, Vad, StartVa, EndVa, Protection);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    *StartVaOut = StartVa;
    *EndVaOut = EndVa;
    return STATUS_SUCCESS;
}

/* --------------------------------------------------------------------- NtFreeVirtualMemory */

/*
 * NTSTATUS NtFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
 *     ULONG FreeType) - system service 0x0002.
 * MEM_DECOMMIT: the committed pages of the range become reserved (size 0: from the base to
 * the end of the allocation). MEM_RELEASE: size 0 releases the whole allocation and the base
 * must be its start; a nonzero size releases that part of it (the VAD is trimmed or split).
 */
static NTSTATUS MiFreeVirtualMemory(ULONG_PTR Base, ULONG_PTR Size, ULONG FreeType,
                                    ULONG_PTR *StartVaOut, ULONG_PTR *EndVaOut);

NTSTATUS NtFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                             ULONG FreeType)
{
    ULONG_PTR Base, Size, StartVa = 0, EndVa = 0;
    struct _EPROCESS *Target;
    NTSTATUS Status;

    if (FreeType != MEM_DECOMMIT && FreeType != MEM_RELEASE)
        return STATUS_INVALID_PARAMETER_4;
    Status = MiCaptureRegion(ProcessHandle, BaseAddress, RegionSize, &Base, &Size, &Target);
    if (!NT_SUCCESS(Status))
        return Status;
    MmAttachTarget(Target);
    Status = MiFreeVirtualMemory(Base, Size, FreeType, &StartVa, &EndVa);
    MmDetachTarget(Target);
    if (NT_SUCCESS(Status))
        MiWriteBackRegion(BaseAddress, RegionSize, StartVa, EndVa);
    return Status;
}

/* NtFreeVirtualMemory's work, in the target's address space. */
static NTSTATUS MiFreeVirtualMemory(ULONG_PTR Base, ULONG_PTR Size, ULONG FreeType,
                                    ULONG_PTR *StartVaOut, ULONG_PTR *EndVaOut)
{
    PMMPROCESS_VM Vm;
    ULONG_PTR StartVa, EndVa, VadStart, VadEnd;
    ULONG Count, TailCharge;
    PMMVAD Vad, Tail;
    NTSTATUS Status;

    if (Base > MmHighestUserAddress)
        return STATUS_INVALID_PARAMETER_2;
    if ((ULONG_PTR)MmHighestUserAddress - Base + 1 < Size)
        return STATUS_INVALID_PARAMETER_3;

    Vm = MiGetCurrentProcessVm();
    StartVa = ALIGN_DOWN_BY(Base, PAGE_SIZE);
    Vad = MiLocateVad(&Vm->VadRoot, MI_VA_TO_VPN(StartVa));
    if (Vad == NULL)
        return STATUS_MEMORY_NOT_ALLOCATED;
    if (!Vad->u.VadFlags.PrivateMemory)
        return STATUS_UNABLE_TO_DELETE_SECTION;   /* an image or a view: NtUnmapViewOfSection */
    VadStart = MI_VPN_TO_VA(Vad->StartingVpn);
    VadEnd = MI_VPN_TO_VA_ENDING(Vad->EndingVpn);
    if (Size == 0)
    {
        if (FreeType == MEM_RELEASE && StartVa != VadStart)
            return STATUS_FREE_VM_NOT_AT_BASE;
        EndVa = VadEnd;
    }
    else
    {
        EndVa = (Base + Size - 1) | (PAGE_SIZE - 1);
        if (EndVa > VadEnd)
            return STATUS_UNABLE_TO_FREE_VM;
    }

    if (Vad->u.VadFlags.VadType == VadLargePages || Vad->u.VadFlags.VadType == VadAwe)
    {
        /* Large pages and AWE windows go whole: large PDEs zeroed and their runs freed; a
         * window's frames unmapped, still the process's. */
        if (FreeType != MEM_RELEASE)
            return STATUS_INVALID_PARAMETER_4;
        if (StartVa != VadStart || EndVa != VadEnd)
            return STATUS_UNABLE_TO_FREE_VM;
        if (Vad->u.VadFlags.VadType == VadAwe)
        {
            MiUnmapAweRange(StartVa, EndVa);
        }
        else
        {
            MiDeleteLargePageRange(StartVa, EndVa);
            MiDeleteVad(Vm, Vad);
            *StartVaOut = StartVa;
            *EndVaOut = EndVa;
            return STATUS_SUCCESS;
        }
    }
    if (FreeType == MEM_DECOMMIT)
    {
        Status = MiDecommitPages(Vad, StartVa, EndVa, &Count);
        if (!NT_SUCCESS(Status))
            return Status;
        Vad->u.VadFlags.CommitCharge -= Count;
        MiReturnCommitment(Vm, Count);
    }
    else if (StartVa == VadStart && EndVa == VadEnd)
    {
        (void)MiDeleteVirtualAddresses(Vad, StartVa, EndVa);
        MiDeleteVad(Vm, Vad);
    }
    else
    {
        /* Part of an allocation: what stays keeps the flags; a middle part splits it. */
        Tail = NULL;
        TailCharge = 0;
        if (StartVa != VadStart && EndVa != VadEnd)
        {
            Tail = MiAllocateVad();
            if (Tail == NULL)
                return STATUS_NO_MEMORY;
            TailCharge = MiCountCommittedPages(Vad, EndVa + 1, VadEnd);
        }
        Count = MiDeleteVirtualAddresses(Vad, StartVa, EndVa);
        MiReturnCommitment(Vm, Count);
        Vad->u.VadFlags.CommitCharge -= Count;
        if (StartVa == VadStart)
        {
            Vad->StartingVpn = MI_VA_TO_VPN(EndVa + 1);
        }
        else
        {
            Vad->EndingVpn = MI_VA_TO_VPN(StartVa - 1);
            if (Tail != NULL)
            {
                Tail->u.LongFlags = Vad->u.LongFlags;
                Tail->u.VadFlags.CommitCharge = TailCharge;
                Vad->u.VadFlags.CommitCharge -= TailCharge;
                Tail->StartingVpn = MI_VA_TO_VPN(EndVa + 1);
                Tail->EndingVpn = MI_VA_TO_VPN(VadEnd);
                MiInsertVad(&Vm->VadRoot, Tail);
            }
        }
    }
    *StartVaOut = StartVa;
    *EndVaOut = EndVa;
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------ NtProtectVirtualMemory */

/*
 * NTSTATUS NtProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
 *     PSIZE_T NumberOfBytesToProtect, ULONG NewAccessProtection, PULONG OldAccessProtection)
 * System service 0x0003. Every page of the range must be committed and in one allocation;
 * *OldAccessProtection receives the first page's protection. A size of 0 is
 * STATUS_INVALID_PARAMETER_3 (pagevisor's choice: NT's handling of it is not documented).
 */
static NTSTATUS MiProtectVirtualMemory(ULONG_PTR Base, ULONG_PTR Size, ULONG Protection,
                                       ULONG_PTR *StartVaOut, ULONG_PTR *EndVaOut,
                                       PULONG OldProtectionOut);

NTSTATUS NtProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
                                PSIZE_T NumberOfBytesToProtect, ULONG NewAccessProtection,
                                PULONG OldAccessProtection)
{
    ULONG_PTR Base, Size, StartVa = 0, EndVa = 0;
    ULONG Protection, OldProtection = 0, OldWin32;
    struct _EPROCESS *Target;
    NTSTATUS Status;

    Protection = MiMakeProtectionMask(NewAccessProtection);
    if (Protection == MM_INVALID_PROTECTION)
        return STATUS_INVALID_PAGE_PROTECTION;
    Status = MiProbeAndReadPointer(BaseAddress, &Base);
    if (NT_SUCCESS(Status))
        Status = MiProbeAndReadPointer(NumberOfBytesToProtect, &Size);
    if (NT_SUCCESS(Status))
    {
        if ((ULONG_PTR)OldAccessProtection & (sizeof(ULONG) - 1))
            return STATUS_DATATYPE_MISALIGNMENT;
        Status = MmCopyFromUser(&OldWin32, OldAccessProtection, sizeof(OldWin32));
        if (NT_SUCCESS(Status))
            Status = MmCopyToUser(OldAccessProtection, &OldWin32, sizeof(OldWin32));
    }
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MmReferenceTargetProcess(ProcessHandle, PROCESS_VM_OPERATION, &Target);
    if (!NT_SUCCESS(Status))
        return Status;
    MmAttachTarget(Target);
    Status = MiProtectVirtualMemory(Base, Size, Protection, &StartVa, &EndVa, &OldProtection);
    MmDetachTarget(Target);
    if (!NT_SUCCESS(Status))
        return Status;
    OldWin32 = MiProtectionToWin32(OldProtection);
    MiWriteBackRegion(BaseAddress, NumberOfBytesToProtect, StartVa, EndVa);
    (void)MmCopyToUser(OldAccessProtection, &OldWin32, sizeof(OldWin32));
    return STATUS_SUCCESS;
}

/* NtProtectVirtualMemory's work, in the target's address space. */
static NTSTATUS MiProtectVirtualMemory(ULONG_PTR Base, ULONG_PTR Size, ULONG Protection,
                                       ULONG_PTR *StartVaOut, ULONG_PTR *EndVaOut,
                                       PULONG OldProtectionOut)
{
    PMMPROCESS_VM Vm;
    ULONG_PTR StartVa, EndVa, Va;
    ULONG OldProtection = 0, Current;
    PMMVAD Vad;
    NTSTATUS Status;

    if (Base > MmHighestUserAddress)
        return STATUS_INVALID_PARAMETER_2;
    if (Size == 0 || (ULONG_PTR)MmHighestUserAddress - Base + 1 < Size)
        return STATUS_INVALID_PARAMETER_3;

    Vm = MiGetCurrentProcessVm();
    StartVa = ALIGN_DOWN_BY(Base, PAGE_SIZE);
    EndVa = (Base + Size - 1) | (PAGE_SIZE - 1);
    Vad = MiLocateVad(&Vm->VadRoot, MI_VA_TO_VPN(StartVa));
    if (Vad == NULL || MI_VA_TO_VPN(EndVa) > Vad->EndingVpn ||
        Vad->u.VadFlags.VadType == VadAwe ||        /* an AWE window is read/write, fixed */
        Vad->u.VadFlags.VadType == VadLargePages)   /* so are large pages (one PDE each) */
        return STATUS_CONFLICTING_ADDRESSES;
    if (MI_IS_VIEW_VAD(Vad) && !MI_IS_IMAGE_VIEW_VAD(Vad))
        return STATUS_NOT_SUPPORTED;   /* data views keep the protection they were mapped with */
    if (MiIsWriteCopy(Protection))
        return STATUS_INVALID_PAGE_PROTECTION;   /* copy on write: only as a view's protection */
    if (MiCountCommittedPages(Vad, StartVa, EndVa) != MI_PAGES(StartVa, EndVa))
        return STATUS_NOT_COMMITTED;

    (void)MiQueryPageProtection(Vad, StartVa, &OldProtection);
    /* An image page whose protection changes becomes the process's own first (mm/section.c). */
    if (MI_IS_IMAGE_VIEW_VAD(Vad))
    {
        Status = MiMakeImagePagesPrivate(Vad, StartVa, EndVa, Protection);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    /* Zero PTEs of a MemCommit VAD take the VAD's protection: a new one needs PTEs. */
    if (MiZeroPteIsCommitted(Vad) && Protection != Vad->u.VadFlags.Protection)
    {
        for (Va = StartVa; Va <= EndVa; Va = MI_CHUNK_END(Va, EndVa) + 1)
        {
            Status = MiMakePdeExistAndMakeValid(Va);
            if (!NT_SUCCESS(Status))
                return Status;
        }
    }
    for (Va = StartVa; Va <= EndVa; Va += PAGE_SIZE)
    {
        if (MiQueryPageProtection(Vad, Va, &Current) && Current != Protection)
            MiSetPageProtection(Va, Protection);
    }

    *StartVaOut = StartVa;
    *EndVaOut = EndVa;
    *OldProtectionOut = OldProtection;
    return STATUS_SUCCESS;
}

/* -------------------------------------------------------------------- NtQueryVirtualMemory */

/* Does the page at Va have the given state? Whole chunks without a page table answer at once
 * through *Skip (the last address of the run that shares the answer). */
static BOOLEAN MiSamePageState(PMMVAD Vad, ULONG_PTR Va, ULONG_PTR EndVa, BOOLEAN Committed,
                               ULONG Protection, PULONG_PTR Skip)
{
    BOOLEAN TableExists, PageCommitted;
    ULONG PageProtection = 0;

    (void)MiReadUserPte(Va, &TableExists);
    if (!TableExists)
    {
        *Skip = MI_CHUNK_END(Va, EndVa);
        PageCommitted = MiZeroPteIsCommitted(Vad);
        if (PageCommitted)
            PageProtection = Vad->u.VadFlags.Protection;
    }
    else
    {
        *Skip = Va | (PAGE_SIZE - 1);
        PageCommitted = MiQueryPageProtection(Vad, Va, &PageProtection);
    }
    return PageCommitted == Committed && (!Committed || PageProtection == Protection);
}

static VOID MiQueryRegion(PMMPROCESS_VM Vm, ULONG_PTR Address, PMEMORY_BASIC_INFORMATION Info)
{
    ULONG_PTR Va = ALIGN_DOWN_BY(Address, PAGE_SIZE), Next, VadEnd, Skip;
    ULONG Protection = 0;
    BOOLEAN Committed;
    PMMVAD Vad = MiLocateVad(&Vm->VadRoot, MI_VA_TO_VPN(Va));

    Info->BaseAddress = (PVOID)Va;
    if (Vad == NULL)
    {
        /* Free: up to the next allocation, or the end of the VAD space. */
        Vad = MiFirstVadAtOrAbove(&Vm->VadRoot, MI_VA_TO_VPN(Va));
        Next = Vad != NULL ? MI_VPN_TO_VA(Vad->StartingVpn) : (ULONG_PTR)MM_HIGHEST_VAD_ADDRESS + 1;
        Info->AllocationBase = NULL;
        Info->AllocationProtect = 0;
        Info->RegionSize = Next - Va;
        Info->State = MEM_FREE;
        Info->Protect = PAGE_NOACCESS;
        Info->Type = 0;
        return;
    }

    VadEnd = MI_VPN_TO_VA_ENDING(Vad->EndingVpn);
    Committed = MiQueryPageProtection(Vad, Va, &Protection);
    /* Large pages have no PTEs to read: the whole allocation is one committed region. */
    for (Next = Vad->u.VadFlags.VadType == VadLargePages ? VadEnd + 1 : Va + PAGE_SIZE;
         Next <= VadEnd; Next = Skip + 1)
    {
        if (!MiSamePageState(Vad, Next, VadEnd, Committed, Protection, &Skip))
            break;
    }
    Info->AllocationBase = (PVOID)MI_VPN_TO_VA(Vad->StartingVpn);
    Info->AllocationProtect = MiProtectionToWin32(Vad->u.VadFlags.Protection);
    Info->RegionSize = Next - Va;
    Info->State = Committed ? MEM_COMMIT : MEM_RESERVE;
    Info->Protect = Committed ? MiProtectionToWin32(Protection) : 0;
    Info->Type = Vad->u.VadFlags.VadType == VadImageMap ? MEM_IMAGE :
                 Vad->u.VadFlags.PrivateMemory ? MEM_PRIVATE : MEM_MAPPED;
}

/*
 * NTSTATUS NtQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
 *     MEMORY_INFORMATION_CLASS MemoryInformationClass, PVOID MemoryInformation,
 *     SIZE_T MemoryInformationLength, PSIZE_T ReturnLength) - system service 0x0004.
 * MemoryBasicInformation only: the region of BaseAddress's page, i.e. the following pages of
 * the same allocation with the same state and protection (or the free run up to the next
 * allocation).
 */
NTSTATUS NtQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                              MEMORY_INFORMATION_CLASS MemoryInformationClass,
                              PVOID MemoryInformation, SIZE_T MemoryInformationLength,
                              PSIZE_T ReturnLength)
{
    MEMORY_BASIC_INFORMATION Info = { 0 };
    ULONG_PTR Length = sizeof(Info), Ignored;
    struct _EPROCESS *Target;
    NTSTATUS Status;

    if (MemoryInformationClass != MemoryBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (MemoryInformationLength < sizeof(Info))
        return STATUS_INFO_LENGTH_MISMATCH;
    if ((ULONG_PTR)MemoryInformation & (sizeof(ULONG_PTR) - 1))
        return STATUS_DATATYPE_MISALIGNMENT;
    Status = MmCopyFromUser(&Info, MemoryInformation, sizeof(Info));
    if (NT_SUCCESS(Status))
        Status = MmCopyToUser(MemoryInformation, &Info, sizeof(Info));
    if (NT_SUCCESS(Status) && ReturnLength != NULL)
        Status = MiProbeAndReadPointer(ReturnLength, &Ignored);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MmReferenceTargetProcess(ProcessHandle, PROCESS_QUERY_INFORMATION, &Target);
    if (!NT_SUCCESS(Status))
        return Status;
    if ((ULONG_PTR)BaseAddress > MM_HIGHEST_VAD_ADDRESS)
    {
        MmAttachTarget(Target);         /* (the reference goes with the detach) */
        MmDetachTarget(Target);
        return STATUS_INVALID_PARAMETER;
    }
    MmAttachTarget(Target);
    MiQueryRegion(MiGetCurrentProcessVm(), (ULONG_PTR)BaseAddress, &Info);
    MmDetachTarget(Target);
    Status = MmCopyToUser(MemoryInformation, &Info, sizeof(Info));
    if (NT_SUCCESS(Status) && ReturnLength != NULL)
        Status = MiWriteUserPointer(ReturnLength, Length);
    return Status;
}
