/*
 * test_vad.c - the guest's VAD tree (guest/mm/vadtree.c) and its virtual-memory services
 * (guest/mm/virtual.c: NtAllocate/Free/Protect/QueryVirtualMemory and commit accounting),
 * compiled on the host as they are.
 *
 * virtual.c reaches page tables only through the primitives vad.h lists; here they work on a
 * fake page table: one 32-bit PTE per user page, a flag per 4 MiB saying whether its page
 * table exists, and the protection of resident pages. touch() plays the fault path's part (a
 * demand-zero fault makes a page resident). "User" pointers are host pointers, except a few
 * marked bad (below 64 KiB) or read-only, which the copy shims refuse as the kernel would.
 */
#include "../../guest/mm/vadtree.c"
#include "../../guest/mm/virtual.c"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* ------------------------------------------------------------------ fake page table & shims */

/* Room for the 3 GB user space of /3GB (MmHighestUserAddress 0xBFFEFFFF). */
#define USER_PAGES (MM_SYSTEM_RANGE_START_3GB >> PAGE_SHIFT)
#define USER_TABLES (MM_SYSTEM_RANGE_START_3GB >> PDE_SHIFT)

static uint32_t fake_pte[USER_PAGES];
static uint32_t fake_prot[USER_PAGES];      /* protection of resident pages */
static bool fake_table[USER_TABLES];
static unsigned tables_made, pages_freed, next_pfn = 0x100;
static bool tables_fail;                    /* MiMakePdeExistAndMakeValid runs out of pages */
static MMPROCESS_VM vm;
static ULONG_PTR read_only_cell = 0;       /* a "user" variable that cannot be written */

PMMPROCESS_VM MiGetCurrentProcessVm(VOID)
{
    return &vm;
}

/* One process here: only NtCurrentProcess() names it. */
NTSTATUS MmReferenceTargetProcess(HANDLE ProcessHandle, ULONG Access, struct _EPROCESS **Target)
{
    (void)Access;
    *Target = NULL;
    return ProcessHandle == NtCurrentProcess() ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}

VOID MmAttachTarget(struct _EPROCESS *Target)
{
    (void)Target;
}

VOID MmDetachTarget(struct _EPROCESS *Target)
{
    (void)Target;
}

ULONG MiReadUserPte(ULONG_PTR Va, BOOLEAN *TableExists)
{
    CU_ASSERT_FATAL(Va <= MmHighestUserAddress);
    *TableExists = fake_table[Va >> PDE_SHIFT];
    return *TableExists ? fake_pte[Va >> PAGE_SHIFT] : 0;
}

NTSTATUS MiMakePdeExistAndMakeValid(ULONG_PTR Va)
{
    if (fake_table[Va >> PDE_SHIFT])
        return STATUS_SUCCESS;
    if (tables_fail)
        return STATUS_INSUFFICIENT_RESOURCES;
    fake_table[Va >> PDE_SHIFT] = true;
    tables_made++;
    return STATUS_SUCCESS;
}

static bool resident(uint32_t pte)
{
    return (pte & PTE_VALID) || (pte & (PTE_TRANSITION | PTE_PROTOTYPE)) == PTE_TRANSITION;
}

VOID MiWriteUserPte(ULONG_PTR Va, ULONG Value)
{
    if (!fake_table[Va >> PDE_SHIFT]) {
        CU_ASSERT_EQUAL(Value, 0);   /* nothing but 0 may go where no page table is */
        return;
    }
    CU_ASSERT_FALSE(Value & PTE_VALID);
    if (resident(fake_pte[Va >> PAGE_SHIFT]))
        pages_freed++;
    fake_pte[Va >> PAGE_SHIFT] = Value;
}

ULONG MiGetResidentProtection(ULONG_PTR Va)
{
    uint32_t pte = fake_pte[Va >> PAGE_SHIFT];
    CU_ASSERT(resident(pte));
    return (pte & PTE_VALID) ? fake_prot[Va >> PAGE_SHIFT] : MI_PTE_PROTECTION(pte);
}

VOID MiSetResidentProtection(ULONG_PTR Va, ULONG Protection)
{
    uint32_t pte = fake_pte[Va >> PAGE_SHIFT];
    CU_ASSERT_FATAL(resident(pte));
    fake_prot[Va >> PAGE_SHIFT] = Protection;
    if (MiIsAccessAllowed(Protection, FALSE) && (Protection & MM_PROTECT_SPECIAL) != MM_GUARD_PAGE)
        fake_pte[Va >> PAGE_SHIFT] = (pte & PTE_FRAME_MASK) | PTE_VALID;
    else
        fake_pte[Va >> PAGE_SHIFT] = MI_MAKE_TRANSITION_PTE(PTE_PFN(pte), Protection);
}

/* AWE windows (mm/physical.c in the kernel): a frame mapped there leaves without being
 * freed, so a release of the window does not count it among the pages freed. */
static unsigned awe_unmaps;
VOID MiUnmapAweRange(ULONG_PTR StartVa, ULONG_PTR EndVa)
{
    awe_unmaps++;
    for (ULONG_PTR va = StartVa; va <= EndVa; va += PAGE_SIZE)
        if (fake_table[va >> PDE_SHIFT] && (fake_pte[va >> PAGE_SHIFT] & PTE_VALID))
            fake_pte[va >> PAGE_SHIFT] = 0;
}

/* Large pages need physical runs (mm/largepag.c in the kernel): none here. */
NTSTATUS MiAllocateLargePageVad(PMMPROCESS_VM Vm, ULONG_PTR Base, ULONG_PTR Size,
                                ULONG_PTR ZeroBits, ULONG AllocationType, ULONG Protection,
                                ULONG_PTR *StartVa, ULONG_PTR *EndVa)
{
    (void)Vm; (void)Base; (void)Size; (void)ZeroBits; (void)AllocationType; (void)Protection;
    (void)StartVa; (void)EndVa;
    return STATUS_INSUFFICIENT_RESOURCES;
}

VOID MiDeleteLargePageRange(ULONG_PTR StartVa, ULONG_PTR EndVa)
{
    (void)StartVa;
    (void)EndVa;
    CU_FAIL("MiDeleteLargePageRange without large pages");
}

/* No image views in these tests (mm/section.c has them): a zero PTE of one would be a bug. */
BOOLEAN MiImageViewProtection(PMMVAD Vad, ULONG_PTR Va, PULONG Protection)
{
    (void)Vad;
    (void)Va;
    (void)Protection;
    CU_FAIL("MiImageViewProtection called for a VAD that is no image view");
    return FALSE;
}

NTSTATUS MiMakeImagePagesPrivate(PMMVAD Vad, ULONG_PTR StartVa, ULONG_PTR EndVa,
                                 ULONG Protection)
{
    (void)Vad;
    (void)StartVa;
    (void)EndVa;
    (void)Protection;
    CU_FAIL("MiMakeImagePagesPrivate called in a test without image views");
    return STATUS_NOT_SUPPORTED;
}

static bool bad_user(PCVOID p)
{
    return (ULONG_PTR)p < 0x10000u;
}

NTSTATUS MmCopyFromUser(PVOID Destination, PCVOID UserSource, SIZE_T Length)
{
    if (bad_user(UserSource))
        return STATUS_ACCESS_VIOLATION;
    memcpy(Destination, UserSource, Length);
    return STATUS_SUCCESS;
}

