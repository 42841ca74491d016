/*
 * test_fork.c - copy on write and clone blocks on the host (guest/mm/clonblk.c over
 * guest/mm/pfnlist.c and guest/mm/pagefile.c):
 *   the two prototype-PTE forms a process PTE takes, encoded and told apart ("look up the VAD"
 *   0xFFFFF4xx, and the fork prototype PTE index << 12 | 0x400 | protection << 5), against
 *   every other kind of PTE;
 *   the clone-block pool: allocation, references, exhaustion, a freed block's pagefile slot;
 *   a cloned page's share count through a clone's life: a private page becomes a prototype
 *   page, the child maps it, the parent's copy on write breaks its share (the page stays
 *   the child's), the child trims it (transition prototype, Modified list), the last
 *   reference frees it; the last reference taking the page back as a private page (no copy);
 *   a cloned page on the Standby list whose frame is reused (the clone block's prototype gets
 *   the pagefile PTE); a written page's stale pagefile copy released when it is cloned.
 * What mm/forksup.c and mm/wrtfault.c do around these calls with the self-map (writing the
 * process PTEs, copying through hyperspace) is done here the same way on plain variables.
 */
#include "../../guest/mm/pfnlist.c"
#include "../../guest/mm/pagefile.c"
#include "../../guest/mm/clonblk.c"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pfn_fixture.h"
#include "unit.h"



static MMPTE parent_ptes[8], child_ptes[8];   /* a parent's and a child's PTEs */

void KeBugCheckEx(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    fprintf(stderr, "unexpected bug check 0x%X (0x%lX, 0x%lX, 0x%lX, 0x%lX)\n", Code,
            (unsigned long)P1, (unsigned long)P2, (unsigned long)P3, (unsigned long)P4);
    abort();
}

PVOID MiMapPageInHyperSpace(PFN_NUMBER Page)
{
    (void)Page;
    CU_FAIL("no hyperspace mapping is needed for a prototype page");
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
    memset(parent_ptes, 0, sizeof(parent_ptes));
    memset(child_ptes, 0, sizeof(child_ptes));
    memset(MmCloneBlocks, 0, sizeof(MmCloneBlocks));
    MmCloneBlocksInUse = 0;
    MmCloneBlockLimit = MI_CLONE_BLOCKS - 1;
    pfn_fixture_reset(pagefile_slots);
}

/* A private page of the parent, valid at parent_ptes[i] in TABLE_FRAME (the table gains the
 * share the page holds), as the demand-zero fault leaves it. */
static PFN_NUMBER make_private_page(unsigned i, MMPTE original, bool modified)
{
    PFN_NUMBER page = MiRemoveAnyPage();

    CU_ASSERT_FATAL(page != 0);
    MiInitializePfnForOtherProcess(page, &parent_ptes[i], TABLE_FRAME);
    pfn_db[page].OriginalPte = original;
    pfn_db[page].u3.e1.Modified = modified;
    parent_ptes[i].u.Long = PTE_FROM_PFN(page) | PTE_VALID | PTE_WRITE | PTE_OWNER;
    return page;
}

/* ---------------------------------------------------------------------------------- tests */

