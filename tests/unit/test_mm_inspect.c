/*
 * test_mm_inspect.c - !vm and !memusage read from outside the guest (vmm/inspect/mm_inspect.c):
 * on a guest memory laid out here, every number comes from the variable the kernel symbol
 * names, at the offset shared/pv_layout.h gives, and prints in WinDbg's layout; a symbol the
 * kernel lacks or an address that is not mapped is said, not guessed; the process list is
 * followed link by link and a broken one ends the walk; and the built kernel
 * has every symbol the host reads, large enough (the guest checks the offsets when it builds).
 */
#include <stdlib.h>
#include <string.h>

#include "mm_inspect.h"
#include "pv_layout.h"
#include "unit.h"

#define RAM (64u << 10)

static uint8_t ram[RAM];
static struct guest_mem mem = { ram, RAM };

/* A kernel whose variables sit at physical addresses (paging off), 0x40 apart. */
static struct symbol objs[] = {
    { 0x1000, 4, PV_SYM_HIGHEST_PAGE },    { 0x1040, 4, PV_SYM_AVAILABLE_PAGES },
    { 0x1080, 4, PV_SYM_COMMITTED_PAGES }, { 0x10C0, 4, PV_SYM_COMMIT_LIMIT },
    { 0x1100, 16, "MmZeroedPageListHead" }, { 0x1140, 16, "MmFreePageListHead" },
    { 0x1180, 16, "MmStandbyPageListHead" }, { 0x11C0, 16, "MmModifiedPageListHead" },
    { 0x1200, 16, "MmModifiedNoWritePageListHead" }, { 0x1240, 16, "MmBadPageListHead" },
    { 0x1280, 40, PV_SYM_PAGING_FILE },
    { 0x1300, 8, PV_SYM_ACTIVE_PROCESS_HEAD },
    { 0x1340, 4, PV_SYM_PFN_DATABASE },
};
static struct symbol_file kernel = { .objs = objs, .nobjs = sizeof(objs) / sizeof(objs[0]) };

static void put(uint32_t gpa, uint32_t v)
{
    memcpy(ram + gpa, &v, 4);
}

static void layout(void)
{
    memset(ram, 0xEE, sizeof(ram));
    put(0x1000, 4095);            /* 16 MiB */
    put(0x1040, 3640);
    put(0x1080, 8);
    put(0x10C0, 19809);
    static const uint32_t totals[6] = { 3600, 37, 3, 12, 1, 0 };
    for (unsigned l = 0; l < 6; l++)
        put(0x1100 + l * 0x40 + PV_LAYOUT_MMPFNLIST_TOTAL, totals[l]);
    put(0x1280 + PV_LAYOUT_PAGING_FILE_SIZE, 16384);
    put(0x1280 + PV_LAYOUT_PAGING_FILE_FREE_SPACE, 16000);
    put(0x1280 + PV_LAYOUT_PAGING_FILE_IN_USE, 383);
}

static const struct mm_inspect_src src = { .mem = &mem, .paging = false, .kernel = &kernel };

/* An EPROCESS at ep: pid, parent, page directory, name, handles open; linked after prev. */
static void process(uint32_t ep, uint32_t pid, uint32_t parent, uint32_t dirbase,
                    const char *name, unsigned handles, uint32_t prev_link)
{
    put(ep + PV_LAYOUT_EPROCESS_PID, pid);
    put(ep + PV_LAYOUT_EPROCESS_PARENT_PID, parent);
    put(ep + PV_LAYOUT_EPROCESS_DIRBASE, dirbase);
    memset(ram + ep + PV_LAYOUT_EPROCESS_IMAGE_NAME, 0, 32);
    memcpy(ram + ep + PV_LAYOUT_EPROCESS_IMAGE_NAME, name, strlen(name));
    for (unsigned h = 0; h < PV_LAYOUT_EPROCESS_HANDLES; h++)
        put(ep + PV_LAYOUT_EPROCESS_HANDLE_TABLE + 4 * h, h < handles ? 0x80200000u + h : 0);
    put(prev_link, ep + PV_LAYOUT_EPROCESS_ACTIVE_LINKS);     /* prev->Flink */
    put(ep + PV_LAYOUT_EPROCESS_ACTIVE_LINKS, 0x1300);         /* back to the head */
}

