/*
 * section.c - pagefile-backed section objects and their views (SEC_COMMIT, SEC_RESERVE):
 * NtCreateSection, NtMapViewOfSection, NtUnmapViewOfSection, NtClose, and the prototype-PTE
 * fault (MiResolveProtoPteFault).
 *
 * A section is a segment: an array of prototype PTEs, one per page, in a kernel pool
 * (MiPrototypePtePool), all zero at creation. In a SEC_COMMIT section zero means demand zero
 * (the whole size is charged against the commit limit then); in a SEC_RESERVE one it means
 * reserved (a fault on it is an access violation) until MEM_COMMIT inside a view makes it a
 * demand-zero prototype (protection << 5) and charges it (MiCommitViewPages). A view is a VAD with PrivateMemory 0 (MI_IS_VIEW_VAD) pointing at
 * the section and at the prototype PTE of its first page; its PTEs start zero.
 *
 * First touch of a view page: the fault path finds the VAD, then the prototype PTE, and
 * resolves the prototype (MiResolveProtoPteFault): demand zero (a zeroed page), transition
 * (the page taken back from Standby/Modified), pagefile (the page read back, its slot kept as
 * its clean copy) or valid (mapped elsewhere already). A section page's PFN is marked
 * PrototypePte with PteAddress = its prototype PTE (a system address, no page table share)
 * and OriginalPte = what the prototype becomes when the frame is reused (demand zero with
 * the section's protection, or the pagefile PTE). The process PTE becomes valid with the
 * view's protection, holds a share of its page table and joins the working set like a
 * private page. Resolution PV_FAULT_PROTOTYPE. Image and pagefile page-ins read clusters:
 * the neighbouring prototypes whose pages come next in the same file or pagefile, in one host
 * call, the extra pages to Standby in transition (see "Clustered section page-ins" below; the
 * clone blocks' pagefile page-ins go the same way).
 *
 * Share count of a section page: one per valid process PTE mapping it. Trimming it from a
 * working set turns the process PTE into the "look up the VAD" prototype form (chosen over a
 * pointer to the prototype: 0xFFFFF400 | protection << 5, NT's 0xFFFFF480 for read/write; the
 * fault path finds the prototype through the view's VAD) and drops a share; the last share
 * gone, the prototype PTE becomes a transition PTE and the page goes to the Modified list
 * (dirty) or Standby. The modified page writer writes it like a private page (its OriginalPte
 * becomes the pagefile PTE); when its frame is reused, MiRestoreTransitionPte writes that
 * into the prototype PTE.
 *
 * Copy-on-write views (PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY; allowed wherever reading is,
 * MiCompatibleViewAccess): charged their whole size when mapped (NT's choice: a copy never
 * fails for commitment), their section pages mapped read-only with the CopyOnWrite bit; a
 * write gives the process its own page (mm/wrtfault.c), a private page in the view's range
 * from then on (freed when the view goes). A clone's copy of a view (mm/forksup.c) may also
 * hold fork prototype PTEs there, for the private copies it shares with its parent.
 *
 * Lifetime: a section is an object (ob.h): each handle and each view holds a reference; when
 * the last goes the section is deleted (its pages freed, its commitment returned). A name
 * makes it reachable from other processes (NtOpenSection). At process end every view is
 * unmapped (MiDeleteProcessSections), then every handle closed.
 */
#include "mm.h"
#include "ps.h"
#include "intrin.h"
#include "hv.h"
#include "ob.h"
#include "rtl.h"
#include "io.h"

#define MI_MAX_SECTIONS           32
#define MI_PROTOTYPE_POOL_PTES    16384u   /* 64 MiB of sections in all */

typedef struct _SECTION
{
    OBJECT_HEADER ObjectHeader;  /* Type 0: a free entry */
    ULONG SizeOfSection;       /* pages */
    ULONG Protection;          /* MM_* */
    ULONG FirstPoolIndex;      /* of its prototype PTEs in MiPrototypePtePool */
    PMMPTE PrototypePte;
    ULONG MappedViews;         /* each holds a reference to the object */
    BOOLEAN Reserve;           /* SEC_RESERVE: a zero prototype PTE is not committed */
    ULONG CommittedPages;      /* charged against the commit limit */
    /* An image section (SEC_IMAGE): the image file it pages from and its layout. */
    BOOLEAN Image;
    PLDR_MODULE Module;
    ULONG ImageBase;           /* the user address of its first page */
    ULONG SegmentCount;
    LDR_IMAGE_SEGMENT Segments[LDR_MAX_SEGMENTS];
    MI_READ_AROUND ReadAround; /* its clustered page-ins (image or pagefile), by prototype index */
    /* A mapped file's data section: the file (referenced) and the bytes of it it covers. */
    PFILE_OBJECT File;
    ULONGLONG FileBytes;
} SECTION, *PSECTION;

static SECTION MiSections[MI_MAX_SECTIONS];

static NTSTATUS MiCreateFileSection(PHANDLE SectionHandle, PVOID ObjectAttributes,
                                    ULONGLONG Size, ULONG Win32Protect,
                                    ULONG AllocationAttributes, HANDLE FileHandle);
static NTSTATUS MiReadFileSectionPage(PSECTION Section, PMMPTE ProtoPte, PMMPTE PointerPte);
static NTSTATUS MiFlushSectionPages(PSECTION Section, ULONG First, ULONG Count,
                                    PULONG Written);
static MMPTE MiPrototypePtePool[MI_PROTOTYPE_POOL_PTES];
static UCHAR MiPrototypePteUsed[MI_PROTOTYPE_POOL_PTES];

ULONG MiSectionsInUse(VOID)
{
    ULONG Index, Count = 0;

    for (Index = 0; Index < MI_MAX_SECTIONS; Index++)
        Count += MiSections[Index].ObjectHeader.Type != 0;
    return Count;
}

/* Entry Index of the section pool becomes a section object (the creator's reference) of Pages
 * prototype PTEs from pool index Pool: a pagefile-backed one until the caller says more. */
static PSECTION MiInitializeSection(ULONG Index, ULONG Pages, ULONG Protection, ULONG Pool)
{
    PSECTION Section = &MiSections[Index];

    memset(Section, 0, sizeof(*Section));
    ObInitializeObject(Section, ObSectionType);
    Section->SizeOfSection = Pages;
    Section->Protection = Protection;
    Section->FirstPoolIndex = Pool;
    Section->PrototypePte = &MiPrototypePtePool[Pool];
    return Section;
}

/* Pages contiguous prototype PTEs, first fit; MI_PROTOTYPE_POOL_PTES if none. */
static ULONG MiAllocatePrototypePtes(ULONG Pages)
{
    ULONG Start = 0, Run = 0, Index;

    for (Index = 0; Index < MI_PROTOTYPE_POOL_PTES; Index++)
    {
        if (MiPrototypePteUsed[Index])
        {
            Run = 0;
            continue;
        }
        if (Run++ == 0)
            Start = Index;
        if (Run == Pages)
        {
            for (Index = Start; Index < Start + Pages; Index++)
            {
                MiPrototypePteUsed[Index] = 1;
                MiPrototypePtePool[Index].u.Long = 0;
            }
            return Start;
        }
    }
    return MI_PROTOTYPE_POOL_PTES;
}

/* The section's last reference went (no handle, no view left): no page of it is valid any
 * more. Pages in transition leave their list for the Free list, pagefile slots are released,
 * the commitment is returned. The object manager's delete procedure for sections. */
VOID MiDeleteSectionObject(PVOID Object)
{
    PSECTION Section = Object;
    ULONG Index;

    /* A mapped file's last view and handle are gone: its dirty pages go back to the file. */
    if (Section->File != NULL)
        (void)MiFlushSectionPages(Section, 0, Section->SizeOfSection, NULL);
    for (Index = 0; Index < Section->SizeOfSection; Index++)
    {
        MiDeletePrototypePte(&Section->PrototypePte[Index]);
        MiPrototypePteUsed[Section->FirstPoolIndex + Index] = 0;
    }
    MmTotalCommittedPages -= Section->CommittedPages;
    if (Section->File != NULL)
    {
        Section->File->Section = NULL;
        ObDereferenceObject(Section->File);
        Section->File = NULL;
    }
    Section->ObjectHeader.Type = 0;
    Section->Image = FALSE;    /* the entry may become a pagefile-backed section next */
    Section->ReadAround = (MI_READ_AROUND){ 0, 0 };
}

/* ------------------------------------------------------------------------------- services */

/* The view protections (MM_* access codes, as bits) a section's protection allows: NT's rule
 * (its MmCompatibleProtectionMask): never more access than the section has, except that a
 * copy-on-write view is allowed wherever reading is, since its writes stay private. */
#define MI_ACCESS_BIT(Access) (1u << (Access))
static const UCHAR MiCompatibleViewAccess[8] = {
    [MM_ZERO_ACCESS] = 0,
    [MM_READONLY] = MI_ACCESS_BIT(MM_READONLY) | MI_ACCESS_BIT(MM_WRITECOPY),
    [MM_EXECUTE] = MI_ACCESS_BIT(MM_EXECUTE),
    [MM_EXECUTE_READ] = MI_ACCESS_BIT(MM_READONLY) | MI_ACCESS_BIT(MM_WRITECOPY) |
                        MI_ACCESS_BIT(MM_EXECUTE) | MI_ACCESS_BIT(MM_EXECUTE_READ) |
                        MI_ACCESS_BIT(MM_EXECUTE_WRITECOPY),
    [MM_READWRITE] = MI_ACCESS_BIT(MM_READONLY) | MI_ACCESS_BIT(MM_WRITECOPY) |
                     MI_ACCESS_BIT(MM_READWRITE),
    [MM_WRITECOPY] = MI_ACCESS_BIT(MM_READONLY) | MI_ACCESS_BIT(MM_WRITECOPY),
    [MM_EXECUTE_READWRITE] = 0xFE,
    [MM_EXECUTE_WRITECOPY] = MI_ACCESS_BIT(MM_READONLY) | MI_ACCESS_BIT(MM_WRITECOPY) |
                             MI_ACCESS_BIT(MM_EXECUTE) | MI_ACCESS_BIT(MM_EXECUTE_READ) |
                             MI_ACCESS_BIT(MM_EXECUTE_WRITECOPY),
};

