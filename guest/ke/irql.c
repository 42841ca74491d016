/*
 * irql.c - the current IRQL and KeRaiseIrql/KeLowerIrql. One processor and no interrupt
 * delivered to the kernel yet, so the level is a variable that the code raising it and the
 * page-fault path (which must not resolve faults at DISPATCH_LEVEL or above) agree on.
 * Raising to a lower level is bug check 0x09 IRQL_NOT_GREATER_OR_EQUAL, lowering to a higher
 * one 0x0A IRQL_NOT_LESS_OR_EQUAL, as NT's checked build does.
 */
#include "ke.h"

static volatile KIRQL KiCurrentIrql = PASSIVE_LEVEL;

KIRQL KeGetCurrentIrql(VOID)
{
    return KiCurrentIrql;
}

VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    KIRQL Current = KiCurrentIrql;

    if (NewIrql < Current)
        KeBugCheckEx(IRQL_NOT_GREATER_OR_EQUAL, Current, NewIrql, 0, 0);
    *OldIrql = Current;
    KiCurrentIrql = NewIrql;
}

VOID KeLowerIrql(KIRQL NewIrql)
{
    KIRQL Current = KiCurrentIrql;

    if (NewIrql > Current)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, Current, NewIrql, 0, 0);
    KiCurrentIrql = NewIrql;
}
