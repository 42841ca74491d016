/*
 * vad.h - virtual address descriptors: the per-process tree of allocated user ranges (MMVAD in
 * an MM_AVL_TABLE, mm/vadtree.c), the virtual-memory services and commit accounting built on
 * it (mm/virtual.c), and the page-table primitives those need (mm/userpte.c in the kernel).
 *
 * Nothing here touches hardware: vadtree.c and virtual.c also compile on the host, where a
 * unit test (tests/unit/test_vad.c) supplies the primitives over a fake page table. So this
 * header includes only the basic types, the PTE formats and the layout.
 *
 * What a page's state is (NT's rules, decided by MiQueryPageProtection in virtual.c):
 *   PTE valid, or a transition PTE            committed, resident (protection: PFN/PTE)
 *   PTE 0 (or no page table)                  committed with the VAD's protection if the VAD
 *                                             was reserved and committed at once (MemCommit),
 *                                             else reserved
 *   PTE 0x200 (MM_DECOMMITTED_PTE)            reserved (decommitted)
 *   other demand-zero PTE (protection << 5),  committed with that protection, not resident
 *   a pagefile PTE or an image PTE            (in the pagefile, in the image file)
 */
#ifndef PV_VAD_H
#define PV_VAD_H

#include "ntdef.h"
#include "ntstatusex.h"
#include "ntmmapi.h"
#include "nt_layout.h"
#include "nt_pte.h"
#include "ntexcept.h"

/* The user/system split (mm/virtual.c; MmInitSystem moves it for /3GB): the highest user
 * address 0x7FFEFFFF (0xBFFEFFFF), the first address a probe refuses 0x7FFF0000 (0xBFFF0000),
 * the start of system space 0x80000000 (0xC0000000). */
extern ULONG MmHighestUserAddress, MmUserProbeAddress, MmSystemRangeStart;

#define MM_VIRTMEM_GRANULARITY  0x10000u                                    /* 64 KiB */
#define MM_HIGHEST_VAD_ADDRESS  (MmHighestUserAddress - 16u * PAGE_SIZE) /* 0x7FFDFFFF */
#define MI_MAX_ZERO_BITS        21u
#define MM_INVALID_PROTECTION   0xFFFFFFFFu
#define MM_PROTECT_SPECIAL      0x18u   /* the NOCACHE/GUARD bits of a protection code */
#define MM_WRITECOMBINE         0x18u

#define MI_VA_TO_VPN(Va)        ((ULONG_PTR)(Va) >> PAGE_SHIFT)
#define MI_VPN_TO_VA(Vpn)       ((ULONG_PTR)(Vpn) << PAGE_SHIFT)
#define MI_VPN_TO_VA_ENDING(Vpn) (((ULONG_PTR)(Vpn) << PAGE_SHIFT) | (PAGE_SIZE - 1))

typedef enum _MI_VAD_TYPE
{
    VadNone = 0,
    VadDevicePhysicalMemory = 1,
    VadImageMap = 2,
    VadAwe = 3,
    VadWriteWatch = 4,
    VadLargePages = 5,
    VadRotatePhysical = 6,
    VadLargePageSection = 7
} MI_VAD_TYPE;

/* NT's x86 MMVAD_FLAGS layout. */
typedef struct _MMVAD_FLAGS
{
    ULONG CommitCharge : 19;   /* pages of this VAD charged against the commit limit */
    ULONG NoChange : 1;
    ULONG VadType : 3;         /* MI_VAD_TYPE */
    ULONG MemCommit : 1;       /* reserved and committed in one call: a zero PTE is committed */
    ULONG Protection : 5;      /* MM_* given at reservation (AllocationProtect) */
    ULONG Spare : 2;
    ULONG PrivateMemory : 1;
} MMVAD_FLAGS;

/* One allocated range, [StartingVpn, EndingVpn] inclusive, in an AVL tree keyed by VPN. */
typedef struct _MMVAD
{
    struct _MMVAD *LeftChild, *RightChild;
    LONG Height;               /* of this subtree: a leaf is 1 */
    ULONG_PTR StartingVpn, EndingVpn;
    union
    {
        ULONG LongFlags;
        MMVAD_FLAGS VadFlags;
    } u;
    /* A mapped view (PrivateMemory 0; VadImageMap for an image's): its section and the
     * prototype PTE of its first page (mm/section.c). NULL in private VADs. */
    struct _SECTION *Section;
    struct _MMPTE *FirstPrototypePte;
    /* A view mapped ViewUnmap: a clone of the process does not get it (NT's
     * VadFlags2.Inherit clear). */
    BOOLEAN NoInherit;
} MMVAD, *PMMVAD;

#define MI_IS_VIEW_VAD(Vad) (!(Vad)->u.VadFlags.PrivateMemory)
/* A view of an image section (ldr/elf.c, mm/section.c): a view whose pages each carry their
 * own protection, in the prototype PTE (NT's image views). */
