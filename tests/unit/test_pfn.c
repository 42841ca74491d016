/*
 * test_pfn.c - the guest memory manager's paging logic, compiled on the host as it is:
 *   guest/mm/pfnlist.c   the PFN lists and a page's transitions (active, Standby, Modified,
 *                        ModifiedNoWrite, Free, Zeroed; reuse of a Standby page restores its
 *                        old PTE; a page being read)
 *   guest/mm/wslist.c    the working-set list: FIFO order, removal from the middle, the
 *                        replacement choice that gives busy page tables another round
 *   guest/mm/pagefile.c  the pagefile slot bitmap: runs, next fit, release, bad slots
 * and the software PTE formats of shared/nt_pte.h (demand zero, pagefile, transition, image)
 * against the guest's MMPTE bit fields.
 *
 * The kernel reaches page tables of other pages through hyperspace; here MiMapPageInHyperSpace
 * hands out fake page tables (page-aligned arrays) by frame number. A bug check longjmps back
 * to the test that expects it.
 */
#include "../../guest/mm/pfnlist.c"
#include "../../guest/mm/wslist.c"
#include "../../guest/mm/pagefile.c"

#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pfn_fixture.h"
#include "unit.h"

/* ------------------------------------------------------------------------------- shims */


#define TABLES      4u

static uint32_t tables[TABLES][PTE_PER_PAGE] __attribute__((aligned(4096)));
static uint32_t zeroed[PAGES];            /* how often each frame was zeroed */
static unsigned mappings;                 /* hyperspace mappings not yet undone */
static jmp_buf bugcheck_jump;
static bool bugcheck_armed;
static ULONG bugcheck_code, bugcheck_p1;

void KeBugCheckEx(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    (void)P2; (void)P3; (void)P4;
    bugcheck_code = Code;
    bugcheck_p1 = (ULONG)P1;
    if (!bugcheck_armed) {
        fprintf(stderr, "unexpected bug check 0x%X (0x%lX)\n", Code, (unsigned long)P1);
        abort();
    }
    bugcheck_armed = false;
    longjmp(bugcheck_jump, 1);
}

#define EXPECT_BUGCHECK(code, stmt)                  \
    do {                                             \
        bugcheck_code = 0;                           \
        if (setjmp(bugcheck_jump) == 0) {            \
            bugcheck_armed = true;                   \
            stmt;                                    \
            bugcheck_armed = false;                  \
        }                                            \
        CU_ASSERT_EQUAL(bugcheck_code, (code));      \
    } while (0)

PVOID MiMapPageInHyperSpace(PFN_NUMBER Page)
{
    CU_ASSERT_FATAL(Page >= TABLE_FRAME && Page < TABLE_FRAME + TABLES);
    mappings++;
    return tables[Page - TABLE_FRAME];
}

VOID MiUnmapPageInHyperSpace(PVOID Address)
{
    CU_ASSERT(((uintptr_t)Address & 0xFFF) == 0);
    mappings--;
}

VOID MiZeroPhysicalPage(PFN_NUMBER Page)
{
    zeroed[Page]++;
}

/* Every frame below TABLE_FRAME (but 0) on the Free list, the fake tables active. */
static void reset(ULONG pagefile_slots)
{
    memset(tables, 0, sizeof(tables));
    memset(zeroed, 0, sizeof(zeroed));
    pfn_fixture_reset(pagefile_slots);
    mappings = 0;
}

/* Make page Page active for PTE Index of fake table Table, as the fault path would. */
static PMMPTE activate(PFN_NUMBER page, unsigned table, unsigned index, uint32_t original)
{
    PMMPTE pte = (PMMPTE)&tables[table][index];
    MiInitializePfnForOtherProcess(page, pte, TABLE_FRAME + table);
    pfn_db[page].OriginalPte.u.Long = original;
    pfn_db[page].u3.e1.Modified = 0;
    pte->u.Long = PTE_FROM_PFN(page) | PTE_VALID | PTE_WRITE | PTE_OWNER;
    return pte;
}

/* What the working-set code does when a page leaves: transition PTE, share count down. */
static void trim(PMMPTE pte, bool dirty)
{
    PFN_NUMBER page = PTE_PFN(pte->u.Long);
    if (dirty)
        pfn_db[page].u3.e1.Modified = 1;
    pte->u.Long = MI_MAKE_TRANSITION_PTE(page, MI_PTE_PROTECTION(pfn_db[page].OriginalPte.u.Long));
    MiDecrementShareCount(&pfn_db[page], page);
}

