/*
 * ntmmapi.h - the user-visible side of the memory manager, shared by the kernel and the test
 * images (through ntapi.h): NT's PAGE_* protections and MEM_* allocation types and states,
 * MEMORY_BASIC_INFORMATION for NtQueryVirtualMemory, and pagevisor's own PV_MM_COUNTERS for
 * the PvQueryMmCounters service. Values are NT's (winnt.h / ntifs.h).
 */
#ifndef PV_NTMMAPI_H
#define PV_NTMMAPI_H

#include "ntdef.h"
#include "pv_abi.h"

/* Page protections (Win32 and NT native API). */
#define PAGE_NOACCESS           0x01u
#define PAGE_READONLY           0x02u
#define PAGE_READWRITE          0x04u
#define PAGE_WRITECOPY          0x08u
#define PAGE_EXECUTE            0x10u
#define PAGE_EXECUTE_READ       0x20u
#define PAGE_EXECUTE_READWRITE  0x40u
#define PAGE_EXECUTE_WRITECOPY  0x80u
#define PAGE_GUARD              0x100u
#define PAGE_NOCACHE            0x200u
#define PAGE_WRITECOMBINE       0x400u

/* Allocation types, free types, region states and region types. */
#define MEM_COMMIT              0x00001000u
#define MEM_RESERVE             0x00002000u
#define MEM_DECOMMIT            0x00004000u
#define MEM_RELEASE             0x00008000u
#define MEM_FREE                0x00010000u
#define MEM_PRIVATE             0x00020000u
#define MEM_MAPPED              0x00040000u
#define MEM_RESET               0x00080000u
#define MEM_TOP_DOWN            0x00100000u
#define MEM_WRITE_WATCH         0x00200000u
#define MEM_PHYSICAL            0x00400000u
#define MEM_IMAGE               0x01000000u
#define MEM_LARGE_PAGES         0x20000000u

typedef enum _MEMORY_INFORMATION_CLASS
{
    MemoryBasicInformation = 0
} MEMORY_INFORMATION_CLASS;

/* One region: consecutive pages of one allocation with the same state and protection. */
typedef struct _MEMORY_BASIC_INFORMATION
{
    PVOID BaseAddress;       /* the queried address rounded down to a page */
    PVOID AllocationBase;    /* start of the allocation (VAD); NULL for free memory */
    ULONG AllocationProtect; /* protection given when the range was reserved */
    SIZE_T RegionSize;       /* bytes from BaseAddress with the same State and Protect */
    ULONG State;             /* MEM_COMMIT, MEM_RESERVE or MEM_FREE */
    ULONG Protect;           /* PAGE_*; 0 for reserved pages, PAGE_NOACCESS for free ones */
    ULONG Type;              /* MEM_PRIVATE or MEM_IMAGE; 0 for free memory */
} MEMORY_BASIC_INFORMATION, *PMEMORY_BASIC_INFORMATION;

/*
 * PvQueryMmCounters: the memory manager's counters. Fault counts are system-wide since boot
 * (images run one at a time, so a difference across a piece of code counts that code's
 * faults); the process fields describe the caller. Sizes are in pages.
 */
/* PvDebugRecurseInKernel (a debugging aid, see guest/ke/kestack.c): Flags, and the deepest
 * recursion accepted (256-byte frames: 16 MiB of stack would be needed). */
#define PV_RECURSE_EXPAND     1u
#define PV_RECURSE_MAX_DEPTH  65536u

/* PvDebugCloneProcess operations (a debugging aid, see guest/ke/forktest.c). */
#define PV_DEBUG_CLONE_CREATE 1
#define PV_DEBUG_CLONE_READ   2
#define PV_DEBUG_CLONE_WRITE  3
#define PV_DEBUG_CLONE_DELETE 4

/* The resolutions FaultsByResolution holds (PV_FAULT_* below PV_FAULT_FILE_READ; file reads
 * are FileReadFaults, at the end, so that the layout images were built with stays). */
#define PV_MM_FAULT_RESOLUTIONS 14u

