/*
 * test_contig.c - clearing a run of frames for a large page (guest/mm/contig.c), compiled on
 * the host with the PFN lists (guest/mm/pfnlist.c) over a 64-frame PFN database whose frames
 * all have memory here (the kernel reaches them through hyperspace; so do these shims): the
 * search takes the aligned run with the fewest pages to move and passes over one with a page
 * that cannot move or when too few frames are available; clearing it takes its free and
 * standby frames off their lists (a standby page's PTE gets its OriginalPte back), and moves
 * a private page (contents, PTE, PFN) and a page table (its PDE, and the PteFrame of every
 * resident page it maps) to frames outside it.
 */
#include "../../guest/mm/pfnlist.c"
#include "../../guest/mm/pagefile.c"
#include "../../guest/mm/contig.c"

#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pfn_fixture.h"
#include "unit.h"

#define RUN 16u                              /* the run size these tests use */

ULONG MmSystemRangeStart = 0x80000000u;      /* user PDEs 0-0x1FF */
static uint32_t ram[PAGES][PTE_PER_PAGE] __attribute__((aligned(4096)));
static unsigned mappings;

void KeBugCheckEx(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    fprintf(stderr, "unexpected bug check 0x%X (0x%lX, 0x%lX, 0x%lX, 0x%lX)\n", Code,
            (unsigned long)P1, (unsigned long)P2, (unsigned long)P3, (unsigned long)P4);
    abort();
}

ULONG DbgPrint(PCSTR Format, ...)
{
    (void)Format;
    return 0;
}

PVOID MiMapPageInHyperSpace(PFN_NUMBER Page)
{
    CU_ASSERT_FATAL(Page < PAGES);
    mappings++;
    return ram[Page];
}

VOID MiUnmapPageInHyperSpace(PVOID Address)
{
    CU_ASSERT(((uintptr_t)Address & 0xFFF) == 0);
    mappings--;
}

VOID MiZeroPhysicalPage(PFN_NUMBER Page)
{
    memset(ram[Page], 0, sizeof(ram[Page]));
}

/* ------------------------------------------------------------------------------ helpers */

#define DIRECTORY 61u                  /* a page directory (fixture frames 60-63 are active) */
#define TABLE     60u                  /* a user page table, PDE 0 (0x00000000-0x003FFFFF) */

static void reset(void)
{
    memset(ram, 0, sizeof(ram));
    pfn_fixture_reset(64);
    mappings = 0;
    MmPagesRelocated = 0;
    MiLogRunSearch = FALSE;
    MiRelocationReserve = 2;
    /* The fixture's table frames: 60 is a user page table under directory 61. */
    pfn_db[TABLE].PteAddress = (PMMPTE)(uintptr_t)(PDE_BASE + 0 * 4);
    pfn_db[TABLE].u4.PteFrame = DIRECTORY;
    ram[DIRECTORY][0] = PTE_FROM_PFN(TABLE) | PTE_VALID | PTE_WRITE | PTE_OWNER;
}

/* Page (off the Free list) becomes a private page at PTE Index of Table. */
static void make_private(PFN_NUMBER page, PFN_NUMBER table, unsigned index, uint32_t fill)
{
    MiUnlinkPageFromList(&pfn_db[page]);
    PMMPFN pfn = &pfn_db[page];
    pfn->PteAddress = (PMMPTE)(uintptr_t)(PTE_BASE + index * 4);   /* page table 0's PTEs */
    pfn->OriginalPte.u.Long = MM_DEMAND_ZERO_WRITE_PTE;
    pfn->u2.ShareCount = 1;
    pfn->u3.ReferenceCount = 1;
    pfn->u3.e1.PageLocation = ActiveAndValid;
    pfn->u4.PteFrame = table;
    pfn_db[table].u2.ShareCount++;
    ram[table][index] = PTE_FROM_PFN(page) | PTE_VALID | PTE_WRITE | PTE_OWNER | 0x60;
    for (unsigned w = 0; w < PTE_PER_PAGE; w++)
        ram[page][w] = fill + w;
}

static ULONG count_moves;
static MI_RELOCATION last_move[4];
static void moved(const MI_RELOCATION *r)
{
    if (count_moves < 4)
        last_move[count_moves] = *r;
    count_moves++;
}

/* -------------------------------------------------------------------------------- tests */