static ULONG list_pages(PMMPFNLIST list, PFN_NUMBER *out, ULONG max)
{
    ULONG n = 0;
    for (PFN_NUMBER p = list->Flink; p != LIST_HEAD && n < max; p = pfn_db[p].u1.Flink)
        out[n++] = p;
    return n;
}

/* --------------------------------------------------------------------------- PTE formats */

static void software_pte_round_trips(void)
{
    static const ULONG slots[] = { 1, 2, 0x7FF, 0x800, 0x12345, 0xFFFFE, 0xFFFFF };
    for (unsigned i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        for (ULONG prot = 0; prot < 32; prot++) {
            for (ULONG file = 0; file < 16; file += 5) {
                MMPTE pte = { { MI_MAKE_PAGEFILE_PTE(file, slots[i], prot) } };
                CU_ASSERT_EQUAL(mi_pte_kind(pte.u.Long), MI_PTE_PAGEFILE);
                CU_ASSERT(MI_PTE_HAS_PAGEFILE_SLOT(pte.u.Long));
                CU_ASSERT_EQUAL(MI_PAGEFILE_HIGH(pte.u.Long), slots[i]);
                CU_ASSERT_EQUAL(MI_PAGEFILE_LOW(pte.u.Long), file);
                CU_ASSERT_EQUAL(MI_PTE_PROTECTION(pte.u.Long), prot);
                /* The guest's bit fields read the same fields. */
                CU_ASSERT_EQUAL(pte.u.Soft.Valid, 0);
                CU_ASSERT_EQUAL(pte.u.Soft.PageFileHigh, slots[i]);
                CU_ASSERT_EQUAL(pte.u.Soft.PageFileLow, file);
                CU_ASSERT_EQUAL(pte.u.Soft.Protection, prot);
                CU_ASSERT_EQUAL(pte.u.Soft.Transition, 0);
                CU_ASSERT_EQUAL(pte.u.Soft.Prototype, 0);
                /* A new protection keeps the slot. */
                ULONG other = MI_PTE_WITH_PROTECTION(pte.u.Long, prot ^ 0x14);
                CU_ASSERT_EQUAL(MI_PAGEFILE_HIGH(other), slots[i]);
                CU_ASSERT_EQUAL(MI_PTE_PROTECTION(other), prot ^ 0x14);
            }
        }
    }
}

static void transition_and_demand_zero_round_trips(void)
{
    static const ULONG pfns[] = { 1, 0xAB, 0x3FFF, 0xFFFFF };
    for (unsigned i = 0; i < sizeof(pfns) / sizeof(pfns[0]); i++) {
        for (ULONG prot = 0; prot < 32; prot++) {
            MMPTE pte = { { MI_MAKE_TRANSITION_PTE(pfns[i], prot) } };
            CU_ASSERT_EQUAL(mi_pte_kind(pte.u.Long), MI_PTE_TRANSITION);
            CU_ASSERT_FALSE(MI_PTE_HAS_PAGEFILE_SLOT(pte.u.Long));
            CU_ASSERT_EQUAL(pte.u.Trans.PageFrameNumber, pfns[i]);
            CU_ASSERT_EQUAL(pte.u.Trans.Protection, prot);
            CU_ASSERT_EQUAL(pte.u.Soft.Transition, 1);
            CU_ASSERT_EQUAL(pte.u.Hard.Valid, 0);
        }
    }
    CU_ASSERT_EQUAL(MI_MAKE_TRANSITION_PTE(0xAB, MM_READWRITE), 0x000AB880u);   /* NT's example */
    for (ULONG prot = 1; prot < 32; prot++) {
        MMPTE dz = { { MI_MAKE_DEMAND_ZERO_PTE(prot) } };
        CU_ASSERT_EQUAL(mi_pte_kind(dz.u.Long), MI_PTE_DEMAND_ZERO);
        CU_ASSERT_FALSE(MI_PTE_HAS_PAGEFILE_SLOT(dz.u.Long));
        CU_ASSERT_EQUAL(dz.u.Soft.PageFileHigh, 0);
        CU_ASSERT_EQUAL(dz.u.Soft.Protection, prot);
        MMPTE image = { { MI_MAKE_PROTO_LOOKUP_PTE(prot) } };
        CU_ASSERT_EQUAL(mi_pte_kind(image.u.Long), MI_PTE_PROTOTYPE);
        CU_ASSERT_FALSE(MI_PTE_HAS_PAGEFILE_SLOT(image.u.Long));
        CU_ASSERT_EQUAL(MI_PAGEFILE_HIGH(image.u.Long), MI_PTE_LOOKUP_NEEDED);
        CU_ASSERT_EQUAL(MI_PTE_PROTECTION(image.u.Long), prot);
        CU_ASSERT_EQUAL(MI_PTE_PROTECTION(MI_PTE_WITH_PROTECTION(image.u.Long, 3)), 3);
        CU_ASSERT_EQUAL(mi_pte_kind(MI_PTE_WITH_PROTECTION(image.u.Long, 3)), MI_PTE_PROTOTYPE);
    }
    CU_ASSERT_EQUAL(MI_MAKE_PROTO_LOOKUP_PTE(MM_READWRITE), 0xFFFFF480u);
    CU_ASSERT_EQUAL(mi_pte_kind(0), MI_PTE_ZERO);
    CU_ASSERT_FALSE(MI_PTE_HAS_PAGEFILE_SLOT(0));
}