NTSTATUS MmCopyToUser(PVOID UserDestination, PCVOID Source, SIZE_T Length)
{
    if (bad_user(UserDestination) ||
        ((char *)UserDestination < (char *)&read_only_cell + sizeof(read_only_cell) &&
         (char *)UserDestination + Length > (char *)&read_only_cell))
        return STATUS_ACCESS_VIOLATION;
    memcpy(UserDestination, Source, Length);
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------------- helpers */

#define SELF NtCurrentProcess()

static void reset(void)
{
    MiDeleteProcessVads(&vm);
    CU_ASSERT_EQUAL(MiVadsInUse(), 0);
    memset(&vm, 0, sizeof(vm));
    memset(fake_pte, 0, sizeof(fake_pte));
    memset(fake_prot, 0, sizeof(fake_prot));
    memset(fake_table, 0, sizeof(fake_table));
    tables_made = pages_freed = 0;
    tables_fail = false;
    MmTotalCommittedPages = 0;
    MmTotalCommitLimit = 100000;
}

/* The fault path's part: a touch of a committed page makes it resident (demand zero), the
 * guard bit goes on the first touch. Returns false where the fault path would refuse. */
static bool touch(ULONG_PTR va, bool write)
{
    PMMVAD vad = MiLocateVad(&vm.VadRoot, MI_VA_TO_VPN(va));
    ULONG prot;
    BOOLEAN table;
    uint32_t pte;

    if (!vad || !MiQueryPageProtection(vad, va, &prot))
        return false;
    pte = MiReadUserPte(va, &table);
    if (pte & PTE_VALID)
        return !write || MiIsAccessAllowed(fake_prot[va >> PAGE_SHIFT], TRUE);
    if ((prot & MM_PROTECT_SPECIAL) == MM_GUARD_PAGE) {
        fake_table[va >> PDE_SHIFT] = true;
        if (resident(pte))
            MiSetResidentProtection(va, prot & ~MM_GUARD_PAGE);
        else
            fake_pte[va >> PAGE_SHIFT] = MI_MAKE_DEMAND_ZERO_PTE(prot & ~MM_GUARD_PAGE);
        return false;   /* the guard page violation */
    }
    if (!MiIsAccessAllowed(prot, write))
        return false;
    fake_table[va >> PDE_SHIFT] = true;
    if (resident(pte)) {
        MiSetResidentProtection(va, prot);
        return true;
    }
    fake_pte[va >> PAGE_SHIFT] = PTE_FROM_PFN(next_pfn++) | PTE_VALID;
    fake_prot[va >> PAGE_SHIFT] = prot;
    return true;
}

static NTSTATUS alloc(ULONG_PTR *base, ULONG_PTR size, ULONG type, ULONG protect)
{
    PVOID b = (PVOID)*base;
    SIZE_T s = size;
    NTSTATUS st = NtAllocateVirtualMemory(SELF, &b, 0, &s, type, protect);
    if (NT_SUCCESS(st)) {
        *base = (ULONG_PTR)b;
        CU_ASSERT_EQUAL(MiCheckVadTree(&vm.VadRoot), vm.VadRoot.NumberGenericTableElements);
    }
    return st;
}

static NTSTATUS alloc_sized(ULONG_PTR *base, ULONG_PTR *size, ULONG type, ULONG protect)
{
    PVOID b = (PVOID)*base;
    SIZE_T s = *size;
    NTSTATUS st = NtAllocateVirtualMemory(SELF, &b, 0, &s, type, protect);
    if (NT_SUCCESS(st)) {
        *base = (ULONG_PTR)b;
        *size = s;
    }
    return st;
}

static NTSTATUS vfree(ULONG_PTR base, ULONG_PTR size, ULONG type)
{
    PVOID b = (PVOID)base;
    SIZE_T s = size;
    NTSTATUS st = NtFreeVirtualMemory(SELF, &b, &s, type);
    CU_ASSERT_EQUAL(MiCheckVadTree(&vm.VadRoot), vm.VadRoot.NumberGenericTableElements);
    return st;
}

static NTSTATUS protect(ULONG_PTR base, ULONG_PTR size, ULONG prot, ULONG *old)
{
    PVOID b = (PVOID)base;
    SIZE_T s = size;
    ULONG o = 0xDEAD;
    NTSTATUS st = NtProtectVirtualMemory(SELF, &b, &s, prot, &o);
    if (old)
        *old = o;
    return st;
}

static MEMORY_BASIC_INFORMATION query(ULONG_PTR va)
{
    MEMORY_BASIC_INFORMATION mbi;
    SIZE_T len = 0;
    memset(&mbi, 0xCC, sizeof(mbi));
    CU_ASSERT_EQUAL(NtQueryVirtualMemory(SELF, (PVOID)va, MemoryBasicInformation, &mbi,
                                         sizeof(mbi), &len), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(len, sizeof(mbi));
    return mbi;
}

static PMMVAD new_vad(ULONG_PTR start_vpn, ULONG_PTR end_vpn)
{
    PMMVAD vad = MiAllocateVad();
    CU_ASSERT_PTR_NOT_NULL_FATAL(vad);
    vad->StartingVpn = start_vpn;
    vad->EndingVpn = end_vpn;
    return vad;
}

/* --------------------------------------------------------------------------------- tree */

static void tree_insert_find_remove(void)
{
    reset();
    MM_AVL_TABLE t = { 0 };
    PMMVAD vads[300];
    /* 300 two-page VADs at every third page, inserted in a scrambled order. */
    for (unsigned i = 0; i < 300; i++) {
        unsigned k = (i * 7919u) % 300u;
        vads[k] = new_vad(0x100 + 3 * k, 0x101 + 3 * k);
        MiInsertVad(&t, vads[k]);
        CU_ASSERT_EQUAL(MiCheckVadTree(&t), i + 1);
    }
    CU_ASSERT(t.Root->Height <= 12);   /* AVL: <= 1.44 log2(302) */
    for (unsigned k = 0; k < 300; k++) {
        CU_ASSERT_PTR_EQUAL(MiLocateVad(&t, 0x100 + 3 * k), vads[k]);
        CU_ASSERT_PTR_EQUAL(MiLocateVad(&t, 0x101 + 3 * k), vads[k]);
        CU_ASSERT_PTR_NULL(MiLocateVad(&t, 0x102 + 3 * k));
    }
    CU_ASSERT_PTR_NULL(MiLocateVad(&t, 0xFF));
    /* Remove every other one (hint included), the tree stays an AVL tree. */
    for (unsigned k = 0; k < 300; k += 2) {
        (void)MiLocateVad(&t, 0x100 + 3 * k);
        MiRemoveVad(&t, vads[k]);
        MiFreeVad(vads[k]);
        CU_ASSERT_NOT_EQUAL(MiCheckVadTree(&t), ~0u);
        CU_ASSERT_PTR_NULL(MiLocateVad(&t, 0x100 + 3 * k));
    }
    CU_ASSERT_EQUAL(MiCheckVadTree(&t), 150);
    for (unsigned k = 1; k < 300; k += 2) {
        CU_ASSERT_PTR_EQUAL(MiLocateVad(&t, 0x101 + 3 * k), vads[k]);
        MiRemoveVad(&t, vads[k]);
        MiFreeVad(vads[k]);
    }
    CU_ASSERT_PTR_NULL(t.Root);
    CU_ASSERT_EQUAL(MiCheckVadTree(&t), 0);
    CU_ASSERT_EQUAL(MiVadsInUse(), 0);
}

static void tree_conflicts_and_neighbours(void)
{
    reset();
    MM_AVL_TABLE t = { 0 };
    PMMVAD a = new_vad(0x10, 0x1F), b = new_vad(0x30, 0x3F), c = new_vad(0x40, 0x40);
    MiInsertVad(&t, b);
    MiInsertVad(&t, a);
    MiInsertVad(&t, c);
    CU_ASSERT_PTR_NULL(MiCheckForConflictingVad(&t, 0x20, 0x2F));   /* the gap */
    CU_ASSERT_PTR_EQUAL(MiCheckForConflictingVad(&t, 0x1F, 0x20), a);   /* last page of a */
    CU_ASSERT_PTR_EQUAL(MiCheckForConflictingVad(&t, 0x00, 0x100), a);  /* lowest overlap */
    CU_ASSERT_PTR_EQUAL(MiCheckForConflictingVad(&t, 0x2F, 0x30), b);
    CU_ASSERT_PTR_EQUAL(MiCheckForConflictingVad(&t, 0x35, 0x36), b);   /* inside */
    CU_ASSERT_PTR_NULL(MiCheckForConflictingVad(&t, 0x41, 0x1000));
    CU_ASSERT_PTR_EQUAL(MiFirstVadAtOrAbove(&t, 0x20), b);
    CU_ASSERT_PTR_EQUAL(MiFirstVadAtOrAbove(&t, 0x1F), a);
    CU_ASSERT_PTR_NULL(MiFirstVadAtOrAbove(&t, 0x41));
    CU_ASSERT_PTR_EQUAL(MiLastVadAtOrBelow(&t, 0x2F), a);
    CU_ASSERT_PTR_EQUAL(MiLastVadAtOrBelow(&t, 0x40), c);
    CU_ASSERT_PTR_NULL(MiLastVadAtOrBelow(&t, 0x0F));
    MiRemoveVad(&t, a); MiFreeVad(a);
    MiRemoveVad(&t, b); MiFreeVad(b);
    MiRemoveVad(&t, c); MiFreeVad(c);
}

static void free_range_search_on_64k_granularity(void)
{
    reset();
    MM_AVL_TABLE t = { 0 };
    ULONG_PTR base = 0;
    const ULONG_PTR g = MM_VIRTMEM_GRANULARITY;
    /* Taken: 0x10000-0x10FFF, 0x30000-0x4FFFF. */
    PMMVAD a = new_vad(0x10, 0x10), b = new_vad(0x30, 0x4F);
    MiInsertVad(&t, a);
    MiInsertVad(&t, b);
    CU_ASSERT_EQUAL(MiFindEmptyAddressRange(&t, 0x1000, g, 0x10000, 0x7FFDFFFF, FALSE, &base),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x20000);        /* the next 64 KiB boundary after a */
    CU_ASSERT_EQUAL(MiFindEmptyAddressRange(&t, 0x20000, g, 0x10000, 0x7FFDFFFF, FALSE, &base),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x50000);        /* 0x20000-0x2FFFF is only 64 KiB */
    CU_ASSERT_EQUAL(MiFindEmptyAddressRange(&t, 0x10000, g, 0x10000, 0x7FFDFFFF, TRUE, &base),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x7FFD0000);     /* top down: the highest 64 KiB that fits */
    CU_ASSERT_EQUAL(MiFindEmptyAddressRange(&t, 0x10000, g, 0x10000, 0x4FFFF, TRUE, &base),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x20000);        /* below b */
    CU_ASSERT_EQUAL(MiFindEmptyAddressRange(&t, 0x20000, g, 0x10000, 0x4FFFF, TRUE, &base),
                    STATUS_NO_MEMORY);
    CU_ASSERT_EQUAL(MiFindEmptyAddressRange(&t, 0x20000, g, 0x10000, 0x4FFFF, FALSE, &base),
                    STATUS_NO_MEMORY);
    CU_ASSERT_EQUAL(MiFindEmptyAddressRange(&t, 0x80000000u, g, 0x10000, 0x7FFDFFFF, FALSE,
                                            &base), STATUS_NO_MEMORY);
    MiRemoveVad(&t, a); MiFreeVad(a);
    MiRemoveVad(&t, b); MiFreeVad(b);
}

static void vad_pool_runs_out_and_refills(void)
{
    reset();
    static PMMVAD all[MI_VAD_POOL_SIZE];
    for (unsigned i = 0; i < MI_VAD_POOL_SIZE; i++)
        CU_ASSERT_PTR_NOT_NULL_FATAL(all[i] = MiAllocateVad());
    CU_ASSERT_PTR_NULL(MiAllocateVad());
    /* Reserving needs a VAD: STATUS_NO_MEMORY, nothing charged. */
    ULONG_PTR base = 0;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_NO_MEMORY);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 0);
    for (unsigned i = 0; i < MI_VAD_POOL_SIZE; i++)
        MiFreeVad(all[i]);
    CU_ASSERT_EQUAL(MiVadsInUse(), 0);
    CU_ASSERT_PTR_NOT_NULL(all[0] = MiAllocateVad());
    MiFreeVad(all[0]);
}

