/*
 * string.c - memory and string routines for the kernel and the user runtime. GCC may emit
 * calls to memcpy/memset/memmove/memcmp itself, so these exact names must exist; the copies
 * use string instructions so the compiler cannot turn them back into calls to themselves.
 */
#include "rtl.h"

void *memcpy(void *Destination, const void *Source, size_t Length)
{
    void *Result = Destination;
    __asm__ volatile("rep movsb"
                     : "+D"(Destination), "+S"(Source), "+c"(Length)
                     :
                     : "memory");
    return Result;
}

void *memmove(void *Destination, const void *Source, size_t Length)
{
    unsigned char *D = Destination;
    const unsigned char *S = Source;

    if (D <= S || D >= S + Length)
        return memcpy(Destination, Source, Length);
    /* Overlapping with the destination above the source: copy backwards. */
    D += Length - 1;
    S += Length - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld"
                     : "+D"(D), "+S"(S), "+c"(Length)
                     :
                     : "memory");
    return Destination;
}

void *memset(void *Destination, int Fill, size_t Length)
{
    void *Result = Destination;
    __asm__ volatile("rep stosb"
                     : "+D"(Destination), "+c"(Length)
                     : "a"(Fill)
                     : "memory");
    return Result;
}

int memcmp(const void *A, const void *B, size_t Length)
{
    const unsigned char *X = A, *Y = B;
    size_t i;

    for (i = 0; i < Length; i++)
    {
        if (X[i] != Y[i])
            return X[i] < Y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *String)
{
    size_t Length = 0;
    while (String[Length] != '\0')
        Length++;
    return Length;
}

int strncmp(const char *A, const char *B, size_t Length)
{
    size_t i;

    for (i = 0; i < Length; i++)
    {
        unsigned char X = (unsigned char)A[i], Y = (unsigned char)B[i];
        if (X != Y)
            return X < Y ? -1 : 1;
        if (X == '\0')
            break;
    }
    return 0;
}

int strcmp(const char *A, const char *B)
{
    return strncmp(A, B, (size_t)-1);
}
