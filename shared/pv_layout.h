/*
 * pv_layout.h - where the host finds the guest kernel's memory-manager state without the
 * guest's help (`run --inspect-on-exit`, vmm/inspect/): the kernel data symbols it reads, by
 * name from the kernel ELF, and the offsets of the fields it reads in them. The guest checks
 * every offset at compile time (guest/mm/mminit.c) and tests/unit/test_mm_inspect.c checks the
 * symbols are in the built kernel, so the two sides cannot drift apart unnoticed.
 */
#ifndef PV_LAYOUT_H
#define PV_LAYOUT_H

/* ULONG globals (pages, or a count). */
#define PV_SYM_HIGHEST_PAGE     "MmHighestPhysicalPage"
#define PV_SYM_AVAILABLE_PAGES  "MmAvailablePages"
#define PV_SYM_COMMITTED_PAGES  "MmTotalCommittedPages"
#define PV_SYM_COMMIT_LIMIT     "MmTotalCommitLimit"

/* The page lists (MMPFNLIST each), in the order of NT's MMLISTS (ZeroedPageList = 0). */
#define PV_SYM_PAGE_LISTS(X)                                   \
    X("MmZeroedPageListHead", "Zeroed")                         \
    X("MmFreePageListHead", "Free")                             \
    X("MmStandbyPageListHead", "Standby")                       \
    X("MmModifiedPageListHead", "Modified")                     \
    X("MmModifiedNoWritePageListHead", "ModifiedNoWrite")       \
    X("MmBadPageListHead", "Bad")
#define PV_LAYOUT_MMPFNLIST_TOTAL 0   /* PFN_NUMBER Total: pages on the list */

/* The pagefile (MMPAGING_FILE): slots, slot 0 included; free; holding a page. */
#define PV_SYM_PAGING_FILE               "MmPagingFile"
#define PV_LAYOUT_PAGING_FILE_SIZE       0
#define PV_LAYOUT_PAGING_FILE_FREE_SPACE 4
#define PV_LAYOUT_PAGING_FILE_IN_USE     8

/* The PFN database: MmPfnDatabase holds its address; MMPFN entries of 24 bytes. */
#define PV_SYM_PFN_DATABASE          "MmPfnDatabase"
#define PV_LAYOUT_MMPFN_SIZE         24
#define PV_LAYOUT_MMPFN_U1           0    /* Flink (on a list) or WsIndex (active) */
#define PV_LAYOUT_MMPFN_PTE_ADDRESS  4    /* bit 0: deleted */
#define PV_LAYOUT_MMPFN_U2           8    /* Blink (on a list) or ShareCount (active) */
#define PV_LAYOUT_MMPFN_REFCOUNT     12   /* USHORT */
#define PV_LAYOUT_MMPFN_FLAGS        14   /* USHORT MMPFNENTRY, bits below */
#define PV_LAYOUT_MMPFN_ORIGINAL_PTE 16
#define PV_LAYOUT_MMPFN_U4           20   /* PteFrame: bits 0-24 */
#define PV_MMPFN_MODIFIED            0x0001u
#define PV_MMPFN_READ_IN_PROGRESS    0x0002u
#define PV_MMPFN_WRITE_IN_PROGRESS   0x0004u
#define PV_MMPFN_PROTOTYPE_PTE       0x0008u
#define PV_MMPFN_COLOR(f)            (((f) >> 4) & 0xFu)
#define PV_MMPFN_LOCATION(f)         (((f) >> 8) & 0x7u)   /* MMLISTS: 0 Zeroed ... 7 Transition */

/* The processes: PsActiveProcessHead (a LIST_ENTRY, Flink first) through each EPROCESS's
 * ActiveProcessLinks; the fields !process 0 0 prints. */
#define PV_SYM_ACTIVE_PROCESS_HEAD          "PsActiveProcessHead"
#define PV_LAYOUT_EPROCESS_DIRBASE          168   /* Pcb.DirectoryTableBase[0] */
#define PV_LAYOUT_EPROCESS_ACTIVE_LINKS     800
#define PV_LAYOUT_EPROCESS_PID              808   /* UniqueProcessId */
#define PV_LAYOUT_EPROCESS_PARENT_PID       812   /* InheritedFromUniqueProcessId */
#define PV_LAYOUT_EPROCESS_IMAGE_NAME       816   /* ImageFileName[PV_NAME_MAX] */
#define PV_LAYOUT_EPROCESS_HANDLE_TABLE     1556  /* HandleTable[PV_LAYOUT_EPROCESS_HANDLES] */
#define PV_LAYOUT_EPROCESS_HANDLES          32
#define PV_LAYOUT_EPROCESS_VAD_ROOT         872   /* Vm.VadRoot.Root: the AVL tree's root */
#define PV_LAYOUT_EPROCESS_VAD_COUNT        876   /* Vm.VadRoot.NumberGenericTableElements */
#define PV_LAYOUT_EPROCESS_COMMIT           884   /* Vm.CommitCharge, pages */
#define PV_LAYOUT_EPROCESS_FAULTS           892   /* Vm.PageFaultCount */
#define PV_LAYOUT_EPROCESS_PRIVATE_PAGES    896   /* Vm.PrivatePages: resident private pages */
#define PV_LAYOUT_EPROCESS_WSL              912   /* Ws.VmWorkingSetList: its VA (hyperspace) */
#define PV_LAYOUT_EPROCESS_WS_MIN           920   /* Ws.MinimumWorkingSetSize */
#define PV_LAYOUT_EPROCESS_WS_MAX           924   /* Ws.MaximumWorkingSetSize */
#define PV_LAYOUT_EPROCESS_WS_PEAK          928   /* Ws.PeakWorkingSetSize */

/* The working-set list (MMWSL, in the process's own address space): a FIFO of entries
 * (MMWSLE: VirtualAddress | flags, Flink to the next younger, Blink), Count of them valid. */
#define PV_LAYOUT_MMWSL_FIRST_FREE          0
#define PV_LAYOUT_MMWSL_LAST_INITIALIZED    4
#define PV_LAYOUT_MMWSL_CAPACITY            8
#define PV_LAYOUT_MMWSL_OLDEST              12
#define PV_LAYOUT_MMWSL_NEWEST              16
#define PV_LAYOUT_MMWSL_COUNT               20
#define PV_LAYOUT_MMWSL_WSLE                24
#define PV_LAYOUT_MMWSLE_SIZE               12
#define PV_LAYOUT_MMWSLE_FLINK              4
#define PV_WSLE_NONE                        0xFFFFFFFFu
#define PV_WSLE_VALID                       0x1u
#define PV_WSLE_PAGE_TABLE                  0x2u

/* A VAD (MMVAD): children, [StartingVpn, EndingVpn], flags (MMVAD_FLAGS, bits below). */
#define PV_LAYOUT_MMVAD_LEFT                0
#define PV_LAYOUT_MMVAD_RIGHT               4
#define PV_LAYOUT_MMVAD_START_VPN           12
#define PV_LAYOUT_MMVAD_END_VPN             16
#define PV_LAYOUT_MMVAD_FLAGS               20
#define PV_MMVAD_COMMIT(f)                  ((f) & 0x7FFFFu)
#define PV_MMVAD_TYPE(f)                    (((f) >> 20) & 7u)    /* 2: VadImageMap, 3: VadAwe,
                                                                   * 5: VadLargePages */
#define PV_MMVAD_PROTECTION(f)              (((f) >> 24) & 0x1Fu)
#define PV_MMVAD_PRIVATE(f)                 (((f) >> 31) & 1u)

#endif /* PV_LAYOUT_H */
