/*
 * pic.c - the two 8259 interrupt controllers: remapped to vectors 0x20-0x2F, every line masked
 * but the ones a driver enables (the clock's IRQ0, ke/clock.c); end of interrupt; spurious
 * IRQ7/IRQ15 told apart from real ones by the in-service register.
 */
#include "ke.h"
#include "intrin.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA    0x21
#define PIC2_COMMAND 0xA0
#define PIC2_DATA    0xA1
#define PIC_EOI      0x20
#define PIC_READ_ISR 0x0B

static USHORT HalpInterruptMask = 0xFFFF;   /* bit n set: IRQn masked */

static VOID HalpWriteMask(VOID)
{
    __outbyte(PIC1_DATA, (UCHAR)(HalpInterruptMask & 0xFF));
    __outbyte(PIC2_DATA, (UCHAR)(HalpInterruptMask >> 8));
}

VOID HalInitializePic(VOID)
{
    __outbyte(PIC1_COMMAND, 0x11);               /* ICW1: edge, cascade, ICW4 follows */
    __outbyte(PIC2_COMMAND, 0x11);
    __outbyte(PIC1_DATA, PRIMARY_VECTOR_BASE);   /* ICW2: vector bases */
    __outbyte(PIC2_DATA, PRIMARY_VECTOR_BASE + 8);
    __outbyte(PIC1_DATA, 0x04);                  /* ICW3: slave on IRQ2 */
    __outbyte(PIC2_DATA, 0x02);
    __outbyte(PIC1_DATA, 0x01);                  /* ICW4: 8086 mode */
    __outbyte(PIC2_DATA, 0x01);
    HalpWriteMask();
}

VOID HalEnableInterrupt(ULONG Irq)
{
    HalpInterruptMask &= (USHORT)~(1u << Irq);
    if (Irq >= 8)
        HalpInterruptMask &= (USHORT)~(1u << 2);   /* the cascade */
    HalpWriteMask();
}

VOID HalDisableInterrupt(ULONG Irq)
{
    HalpInterruptMask |= (USHORT)(1u << Irq);
    HalpWriteMask();
}

VOID HalEndOfInterrupt(ULONG Irq)
{
    if (Irq >= 8)
        __outbyte(PIC2_COMMAND, PIC_EOI);
    __outbyte(PIC1_COMMAND, PIC_EOI);
}

/* An interrupt no driver claimed: a spurious IRQ7/IRQ15 (no EOI for the controller that
 * raised it) or a stray one (acknowledged and logged). */
VOID HalHandleInterrupt(ULONG Vector)
{
    ULONG Irq = Vector - PRIMARY_VECTOR_BASE;
    USHORT Command = Irq >= 8 ? PIC2_COMMAND : PIC1_COMMAND;
    UCHAR InService;

    __outbyte(Command, PIC_READ_ISR);
    InService = __inbyte(Command);
    if ((InService & (1u << (Irq & 7))) == 0)
    {
        if (Irq >= 8)
            __outbyte(PIC1_COMMAND, PIC_EOI);    /* the master did see the cascade */
        return;
    }
    HalEndOfInterrupt(Irq);
    DbgPrint("hal: unexpected interrupt, vector 0x%02X\n", Vector);
}