static void free_runs_need_no_moves(void)
{
    reset();
    /* Frame 0 (never handed out) fixes run 0-15, the tables 60-63 run 48-63. */
    CU_ASSERT_EQUAL(MiClassifyRunPage(0), MiRunPageFixed);
    CU_ASSERT_EQUAL(MiClassifyRunPage(TABLE + 1), MiRunPageFixed);
    CU_ASSERT_EQUAL(MiClassifyRunPage(20), MiRunPageFree);
    PFN_NUMBER first;
    ULONG movable, needed = 0;
    CU_ASSERT_TRUE(MiFindContiguousRun(RUN, NULL, 0, &needed, &first, &movable));
    CU_ASSERT_EQUAL(first, 32u);      /* the highest run that is all free */
    CU_ASSERT_EQUAL(movable, 0u);
    CU_ASSERT_EQUAL(needed, RUN);
    /* With that one chosen, the other free run. */
    PFN_NUMBER chosen[1] = { first }, second;
    CU_ASSERT_TRUE(MiFindContiguousRun(RUN, chosen, 1, &needed, &second, &movable));
    CU_ASSERT_EQUAL(second, 16u);
    CU_ASSERT_EQUAL(needed, 2 * RUN);
    PFN_NUMBER both[2] = { 32, 16 }, third;
    CU_ASSERT_FALSE(MiFindContiguousRun(RUN, both, 2, &needed, &third, &movable));
    CU_ASSERT_EQUAL(mappings, 0u);
}

static void fewest_moves_win_and_fixed_pages_disqualify(void)
{
    reset();
    make_private(33, TABLE, 1, 0x1000);
    make_private(34, TABLE, 2, 0x2000);
    make_private(17, TABLE, 3, 0x3000);
    CU_ASSERT_EQUAL(MiClassifyRunPage(17), MiRunPageMovable);
    PFN_NUMBER first;
    ULONG movable, needed = 0;
    CU_ASSERT_TRUE(MiFindContiguousRun(RUN, NULL, 0, &needed, &first, &movable));
    CU_ASSERT_EQUAL(first, 16u);
    CU_ASSERT_EQUAL(movable, 1u);
    /* A second mapping of frame 17 (a shared page) cannot be moved by one PTE. */
    pfn_db[17].u2.ShareCount = 2;
    CU_ASSERT_EQUAL(MiClassifyRunPage(17), MiRunPageFixed);
    needed = 0;
    CU_ASSERT_TRUE(MiFindContiguousRun(RUN, NULL, 0, &needed, &first, &movable));
    CU_ASSERT_EQUAL(first, 32u);
    CU_ASSERT_EQUAL(movable, 2u);
    pfn_db[17].u2.ShareCount = 1;
    /* A page whose PTE does not point back at it, or one under I/O: fixed. */
    ram[TABLE][1] = PTE_FROM_PFN(35) | PTE_VALID;
    CU_ASSERT_EQUAL(MiClassifyRunPage(33), MiRunPageFixed);
    ram[TABLE][1] = PTE_FROM_PFN(33) | PTE_VALID;
    pfn_db[34].u3.e1.WriteInProgress = 1;
    CU_ASSERT_EQUAL(MiClassifyRunPage(34), MiRunPageFixed);
    pfn_db[34].u3.e1.WriteInProgress = 0;
    /* Too few available frames to clear any run: refused, nothing changed. */
    ULONG available = MmAvailablePages;
    MmAvailablePages = RUN;
    needed = 0;
    CU_ASSERT_FALSE(MiFindContiguousRun(RUN, NULL, 0, &needed, &first, &movable));
    CU_ASSERT_EQUAL(needed, 0u);
    MmAvailablePages = available;
    CU_ASSERT_EQUAL(MmPagesRelocated, 0u);
}

static void a_private_page_moves_with_its_contents(void)
{
    reset();
    make_private(17, TABLE, 3, 0xAB00);
    ULONG free_before = MmFreePageListHead.Total, shares = pfn_db[TABLE].u2.ShareCount;
    count_moves = 0;
    CU_ASSERT_EQUAL(MiClaimContiguousRun(16, RUN, moved), 1u);
    CU_ASSERT_EQUAL(count_moves, 1u);
    PFN_NUMBER to = last_move[0].NewFrame;
    CU_ASSERT_EQUAL(last_move[0].OldFrame, 17u);
    CU_ASSERT_TRUE(to < 16 || to >= 32);
    CU_ASSERT_FALSE(last_move[0].PageTable);
    CU_ASSERT_EQUAL(last_move[0].TableFrame, TABLE);
    CU_ASSERT_EQUAL(PTE_PFN(last_move[0].PteBefore), 17u);
    CU_ASSERT_EQUAL(PTE_PFN(last_move[0].PteAfter), to);
    CU_ASSERT_EQUAL(last_move[0].PteAfter & 0xFFF, last_move[0].PteBefore & 0xFFF);
    /* The PTE, the PFN and the contents went along; the table's share count did not move. */
    CU_ASSERT_EQUAL(PTE_PFN(ram[TABLE][3]), to);
    CU_ASSERT_EQUAL(ram[to][0], 0xAB00u);
    CU_ASSERT_EQUAL(ram[to][PTE_PER_PAGE - 1], 0xAB00u + PTE_PER_PAGE - 1);
    CU_ASSERT_EQUAL((uintptr_t)pfn_db[to].PteAddress, PTE_BASE + 3 * 4);
    CU_ASSERT_EQUAL(pfn_db[to].u4.PteFrame, TABLE);
    CU_ASSERT_EQUAL(pfn_db[to].u2.ShareCount, 1u);
    CU_ASSERT_EQUAL(pfn_db[TABLE].u2.ShareCount, shares);
    /* The whole run is off the lists, counts zero, for the caller. */
    for (PFN_NUMBER p = 16; p < 32; p++) {
        CU_ASSERT_EQUAL(pfn_db[p].u3.e1.PageLocation, ActiveAndValid);
        CU_ASSERT_EQUAL(pfn_db[p].u3.ReferenceCount, 0);
        CU_ASSERT_EQUAL(pfn_db[p].u2.ShareCount, 0u);
    }
    /* 15 free frames of the run and the one the page moved to left the Free list. */
    CU_ASSERT_EQUAL(MmFreePageListHead.Total, free_before - 16);
    CU_ASSERT_EQUAL(MmPagesRelocated, 1u);
    CU_ASSERT_EQUAL(mappings, 0u);
}

