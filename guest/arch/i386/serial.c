/*
 * serial.c - the COM1 console (8250/16550 UART at 0x3F8, polled) used when no host services
 * exist: under QEMU `-serial stdio` every kernel and process line goes here.
 */
#include "ke.h"
#include "intrin.h"

#define COM1_BASE     0x3F8
#define UART_DATA     0
#define UART_IER      1
#define UART_FCR      2
#define UART_LCR      3
#define UART_MCR      4
#define UART_LSR      5
#define UART_LSR_THRE 0x20

VOID HalSerialInitialize(VOID)
{
    __outbyte(COM1_BASE + UART_IER, 0x00);   /* no interrupts */
    __outbyte(COM1_BASE + UART_LCR, 0x80);   /* DLAB: divisor follows */
    __outbyte(COM1_BASE + UART_DATA, 0x01);  /* 115200 baud */
    __outbyte(COM1_BASE + UART_IER, 0x00);
    __outbyte(COM1_BASE + UART_LCR, 0x03);   /* 8N1 */
    __outbyte(COM1_BASE + UART_FCR, 0xC7);   /* FIFOs on, cleared */
    __outbyte(COM1_BASE + UART_MCR, 0x03);   /* DTR, RTS */
}

VOID HalSerialWrite(PCSTR Text, ULONG Length)
{
    ULONG i, Spin;

    for (i = 0; i < Length; i++)
    {
        for (Spin = 0; Spin < 100000; Spin++)
        {
            if (__inbyte(COM1_BASE + UART_LSR) & UART_LSR_THRE)
                break;
        }
        __outbyte(COM1_BASE + UART_DATA, (UCHAR)Text[i]);
    }
}
