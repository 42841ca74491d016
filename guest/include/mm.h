/*
 * mm.h - the memory manager: PTE and PFN database structures, the page lists, the system
 * address-space layout, and the Mm (exported) / Mi (internal) routines.
 *
 * System space of this kernel (every PDE below is created at boot, see mm/mminit.c; the /3GB
 * kernel, kernel-3gb.elf, has the kernel at 0xC0900000 and the PFN database at 0xC0C00000,
 * and with /3GB system space starts at 0xC0000000):
 *   0x80100000  kernel image (physical 1 MiB, linear), 4 KiB PTEs, global, supervisor (or
 *               one large page for 0x80000000-0x803FFFFF with pv.largekernel=1)
 *   0x80400000  PFN database (MmPfnDatabase): large pages for its whole 4 MiB chunks where
 *               physical memory allows, 4 KiB PTEs for the rest; a page after it, the
 *               pagefile's slot bitmap (MmPagingFile)
 *   0xC0000000  page tables (self-map, PDE 0x300)     0xC0300000  page directory
 *   0xC0400000  hyperspace (PDE 0x301, per process): mapping slots 1..255, working-set list
 *               from 0xC0502000 (a page, more as it grows)
 *   0xFF800000  kernel stacks: 12 KiB each with an unmapped guard page below (mm/procsup.c)
 * User space: images from 0x00400000, the stack below 0x7FFE0000; up to MmHighestUserAddress
 * (0x7FFEFFFF, or 0xBFFEFFFF under /3GB).
 */
#ifndef PV_MM_H
#define PV_MM_H

#include "ntdef.h"
#include "ke.h"
#include "nt_layout.h"
#include "nt_pte.h"
#include "vad.h"
#include "ws.h"
#include "ldr.h"

#define MM_PFN_DATABASE_BASE   (KSEG0_BASE + PDE_MAPPED_VA)   /* 0x80400000 (0xC0C00000: /3GB kernel) */
/* Kernel stacks (mm/procsup.c): 4 MiB below the HAL's reserved top 4 MiB. */
#define MM_KERNEL_STACK_BASE   0xFF800000u

/* User stack: a 1 MiB reservation below 0x7FFE0000 (a VAD). At process start its top page
 * is committed read/write and the page below it is the guard page (PAGE_GUARD); touching the
 * guard page commits it and makes the next lower page the guard, down to the last page of the
 * reservation, which is never committed (NT's MiCheckForUserStackOverflow). */
#define MM_USER_STACK_TOP      0x7FFE0000u
#define MM_USER_STACK_RESERVE  0x00100000u
#define MM_USER_STACK_COMMIT   PAGE_SIZE
#define MM_USER_STACK_BASE     (MM_USER_STACK_TOP - MM_USER_STACK_RESERVE) /* 0x7FEE0000 */

/* ------------------------------------------------------------------------------------- PTEs */

typedef struct _MMPTE_HARDWARE
{
    ULONG Valid : 1;
    ULONG Write : 1;
    ULONG Owner : 1;
    ULONG WriteThrough : 1;
    ULONG CacheDisable : 1;
    ULONG Accessed : 1;
    ULONG Dirty : 1;
    ULONG LargePage : 1;
    ULONG Global : 1;
    ULONG CopyOnWrite : 1;
    ULONG Prototype : 1;
    ULONG Reserved : 1;
    ULONG PageFrameNumber : 20;
} MMPTE_HARDWARE;

typedef struct _MMPTE_SOFTWARE
{
    ULONG Valid : 1;
    ULONG PageFileLow : 4;
    ULONG Protection : 5;
    ULONG Prototype : 1;
    ULONG Transition : 1;
    ULONG PageFileHigh : 20;
} MMPTE_SOFTWARE;

typedef struct _MMPTE_TRANSITION
{
    ULONG Valid : 1;
    ULONG Write : 1;
    ULONG Owner : 1;
    ULONG WriteThrough : 1;
    ULONG CacheDisable : 1;
    ULONG Protection : 5;
    ULONG Prototype : 1;
    ULONG Transition : 1;
    ULONG PageFrameNumber : 20;
} MMPTE_TRANSITION;

typedef struct _MMPTE
{
    union
    {
        ULONG Long;
        MMPTE_HARDWARE Hard;
        MMPTE_SOFTWARE Soft;
        MMPTE_TRANSITION Trans;
    } u;
} MMPTE, *PMMPTE, MMPDE, *PMMPDE;
_Static_assert(sizeof(MMPTE) == 4, "MMPTE is one 32-bit entry");

/* Self-map helpers (NT's macros, over shared/nt_layout.h). Valid only for the current
 * process; a PTE may be read only after its PDE was found valid. */
#define MI_ULONG(Va)         ((ULONG)(ULONG_PTR)(Va))
#define MiAddressToPte(Va)   ((PMMPTE)(ULONG_PTR)MI_PTE_VA(MI_ULONG(Va)))
#define MiAddressToPde(Va)   ((PMMPTE)(ULONG_PTR)MI_PDE_VA(MI_ULONG(Va)))
#define MiPteToAddress(Pte)  ((PVOID)(ULONG_PTR)MI_PTE_VA_TO_ADDRESS(MI_ULONG(Pte)))
#define MiPdeToPte(Pde)      ((PMMPTE)(ULONG_PTR)MI_PTE_VA_TO_ADDRESS(MI_ULONG(Pde)))
#define MiGetPdeOffset(Va)   MI_PDE_INDEX(Va)
#define MiAddressToPteOffset(Va) MI_PTE_INDEX(Va)

