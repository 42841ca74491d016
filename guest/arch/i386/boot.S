/*
 * boot.S - Multiboot entry: runs with paging off at the physical address, builds the boot page
 * directory (temporary identity map, kernel image with 4 KiB global PTEs at KSEG0_BASE: PDE
 * 0x200, or 0x302 in the /3GB kernel; self-map PDE 0x300, hyperspace PDE 0x301), turns on CR4.PSE|PGE, CR4.OSFXSR|OSXMMEXCPT (SSE
 * for user code, its state kept per thread with FXSAVE: ke/dispatch.c) and CR0.PG|WP, jumps to the kernel's virtual
 * address and calls KiSystemStartup(magic, mbi). Also holds the boot page tables and stacks.
 */
#ifdef PV_KERNEL_3GB
#define KSEG0_BASE      0xC0800000          /* the /3GB kernel: above hyperspace (nt_layout.h) */
#else
#define KSEG0_BASE      0x80000000
#endif
#define KSEG0_PDE       ((KSEG0_BASE >> 22) * 4)   /* offset of the kernel's PDE */
#define V2P(x)          ((x) - KSEG0_BASE)
#define MB_MAGIC        0x1BADB002
#define MB_FLAGS        0x00000003          /* PAGE_ALIGN | MEMORY_INFO, no a.out kludge */
#define PDE_LARGE_RW    0x00000083          /* V|W|PS: 4 MiB page (temporary identity map) */
#define PDE_KERNEL      0x00000063          /* V|W|A|D */
#define PTE_KERNEL_G    0x00000163          /* V|W|A|D|G */
#define CR4_PSE_PGE_SSE 0x00000690          /* PSE|PGE|OSFXSR|OSXMMEXCPT */
#define CR0_PG_WP_NE    0x80010020

    .section .multiboot, "a"
    .align 4
KiMultibootHeader:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text.boot, "ax"
    .globl KiSystemEntry
KiSystemEntry:
    cli
    cld
    movl %eax, %esi                         /* Multiboot magic */
    movl %ebx, %ebp                         /* physical address of the Multiboot info */

    /* Zero .bss (page tables and stacks live there). */
    xorl %eax, %eax
    movl $V2P(__BssStart), %edi
    movl $__BssEnd, %ecx
    subl $__BssStart, %ecx
    rep stosb

    /* Boot page directory. */
    movl $V2P(KiBootPageDirectory), %edx
    movl $PDE_LARGE_RW, 0x000(%edx)
    movl $V2P(KiBootKernelPageTable) + PDE_KERNEL, KSEG0_PDE(%edx)
    movl $V2P(KiBootPageDirectory) + PDE_KERNEL, 0xC00(%edx)
    movl $V2P(KiBootHyperSpacePageTable) + PDE_KERNEL, 0xC04(%edx)

    /* Kernel image: one global PTE per 4 KiB page, [__KernelStart, __KernelEnd). */
    movl $V2P(__KernelStart), %eax
1:  movl %eax, %ecx
    shrl $12, %ecx
    andl $0x3FF, %ecx
    movl %eax, %ebx
    orl $PTE_KERNEL_G, %ebx
    movl %ebx, V2P(KiBootKernelPageTable)(,%ecx,4)
    addl $0x1000, %eax
    cmpl $V2P(__KernelEnd), %eax
    jb 1b

    /* Paging on. */
    movl %cr4, %eax
    orl $CR4_PSE_PGE_SSE, %eax
    movl %eax, %cr4
    movl %edx, %cr3
    movl %cr0, %eax
    orl $CR0_PG_WP_NE, %eax
    movl %eax, %cr0
    movl $KiSystemEntryHigh, %eax
    jmp *%eax

KiSystemEntryHigh:
    movl $KiBootStackTop, %esp
    pushl %ebp
    pushl %esi
    xorl %ebp, %ebp
    call KiSystemStartup
2:  cli
    hlt
    jmp 2b

/* Page tables and stacks. Guard pages are unmapped by MmInitSystem. */
    .section .bss.pagealigned, "aw", @nobits
    .align 4096
    .globl KiBootPageDirectory, KiBootKernelPageTable, KiBootHyperSpacePageTable
KiBootPageDirectory:        .skip 4096
KiBootKernelPageTable:      .skip 4096
KiBootHyperSpacePageTable:  .skip 4096
    .globl KiBootStackGuard, KiBootStackTop
KiBootStackGuard:           .skip 4096
                            .skip 16384
KiBootStackTop:
    .globl KiDoubleFaultStackTop
                            .skip 4096
KiDoubleFaultStackTop:

    .section .note.GNU-stack, "", @progbits