static BOOLEAN MiIsWriteCopyProtection(ULONG Protection)
{
    ULONG Access = Protection & MM_PROTECT_ACCESS;

    return Access == MM_WRITECOPY || Access == MM_EXECUTE_WRITECOPY;
}

static NTSTATUS MiMapViewOfSection(PSECTION Section, PEPROCESS Process, PVOID *BaseAddress,
                                   ULONG_PTR ZeroBits, SIZE_T CommitSize,
                                   PULONGLONG SectionOffset, PSIZE_T ViewSize,
                                   ULONG InheritDisposition, ULONG AllocationType,
                                   ULONG Win32Protect);
static NTSTATUS MiReferenceTargetProcess(HANDLE ProcessHandle, PEPROCESS *Process);

/*
 * NTSTATUS NtCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
 *     PVOID ObjectAttributes, PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection,
 *     ULONG AllocationAttributes, HANDLE FileHandle)
 * A pagefile-backed section (FileHandle NULL) of *MaximumSize bytes rounded up to pages,
 * SEC_COMMIT (every page committed, charged now) or SEC_RESERVE (pages committed later with
 * MEM_COMMIT inside a view, MiCommitViewPages). ObjectAttributes may name it (ob.h): another
 * process opens it with NtOpenSection, or with NtCreateSection and OBJ_OPENIF.
 */
NTSTATUS NtCreateSection(PHANDLE SectionHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                         PULONGLONG MaximumSize, ULONG SectionPageProtection,
                         ULONG AllocationAttributes, HANDLE FileHandle)
{
    OB_CAPTURED_NAME Name;
    ULONGLONG Size;
    ULONG Pages, Protection, Index, Pool, Charge;
    BOOLEAN Reserve;
    PSECTION Section = NULL;
    NTSTATUS Status;

    (void)DesiredAccess;
    if (SectionHandle == NULL)
        return STATUS_INVALID_PARAMETER_1;
    if (MaximumSize == NULL && FileHandle == NULL)
        return STATUS_INVALID_PARAMETER_4;
    Size = 0;   /* a file's section without a size: the file's */
    Status = MaximumSize != NULL ? MmCopyFromUser(&Size, MaximumSize, sizeof(Size))
                                 : STATUS_SUCCESS;
    if (!NT_SUCCESS(Status))
        return Status;
    if (FileHandle != NULL)
        return MiCreateFileSection(SectionHandle, ObjectAttributes, Size, SectionPageProtection,
                                   AllocationAttributes, FileHandle);
    if (AllocationAttributes != SEC_COMMIT && AllocationAttributes != SEC_RESERVE)
        return STATUS_INVALID_PARAMETER_6;
    Protection = MiMakeProtectionMask(SectionPageProtection);
    if (Protection == MM_INVALID_PROTECTION || (Protection & MM_PROTECT_SPECIAL) != 0 ||
        (Protection & MM_PROTECT_ACCESS) == MM_WRITECOPY ||
        (Protection & MM_PROTECT_ACCESS) == MM_EXECUTE_WRITECOPY)
        return STATUS_INVALID_PAGE_PROTECTION;
    if (Size == 0)
        return STATUS_INVALID_PARAMETER_4;
    if (Size > (ULONGLONG)MI_PROTOTYPE_POOL_PTES * PAGE_SIZE)
        return STATUS_SECTION_TOO_BIG;
    Pages = (ULONG)((Size + PAGE_SIZE - 1) >> PAGE_SHIFT);
    Status = ProbeForWrite(SectionHandle, sizeof(*SectionHandle), 1);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObCaptureObjectAttributes(ObjectAttributes, &Name);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObOpenIfExists(&Name, ObSectionType, SectionHandle);
    if (Status != STATUS_SUCCESS)
        return Status;

    for (Index = 0; Index < MI_MAX_SECTIONS && MiSections[Index].ObjectHeader.Type; Index++)
        ;
    if (Index == MI_MAX_SECTIONS)
        return STATUS_INSUFFICIENT_RESOURCES;
    Reserve = AllocationAttributes == SEC_RESERVE;
    Charge = Reserve ? 0 : Pages;
    if (Charge > MmTotalCommitLimit || MmTotalCommittedPages > MmTotalCommitLimit - Charge)
        return STATUS_COMMITMENT_LIMIT;
    Pool = MiAllocatePrototypePtes(Pages);
    if (Pool == MI_PROTOTYPE_POOL_PTES)
        return STATUS_SECTION_TOO_BIG;

    MmTotalCommittedPages += Charge;
    Section = MiInitializeSection(Index, Pages, Protection, Pool);
    Section->Reserve = Reserve;
    Section->CommittedPages = Charge;
    /* A bad handle pointer deletes the section again: nothing is left behind. */
    return ObInsertObject(Section, &Name, SectionHandle);
}

/* NTSTATUS NtOpenSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
 *     POBJECT_ATTRIBUTES ObjectAttributes) - service 0x0015: a named section. */
NTSTATUS NtOpenSection(PHANDLE SectionHandle, ULONG DesiredAccess, PVOID ObjectAttributes)
{
    (void)DesiredAccess;
    return ObOpenObjectByName(ObjectAttributes, ObSectionType, SectionHandle);
}

/*
 * NTSTATUS NtMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress,
 *     ULONG_PTR ZeroBits, SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
 *     SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Win32Protect)
 * A view of [*SectionOffset, +*ViewSize) (offset a multiple of 64 KiB, size 0: to the end)
 * in the process ProcessHandle names (the caller's, or another one: the kernel attaches to
 * it for the mapping) at *BaseAddress (64 KiB aligned) or, if NULL, at a free address
 * (MEM_TOP_DOWN: the highest).
 */
NTSTATUS NtMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress,
                            ULONG_PTR ZeroBits, SIZE_T CommitSize, PULONGLONG SectionOffset,
                            PSIZE_T ViewSize, ULONG InheritDisposition, ULONG AllocationType,
                            ULONG Win32Protect)
{
    PSECTION Section;
    PEPROCESS Process;
    NTSTATUS Status = ObReferenceObjectByHandle(SectionHandle, ObSectionType,
                                                (PVOID *)&Section);

    if (!NT_SUCCESS(Status))
        return Status;
    Status = MiReferenceTargetProcess(ProcessHandle, &Process);
    if (NT_SUCCESS(Status))
    {
        Status = MiMapViewOfSection(Section, Process, BaseAddress, ZeroBits, CommitSize,
                                    SectionOffset, ViewSize, InheritDisposition,
                                    AllocationType, Win32Protect);
        ObDereferenceObject(Process);
    }
    ObDereferenceObject(Section);
    return Status;
}

/* The process a handle names, referenced, if it still has an address space to map into. */
static NTSTATUS MiReferenceTargetProcess(HANDLE ProcessHandle, PEPROCESS *Process)
{
    NTSTATUS Status = ObReferenceObjectByHandle(ProcessHandle, ObProcessType, (PVOID *)Process);

    if (NT_SUCCESS(Status) && (!(*Process)->AddressSpaceCreated || (*Process)->Exited))
    {
        ObDereferenceObject(*Process);
        Status = STATUS_PROCESS_IS_TERMINATING;
    }
    return Status;
}

/* The view's VAD in the current (possibly attached) address space. */
static NTSTATUS MiInsertView(PSECTION Section, ULONG_PTR *BaseOut, ULONG_PTR Size,
                             ULONG FirstPage, ULONG Protection, ULONG_PTR ZeroBits,
                             ULONG InheritDisposition, ULONG AllocationType);

static NTSTATUS MiMapViewOfSection(PSECTION Section, PEPROCESS Process, PVOID *BaseAddress,
                                   ULONG_PTR ZeroBits, SIZE_T CommitSize,
                                   PULONGLONG SectionOffset, PSIZE_T ViewSize,
                                   ULONG InheritDisposition, ULONG AllocationType,
                                   ULONG Win32Protect)
{
    PEPROCESS Caller = PsGetCurrentProcess();
    ULONGLONG Offset = 0;
    ULONG_PTR Base, Size, CallerBase, CallerSize;
    ULONG Protection, FirstPage;
    NTSTATUS Status;

    if (ZeroBits > MI_MAX_ZERO_BITS)
        return STATUS_INVALID_PARAMETER_4;
    if (InheritDisposition != ViewShare && InheritDisposition != ViewUnmap)
        return STATUS_INVALID_PARAMETER_8;
    if ((AllocationType & ~MEM_TOP_DOWN) != 0)
        return STATUS_INVALID_PARAMETER_9;
    Protection = MiMakeProtectionMask(Win32Protect);
    if (Protection == MM_INVALID_PROTECTION || (Protection & MM_PROTECT_SPECIAL) != 0)
        return STATUS_INVALID_PAGE_PROTECTION;
    if (!(MiCompatibleViewAccess[Section->Protection & MM_PROTECT_ACCESS] &
          MI_ACCESS_BIT(Protection & MM_PROTECT_ACCESS)))
        return STATUS_SECTION_PROTECTION;
    if (BaseAddress == NULL)
        return STATUS_INVALID_PARAMETER_3;
    if (ViewSize == NULL)
        return STATUS_INVALID_PARAMETER_7;
    /* Both in-out pointers writable before their values are looked at (NT's order). */
    Status = ProbeForWrite(BaseAddress, sizeof(*BaseAddress), 1);
    if (NT_SUCCESS(Status))
        Status = ProbeForWrite(ViewSize, sizeof(*ViewSize), 1);
    if (NT_SUCCESS(Status))
        Status = MmCopyFromUser(&Base, BaseAddress, sizeof(Base));
    if (NT_SUCCESS(Status))
        Status = MmCopyFromUser(&Size, ViewSize, sizeof(Size));
    if (NT_SUCCESS(Status) && SectionOffset != NULL)
        Status = MmCopyFromUser(&Offset, SectionOffset, sizeof(Offset));
    if (!NT_SUCCESS(Status))
        return Status;
    CallerBase = Base;
    CallerSize = Size;
    if ((Offset & (MM_VIRTMEM_GRANULARITY - 1)) != 0 ||
        Offset >= (ULONGLONG)Section->SizeOfSection * PAGE_SIZE)
        return STATUS_INVALID_PARAMETER_6;
    FirstPage = (ULONG)(Offset >> PAGE_SHIFT);
    if (Size == 0)
        Size = (Section->SizeOfSection - FirstPage) * PAGE_SIZE;
    Size = ALIGN_UP_BY(Size, PAGE_SIZE);
    if (Size == 0 || Size / PAGE_SIZE > Section->SizeOfSection - FirstPage)
        return STATUS_INVALID_VIEW_SIZE;
    if (CommitSize > Size)
        return STATUS_INVALID_PARAMETER_5;

    /* The caller's pointers must take the results before a view exists anywhere: written
     * back now, they cannot fail afterwards (the caller's only thread is in this call). */
    Status = MmCopyToUser(BaseAddress, &Base, sizeof(Base));
    if (NT_SUCCESS(Status))
        Status = MmCopyToUser(ViewSize, &Size, sizeof(Size));
    if (!NT_SUCCESS(Status))
        return Status;
    if (Process != Caller)
        KeAttachProcess(Process);
    Status = MiInsertView(Section, &Base, Size, FirstPage, Protection, ZeroBits,
                          InheritDisposition, AllocationType);
    if (Process != Caller)
        KeAttachProcess(Caller);
    if (!NT_SUCCESS(Status))
    {
        /* No view: the caller's values go back as they were. */
        (void)MmCopyToUser(BaseAddress, &CallerBase, sizeof(CallerBase));
        (void)MmCopyToUser(ViewSize, &CallerSize, sizeof(CallerSize));
        return Status;
    }
    (void)MmCopyToUser(BaseAddress, &Base, sizeof(Base));
    (void)MmCopyToUser(ViewSize, &Size, sizeof(Size));
    return STATUS_SUCCESS;
}