/* The user/system split as this boot has it (2 GB, or 3 GB with /3GB: vad.h's variables).
 * nt_layout.h's MI_IS_USER_ADDRESS/MI_IS_SYSTEM_ADDRESS are the 2 GB defaults. */
#define MI_IS_USER_VA(Va)    (MI_ULONG(Va) >= MM_LOWEST_USER_ADDRESS && \
                              MI_ULONG(Va) <= MmHighestUserAddress)
#define MI_IS_SYSTEM_VA(Va)  (MI_ULONG(Va) >= MmSystemRangeStart)
#define MI_FIRST_SYSTEM_PDE  MiGetPdeOffset(MmSystemRangeStart)  /* 0x200, or 0x300 */

/* PTE templates (mm/mminit.c). */
extern const MMPTE ValidKernelPte;      /* V|W|A|D|G: system pages, shared by every process */
extern const MMPTE ValidKernelPteLocal; /* V|W|A|D: per-process kernel pages (hyperspace) */
extern const MMPTE ValidKernelPde;      /* V|W|A|D: system page tables */
extern const MMPTE ValidUserPde;        /* V|W|U|A|D: user page tables (PTEs restrict) */

/* PTE stores are single aligned 32-bit writes; volatile so the compiler keeps their order. */
FORCEINLINE VOID MI_WRITE_PTE(PMMPTE PointerPte, MMPTE TempPte)
{
    *(volatile ULONG *)&PointerPte->u.Long = TempPte.u.Long;
}

FORCEINLINE MMPTE MI_READ_PTE(PMMPTE PointerPte)
{
    MMPTE TempPte;
    TempPte.u.Long = *(volatile ULONG *)&PointerPte->u.Long;
    return TempPte;
}

FORCEINLINE MMPTE MI_MAKE_PTE(MMPTE Template, PFN_NUMBER PageFrameIndex)
{
    Template.u.Hard.PageFrameNumber = PageFrameIndex;
    return Template;
}

/* Error-code bits of a page fault. */
#define MI_IS_NOT_PRESENT_FAULT(Code) (((Code) & 1) == 0)
#define MI_IS_WRITE_ACCESS(Code)      (((Code) & 2) != 0)
#define MI_IS_USER_FAULT(Code)        (((Code) & 4) != 0)
#define MI_IS_INSTRUCTION_FETCH(Code) (((Code) & 0x10) != 0)

/* ExceptionInformation[0] of an access violation (and pv_hc_process_exit.fault_write). */
#define MI_ACCESS_READ     0
#define MI_ACCESS_WRITE    1
#define MI_ACCESS_EXECUTE  8

/* ----------------------------------------------------------------------------- PFN database */

typedef enum _MMLISTS
{
    ZeroedPageList = 0,
    FreePageList = 1,
    StandbyPageList = 2,
    ModifiedPageList = 3,
    ModifiedNoWritePageList = 4,
    BadPageList = 5,
    ActiveAndValid = 6,
    TransitionPage = 7
} MMLISTS;

typedef struct _MMPFNENTRY
{
    USHORT Modified : 1;
    USHORT ReadInProgress : 1;
    USHORT WriteInProgress : 1;
    USHORT PrototypePte : 1;
    USHORT PageColor : 4;
    USHORT PageLocation : 3;
    USHORT RemovalRequested : 1;
    USHORT CacheAttribute : 2;
    USHORT Rom : 1;
    USHORT ParityError : 1;
} MMPFNENTRY;

typedef struct _MMPFN
{
    union
    {
        PFN_NUMBER Flink;      /* on a list: next page */
        ULONG WsIndex;         /* active: working-set list index */
    } u1;
    PMMPTE PteAddress;         /* the PTE mapping this page; bit 0 = deleted */
    union
    {
        PFN_NUMBER Blink;      /* on a list: previous page */
        ULONG_PTR ShareCount;  /* active: number of PTEs mapping it */
    } u2;
    union
    {
        struct
        {
            USHORT ReferenceCount;
            MMPFNENTRY e1;
        };
        struct
        {
            USHORT ReferenceCount;
            USHORT ShortFlags;
        } e2;
    } u3;
    MMPTE OriginalPte;         /* what goes back into the PTE when the page leaves */
    union
    {
        ULONG_PTR EntireFrame;
        struct
        {
            ULONG PteFrame : 25;   /* page (table) that holds PteAddress */
            ULONG InPageError : 1;
            ULONG VerifierAllocation : 1;
            ULONG AweAllocation : 1;
            ULONG Priority : 3;
            ULONG MustBeCached : 1;
        };
    } u4;
} MMPFN, *PMMPFN;
#ifdef __i386__
_Static_assert(sizeof(MMPFN) == 24, "MMPFN is 0x18 bytes on x86, as in NT");
#endif

typedef struct _MMPFNLIST
{
    PFN_NUMBER Total;
    MMLISTS ListName;
    PFN_NUMBER Flink;
    PFN_NUMBER Blink;
} MMPFNLIST, *PMMPFNLIST;

#define LIST_HEAD 0xFFFFFFFFu  /* empty list / end of list */