/* ---------------------------------------------------------------------------- protections */

static void protection_masks(void)
{
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_NOACCESS), MM_NOACCESS);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_READONLY), MM_READONLY);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_READWRITE), MM_READWRITE);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_EXECUTE_READ), MM_EXECUTE_READ);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_READWRITE | PAGE_GUARD), MM_READWRITE | MM_GUARD_PAGE);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_READONLY | PAGE_NOCACHE), MM_READONLY | MM_NOCACHE);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(0), MM_INVALID_PROTECTION);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_READONLY | PAGE_EXECUTE), MM_INVALID_PROTECTION);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_NOACCESS | PAGE_GUARD), MM_INVALID_PROTECTION);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE),
                    MM_INVALID_PROTECTION);
    CU_ASSERT_EQUAL(MiMakeProtectionMask(PAGE_READWRITE | 0x800), MM_INVALID_PROTECTION);
    for (ULONG p = 1; p <= 0x80; p <<= 1) {
        CU_ASSERT_EQUAL(MiProtectionToWin32(MiMakeProtectionMask(p)), p);
        if (p != PAGE_NOACCESS)
            CU_ASSERT_EQUAL(MiProtectionToWin32(MiMakeProtectionMask(p | PAGE_GUARD)),
                            p | PAGE_GUARD);
    }
    /* The PTE encodings of the reference: demand zero 0x80, NOACCESS 0x300, guard 0x280. */
    CU_ASSERT_EQUAL(MI_MAKE_DEMAND_ZERO_PTE(MiMakeProtectionMask(PAGE_READWRITE)), 0x80);
    CU_ASSERT_EQUAL(MI_MAKE_DEMAND_ZERO_PTE(MiMakeProtectionMask(PAGE_NOACCESS)), 0x300);
    CU_ASSERT_EQUAL(MI_MAKE_DEMAND_ZERO_PTE(MiMakeProtectionMask(PAGE_READWRITE | PAGE_GUARD)),
                    0x280);
    CU_ASSERT_TRUE(MiIsAccessAllowed(MM_READONLY, FALSE));
    CU_ASSERT_FALSE(MiIsAccessAllowed(MM_READONLY, TRUE));
    CU_ASSERT_FALSE(MiIsAccessAllowed(MM_NOACCESS, FALSE));
    CU_ASSERT_TRUE(MiIsAccessAllowed(MM_EXECUTE_READWRITE, TRUE));
}