static NTSTATUS MiInsertView(PSECTION Section, ULONG_PTR *BaseOut, ULONG_PTR Size,
                             ULONG FirstPage, ULONG Protection, ULONG_PTR ZeroBits,
                             ULONG InheritDisposition, ULONG AllocationType)
{
    PMMPROCESS_VM Vm = MiGetCurrentProcessVm();
    ULONG_PTR Base = *BaseOut, Highest;
    PMMVAD Vad;
    NTSTATUS Status;

    Highest = ZeroBits != 0 ? (0xFFFFFFFFu >> ZeroBits) : MM_HIGHEST_VAD_ADDRESS;
    if (Highest > MM_HIGHEST_VAD_ADDRESS)
        Highest = MM_HIGHEST_VAD_ADDRESS;
    if (Base != 0)
    {
        if ((Base & (MM_VIRTMEM_GRANULARITY - 1)) != 0 || Base < MM_LOWEST_USER_ADDRESS ||
            Base > Highest || Highest - Base + 1 < Size)
            return STATUS_INVALID_PARAMETER_3;
        if (MiCheckForConflictingVad(&Vm->VadRoot, MI_VA_TO_VPN(Base),
                                     MI_VA_TO_VPN(Base + Size - 1)) != NULL)
            return STATUS_CONFLICTING_ADDRESSES;
    }
    else
    {
        Status = MiFindEmptyAddressRange(&Vm->VadRoot, Size, MM_VIRTMEM_GRANULARITY,
                                         MM_LOWEST_USER_ADDRESS, Highest,
                                         (AllocationType & MEM_TOP_DOWN) != 0, &Base);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    *BaseOut = Base;
    Vad = MiAllocateVad();
    if (Vad == NULL)
        return STATUS_NO_MEMORY;
    Vad->StartingVpn = MI_VA_TO_VPN(Base);
    Vad->EndingVpn = MI_VA_TO_VPN(Base + Size - 1);
    Vad->u.VadFlags.Protection = Protection;
    Vad->u.VadFlags.VadType = VadNone;
    Vad->u.VadFlags.PrivateMemory = 0;
    Vad->u.VadFlags.MemCommit = 1;
    Vad->u.VadFlags.CommitCharge = 0;     /* the section holds the charge */
    Vad->Section = Section;
    Vad->FirstPrototypePte = &Section->PrototypePte[FirstPage];
    Vad->NoInherit = InheritDisposition == ViewUnmap;
    /* A copy-on-write view may give the process a private copy of each of its pages: NT
     * charges them all when the view is mapped, so that a write never fails for commitment. */
    if (MiIsWriteCopyProtection(Protection))
    {
        if (!MiChargeCommitment(Vm, Size / PAGE_SIZE))
        {
            MiFreeVad(Vad);
            return STATUS_COMMITMENT_LIMIT;
        }
        Vad->u.VadFlags.CommitCharge = Size / PAGE_SIZE;
    }
    MiInsertVad(&Vm->VadRoot, Vad);
    Section->MappedViews++;
    ObReferenceObject(Section);
    return STATUS_SUCCESS;
}

/* One process PTE less maps a shared page (trimmed or unmapped; the PTE was valid and is
 * rewritten by the caller): MiDecrementPrototypeShare (pfnlist.c) with the PTE's page table. */
VOID MiDropSharedPte(PMMPTE PointerPte, MMPTE TempPte)
{
    PFN_NUMBER Table = MI_READ_PTE(MiAddressToPte(PointerPte)).u.Hard.PageFrameNumber;

    MiDecrementPrototypeShare(TempPte.u.Hard.PageFrameNumber, Table, TempPte.u.Hard.Dirty);
}

/* The working set trims a shared page (its entry is gone already): the process PTE becomes
 * a prototype PTE, which holds no share of anything: for a view's page the form that says
 * "look up the VAD" (0xFFFFF400 | protection << 5, NT's 0xFFFFF480 for read/write), for a page
 * shared with a clone the fork prototype PTE naming its clone block (mm/clonblk.c). */
VOID MiTrimSharedPage(PMMPTE PointerPte, MMPTE TempPte, ULONG_PTR Va)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber);
    ULONG Index = MiCloneBlockIndexOfPfn(Pfn1);
    PMMVAD Vad = MiLocateVad(&MiGetCurrentProcessVm()->VadRoot, MI_VA_TO_VPN(Va));
    MMPTE NewPte;

    if (Index != 0)
        NewPte.u.Long = MI_MAKE_FORK_PROTO_PTE(Index, MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long));
    else if (Vad != NULL && MI_IS_IMAGE_VIEW_VAD(Vad))
        NewPte.u.Long = MI_MAKE_PROTO_LOOKUP_PTE(MI_PTE_PROTECTION(Pfn1->OriginalPte.u.Long));
    else if (Vad != NULL && MI_IS_VIEW_VAD(Vad))
        NewPte.u.Long = MI_MAKE_PROTO_LOOKUP_PTE(Vad->u.VadFlags.Protection);
    else
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, Va, TempPte.u.Long,
                     (ULONG_PTR)PointerPte);
    MI_WRITE_PTE(PointerPte, NewPte);
    __invlpg((PVOID)Va);
    MiDropSharedPte(PointerPte, TempPte);
}

/* One PTE of a view goes: a section page mapped there leaves the working set and gives back
 * its shares; a private copy (a copy-on-write view's) is freed; a page shared with a clone
 * loses a reference. */
static VOID MiDeleteViewPte(PMMPTE PointerPte, MMPTE TempPte, ULONG_PTR Va)
{
    PMMPFN Pfn1 = TempPte.u.Hard.Valid ? MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber) : NULL;

    if (MI_IS_FORK_PROTO_PTE(TempPte.u.Long) ||
        (Pfn1 != NULL && MiCloneBlockIndexOfPfn(Pfn1) != 0))
    {
        MiDeleteForkPte(PointerPte, TempPte);
    }
    else if (Pfn1 != NULL && Pfn1->u3.e1.PrototypePte)
    {
        MiForgetWorkingSetVa(Va);
        MI_WRITE_PTE(PointerPte, (MMPTE){ { 0 } });
        __invlpg((PVOID)Va);
        MiDropSharedPte(PointerPte, TempPte);
    }
    else if (MI_IS_PROTO_LOOKUP_PTE(TempPte.u.Long))
    {
        MI_WRITE_PTE(PointerPte, (MMPTE){ { 0 } });
    }
    else if (MiIsResidentUserPte(PointerPte, TempPte) ||
             mi_pte_kind(TempPte.u.Long) == MI_PTE_PAGEFILE ||
             mi_pte_kind(TempPte.u.Long) == MI_PTE_DEMAND_ZERO)
    {
        MiWriteUserPte(Va, 0);   /* a private page (a copy, an image's bss) or its PTE */
    }
    else
    {
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, Va, TempPte.u.Long,
                     (ULONG_PTR)PointerPte);
    }
}

/* The view's PTEs go, then the VAD and its charge (a copy-on-write view's); the section loses
 * a view. */
static VOID MiUnmapView(PMMPROCESS_VM Vm, PMMVAD Vad)
{
    PSECTION Section = Vad->Section;
    ULONG_PTR Va;

    for (Va = MI_VPN_TO_VA(Vad->StartingVpn); Va <= MI_VPN_TO_VA_ENDING(Vad->EndingVpn);
         Va += PAGE_SIZE)
    {
        PMMPTE PointerPte = MiAddressToPte(Va);
        MMPTE TempPte;

        if (MI_READ_PTE(MiAddressToPde(Va)).u.Long == 0)
        {
            Va = ALIGN_DOWN_BY(Va, PDE_MAPPED_VA) + PDE_MAPPED_VA - PAGE_SIZE;
            continue;
        }
        /* A page table that left memory may hold "look up the VAD" PTEs: back it comes. */
        if (!MiMakeUserPageTableResident(Va))
            continue;
        TempPte = MI_READ_PTE(PointerPte);
        if (TempPte.u.Long != 0)
            MiDeleteViewPte(PointerPte, TempPte, Va);
    }
    MiReturnCommitment(Vm, Vad->u.VadFlags.CommitCharge);
    MiRemoveVad(&Vm->VadRoot, Vad);
    MiFreeVad(Vad);
    Section->MappedViews--;
    ObDereferenceObject(Section);
}

/* A clone's copy of a view (mm/forksup.c): the section has one view more, and the view holds
 * a reference to it like any other. */
VOID MiReferenceSectionView(PMMVAD Vad)
{
    PSECTION Section = Vad->Section;

    Section->MappedViews++;
    ObReferenceObject(Section);
}

/* NTSTATUS NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress): the view holding
 * BaseAddress goes; touching it afterwards is an access violation. */