extern PMMPFN MmPfnDatabase;
extern PFN_NUMBER MmHighestPhysicalPage;
extern PFN_NUMBER MmAvailablePages;
extern MMPFNLIST MmZeroedPageListHead, MmFreePageListHead, MmStandbyPageListHead,
                 MmModifiedPageListHead, MmModifiedNoWritePageListHead, MmBadPageListHead;
extern PMMPFNLIST MmPageLocationList[8];

#define MI_PFN_ELEMENT(Index)   (&MmPfnDatabase[(Index)])
#define MI_SET_PFN_DELETED(Pfn) ((Pfn)->PteAddress = (PMMPTE)((ULONG_PTR)(Pfn)->PteAddress | 1))
#define MI_IS_PFN_DELETED(Pfn)  (((ULONG_PTR)(Pfn)->PteAddress & 1) != 0)
#define MI_PFN_PTE_ADDRESS(Pfn) ((PMMPTE)((ULONG_PTR)(Pfn)->PteAddress & ~(ULONG_PTR)1))

/* pagevisor's subtypes of MEMORY_MANAGEMENT (P1), beside NT's own. */
#define MI_BUGCHECK_PROCESS_LEAK        0x1001  /* P2 before, P3 after, P4 pid */
#define MI_BUGCHECK_PTE_MISMATCH        0x1002  /* P2 PTE address, P3 PFN, P4 PFN's PteAddress */
#define MI_BUGCHECK_HYPERSPACE          0x1003  /* P2 slot VA, P3 PTE */
#define MI_BUGCHECK_SHARE_COUNT         0x1004  /* P2 PFN, P3 share count, P4 expected */
#define MI_BUGCHECK_OUT_OF_PAGES        0x1005  /* P2 available pages */
#define MI_BUGCHECK_COMMIT_LEAK         0x1007  /* P2 committed before, P3 after, P4 pid */
#define MI_BUGCHECK_TRANSITION_PAGE     0x1008  /* P2 PTE address, P3 PTE, P4 PFN's PteAddress */
#define MI_BUGCHECK_UNKNOWN_PTE         0x1009  /* P2 VA, P3 PTE, P4 PTE address */
#define MI_BUGCHECK_PAGEFILE_SLOT       0x100A  /* P2 slot, P3 pagefile size, P4 0 free / 1 bad */
#define MI_BUGCHECK_WORKING_SET         0x100B  /* P2 entry index, P3 entry VA, P4 PTE or PFN */
#define MI_BUGCHECK_SLOT_LEAK           0x100C  /* P2 slots in use, P3 bad slots, P4 pid */
#define MI_BUGCHECK_COLLIDED_FAULT      0x100D  /* P2 PTE address, P3 PTE, P4 PFN */
#define MI_BUGCHECK_CLONE_BLOCK         0x100E  /* P2 block index, P3 references, P4 detail */
#define MI_BUGCHECK_KERNEL_STACK        0x100F  /* P2 stack top, P3 stack limit */
#define MI_BUGCHECK_AWE                 0x1010  /* P2 VA, P3 PTE, P4 the frame's PteAddress */
#define MI_BUGCHECK_LARGE_PAGE          0x1011  /* P2 VA, P3 PDE or frame, P4 PteAddress */

/* pfnlist.c */
VOID MiInsertPageInList(PMMPFNLIST ListHead, PFN_NUMBER PageFrameIndex);
VOID MiInsertPageInFreeList(PFN_NUMBER PageFrameIndex);
VOID MiInsertPageInZeroedList(PFN_NUMBER PageFrameIndex);
VOID MiUnlinkPageFromList(PMMPFN Pfn1);
PFN_NUMBER MiRemovePageFromList(PMMPFNLIST ListHead);
PFN_NUMBER MiRemoveAnyPage(VOID);
PFN_NUMBER MiRemoveZeroPage(VOID);
VOID MiInitializePfn(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte, BOOLEAN Modified);
VOID MiInitializePfnForOtherProcess(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte,
                                    PFN_NUMBER PteFramePage);
VOID MiInitializeTransitionPfn(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte, MMPTE OriginalPte,
                               PFN_NUMBER PteFramePage);
VOID MiDecrementShareCount(PMMPFN Pfn1, PFN_NUMBER PageFrameIndex);
VOID MiDecrementReferenceCount(PMMPFN Pfn1, PFN_NUMBER PageFrameIndex);
VOID MiRestoreTransitionPte(PFN_NUMBER PageFrameIndex);
VOID MiInitializeLockedPfn(PFN_NUMBER PageFrameIndex, PMMPTE PointerPte, PFN_NUMBER PteFramePage,
                           ULONG ShareCount);
VOID MiDecrementPrototypeShare(PFN_NUMBER PageFrameIndex, PFN_NUMBER Table, BOOLEAN Dirty);
ULONG MiCheckPfnLists(VOID);

/* The PTE mapping a page through its page table's frame (hyperspace), for PTEs that may not be
 * the current process's. Map, then MiUnmapPageInHyperSpace(ALIGN_DOWN(result)). */
PMMPTE MiMapPteOfPage(PMMPFN Pfn1);

/* ---------------------------------------------------------------------------- paging file */

#define MI_PAGEFILE_MAX_SLOTS      0x100000u  /* PageFileHigh has 20 bits: slots 1..0xFFFFF */
#define MI_PAGEFILE_BAD_REMEMBERED 64u

