/*
 * ws.h - working sets: the pages of a process that are valid in its page tables, in the order
 * they came in, and the limits on how many there may be.
 *
 * NT 3.x and 4.0 replaced pages FIFO inside a process ("local FIFO", KB Q98216): when a
 * process at its maximum faults, its oldest page leaves. pagevisor keeps each process's
 * working-set list (MMWSL) in its hyperspace at MI_WORKING_SET_LIST, one page at first, more
 * as it grows; each entry (MMWSLE) holds a page's virtual address and the links of a doubly
 * linked FIFO (oldest at the head), so that a page can also leave from the middle (freed,
 * decommitted, made PAGE_GUARD) in O(1): its PFN's u1.WsIndex names its entry. Free entries
 * are chained through Flink.
 *
 * User page tables are working-set entries too (MI_WSLE_PAGE_TABLE; their address is the one
 * they have in the self-map, 0xC0000000 + index * 4 KiB), as in NT: one may leave only when no
 * page it maps is resident (share count 1), otherwise it gets another round at the tail.
 *
 * mm/wslist.c is pure C over these structures (no hardware, no allocation: whoever maps more
 * pages for the list calls MiGrowWsl), so it also compiles for the host unit tests.
 */
#ifndef PV_WS_H
#define PV_WS_H

#include "ntdef.h"

#define MI_WSLE_NONE        0xFFFFFFFFu
#define MI_WSLE_VALID       0x1u    /* the entry holds a page */
#define MI_WSLE_PAGE_TABLE  0x2u    /* ...a user page table (address in the self-map) */
#define MI_WSLE_FLAGS       0xFFFu

typedef struct _MMWSLE
{
    ULONG VirtualAddress;      /* page address | MI_WSLE_* flags; 0 when free */
    ULONG Flink;               /* valid: the next younger entry; free: the next free one */
    ULONG Blink;               /* valid: the next older entry */
} MMWSLE, *PMMWSLE;

typedef struct _MMWSL
{
    ULONG FirstFree;           /* free entries below LastInitializedWsle, through Flink */
    ULONG LastInitializedWsle; /* entries from here to Capacity were never used */
    ULONG Capacity;            /* entries that fit in the pages mapped for the list */
    ULONG Oldest, Newest;      /* the FIFO's ends (MI_WSLE_NONE when empty) */
    ULONG Count;               /* valid entries: the working-set size */
    MMWSLE Wsle[];
} MMWSL, *PMMWSL;

/* Entries that fit in Bytes of list (header included). */
#define MI_WSL_CAPACITY(Bytes) ((ULONG)(((Bytes) - sizeof(MMWSL)) / sizeof(MMWSLE)))

/* The memory-manager part of a process about its working set (NT's MMSUPPORT). */
typedef struct _MMSUPPORT
{
    PMMWSL VmWorkingSetList;   /* MI_WORKING_SET_LIST, or NULL (System: nothing pageable) */
    ULONG WslPages;            /* pages mapped for the list */
    ULONG MinimumWorkingSetSize, MaximumWorkingSetSize;   /* pages */
    ULONG PeakWorkingSetSize;
    ULONG PagesReplaced;       /* left FIFO because the process was at its maximum */
    ULONG PagesTrimmed;        /* left because free pages ran low, or on request */
} MMSUPPORT, *PMMSUPPORT;

/* mm/wslist.c */
VOID MiInitializeWsl(PMMWSL Wsl, ULONG Capacity);
/* More pages are mapped behind the list: Capacity entries fit now. */
VOID MiGrowWsl(PMMWSL Wsl, ULONG Capacity);
/* Append a page as the newest entry; its index, or MI_WSLE_NONE when the list is full. */
ULONG MiInsertWsle(PMMWSL Wsl, ULONG VirtualAddress);
/* Take an entry out, wherever it is in the FIFO. */
VOID MiRemoveWsle(PMMWSL Wsl, ULONG Index);
/* Give an entry another round: it becomes the newest. */
VOID MiMakeWsleNewest(PMMWSL Wsl, ULONG Index);
/* The replacement choice: the oldest entry that may leave (Trimmable says so), looking at no
 * more than Limit entries; an entry that may not (a page table still mapping resident pages)
 * is made the newest on the way, so it gets another round. MI_WSLE_NONE if none may. */
typedef BOOLEAN (*PMI_WSLE_TRIMMABLE)(PMMWSL Wsl, ULONG Index, PVOID Context);
ULONG MiFindOldestTrimmableWsle(PMMWSL Wsl, ULONG Limit, PMI_WSLE_TRIMMABLE Trimmable,
                                PVOID Context);
/* Walk and check links, counts and the free chain: the count, or MI_WSLE_NONE if broken. */
ULONG MiCheckWsl(PMMWSL Wsl);

#endif /* PV_WS_H */