NTSTATUS NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress)
{
    PEPROCESS Caller = PsGetCurrentProcess(), Process;
    PMMPROCESS_VM Vm;
    PMMVAD Vad;
    NTSTATUS Status = MiReferenceTargetProcess(ProcessHandle, &Process);

    if (!NT_SUCCESS(Status))
        return Status;
    if (Process != Caller)
        KeAttachProcess(Process);
    Vm = MiGetCurrentProcessVm();
    Vad = MiLocateVad(&Vm->VadRoot, MI_VA_TO_VPN((ULONG_PTR)BaseAddress));
    if (Vad == NULL || !MI_IS_VIEW_VAD(Vad))
        Status = STATUS_NOT_MAPPED_VIEW;
    else
        MiUnmapView(Vm, Vad);
    if (Process != Caller)
        KeAttachProcess(Caller);
    ObDereferenceObject(Process);
    return Status;
}

/* Process end, attached, before its PTEs are torn down: every view unmapped (its handles
 * are closed afterwards, ObKillProcess). */
VOID MiDeleteProcessSections(PEPROCESS Process)
{
    PMMVAD Vad;

    while ((Vad = MiFirstVadAtOrAbove(&Process->Vm.VadRoot, 0)) != NULL)
    {
        PMMVAD Next = Vad;

        while (Next != NULL && !MI_IS_VIEW_VAD(Next))
            Next = MiFirstVadAtOrAbove(&Process->Vm.VadRoot, Next->EndingVpn + 1);
        if (Next == NULL)
            break;
        MiUnmapView(&Process->Vm, Next);
    }
}

/* -------------------------------------------------------------------------- image sections */

/*
 * Image sections (NT's image segments): one per image file (boot module) while any process
 * maps it, so that every process running an image sees the same physical pages of its code
 * and read-only data. Its prototype PTEs cover the image's pages: a page with file bytes is
 * the image form 0xFFFFF400 | protection << 5 (its protection in the view: writable data is
 * PAGE_WRITECOPY) until the first touch reads it (MiReadImageSectionPage), which any other
 * process then finds valid, or in transition once trimmed; a bss-only page or a hole has a
 * zero prototype and is never used (the process PTE there is private demand zero, or zero).
 * The section holds no commitment (the file backs it); each view is charged its size, as a
 * copy-on-write view is. No handle: the views hold it, and the last one going deletes it.
 */
static VOID MiInitializeProtoPfn(PFN_NUMBER Page, PMMPTE ProtoPte, MMPTE OriginalPte,
                                 BOOLEAN Modified);

static PSECTION MiFindImageSection(PLDR_MODULE Module)
{
    ULONG Index;

    for (Index = 0; Index < MI_MAX_SECTIONS; Index++)
        if (MiSections[Index].ObjectHeader.Type != 0 && MiSections[Index].Image &&
            MiSections[Index].Module == Module)
            return &MiSections[Index];
    return NULL;
}

static NTSTATUS MiCreateImageSection(PLDR_MODULE Module, const LDR_IMAGE_SEGMENT *Segments,
                                     ULONG SegmentCount, ULONG ImageBase, ULONG Pages,
                                     PSECTION *SectionOut)
{
    PSECTION Section;
    ULONG Index, Pool, Protection;
    BOOLEAN FileBytes;

    if (SegmentCount > LDR_MAX_SEGMENTS)
        return STATUS_INVALID_IMAGE_FORMAT;
    for (Index = 0; Index < MI_MAX_SECTIONS && MiSections[Index].ObjectHeader.Type; Index++)
        ;
    if (Index == MI_MAX_SECTIONS)
        return STATUS_INSUFFICIENT_RESOURCES;
    Pool = MiAllocatePrototypePtes(Pages);
    if (Pool == MI_PROTOTYPE_POOL_PTES)
        return STATUS_SECTION_TOO_BIG;
    Section = MiInitializeSection(Index, Pages, MM_EXECUTE_WRITECOPY, Pool);
    Section->Image = TRUE;
    Section->Module = Module;
    Section->ImageBase = ImageBase;
    Section->SegmentCount = SegmentCount;
    memcpy(Section->Segments, Segments, SegmentCount * sizeof(*Segments));
    for (Index = 0; Index < Pages; Index++)
    {
        Protection = LdrImagePageProtection(Segments, SegmentCount,
                                            ImageBase + Index * PAGE_SIZE, &FileBytes);
        if (Protection != 0 && FileBytes)
            Section->PrototypePte[Index].u.Long =
                MI_MAKE_PROTO_LOOKUP_PTE(MI_IMAGE_VIEW_PROTECTION(Protection));
    }
    DbgPrint("mm: image section for %s: %u pages at 0x%08X\n", Module->Name, Pages, ImageBase);
    *SectionOut = Section;
    return STATUS_SUCCESS;
}

NTSTATUS MiMapImageView(PLDR_MODULE Module, const LDR_IMAGE_SEGMENT *Segments,
                        ULONG SegmentCount, ULONG ImageBase, ULONG ImageEnd)
{
    PMMPROCESS_VM Vm = MiGetCurrentProcessVm();
    ULONG Pages = (ImageEnd - ImageBase) / PAGE_SIZE;
    PSECTION Section = MiFindImageSection(Module);
    BOOLEAN Created = FALSE;
    PMMVAD Vad;
    NTSTATUS Status = STATUS_SUCCESS;

    if (Section != NULL && (Section->ImageBase != ImageBase || Section->SizeOfSection != Pages))
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, ImageBase, Pages,
                     Section->SizeOfSection);   /* one file, two layouts: cannot be */
    if (Section == NULL)
    {
        Status = MiCreateImageSection(Module, Segments, SegmentCount, ImageBase, Pages, &Section);
        if (!NT_SUCCESS(Status))
            return Status;
        Created = TRUE;
    }
    if (MiCheckForConflictingVad(&Vm->VadRoot, MI_VA_TO_VPN(ImageBase),
                                 MI_VA_TO_VPN(ImageEnd - 1)) != NULL)
        Status = STATUS_CONFLICTING_ADDRESSES;
    else if ((Vad = MiAllocateVad()) == NULL)
        Status = STATUS_NO_MEMORY;
    else if (!MiChargeCommitment(Vm, Pages))
    {
        MiFreeVad(Vad);
        Status = STATUS_COMMITMENT_LIMIT;
    }
    else
    {
        Vad->StartingVpn = MI_VA_TO_VPN(ImageBase);
        Vad->EndingVpn = MI_VA_TO_VPN(ImageEnd - 1);
        Vad->u.LongFlags = 0;
        Vad->u.VadFlags.Protection = MM_EXECUTE_WRITECOPY;
        Vad->u.VadFlags.VadType = VadImageMap;
        Vad->u.VadFlags.PrivateMemory = 0;
        Vad->u.VadFlags.MemCommit = 1;
        Vad->u.VadFlags.CommitCharge = Pages;
        Vad->Section = Section;
        Vad->FirstPrototypePte = Section->PrototypePte;
        Vad->NoInherit = FALSE;
        MiInsertVad(&Vm->VadRoot, Vad);
        Section->MappedViews++;
        ObReferenceObject(Section);
    }
    if (Created)
        ObDereferenceObject(Section);   /* the creator's reference: the views keep it now */
    return Status;
}

BOOLEAN MiImageViewProtection(PMMVAD Vad, ULONG_PTR Va, PULONG Protection)
{
    MMPTE TempProto = MI_READ_PTE(Vad->FirstPrototypePte + (MI_VA_TO_VPN(Va) - Vad->StartingVpn));
    PFN_NUMBER Page;

    if (TempProto.u.Hard.Valid)
        Page = TempProto.u.Hard.PageFrameNumber;
    else if (TempProto.u.Soft.Transition && !TempProto.u.Soft.Prototype)
        Page = TempProto.u.Trans.PageFrameNumber;
    else if (MI_IS_PROTO_LOOKUP_PTE(TempProto.u.Long))
    {
        *Protection = MI_PTE_PROTECTION(TempProto.u.Long);
        return TRUE;
    }
    else
        return FALSE;
    *Protection = MI_PTE_PROTECTION(MI_PFN_ELEMENT(Page)->OriginalPte.u.Long);
    return TRUE;
}

/*
 * NtProtectVirtualMemory on an image view (NT keeps a changed protection per process beside
 * the shared page; pagevisor gives the process its own copy instead, which the view's
 * commitment covers already): each page whose protection changes and that is still the
 * section's is brought in (a read through the process's own mapping: its current protection
 * allows reading, it is the section's) and copied as on a write. Then it is a private page,
 * and takes any protection like one.
 */
NTSTATUS MiMakeImagePagesPrivate(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa,
                                 ULONG Protection)
{
    ULONG_PTR Va;
    ULONG Current;
    UCHAR Byte;
    MMPTE TempPte;
    NTSTATUS Status;

    for (Va = StartVa; Va <= EndVa; Va += PAGE_SIZE)
    {
        if (!MiQueryPageProtection(Vad, Va, &Current) || Current == Protection)
            continue;
        TempPte.u.Long = MiMakeUserPageTableResident(Va) ? MI_READ_PTE(MiAddressToPte(Va)).u.Long
                                                        : 0;
        if (TempPte.u.Long != 0 && !MI_IS_PROTO_LOOKUP_PTE(TempPte.u.Long) &&
            !(TempPte.u.Hard.Valid &&
              MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber)->u3.e1.PrototypePte))
            continue;   /* private already: a copy, or bss */
        while (!MiEnsureAvailablePages(1))
        {
            Status = MiWaitForAvailablePages(1);
            if (!NT_SUCCESS(Status))
                return Status;
        }
        Status = MmCopyFromUser(&Byte, (PCVOID)Va, 1);
        if (!NT_SUCCESS(Status))
            return Status;
        TempPte = MI_READ_PTE(MiAddressToPte(Va));
        if (!TempPte.u.Hard.Valid ||
            !MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber)->u3.e1.PrototypePte)
            continue;
        Status = MiCopyOnWrite(MiAddressToPte(Va), TempPte, Va,
                               MiMakeWriteCopyWritable(Current));
        if (!NT_SUCCESS(Status))
            return Status;
    }
    return STATUS_SUCCESS;
}