/* ---------------------------------------------------------------------------- PFN lists */

static void lists_order_and_counts(void)
{
    PFN_NUMBER got[PAGES];

    reset(0);
    CU_ASSERT_EQUAL(MmFreePageListHead.Total, TABLE_FRAME - 1);
    CU_ASSERT_EQUAL(MmAvailablePages, TABLE_FRAME - 1);
    CU_ASSERT_EQUAL(MiCheckPfnLists(), TABLE_FRAME - 1);
    /* Free is FIFO: pages come off in the order they went on. */
    CU_ASSERT_EQUAL(MiRemovePageFromList(&MmFreePageListHead), 1);
    CU_ASSERT_EQUAL(MiRemovePageFromList(&MmFreePageListHead), 2);
    /* Zeroed pages go to the head: the last zeroed is the first taken. */
    MiInsertPageInList(&MmZeroedPageListHead, 1);
    MiInsertPageInList(&MmZeroedPageListHead, 2);
    CU_ASSERT_EQUAL(list_pages(&MmZeroedPageListHead, got, PAGES), 2);
    CU_ASSERT_EQUAL(got[0], 2);
    CU_ASSERT_EQUAL(got[1], 1);
    CU_ASSERT_EQUAL(MmAvailablePages, TABLE_FRAME - 1);
    /* Unlinking from the middle keeps the links. */
    MiUnlinkPageFromList(&pfn_db[10]);
    CU_ASSERT_EQUAL(pfn_db[10].u3.e1.PageLocation, ActiveAndValid);
    CU_ASSERT_EQUAL(MiCheckPfnLists(), TABLE_FRAME - 2);
    CU_ASSERT_EQUAL(pfn_db[9].u1.Flink, 11);
    CU_ASSERT_EQUAL(pfn_db[11].u2.Blink, 9);
    MiInsertPageInFreeList(10);
    CU_ASSERT_EQUAL(MmFreePageListHead.Blink, 10);
    CU_ASSERT_EQUAL(MiCheckPfnLists(), TABLE_FRAME - 1);
    /* Unlinking a page from no list is PFN_LIST_CORRUPT. */
    (void)MiRemovePageFromList(&MmFreePageListHead);
    EXPECT_BUGCHECK(PFN_LIST_CORRUPT, MiUnlinkPageFromList(&pfn_db[3]));
}

