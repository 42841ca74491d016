/*
 * tokyo.h - what tokyo-vm, its code blob and the two launchers agree on: where the code runs
 * and where its stack is (both only reserved by tokyo-vm: every page comes from a fault), and
 * the services the blob is handed (it has no import table of its own).
 */
#ifndef TOKYO_H
#define TOKYO_H

#define TOKYO_PAGE_SIZE   0x1000u
#define TOKYO_CODE_BASE   0x00800000u   /* the blob is linked here (code.ld) */
#define TOKYO_CODE_SIZE   0x00010000u
#define TOKYO_STACK_BASE  0x00900000u
#define TOKYO_STACK_SIZE  0x00010000u

typedef struct _TOKYO_SERVICES
{
    NTSTATUS (NTAPI *DisplayString)(const char *Text, ULONG Length);
} TOKYO_SERVICES;

/* The blob's entry, at TOKYO_CODE_BASE: cdecl void TokyoMain(const TOKYO_SERVICES *, ULONG). */
typedef void (*TOKYO_ENTRY)(const TOKYO_SERVICES *Services, ULONG Argument);

#endif /* TOKYO_H */
