/* test_layout.c - the NT self-map arithmetic and PTE encodings in shared/. */
#include "nt_layout.h"
#include "nt_pte.h"
#include "ntstatus.h"
#include "unit.h"

static void self_map_examples_match_windbg(void)
{
    /* !pte 801544F4 in Microsoft's documentation: PDE at C0300800, PTE at C0200550. */
    CU_ASSERT_EQUAL(MI_PDE_VA(0x801544F4u), 0xC0300800u);
    CU_ASSERT_EQUAL(MI_PTE_VA(0x801544F4u), 0xC0200550u);
    CU_ASSERT_EQUAL(MI_PTE_VA(0x00401000u), 0xC0001004u);
    CU_ASSERT_EQUAL(MI_PDE_VA(0x00401000u), 0xC0300004u);
}

static void self_map_is_its_own_pde(void)
{
    /* The PTE of PTE_BASE is PDE_BASE, and the PDE of PDE_BASE is the self-map entry 0x300. */
    CU_ASSERT_EQUAL(MI_PTE_VA(PTE_BASE), PDE_BASE);
    CU_ASSERT_EQUAL(MI_PDE_VA(PDE_BASE), 0xC0300C00u);
    CU_ASSERT_EQUAL(MI_PDE_INDEX(PTE_BASE), MI_SELFMAP_PDE_INDEX);
    CU_ASSERT_EQUAL(MI_PDE_INDEX(HYPER_SPACE), MI_HYPERSPACE_PDE_INDEX);
    CU_ASSERT_EQUAL(MI_PTE_VA(MI_WORKING_SET_LIST), 0xC0301408u);
    CU_ASSERT_EQUAL(MI_PTE_VA(MM_HIGHEST_USER_ADDRESS), 0xC01FFFBCu);
    CU_ASSERT_EQUAL(MI_PDE_VA(MM_HIGHEST_USER_ADDRESS), 0xC03007FCu);
}

static void pte_to_address_inverts_address_to_pte(void)
{
    static const uint32_t samples[] = { 0x00010000u, 0x00400000u, 0x7FFEF000u, 0x80100000u,
                                        0xC0400000u, 0xFFFFF000u };
    for (unsigned i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        CU_ASSERT_EQUAL(MI_PTE_VA_TO_ADDRESS(MI_PTE_VA(samples[i])), samples[i]);
        CU_ASSERT_EQUAL(MI_PDE_VA_TO_ADDRESS(MI_PDE_VA(samples[i])), samples[i] & 0xFFC00000u);
        CU_ASSERT_TRUE(MI_IS_PAGE_TABLE_ADDRESS(MI_PTE_VA(samples[i])));
    }
    CU_ASSERT_EQUAL(MI_PTE_INDEX(0x00401000u), 1u);
    CU_ASSERT_EQUAL(MI_PTE_INDEX(0x007FF000u), 1023u);
}

static void address_classes(void)
{
    CU_ASSERT_FALSE(MI_IS_USER_ADDRESS(0x0000FFFFu));
    CU_ASSERT_TRUE(MI_IS_USER_ADDRESS(0x00010000u));
    CU_ASSERT_TRUE(MI_IS_USER_ADDRESS(0x7FFEFFFFu));
    CU_ASSERT_FALSE(MI_IS_USER_ADDRESS(0x7FFF0000u));
    CU_ASSERT_TRUE(MI_IS_SYSTEM_ADDRESS(0x80000000u));
    CU_ASSERT_FALSE(MI_IS_SYSTEM_ADDRESS(0x7FFFFFFFu));
}

static void software_pte_encodings(void)
{
    CU_ASSERT_EQUAL(MM_DEMAND_ZERO_WRITE_PTE, 0x80u);
    CU_ASSERT_EQUAL(MM_DECOMMITTED_PTE, 0x200u);
    CU_ASSERT_EQUAL(MI_MAKE_DEMAND_ZERO_PTE(MM_NOACCESS), 0x300u);
    CU_ASSERT_EQUAL(MI_MAKE_DEMAND_ZERO_PTE(MM_READWRITE | MM_GUARD_PAGE), 0x280u);
    CU_ASSERT_EQUAL(MI_MAKE_TRANSITION_PTE(0xAB, MM_READWRITE), 0x000AB880u);
    CU_ASSERT_EQUAL(MI_MAKE_PROTO_LOOKUP_PTE(MM_READWRITE), 0xFFFFF480u);
    uint32_t pf = MI_MAKE_PAGEFILE_PTE(0, 0x1234, MM_READWRITE);
    CU_ASSERT_EQUAL(MI_PAGEFILE_HIGH(pf), 0x1234u);
    CU_ASSERT_EQUAL(MI_PAGEFILE_LOW(pf), 0u);
    CU_ASSERT_EQUAL(MI_PTE_PROTECTION(pf), MM_READWRITE);
}

static void pte_kinds(void)
{
    CU_ASSERT_EQUAL(mi_pte_kind(0), MI_PTE_ZERO);
    CU_ASSERT_EQUAL(mi_pte_kind(0x00154121u), MI_PTE_VALID);
    CU_ASSERT_EQUAL(mi_pte_kind(0x80u), MI_PTE_DEMAND_ZERO);
    CU_ASSERT_EQUAL(mi_pte_kind(MI_MAKE_PAGEFILE_PTE(0, 7, MM_READONLY)), MI_PTE_PAGEFILE);
    CU_ASSERT_EQUAL(mi_pte_kind(0x000AB880u), MI_PTE_TRANSITION);
    CU_ASSERT_EQUAL(mi_pte_kind(0xFFFFF480u), MI_PTE_PROTOTYPE);
}

static void status_and_bugcheck_names(void)
{
    CU_ASSERT_STRING_EQUAL(pv_ntstatus_name(0xC0000005u), "STATUS_ACCESS_VIOLATION");
    CU_ASSERT_STRING_EQUAL(pv_ntstatus_name(0xC000012Du), "STATUS_COMMITMENT_LIMIT");
    CU_ASSERT_PTR_NULL(pv_ntstatus_name(0x12345678u));
    CU_ASSERT_STRING_EQUAL(pv_bugcheck_name(0x50), "PAGE_FAULT_IN_NONPAGED_AREA");
    CU_ASSERT_STRING_EQUAL(pv_bugcheck_name(0xBE), "ATTEMPTED_WRITE_TO_READONLY_MEMORY");
    CU_ASSERT_PTR_NULL(pv_bugcheck_name(0x12345));
}

static const struct unit_test tests[] = {
    UNIT_TEST(self_map_examples_match_windbg),
    UNIT_TEST(self_map_is_its_own_pde),
    UNIT_TEST(pte_to_address_inverts_address_to_pte),
    UNIT_TEST(address_classes),
    UNIT_TEST(software_pte_encodings),
    UNIT_TEST(pte_kinds),
    UNIT_TEST(status_and_bugcheck_names),
};
UNIT_MAIN("layout", tests)