static void remove_any_and_zero_page_order(void)
{
    reset(0);
    /* MiRemoveAnyPage: Free first, then Zeroed, then Standby. */
    while (MmFreePageListHead.Total > 2)
        (void)MiRemovePageFromList(&MmFreePageListHead);
    PFN_NUMBER a = MmFreePageListHead.Flink, b = pfn_db[a].u1.Flink;
    MiUnlinkPageFromList(&pfn_db[b]);
    MiInsertPageInList(&MmZeroedPageListHead, b);
    PMMPTE pte = activate(5, 0, 7, MI_MAKE_PAGEFILE_PTE(0, 42, MM_READWRITE));
    trim(pte, false);
    CU_ASSERT_EQUAL(pfn_db[5].u3.e1.PageLocation, StandbyPageList);
    CU_ASSERT_EQUAL(MmAvailablePages, 3);
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), a);
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), b);
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), 5);
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), 0);
    CU_ASSERT_EQUAL(MmAvailablePages, 0);
    CU_ASSERT_EQUAL(zeroed[a] + zeroed[b] + zeroed[5], 0);

    /* MiRemoveZeroPage: Zeroed as is; Free and Standby pages are zeroed first. */
    reset(0);
    while (MmFreePageListHead.Total > 1)
        (void)MiRemovePageFromList(&MmFreePageListHead);
    a = MmFreePageListHead.Flink;
    MiInsertPageInList(&MmZeroedPageListHead, 20);
    pte = activate(6, 1, 3, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));
    trim(pte, false);
    CU_ASSERT_EQUAL(MiRemoveZeroPage(), 20);
    CU_ASSERT_EQUAL(zeroed[20], 0);
    CU_ASSERT_EQUAL(MiRemoveZeroPage(), a);
    CU_ASSERT_EQUAL(zeroed[a], 1);
    CU_ASSERT_EQUAL(MiRemoveZeroPage(), 6);
    CU_ASSERT_EQUAL(zeroed[6], 1);
    CU_ASSERT_EQUAL(MiRemoveZeroPage(), 0);
    CU_ASSERT_EQUAL(mappings, 0);
}

/* A fault waiting for a page is woken by every page that becomes available (Standby, Free),
 * not by one that only changes lists among the unavailable (Modified); nobody waiting, nobody
 * is woken. */
static void available_page_wakes_page_waiters(void)
{
    reset(100);
    PMMPTE clean = activate(MiRemoveAnyPage(), 0, 1, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));
    PMMPTE dirty = activate(MiRemoveAnyPage(), 0, 2, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));
    PMMPTE idle = activate(MiRemoveAnyPage(), 0, 3, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));

    page_waiter_wakeups = 0;
    trim(idle, false);                       /* nobody waits */
    CU_ASSERT_EQUAL(page_waiter_wakeups, 0);
    MmPageWaiters = 1;
    trim(dirty, true);                       /* to Modified: not available */
    CU_ASSERT_EQUAL(page_waiter_wakeups, 0);
    trim(clean, false);                      /* to Standby: available */
    CU_ASSERT_EQUAL(page_waiter_wakeups, 1);
    MiInsertPageInFreeList(MiRemoveAnyPage());
    CU_ASSERT_EQUAL(page_waiter_wakeups, 2);
    MmPageWaiters = 0;
}

/* A dirty page whose backing store is its file (a mapped file's section page: the "read the
 * file" prototype form in OriginalPte) goes to the Modified list even without a pagefile, for
 * the mapped page writer; a private dirty page then goes to ModifiedNoWrite. */
static void mapped_file_page_is_written_without_a_pagefile(void)
{
    reset(0);
    PFN_NUMBER file_page = MiRemoveAnyPage(), private_page = MiRemoveAnyPage();
    PMMPFN f = &pfn_db[file_page], p = &pfn_db[private_page];

    f->u3.ReferenceCount = 1;
    f->u2.ShareCount = 0;
    f->u3.e1.PrototypePte = 1;
    f->u3.e1.Modified = 1;
    f->OriginalPte.u.Long = MI_MAKE_PROTO_LOOKUP_PTE(MM_READWRITE);
    CU_ASSERT_TRUE(MI_IS_FILE_BACKED_PFN(f));
    MiDecrementReferenceCount(f, file_page);
    CU_ASSERT_EQUAL(f->u3.e1.PageLocation, ModifiedPageList);

    p->u3.ReferenceCount = 1;
    p->u2.ShareCount = 0;
    p->u3.e1.Modified = 1;
    p->OriginalPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE);
    CU_ASSERT_FALSE(MI_IS_FILE_BACKED_PFN(p));
    MiDecrementReferenceCount(p, private_page);
    CU_ASSERT_EQUAL(p->u3.e1.PageLocation, ModifiedNoWritePageList);
}