static void processes_as_process_0_0_prints_them(void)
{
    char why[256], text[2048];
    layout();
    process(0x2000, 8, 4, 0x00FFF000, "spin", 0, 0x1300);
    process(0x6000, 0x1a, 8, 0x00ABC000, "child\x01", 3, 0x2000 + PV_LAYOUT_EPROCESS_ACTIVE_LINKS);
    FILE *f = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(mm_inspect_print_processes(f, &src, false, why, sizeof(why)), 0);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(text,
        "**** NT ACTIVE PROCESS DUMP ****\n"
        "PROCESS 00002000  SessionId: none  Cid: 0008    Peb: 00000000  ParentCid: 0004\n"
        "    DirBase: 00FFF000  ObjectTable: 00002614  HandleCount:   0.\n"
        "    Image: spin\n\n"
        "PROCESS 00006000  SessionId: none  Cid: 001a    Peb: 00000000  ParentCid: 0008\n"
        "    DirBase: 00ABC000  ObjectTable: 00006614  HandleCount:   3.\n"
        "    Image: child?\n\n");

    /* A list that loops without coming back to the head ends with a message. */
    put(0x6000 + PV_LAYOUT_EPROCESS_ACTIVE_LINKS, 0x2000 + PV_LAYOUT_EPROCESS_ACTIVE_LINKS);
    f = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_EQUAL(mm_inspect_print_processes(f, &src, false, why, sizeof(why)), -1);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the list is broken"));
    /* A link into nowhere: said, not followed. */
    put(0x2000 + PV_LAYOUT_EPROCESS_ACTIVE_LINKS, 0x7FFFFF00);
    f = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_EQUAL(mm_inspect_print_processes(f, &src, false, why, sizeof(why)), -1);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "is not mapped"));
}

/* Page tables in the same RAM: the page directory at 0x8000 (self-mapped at PDE 0x300), one
 * page table at 0x9000 for 0x00400000-0x007FFFFF, a 4 MiB page at 0x80000000 onto frame 0. */
static struct mm_inspect_src paged(void)
{
    put(0x8000 + 0x300 * 4, 0x8000 | 0x63);          /* self-map: P W A D */
    put(0x8000 + 1 * 4, 0x9000 | 0x67);              /* user page table */
    put(0x8000 + 0x200 * 4, 0x000001E3);             /* 4 MiB, G L D A W P */
    put(0x9000 + 1 * 4, 0x0000A000 | 0x67);          /* 0x00401000: frame A, user, dirty */
    put(0x9000 + 2 * 4, 0x00000080);                 /* 0x00402000: demand zero, read/write */
    struct mm_inspect_src s = src;
    s.paging = true;
    s.pse = true;
    s.cr3 = 0x8000;
    return s;
}

static const char *run_command(const struct mm_inspect_src *s, const char *cmd, int *rc)
{
    static char text[2048];
    char why[256];
    FILE *f = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    *rc = mm_inspect_command(f, s, cmd, why, sizeof(why));
    if (*rc)
        fprintf(f, "error: %s", why);
    fclose(f);
    return text;
}

