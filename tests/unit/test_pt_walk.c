/* test_pt_walk.c - the host's guest page-table walker on hand-built tables. */
#include <stdlib.h>
#include <string.h>

#include "nt_pte.h"
#include "pt_walk.h"
#include "unit.h"

#define RAM (8u << 20)
#define PD  0x10000u
#define PT  0x11000u

static struct guest_mem mem;

static void put32(uint32_t gpa, uint32_t v) { memcpy(mem.base + gpa, &v, 4); }

static void build_tables(void)
{
    memset(mem.base, 0, RAM);
    put32(PD + 1 * 4, PT | PTE_VALID | PTE_WRITE | PTE_OWNER);      /* 0x00400000-0x007FFFFF */
    put32(PT + 1 * 4, 0x00234000u | PTE_VALID | PTE_OWNER);         /* 0x00401000 -> 0x234000 */
    put32(PT + 2 * 4, MM_DEMAND_ZERO_WRITE_PTE);                    /* 0x00402000 not present */
    put32(PD + 0x200 * 4, 0x00400000u | PTE_VALID | PTE_LARGE_PAGE); /* 0x80000000 4 MiB */
    put32(PD + 0x300 * 4, PD | PTE_VALID | PTE_WRITE);              /* self-map */
    put32(PD + 0x3FF * 4, 0x7FFFF000u | PTE_VALID);                 /* a table outside RAM */
}

static void walks_4k_page(void)
{
    build_tables();
    struct pt_walk w;
    CU_ASSERT_EQUAL_FATAL(pt_walk(&mem, PD, true, 0x00401ABCu, &w), PT_WALK_OK);
    CU_ASSERT_EQUAL(w.gpa, 0x00234ABCu);
    CU_ASSERT_FALSE(w.large);
    CU_ASSERT_EQUAL(w.pde_gpa, PD + 4);
    CU_ASSERT_EQUAL(w.pte_gpa, PT + 4);
    CU_ASSERT_EQUAL(w.pte, 0x00234000u | PTE_VALID | PTE_OWNER);
}

static void walks_4m_page_only_with_pse(void)
{
    build_tables();
    struct pt_walk w;
    CU_ASSERT_EQUAL_FATAL(pt_walk(&mem, PD, true, 0x80123456u, &w), PT_WALK_OK);
    CU_ASSERT_TRUE(w.large);
    CU_ASSERT_EQUAL(w.gpa, 0x00523456u);
    /* Without CR4.PSE, bit 7 is ignored and the PDE's frame is read as a page table. */
    CU_ASSERT_EQUAL(pt_walk(&mem, PD, false, 0x80123456u, &w), PT_WALK_PTE_NOT_PRESENT);
    CU_ASSERT_FALSE(w.large);
}

static void reports_not_present(void)
{
    build_tables();
    struct pt_walk w;
    CU_ASSERT_EQUAL(pt_walk(&mem, PD, true, 0x00402000u, &w), PT_WALK_PTE_NOT_PRESENT);
    CU_ASSERT_EQUAL(w.pte, MM_DEMAND_ZERO_WRITE_PTE);
    CU_ASSERT_EQUAL(pt_walk(&mem, PD, true, 0x10000000u, &w), PT_WALK_PDE_NOT_PRESENT);
    CU_ASSERT_EQUAL(w.pde, 0u);
}

static void refuses_tables_outside_ram(void)
{
    build_tables();
    struct pt_walk w;
    CU_ASSERT_EQUAL(pt_walk(&mem, PD, true, 0xFFC01000u, &w), PT_WALK_BAD_TABLE);
    CU_ASSERT_EQUAL(pt_walk(&mem, 0xFFFFF000u, true, 0x00401000u, &w), PT_WALK_BAD_TABLE);
}

static void self_map_reaches_page_tables(void)
{
    build_tables();
    struct pt_walk w;
    /* Through the self-map, the PTE of 0x00401000 is at 0xC0001004 and lives at PT+4. */
    CU_ASSERT_EQUAL_FATAL(pt_walk(&mem, PD, true, 0xC0001004u, &w), PT_WALK_OK);
    CU_ASSERT_EQUAL(w.gpa, PT + 4);
    CU_ASSERT_EQUAL_FATAL(pt_walk(&mem, PD, true, 0xC0300C00u, &w), PT_WALK_OK);
    CU_ASSERT_EQUAL(w.gpa, PD + 0xC00);
}