/*
 * Clustered section page-ins (the read-around of mm/pagein.c for a section's prototype PTEs):
 * the faulting prototype and the following, then preceding, prototypes of the same section
 * whose pages come from the next (previous) pages of the same backing store are read in one
 * host call, up to the section's read-around size (MiReadAroundSize: the base size for its
 * first read, doubled for each sequential fault, 1 page after a random one; free memory
 * bounds it). Image pages: base NT's 8 pages for code (an executable protection), 4 for data;
 * a neighbour joins if its prototype still says "read the image" and its page is read whole
 * from the file at the next (previous) file page (LdrImagePageFileOffset); a page made of
 * several segments or at an offset not congruent with its address is read alone. Pagefile
 * pages: base MmReadClusterSize; a neighbour joins if its prototype is a pagefile PTE for the
 * next (previous) slot. The faulting prototype becomes valid; each extra page becomes a section
 * page in transition (its prototype a transition PTE, its PFN PrototypePte with the prototype's
 * old PTE as OriginalPte) on the Standby list, so a later touch by any process is a soft fault.
 */
#define MI_IMAGE_CODE_CLUSTER 8u
#define MI_IMAGE_DATA_CLUSTER 4u

/* May prototype Index (of the section's image) join a cluster, its page at file Offset? */
static BOOLEAN MiImageClusterPage(PSECTION Section, ULONG Index, ULONG Offset)
{
    ULONG PageOffset;

    return Index < Section->SizeOfSection &&
           MI_IS_PROTO_LOOKUP_PTE(MI_READ_PTE(&Section->PrototypePte[Index]).u.Long) &&
           LdrImagePageFileOffset(Section->Segments, Section->SegmentCount,
                                  Section->ImageBase + Index * PAGE_SIZE, &PageOffset) &&
           PageOffset == Offset;
}

/* Prototype PTEs read in one cluster: Count of them from First, Stride PTEs apart (a
 * section's array, or the clone blocks' pool), the entries in use said by InUse (NULL: all). */
typedef struct _MI_PROTO_ARRAY
{
    PMMPTE First;
    ULONG Stride, Count;
    BOOLEAN (*InUse)(ULONG Index);
    PMI_READ_AROUND ReadAround;
} MI_PROTO_ARRAY, *PMI_PROTO_ARRAY;

#define MI_PROTO_AT(Array, Index) ((Array)->First + (Index) * (Array)->Stride)

/* May prototype Index join a pagefile cluster, its page in Slot (same paging file as Like)? */
static BOOLEAN MiPagefileClusterPage(PMI_PROTO_ARRAY Array, ULONG Index, ULONG Slot, MMPTE Like)
{
    ULONG Value;

    if (Index >= Array->Count || (Array->InUse != NULL && !Array->InUse(Index)))
        return FALSE;
    Value = MI_READ_PTE(MI_PROTO_AT(Array, Index)).u.Long;
    return MI_PTE_HAS_PAGEFILE_SLOT(Value) && MI_PAGEFILE_HIGH(Value) == Slot &&
           MI_PAGEFILE_LOW(Value) == MI_PAGEFILE_LOW(Like.u.Long);
}

/* Frames for prototypes [First, First + Count) of which Index faulted: the faulting one must
 * get one; the cluster is cut where a neighbour does not. The count got, 0 if Index got none. */
static ULONG MiGetClusterPages(ULONG First, ULONG Count, ULONG Index, PFN_NUMBER *Pages)
{
    ULONG i;

    for (i = 0; i < Count; i++)
    {
        Pages[i] = MmAvailablePages != 0 ? MiRemoveAnyPage() : 0;
        if (Pages[i] == 0)
            break;
    }
    if (First + i > Index)
        return i;
    while (i > 0)
        MiInsertPageInFreeList(Pages[--i]);
    return 0;
}

/* The pages read for prototypes [First, First + Count) become the section's (the clone
 * blocks'): the faulting one (Index) valid, the others in transition on the Standby list. */
static VOID MiPlaceClusterPages(PMI_PROTO_ARRAY Array, ULONG First, ULONG Count, ULONG Index,
                                const PFN_NUMBER *Pages)
{
    ULONG i;

    for (i = 0; i < Count; i++)
    {
        PMMPTE ProtoPte = MI_PROTO_AT(Array, First + i);
        MMPTE Original = MI_READ_PTE(ProtoPte);

        MiInitializeProtoPfn(Pages[i], ProtoPte, Original, FALSE);
        if (First + i == Index)
        {
            MI_WRITE_PTE(ProtoPte, (MMPTE){ { PTE_FROM_PFN(Pages[i]) | PTE_VALID | PTE_WRITE |
                                              PTE_ACCESSED } });
            continue;
        }
        MI_WRITE_PTE(ProtoPte, (MMPTE){ { MI_MAKE_TRANSITION_PTE(
                                             Pages[i], MI_PTE_PROTECTION(Original.u.Long)) } });
        MiDecrementReferenceCount(MI_PFN_ELEMENT(Pages[i]), Pages[i]);
        MmInfoCounters.ClusterPagesRead++;
    }
}

/* The first touch of an image page by any process: the page (and its cluster) read from the
 * image file for the section (its PFN: a section page whose OriginalPte is the image PTE, so
 * that a reused frame makes the prototype say "read the image" again).
 * STATUS_PAGE_FAULT_PAGING_FILE, or an in-page error for the process PTE that touched it. */
static NTSTATUS MiReadImageSectionPage(PSECTION Section, PMMPTE ProtoPte, PMMPTE PointerPte)
{
    MI_PROTO_ARRAY Array = { Section->PrototypePte, 1, Section->SizeOfSection, NULL,
                             &Section->ReadAround };
    ULONG Index = (ULONG)(ProtoPte - Section->PrototypePte);
    ULONG Protection = MI_PTE_PROTECTION(MI_READ_PTE(ProtoPte).u.Long);
    ULONG First = Index, Count = 1, Limit, Offset, j;
    PFN_NUMBER Pages[PV_PAGEFILE_CLUSTER_MAX];
    NTSTATUS Status;

    Limit = MiReadAroundSize(&Section->ReadAround, Index,
                             (Protection & MM_EXECUTE) ? MI_IMAGE_CODE_CLUSTER
                                                       : MI_IMAGE_DATA_CLUSTER);
    MiFaultBacking = Section->Module->InKernel ? PV_BACKING_SYSTEM_DLL
                                               : PV_BACKING_IMAGE | Section->Module->Index;
    MiFaultBackingOffset = PV_BACKING_OFFSET_NONE;
    if (LdrImagePageFileOffset(Section->Segments, Section->SegmentCount,
                               Section->ImageBase + Index * PAGE_SIZE, &Offset))
    {
        MiFaultBackingOffset = Offset;
        for (j = 1; Count < Limit && MiImageClusterPage(Section, Index + j, Offset + j * PAGE_SIZE);
             j++)
            Count++;
        for (j = 1; Count < Limit && j <= Index && Offset >= j * PAGE_SIZE &&
                    MiImageClusterPage(Section, Index - j, Offset - j * PAGE_SIZE);
             j++)
        {
            First--;
            Count++;
        }
    }
    Count = MiGetClusterPages(First, Count, Index, Pages);
    if (Count == 0)
        return STATUS_NO_MEMORY;
    MiReadAroundDone(&Section->ReadAround, First, Count);
    Status = LdrReadImagePages(Section->Module, Section->Segments, Section->SegmentCount,
                               Section->ImageBase + First * PAGE_SIZE, Count, Pages);
    MmInfoCounters.ImageReadIoCount++;
    if (!NT_SUCCESS(Status))
    {
        for (j = 0; j < Count; j++)
            MiInsertPageInFreeList(Pages[j]);
        return MiInPageError(PointerPte, Status);
    }
    MmInfoCounters.ImagePagesRead += Count;
    MiPlaceClusterPages(&Array, First, Count, Index, Pages);
    return STATUS_PAGE_FAULT_PAGING_FILE;
}

/* A prototype page in the pagefile (its prototype a pagefile PTE) read back with its cluster;
 * each page's slot stays its clean copy. STATUS_PAGE_FAULT_PAGING_FILE, or an in-page error
 * (pages of the cluster read before the failure are good and go to Standby). */
static NTSTATUS MiReadPagefilePrototypes(PMI_PROTO_ARRAY Array, ULONG Index)
{
    MMPTE TempProto = MI_READ_PTE(MI_PROTO_AT(Array, Index));
    ULONG Slot = MI_PAGEFILE_HIGH(TempProto.u.Long), First = Index, Count = 1, Limit, j, Done = 0;
    PFN_NUMBER Pages[PV_PAGEFILE_CLUSTER_MAX];
    LONG Result;

    Limit = MiReadAroundSize(Array->ReadAround, Index, MmReadClusterSize);
    for (j = 1; Count < Limit && MiPagefileClusterPage(Array, Index + j, Slot + j, TempProto);
         j++)
        Count++;
    for (j = 1; Count < Limit && j <= Index && Slot > j &&
                MiPagefileClusterPage(Array, Index - j, Slot - j, TempProto);
         j++)
    {
        First--;
        Count++;
    }
    Count = MiGetClusterPages(First, Count, Index, Pages);
    if (Count == 0)
        return STATUS_NO_MEMORY;
    MiReadAroundDone(Array->ReadAround, First, Count);
    MmInfoCounters.PageReadIoCount++;
    MmInfoCounters.PrototypeReadIoCount++;
    Result = HvPagefileIo(PV_PAGEFILE_READ, Slot - (Index - First), Count, Pages, &Done);
    if (Result == PV_OK)
        Done = Count;
    else if (Done > Count)
        Done = 0;
    for (j = Done; j < Count; j++)
        MiInsertPageInFreeList(Pages[j]);
    MmInfoCounters.PagesRead += Done;
    MmInfoCounters.PrototypePagesRead += Done;
    MiPlaceClusterPages(Array, First, Done, Index, Pages);
    if (First + Done <= Index)
    {
        /* The faulting page was not read: the good ones before it still went to Standby. */
        MmInfoCounters.InPageErrors++;
        return STATUS_IN_PAGE_ERROR;
    }
    return STATUS_PAGE_FAULT_PAGING_FILE;
}

