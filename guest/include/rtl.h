/*
 * rtl.h - run-time library shared by the kernel and the user runtime: memory and string
 * routines (rtl/string.c) and a small printf-style formatter (rtl/format.c).
 */
#ifndef PV_RTL_H
#define PV_RTL_H

#include "ntdef.h"

void *memcpy(void *Destination, const void *Source, size_t Length);
void *memmove(void *Destination, const void *Source, size_t Length);
void *memset(void *Destination, int Fill, size_t Length);
int memcmp(const void *A, const void *B, size_t Length);
size_t strlen(const char *String);
int strcmp(const char *A, const char *B);
int strncmp(const char *A, const char *B, size_t Length);

#define RtlCopyMemory(D, S, L) memcpy((D), (S), (L))
#define RtlZeroMemory(D, L)    memset((D), 0, (L))

/* vsnprintf-like: always NUL-terminates (Size > 0), returns the length written.
 * Supports %% %c %s %d %i %u %x %X %p with flags '-' '0', a width and l/z modifiers. */
ULONG RtlFormatStringV(PCHAR Buffer, ULONG Size, PCSTR Format, va_list Arguments);
ULONG RtlFormatString(PCHAR Buffer, ULONG Size, PCSTR Format, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* PV_RTL_H */