typedef struct _PV_MM_COUNTERS
{
    ULONG PageFaults;                                  /* every page fault taken */
    ULONG FaultsByResolution[PV_MM_FAULT_RESOLUTIONS]; /* indexed by PV_FAULT_* (pv_abi.h) */
    ULONG PageTablesCreated;   /* user page tables demand-zeroed (alone or with a data page) */
    ULONG ProcessPageFaults;   /* page faults of the calling process (either mode) */
    ULONG ProcessCommitCharge; /* pages committed by the calling process */
    ULONG ProcessCommitPeak;
    ULONG ProcessPrivatePages; /* its private pages that are resident */
    ULONG TotalCommittedPages; /* committed by every process */
    ULONG CommitLimit;         /* RAM available at boot (less a reserve) + pagefile slots */
    ULONG AvailablePages;      /* Zeroed + Free + Standby */
    ULONG PagefileSlots;       /* 0 without a pagefile */
    /* The calling process's working set. */
    ULONG WorkingSetSize;      /* pages in it now (its page tables included) */
    ULONG WorkingSetPeak;
    ULONG WorkingSetMinimum, WorkingSetMaximum;
    ULONG WorkingSetReplaced;  /* pages that left it FIFO at its maximum */
    ULONG WorkingSetTrimmed;   /* pages that left it because free pages ran low (or asked) */
    /* The page lists now. */
    ULONG ZeroedPages, FreePages, StandbyPages, ModifiedPages, ModifiedNoWritePages, BadPages;
    /* Paging since boot. */
    ULONG PageReadIoCount;     /* pagefile reads (one hypercall each) for page faults */
    ULONG PagesRead;           /* pages they brought in, clusters included */
    ULONG ClusterPagesRead;    /* of which read around the faulting page (to Standby) */
    ULONG ImagePagesRead;      /* image pages read (host file or boot module) */
    ULONG DirtyWriteIoCount;   /* pagefile writes (one hypercall each) by the modified writer */
    ULONG DirtyPagesWritten;   /* pages they wrote */
    ULONG WriteFailures;       /* writes the host failed (the pages stayed modified) */
    ULONG InPageErrors;        /* reads the host failed */
    ULONG StandbyReused;       /* standby pages reused (their PTE restored: pagefile/image/0) */
    ULONG PagesZeroed;         /* zeroed when a demand-zero fault took them */
    ULONG PagefileSlotsInUse;
    ULONG PagefileBadSlots;
    ULONG PageTablesOut;       /* user page tables that left memory's working sets */
    ULONG PageTablesIn;        /* user page tables brought back (soft fault or pagefile read) */
    /* Added later: an image built before asks with the older Length and gets the fields
     * above (PV_MM_COUNTERS_V1_SIZE). */
    ULONG PageWaits;           /* faults that found no page and waited for one */
    ULONG PagefileFullWrites;  /* pagefile writes the host refused: its file system full */
    /* Clustered page-ins (one host call each; exits per page-in = calls / pages). */
    ULONG ImageReadIoCount;    /* image reads for faults (ImagePagesRead: their pages) */
    ULONG PrototypeReadIoCount; /* of PageReadIoCount: section and clone-block prototypes' */
    ULONG PrototypePagesRead;  /* of PagesRead: the pages those brought in */
    /* Mapped files (the volume C:); also after PV_MM_COUNTERS_V1_SIZE. */
    ULONG FileReadFaults;      /* faults that read a mapped file's page (PV_FAULT_FILE_READ) */
    ULONG FilePagesRead;       /* pages read from mapped files */
    ULONG MappedWriteCount;    /* writes of the mapped page writer (and flushes) */
    ULONG MappedPagesWritten;  /* dirty mapped-file pages written back to their files */
    ULONG FileReadIoCount;     /* mapped-file reads (one host call each; FilePagesRead: pages) */
    /* Physical memory from user mode (after PV_MM_COUNTERS_V3_SIZE). */
    ULONG PagesRelocated;      /* pages moved to clear runs for large pages, since boot */
    ULONG LargePages;          /* 4 MiB user large pages mapped now (all processes) */
    ULONG AwePages;            /* AWE frames allocated now (all processes) */
    ULONG ProcessLockedPages;  /* the caller's pages no working set holds and nothing pages
                                * out: its large pages' frames and its AWE frames */
} PV_MM_COUNTERS, *PPV_MM_COUNTERS;

#define PV_MM_COUNTERS_V1_SIZE __builtin_offsetof(PV_MM_COUNTERS, PageWaits)
/* Before the clustered page-in counters. */
#define PV_MM_COUNTERS_V2_SIZE __builtin_offsetof(PV_MM_COUNTERS, ImageReadIoCount)
/* Before the large-page and AWE counters. */
#define PV_MM_COUNTERS_V3_SIZE __builtin_offsetof(PV_MM_COUNTERS, PagesRelocated)

#endif /* PV_NTMMAPI_H */