static NTSTATUS MiReadSectionPagefilePage(PSECTION Section, PMMPTE ProtoPte)
{
    MI_PROTO_ARRAY Array = { Section->PrototypePte, 1, Section->SizeOfSection, NULL,
                             &Section->ReadAround };

    return MiReadPagefilePrototypes(&Array, (ULONG)(ProtoPte - Section->PrototypePte));
}

/* Clone blocks (mm/clonblk.c) are one pool: blocks allocated one after another for the pages
 * of one fork lie side by side, often in consecutive slots once written. One read-around for
 * the pool. */
static MI_READ_AROUND MiCloneBlockReadAround;

_Static_assert(sizeof(MMCLONE_BLOCK) % sizeof(MMPTE) == 0 &&
                   __builtin_offsetof(MMCLONE_BLOCK, ProtoPte) == 0,
               "clone blocks' prototype PTEs are a strided array of MMPTEs");

static BOOLEAN MiCloneBlockInUse(ULONG Index)
{
    return MmCloneBlocks[Index].CloneRefCount != 0;
}

NTSTATUS MiReadCloneBlockPagefilePage(ULONG Index)
{
    MI_PROTO_ARRAY Array = { &MmCloneBlocks[0].ProtoPte,
                             sizeof(MMCLONE_BLOCK) / sizeof(MMPTE), MI_CLONE_BLOCKS,
                             MiCloneBlockInUse, &MiCloneBlockReadAround };

    return MiReadPagefilePrototypes(&Array, Index);
}

/* ------------------------------------------------------------------------------ the fault */

/* A section page comes into use (its prototype PTE made valid by the caller): no PTE maps
 * it yet. */
static VOID MiInitializeProtoPfn(PFN_NUMBER Page, PMMPTE ProtoPte, MMPTE OriginalPte,
                                 BOOLEAN Modified)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

    Pfn1->PteAddress = ProtoPte;
    Pfn1->OriginalPte = OriginalPte;
    Pfn1->u1.WsIndex = 0;
    Pfn1->u2.ShareCount = 0;
    Pfn1->u3.ReferenceCount = 1;
    Pfn1->u3.e2.ShortFlags = 0;
    Pfn1->u3.e1.PageLocation = ActiveAndValid;
    Pfn1->u3.e1.PrototypePte = 1;
    Pfn1->u3.e1.Modified = Modified ? 1 : 0;
    Pfn1->u4.EntireFrame = 0;
}

/*
 * A prototype PTE (a section's, or a clone block's: mm/clonblk.c) resolved for PointerPte (page
 * table resident and held, protection checked). The prototype decides:
 *   valid       the page is mapped elsewhere: one more share;
 *   transition  the page is on the Standby or Modified list: taken back (no I/O);
 *   pagefile    the page is read back (one page; the slot stays its clean copy);
 *   zero        demand zero: a zeroed page whose OriginalPte is DemandZero.
 * Then the process PTE becomes valid and the page joins the working set. CopyOnWrite: a page
 * still shared with a clone, mapped read-only + copy on write even where the protection lets
 * the process write (a write gets its own copy, mm/wrtfault.c).
 */
NTSTATUS MiResolvePrototype(PMMPTE PointerPte, PMMPTE ProtoPte, ULONG_PTR Va, ULONG Protection,
                            BOOLEAN Write, BOOLEAN CopyOnWrite, MMPTE DemandZero,
                            PFN_NUMBER *PageOut)
{
    MMPTE TempProto = MI_READ_PTE(ProtoPte), TempPde = MI_READ_PTE(MiAddressToPde(Va));
    PFN_NUMBER Page, Table = TempPde.u.Hard.PageFrameNumber;
    PMMPFN Pfn1;
    MMPTE TempPte;
    NTSTATUS Status = STATUS_SUCCESS;
    ULONG Done;

    if (TempProto.u.Hard.Valid)
    {
        Page = TempProto.u.Hard.PageFrameNumber;
    }
    else if (TempProto.u.Soft.Transition && !TempProto.u.Soft.Prototype)
    {
        Page = TempProto.u.Trans.PageFrameNumber;
        Pfn1 = MI_PFN_ELEMENT(Page);
        if (MI_PFN_PTE_ADDRESS(Pfn1) != ProtoPte || Pfn1->u3.ReferenceCount != 0 ||
            Pfn1->u3.e1.ReadInProgress || Pfn1->u3.e1.WriteInProgress)
            KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_TRANSITION_PAGE, (ULONG_PTR)ProtoPte,
                         TempProto.u.Long, Page);
        MiUnlinkPageFromList(Pfn1);
        Pfn1->u3.ReferenceCount = 1;
        Pfn1->u3.e1.PageLocation = ActiveAndValid;
        Status = STATUS_PAGE_FAULT_TRANSITION;
    }
    else if (MI_PTE_HAS_PAGEFILE_SLOT(TempProto.u.Long))
    {
        Page = MmAvailablePages != 0 ? MiRemoveAnyPage() : 0;
        if (Page == 0)
            return STATUS_NO_MEMORY;
        MmInfoCounters.PageReadIoCount++;
        MmInfoCounters.PrototypeReadIoCount++;
        if (HvPagefileIo(PV_PAGEFILE_READ, MI_PAGEFILE_HIGH(TempProto.u.Long), 1, &Page,
                         &Done) != PV_OK)
        {
            MmInfoCounters.InPageErrors++;
            MiInsertPageInFreeList(Page);
            return STATUS_IN_PAGE_ERROR;
        }
        MmInfoCounters.PagesRead++;
        MmInfoCounters.PrototypePagesRead++;
        MiInitializeProtoPfn(Page, ProtoPte, TempProto, FALSE);
        Status = STATUS_PAGE_FAULT_PAGING_FILE;
    }
    else if ((TempProto.u.Long == 0 || mi_pte_kind(TempProto.u.Long) == MI_PTE_DEMAND_ZERO) &&
             DemandZero.u.Long != 0)
    {
        Page = MmAvailablePages != 0 ? MiRemoveZeroPage() : 0;
        if (Page == 0)
            return STATUS_NO_MEMORY;
        MiInitializeProtoPfn(Page, ProtoPte, DemandZero, FALSE);
        Status = STATUS_PAGE_FAULT_DEMAND_ZERO;
    }
    else
    {
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_UNKNOWN_PTE, Va, TempProto.u.Long,
                     (ULONG_PTR)ProtoPte);
    }
    if (!TempProto.u.Hard.Valid)
        MI_WRITE_PTE(ProtoPte, (MMPTE){ { PTE_FROM_PFN(Page) | PTE_VALID | PTE_WRITE |
                                          PTE_ACCESSED } });
    Pfn1 = MI_PFN_ELEMENT(Page);
    Pfn1->u2.ShareCount++;
    MI_PFN_ELEMENT(Table)->u2.ShareCount++;
    if (CopyOnWrite && MiIsAccessAllowed(Protection, TRUE))
        Protection = (Protection & ~MM_PROTECT_ACCESS) |
                     ((Protection & MM_PROTECT_ACCESS) == MM_EXECUTE_READWRITE
                          ? MM_EXECUTE_WRITECOPY : MM_WRITECOPY);
    TempPte = MiMakeUserValidPte(Page, Protection, Write);
    MI_WRITE_PTE(PointerPte, TempPte);
    __invlpg((PVOID)Va);
    MiAddToWorkingSet(ALIGN_DOWN_BY(Va, PAGE_SIZE), Page, FALSE);
    *PageOut = Page;
    return Status;
}

/*
 * A fault on a view page (page table resident and held, protection checked against the VAD;
 * the process PTE is zero or the "look up the VAD" form): the section's prototype PTE is
 * resolved. In a copy-on-write view a write then gives the process its own copy at once
 * (STATUS_PAGE_FAULT_COPY_ON_WRITE), a read maps the section's page read-only + copy on write.
 */
NTSTATUS MiResolveProtoPteFault(PMMPTE PointerPte, PMMVAD Vad, ULONG_PTR Va, ULONG Protection,
                                BOOLEAN Write)
{
    PMMPTE ProtoPte = Vad->FirstPrototypePte + (MI_VA_TO_VPN(Va) - Vad->StartingVpn);
    PSECTION Section = Vad->Section;
    MMPTE DemandZero = { { MI_MAKE_DEMAND_ZERO_PTE(Section->Protection) } };
    PFN_NUMBER Page;
    NTSTATUS Status, ReadStatus = STATUS_SUCCESS;

    if (MI_READ_PTE(ProtoPte).u.Long == 0 && Section->Reserve)
        return STATUS_ACCESS_VIOLATION;   /* reserved, not committed */
    if ((Section->Image || Section->File != NULL) &&
        MI_IS_PROTO_LOOKUP_PTE(MI_READ_PTE(ProtoPte).u.Long))
    {
        /* The image's or the file's page is read for the section; then it is mapped like any
         * valid one. */
        ReadStatus = Section->Image ? MiReadImageSectionPage(Section, ProtoPte, PointerPte)
                                    : MiReadFileSectionPage(Section, ProtoPte, PointerPte);
        if (!NT_SUCCESS(ReadStatus))
            return ReadStatus;
    }
    else if (MI_PTE_HAS_PAGEFILE_SLOT(MI_READ_PTE(ProtoPte).u.Long))
    {
        /* Read back with its cluster for the section, then mapped like any valid one. */
        ReadStatus = MiReadSectionPagefilePage(Section, ProtoPte);
        if (!NT_SUCCESS(ReadStatus))
            return ReadStatus;
    }
    Status = MiResolvePrototype(PointerPte, ProtoPte, Va, Protection, Write, FALSE, DemandZero,
                                &Page);
    if (NT_SUCCESS(Status) && ReadStatus == STATUS_PAGE_FAULT_PAGING_FILE)
        Status = ReadStatus;
    if (!NT_SUCCESS(Status) || !Write || !MiIsWriteCopyProtection(Protection))
        return Status;
    return MiCopyOnWrite(PointerPte, MI_READ_PTE(PointerPte), Va,
                         MiMakeWriteCopyWritable(Protection));
}

/*
 * MEM_COMMIT inside a view (NtAllocateVirtualMemory): the section's pages behind
 * [StartVa, EndVa]. A SEC_COMMIT section is committed already; in a SEC_RESERVE one each zero
 * prototype PTE becomes a demand-zero PTE with the section's protection, charged against the
 * commit limit (the section holds the charge until it goes).
 */
