/*
 * clock.c - the clock: the 8254 PIT's channel 0 programmed for KI_CLOCK_HZ interrupts on IRQ0
 * (vector 0x20). Each tick counts KeTickCount, ends timed waits whose time has come, and
 * charges the running thread a tick of its quantum; a thread whose quantum is spent, with
 * another of its priority ready, gives way (ke/dispatch.c) when the interrupt returns to ring
 * 3 or to the idle loop. Under pagevisor the 8259s are KVM's in-kernel devices and the PIT is
 * pagevisor's own (vmm/pit.c); under QEMU both are QEMU's.
 *
 * The clock runs only while it has work: another thread is ready beside the running one (its
 * quantum must be counted), or a thread waits with a timeout. It stops as soon as it has none
 * (at a tick, or when a switch leaves nothing ready): a lone process takes no clock
 * interrupts, hence no VM exits and no interrupt injections for them. KeTickCount counts the
 * ticks the clock made.
 */
#include "ke.h"
#include "intrin.h"

#define PIT_CHANNEL0   0x40
#define PIT_COMMAND    0x43
#define PIT_INPUT_HZ   1193182u
#define PIT_RATE_GENERATOR_LOHI 0x34   /* channel 0, lobyte/hibyte, mode 2, binary */
#define PIT_ONE_SHOT_LOHI       0x30   /* channel 0, lobyte/hibyte, mode 0, binary */

static BOOLEAN KiClockRunning;
ULONG KiClockStarts;

static VOID KiProgramPit(UCHAR Mode, ULONG Count)
{
    __outbyte(PIT_COMMAND, Mode);
    __outbyte(PIT_CHANNEL0, (UCHAR)(Count & 0xFF));
    __outbyte(PIT_CHANNEL0, (UCHAR)(Count >> 8));
}

static BOOLEAN KiClockHasWork(VOID)
{
    return KiReadyQueues.Summary != 0 || KiThreadsWaitingWithTimeout() != 0;
}

VOID KiStartClockIfNeeded(VOID)
{
    if (KiClockRunning || !KiClockHasWork())
        return;
    KiClockRunning = TRUE;
    KiClockStarts++;
    KiProgramPit(PIT_RATE_GENERATOR_LOHI, (PIT_INPUT_HZ + KI_CLOCK_HZ / 2) / KI_CLOCK_HZ);
    HalEnableInterrupt(0);
}

/* A mode command with no count stops channel 0 until a count is loaded: no late tick. */
static VOID KiStopClock(VOID)
{
    HalDisableInterrupt(0);
    __outbyte(PIT_COMMAND, PIT_ONE_SHOT_LOHI);
    KiClockRunning = FALSE;
}

VOID KiStopClockIfIdle(VOID)
{
    if (KiClockRunning && !KiClockHasWork())
        KiStopClock();
}

VOID KiInitializeClock(VOID)
{
    KiStopClock();
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
    KiStopClockIfIdle();
    KeLowerIrql(OldIrql);

    /* Only ring 3 and the idle loop take interrupts; both are at PASSIVE_LEVEL. */
    if (KiDispatchPending && OldIrql < DISPATCH_LEVEL &&
        (KiUserTrap(TrapFrame) || Thread == &KiIdleThread))
        KiDispatchInterrupt();
}
