/*
 * gdt.c - the global descriptor table (flat kernel and user segments with NT's selectors),
 * the task-state segment that gives ring 3 its kernel stack (ESP0), and the double-fault TSS.
 */
#include "ke.h"
#include "intrin.h"
#include "mm.h"

typedef ULONGLONG KGDTENTRY;

static KGDTENTRY KiGdt[KGDT_ENTRIES] __attribute__((aligned(8)));
KTSS KiTss __attribute__((aligned(128)));
static KTSS KiDoubleFaultTss __attribute__((aligned(128)));

extern UCHAR KiBootPageDirectory[];
extern VOID KiTrap08Task(VOID);

/* A code/data descriptor: base 0, limit 4 GiB, 32-bit, page granular. */
static KGDTENTRY KiMakeFlatDescriptor(ULONG Access)
{
    return 0x00CF00000000FFFFull | ((KGDTENTRY)Access << 40);
}

/* An available 32-bit TSS descriptor. */
static KGDTENTRY KiMakeTssDescriptor(PKTSS Tss)
{
    ULONG Base = (ULONG)(ULONG_PTR)Tss;
    ULONG Limit = sizeof(KTSS) - 1;
    return (KGDTENTRY)(Limit & 0xFFFF) |
           ((KGDTENTRY)(Base & 0xFFFFFF) << 16) |
           ((KGDTENTRY)0x89 << 40) |
           ((KGDTENTRY)((Limit >> 16) & 0xF) << 48) |
           ((KGDTENTRY)(Base >> 24) << 56);
}

VOID KiSetKernelStack(ULONG Esp0)
{
    KiTss.Esp0 = Esp0;
}

VOID KiInitializeGdt(VOID)
{
    struct __attribute__((packed)) { USHORT Limit; ULONG Base; } Gdtr;

    KiGdt[KGDT_R0_CODE / 8] = KiMakeFlatDescriptor(0x9A);   /* present, ring 0, code */
    KiGdt[KGDT_R0_DATA / 8] = KiMakeFlatDescriptor(0x92);   /* present, ring 0, data */
    KiGdt[KGDT_R3_CODE / 8] = KiMakeFlatDescriptor(0xFA);   /* present, ring 3, code */
    KiGdt[KGDT_R3_DATA / 8] = KiMakeFlatDescriptor(0xF2);   /* present, ring 3, data */
    KiGdt[KGDT_TSS / 8] = KiMakeTssDescriptor(&KiTss);
    KiGdt[KGDT_DF_TSS / 8] = KiMakeTssDescriptor(&KiDoubleFaultTss);

    /* Ring 3 -> ring 0 transitions land on the running thread's kernel stack (the dispatcher
     * sets Esp0 at every switch). No I/O permission bitmap. */
    KiTss.Ss0 = KGDT_R0_DATA;
    KiTss.Esp0 = (ULONG)(ULONG_PTR)KiBootStackTop;
    KiTss.IoMapBase = sizeof(KTSS);

    /* The double-fault task runs on its own stack in the boot address space. */
    KiDoubleFaultTss.Esp0 = KiDoubleFaultTss.Esp = (ULONG)(ULONG_PTR)KiDoubleFaultStackTop;
    KiDoubleFaultTss.Ss0 = KiDoubleFaultTss.Ss = KGDT_R0_DATA;
    KiDoubleFaultTss.Ds = KiDoubleFaultTss.Es = KGDT_R0_DATA;
    KiDoubleFaultTss.Fs = KiDoubleFaultTss.Gs = KGDT_R0_DATA;
    KiDoubleFaultTss.Cs = KGDT_R0_CODE;
    KiDoubleFaultTss.Eip = (ULONG)(ULONG_PTR)KiTrap08Task;
    KiDoubleFaultTss.EFlags = EFLAGS_RESERVED_1;
    KiDoubleFaultTss.CR3 = KI_IMAGE_TO_PHYSICAL(KiBootPageDirectory);
    KiDoubleFaultTss.IoMapBase = sizeof(KTSS);

    Gdtr.Limit = sizeof(KiGdt) - 1;
    Gdtr.Base = (ULONG)(ULONG_PTR)KiGdt;
    __asm__ volatile(
        "lgdt %0\n\t"
        "ljmp %1, $1f\n"
        "1:\n\t"
        "movl %2, %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%ss\n\t"
        "movl %%eax, %%fs\n\t"
        "movl %%eax, %%gs\n\t"
        "movw %3, %%ax\n\t"
        "ltr %%ax"
        :
        : "m"(Gdtr), "i"(KGDT_R0_CODE), "i"(KGDT_R0_DATA), "i"(KGDT_TSS)
        : "eax", "memory");
}