NTSTATUS MiCommitViewPages(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa, ULONG Protection)
{
    PSECTION Section = Vad->Section;
    PMMPTE First = Vad->FirstPrototypePte + (MI_VA_TO_VPN(StartVa) - Vad->StartingVpn);
    ULONG Count = MI_VA_TO_VPN(EndVa) - MI_VA_TO_VPN(StartVa) + 1, Index, New = 0;

    if (Protection != Vad->u.VadFlags.Protection)
        return STATUS_INVALID_PAGE_PROTECTION;
    if (!Section->Reserve)
        return STATUS_SUCCESS;
    for (Index = 0; Index < Count; Index++)
        New += First[Index].u.Long == 0;
    if (New > MmTotalCommitLimit || MmTotalCommittedPages > MmTotalCommitLimit - New)
        return STATUS_COMMITMENT_LIMIT;
    for (Index = 0; Index < Count; Index++)
        if (First[Index].u.Long == 0)
            First[Index].u.Long = MI_MAKE_DEMAND_ZERO_PTE(Section->Protection);
    MmTotalCommittedPages += New;
    Section->CommittedPages += New;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------- mapped files */

/*
 * A mapped file's data section (NtCreateSection with a file handle; NT's data file segment):
 * its prototype PTEs start in the "read the file" form (0xFFFFF400 | protection << 5, the
 * image form) and the first touch reads the page from the volume's file (MiReadFileSectionPage,
 * PV_FAULT_FILE_READ); the page's OriginalPte keeps that form, so a clean page whose frame is
 * reused is read from the file again, and a dirty one goes to the Modified list (also without
 * a pagefile), from where the mapped page writer (mm/modwrite.c) writes it back to the file,
 * never to the pagefile. NtFlushVirtualMemory writes a view's dirty pages now; the section's
 * last view and handle gone, everything dirty is written before its pages are freed. The
 * section holds no commitment: the file backs every page. One data section per file object
 * (a second NtCreateSection on it opens the same one).
 */
static NTSTATUS MiCreateFileSection(PHANDLE SectionHandle, PVOID ObjectAttributes,
                                    ULONGLONG Size, ULONG Win32Protect,
                                    ULONG AllocationAttributes, HANDLE FileHandle)
{
    OB_CAPTURED_NAME Name;
    PFILE_OBJECT File;
    PSECTION Section;
    ULONG Protection = MiMakeProtectionMask(Win32Protect), Pages, Index, Pool;
    NTSTATUS Status;
    LONG Result;

    if (AllocationAttributes != SEC_COMMIT)
        return STATUS_INVALID_PARAMETER_6;
    if (Protection == MM_INVALID_PROTECTION || (Protection & MM_PROTECT_SPECIAL) != 0 ||
        MiIsWriteCopyProtection(Protection))
        return STATUS_INVALID_PAGE_PROTECTION;
    Status = ProbeForWrite(SectionHandle, sizeof(*SectionHandle), 1);
    if (NT_SUCCESS(Status))
        Status = ObCaptureObjectAttributes(ObjectAttributes, &Name);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(FileHandle, ObFileType, (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Size == 0)
        Size = File->EndOfFile;
    if (MiIsAccessAllowed(Protection, TRUE) && !File->Writable)
        Status = STATUS_ACCESS_DENIED;   /* a read-only file gets no writable view */
    else if (Size == 0)
        Status = STATUS_MAPPED_FILE_SIZE_ZERO;
    else if (Size > (ULONGLONG)MI_PROTOTYPE_POOL_PTES * PAGE_SIZE ||
             (Size > File->EndOfFile && !File->Writable))
        Status = STATUS_SECTION_TOO_BIG;
    else if (File->Section != NULL)
    {
        /* The file's section exists: another handle to it, if it covers as much. */
        Section = File->Section;
        Status = Size > Section->FileBytes ? STATUS_SECTION_TOO_BIG
               : MiIsAccessAllowed(Protection, TRUE) &&
                         !MiIsAccessAllowed(Section->Protection, TRUE)
                   ? STATUS_ACCESS_DENIED
                   : ObInsertHandleForUser(Section, SectionHandle);
    }
    else
        Status = STATUS_MORE_PROCESSING_REQUIRED;
    if (Status != STATUS_MORE_PROCESSING_REQUIRED)
    {
        ObDereferenceObject(File);
        return Status;
    }

    Pages = (ULONG)((Size + PAGE_SIZE - 1) >> PAGE_SHIFT);
    for (Index = 0; Index < MI_MAX_SECTIONS && MiSections[Index].ObjectHeader.Type; Index++)
        ;
    Pool = Index < MI_MAX_SECTIONS ? MiAllocatePrototypePtes(Pages) : MI_PROTOTYPE_POOL_PTES;
    if (Pool == MI_PROTOTYPE_POOL_PTES)
    {
        ObDereferenceObject(File);
        return Index < MI_MAX_SECTIONS ? STATUS_SECTION_TOO_BIG : STATUS_INSUFFICIENT_RESOURCES;
    }
    /* A section larger than the file makes the file that large (NT's rule). */
    if (Size > File->EndOfFile)
    {
        Result = HvFileSetSize(File->HostHandle, Size);
        if (Result != PV_OK)
        {
            for (Index = Pool; Index < Pool + Pages; Index++)
                MiPrototypePteUsed[Index] = 0;
            ObDereferenceObject(File);
            return Result == PV_ENOSPC ? STATUS_DISK_FULL : STATUS_UNEXPECTED_IO_ERROR;
        }
        File->EndOfFile = Size;
    }
    Section = MiInitializeSection(Index, Pages, Protection, Pool);
    Section->File = File;        /* the reference taken above stays with the section */
    Section->FileBytes = Size;
    for (Index = 0; Index < Pages; Index++)
        Section->PrototypePte[Index].u.Long = MI_MAKE_PROTO_LOOKUP_PTE(Protection);
    File->Section = Section;
    DbgPrint("mm: file section for %s: %u pages\n", File->Name, Pages);
    return ObInsertObject(Section, &Name, SectionHandle);
}

ULONGLONG MmFileSectionBytes(PFILE_OBJECT File)
{
    return File->Section != NULL ? File->Section->FileBytes : 0;
}

/* The first touch of a mapped file's page: it and the neighbours whose prototypes still say
 * "read the file" (forward, then backward, the section's read-around size: 4 pages of data to
 * start with, growing while faults come in order), in one PV_HC_FILE_IO read; the extra pages
 * wait on Standby in transition, like an image's (MiPlaceClusterPages). */
static NTSTATUS MiReadFileSectionPage(PSECTION Section, PMMPTE ProtoPte, PMMPTE PointerPte)
{
    MI_PROTO_ARRAY Array = { Section->PrototypePte, 1, Section->SizeOfSection, NULL,
                             &Section->ReadAround };
    ULONG Index = (ULONG)(ProtoPte - Section->PrototypePte), First = Index, Count = 1;
    ULONG Limit = MiReadAroundSize(&Section->ReadAround, Index, MI_IMAGE_DATA_CLUSTER);
    ULONG Bytes, j;
    PFN_NUMBER Pages[PV_PAGEFILE_CLUSTER_MAX];
    LONG Result;

    for (j = 1; Count < Limit && Index + j < Section->SizeOfSection &&
                MI_IS_PROTO_LOOKUP_PTE(MI_READ_PTE(ProtoPte + j).u.Long);
         j++)
        Count++;
    for (j = 1; Count < Limit && j <= Index &&
                MI_IS_PROTO_LOOKUP_PTE(MI_READ_PTE(ProtoPte - j).u.Long);
         j++)
    {
        First--;
        Count++;
    }
    Count = MiGetClusterPages(First, Count, Index, Pages);
    if (Count == 0)
        return STATUS_NO_MEMORY;
    MiReadAroundDone(&Section->ReadAround, First, Count);
    Result = HvFileIo(PV_FILE_READ, Section->File->HostHandle, (ULONGLONG)First * PAGE_SIZE,
                      Count, 0, Pages, &Bytes);
    if (Result != PV_OK)
    {
        for (j = 0; j < Count; j++)
            MiInsertPageInFreeList(Pages[j]);
        DbgPrint("mm: reading %s at 0x%llx failed (%d)\n", Section->File->Name,
                 (ULONGLONG)First * PAGE_SIZE, (int)Result);
        return MiInPageError(PointerPte, STATUS_UNEXPECTED_IO_ERROR);
    }
    MmInfoCounters.FilePagesRead += Count;
    MmInfoCounters.FileReadIoCount++;
    MiFaultBacking = PV_BACKING_FILE | Section->File->HostHandle;
    MiFaultBackingOffset = Index * PAGE_SIZE;
    MiPlaceClusterPages(&Array, First, Count, Index, Pages);
    return STATUS_PAGE_FAULT_PAGING_FILE;
}

/* The mapped file a dirty section page belongs to, and where in it (FALSE: not a file's). */
static PSECTION MiFileSectionOfPfn(PMMPFN Pfn1, PULONG Index)
{
    PMMPTE ProtoPte = MI_PFN_PTE_ADDRESS(Pfn1);
    ULONG i;

    if (!Pfn1->u3.e1.PrototypePte || !MI_IS_PROTO_LOOKUP_PTE(Pfn1->OriginalPte.u.Long))
        return NULL;
    for (i = 0; i < MI_MAX_SECTIONS; i++)
    {
        PSECTION Section = &MiSections[i];

        if (Section->ObjectHeader.Type != 0 && Section->File != NULL &&
            ProtoPte >= Section->PrototypePte &&
            ProtoPte < Section->PrototypePte + Section->SizeOfSection)
        {
            *Index = (ULONG)(ProtoPte - Section->PrototypePte);
            return Section;
        }
    }
    return NULL;
}

BOOLEAN MiIsFileView(PMMVAD Vad)
{
    return MI_IS_VIEW_VAD(Vad) && Vad->Section->File != NULL;
}

BOOLEAN MiIsMappedFilePage(PMMPFN Pfn1)
{
    ULONG Index;

    return MiFileSectionOfPfn(Pfn1, &Index) != NULL;
}

/* Write one resident page of a mapped file (its frame held by the caller) to the file: only
 * the bytes the section covers. PV_OK or the host's code (the run says which file failed). */
LONG MiWriteMappedFilePage(PFN_NUMBER Page)
{
    ULONG Index, Bytes, Length;
    PSECTION Section = MiFileSectionOfPfn(MI_PFN_ELEMENT(Page), &Index);
    ULONGLONG Offset;
    LONG Result;

    if (Section == NULL)
        return PV_EINVAL;
    Offset = (ULONGLONG)Index * PAGE_SIZE;
    Length = Section->FileBytes - Offset < PAGE_SIZE ? (ULONG)(Section->FileBytes - Offset)
                                                     : PAGE_SIZE;
    Result = HvFileIo(PV_FILE_WRITE_PAGES, Section->File->HostHandle, Offset, 1, Length, &Page,
                      &Bytes);
    MmInfoCounters.MappedWriteCount++;
    if (Result == PV_OK)
        MmInfoCounters.MappedPagesWritten++;
    else
        DbgPrint("mm: writing %s at 0x%llx back failed (%d): the page stays modified\n",
                 Section->File->Name, Offset, (int)Result);
    return Result;
}

/* Is the section's page Index a dirty one waiting on the Modified list? */
static BOOLEAN MiIsModifiedFilePage(PSECTION Section, ULONG Index)
{
    MMPTE TempProto;
    PMMPFN Pfn1;

    if (Index >= Section->SizeOfSection)
        return FALSE;
    TempProto = MI_READ_PTE(&Section->PrototypePte[Index]);
    if (TempProto.u.Hard.Valid || !TempProto.u.Soft.Transition || TempProto.u.Soft.Prototype)
        return FALSE;
    Pfn1 = MI_PFN_ELEMENT(TempProto.u.Trans.PageFrameNumber);
    return Pfn1->u3.e1.Modified && Pfn1->u3.ReferenceCount == 0 &&
           Pfn1->u3.e1.PageLocation == ModifiedPageList;
}

/*
 * A dirty page of a mapped file waiting on the Modified list (its section's page Index) and the
 * dirty pages after it, a contiguous run of up to PV_PAGEFILE_CLUSTER_MAX, written to the file
 * in one PV_HC_FILE_IO call and moved to Standby (back to Modified if the write failed).
 * *Written: the pages written.
 */
static LONG MiWriteModifiedFileRun(PSECTION Section, ULONG Index, PULONG Written)
{
    PFN_NUMBER Pages[PV_PAGEFILE_CLUSTER_MAX];
    ULONG Count = 0, Length, Bytes, i;
    ULONGLONG Offset = (ULONGLONG)Index * PAGE_SIZE;
    LONG Result;

    while (Count < PV_PAGEFILE_CLUSTER_MAX && MiIsModifiedFilePage(Section, Index + Count))
    {
        PFN_NUMBER Page = MI_READ_PTE(&Section->PrototypePte[Index + Count]).u.Trans.PageFrameNumber;
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Page);

        MiUnlinkPageFromList(Pfn1);
        Pfn1->u3.ReferenceCount = 1;   /* the I/O's */
        Pfn1->u3.e1.PageLocation = TransitionPage;
        Pfn1->u3.e1.WriteInProgress = 1;
        Pages[Count++] = Page;
    }
    if (Count == 0)
        return PV_OK;
    Length = Section->FileBytes - Offset < (ULONGLONG)Count * PAGE_SIZE
                 ? (ULONG)(Section->FileBytes - Offset) : Count * PAGE_SIZE;
    Result = HvFileIo(PV_FILE_WRITE_PAGES, Section->File->HostHandle, Offset, Count, Length,
                      Pages, &Bytes);
    MmInfoCounters.MappedWriteCount++;
    if (Result != PV_OK)
        DbgPrint("mm: writing %s at 0x%llx back failed (%d): %u pages stay modified\n",
                 Section->File->Name, Offset, (int)Result, Count);
    for (i = 0; i < Count; i++)
    {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Pages[i]);

        Pfn1->u3.e1.WriteInProgress = 0;
        if (Result == PV_OK)
            Pfn1->u3.e1.Modified = 0;
        MiDecrementReferenceCount(Pfn1, Pages[i]);   /* to Standby, or back to Modified */
    }
    if (Result == PV_OK)
    {
        MmInfoCounters.MappedPagesWritten += Count;
        if (Written != NULL)
            *Written += Count;
    }
    return Result;
}