static void prototype_pte_forms(void)
{
    MMPTE fork = { { MI_MAKE_FORK_PROTO_PTE(1, MM_READWRITE) } };
    const ULONG others[] = {
        0, MM_DEMAND_ZERO_WRITE_PTE, MM_DECOMMITTED_PTE, MI_MAKE_PAGEFILE_PTE(0, 9, MM_READWRITE),
        MI_MAKE_TRANSITION_PTE(0x123, MM_READWRITE), PTE_FROM_PFN(0x123) | PTE_VALID,
        PTE_FROM_PFN(1) | PTE_VALID | PTE_PROTOTYPE,   /* valid: bit 10 means nothing then */
        PTE_PROTOTYPE,                                 /* index 0: no block */
    };

    CU_ASSERT_EQUAL(fork.u.Long, 0x00001480u);
    CU_ASSERT_EQUAL(fork.u.Soft.Valid, 0);
    CU_ASSERT_EQUAL(fork.u.Soft.Prototype, 1);
    CU_ASSERT_EQUAL(fork.u.Soft.Transition, 0);
    CU_ASSERT_EQUAL(fork.u.Soft.Protection, MM_READWRITE);
    CU_ASSERT_EQUAL(fork.u.Soft.PageFileHigh, 1);
    CU_ASSERT_EQUAL(mi_pte_kind(fork.u.Long), MI_PTE_PROTOTYPE);
    CU_ASSERT(MI_IS_FORK_PROTO_PTE(fork.u.Long));
    CU_ASSERT_FALSE(MI_IS_PROTO_LOOKUP_PTE(fork.u.Long));
    CU_ASSERT_FALSE(MI_PTE_HAS_PAGEFILE_SLOT(fork.u.Long));
    CU_ASSERT(MI_IS_PROTO_LOOKUP_PTE(MI_MAKE_PROTO_LOOKUP_PTE(MM_READWRITE)));
    CU_ASSERT_FALSE(MI_IS_FORK_PROTO_PTE(0xFFFFF480u));
    CU_ASSERT(MI_IS_PROTO_LOOKUP_PTE(0xFFFFF4A0u));   /* a copy-on-write view's, trimmed */
    CU_ASSERT_EQUAL(MI_PTE_PROTECTION(0xFFFFF4A0u), MM_WRITECOPY);
    for (ULONG index = 1; index < MI_PTE_LOOKUP_NEEDED; index = index * 3 + 1) {
        for (ULONG prot = 0; prot < 32; prot++) {
            ULONG pte = MI_MAKE_FORK_PROTO_PTE(index, prot);
            CU_ASSERT(MI_IS_FORK_PROTO_PTE(pte));
            CU_ASSERT_FALSE(MI_IS_PROTO_LOOKUP_PTE(pte));
            CU_ASSERT_EQUAL(MI_PROTO_PTE_INDEX(pte), index);
            CU_ASSERT_EQUAL(MI_PTE_PROTECTION(pte), prot);
            /* A protection change keeps the block (NtProtectVirtualMemory on such a PTE). */
            CU_ASSERT_EQUAL(MI_PTE_WITH_PROTECTION(pte, MM_READONLY),
                            MI_MAKE_FORK_PROTO_PTE(index, MM_READONLY));
        }
    }
    CU_ASSERT(MI_IS_FORK_PROTO_PTE(MI_MAKE_FORK_PROTO_PTE(0xFFFFE, MM_READWRITE)));
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        CU_ASSERT_FALSE(MI_IS_FORK_PROTO_PTE(others[i]));
        CU_ASSERT_FALSE(MI_IS_PROTO_LOOKUP_PTE(others[i]));
    }
}

static void clone_block_pool(void)
{
    reset(32);
    ULONG a = MiAllocateCloneBlock(), b = MiAllocateCloneBlock(), slot;

    CU_ASSERT(a != 0 && b != 0 && a != b);
    CU_ASSERT_EQUAL(MmCloneBlocksInUse, 2);
    CU_ASSERT_EQUAL(MiGetCloneBlock(a)->CloneRefCount, 1);
    MiReferenceCloneBlock(a);
    MiDereferenceCloneBlock(a);
    CU_ASSERT_EQUAL(MmCloneBlocksInUse, 2);
    /* A block whose page is in the pagefile: its last reference releases the slot. */
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(1, &slot), 1);
    MiGetCloneBlock(b)->ProtoPte.u.Long = MI_MAKE_PAGEFILE_PTE(0, slot, MM_READWRITE);
    MiDereferenceCloneBlock(b);
    CU_ASSERT_FALSE(MiIsPagefileSlotInUse(slot));
    CU_ASSERT_EQUAL(MmCloneBlocks[b].ProtoPte.u.Long, 0);
    CU_ASSERT_EQUAL(MmCloneBlocksInUse, 1);
    /* The pool runs out: 0, and a freed block is found again. */
    for (ULONG i = 1; i < MI_CLONE_BLOCKS - 1; i++)
        CU_ASSERT(MiAllocateCloneBlock() != 0);
    CU_ASSERT_EQUAL(MmCloneBlocksInUse, MI_CLONE_BLOCKS - 1);
    CU_ASSERT_EQUAL(MiAllocateCloneBlock(), 0);
    MiDereferenceCloneBlock(a);
    CU_ASSERT_EQUAL(MiAllocateCloneBlock(), a);
    /* pv.cloneblocks=N: at most N in use. */
    reset(0);
    MmCloneBlockLimit = 2;
    a = MiAllocateCloneBlock();
    CU_ASSERT(a != 0 && MiAllocateCloneBlock() != 0);
    CU_ASSERT_EQUAL(MiAllocateCloneBlock(), 0);
    MiDereferenceCloneBlock(a);
    CU_ASSERT(MiAllocateCloneBlock() != 0);
}