static void active_page_leaves_by_its_dirtiness(void)
{
    PFN_NUMBER table = TABLE_FRAME;
    ULONG table_share;

    reset(100);
    table_share = pfn_db[table].u2.ShareCount;
    PMMPTE clean = activate(MiRemoveAnyPage(), 0, 1, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));
    PMMPTE dirty = activate(MiRemoveAnyPage(), 0, 2, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));
    PFN_NUMBER c = PTE_PFN(clean->u.Long), d = PTE_PFN(dirty->u.Long);
    CU_ASSERT_EQUAL(pfn_db[c].u2.ShareCount, 1);
    CU_ASSERT_EQUAL(pfn_db[c].u3.ReferenceCount, 1);
    CU_ASSERT_EQUAL(pfn_db[c].u4.PteFrame, table);
    CU_ASSERT_EQUAL(pfn_db[table].u2.ShareCount, table_share + 2);

    /* Leaving a working set: clean to Standby (available), dirty to Modified (not). */
    ULONG available = MmAvailablePages;
    trim(clean, false);
    trim(dirty, true);
    CU_ASSERT_EQUAL(pfn_db[c].u3.e1.PageLocation, StandbyPageList);
    CU_ASSERT_EQUAL(pfn_db[d].u3.e1.PageLocation, ModifiedPageList);
    CU_ASSERT_EQUAL(MmAvailablePages, available + 1);
    CU_ASSERT_EQUAL(mi_pte_kind(clean->u.Long), MI_PTE_TRANSITION);
    /* Both still hold their share of the page table: it must stay while they are in RAM. */
    CU_ASSERT_EQUAL(pfn_db[table].u2.ShareCount, table_share + 2);
    CU_ASSERT_EQUAL(MiCheckPfnLists(), MmAvailablePages + 1);

    /* Without a pagefile a dirty page cannot be written: ModifiedNoWrite. */
    reset(0);
    PMMPTE nowrite = activate(MiRemoveAnyPage(), 2, 9, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));
    trim(nowrite, true);
    CU_ASSERT_EQUAL(pfn_db[PTE_PFN(nowrite->u.Long)].u3.e1.PageLocation, ModifiedNoWritePageList);
    CU_ASSERT_EQUAL(MmModifiedNoWritePageListHead.Total, 1);

    /* A deleted page goes to Free when its last share goes. */
    PFN_NUMBER page = MiRemoveAnyPage();
    PMMPTE gone = activate(page, 2, 10, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));
    gone->u.Long = 0;
    MI_SET_PFN_DELETED(&pfn_db[page]);
    MiDecrementShareCount(&pfn_db[page], page);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, FreePageList);
    /* And decrementing it again is PFN_LIST_CORRUPT. */
    EXPECT_BUGCHECK(PFN_LIST_CORRUPT, MiDecrementShareCount(&pfn_db[page], page));
}

static void standby_reuse_restores_the_old_pte(void)
{
    PFN_NUMBER table = TABLE_FRAME + 1;

    reset(100);
    while (MmFreePageListHead.Total > 0)
        (void)MiRemovePageFromList(&MmFreePageListHead);
    PMMPTE paged = activate(7, 1, 100, MI_MAKE_PAGEFILE_PTE(0, 9, MM_READWRITE));
    PMMPTE clean = activate(8, 1, 101, MI_MAKE_DEMAND_ZERO_PTE(MM_READONLY));
    PMMPTE image = activate(9, 1, 102, MI_MAKE_PROTO_LOOKUP_PTE(MM_EXECUTE_READ));
    ULONG share = pfn_db[table].u2.ShareCount;
    trim(paged, false);
    trim(clean, false);
    trim(image, false);
    pfn_db[table].u3.e1.Modified = 0;

    /* Oldest Standby first; each old PTE gets its OriginalPte back, the table a share less. */
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), 7);
    CU_ASSERT_EQUAL(paged->u.Long, MI_MAKE_PAGEFILE_PTE(0, 9, MM_READWRITE));
    CU_ASSERT_EQUAL(pfn_db[table].u2.ShareCount, share - 1);
    CU_ASSERT_EQUAL(pfn_db[table].u3.e1.Modified, 1);
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), 8);
    CU_ASSERT_EQUAL(clean->u.Long, MI_MAKE_DEMAND_ZERO_PTE(MM_READONLY));
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), 9);
    CU_ASSERT_EQUAL(image->u.Long, MI_MAKE_PROTO_LOOKUP_PTE(MM_EXECUTE_READ));
    CU_ASSERT_EQUAL(pfn_db[table].u2.ShareCount, share - 3);
    CU_ASSERT_EQUAL(MmInfoCounters.StandbyReused, 3);
    CU_ASSERT_EQUAL(pfn_db[9].u3.ReferenceCount, 0);
    CU_ASSERT_EQUAL(pfn_db[9].PteAddress, NULL);
    CU_ASSERT_EQUAL(mappings, 0);

    /* A Standby page whose PTE no longer points at it: MEMORY_MANAGEMENT, not silence. */
    reset(100);
    while (MmFreePageListHead.Total > 0)
        (void)MiRemovePageFromList(&MmFreePageListHead);
    PMMPTE pte = activate(11, 0, 5, MI_MAKE_PAGEFILE_PTE(0, 3, MM_READWRITE));
    trim(pte, false);
    pte->u.Long = MI_MAKE_TRANSITION_PTE(12, MM_READWRITE);
    EXPECT_BUGCHECK(MEMORY_MANAGEMENT, (void)MiRemoveAnyPage());
    CU_ASSERT_EQUAL(bugcheck_p1, MI_BUGCHECK_TRANSITION_PAGE);
}

