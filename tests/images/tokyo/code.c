/*
 * code.c - the code tokyo-vm runs: a blob linked at TOKYO_CODE_BASE and never mapped by a
 * loader. Its pages are brought in one by one by whoever handles tokyo-vm's faults (the
 * launchers). Three code pages (the entry, the function, the number formatting) and a table
 * of 12 KiB on the stack, so that both kinds of fault happen several times.
 */
#include <ntapi.h>
#include "tokyo.h"

#define TOKYO_TABLE 3072

static __attribute__((section(".text.page2"), noinline)) ULONG Format(char *Out, ULONG Value)
{
    char Digits[12];
    ULONG Count = 0, i;

    do
    {
        Digits[Count++] = (char)('0' + Value % 10);
        Value /= 10;
    } while (Value != 0);
    for (i = 0; i < Count; i++)
        Out[i] = Digits[Count - 1 - i];
    return Count;
}

/* Every value up to N, each from the two before it, in a table on the stack. */
static __attribute__((section(".text.page1"), noinline)) ULONG Compute(ULONG N)
{
    volatile ULONG Table[TOKYO_TABLE];
    ULONG i;

    if (N >= TOKYO_TABLE)
        N = TOKYO_TABLE - 1;
    /* From the top down: one stack page after another, as a guard page needs. */
    for (i = TOKYO_TABLE; i-- > 0;)
        Table[i] = 0;
    Table[0] = 0;
    Table[1] = 1;
    for (i = 2; i <= N; i++)
        Table[i] = Table[i - 1] + Table[i - 2];
    return Table[N];
}

__attribute__((section(".text.entry"))) void TokyoMain(const TOKYO_SERVICES *Services,
                                                        ULONG Argument)
{
    char Line[64];
    ULONG Length = 0;

    Line[Length++] = 'f';
    Line[Length++] = '(';
    Length += Format(Line + Length, Argument);
    Line[Length++] = ')';
    Line[Length++] = ' ';
    Line[Length++] = '=';
    Line[Length++] = ' ';
    Length += Format(Line + Length, Compute(Argument));
    Line[Length++] = '\n';
    Services->DisplayString(Line, Length);
}