static void cloned_page_share_counts(void)
{
    reset(32);
    ULONG avail = MmAvailablePages;
    PFN_NUMBER page = make_private_page(0, (MMPTE){ { MM_DEMAND_ZERO_WRITE_PTE } }, false);
    PFN_NUMBER parent_table = TABLE_FRAME, child_table = TABLE_FRAME + 1;
    ULONG index = MiAllocateCloneBlock();
    PMMCLONE_BLOCK block = MiGetCloneBlock(index);
    PMMPFN pfn = &pfn_db[page];

    CU_ASSERT_EQUAL(pfn_db[parent_table].u2.ShareCount, 2);
    /* The clone: the written page becomes the block's prototype page, two references. */
    MiMakeForkPrototypePage(page, index, TRUE, MM_READWRITE);
    MiReferenceCloneBlock(index);
    CU_ASSERT_EQUAL(block->CloneRefCount, 2);
    CU_ASSERT(pfn->u3.e1.PrototypePte && pfn->u3.e1.Modified);
    CU_ASSERT_EQUAL(MI_PFN_PTE_ADDRESS(pfn), &block->ProtoPte);
    CU_ASSERT_EQUAL(MiCloneBlockIndexOfPfn(pfn), index);
    CU_ASSERT_EQUAL(block->ProtoPte.u.Long, PTE_FROM_PFN(page) | PTE_VALID | PTE_WRITE |
                                                PTE_ACCESSED);
    CU_ASSERT_EQUAL(pfn->u2.ShareCount, 1);                     /* the parent's valid PTE */
    CU_ASSERT_EQUAL(pfn_db[parent_table].u2.ShareCount, 2);     /* now held by that PTE */
    child_ptes[0].u.Long = MI_MAKE_FORK_PROTO_PTE(index, MM_READWRITE);
    /* The child reads it: one more valid PTE (MiResolvePrototype). */
    pfn->u2.ShareCount++;
    pfn_db[child_table].u2.ShareCount++;
    /* The parent writes: its own copy; its share and its reference go (MiCopyOnWrite). */
    MiDecrementPrototypeShare(page, parent_table, FALSE);
    MiDereferenceCloneBlock(index);
    CU_ASSERT_EQUAL(pfn->u2.ShareCount, 1);
    CU_ASSERT_EQUAL(block->CloneRefCount, 1);
    CU_ASSERT_EQUAL(pfn_db[parent_table].u2.ShareCount, 1);
    CU_ASSERT(block->ProtoPte.u.Hard.Valid);
    /* The child's working set trims it: the prototype goes to transition, the page (dirty
     * since the clone) to the Modified list. */
    MiDecrementPrototypeShare(page, child_table, FALSE);
    CU_ASSERT_EQUAL(mi_pte_kind(block->ProtoPte.u.Long), MI_PTE_TRANSITION);
    CU_ASSERT_EQUAL(block->ProtoPte.u.Trans.PageFrameNumber, page);
    CU_ASSERT_EQUAL(pfn->u3.e1.PageLocation, ModifiedPageList);
    CU_ASSERT_EQUAL(pfn_db[child_table].u2.ShareCount, 1);
    /* The child ends: its fork PTE's reference was the last; the page is free. */
    MiDereferenceCloneBlock(MI_PROTO_PTE_INDEX(child_ptes[0].u.Long));
    CU_ASSERT_EQUAL(pfn->u3.e1.PageLocation, FreePageList);
    CU_ASSERT_EQUAL(MmCloneBlocksInUse, 0);
    CU_ASSERT_EQUAL(MmAvailablePages, avail);
}

static void last_reference_takes_the_page_back(void)
{
    reset(32);
    PFN_NUMBER page = make_private_page(2, (MMPTE){ { MM_DEMAND_ZERO_WRITE_PTE } }, true);
    ULONG index = MiAllocateCloneBlock();
    PMMPFN pfn = &pfn_db[page];

    MiMakeForkPrototypePage(page, index, FALSE, MM_READWRITE);
    MiReferenceCloneBlock(index);
    MiDereferenceCloneBlock(index);   /* the child is gone */
    MiMakeForkPagePrivate(page, index, &parent_ptes[2], TABLE_FRAME);
    CU_ASSERT_EQUAL(pfn->u3.e1.PrototypePte, 0);
    CU_ASSERT_EQUAL(MI_PFN_PTE_ADDRESS(pfn), &parent_ptes[2]);
    CU_ASSERT_EQUAL(pfn->u4.PteFrame, TABLE_FRAME);
    CU_ASSERT_EQUAL(pfn->u2.ShareCount, 1);
    CU_ASSERT_EQUAL(pfn_db[TABLE_FRAME].u2.ShareCount, 2);
    CU_ASSERT_EQUAL(MmCloneBlocksInUse, 0);
    CU_ASSERT_EQUAL(MmCloneBlocks[index].CloneRefCount, 0);
    /* A private page again: its PTE going frees it and the table's share. */
    MI_SET_PFN_DELETED(pfn);
    MiDecrementShareCount(pfn, page);
    MiDecrementShareCount(&pfn_db[TABLE_FRAME], TABLE_FRAME);
    CU_ASSERT_EQUAL(pfn->u3.e1.PageLocation, FreePageList);
    CU_ASSERT_EQUAL(pfn_db[TABLE_FRAME].u2.ShareCount, 1);
}