static void page_being_read_then_standby_or_active(void)
{
    PFN_NUMBER table = TABLE_FRAME + 2;
    reset(100);
    ULONG share = pfn_db[table].u2.ShareCount;
    PFN_NUMBER page = MiRemoveAnyPage();
    PMMPTE pte = (PMMPTE)&tables[2][50];
    MMPTE original = { { MI_MAKE_PAGEFILE_PTE(0, 77, MM_READWRITE) } };

    MiInitializeTransitionPfn(page, pte, original, table);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.ReadInProgress, 1);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, TransitionPage);
    CU_ASSERT_EQUAL(pfn_db[page].u3.ReferenceCount, 1);
    CU_ASSERT_EQUAL(pfn_db[page].u2.ShareCount, 0);
    CU_ASSERT_EQUAL(pfn_db[page].OriginalPte.u.Long, original.u.Long);
    CU_ASSERT_EQUAL(pfn_db[table].u2.ShareCount, share + 1);
    /* Read around a fault: the I/O reference goes, the clean page lands on Standby. */
    pfn_db[page].u3.e1.ReadInProgress = 0;
    MiDecrementReferenceCount(&pfn_db[page], page);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, StandbyPageList);
    CU_ASSERT_EQUAL(pfn_db[table].u2.ShareCount, share + 1);
    /* A page whose reference is gone already: PFN_LIST_CORRUPT. */
    MiUnlinkPageFromList(&pfn_db[page]);
    EXPECT_BUGCHECK(PFN_LIST_CORRUPT, MiDecrementReferenceCount(&pfn_db[page], page));
}

/* -------------------------------------------------------------------- working-set list */

static union {
    MMWSL wsl;
    unsigned char bytes[4096];
} ws_page;

