/*
 * clock.c - the clock: the 8254 PIT's channel 0 programmed for KI_CLOCK_HZ interrupts on IRQ0
 * (vector 0x20). Each tick counts KeTickCount, ends timed waits whose time has come, and
 * charges the running thread a tick of its quantum; a thread whose quantum is spent, with
 * another of its priority ready, gives way (ke/dispatch.c) when the interrupt returns to ring
 * 3 or to the idle loop. Under pagevisor the PIT and the 8259s are KVM's in-kernel devices.
 */
#include "ke.h"
#include "intrin.h"

#define PIT_CHANNEL0   0x40
#define PIT_COMMAND    0x43
#define PIT_INPUT_HZ   1193182u
#define PIT_RATE_GENERATOR_LOHI 0x34   /* channel 0, lobyte/hibyte, mode 2, binary */

VOID KiInitializeClock(VOID)
{
    ULONG Divisor = (PIT_INPUT_HZ + KI_CLOCK_HZ / 2) / KI_CLOCK_HZ;

    __outbyte(PIT_COMMAND, PIT_RATE_GENERATOR_LOHI);
    __outbyte(PIT_CHANNEL0, (UCHAR)(Divisor & 0xFF));
    __outbyte(PIT_CHANNEL0, (UCHAR)(Divisor >> 8));
    HalEnableInterrupt(0);
}

VOID KiClockInterrupt(PKTRAP_FRAME TrapFrame)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KIRQL OldIrql;

    KeRaiseIrql(CLOCK_LEVEL, &OldIrql);
    KeTickCount++;
    KiExpireTimers();
    if (Thread != &KiIdleThread && Thread->Quantum > 0 && --Thread->Quantum == 0 &&
        KiHighestReadyPriority(&KiReadyQueues) >= Thread->Priority &&
        KiReadyQueues.Summary != 0)
        KiDispatchPending = TRUE;
    HalEndOfInterrupt(0);
    KeLowerIrql(OldIrql);

    /* Only ring 3 and the idle loop take interrupts; both are at PASSIVE_LEVEL. */
    if (KiDispatchPending && OldIrql < DISPATCH_LEVEL &&
        (KiUserTrap(TrapFrame) || Thread == &KiIdleThread))
        KiDispatchInterrupt();
}
