/*
 * intrin.h - i386 instructions the kernel needs, as inline functions with the names NT code
 * uses for them (__outbyte, __readcr3, __invlpg, ...).
 */
#ifndef PV_INTRIN_H
#define PV_INTRIN_H

#include "ntdef.h"

FORCEINLINE VOID __outbyte(USHORT Port, UCHAR Value)
{
    __asm__ volatile("outb %0, %1" : : "a"(Value), "Nd"(Port) : "memory");
}

FORCEINLINE UCHAR __inbyte(USHORT Port)
{
    UCHAR Value;
    __asm__ volatile("inb %1, %0" : "=a"(Value) : "Nd"(Port) : "memory");
    return Value;
}

FORCEINLINE VOID __outdword(USHORT Port, ULONG Value)
{
    __asm__ volatile("outl %0, %1" : : "a"(Value), "Nd"(Port) : "memory");
}

FORCEINLINE ULONG __indword(USHORT Port)
{
    ULONG Value;
    __asm__ volatile("inl %1, %0" : "=a"(Value) : "Nd"(Port) : "memory");
    return Value;
}

#define PV_DEFINE_CR(n) \
    FORCEINLINE ULONG __readcr##n(VOID) \
    { ULONG Value; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(Value)); return Value; } \
    FORCEINLINE VOID __writecr##n(ULONG Value) \
    { __asm__ volatile("mov %0, %%cr" #n : : "r"(Value) : "memory"); }
PV_DEFINE_CR(0)
PV_DEFINE_CR(2)
PV_DEFINE_CR(3)
PV_DEFINE_CR(4)
#undef PV_DEFINE_CR

FORCEINLINE VOID __invlpg(PCVOID Address)
{
    __asm__ volatile("invlpg (%0)" : : "r"(Address) : "memory");
}

FORCEINLINE VOID _disable(VOID) { __asm__ volatile("cli" : : : "memory"); }
FORCEINLINE VOID __halt(VOID) { __asm__ volatile("hlt" : : : "memory"); }

FORCEINLINE ULONGLONG __rdtsc(VOID)
{
    ULONG Low, High;
    __asm__ volatile("rdtsc" : "=a"(Low), "=d"(High));
    return ((ULONGLONG)High << 32) | Low;
}

FORCEINLINE ULONG __readeflags(VOID)
{
    ULONG Value;
    __asm__ volatile("pushfl; popl %0" : "=r"(Value));
    return Value;
}

/* Flush every non-global TB entry of the current address space (NT's KeFlushProcessTb on a
 * uniprocessor): reload CR3. Global (system) entries survive. */
FORCEINLINE VOID KeFlushCurrentTb(VOID)
{
    __writecr3(__readcr3());
}

#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x00000010u
#define CR4_PGE 0x00000080u

#define EFLAGS_IF    0x00000200u
#define EFLAGS_RESERVED_1 0x00000002u

#endif /* PV_INTRIN_H */