static void wsl_fifo_order(void)
{
    PMMWSL wsl = &ws_page.wsl;
    ULONG idx[8];

    MiInitializeWsl(wsl, 8);
    for (ULONG i = 0; i < 8; i++)
        idx[i] = MiInsertWsle(wsl, 0x00400000u + i * 0x1000);
    CU_ASSERT_EQUAL(wsl->Count, 8);
    CU_ASSERT_EQUAL(MiInsertWsle(wsl, 0x00500000u), MI_WSLE_NONE);   /* full */
    CU_ASSERT_EQUAL(MiCheckWsl(wsl), 8);
    /* Oldest first, in the order they came. */
    ULONG i = 0;
    for (ULONG e = wsl->Oldest; e != MI_WSLE_NONE; e = wsl->Wsle[e].Flink, i++)
        CU_ASSERT_EQUAL(wsl->Wsle[e].VirtualAddress & ~MI_WSLE_FLAGS, 0x00400000u + i * 0x1000);
    CU_ASSERT_EQUAL(i, 8);
    /* Out of the middle, and the oldest: the rest keep their order. */
    MiRemoveWsle(wsl, idx[3]);
    MiRemoveWsle(wsl, idx[0]);
    CU_ASSERT_EQUAL(MiCheckWsl(wsl), 6);
    CU_ASSERT_EQUAL(wsl->Wsle[wsl->Oldest].VirtualAddress & ~MI_WSLE_FLAGS, 0x00401000u);
    /* New pages reuse the free entries but join as the newest. */
    ULONG n1 = MiInsertWsle(wsl, 0x00600000u | MI_WSLE_PAGE_TABLE);
    ULONG n2 = MiInsertWsle(wsl, 0x00601000u);
    CU_ASSERT(n1 == idx[0] || n1 == idx[3]);
    CU_ASSERT(n2 == idx[0] || n2 == idx[3]);
    CU_ASSERT_EQUAL(wsl->Newest, n2);
    CU_ASSERT_EQUAL(wsl->Wsle[wsl->Newest].Blink, n1);
    CU_ASSERT(wsl->Wsle[n1].VirtualAddress & MI_WSLE_PAGE_TABLE);
    CU_ASSERT_EQUAL(MiCheckWsl(wsl), 8);
    /* Growing makes room for more. */
    MiGrowWsl(wsl, 10);
    CU_ASSERT_NOT_EQUAL(MiInsertWsle(wsl, 0x00700000u), MI_WSLE_NONE);
    CU_ASSERT_EQUAL(MiCheckWsl(wsl), 9);
    /* Another round: the oldest becomes the newest. */
    ULONG oldest = wsl->Oldest;
    MiMakeWsleNewest(wsl, oldest);
    CU_ASSERT_EQUAL(wsl->Newest, oldest);
    CU_ASSERT_EQUAL(MiCheckWsl(wsl), 9);
    /* A broken link is found. */
    wsl->Wsle[wsl->Newest].Blink = wsl->Newest;
    CU_ASSERT_EQUAL(MiCheckWsl(wsl), MI_WSLE_NONE);
}

/* Trimmable unless the entry is a page table marked busy (bit 0x100 of the address). */
static BOOLEAN busy_tables_stay(PMMWSL wsl, ULONG index, PVOID context)
{
    unsigned *looked = context;
    (*looked)++;
    return !(wsl->Wsle[index].VirtualAddress & 0x100);
}

static void replacement_is_fifo_and_skips_busy_page_tables(void)
{
    PMMWSL wsl = &ws_page.wsl;
    unsigned looked = 0;
    ULONG order[16], n = 0;

    /* A process at its maximum of 6, faulting 10 more pages: each new page pushes out the
     * oldest that may leave. Entry 1 is a page table with resident pages (busy). */
    MiInitializeWsl(wsl, 6);
    MiInsertWsle(wsl, 0x1000);
    MiInsertWsle(wsl, 0xC0000000u | 0x100 | MI_WSLE_PAGE_TABLE);
    for (ULONG i = 2; i < 6; i++)
        MiInsertWsle(wsl, i * 0x1000);
    for (ULONG fault = 0; fault < 10; fault++) {
        ULONG victim = MiFindOldestTrimmableWsle(wsl, wsl->Count, busy_tables_stay, &looked);
        CU_ASSERT_NOT_EQUAL_FATAL(victim, MI_WSLE_NONE);
        order[n++] = wsl->Wsle[victim].VirtualAddress & ~MI_WSLE_FLAGS;
        MiRemoveWsle(wsl, victim);
        CU_ASSERT_NOT_EQUAL(MiInsertWsle(wsl, (0x10 + fault) * 0x1000), MI_WSLE_NONE);
        CU_ASSERT_EQUAL(MiCheckWsl(wsl), 6);
    }
    /* The first pages in order, the busy page table never, then the new pages in order. */
    static const ULONG expected[10] = { 0x1000, 0x2000, 0x3000, 0x4000, 0x5000,
                                        0x10000, 0x11000, 0x12000, 0x13000, 0x14000 };
    for (ULONG i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(order[i], expected[i]);
    /* Only busy page tables: nothing may leave, and the walk stops. */
    MiInitializeWsl(wsl, 4);
    MiInsertWsle(wsl, 0xC0000000u | 0x100 | MI_WSLE_PAGE_TABLE);
    MiInsertWsle(wsl, 0xC0001000u | 0x100 | MI_WSLE_PAGE_TABLE);
    looked = 0;
    CU_ASSERT_EQUAL(MiFindOldestTrimmableWsle(wsl, wsl->Count, busy_tables_stay, &looked),
                    MI_WSLE_NONE);
    CU_ASSERT_EQUAL(looked, 2);
}

/* ------------------------------------------------------------------------ pagefile slots */

static void pagefile_slots_runs_and_release(void)
{
    ULONG first = 0;

    reset(40);   /* slots 1..39 */
    CU_ASSERT_EQUAL(MmPagingFile.FreeSpace, 39);
    CU_ASSERT(MiIsPagefileSlotInUse(0));           /* slot 0 is never a page */
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(16, &first), 16);
    CU_ASSERT_EQUAL(first, 1);
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(16, &first), 16);
    CU_ASSERT_EQUAL(first, 17);
    /* Only 7 left at the end: a shorter run. */
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(16, &first), 7);
    CU_ASSERT_EQUAL(first, 33);
    CU_ASSERT_EQUAL(MmPagingFile.FreeSpace, 0);
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(1, &first), 0);   /* full */
    /* Holes come back; next fit wraps around to them; a run stops at a used slot. */
    MiReleasePagefileSlot(5);
    MiReleasePagefileSlot(6);
    MiReleasePagefileSlot(20);
    CU_ASSERT_EQUAL(MmPagingFile.InUse, 36);
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(4, &first), 2);
    CU_ASSERT_EQUAL(first, 5);
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(4, &first), 1);
    CU_ASSERT_EQUAL(first, 20);
    /* Releasing a free slot is a bug check. */
    MiReleasePagefileSlot(20);
    EXPECT_BUGCHECK(MEMORY_MANAGEMENT, MiReleasePagefileSlot(20));
    CU_ASSERT_EQUAL(bugcheck_p1, MI_BUGCHECK_PAGEFILE_SLOT);
    EXPECT_BUGCHECK(MEMORY_MANAGEMENT, MiReleasePagefileSlot(0));
    /* A PTE's slot, and none for other kinds. */
    MMPTE with = { { MI_MAKE_PAGEFILE_PTE(0, 7, MM_READWRITE) } };
    MMPTE without = { { MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE) } };
    MiReleasePageFileSpace(without);
    MiReleasePageFileSpace(with);
    CU_ASSERT_FALSE(MiIsPagefileSlotInUse(7));
}