typedef struct _MMPAGING_FILE
{
    ULONG Size;                /* slots, slot 0 included; 0 without a pagefile */
    ULONG FreeSpace;           /* slots free */
    ULONG InUse;               /* slots holding a page */
    ULONG BadSlots;            /* slots whose write failed: allocated for good */
    ULONG Hint;                /* where the next search for free slots starts */
    ULONG CommitSlots;         /* what it adds to the commit limit (mm/mminit.c, modwrite.c) */
    BOOLEAN HostFull;          /* a write found the host's file system full (PV_ENOSPC) */
    LONG LastWriteStatus;      /* PV_* of the last failed write, PV_OK if none failed */
    PULONG Bitmap;             /* 1 = allocated (slot 0 always) */
    ULONG Bad[MI_PAGEFILE_BAD_REMEMBERED];
} MMPAGING_FILE;

extern MMPAGING_FILE MmPagingFile;

/* Does a software PTE (or an OriginalPte) name a pagefile slot? */
#define MI_PTE_HAS_PAGEFILE_SLOT(Pte) (mi_pte_kind(Pte) == MI_PTE_PAGEFILE)
/* A PTE value with a new protection and everything else kept (software PTEs). */
#define MI_PTE_WITH_PROTECTION(Pte, Protection) \
    (((ULONG)(Pte) & ~MM_PTE_PROTECTION_MASK) | ((ULONG)(Protection) << MM_PTE_PROTECTION_SHIFT))

/* pagefile.c */
VOID MiInitializePagingFile(PULONG Bitmap, ULONG Slots);
BOOLEAN MiIsPagefileSlotInUse(ULONG Slot);
/* Up to Wanted contiguous free slots (next fit): how many, the first in *FirstSlot; 0 if full. */
ULONG MiAllocatePagefileSlots(ULONG Wanted, PULONG FirstSlot);
VOID MiReleasePagefileSlot(ULONG Slot);
VOID MiMarkPagefileSlotBad(ULONG Slot);
VOID MiReleasePageFileSpace(MMPTE PteContents);
ULONG MiReleaseAllPagefileSlots(VOID);

/* ------------------------------------------------------------ counters and thresholds */

/* What the paging machinery did since boot (PvQueryMmCounters shows them). */
typedef struct _MMINFO_COUNTERS
{
    ULONG PageReadIoCount;     /* PV_HC_PAGEFILE_IO reads for page faults */
    ULONG PagesRead;           /* pages they brought in (clusters included) */
    ULONG ClusterPagesRead;    /* of which read around the faulting page (to Standby) */
    ULONG ImagePagesRead;      /* image pages read (host or boot module) */
    ULONG MappedWriteCount;    /* mapped page writer's writes (and NtFlushVirtualMemory's) */
    ULONG DirtyWriteIoCount;   /* PV_HC_PAGEFILE_IO writes by the modified page writer */
    ULONG DirtyPagesWritten;   /* pages they wrote */
    ULONG WriteFailures;       /* writes the host failed (the pages stayed Modified) */
    ULONG InPageErrors;        /* reads the host failed: an in-page error */
    ULONG StandbyReused;       /* standby pages taken for another use (old PTE restored) */
    ULONG PagesZeroed;         /* zeroed when a demand-zero fault took them */
    ULONG PagesReplaced;       /* left a working set at its maximum (FIFO) */
    ULONG PagesTrimmed;        /* left a working set because free pages ran low */
    ULONG PageTablesOut;       /* user page tables that left a working set (mapped nothing) */
    ULONG PageTablesIn;        /* user page tables brought back (soft fault or read) */
    ULONG PageWaits;           /* faults that waited for a free page (MiWaitForAvailablePages) */
    ULONG PagefileFullWrites;  /* writes the host refused: its file system full (PV_ENOSPC) */
    ULONG ImageReadIoCount;    /* image reads (one host call each) for faults */
    ULONG PrototypeReadIoCount; /* of PageReadIoCount: for section and clone-block prototypes */
    ULONG PrototypePagesRead;  /* of PagesRead: the pages those brought in */
    ULONG FilePagesRead;       /* mapped-file pages read (mm/section.c) */
    ULONG FileReadIoCount;     /* mapped-file reads (one host call each, clusters) */
    ULONG MappedPagesWritten;  /* mapped-file pages written back (mm/modwrite.c, flushes) */
} MMINFO_COUNTERS;

extern MMINFO_COUNTERS MmInfoCounters;
extern ULONG MmMinimumFreePages;        /* below it, trim and write (NT: 26) */
extern ULONG MmModifiedPageMaximum, MmModifiedPageMinimum;
extern ULONG MmReadAroundMaximum;       /* read-around grows to this (pv.readaroundmax) */
extern ULONG MmReadClusterSize;         /* pages a pagefile read may bring in, the faulting one too */
extern ULONG MmMaximumWorkingSetSize;   /* the largest maximum a process may have */
extern ULONG MmWorkingSetMinimumDefault, MmWorkingSetMaximumDefault;
#define MI_SMALLEST_WORKING_SET_MAXIMUM 16u  /* enough for any instruction's pages and tables */
#define MI_TRIM_BATCH                   32u  /* pages trimmed per round when free pages run low */
#define MI_FAULT_KEEP_NEWEST            16u  /* a faulting process keeps its newest pages */

