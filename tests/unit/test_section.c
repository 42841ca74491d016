/*
 * test_section.c - prototype PTEs and section pages on the host:
 *   the "look up the VAD" prototype PTE a trimmed view page gets (0xFFFFF480 for read/write),
 *   prototype PTEs in their states (valid, transition, pagefile, demand zero), decoded;
 *   a section page's share count (one per mapping PTE) going up and down through
 *   guest/mm/pfnlist.c: at zero it goes to Standby or Modified by its dirtiness, and when its
 *   frame is reused the prototype PTE (a system address, no page table, no hyperspace) gets
 *   the page's OriginalPte back and the PFN forgets it was a prototype page.
 * Dropping a share is pfnlist.c's MiDecrementPrototypeShare, as mm/section.c calls it; the
 * steps section.c takes around it (initializing the PFN, adding a share) are done here the same
 * way: section.c itself needs the self-map and does not build on the host.
 */
#include "../../guest/mm/pfnlist.c"
#include "../../guest/mm/pagefile.c"

#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pfn_fixture.h"
#include "unit.h"



static MMPTE prototypes[16];              /* a segment's prototype PTEs */
static unsigned mappings;                 /* hyperspace mappings made: must stay 0 */

void KeBugCheckEx(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    fprintf(stderr, "unexpected bug check 0x%X (0x%lX, 0x%lX, 0x%lX, 0x%lX)\n", Code,
            (unsigned long)P1, (unsigned long)P2, (unsigned long)P3, (unsigned long)P4);
    abort();
}

PVOID MiMapPageInHyperSpace(PFN_NUMBER Page)
{
    (void)Page;
    mappings++;
    return NULL;
}

VOID MiUnmapPageInHyperSpace(PVOID Address)
{
    (void)Address;
}

VOID MiZeroPhysicalPage(PFN_NUMBER Page)
{
    (void)Page;
}

static void reset(ULONG pagefile_slots)
{
    memset(prototypes, 0, sizeof(prototypes));
    pfn_fixture_reset(pagefile_slots);
    mappings = 0;
}

/* A zero prototype's first fault: a page for it, no PTE mapping it yet (mm/section.c). */
static PFN_NUMBER make_section_page(PMMPTE proto, ULONG protection)
{
    PFN_NUMBER page = MiRemoveAnyPage();
    PMMPFN pfn = &pfn_db[page];

    CU_ASSERT_FATAL(page != 0);
    pfn->PteAddress = proto;
    pfn->OriginalPte.u.Long = MI_MAKE_DEMAND_ZERO_PTE(protection);
    pfn->u2.ShareCount = 0;
    pfn->u3.ReferenceCount = 1;
    pfn->u3.e2.ShortFlags = 0;
    pfn->u3.e1.PageLocation = ActiveAndValid;
    pfn->u3.e1.PrototypePte = 1;
    pfn->u4.EntireFrame = 0;
    proto->u.Long = PTE_FROM_PFN(page) | PTE_VALID | PTE_WRITE | PTE_ACCESSED;
    return page;
}

/* A process PTE maps it: a share of the page and of the page table. */
static void map(PFN_NUMBER page, PFN_NUMBER table)
{
    pfn_db[page].u2.ShareCount++;
    pfn_db[table].u2.ShareCount++;
}

/* A process PTE stops mapping it (trimmed or unmapped): what MiDropSharedPte does once it
 * has found the PTE's page table. */
static void drop(PFN_NUMBER page, PFN_NUMBER table, bool dirty)
{
    MiDecrementPrototypeShare(page, table, dirty);
}

/* ---------------------------------------------------------------------------------- tests */

static void lookup_pte_encode_decode(void)
{
    MMPTE rw = { { MI_MAKE_PROTO_LOOKUP_PTE(MM_READWRITE) } };

    CU_ASSERT_EQUAL(rw.u.Long, 0xFFFFF480u);   /* NT's "look up the VAD", read/write */
    CU_ASSERT_EQUAL(rw.u.Soft.Valid, 0);
    CU_ASSERT_EQUAL(rw.u.Soft.Prototype, 1);
    CU_ASSERT_EQUAL(rw.u.Soft.Transition, 0);
    CU_ASSERT_EQUAL(rw.u.Soft.Protection, MM_READWRITE);
    CU_ASSERT_EQUAL(rw.u.Soft.PageFileHigh, MI_PTE_LOOKUP_NEEDED);
    CU_ASSERT_EQUAL(mi_pte_kind(rw.u.Long), MI_PTE_PROTOTYPE);
    CU_ASSERT_FALSE(MI_PTE_HAS_PAGEFILE_SLOT(rw.u.Long));
    CU_ASSERT_EQUAL(MI_MAKE_PROTO_LOOKUP_PTE(MM_READONLY), 0xFFFFF420u);
    for (ULONG prot = 0; prot < 32; prot++) {
        MMPTE pte = { { MI_MAKE_PROTO_LOOKUP_PTE(prot) } };
        CU_ASSERT_EQUAL(MI_PTE_PROTECTION(pte.u.Long), prot);
        CU_ASSERT_EQUAL(MI_PAGEFILE_HIGH(pte.u.Long), MI_PTE_LOOKUP_NEEDED);
        CU_ASSERT_EQUAL(mi_pte_kind(pte.u.Long), MI_PTE_PROTOTYPE);
    }
}