/* The kernel's large page as pv.largekernel=1 makes it: PDE 0x200, global, frame 0. */
static void large_pde_is_the_translation(void)
{
    build_tables();
    put32(PD + 0x200 * 4, 0x00000000u | 0x1E3u);
    struct pt_walk w;
    CU_ASSERT_EQUAL_FATAL(pt_walk(&mem, PD, true, 0x80000000u, &w), PT_WALK_OK);
    CU_ASSERT_EQUAL(w.gpa, 0u);
    CU_ASSERT_EQUAL_FATAL(pt_walk(&mem, PD, true, 0x803FFFFFu, &w), PT_WALK_OK);
    CU_ASSERT_EQUAL(w.gpa, 0x003FFFFFu);
    CU_ASSERT_TRUE(w.large);
    CU_ASSERT_EQUAL(w.pde, 0x1E3u);
    CU_ASSERT_EQUAL(w.pde_gpa, PD + 0x800);
    CU_ASSERT_EQUAL(w.pte_gpa, 0u);   /* no PTE was read */
    /* Bits 12-21 of a large PDE are not part of the frame (PAT, reserved). */
    put32(PD + 0x200 * 4, 0x00401000u | 0x1E3u);
    CU_ASSERT_EQUAL_FATAL(pt_walk(&mem, PD, true, 0x80001234u, &w), PT_WALK_OK);
    CU_ASSERT_EQUAL(w.gpa, 0x00401234u);
}

/* A large page whose frame lies beyond guest RAM translates, but reading through it stops. */
static void large_pde_outside_ram_is_not_read(void)
{
    build_tables();
    put32(PD + 0x201 * 4, 0x7FC00000u | 0x1E3u);
    struct pt_walk w;
    CU_ASSERT_EQUAL_FATAL(pt_walk(&mem, PD, true, 0x80400010u, &w), PT_WALK_OK);
    CU_ASSERT_EQUAL(w.gpa, 0x7FC00010u);
    uint8_t buf[8];
    CU_ASSERT_EQUAL(pt_read_virt(&mem, true, PD, true, 0x80400010u, buf, 8), 0u);
}

/* A read crossing from a large page into a 4 KiB one and across the 4 MiB boundary. */
static void reads_across_large_and_small_pages(void)
{
    build_tables();
    put32(PD + 0x200 * 4, 0x00400000u | 0x1E3u);          /* 0x80000000 -> 0x400000 */
    put32(PD + 0x201 * 4, PT | PTE_VALID | PTE_WRITE);    /* 0x80400000: 4 KiB PTEs */
    put32(PT + 0 * 4, 0x00235000u | PTE_VALID);           /* 0x80400000 -> 0x235000 */
    memset(mem.base + 0x7FFFFC, 0x33, 4);
    memset(mem.base + 0x235000, 0x44, 4);
    uint8_t buf[8];
    CU_ASSERT_EQUAL(pt_read_virt(&mem, true, PD, true, 0x803FFFFCu, buf, 8), 8u);
    CU_ASSERT_EQUAL(buf[0], 0x33);
    CU_ASSERT_EQUAL(buf[3], 0x33);
    CU_ASSERT_EQUAL(buf[4], 0x44);
    CU_ASSERT_EQUAL(buf[7], 0x44);
}

static void reads_across_pages(void)
{
    build_tables();
    put32(PT + 0 * 4, 0x00300000u | PTE_VALID);   /* 0x00400000 -> 0x300000 */
    memset(mem.base + 0x300FFC, 0x11, 4);
    memset(mem.base + 0x234000, 0x22, 4);
    uint8_t buf[8];
    CU_ASSERT_EQUAL(pt_read_virt(&mem, true, PD, true, 0x00400FFCu, buf, 8), 8u);
    CU_ASSERT_EQUAL(buf[0], 0x11);
    CU_ASSERT_EQUAL(buf[7], 0x22);
    /* Stops at the first page that does not translate. */
    CU_ASSERT_EQUAL(pt_read_virt(&mem, true, PD, true, 0x00401FFEu, buf, 8), 2u);
    /* Paging off: physical, bounded by RAM. */
    CU_ASSERT_EQUAL(pt_read_virt(&mem, false, 0, false, RAM - 4, buf, 8), 4u);
}