#define MI_IS_IMAGE_VIEW_VAD(Vad) \
    (!(Vad)->u.VadFlags.PrivateMemory && (Vad)->u.VadFlags.VadType == VadImageMap)

typedef struct _MM_AVL_TABLE
{
    PMMVAD Root;
    ULONG NumberGenericTableElements;
    PMMVAD NodeHint;           /* the VAD last found by MiLocateVad */
} MM_AVL_TABLE, *PMM_AVL_TABLE;

/* Adaptive read-around (mm/pagein.c): where the last clustered read of one backing store
 * ended and how many pages the next may bring in. All zero: nothing read yet. */
typedef struct _MI_READ_AROUND
{
    ULONG Next;                /* the position (slot, file page, prototype) after the last read */
    ULONG Size;                /* pages the next read may bring in (0: not started) */
} MI_READ_AROUND, *PMI_READ_AROUND;

/* The memory-manager part of a process. */
typedef struct _MMPROCESS_VM
{
    MM_AVL_TABLE VadRoot;
    ULONG CommitCharge;        /* pages charged by this process's VADs */
    ULONG CommitChargePeak;
    ULONG PageFaultCount;
    ULONG PrivatePages;        /* resident private pages */
    PMMVAD StackVad;           /* the user stack reservation: its guard page grows it */
    MI_READ_AROUND PagefileReadAround; /* its private pagefile page-ins */
} MMPROCESS_VM, *PMMPROCESS_VM;

/* ------------------------------------------------------------------- mm/vadtree.c: the tree */

#define MI_VAD_POOL_SIZE 512   /* VADs for all processes (they run one at a time) */

PMMVAD MiAllocateVad(VOID);
VOID MiFreeVad(PMMVAD Vad);
ULONG MiVadsInUse(VOID);

/* Insert a VAD whose range overlaps none in the table (the caller checked). */
VOID MiInsertVad(PMM_AVL_TABLE Table, PMMVAD Vad);
VOID MiRemoveVad(PMM_AVL_TABLE Table, PMMVAD Vad);
/* The VAD containing Vpn, or NULL. */
PMMVAD MiLocateVad(PMM_AVL_TABLE Table, ULONG_PTR Vpn);
/* The lowest VAD overlapping [StartVpn, EndVpn], or NULL. */
PMMVAD MiCheckForConflictingVad(PMM_AVL_TABLE Table, ULONG_PTR StartVpn, ULONG_PTR EndVpn);
/* The lowest VAD ending at or above Vpn / the highest starting at or below Vpn, or NULL. */
PMMVAD MiFirstVadAtOrAbove(PMM_AVL_TABLE Table, ULONG_PTR Vpn);
PMMVAD MiLastVadAtOrBelow(PMM_AVL_TABLE Table, ULONG_PTR Vpn);
/* A free range of Size bytes (page multiple) starting on an Alignment boundary inside
 * [Lowest, Highest] (Highest inclusive), lowest first or (TopDown) highest first.
 * STATUS_NO_MEMORY when there is none. */
NTSTATUS MiFindEmptyAddressRange(PMM_AVL_TABLE Table, ULONG_PTR Size, ULONG_PTR Alignment,
                                 ULONG_PTR Lowest, ULONG_PTR Highest, BOOLEAN TopDown,
                                 PULONG_PTR Base);
/* Check order, heights, balance and disjointness; returns the VAD count, or ~0u if broken. */
ULONG MiCheckVadTree(PMM_AVL_TABLE Table);

/* ------------------------------------------------------- mm/virtual.c: services, commitment */

extern ULONG MmTotalCommittedPages;  /* system-wide commit charge, pages */
extern ULONG MmTotalCommitLimit;     /* set at boot: RAM + pagefile, pages */

/* PAGE_* to MM_* (MM_INVALID_PROTECTION if not a valid combination), and back. */
ULONG MiMakeProtectionMask(ULONG Protect);
ULONG MiProtectionToWin32(ULONG Protection);
BOOLEAN MiIsAccessAllowed(ULONG Protection, BOOLEAN Write);

/* Charge Pages to Vm and the system (FALSE past the commit limit), or give them back. */
BOOLEAN MiChargeCommitment(PMMPROCESS_VM Vm, ULONG Pages);
VOID MiReturnCommitment(PMMPROCESS_VM Vm, ULONG Pages);

/* A new private (or image) VAD for [StartVa, EndVa], charged if Commit. */
NTSTATUS MiCreateVad(PMMPROCESS_VM Vm, ULONG_PTR StartVa, ULONG_PTR EndVa, ULONG Protection,
                     MI_VAD_TYPE VadType, BOOLEAN Commit, PMMVAD *Vad);