static void prototype_pte_states_decode(void)
{
    MMPTE valid = { { PTE_FROM_PFN(0x123) | PTE_VALID | PTE_WRITE | PTE_ACCESSED } };
    MMPTE trans = { { MI_MAKE_TRANSITION_PTE(0x123, MM_READWRITE) } };
    MMPTE paged = { { MI_MAKE_PAGEFILE_PTE(0, 77, MM_READWRITE) } };
    MMPTE zero = { { 0 } };

    CU_ASSERT_EQUAL(mi_pte_kind(valid.u.Long), MI_PTE_VALID);
    CU_ASSERT_EQUAL(valid.u.Hard.PageFrameNumber, 0x123);
    CU_ASSERT_EQUAL(mi_pte_kind(trans.u.Long), MI_PTE_TRANSITION);
    CU_ASSERT(trans.u.Soft.Transition && !trans.u.Soft.Prototype);
    CU_ASSERT_EQUAL(trans.u.Trans.PageFrameNumber, 0x123);
    CU_ASSERT_EQUAL(mi_pte_kind(paged.u.Long), MI_PTE_PAGEFILE);
    CU_ASSERT(MI_PTE_HAS_PAGEFILE_SLOT(paged.u.Long));
    CU_ASSERT_EQUAL(MI_PAGEFILE_HIGH(paged.u.Long), 77);
    CU_ASSERT_FALSE(MI_PTE_HAS_PAGEFILE_SLOT(zero.u.Long));
}

static void share_count_up_and_down(void)
{
    reset(0);
    ULONG avail = MmAvailablePages;
    PFN_NUMBER page = make_section_page(&prototypes[3], MM_READWRITE);
    PFN_NUMBER t1 = TABLE_FRAME, t2 = TABLE_FRAME + 1;

    CU_ASSERT_EQUAL(MmAvailablePages, avail - 1);
    map(page, t1);                 /* view 1 */
    map(page, t2);                 /* view 2, another page table */
    map(page, t2);                 /* a third mapping */
    CU_ASSERT_EQUAL(pfn_db[page].u2.ShareCount, 3);
    CU_ASSERT_EQUAL(pfn_db[t2].u2.ShareCount, 3);
    drop(page, t2, false);
    drop(page, t1, false);
    CU_ASSERT_EQUAL(pfn_db[page].u2.ShareCount, 1);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, ActiveAndValid);
    CU_ASSERT(prototypes[3].u.Hard.Valid);   /* still mapped once: the prototype stays valid */
    CU_ASSERT_EQUAL(MmAvailablePages, avail - 1);
    drop(page, t2, false);
    /* No PTE maps it: the prototype is in transition, the clean page on Standby. */
    CU_ASSERT_EQUAL(pfn_db[page].u3.ReferenceCount, 0);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, StandbyPageList);
    CU_ASSERT_EQUAL(mi_pte_kind(prototypes[3].u.Long), MI_PTE_TRANSITION);
    CU_ASSERT_EQUAL(prototypes[3].u.Trans.PageFrameNumber, page);
    CU_ASSERT_EQUAL(pfn_db[t1].u2.ShareCount, 1);
    CU_ASSERT_EQUAL(pfn_db[t2].u2.ShareCount, 1);
    CU_ASSERT_EQUAL(MmAvailablePages, avail);
    CU_ASSERT_EQUAL(mappings, 0);
}

static void dirty_shared_page_goes_to_modified(void)
{
    reset(32);
    PFN_NUMBER page = make_section_page(&prototypes[0], MM_READWRITE);

    map(page, TABLE_FRAME);
    map(page, TABLE_FRAME + 2);
    drop(page, TABLE_FRAME, true);          /* written through view 1 */
    drop(page, TABLE_FRAME + 2, false);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, ModifiedPageList);
    CU_ASSERT_EQUAL(mi_pte_kind(prototypes[0].u.Long), MI_PTE_TRANSITION);
    /* Without a pagefile it waits on ModifiedNoWrite. */
    reset(0);
    page = make_section_page(&prototypes[1], MM_READWRITE);
    map(page, TABLE_FRAME);
    drop(page, TABLE_FRAME, true);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, ModifiedNoWritePageList);
}