static void pte_as_windbg_prints_it(void)
{
    int rc;
    memset(ram, 0, sizeof(ram));
    layout();
    memset(ram + 0x8000, 0, 0x2000);
    struct mm_inspect_src s = paged();
    CU_ASSERT_STRING_EQUAL(run_command(&s, "!pte 401000", &rc),
        "00401000  - PDE at C0300004        PTE at C0001004\n"
        "          contains 00009067      contains 0000A067\n"
        "        pfn 9 --DA--UWV    pfn a --DA--UWV\n");
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(run_command(&s, "!pte 0x402000", &rc),
                                  "not valid"));
    CU_ASSERT_PTR_NOT_NULL(strstr(run_command(&s, "!pte 80123000", &rc), "LARGE PAGE pfn 123"));
    /* The page directory maps itself: its PDE and PTE at the self-map are the same entry. */
    CU_ASSERT_PTR_NOT_NULL(strstr(run_command(&s, "!pte C0300000", &rc),
                                  "contains 00008063      contains 00008063"));
    /* No page table: the PDE alone. */
    CU_ASSERT_STRING_EQUAL(run_command(&s, "!pte 10000000", &rc),
        "10000000  - PDE at C0300100        PTE at C0040000\n"
        "          contains 00000000\n"
        "        not valid (zero)\n");
}

static void pfn_as_windbg_prints_it(void)
{
    int rc;
    layout();
    put(0x1340, 0x3000);                           /* MmPfnDatabase: entries from 0x3000 */
    uint32_t e = 0x3000 + 0xA * PV_LAYOUT_MMPFN_SIZE;
    put(e + PV_LAYOUT_MMPFN_U1, 5);                /* WsIndex */
    put(e + PV_LAYOUT_MMPFN_PTE_ADDRESS, 0xC0001004);
    put(e + PV_LAYOUT_MMPFN_U2, 1);                /* ShareCount */
    uint16_t refs = 1, flags = PV_MMPFN_MODIFIED | (6u << 8) | (3u << 4);   /* Active, color 3 */
    memcpy(ram + e + PV_LAYOUT_MMPFN_REFCOUNT, &refs, 2);
    memcpy(ram + e + PV_LAYOUT_MMPFN_FLAGS, &flags, 2);
    put(e + PV_LAYOUT_MMPFN_ORIGINAL_PTE, 0x80);
    put(e + PV_LAYOUT_MMPFN_U4, 9);                /* its page table */
    CU_ASSERT_STRING_EQUAL(run_command(&src, "!pfn a", &rc),
        "    PFN 0000000A at address 000030F0\n"
        "    flink       00000005  blink / share count 00000001  pteaddress C0001004\n"
        "    reference count 0001                                 color 3\n"
        "    restore pte 00000080  containing page        000009  Active     M\n"
        "    Modified\n");
    CU_ASSERT_STRING_EQUAL(run_command(&src, "!pfn 1000", &rc),
                           "error: pfn 1000 is above the highest page, fff");
    CU_ASSERT_EQUAL(rc, -1);
}

/* A VAD at addr: children, VPN range, flags (commit, type, protection, private). */
static void vad(uint32_t addr, uint32_t left, uint32_t right, uint32_t start, uint32_t end,
                uint32_t commit, uint32_t type, uint32_t protection, uint32_t private_memory)
{
    put(addr + PV_LAYOUT_MMVAD_LEFT, left);
    put(addr + PV_LAYOUT_MMVAD_RIGHT, right);
    put(addr + PV_LAYOUT_MMVAD_START_VPN, start);
    put(addr + PV_LAYOUT_MMVAD_END_VPN, end);
    put(addr + PV_LAYOUT_MMVAD_FLAGS,
        commit | type << 20 | protection << 24 | private_memory << 31);
}