static void pagefile_bad_slots_are_never_reused(void)
{
    ULONG first = 0;

    reset(20);
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(8, &first), 8);
    MiMarkPagefileSlotBad(3);        /* a write to slot 3 failed */
    MiReleasePagefileSlot(4);
    CU_ASSERT_EQUAL(MmPagingFile.BadSlots, 1);
    CU_ASSERT_EQUAL(MmPagingFile.InUse, 6);
    /* Everything else back at once (a process's page table could not be read). */
    CU_ASSERT_EQUAL(MiReleaseAllPagefileSlots(), 6);
    CU_ASSERT_EQUAL(MmPagingFile.InUse, 0);
    CU_ASSERT_EQUAL(MmPagingFile.FreeSpace, 18);
    CU_ASSERT(MiIsPagefileSlotInUse(3));
    for (ULONG i = 0; i < 18; i++) {
        CU_ASSERT_EQUAL_FATAL(MiAllocatePagefileSlots(1, &first), 1);
        CU_ASSERT_NOT_EQUAL(first, 3);
        CU_ASSERT_NOT_EQUAL(first, 0);
        CU_ASSERT(first < 20);
    }
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(1, &first), 0);
    /* No pagefile at all: nothing to allocate. */
    reset(0);
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(1, &first), 0);
    CU_ASSERT_EQUAL(MmPagingFile.FreeSpace, 0);
}

static const struct unit_test tests[] = {
    UNIT_TEST(software_pte_round_trips),
    UNIT_TEST(transition_and_demand_zero_round_trips),
    UNIT_TEST(lists_order_and_counts),
    UNIT_TEST(remove_any_and_zero_page_order),
    UNIT_TEST(active_page_leaves_by_its_dirtiness),
    UNIT_TEST(available_page_wakes_page_waiters),
    UNIT_TEST(mapped_file_page_is_written_without_a_pagefile),
    UNIT_TEST(standby_reuse_restores_the_old_pte),
    UNIT_TEST(page_being_read_then_standby_or_active),
    UNIT_TEST(wsl_fifo_order),
    UNIT_TEST(replacement_is_fifo_and_skips_busy_page_tables),
    UNIT_TEST(pagefile_slots_runs_and_release),
    UNIT_TEST(pagefile_bad_slots_are_never_reused),
};

UNIT_MAIN("pfn", tests)