/* hypermap.c */
extern PMMPTE MmFirstReservedMappingPte;
VOID MiInitializeHyperSpace(VOID);
PVOID MiMapPageInHyperSpace(PFN_NUMBER PageFrameIndex);
VOID MiUnmapPageInHyperSpace(PVOID Address);
VOID MiZeroPhysicalPage(PFN_NUMBER PageFrameIndex);
VOID MiCopyFromPhysical(PVOID Destination, ULONG PhysicalAddress, ULONG Length);

/* mminit.c */
extern PFN_NUMBER MmSystemPageDirectory;
extern ULONG MmPagefileSlots;
VOID MmInitSystem(ULONG MultibootInfoPhysical);
ULONG MmGetPhysicalAddress(PCVOID VirtualAddress);
/* The boot allocator (before the PFN database): frames handed out upward from MxNextPage. */
extern PFN_NUMBER MxNextPage, MxPagesUsed;
BOOLEAN MiIsUsablePage(PFN_NUMBER Page);

/* largepag.c: 4 MiB pages for boot-time system memory */
extern BOOLEAN MmLargeKernel;           /* pv.largekernel=1: the image in one large page */
BOOLEAN MiIsLargeRunPage(PFN_NUMBER Page);
MMPTE MiMakeLargePde(PFN_NUMBER FirstPage);
/* Maps whole 4 MiB chunks of [Va, Va + Pages pages) with large pages while free aligned
 * physical runs last (zeroed); returns the pages mapped, the rest is the caller's. */
ULONG MiMapLargeSystemRange(ULONG Va, ULONG Pages, PCSTR What);
VOID MiInitializeKernelMapping(VOID);
VOID MiInitializeLargePagePfns(PMMPTE PointerPde, PFN_NUMBER PageDirectory);

/* procsup.c */
struct _EPROCESS;
NTSTATUS MmCreateProcessAddressSpace(struct _EPROCESS *Process);
NTSTATUS MmCreateUserStack(struct _EPROCESS *Process);
VOID MmCleanProcessAddressSpace(struct _EPROCESS *Process);
extern ULONG MmKernelStacksInUse;
NTSTATUS MmCreateKernelStack(PULONG InitialStack, PULONG StackLimit);
VOID MmDeleteKernelStack(ULONG InitialStack, ULONG StackLimit);
BOOLEAN MmIsKernelStackGuardPage(ULONG Va, PULONG Limit, PULONG Top);
NTSTATUS MmCreateKernelStackExtension(ULONG Size, PULONG Top, PULONG Limit);

/* contig.c: clearing an aligned run of frames for a large page. */
typedef enum _MI_RUN_PAGE { MiRunPageFree, MiRunPageMovable, MiRunPageFixed } MI_RUN_PAGE;
typedef struct _MI_RELOCATION
{
    PFN_NUMBER OldFrame, NewFrame;
    ULONG_PTR PteAddress;        /* the PTE (or PDE, for a page table) as its process sees it */
    PFN_NUMBER TableFrame;       /* the page table holding that PTE (0 for a page table) */
    PFN_NUMBER DirectoryFrame;   /* the page directory holding that PDE (0 for a page) */
    ULONG PteBefore, PteAfter;
    BOOLEAN PageTable;
} MI_RELOCATION, *PMI_RELOCATION;
extern ULONG MmPagesRelocated;
MI_RUN_PAGE MiClassifyRunPage(PFN_NUMBER Page);
BOOLEAN MiFindContiguousRun(ULONG Pages, const PFN_NUMBER *Exclude, ULONG NExclude,
                            PULONG Needed, PPFN_NUMBER First, PULONG Movable);
PFN_NUMBER MiRelocatePage(PFN_NUMBER Old, PMI_RELOCATION Record);
ULONG MiClaimContiguousRun(PFN_NUMBER First, ULONG Pages,
                           VOID (*Moved)(const MI_RELOCATION *Record));

/* largepag.c: MEM_LARGE_PAGES for user allocations. */
#define MI_LARGE_PAGE_SIZE 0x400000u
NTSTATUS MiAllocateLargePages(ULONG_PTR StartVa, ULONG_PTR EndVa);
VOID MiDeleteProcessLargePages(struct _EPROCESS *Process);
NTSTATUS PvGetLargePageMinimum(PSIZE_T Minimum);
/* faulttrace.c: a relocation, as a record of its own in the fault trace. */
VOID MiTraceRelocation(const MI_RELOCATION *Record);
extern ULONG MmLargePagesAllocated;   /* 4 MiB user large pages now */

/* physical.c: AWE. */
extern ULONG MmAwePagesAllocated;
struct _EPROCESS;
VOID MiDeleteProcessAwe(struct _EPROCESS *Process);
NTSTATUS NtAllocateUserPhysicalPages(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
                                     PULONG_PTR UserPfnArray);
NTSTATUS NtFreeUserPhysicalPages(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
                                 PULONG_PTR UserPfnArray);
NTSTATUS NtMapUserPhysicalPages(PVOID VirtualAddress, ULONG_PTR NumberOfPages,
                                PULONG_PTR UserPfnArray);
NTSTATUS NtMapUserPhysicalPagesScatter(PVOID *VirtualAddresses, ULONG_PTR NumberOfPages,
                                       PULONG_PTR UserPfnArray);
