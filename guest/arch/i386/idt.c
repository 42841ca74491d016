/*
 * idt.c - the interrupt descriptor table: interrupt gates for every exception and the 8259
 * vectors (0x20-0x2F), a task gate for the double fault, and the system-service gate int 0x2E
 * (and #BP/#OF) with DPL 3 so ring 3 may use them.
 */
#include "ke.h"

typedef ULONGLONG KIDTENTRY;

static KIDTENTRY KiIdt[256] __attribute__((aligned(8)));
extern const ULONG KiTrapStubTable[KI_STUB_VECTORS];

static KIDTENTRY KiMakeInterruptGate(ULONG Handler, ULONG Dpl)
{
    return (KIDTENTRY)(Handler & 0xFFFF) |
           ((KIDTENTRY)KGDT_R0_CODE << 16) |
           ((KIDTENTRY)(0x8E | (Dpl << 5)) << 40) |
           ((KIDTENTRY)(Handler >> 16) << 48);
}

static KIDTENTRY KiMakeTaskGate(ULONG TssSelector)
{
    return ((KIDTENTRY)TssSelector << 16) | ((KIDTENTRY)0x85 << 40);
}

VOID KiInitializeIdt(VOID)
{
    struct __attribute__((packed)) { USHORT Limit; ULONG Base; } Idtr;
    ULONG Vector;

    for (Vector = 0; Vector < KI_STUB_VECTORS; Vector++)
    {
        ULONG Dpl = (Vector == 3 || Vector == 4 || Vector == KI_SYSTEM_SERVICE_VECTOR) ? 3 : 0;
        KiIdt[Vector] = KiMakeInterruptGate(KiTrapStubTable[Vector], Dpl);
    }
    KiIdt[8] = KiMakeTaskGate(KGDT_DF_TSS);

    Idtr.Limit = sizeof(KiIdt) - 1;
    Idtr.Base = (ULONG)(ULONG_PTR)KiIdt;
    __asm__ volatile("lidt %0" : : "m"(Idtr) : "memory");
}