static void a_page_table_moves_and_its_pages_follow(void)
{
    reset();
    /* Frame 20, in run 16-31, is the page table of PDE 1 (0x00400000-0x007FFFFF). */
    PFN_NUMBER table = 20;
    MiUnlinkPageFromList(&pfn_db[table]);
    pfn_db[table].PteAddress = (PMMPTE)(uintptr_t)(PDE_BASE + 1 * 4);
    pfn_db[table].u2.ShareCount = 1;
    pfn_db[table].u3.ReferenceCount = 1;
    pfn_db[table].u3.e1.PageLocation = ActiveAndValid;
    pfn_db[table].u4.PteFrame = DIRECTORY;
    ram[DIRECTORY][1] = PTE_FROM_PFN(table) | PTE_VALID | PTE_WRITE | PTE_OWNER | 0x60;
    make_private(40, table, 3, 0x4000);                  /* a page it maps, outside the run */
    /* ... and one it maps in transition, on the Standby list. */
    make_private(41, table, 4, 0x5000);
    pfn_db[41].OriginalPte.u.Long = MI_MAKE_PAGEFILE_PTE(0, 7, MM_READWRITE);
    ram[table][4] = MI_MAKE_TRANSITION_PTE(41, MM_READWRITE);
    MiDecrementShareCount(&pfn_db[41], 41);               /* trimmed: on Standby, clean */
    CU_ASSERT_EQUAL(pfn_db[41].u3.e1.PageLocation, StandbyPageList);
    CU_ASSERT_EQUAL(MiClassifyRunPage(table), MiRunPageMovable);
    count_moves = 0;
    CU_ASSERT_EQUAL(MiClaimContiguousRun(16, RUN, moved), 1u);
    CU_ASSERT_TRUE(last_move[0].PageTable);
    CU_ASSERT_EQUAL(last_move[0].DirectoryFrame, DIRECTORY);
    PFN_NUMBER to = last_move[0].NewFrame;
    CU_ASSERT_EQUAL(PTE_PFN(ram[DIRECTORY][1]), to);
    CU_ASSERT_EQUAL(PTE_PFN(ram[to][3]), 40u);            /* the table's contents moved */
    CU_ASSERT_EQUAL(pfn_db[40].u4.PteFrame, to);          /* and its pages name the new one */
    CU_ASSERT_EQUAL(pfn_db[41].u4.PteFrame, to);
    CU_ASSERT_EQUAL(pfn_db[to].u2.ShareCount, 3u);        /* PDE, page 40, page 41 */
    CU_ASSERT_EQUAL(mappings, 0u);
}

static void standby_frames_give_their_pte_back(void)
{
    reset();
    make_private(18, TABLE, 9, 0x6000);
    pfn_db[18].OriginalPte.u.Long = MI_MAKE_PAGEFILE_PTE(0, 3, MM_READWRITE);
    ram[TABLE][9] = MI_MAKE_TRANSITION_PTE(18, MM_READWRITE);
    ULONG shares = pfn_db[TABLE].u2.ShareCount;
    MiDecrementShareCount(&pfn_db[18], 18);
    CU_ASSERT_EQUAL(MiClassifyRunPage(18), MiRunPageFree);
    ULONG available = MmAvailablePages;
    CU_ASSERT_EQUAL(MiClaimContiguousRun(16, RUN, NULL), 0u);
    CU_ASSERT_EQUAL(ram[TABLE][9], MI_MAKE_PAGEFILE_PTE(0, 3, MM_READWRITE));
    CU_ASSERT_EQUAL(pfn_db[TABLE].u2.ShareCount, shares - 1);
    CU_ASSERT_EQUAL(MmAvailablePages, available - RUN);
    CU_ASSERT_EQUAL(MmStandbyPageListHead.Total, 0u);
}

static const struct unit_test tests[] = {
    UNIT_TEST(free_runs_need_no_moves),
    UNIT_TEST(fewest_moves_win_and_fixed_pages_disqualify),
    UNIT_TEST(a_private_page_moves_with_its_contents),
    UNIT_TEST(a_page_table_moves_and_its_pages_follow),
    UNIT_TEST(standby_frames_give_their_pte_back),
};

int main(void)
{
    return unit_run("contig", tests, sizeof(tests) / sizeof(tests[0]));
}