/* Guest virtual addresses are 32 bits: a read crossing 4 GiB stops there, it does not go on
 * at virtual address 0 (both the last page and page 0 are mapped here). */
static void read_stops_at_4_gib(void)
{
    build_tables();
    put32(PD + 0x3FF * 4, 0x00012000u | PTE_VALID | PTE_WRITE);   /* 0xFFC00000: a table */
    put32(0x00012000u + 0x3FF * 4, 0x00236000u | PTE_VALID);      /* 0xFFFFF000 -> 0x236000 */
    put32(PD + 0 * 4, PT | PTE_VALID | PTE_WRITE);                /* 0x00000000: a table */
    put32(PT + 0 * 4, 0x00237000u | PTE_VALID);                   /* 0x00000000 -> 0x237000 */
    memset(mem.base + 0x236FFC, 0x55, 4);
    memset(mem.base + 0x237000, 0x66, 4);
    uint8_t buf[8];
    memset(buf, 0, sizeof(buf));
    CU_ASSERT_EQUAL(pt_read_virt(&mem, true, PD, true, 0xFFFFFFFCu, buf, 8), 4u);
    CU_ASSERT_EQUAL(buf[3], 0x55);
    CU_ASSERT_EQUAL(buf[4], 0x00);   /* nothing from virtual address 0 */
    /* Paging off, physical 0xFFFFFFFC is outside RAM: nothing, and no wrap to 0 either. */
    CU_ASSERT_EQUAL(pt_read_virt(&mem, false, 0, false, 0xFFFFFFFCu, buf, 8), 0u);
}

/* The debugger's writes: through the tables, across pages, stopping where translation does,
 * never into RAM the page tables do not map there. */
static void writes_through_the_tables(void)
{
    build_tables();
    put32(PT + 3 * 4, 0x00300000u | PTE_VALID | PTE_OWNER);         /* 0x00403000 -> 0x300000 */
    const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    /* 0x00401FFC..0x00402003: the second page is not present, so four bytes only. */
    CU_ASSERT_EQUAL(pt_write_virt(&mem, true, PD, true, 0x00401FFCu, data, 8), 4u);
    CU_ASSERT_EQUAL(memcmp(mem.base + 0x00234FFCu, data, 4), 0);
    CU_ASSERT_EQUAL(mem.base[0x00235000u], 0);
    /* A read-only PTE is the guest's business: the host writes (a breakpoint into code). */
    CU_ASSERT_EQUAL(pt_write_virt(&mem, true, PD, true, 0x00403FFEu, data, 2), 2u);
    CU_ASSERT_EQUAL(mem.base[0x00300FFEu], 1);
    /* Paging off: physical, and nothing past the end of RAM. */
    CU_ASSERT_EQUAL(pt_write_virt(&mem, false, 0, false, RAM - 2, data, 8), 2u);
    CU_ASSERT_EQUAL(mem.base[RAM - 1], 2);
    uint8_t back[4];
    CU_ASSERT_EQUAL(pt_read_virt(&mem, true, PD, true, 0x00401FFCu, back, 4), 4u);
    CU_ASSERT_EQUAL(memcmp(back, data, 4), 0);
}

static const struct unit_test tests[] = {
    UNIT_TEST(writes_through_the_tables),
    UNIT_TEST(walks_4k_page),
    UNIT_TEST(walks_4m_page_only_with_pse),
    UNIT_TEST(reports_not_present),
    UNIT_TEST(refuses_tables_outside_ram),
    UNIT_TEST(self_map_reaches_page_tables),
    UNIT_TEST(reads_across_pages),
    UNIT_TEST(large_pde_is_the_translation),
    UNIT_TEST(large_pde_outside_ram_is_not_read),
    UNIT_TEST(reads_across_large_and_small_pages),
    UNIT_TEST(read_stops_at_4_gib),
};

int main(void)
{
    mem.size = RAM;
    mem.base = calloc(1, RAM);
    if (!mem.base)
        return 2;
    int rc = unit_run("pt_walk", tests, sizeof(tests) / sizeof(tests[0]));
    free(mem.base);
    return rc;
}
