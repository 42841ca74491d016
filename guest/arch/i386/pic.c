/*
 * pic.c - the two 8259 interrupt controllers: remapped to vectors 0x20-0x2F and fully masked
 * (the kernel polls; under QEMU the PIT would otherwise raise IRQ0 on vector 8). Under
 * pagevisor there is no PIC and these port writes are ignored.
 */
#include "ke.h"
#include "intrin.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA    0x21
#define PIC2_COMMAND 0xA0
#define PIC2_DATA    0xA1
#define PIC_EOI      0x20
#define PIC_READ_ISR 0x0B

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
    __outbyte(PIC1_DATA, 0xFF);                  /* mask every line */
    __outbyte(PIC2_DATA, 0xFF);
}

/* A hardware interrupt arrived although every line is masked: a spurious IRQ7/IRQ15 (no EOI
 * for the controller that raised it) or a stray one (acknowledge it). */
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
    if (Irq >= 8)
        __outbyte(PIC2_COMMAND, PIC_EOI);
    __outbyte(PIC1_COMMAND, PIC_EOI);
    DbgPrint("hal: unexpected interrupt, vector 0x%02X\n", Vector);
}
