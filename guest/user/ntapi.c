/*
 * ntapi.c - the user runtime's console helpers: PvPrint formats into a buffer and writes it
 * with one PvDisplayString call. PvImageName is set by crt0.
 */
#include "ntapi.h"
#include "rtl.h"

const char *PvImageName = "?";

ULONG PvPrint(const char *Format, ...)
{
    char Buffer[512];
    va_list Arguments;
    ULONG Length;

    va_start(Arguments, Format);
    Length = RtlFormatStringV(Buffer, sizeof(Buffer), Format, Arguments);
    va_end(Arguments);
    PvDisplayString(Buffer, Length);
    return Length;
}