static void vad_tree_in_order(void)
{
    int rc;
    layout();
    process(0x2000, 8, 4, 0x00008000, "spin", 0, 0x1300);
    put(0x2000 + PV_LAYOUT_EPROCESS_VAD_ROOT, 0x5040);
    vad(0x5000, 0, 0, 0x400, 0x402, 3, 2, 7, 0);            /* the image: Mapped Exe */
    vad(0x5040, 0x5000, 0x5080, 0x77f60, 0x77f62, 3, 2, 7, 0);
    vad(0x5080, 0x50C0, 0, 0x7fee0, 0x7ffdf, 2, 0, 4, 1);   /* the stack: Private */
    vad(0x50C0, 0, 0, 0x10000, 0x1000f, 0, 0, 0x11, 0);     /* a view, READONLY GUARD */
    struct mm_inspect_src s = src;
    s.cr3 = 0x8000;   /* spin's page directory: !vad with no address finds spin */
    CU_ASSERT_STRING_EQUAL(run_command(&s, "!vad", &rc),
        "VAD     level      start      end    commit\n"
        "00005000 ( 1)        400      402         3 Mapped  Exe  EXECUTE_WRITECOPY\n"
        "00005040 ( 0)      77f60    77f62         3 Mapped  Exe  EXECUTE_WRITECOPY\n"
        "000050c0 ( 2)      10000    1000f         0 Mapped       READONLY GUARD\n"
        "00005080 ( 1)      7fee0    7ffdf         2 Private      READWRITE\n"
        "\n"
        "Total VADs:     4  average level:    2  maximum depth: 2\n");
    CU_ASSERT_EQUAL(rc, 0);
    /* By address, whatever runs. */
    s.cr3 = 0x9000;
    CU_ASSERT_STRING_EQUAL(run_command(&s, "!vad", &rc),
                           "error: no process runs on cr3 00009000 (give one: !vad EPROCESS)");
    CU_ASSERT_PTR_NOT_NULL(strstr(run_command(&s, "!vad 2000", &rc), "Total VADs:     4"));
    /* A child pointing back up: the walk ends with a message, not a loop. */
    put(0x5000 + PV_LAYOUT_MMVAD_LEFT, 0x5040);
    CU_ASSERT_PTR_NOT_NULL(strstr(run_command(&s, "!vad 2000", &rc), "it is broken"));
    CU_ASSERT_EQUAL(rc, -1);
}

/* A working-set list at 0x7000: three entries in FIFO order 2 -> 0 -> 1 (a page table in the
 * middle). */
static void working_set(uint32_t ep)
{
    put(ep + PV_LAYOUT_EPROCESS_WSL, 0x7000);
    put(ep + PV_LAYOUT_EPROCESS_WS_MIN, 20);
    put(ep + PV_LAYOUT_EPROCESS_WS_MAX, 345);
    put(ep + PV_LAYOUT_EPROCESS_WS_PEAK, 4);
    put(ep + PV_LAYOUT_EPROCESS_FAULTS, 47);
    put(ep + PV_LAYOUT_EPROCESS_PRIVATE_PAGES, 2);
    put(ep + PV_LAYOUT_EPROCESS_COMMIT, 8);
    put(ep + PV_LAYOUT_EPROCESS_VAD_ROOT, 0x5040);
    put(ep + PV_LAYOUT_EPROCESS_VAD_COUNT, 4);
    uint32_t h[6] = { PV_WSLE_NONE, 3, 16, 2, 1, 3 };
    memcpy(ram + 0x7000, h, sizeof(h));
    uint32_t e[3][3] = { { 0xC0001000 | PV_WSLE_VALID | PV_WSLE_PAGE_TABLE, 1, 2 },
                         { 0x00401000 | PV_WSLE_VALID, PV_WSLE_NONE, 0 },
                         { 0x00400000 | PV_WSLE_VALID, 0, PV_WSLE_NONE } };
    memcpy(ram + 0x7000 + PV_LAYOUT_MMWSL_WSLE, e, sizeof(e));
}

