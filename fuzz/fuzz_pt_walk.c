/*
 * fuzz_pt_walk.c - libFuzzer target: the host's walker of guest page tables (vmm/pt_walk.c)
 * over page tables the input writes into a fake guest RAM bounded by guard pages: a walk of one
 * address, then a read of up to 64 KiB at any virtual address, paging on or off, CR4.PSE set
 * or not. A read never returns more than asked, never goes past the top of the 32-bit address
 * space, and a walk that succeeds names a PDE (and PTE) inside RAM.
 *
 * Input: flags (paging, PSE), CR3, the address to walk, the address and length to read; the
 * rest is guest RAM from address 0.
 */
#include <stdlib.h>

#include "fuzz_ram.h"
#include "pt_walk.h"

#define RAM      (64u << 10)
#define READ_MAX (64u << 10)

static struct guest_mem mem;
static uint8_t buf[READ_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ram_init(&mem, RAM);
    struct fuzz_input in = { data, size };
    uint32_t flags = fuzz_take(&in, 1);
    uint32_t cr3 = fuzz_take(&in, 4), walk_va = fuzz_take(&in, 4);
    uint32_t va = fuzz_take(&in, 4), len = fuzz_take(&in, 4) % (READ_MAX + 1);
    bool paging = flags & 1, pse = flags & 2;
    if (flags & 4)   /* mostly a directory inside RAM */
        cr3 %= RAM;
    fuzz_ram_fill(&mem, &in);

    struct pt_walk w;
    enum pt_walk_result r = pt_walk(&mem, cr3, pse, walk_va, &w);
    if (pt_walk_result_name(r)[0] == '?')
        abort();
    if (r == PT_WALK_OK && (!gpa_range_ok(&mem, w.pde_gpa, 4) ||
                            (!w.large && !gpa_range_ok(&mem, w.pte_gpa, 4))))
        abort();
    size_t done = pt_read_virt(&mem, paging, cr3, pse, va, buf, len);
    if (done > len || (uint64_t)va + done > (1ull << 32))
        abort();
    /* Paging off, the bytes read are RAM's at va. */
    if (!paging && done && memcmp(buf, mem.base + va, done) != 0)
        abort();
    return 0;
}