VOID MmDeleteKernelStackExtension(ULONG Top, ULONG Limit);
extern ULONG MmKernelStackExtensionsInUse;

/* forksup.c: the child's user half a copy-on-write copy of the parent's (the current
 * process); Child's address space was just created and is empty. */
NTSTATUS MmCloneProcessAddressSpace(struct _EPROCESS *Parent, struct _EPROCESS *Child);

/* section.c */
NTSTATUS NtCreateSection(PHANDLE SectionHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                         PULONGLONG MaximumSize, ULONG SectionPageProtection,
                         ULONG AllocationAttributes, HANDLE FileHandle);
NTSTATUS NtMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress,
                            ULONG_PTR ZeroBits, SIZE_T CommitSize, PULONGLONG SectionOffset,
                            PSIZE_T ViewSize, ULONG InheritDisposition, ULONG AllocationType,
                            ULONG Win32Protect);
NTSTATUS NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress);
NTSTATUS NtClose(HANDLE Handle);
VOID MiDeleteProcessSections(struct _EPROCESS *Process);
VOID MiReferenceSectionView(PMMVAD Vad);
VOID MiTrimSharedPage(PMMPTE PointerPte, MMPTE TempPte, ULONG_PTR Va);
VOID MiDropSharedPte(PMMPTE PointerPte, MMPTE TempPte);
VOID MiForgetWorkingSetVa(ULONG_PTR Va);
/* The working-set entry of Va (Hint: an index to try first); MI_WSLE_NONE if none. */
ULONG MiLocateWsle(ULONG_PTR Va, ULONG Hint);
ULONG MiSectionsInUse(VOID);
NTSTATUS MiResolveProtoPteFault(PMMPTE PointerPte, PMMVAD Vad, ULONG_PTR Va, ULONG Protection,
                                BOOLEAN Write);
/* An image view (ldr/elf.c): the image section of Module (created on first use, one per image
 * file while any process maps it) mapped at [ImageBase, ImageEnd) of the current process. */
NTSTATUS MiMapImageView(PLDR_MODULE Module, const LDR_IMAGE_SEGMENT *Segments,
                        ULONG SegmentCount, ULONG ImageBase, ULONG ImageEnd);
/* Mapped files (mm/section.c): the bytes a file's section covers (0: none), whether a PFN is a
 * mapped file's page, writing one back, the mapped page writer, NtFlushVirtualMemory. */
struct _FILE_OBJECT;
struct _IO_STATUS_BLOCK;
ULONGLONG MmFileSectionBytes(struct _FILE_OBJECT *File);
BOOLEAN MiIsMappedFilePage(PMMPFN Pfn1);
BOOLEAN MiIsFileView(PMMVAD Vad);
/* A section page whose backing store is its file (an image's or a mapped file's: the "read the
 * file" prototype form in OriginalPte); image pages are never dirty. */
#define MI_IS_FILE_BACKED_PFN(Pfn) \
    ((Pfn)->u3.e1.PrototypePte && MI_IS_PROTO_LOOKUP_PTE((Pfn)->OriginalPte.u.Long))
LONG MiWriteMappedFilePage(PFN_NUMBER Page);
ULONG MiMappedPageWriter(ULONG Target);
NTSTATUS NtFlushVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                              struct _IO_STATUS_BLOCK *IoStatusBlock);
/* An image page's protection in its view: writable data is copy-on-write (NT's image views). */
#define MI_IMAGE_VIEW_PROTECTION(P)                                   \
    ((P) == MM_READWRITE ? MM_WRITECOPY                               \
     : (P) == MM_EXECUTE_READWRITE ? MM_EXECUTE_WRITECOPY : (P))
/* A fault on a fork prototype PTE (the page shared with a clone), in forksup.c. */
NTSTATUS MiResolveForkPteFault(PMMPTE PointerPte, MMPTE TempPte, ULONG_PTR Va, ULONG Protection,
                               BOOLEAN Write);
/* The prototype PTE (a section's or a clone block's) resolved to a page, which PointerPte now
 * maps valid with Protection (a writable one read-only + copy on write when CopyOnWrite); the
 * page joins the working set. DemandZero: the OriginalPte for a demand-zero prototype. */
NTSTATUS MiResolvePrototype(PMMPTE PointerPte, PMMPTE ProtoPte, ULONG_PTR Va, ULONG Protection,
                            BOOLEAN Write, BOOLEAN CopyOnWrite, MMPTE DemandZero,
                            PFN_NUMBER *Page);
VOID MmDeleteProcessAddressSpace(struct _EPROCESS *Process);

/* clonblk.c: clone blocks, the fork prototype PTEs of pages a process shares with its clone */
typedef struct _MMCLONE_BLOCK
{
    MMPTE ProtoPte;            /* the shared page: valid, transition or pagefile PTE */
    ULONG CloneRefCount;       /* process PTEs referring to it (valid or fork form); 0 = free */
} MMCLONE_BLOCK, *PMMCLONE_BLOCK;
#define MI_CLONE_BLOCKS 8192u  /* index 0 unused: 8191 pages (32 MiB) shared at once */
extern MMCLONE_BLOCK MmCloneBlocks[MI_CLONE_BLOCKS];
extern ULONG MmCloneBlocksInUse;
extern ULONG MmCloneBlockLimit;     /* blocks that may be in use (pv.cloneblocks=N) */
ULONG MiAllocateCloneBlock(VOID);   /* 0 if the pool is empty; CloneRefCount 1 */
PMMCLONE_BLOCK MiGetCloneBlock(ULONG Index);
/* mm/section.c: block Index's page (its prototype a pagefile PTE) read back with the blocks
 * beside it whose pages are in the slots beside its (a cluster; the extra pages to Standby in
 * transition), its prototype then valid. STATUS_PAGE_FAULT_PAGING_FILE or an error. */