/* Pages [First, First + Count) of a mapped file's section that are Modified (off every
 * working set) go to the file now. */
static NTSTATUS MiFlushSectionPages(PSECTION Section, ULONG First, ULONG Count, PULONG Written)
{
    ULONG Index;
    NTSTATUS Status = STATUS_SUCCESS;

    for (Index = First; Index < First + Count && Index < Section->SizeOfSection; Index++)
    {
        if (MiIsModifiedFilePage(Section, Index) &&
            MiWriteModifiedFileRun(Section, Index, Written) != PV_OK)
            Status = STATUS_UNEXPECTED_IO_ERROR;
    }
    return Status;
}

/*
 * The mapped page writer (called by mm/modwrite.c's writer): Modified pages of mapped files go
 * back to their files, until the Modified list is down to Target or none is left. A failed
 * write ends the pass (the page stays Modified). Returns the pages written.
 */
ULONG MiMappedPageWriter(ULONG Target)
{
    ULONG Written = 0, Index;

    while (MmModifiedPageListHead.Total > Target)
    {
        PFN_NUMBER Page = MmModifiedPageListHead.Flink;
        PSECTION Section = NULL;

        /* The oldest mapped-file page, and the run of dirty pages after it in its file (the
         * list changes under each write: look again from its head). */
        for (; Page != LIST_HEAD; Page = MI_PFN_ELEMENT(Page)->u1.Flink)
            if ((Section = MiFileSectionOfPfn(MI_PFN_ELEMENT(Page), &Index)) != NULL)
                break;
        if (Section == NULL || MiWriteModifiedFileRun(Section, Index, &Written) != PV_OK)
            break;
    }
    return Written;
}

/*
 * NTSTATUS NtFlushVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
 *     PIO_STATUS_BLOCK IoStatusBlock) - service 0x001C. The dirty pages of a mapped file's view
 * in [*BaseAddress, +*RegionSize) (0: to the end of the view) go to the file now: the ones this
 * process maps (their PTE's Dirty bit cleared) and the ones on the Modified list. The caller's
 * own process only. STATUS_NOT_MAPPED_VIEW for anything but a mapped file's view.
 */
NTSTATUS NtFlushVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                              PIO_STATUS_BLOCK IoStatusBlock)
{
    PMMPROCESS_VM Vm = MiGetCurrentProcessVm();
    ULONG_PTR Base, Size, Va, EndVa;
    IO_STATUS_BLOCK Iosb = { STATUS_SUCCESS, 0 };
    ULONG Written = 0, First;
    PSECTION Section;
    PMMVAD Vad;
    NTSTATUS Status;

    if (ProcessHandle != NtCurrentProcess())
        return STATUS_INVALID_HANDLE;
    if (BaseAddress == NULL || RegionSize == NULL || IoStatusBlock == NULL)
        return STATUS_INVALID_PARAMETER;
    Status = ProbeForWrite(BaseAddress, sizeof(*BaseAddress), 1);
    if (NT_SUCCESS(Status))
        Status = ProbeForWrite(RegionSize, sizeof(*RegionSize), 1);
    if (NT_SUCCESS(Status))
        Status = ProbeForWrite(IoStatusBlock, sizeof(*IoStatusBlock), 1);
    if (NT_SUCCESS(Status))
        Status = MmCopyFromUser(&Base, BaseAddress, sizeof(Base));
    if (NT_SUCCESS(Status))
        Status = MmCopyFromUser(&Size, RegionSize, sizeof(Size));
    if (!NT_SUCCESS(Status))
        return Status;
    Vad = MiLocateVad(&Vm->VadRoot, MI_VA_TO_VPN(Base));
    if (Vad == NULL || !MI_IS_VIEW_VAD(Vad) || (Section = Vad->Section)->File == NULL)
        return STATUS_NOT_MAPPED_VIEW;
    Base = ALIGN_DOWN_BY(Base, PAGE_SIZE);
    EndVa = Size == 0 || Size - 1 > MI_VPN_TO_VA_ENDING(Vad->EndingVpn) - Base
                ? MI_VPN_TO_VA_ENDING(Vad->EndingVpn)
                : (Base + Size - 1) | (PAGE_SIZE - 1);
    /* The pages this process maps and dirtied. */
    for (Va = Base; Va <= EndVa; Va += PAGE_SIZE)
    {
        PMMPTE PointerPte = MiAddressToPte(Va);
        MMPTE TempPte;
        PMMPFN Pfn1;

        if (!MI_READ_PTE(MiAddressToPde(Va)).u.Hard.Valid)
            continue;
        TempPte = MI_READ_PTE(PointerPte);
        if (!TempPte.u.Hard.Valid)
            continue;
        Pfn1 = MI_PFN_ELEMENT(TempPte.u.Hard.PageFrameNumber);
        if (!Pfn1->u3.e1.PrototypePte || (!TempPte.u.Hard.Dirty && !Pfn1->u3.e1.Modified))
            continue;
        if (MiWriteMappedFilePage(TempPte.u.Hard.PageFrameNumber) != PV_OK)
        {
            Status = STATUS_UNEXPECTED_IO_ERROR;
            continue;
        }
        Written++;
        TempPte.u.Hard.Dirty = 0;
        MI_WRITE_PTE(PointerPte, TempPte);
        __invlpg((PVOID)Va);
        Pfn1->u3.e1.Modified = 0;
    }
    /* And the ones that left every working set dirty. */
    First = (ULONG)(Vad->FirstPrototypePte - Section->PrototypePte) +
            (MI_VA_TO_VPN(Base) - Vad->StartingVpn);
    if (!NT_SUCCESS(MiFlushSectionPages(Section, First, (ULONG)((EndVa - Base + 1) >> PAGE_SHIFT),
                                        &Written)))
        Status = STATUS_UNEXPECTED_IO_ERROR;
    Size = EndVa - Base + 1;
    (void)MmCopyToUser(BaseAddress, &Base, sizeof(Base));
    (void)MmCopyToUser(RegionSize, &Size, sizeof(Size));
    Iosb.Status = Status;
    Iosb.Information = Written;
    (void)MmCopyToUser(IoStatusBlock, &Iosb, sizeof(Iosb));
    return Status;
}