static void working_set_oldest_first(void)
{
    int rc;
    layout();
    process(0x2000, 8, 4, 0x00008000, "spin", 0, 0x1300);
    working_set(0x2000);
    struct mm_inspect_src s = src;
    s.cr3 = 0x8000;
    CU_ASSERT_STRING_EQUAL(run_command(&s, "!ws", &rc),
        "Working Set @ 00007000 (process 8, spin)\n"
        "    FirstFree ffffffff  LastInitialized        3  Capacity       10\n"
        "    Oldest           2  Newest                 1  Count           3\n"
        "    index  address   (oldest first)\n"
        "        2  00400000\n"
        "        0  c0001000  page table\n"
        "        1  00401000\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(run_command(&s, "!process 0 1", &rc),
        "    Image: spin\n"
        "    VadRoot 00005040 Vads 4 Private 2.\n"
        "    Working Set Sizes (now,min,max)  (3, 20, 345) (12KB, 80KB, 1380KB)\n"
        "    PeakWorkingSetSize               4\n"
        "    PageFaultCount                  47\n"
        "    CommitCharge                     8\n"));
    /* A list that says more than it holds, or loops: said, not followed forever. */
    put(0x7000 + PV_LAYOUT_MMWSL_COUNT, 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(run_command(&s, "!ws 2000", &rc),
                                  "the list holds 3 entries, Count says 5"));
    put(0x7000 + PV_LAYOUT_MMWSL_WSLE + 1 * PV_LAYOUT_MMWSLE_SIZE + PV_LAYOUT_MMWSLE_FLINK, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(run_command(&s, "!ws 2000", &rc), "the list is broken"));
    CU_ASSERT_EQUAL(rc, -1);
}

static void commands_are_checked(void)
{
    char why[256];
    static const char *const good[] = { "!vm", "!vm 1", "!memusage", "!process 0 0",
                                        "!process", "!pte 401000", "!pte 0xC0300000",
                                        "!pfn 1a3", " !pfn 0 ", "!vad", "!vad 80190300",
                                        "!process 0 1", "!ws", "!ws 80190300" };
    static const char *const bad[] = { "!pte", "!pte xyz", "!pte 1FFFFFFFF", "!pfn -1", "!vadx",
                                       "vm", "!vm 2", "!pfn 1 2", "", "!vad x", "!ws x",
                                       "!process 0 2" };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CU_ASSERT_TRUE(mm_inspect_command_valid(good[i], why, sizeof(why)));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_FALSE(mm_inspect_command_valid(bad[i], why, sizeof(why)));
    mm_inspect_command_valid("!wsle 1", why, sizeof(why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "unknown command '!wsle 1'"));
}