NTSTATUS MiReadCloneBlockPagefilePage(ULONG Index);
ULONG MiCloneBlockIndexOfPfn(PMMPFN Pfn1);
VOID MiReferenceCloneBlock(ULONG Index);
VOID MiDereferenceCloneBlock(ULONG Index);
VOID MiDeletePrototypePte(PMMPTE ProtoPte);
VOID MiMakeForkPrototypePage(PFN_NUMBER Page, ULONG Index, BOOLEAN Dirty, ULONG Protection);
VOID MiMakeForkPagePrivate(PFN_NUMBER Page, ULONG Index, PMMPTE PointerPte, PFN_NUMBER PteFrame);

/* forksup.c: process duplication (the address-space half of NT's fork) */
NTSTATUS MmCloneProcessAddressSpace(struct _EPROCESS *Parent, struct _EPROCESS *Child);
/* A PTE of the current process that refers to a clone block (valid on a fork prototype page,
 * or the fork prototype form) goes: its share and its reference are dropped. */
VOID MiDeleteForkPte(PMMPTE PointerPte, MMPTE TempPte);

/* wrtfault.c: copy on write */
/* The protection a page gets when a write gives the process its own copy. */
ULONG MiMakeWriteCopyWritable(ULONG Protection);
/* A write to a valid read-only + copy-on-write PTE (or a protection change on a page still
 * shared): the process gets the page as its own, writable with Protection. */
NTSTATUS MiCopyOnWrite(PMMPTE PointerPte, MMPTE TempPte, ULONG_PTR Va, ULONG Protection);

/* userpte.c (also the primitives vad.h lists for virtual.c) */
#define MI_IS_USER_PAGE_TABLE_ADDRESS(Va) \
    ((ULONG)(Va) >= PTE_BASE && (ULONG)(Va) < MI_PTE_VA(MmSystemRangeStart))
extern ULONG MmPageTablesCreated;
NTSTATUS MiMakeUserPageTableValid(ULONG_PTR Va);
MMPTE MiMakeUserValidPte(PFN_NUMBER PageFrameIndex, ULONG Protection, BOOLEAN Dirty);
MMPTE MiMakeUserValidPde(PFN_NUMBER PageFrameIndex, BOOLEAN Dirty);
BOOLEAN MiIsResidentUserPte(PMMPTE PointerPte, MMPTE TempPte);
VOID MiDeletePte(PMMPTE PointerPte);
/* The user page table of Va resident (a kernel touch through the self-map brings back one
 * that was paged out): TRUE, or FALSE when Va has none at all (PDE 0). */
BOOLEAN MiMakeUserPageTableResident(ULONG_PTR Va);

/* wsmanagr.c: working sets (the list itself: wslist.c) */
extern PMMWSL MmWorkingSetList;         /* the current process's, in hyperspace */
PMMSUPPORT MiGetCurrentWorkingSet(VOID);
VOID MiInitializeWorkingSet(struct _EPROCESS *Process, PFN_NUMBER WsListPage);
/* The page at Va (a user page, or a user page table at its self-map address) became valid:
 * it joins the working set, the oldest page leaving first when the process is at its maximum. */
VOID MiAddToWorkingSet(ULONG_PTR Va, PFN_NUMBER PageFrameIndex, BOOLEAN PageTable);
/* Take a valid page out of the working set: its PTE becomes a transition PTE, the page goes
 * to the Modified (dirty) or Standby (clean) list. */
VOID MiRemovePageFromWorkingSet(PMMSUPPORT Ws, ULONG WsIndex);
/* Only forget the entry (the page is being deleted). */
VOID MiForgetWorkingSetEntry(PMMPFN Pfn1, PMMPTE PointerPte);
ULONG MiTrimWorkingSet(PMMSUPPORT Ws, ULONG Pages, BOOLEAN BelowMinimum);
/* Before a fault takes pages: keep MmMinimumFreePages + Pages available if at all possible,
 * writing modified pages and trimming the current working set. FALSE if even Pages are not. */
BOOLEAN MiEnsureAvailablePages(ULONG Pages);
/* When even that failed: wait until pages come back (STATUS_SUCCESS: try again), or the wait
 * ends with the status the fault fails with (the process ends, or no page will ever come). */
extern KEVENT MmAvailablePagesEvent;
extern ULONG MmPageWaiters;
NTSTATUS MiWaitForAvailablePages(ULONG Pages);
VOID MiWakePageWaiters(VOID);
/* The idle thread, when no thread can run: resolve threads waiting for pages (TRUE), bug
 * check NO_PAGES_AVAILABLE, or FALSE if nobody waits for pages. */
BOOLEAN MmResolvePageWaitDeadlock(VOID);
VOID MiCheckWorkingSet(struct _EPROCESS *Process);
VOID MiDeleteWorkingSetList(struct _EPROCESS *Process);
NTSTATUS PvSetWorkingSetLimits(ULONG MinimumPages, ULONG MaximumPages);