static void standby_clone_page_reused(void)
{
    reset(32);
    ULONG slot;
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(1, &slot), 1);
    while (MmFreePageListHead.Total + MmZeroedPageListHead.Total > 1)
        (void)MiRemoveAnyPage();
    /* A clean page with a pagefile copy, trimmed: on Standby, its PTE in transition. */
    PFN_NUMBER page = make_private_page(1, (MMPTE){ { MI_MAKE_PAGEFILE_PTE(0, slot,
                                                                              MM_READWRITE) } },
                                        false);
    PMMPFN pfn = &pfn_db[page];
    parent_ptes[1].u.Long = MI_MAKE_TRANSITION_PTE(page, MM_READWRITE);
    MiDecrementShareCount(pfn, page);
    CU_ASSERT_EQUAL(pfn->u3.e1.PageLocation, StandbyPageList);

    /* Cloned as it is: the block's prototype is the transition PTE, the table's share goes. */
    ULONG index = MiAllocateCloneBlock();
    MiMakeForkPrototypePage(page, index, FALSE, MM_READWRITE);
    MiReferenceCloneBlock(index);
    MiDecrementShareCount(&pfn_db[TABLE_FRAME], TABLE_FRAME);
    CU_ASSERT_EQUAL(MmCloneBlocks[index].ProtoPte.u.Long,
                    MI_MAKE_TRANSITION_PTE(page, MM_READWRITE));
    CU_ASSERT_EQUAL(pfn->u3.e1.PageLocation, StandbyPageList);
    CU_ASSERT(MiIsPagefileSlotInUse(slot));   /* clean: the copy is kept */
    /* Its frame reused: the block's prototype gets the pagefile PTE, no page table touched. */
    CU_ASSERT_EQUAL(MiRemoveAnyPage(), page);
    CU_ASSERT_EQUAL(MmCloneBlocks[index].ProtoPte.u.Long,
                    MI_MAKE_PAGEFILE_PTE(0, slot, MM_READWRITE));
    CU_ASSERT_EQUAL(pfn_db[TABLE_FRAME].u2.ShareCount, 1);
    /* Both processes' references gone: the slot is released. */
    MiDereferenceCloneBlock(index);
    CU_ASSERT(MiIsPagefileSlotInUse(slot));
    MiDereferenceCloneBlock(index);
    CU_ASSERT_FALSE(MiIsPagefileSlotInUse(slot));
    CU_ASSERT_EQUAL(MmCloneBlocksInUse, 0);
}

static void written_page_loses_its_stale_copy(void)
{
    reset(32);
    ULONG slot;
    CU_ASSERT_EQUAL(MiAllocatePagefileSlots(1, &slot), 1);
    PFN_NUMBER page = make_private_page(3, (MMPTE){ { MI_MAKE_PAGEFILE_PTE(0, slot,
                                                                              MM_READWRITE) } },
                                        false);
    ULONG index = MiAllocateCloneBlock();

    MiMakeForkPrototypePage(page, index, TRUE, MM_READWRITE);   /* its PTE was dirty */
    CU_ASSERT_FALSE(MiIsPagefileSlotInUse(slot));
    CU_ASSERT_EQUAL(pfn_db[page].OriginalPte.u.Long, MM_DEMAND_ZERO_WRITE_PTE);
    CU_ASSERT(pfn_db[page].u3.e1.Modified);
}

static const struct unit_test tests[] = {
    UNIT_TEST(prototype_pte_forms),
    UNIT_TEST(clone_block_pool),
    UNIT_TEST(cloned_page_share_counts),
    UNIT_TEST(last_reference_takes_the_page_back),
    UNIT_TEST(standby_clone_page_reused),
    UNIT_TEST(written_page_loses_its_stale_copy),
};

UNIT_MAIN("fork", tests)