static void reused_frame_restores_the_prototype(void)
{
    reset(32);
    /* Every other page taken, so that the next page anyone takes is the Standby one. */
    while (MmFreePageListHead.Total + MmZeroedPageListHead.Total > 1)
        (void)MiRemoveAnyPage();
    PFN_NUMBER page = make_section_page(&prototypes[5], MM_READWRITE);
    ULONG table_shares = pfn_db[TABLE_FRAME].u2.ShareCount;

    map(page, TABLE_FRAME);
    drop(page, TABLE_FRAME, false);
    /* As if the modified writer had written it to slot 9 earlier: clean, with a copy. */
    pfn_db[page].OriginalPte.u.Long = MI_MAKE_PAGEFILE_PTE(0, 9, MM_READWRITE);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, StandbyPageList);

    PFN_NUMBER reused = MiRemoveAnyPage();
    CU_ASSERT_EQUAL(reused, page);
    CU_ASSERT_EQUAL(prototypes[5].u.Long, MI_MAKE_PAGEFILE_PTE(0, 9, MM_READWRITE));
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PrototypePte, 0);
    CU_ASSERT_EQUAL(pfn_db[page].PteAddress, NULL);
    CU_ASSERT_EQUAL(pfn_db[TABLE_FRAME].u2.ShareCount, table_shares);   /* no table share */
    CU_ASSERT_EQUAL(mappings, 0);                                        /* no hyperspace */
    CU_ASSERT_EQUAL(MmInfoCounters.StandbyReused, 1);

    /* A clean demand-zero section page reused: the prototype is zero (demand zero) again. */
    reset(0);
    while (MmFreePageListHead.Total + MmZeroedPageListHead.Total > 1)
        (void)MiRemoveAnyPage();
    page = make_section_page(&prototypes[6], MM_READWRITE);
    map(page, TABLE_FRAME);
    drop(page, TABLE_FRAME, false);
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), page);
    CU_ASSERT_EQUAL(prototypes[6].u.Long, MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE));
}

/* A copy-on-write view's write: the process's PTE takes a private page (MiInitializePfn), the
 * section page loses that PTE's share (MiCopyOnWrite); the read/write view keeps mapping it. */
static void copy_on_write_breaks_a_share(void)
{
    reset(0);
    ULONG avail = MmAvailablePages;
    PFN_NUMBER page = make_section_page(&prototypes[7], MM_READWRITE);
    MMPTE copy_pte = { { MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE) } };

    map(page, TABLE_FRAME);          /* the read/write view */
    map(page, TABLE_FRAME + 1);      /* the copy-on-write view, read-only + CopyOnWrite */
    PFN_NUMBER copy = MiRemoveAnyPage();
    CU_ASSERT_FATAL(copy != 0);
    drop(page, TABLE_FRAME + 1, false);
    MiInitializePfnForOtherProcess(copy, &copy_pte, TABLE_FRAME + 1);
    CU_ASSERT_EQUAL(pfn_db[page].u2.ShareCount, 1);
    CU_ASSERT(prototypes[7].u.Hard.Valid);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, ActiveAndValid);
    CU_ASSERT_EQUAL(pfn_db[TABLE_FRAME + 1].u2.ShareCount, 2);   /* now the copy's */
    CU_ASSERT_EQUAL(pfn_db[copy].u3.e1.PrototypePte, 0);
    CU_ASSERT_EQUAL(MI_PFN_PTE_ADDRESS(&pfn_db[copy]), &copy_pte);
    CU_ASSERT_EQUAL(MmAvailablePages, avail - 2);
    /* The read/write view goes: the section page (dirty through it) waits on the list, the
     * copy stays the process's. */
    drop(page, TABLE_FRAME, true);
    CU_ASSERT_EQUAL(pfn_db[page].u3.e1.PageLocation, ModifiedNoWritePageList);
    CU_ASSERT_EQUAL(mi_pte_kind(prototypes[7].u.Long), MI_PTE_TRANSITION);
    CU_ASSERT_EQUAL(pfn_db[copy].u3.e1.PageLocation, ActiveAndValid);
    CU_ASSERT_EQUAL(mappings, 0);
}

static const struct unit_test tests[] = {
    UNIT_TEST(lookup_pte_encode_decode),
    UNIT_TEST(prototype_pte_states_decode),
    UNIT_TEST(share_count_up_and_down),
    UNIT_TEST(dirty_shared_page_goes_to_modified),
    UNIT_TEST(reused_frame_restores_the_prototype),
    UNIT_TEST(copy_on_write_breaks_a_share),
};

UNIT_MAIN("section", tests)