/* Commit [StartVa, EndVa] inside Vad with Protection (already committed pages take the new
 * protection); charges the newly committed pages. */
NTSTATUS MiCommitPages(PMMPROCESS_VM Vm, PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa,
                       ULONG Protection);
/* Whether the page at Va (inside Vad) is committed, and its protection if so. */
BOOLEAN MiQueryPageProtection(PMMVAD Vad, ULONG_PTR Va, PULONG Protection);
/* The protection of an image view's page whose process PTE is zero, from the section's
 * prototype PTE (mm/section.c; FALSE: a hole, or a bss page, which the view does not take from
 * the section). */
BOOLEAN MiImageViewProtection(PMMVAD Vad, ULONG_PTR Va, PULONG Protection);
/* Before NtProtectVirtualMemory changes pages of an image view: each page of [StartVa, EndVa]
 * whose protection is not Protection and that is still the section's becomes a private copy
 * (mm/section.c). */
NTSTATUS MiMakeImagePagesPrivate(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa,
                                 ULONG Protection);
/* MEM_COMMIT inside a view: the section's pages in [StartVa, EndVa] (mm/section.c). */
NTSTATUS MiCommitViewPages(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa, ULONG Protection);
/* Process end: every VAD goes, its charge is returned (the pages were freed already). */
VOID MiDeleteProcessVads(PMMPROCESS_VM Vm);

NTSTATUS NtAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                 PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect);
NTSTATUS NtFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                             ULONG FreeType);
NTSTATUS NtProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
                                PSIZE_T NumberOfBytesToProtect, ULONG NewAccessProtection,
                                PULONG OldAccessProtection);
NTSTATUS NtQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                              MEMORY_INFORMATION_CLASS MemoryInformationClass,
                              PVOID MemoryInformation, SIZE_T MemoryInformationLength,
                              PSIZE_T ReturnLength);

/* ------------------------------- primitives virtual.c uses (mm/userpte.c, or a host test) */

/* The current process's memory-manager state. */
PMMPROCESS_VM MiGetCurrentProcessVm(VOID);
/* mm/vmcopy.c: the process a service acts on (the caller or its child, through a handle
 * granting Access), referenced; attach to it for the work, detach (and dereference) after. */
struct _EPROCESS;
NTSTATUS MmReferenceTargetProcess(HANDLE ProcessHandle, ULONG Access, struct _EPROCESS **Target);
VOID MmAttachTarget(struct _EPROCESS *Target);
VOID MmDetachTarget(struct _EPROCESS *Target);
/* The PTE of user address Va; 0 and *TableExists FALSE when it has no page table. */
ULONG MiReadUserPte(ULONG_PTR Va, BOOLEAN *TableExists);
/* Make the page table of Va exist (NT's MiMakePdeExistAndMakeValid); fails only when no
 * physical page is left for it. */
NTSTATUS MiMakePdeExistAndMakeValid(ULONG_PTR Va);
/* Store a not-valid PTE value (0, a demand-zero or decommitted PTE) for Va, whose page table
 * must exist unless Value is 0. A resident page mapped there is freed first. */
VOID MiWriteUserPte(ULONG_PTR Va, ULONG Value);
/* Protection of the resident page at Va (valid or transition PTE), and changing it. */
ULONG MiGetResidentProtection(ULONG_PTR Va);
VOID MiSetResidentProtection(ULONG_PTR Va, ULONG Protection);
/* MEM_LARGE_PAGES (mm/largepag.c): a VadLargePages VAD at Base (0: anywhere, 4 MiB aligned)
 * mapped by large PDEs onto zeroed, physically contiguous runs cleared for it (pages moved
 * out of the way), charged to commit; STATUS_INSUFFICIENT_RESOURCES when the runs cannot be
 * made, with nothing changed. And the release of one: PDEs zeroed, runs freed. */
NTSTATUS MiAllocateLargePageVad(PMMPROCESS_VM Vm, ULONG_PTR Base, ULONG_PTR Size,
                                ULONG_PTR ZeroBits, ULONG AllocationType, ULONG Protection,
                                ULONG_PTR *StartVa, ULONG_PTR *EndVa);
VOID MiDeleteLargePageRange(ULONG_PTR StartVa, ULONG_PTR EndVa);
/* Unmap the AWE frames mapped in [StartVa, EndVa] of an AWE window: the frames stay the
 * process's (mm/physical.c). */
VOID MiUnmapAweRange(ULONG_PTR StartVa, ULONG_PTR EndVa);
/* Fault-safe copies to and from user memory (mm/probe.c). */
NTSTATUS MmCopyFromUser(PVOID Destination, PCVOID UserSource, SIZE_T Length);
NTSTATUS MmCopyToUser(PVOID UserDestination, PCVOID Source, SIZE_T Length);

#endif /* PV_VAD_H */
