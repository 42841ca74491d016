/*
 * format.c - a small vsnprintf for kernel log lines and user test output: %% %c %s %d %i %u
 * %x %X %p, flags '-' and '0', a field width (or *), and the l/z length modifiers (all
 * integers are 32-bit here). No 64-bit arithmetic, so no libgcc helpers are needed.
 */
#include "rtl.h"

typedef struct _FORMAT_OUTPUT
{
    PCHAR Buffer;
    ULONG Size;
    ULONG Length;
} FORMAT_OUTPUT;

static VOID RtlpPutChar(FORMAT_OUTPUT *Out, CHAR Ch)
{
    if (Out->Length + 1 < Out->Size)
        Out->Buffer[Out->Length] = Ch;
    Out->Length++;
}

static VOID RtlpPutField(FORMAT_OUTPUT *Out, PCSTR Text, ULONG Length, ULONG Width,
                         BOOLEAN LeftAlign, CHAR Pad)
{
    ULONG i;

    if (!LeftAlign)
    {
        for (i = Length; i < Width; i++)
            RtlpPutChar(Out, Pad);
    }
    for (i = 0; i < Length; i++)
        RtlpPutChar(Out, Text[i]);
    if (LeftAlign)
    {
        for (i = Length; i < Width; i++)
            RtlpPutChar(Out, ' ');
    }
}

ULONG RtlFormatStringV(PCHAR Buffer, ULONG Size, PCSTR Format, va_list Arguments)
{
    FORMAT_OUTPUT Out = { Buffer, Size, 0 };
    CHAR Digits[16];

    while (*Format != '\0')
    {
        BOOLEAN LeftAlign = FALSE, Negative = FALSE;
        CHAR Pad = ' ';
        ULONG Width = 0, Value, Base, Count;
        PCSTR Hex = "0123456789abcdef";
        PCSTR Text;

        if (*Format != '%')
        {
            RtlpPutChar(&Out, *Format++);
            continue;
        }
        Format++;
        for (;; Format++)
        {
            if (*Format == '-')
                LeftAlign = TRUE;
            else if (*Format == '0')
                Pad = '0';
            else
                break;
        }
        if (*Format == '*')
        {
            Width = va_arg(Arguments, ULONG);
            Format++;
        }
        while (*Format >= '0' && *Format <= '9')
            Width = Width * 10 + (ULONG)(*Format++ - '0');
        while (*Format == 'l' || *Format == 'z' || *Format == 'h')
            Format++;

        switch (*Format)
        {
        case 'c':
            Digits[0] = (CHAR)va_arg(Arguments, int);
            RtlpPutField(&Out, Digits, 1, Width, LeftAlign, ' ');
            break;
        case 's':
            Text = va_arg(Arguments, PCSTR);
            if (Text == NULL)
                Text = "(null)";
            RtlpPutField(&Out, Text, (ULONG)strlen(Text), Width, LeftAlign, ' ');
            break;
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'p':
            if (*Format == 'p')
            {
                Value = (ULONG)(ULONG_PTR)va_arg(Arguments, PVOID);
                RtlpPutChar(&Out, '0');
                RtlpPutChar(&Out, 'x');
                Width = 8;
                Pad = '0';
            }
            else
            {
                Value = va_arg(Arguments, ULONG);
            }
            Base = (*Format == 'd' || *Format == 'i' || *Format == 'u') ? 10 : 16;
            if (*Format == 'X')
                Hex = "0123456789ABCDEF";
            if ((*Format == 'd' || *Format == 'i') && (LONG)Value < 0)
            {
                Negative = TRUE;
                Value = 0u - Value;
            }
            Count = 0;
            do
            {
                Digits[sizeof(Digits) - 1 - Count++] = Hex[Value % Base];
                Value /= Base;
            } while (Value != 0);
            if (Negative)
            {
                if (Pad == '0')
                {
                    RtlpPutChar(&Out, '-');
                    if (Width > 0)
                        Width--;
                }
                else
                {
                    Digits[sizeof(Digits) - 1 - Count++] = '-';
                }
            }
            RtlpPutField(&Out, &Digits[sizeof(Digits) - Count], Count, Width, LeftAlign, Pad);
            break;
        case '%':
            RtlpPutChar(&Out, '%');
            break;
        case '\0':
            Format--;
            break;
        default:
            RtlpPutChar(&Out, '%');
            RtlpPutChar(&Out, *Format);
            break;
        }
        Format++;
    }

    if (Size > 0)
        Buffer[Out.Length < Size ? Out.Length : Size - 1] = '\0';
    return Out.Length < Size ? Out.Length : (Size > 0 ? Size - 1 : 0);
}

ULONG RtlFormatString(PCHAR Buffer, ULONG Size, PCSTR Format, ...)
{
    va_list Arguments;
    ULONG Length;

    va_start(Arguments, Format);
    Length = RtlFormatStringV(Buffer, Size, Format, Arguments);
    va_end(Arguments);
    return Length;
}