/* modwrite.c: the modified page writer */
ULONG MiModifiedPageWriter(ULONG Target);
VOID MiPagefileHostFull(ULONG Slot, ULONG Pages);

/* pagein.c: pages read back (pagefile, image) or taken back from a list */
typedef struct _MI_IN_PAGE_ERROR
{
    PMMPTE PointerPte;         /* the PTE whose page could not be read */
    ULONG PteContents;         /* what it holds now (the software PTE again) */
    NTSTATUS IoStatus;         /* STATUS_IO_DEVICE_ERROR for a failed host read */
    ULONG Va;
} MI_IN_PAGE_ERROR;
extern MI_IN_PAGE_ERROR MmLastInPageError;
NTSTATUS MiResolveTransitionFault(PMMPTE PointerPte, MMPTE TempPte, BOOLEAN Write,
                                  BOOLEAN PageTable);
NTSTATUS MiResolvePageFileFault(PMMPTE PointerPte, MMPTE TempPte, BOOLEAN Write,
                                BOOLEAN PageTable);
/* An in-page error at PointerPte (recorded for the crash report): STATUS_IN_PAGE_ERROR. */
NTSTATUS MiInPageError(PMMPTE PointerPte, NTSTATUS IoStatus);
NTSTATUS MiResolveDemandZeroFault(PMMPTE PointerPte, ULONG Protection, BOOLEAN Write);
/* A paged-out page table (transition or pagefile PDE) back in; its resolution in *Kind. */
NTSTATUS MiResolvePageTableFault(PMMPTE PointerPde, PULONG Kind);
/* Pages a read at Position (a fault there) may bring in: grown while faults are sequential,
 * Base for the first, 1 after a random one, never more than free pages allow; at least 1. */
ULONG MiReadAroundSize(PMI_READ_AROUND State, ULONG Position, ULONG Base);
/* A read brought in positions [First, First + Count). */
VOID MiReadAroundDone(PMI_READ_AROUND State, ULONG First, ULONG Count);

/* pagfault.c */
NTSTATUS MmAccessFault(ULONG FaultCode, PVOID Address, KPROCESSOR_MODE Mode,
                       PKTRAP_FRAME TrapFrame);

/* faulttrace.c: the fault trace ring shared with the host, and the fault counters. */
typedef struct _MI_FAULT_INFO
{
    ULONG FaultCode, Va;
    KPROCESSOR_MODE Mode;
    PKTRAP_FRAME TrapFrame;
    ULONG Resolution;          /* PV_FAULT_*, 0 until decided */
    PMMVAD Vad;                /* the VAD covering Va, if any */
    struct pv_fault_record Record;
} MI_FAULT_INFO, *PMI_FAULT_INFO;
extern ULONG MmFaultCount, MmFaultsByResolution[PV_FAULT_RESOLUTION_MAX];
VOID MiInitializeFaultTrace(VOID);
VOID MiBeginFaultRecord(PMI_FAULT_INFO Fault, ULONG FaultCode, ULONG Va, KPROCESSOR_MODE Mode,
                        PKTRAP_FRAME TrapFrame);
VOID MiEndFaultRecord(PMI_FAULT_INFO Fault, ULONG Resolution, NTSTATUS Status);
/* The read paths say where the faulting page came from (PV_BACKING_*, its file offset). */
extern ULONG MiFaultBacking, MiFaultBackingOffset;

/* mmquery.c: pagevisor's query services for test images. */
NTSTATUS PvQueryMmCounters(PPV_MM_COUNTERS Counters, ULONG Length);
NTSTATUS PvQueryPhysicalPage(PVOID VirtualAddress, PULONG PageFrameNumber);

/* probe.c */
extern NTSTATUS MmUserCopyFaultStatus;   /* why the last fault-safe copy stopped */
NTSTATUS ProbeForRead(PCVOID Address, SIZE_T Length, ULONG Alignment);
NTSTATUS ProbeForWrite(PVOID Address, SIZE_T Length, ULONG Alignment); /* touches each page */
NTSTATUS MmProbeForReadAccess(PCVOID Address, SIZE_T Length);            /* reads each page */
NTSTATUS MmCopyFromUser(PVOID Destination, PCVOID UserSource, SIZE_T Length);

/* mm/vmcopy.c: another process's memory, through a handle (a child's, or the caller's own). */
NTSTATUS NtReadVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PVOID Buffer,
                             SIZE_T BufferSize, PSIZE_T NumberOfBytesRead);
NTSTATUS NtWriteVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PCVOID Buffer,
                              SIZE_T BufferSize, PSIZE_T NumberOfBytesWritten);
NTSTATUS NtFlushInstructionCache(HANDLE ProcessHandle, PVOID BaseAddress, SIZE_T Length);
NTSTATUS MmCopyToUser(PVOID UserDestination, PCVOID Source, SIZE_T Length);
NTSTATUS MmCopyStringFromUser(PCHAR Destination, PCSTR UserSource, ULONG Size);

/* mmcheck.c */
ULONG MmRunBootSelfChecks(VOID);
VOID MiCheckNewProcessPageDirectory(PFN_NUMBER PageDirectoryIndex, PFN_NUMBER HyperIndex);
DECLSPEC_NORETURN VOID MiSelfCheckFailed(ULONG Check, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4);

#endif /* PV_MM_H */