/* ------------------------------------------------------------------ NtAllocateVirtualMemory */

static void allocate_arguments(void)
{
    reset();
    PVOID b = NULL;
    SIZE_T s = 0x1000;
    ULONG_PTR base;
    /* In NT's order: ZeroBits, type, protection, then the pointers, then the handle. */
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 22, &s, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_INVALID_PARAMETER_3);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 0, &s, 0, PAGE_READWRITE),
                    STATUS_INVALID_PARAMETER_5);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 0, &s, MEM_TOP_DOWN, PAGE_READWRITE),
                    STATUS_INVALID_PARAMETER_5);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 0, &s, MEM_RESERVE | 0x40, PAGE_READWRITE),
                    STATUS_INVALID_PARAMETER_5);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 0, &s, MEM_RESET | MEM_COMMIT,
                                            PAGE_READWRITE), STATUS_INVALID_PARAMETER_5);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 0, &s, MEM_RESERVE, 0),
                    STATUS_INVALID_PAGE_PROTECTION);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 0, &s, MEM_RESERVE,
                                            PAGE_READONLY | PAGE_EXECUTE),
                    STATUS_INVALID_PAGE_PROTECTION);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 0, &s, MEM_RESERVE, PAGE_WRITECOPY),
                    STATUS_INVALID_PAGE_PROTECTION);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, (PVOID *)0x1000, 0, &s, MEM_RESERVE,
                                            PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 0, NULL, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_ACCESS_VIOLATION);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, (PVOID *)&read_only_cell, 0, &s, MEM_RESERVE,
                                            PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, (PVOID *)((char *)&b + 1), 0, &s, MEM_RESERVE,
                                            PAGE_READWRITE), STATUS_DATATYPE_MISALIGNMENT);
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory((HANDLE)0x44, &b, 0, &s, MEM_RESERVE,
                                            PAGE_READWRITE), STATUS_INVALID_HANDLE);
    base = 0;
    CU_ASSERT_EQUAL(alloc(&base, 0, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
    base = 0x8000;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2);
    base = 0x7FFE0000;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2);
    base = 0x7FFD0000;
    CU_ASSERT_EQUAL(alloc(&base, 0x20000, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_INVALID_PARAMETER_4);
    CU_ASSERT_EQUAL(vm.VadRoot.NumberGenericTableElements, 0);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 0);
}