static void every_number_from_its_variable(void)
{
    struct mm_state st;
    char why[256];
    layout();
    CU_ASSERT_EQUAL_FATAL(mm_inspect_read(&src, &st, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(st.highest_page, 4095);
    CU_ASSERT_EQUAL(st.available, 3640);
    CU_ASSERT_EQUAL(st.committed, 8);
    CU_ASSERT_EQUAL(st.commit_limit, 19809);
    CU_ASSERT_EQUAL(st.list_total[0], 3600);
    CU_ASSERT_EQUAL(st.list_total[3], 12);
    CU_ASSERT_EQUAL(st.list_total[4], 1);
    CU_ASSERT_EQUAL(st.pagefile_slots, 16384);
    CU_ASSERT_EQUAL(st.pagefile_free, 16000);
    CU_ASSERT_EQUAL(st.pagefile_in_use, 383);
}

static void printed_as_windbg_prints_it(void)
{
    struct mm_state st;
    char why[256], text[2048];
    layout();
    CU_ASSERT_EQUAL_FATAL(mm_inspect_read(&src, &st, why, sizeof(why)), 0);
    FILE *f = fmemopen(text, sizeof(text), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    mm_inspect_print_vm(f, &st);
    mm_inspect_print_memusage(f, &st);
    fclose(f);
    static const char *const lines[] = {
        "\n*** Virtual Memory Usage ***\n",
        "\n      Physical Memory:      4096   (   16384 Kb)\n",
        "\n         Current:     65532Kb Free Space:     64000Kb\n",
        "\n      Available Pages:      3640   (   14560 Kb)\n",
        "\n       Modified Pages:        12   (      48 Kb)\n",
        "\n      Committed pages:         8   (      32 Kb)\n",
        "\n         Commit limit:     19809   (   79236 Kb)\n",
        "\n             Zeroed:     3600 (   14400 kb)\n",
        "\n    ModifiedNoWrite:        1 (       4 kb)\n",
        "\n       Active/Valid:      443 (    1772 kb)\n",   /* 4096 less the 3653 on lists */
        "\n              TOTAL:     4096 (   16384 kb)\n",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        if (!strstr(text, lines[i])) {
            fprintf(stderr, "missing line %s in:\n%s\n", lines[i], text);
            CU_FAIL("a line of !vm or !memusage is not as WinDbg prints it");
        }
}

static void what_cannot_be_read_is_said(void)
{
    struct mm_state st;
    char why[256];
    layout();
    struct symbol few[] = { { 0x1000, 4, PV_SYM_HIGHEST_PAGE } };
    struct symbol_file bare = { .objs = few, .nobjs = 1 };
    struct mm_inspect_src s = src;
    s.kernel = &bare;
    CU_ASSERT_EQUAL(mm_inspect_read(&s, &st, why, sizeof(why)), -1);
    CU_ASSERT_STRING_EQUAL(why, "the kernel has no symbol " PV_SYM_AVAILABLE_PAGES);

    struct symbol outside[sizeof(objs) / sizeof(objs[0])];
    memcpy(outside, objs, sizeof(objs));
    outside[1].addr = RAM + 0x1000;   /* beyond guest RAM */
    struct symbol_file far = { .objs = outside, .nobjs = sizeof(objs) / sizeof(objs[0]) };
    s.kernel = &far;
    CU_ASSERT_EQUAL(mm_inspect_read(&s, &st, why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "is not mapped"));

    outside[1].addr = 0x1040;
    outside[1].size = 2;              /* too small for a ULONG */
    CU_ASSERT_EQUAL(mm_inspect_read(&s, &st, why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "too small"));
}

/* The built kernel has every variable the host reads, each large enough for what is read. */
static void the_kernel_has_what_the_host_reads(void)
{
    struct symbol_file k;
    char why[256];
    uint32_t addr, size;
    CU_ASSERT_EQUAL_FATAL(symbol_file_load(&k, "build/guest/kernel.elf", why, sizeof(why)), 0);
    static const char *const ulongs[] = { PV_SYM_HIGHEST_PAGE, PV_SYM_AVAILABLE_PAGES,
                                          PV_SYM_COMMITTED_PAGES, PV_SYM_COMMIT_LIMIT };
    for (size_t i = 0; i < 4; i++) {
        CU_ASSERT_TRUE(symbol_file_object(&k, ulongs[i], &addr, &size) && size == 4);
        CU_ASSERT_TRUE(addr >= 0x80000000u);
    }
#define LIST(sym, label) \
    CU_ASSERT_TRUE(symbol_file_object(&k, sym, &addr, &size) && size >= 16);
    PV_SYM_PAGE_LISTS(LIST)
#undef LIST
    CU_ASSERT_TRUE(symbol_file_object(&k, PV_SYM_PAGING_FILE, &addr, &size) &&
                   size >= PV_LAYOUT_PAGING_FILE_IN_USE + 4);
    CU_ASSERT_TRUE(symbol_file_object(&k, PV_SYM_ACTIVE_PROCESS_HEAD, &addr, &size) &&
                   size == 8);
    CU_ASSERT_TRUE(symbol_file_object(&k, PV_SYM_PFN_DATABASE, &addr, &size) && size == 4);
    CU_ASSERT_FALSE(symbol_file_object(&k, "NoSuchVariable", &addr, &size));
    symbol_file_free(&k);
}

static const struct unit_test tests[] = {
    UNIT_TEST(every_number_from_its_variable),
    UNIT_TEST(printed_as_windbg_prints_it),
    UNIT_TEST(what_cannot_be_read_is_said),
    UNIT_TEST(processes_as_process_0_0_prints_them),
    UNIT_TEST(pte_as_windbg_prints_it),
    UNIT_TEST(pfn_as_windbg_prints_it),
    UNIT_TEST(vad_tree_in_order),
    UNIT_TEST(working_set_oldest_first),
    UNIT_TEST(commands_are_checked),
    UNIT_TEST(the_kernel_has_what_the_host_reads),
};
UNIT_MAIN("mm_inspect", tests)