static void reserve_on_64k_granularity(void)
{
    reset();
    ULONG_PTR base = 0x50001010, size = 0x1000;
    /* ReactOS' CheckAlignment: the base goes down to 64 KiB, the end up to a page. */
    CU_ASSERT_EQUAL(alloc_sized(&base, &size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x50000000);
    CU_ASSERT_EQUAL(size, 0x3000);
    CU_ASSERT_EQUAL(tables_made, 0);                  /* reserving touches no page table */
    base = 0x50008000;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_CONFLICTING_ADDRESSES);   /* the same 64 KiB */
    base = 0x4FFFF000;
    CU_ASSERT_EQUAL(alloc(&base, 0x2000, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_CONFLICTING_ADDRESSES);   /* runs into it */
    base = 0x50010000;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    /* NULL base: bottom up, on 64 KiB boundaries; Wine's 0xFFFC is 64 KiB. */
    base = 0;
    size = 0xFFFC;
    CU_ASSERT_EQUAL(alloc_sized(&base, &size, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x10000);
    CU_ASSERT_EQUAL(size, 0x10000);
    base = 0;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x20000);
    base = 0;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x7FFD0000);
    /* ZeroBits 12: the address must fit in 20 bits. */
    base = 0;
    size = 0x1000;
    PVOID b = NULL;
    SIZE_T s = 0x10000;
    CU_ASSERT_EQUAL(NtAllocateVirtualMemory(SELF, &b, 12, &s, MEM_RESERVE | MEM_TOP_DOWN,
                                            PAGE_READWRITE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL((ULONG_PTR)b, 0xF0000);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 0);
    CU_ASSERT_EQUAL(MiCheckVadTree(&vm.VadRoot), 6);
}

static void commit_inside_reservations(void)
{
    reset();
    ULONG_PTR base = 0x50000000, b2, size;
    CU_ASSERT_EQUAL(alloc(&base, 0x10000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    b2 = 0x50010000;
    CU_ASSERT_EQUAL(alloc(&b2, 0x10000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    base = 0x50001800;
    size = 0x1000;
    CU_ASSERT_EQUAL(alloc_sized(&base, &size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(base, 0x50001000);
    CU_ASSERT_EQUAL(size, 0x2000);                    /* both pages the range touches */
    CU_ASSERT_EQUAL(fake_pte[0x50001], 0x80);         /* demand-zero PTEs, no page */
    CU_ASSERT_EQUAL(fake_pte[0x50002], 0x80);
    CU_ASSERT_EQUAL(fake_pte[0x50003], 0);
    CU_ASSERT_EQUAL(tables_made, 1);
    CU_ASSERT_EQUAL(vm.CommitCharge, 2);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 2);
    /* Again: nothing new to charge; another protection is applied. */
    base = 0x50001000;
    CU_ASSERT_EQUAL(alloc(&base, 0x2000, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vm.CommitCharge, 2);
    CU_ASSERT_EQUAL(fake_pte[0x50001], MI_MAKE_DEMAND_ZERO_PTE(MM_READONLY));
    /* Outside any reservation, across two, and in free memory: conflicting addresses. */
    base = 0x5000F000;
    CU_ASSERT_EQUAL(alloc(&base, 0x2000, MEM_COMMIT, PAGE_READWRITE),
                    STATUS_CONFLICTING_ADDRESSES);
    base = 0x60000000;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_COMMIT, PAGE_READWRITE),
                    STATUS_CONFLICTING_ADDRESSES);
    base = 0x50001000;
    CU_ASSERT_EQUAL(alloc(&base, 0x1000, MEM_COMMIT, PAGE_EXECUTE_WRITECOPY),
                    STATUS_INVALID_PAGE_PROTECTION);
    /* Committed pages fault in; reserved ones do not. */
    CU_ASSERT_TRUE(touch(0x50001000, false));
    CU_ASSERT_FALSE(touch(0x50001000, true));         /* read-only now */
    CU_ASSERT_FALSE(touch(0x50003000, false));        /* reserved */
    CU_ASSERT_EQUAL(vm.CommitCharge, 2);
}

static void reserve_and_commit_at_once_is_lazy(void)
{
    reset();
    ULONG_PTR base = 0;
    CU_ASSERT_EQUAL(alloc(&base, 2u << 20, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vm.CommitCharge, 512);
    CU_ASSERT_EQUAL(tables_made, 0);                  /* the VAD alone says committed */
    MEMORY_BASIC_INFORMATION mbi = query(base + 0x5000);
    CU_ASSERT_EQUAL(mbi.State, MEM_COMMIT);
    CU_ASSERT_EQUAL(mbi.Protect, PAGE_READWRITE);
    CU_ASSERT_EQUAL(mbi.RegionSize, (2u << 20) - 0x5000);
    CU_ASSERT_TRUE(touch(base + 0x7000, true));
    mbi = query(base);
    CU_ASSERT_EQUAL(mbi.RegionSize, 2u << 20);        /* resident or not: same state */
}

/* -------------------------------------------------------------------- NtFreeVirtualMemory */

static void decommit_splits_regions_and_recommit_is_zero(void)
{
    reset();
    ULONG_PTR base = 0x40000000;
    CU_ASSERT_EQUAL(alloc(&base, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    for (ULONG_PTR va = base; va < base + 0x10000; va += 0x1000)
        CU_ASSERT_TRUE(touch(va, true));
    CU_ASSERT_EQUAL(vfree(base + 0x4000, 0x4000, MEM_DECOMMIT), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(pages_freed, 4);
    CU_ASSERT_EQUAL(vm.CommitCharge, 12);
    CU_ASSERT_EQUAL(MiLocateVad(&vm.VadRoot, MI_VA_TO_VPN(base))->u.VadFlags.CommitCharge, 12);
    CU_ASSERT_EQUAL(fake_pte[(base + 0x4000) >> 12], MM_DECOMMITTED_PTE);
    CU_ASSERT_FALSE(touch(base + 0x5000, false));     /* decommitted: access violation */
    /* Three regions: committed, reserved, committed. */
    MEMORY_BASIC_INFORMATION mbi = query(base);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x4000);
    CU_ASSERT_EQUAL(mbi.State, MEM_COMMIT);
    mbi = query(base + 0x4000);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x4000);
    CU_ASSERT_EQUAL(mbi.State, MEM_RESERVE);
    CU_ASSERT_EQUAL(mbi.Protect, 0);
    CU_ASSERT_EQUAL((ULONG_PTR)mbi.AllocationBase, base);
    mbi = query(base + 0x8000);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x8000);
    /* Decommitting reserved pages is no error and returns nothing. */
    CU_ASSERT_EQUAL(vfree(base + 0x4000, 0x1000, MEM_DECOMMIT), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vm.CommitCharge, 12);
    /* Recommit: demand-zero PTEs again, so the next touch gets a zeroed page. */
    ULONG_PTR b = base + 0x4000;
    CU_ASSERT_EQUAL(alloc(&b, 0x4000, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(fake_pte[(base + 0x4000) >> 12], 0x80);
    CU_ASSERT_EQUAL(vm.CommitCharge, 16);
    /* Decommit with size 0: from the base to the end of the allocation. */
    CU_ASSERT_EQUAL(vfree(base + 0x8000, 0, MEM_DECOMMIT), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vm.CommitCharge, 8);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 8);
}

static void release_rules(void)
{
    reset();
    ULONG_PTR base = 0x50000000;
    CU_ASSERT_EQUAL(alloc(&base, 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vfree(base, 0, 0), STATUS_INVALID_PARAMETER_4);
    CU_ASSERT_EQUAL(vfree(base, 0, MEM_FREE), STATUS_INVALID_PARAMETER_4);
    CU_ASSERT_EQUAL(vfree(base, 0, MEM_RELEASE | MEM_DECOMMIT), STATUS_INVALID_PARAMETER_4);
    CU_ASSERT_EQUAL(vfree(0x50003000, 0, MEM_RELEASE), STATUS_MEMORY_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(vfree(0x50001000, 0, MEM_RELEASE), STATUS_FREE_VM_NOT_AT_BASE);
    CU_ASSERT_EQUAL(vfree(base, 0x4000, MEM_RELEASE), STATUS_UNABLE_TO_FREE_VM);
    CU_ASSERT_EQUAL(vfree(base, 0x4000, MEM_DECOMMIT), STATUS_UNABLE_TO_FREE_VM);
    CU_ASSERT_EQUAL(vfree(0x80000000u, 0, MEM_RELEASE), STATUS_INVALID_PARAMETER_2);
    CU_ASSERT_EQUAL(vfree(0x7FFE0000u, 0x20000, MEM_RELEASE), STATUS_INVALID_PARAMETER_3);
    PVOID b = (PVOID)base;
    CU_ASSERT_EQUAL(NtFreeVirtualMemory(SELF, &b, NULL, MEM_RELEASE), STATUS_ACCESS_VIOLATION);
    CU_ASSERT_EQUAL(vm.CommitCharge, 3);
    CU_ASSERT_TRUE(touch(base + 0x1000, true));
    CU_ASSERT_EQUAL(vfree(base, 0, MEM_RELEASE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vm.CommitCharge, 0);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 0);
    CU_ASSERT_EQUAL(pages_freed, 1);
    CU_ASSERT_EQUAL(fake_pte[(base + 0x1000) >> 12], 0);
    CU_ASSERT_PTR_NULL(vm.VadRoot.Root);
    MEMORY_BASIC_INFORMATION mbi = query(base);
    CU_ASSERT_EQUAL(mbi.State, MEM_FREE);
    CU_ASSERT_FALSE(touch(base + 0x1000, false));
}

static void partial_release_trims_and_splits(void)
{
    reset();
    ULONG_PTR base = 0x40000000;
    CU_ASSERT_EQUAL(alloc(&base, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vfree(base + 0xA000, 0x1000, MEM_DECOMMIT), STATUS_SUCCESS);   /* 15 */
    /* The middle: two allocations remain, each with its own charge. */
    CU_ASSERT_EQUAL(vfree(base + 0x4000, 0x2000, MEM_RELEASE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(MiCheckVadTree(&vm.VadRoot), 2);
    PMMVAD low = MiLocateVad(&vm.VadRoot, MI_VA_TO_VPN(base));
    PMMVAD high = MiLocateVad(&vm.VadRoot, MI_VA_TO_VPN(base + 0x6000));
    CU_ASSERT_PTR_NOT_NULL_FATAL(low);
    CU_ASSERT_PTR_NOT_NULL_FATAL(high);
    CU_ASSERT_PTR_NULL(MiLocateVad(&vm.VadRoot, MI_VA_TO_VPN(base + 0x4000)));
    CU_ASSERT_EQUAL(low->EndingVpn, MI_VA_TO_VPN(base + 0x3000));
    CU_ASSERT_EQUAL(low->u.VadFlags.CommitCharge, 4);
    CU_ASSERT_EQUAL(high->u.VadFlags.CommitCharge, 9);   /* 10 pages, one decommitted */
    CU_ASSERT_EQUAL(vm.CommitCharge, 13);
    MEMORY_BASIC_INFORMATION mbi = query(base + 0x6000);
    CU_ASSERT_EQUAL((ULONG_PTR)mbi.AllocationBase, base + 0x6000);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x4000);
    mbi = query(base + 0x4000);
    CU_ASSERT_EQUAL(mbi.State, MEM_FREE);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x2000);
    /* Trim the start of the high part and the end of the low one. */
    CU_ASSERT_EQUAL(vfree(base + 0x6000, 0x1000, MEM_RELEASE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(high->StartingVpn, MI_VA_TO_VPN(base + 0x7000));
    CU_ASSERT_EQUAL(vfree(base + 0x3000, 0x1000, MEM_RELEASE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(low->EndingVpn, MI_VA_TO_VPN(base + 0x2000));
    CU_ASSERT_EQUAL(vm.CommitCharge, 11);
    CU_ASSERT_EQUAL(low->u.VadFlags.CommitCharge + high->u.VadFlags.CommitCharge, 11);
    CU_ASSERT_EQUAL(vfree(base + 0x7000, 0, MEM_RELEASE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vfree(base, 0, MEM_RELEASE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(vm.CommitCharge, 0);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 0);
}

/* ------------------------------------------------------------------ NtProtectVirtualMemory */

static void protect_rules(void)
{
    reset();
    ULONG_PTR addr1 = 0;
    ULONG old;
    CU_ASSERT_EQUAL(alloc(&addr1, 0xFFFC, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    /* Wine: protecting uncommitted memory fails. */
    CU_ASSERT_EQUAL(protect(addr1, 0xFFFC, PAGE_READONLY, &old), STATUS_NOT_COMMITTED);
    ULONG_PTR b = addr1;
    CU_ASSERT_EQUAL(alloc(&b, 0x1000, MEM_COMMIT, PAGE_NOACCESS), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(protect(addr1, 0xFFFC, PAGE_READONLY, &old), STATUS_NOT_COMMITTED);
    CU_ASSERT_EQUAL(protect(addr1, 0x1000, PAGE_READONLY, &old), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(old, PAGE_NOACCESS);
    CU_ASSERT_EQUAL(protect(addr1, 0x1000, PAGE_READWRITE, &old), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(old, PAGE_READONLY);
    CU_ASSERT_EQUAL(protect(addr1, 0x1000, PAGE_WRITECOPY, &old), STATUS_INVALID_PAGE_PROTECTION);
    CU_ASSERT_EQUAL(protect(addr1, 0x1000, 0, &old), STATUS_INVALID_PAGE_PROTECTION);
    CU_ASSERT_EQUAL(protect(addr1, 0, PAGE_READWRITE, &old), STATUS_INVALID_PARAMETER_3);
    CU_ASSERT_EQUAL(protect(0x60000000, 0x1000, PAGE_READWRITE, &old),
                    STATUS_CONFLICTING_ADDRESSES);
    CU_ASSERT_EQUAL(protect(addr1 + 0xF000, 0x2000, PAGE_READWRITE, &old),
                    STATUS_CONFLICTING_ADDRESSES);
    PVOID p = (PVOID)addr1;
    SIZE_T s = 0x1000;
    CU_ASSERT_EQUAL(NtProtectVirtualMemory(SELF, &p, &s, PAGE_READWRITE, (PULONG)0x10),
                    STATUS_ACCESS_VIOLATION);
    /* A resident page made a guard page keeps its frame behind a transition PTE. */
    CU_ASSERT_TRUE(touch(addr1, true));
    uint32_t frame = fake_pte[addr1 >> 12] & PTE_FRAME_MASK;
    CU_ASSERT_EQUAL(protect(addr1, 1, PAGE_READWRITE | PAGE_GUARD, &old), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(old, PAGE_READWRITE);
    CU_ASSERT_EQUAL(fake_pte[addr1 >> 12], frame | PTE_TRANSITION | (0x14u << 5));
    MEMORY_BASIC_INFORMATION mbi = query(addr1);
    CU_ASSERT_EQUAL(mbi.Protect, PAGE_READWRITE | PAGE_GUARD);
    CU_ASSERT_FALSE(touch(addr1, false));             /* the guard fires once... */
    CU_ASSERT_TRUE(touch(addr1, false));              /* ...then the page is back */
    CU_ASSERT_EQUAL(fake_pte[addr1 >> 12] & PTE_FRAME_MASK, frame);
    mbi = query(addr1);
    CU_ASSERT_EQUAL(mbi.Protect, PAGE_READWRITE);
    CU_ASSERT_EQUAL(pages_freed, 0);
}

static void protect_on_commit_at_once_allocation(void)
{
    reset();
    ULONG_PTR base = 0x30000000;
    ULONG old;
    CU_ASSERT_EQUAL(alloc(&base, 0x8000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(protect(base + 0x2000, 0x2000, PAGE_NOACCESS, &old), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(old, PAGE_READWRITE);
    CU_ASSERT_EQUAL(fake_pte[(base + 0x2000) >> 12], 0x300);   /* NT's NOACCESS PTE */
    CU_ASSERT_FALSE(touch(base + 0x2000, false));
    CU_ASSERT_TRUE(touch(base + 0x4000, true));
    MEMORY_BASIC_INFORMATION mbi = query(base);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x2000);
    CU_ASSERT_EQUAL(mbi.AllocationProtect, PAGE_READWRITE);
    mbi = query(base + 0x2000);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x2000);
    CU_ASSERT_EQUAL(mbi.Protect, PAGE_NOACCESS);
    CU_ASSERT_EQUAL(mbi.AllocationProtect, PAGE_READWRITE);   /* stays the reservation's */
}

/* A page in the pagefile or in its image file keeps its place when its protection changes:
 * only the PTE's protection bits change (the slot is not released, the page not dropped). */
static void protect_keeps_pagefile_and_image_ptes(void)
{
    reset();
    ULONG_PTR base = 0x30000000;
    ULONG old;
    CU_ASSERT_EQUAL(alloc(&base, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_TRUE(touch(base, true));
    fake_pte[base >> 12] = MI_MAKE_PAGEFILE_PTE(0, 0x1234, MM_READWRITE);   /* paged out */
    fake_pte[(base + 0x1000) >> 12] = MI_MAKE_PROTO_LOOKUP_PTE(MM_READWRITE);
    CU_ASSERT_EQUAL(protect(base, 0x2000, PAGE_READONLY, &old), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(old, PAGE_READWRITE);
    CU_ASSERT_EQUAL(fake_pte[base >> 12], MI_MAKE_PAGEFILE_PTE(0, 0x1234, MM_READONLY));
    CU_ASSERT_EQUAL(fake_pte[(base + 0x1000) >> 12], MI_MAKE_PROTO_LOOKUP_PTE(MM_READONLY));
    MEMORY_BASIC_INFORMATION mbi = query(base);
    CU_ASSERT_EQUAL(mbi.State, MEM_COMMIT);
    CU_ASSERT_EQUAL(mbi.Protect, PAGE_READONLY);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x2000);
    CU_ASSERT_EQUAL(pages_freed, 0);
    /* Decommitting them writes 0x200 over both. */
    CU_ASSERT_EQUAL(vfree(base, 0x2000, MEM_DECOMMIT), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(fake_pte[base >> 12], MM_DECOMMITTED_PTE);
    CU_ASSERT_EQUAL(vm.CommitCharge, 2);
}

/* -------------------------------------------------------------------- NtQueryVirtualMemory */

static void query_regions(void)
{
    reset();
    ULONG_PTR addr1 = 0;
    CU_ASSERT_EQUAL(alloc(&addr1, 0xFFFC, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    /* Wine's reserve 0xFFFC: one reserved 64 KiB region, Protect 0. */
    MEMORY_BASIC_INFORMATION mbi = query(addr1 + 0x123);
    CU_ASSERT_EQUAL((ULONG_PTR)mbi.BaseAddress, addr1);
    CU_ASSERT_EQUAL((ULONG_PTR)mbi.AllocationBase, addr1);
    CU_ASSERT_EQUAL(mbi.AllocationProtect, PAGE_NOACCESS);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x10000);
    CU_ASSERT_EQUAL(mbi.State, MEM_RESERVE);
    CU_ASSERT_EQUAL(mbi.Protect, 0);
    CU_ASSERT_EQUAL(mbi.Type, MEM_PRIVATE);
    ULONG_PTR b = addr1;
    CU_ASSERT_EQUAL(alloc(&b, 0x1000, MEM_COMMIT, PAGE_NOACCESS), STATUS_SUCCESS);
    mbi = query(addr1);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x1000);
    CU_ASSERT_EQUAL(mbi.State, MEM_COMMIT);
    CU_ASSERT_EQUAL(mbi.Protect, PAGE_NOACCESS);
    mbi = query(addr1 + 0x1000);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0xF000);
    /* Free memory: from the page to the next allocation, or the end of the VAD space. */
    mbi = query(0);
    CU_ASSERT_EQUAL(mbi.State, MEM_FREE);
    CU_ASSERT_EQUAL(mbi.RegionSize, addr1);
    CU_ASSERT_EQUAL(mbi.Protect, PAGE_NOACCESS);
    CU_ASSERT_PTR_NULL(mbi.AllocationBase);
    CU_ASSERT_EQUAL(mbi.Type, 0);
    mbi = query(0x60000FFF);
    CU_ASSERT_EQUAL((ULONG_PTR)mbi.BaseAddress, 0x60000000);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x7FFE0000 - 0x60000000);
    /* Arguments. */
    SIZE_T len;
    CU_ASSERT_EQUAL(NtQueryVirtualMemory(SELF, 0, (MEMORY_INFORMATION_CLASS)1, &mbi,
                                         sizeof(mbi), &len), STATUS_INVALID_INFO_CLASS);
    CU_ASSERT_EQUAL(NtQueryVirtualMemory(SELF, 0, MemoryBasicInformation, &mbi,
                                         sizeof(mbi) - 1, &len), STATUS_INFO_LENGTH_MISMATCH);
    CU_ASSERT_EQUAL(NtQueryVirtualMemory(SELF, (PVOID)0x80000000u, MemoryBasicInformation,
                                         &mbi, sizeof(mbi), &len), STATUS_INVALID_PARAMETER);
    CU_ASSERT_EQUAL(NtQueryVirtualMemory(SELF, 0, MemoryBasicInformation, (PVOID)0x100,
                                         sizeof(mbi), &len), STATUS_ACCESS_VIOLATION);
    CU_ASSERT_EQUAL(NtQueryVirtualMemory(SELF, 0, MemoryBasicInformation, &mbi,
                                         sizeof(mbi), (PSIZE_T)0x200), STATUS_ACCESS_VIOLATION);
    CU_ASSERT_EQUAL(NtQueryVirtualMemory(SELF, 0, MemoryBasicInformation, &mbi, sizeof(mbi),
                                         NULL), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------------ commitment */

static void commitment_limit(void)
{
    reset();
    MmTotalCommitLimit = 64;
    ULONG_PTR base = 0;
    CU_ASSERT_EQUAL(alloc(&base, 65 * 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_COMMITMENT_LIMIT);
    CU_ASSERT_PTR_NULL(vm.VadRoot.Root);
    CU_ASSERT_EQUAL(alloc(&base, 64 * 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 64);
    ULONG_PTR big = 0;
    CU_ASSERT_EQUAL(alloc(&big, 1u << 20, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    ULONG_PTR c = big;
    CU_ASSERT_EQUAL(alloc(&c, 0x1000, MEM_COMMIT, PAGE_READWRITE), STATUS_COMMITMENT_LIMIT);
    CU_ASSERT_EQUAL(fake_pte[big >> 12], 0);          /* nothing written */
    CU_ASSERT_EQUAL(vfree(base, 0x8000, MEM_DECOMMIT), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 56);
    c = big;
    CU_ASSERT_EQUAL(alloc(&c, 0x8000, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 64);
    CU_ASSERT_EQUAL(vm.CommitChargePeak, 64);
    /* Page tables that cannot be made: the commit fails whole, its charge returned. */
    ULONG_PTR d = big + 0x10000;
    CU_ASSERT_EQUAL(vfree(base, 0, MEM_RELEASE), STATUS_SUCCESS);
    tables_fail = true;
    memset(fake_table, 0, sizeof(fake_table));
    CU_ASSERT_EQUAL(alloc(&d, 0x1000, MEM_COMMIT, PAGE_READWRITE),
                    STATUS_INSUFFICIENT_RESOURCES);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 8);
    /* Process end returns everything. */
    MiDeleteProcessVads(&vm);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 0);
    CU_ASSERT_EQUAL(vm.CommitCharge, 0);
    CU_ASSERT_EQUAL(MiVadsInUse(), 0);
}

/* /3GB moves the split: memory above 2 GB can be reserved, committed and touched, the free-
 * range search runs up to 0xBFFDFFFF; back at 2 GB the same requests are refused. */
static void three_gb_user_space(void)
{
    ULONG_PTR high = 0xA0000000u, top = 0xBFFD0000u, down = 0, bad;

    MmHighestUserAddress = MM_HIGHEST_USER_ADDRESS_3GB;
    MmUserProbeAddress = MM_USER_PROBE_ADDRESS_3GB;
    MmSystemRangeStart = MM_SYSTEM_RANGE_START_3GB;
    reset();
    CU_ASSERT_EQUAL(alloc(&high, 0x100000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(high, 0xA0000000u);
    CU_ASSERT_TRUE(touch(0xA00FF000u, true));
    CU_ASSERT_EQUAL(alloc(&top, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_TRUE(touch(0xBFFDF000u, true));
    bad = 0xBFFE0000u;
    CU_ASSERT_EQUAL(alloc(&bad, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2);
    bad = 0xBFFD0000u;   /* ends past 0xBFFDFFFF */
    CU_ASSERT_EQUAL(alloc(&bad, 0x20000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
    CU_ASSERT_EQUAL(alloc(&down, 0x10000, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(down, 0xBFFC0000u);
    CU_ASSERT_EQUAL(vfree(high, 0, MEM_RELEASE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(MmTotalCommittedPages, 16u);

    MmHighestUserAddress = MM_HIGHEST_USER_ADDRESS;
    MmUserProbeAddress = MM_USER_PROBE_ADDRESS;
    MmSystemRangeStart = MM_SYSTEM_RANGE_START;
    reset();
    high = 0xA0000000u;
    CU_ASSERT_EQUAL(alloc(&high, 0x10000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2);
    down = 0;
    CU_ASSERT_EQUAL(alloc(&down, 0x10000, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(down, 0x7FFD0000u);
}

static void stack_like_guard_commit(void)
{
    reset();
    /* What MmCreateUserStack does: reserve 1 MiB, commit the top page and a guard page. */
    PMMVAD vad;
    CU_ASSERT_EQUAL(MiCreateVad(&vm, 0x7FEE0000, 0x7FFDFFFF, MM_READWRITE, VadNone, FALSE, &vad),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(MiCommitPages(&vm, vad, 0x7FFDF000, 0x7FFDFFFF, MM_READWRITE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(MiCommitPages(&vm, vad, 0x7FFDE000, 0x7FFDEFFF, MM_READWRITE | MM_GUARD_PAGE),
                    STATUS_SUCCESS);
    CU_ASSERT_EQUAL(fake_pte[0x7FFDF], 0x80);
    CU_ASSERT_EQUAL(fake_pte[0x7FFDE], 0x280);
    CU_ASSERT_EQUAL(vm.CommitCharge, 2);
    MEMORY_BASIC_INFORMATION mbi = query(0x7FFDE000);
    CU_ASSERT_EQUAL(mbi.Protect, PAGE_READWRITE | PAGE_GUARD);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x1000);
    mbi = query(0x7FEE0000);
    CU_ASSERT_EQUAL(mbi.State, MEM_RESERVE);
    CU_ASSERT_EQUAL(mbi.RegionSize, 0x7FFDE000 - 0x7FEE0000);
    /* An image view is not the services' to free or commit in (mm/section.c makes it: a
     * VadImageMap view, its file pages' PTEs in the "look up the VAD" form elf.c writes). */
    PMMVAD image;
    CU_ASSERT_EQUAL(MiCreateVad(&vm, 0x400000, 0x402FFF, MM_EXECUTE_WRITECOPY, VadImageMap, TRUE,
                                &image), STATUS_SUCCESS);
    image->u.VadFlags.PrivateMemory = 0;
    fake_table[0x400000 >> PDE_SHIFT] = true;
    for (unsigned p = 0x400; p <= 0x402; p++)
        fake_pte[p] = MI_MAKE_PROTO_LOOKUP_PTE(MM_EXECUTE_READ);
    CU_ASSERT_EQUAL(vfree(0x400000, 0, MEM_RELEASE), STATUS_UNABLE_TO_DELETE_SECTION);
    ULONG_PTR b = 0x401000;
    CU_ASSERT_EQUAL(alloc(&b, 0x1000, MEM_COMMIT, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    mbi = query(0x400000);
    CU_ASSERT_EQUAL(mbi.Type, MEM_IMAGE);
    CU_ASSERT_EQUAL(mbi.AllocationProtect, PAGE_EXECUTE_WRITECOPY);
    CU_ASSERT_EQUAL(vm.CommitCharge, 5);
}

/* MEM_RESERVE | MEM_PHYSICAL: a read/write AWE window, never committed, never protected
 * otherwise, not inherited by a clone, released whole with its frames unmapped (not freed). */
static void awe_window_rules(void)
{
    reset();
    ULONG_PTR b = 0;
    CU_ASSERT_EQUAL(alloc(&b, 0x100000, MEM_RESERVE | MEM_PHYSICAL, PAGE_READONLY),
                    STATUS_INVALID_PAGE_PROTECTION);
    CU_ASSERT_EQUAL(alloc(&b, 0x100000, MEM_RESERVE | MEM_COMMIT | MEM_PHYSICAL, PAGE_READWRITE),
                    STATUS_INVALID_PARAMETER_5);
    CU_ASSERT_EQUAL(alloc(&b, 0x100000, MEM_PHYSICAL, PAGE_READWRITE), STATUS_INVALID_PARAMETER_5);
    CU_ASSERT_EQUAL(MiVadsInUse(), 0);
    CU_ASSERT_EQUAL_FATAL(alloc(&b, 0x100000, MEM_RESERVE | MEM_PHYSICAL, PAGE_READWRITE),
                          STATUS_SUCCESS);
    PMMVAD vad = MiLocateVad(&vm.VadRoot, MI_VA_TO_VPN(b));
    CU_ASSERT_PTR_NOT_NULL_FATAL(vad);
    CU_ASSERT_EQUAL(vad->u.VadFlags.VadType, VadAwe);
    CU_ASSERT_TRUE(vad->NoInherit);
    CU_ASSERT_EQUAL(vm.CommitCharge, 0);
    ULONG_PTR c = b + 0x1000;
    CU_ASSERT_EQUAL(alloc(&c, 0x1000, MEM_COMMIT, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    CU_ASSERT_FALSE(touch(b, true));               /* unmapped: reserved, an access violation */
    /* A frame mapped at the window's second page (what NtMapUserPhysicalPages does). */
    fake_table[b >> PDE_SHIFT] = true;
    fake_pte[(b >> PAGE_SHIFT) + 1] = 0x00123000u | PTE_VALID | PTE_WRITE | PTE_OWNER;
    fake_prot[(b >> PAGE_SHIFT) + 1] = MM_READWRITE;
    ULONG old;
    CU_ASSERT_EQUAL(protect(b + 0x1000, 0x1000, PAGE_READONLY, &old), STATUS_CONFLICTING_ADDRESSES);
    CU_ASSERT_EQUAL(vfree(b, 0x1000, MEM_DECOMMIT), STATUS_INVALID_PARAMETER_4);
    CU_ASSERT_EQUAL(vfree(b + 0x1000, 0x1000, MEM_RELEASE), STATUS_UNABLE_TO_FREE_VM);
    CU_ASSERT_EQUAL(awe_unmaps, 0);
    unsigned freed = pages_freed;
    CU_ASSERT_EQUAL(vfree(b, 0, MEM_RELEASE), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(awe_unmaps, 1);
    CU_ASSERT_EQUAL(pages_freed, freed);           /* the frame is the process's still */
    CU_ASSERT_EQUAL(fake_pte[(b >> PAGE_SHIFT) + 1], 0);
    CU_ASSERT_EQUAL(MiVadsInUse(), 0);
}

static const struct unit_test tests[] = {
    UNIT_TEST(awe_window_rules),
    UNIT_TEST(tree_insert_find_remove),
    UNIT_TEST(tree_conflicts_and_neighbours),
    UNIT_TEST(free_range_search_on_64k_granularity),
    UNIT_TEST(vad_pool_runs_out_and_refills),
    UNIT_TEST(protection_masks),
    UNIT_TEST(allocate_arguments),
    UNIT_TEST(reserve_on_64k_granularity),
    UNIT_TEST(commit_inside_reservations),
    UNIT_TEST(reserve_and_commit_at_once_is_lazy),
    UNIT_TEST(decommit_splits_regions_and_recommit_is_zero),
    UNIT_TEST(release_rules),
    UNIT_TEST(partial_release_trims_and_splits),
    UNIT_TEST(protect_rules),
    UNIT_TEST(protect_on_commit_at_once_allocation),
    UNIT_TEST(protect_keeps_pagefile_and_image_ptes),
    UNIT_TEST(query_regions),
    UNIT_TEST(commitment_limit),
    UNIT_TEST(stack_like_guard_commit),
    UNIT_TEST(three_gb_user_space),
};

UNIT_MAIN("vad", tests)
