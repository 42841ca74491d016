/*
 * cksum.c - the POSIX cksum checksum (SUSv3 "cksum"), which the Pintos VM tests print over
 * their buffers. Written from the standard's description: a CRC with generator polynomial
 * 0x04C11DB7, processed most significant bit first from an initial value of 0, over the data
 * and then over the data's length (least significant byte first, as few bytes as needed), and
 * the result complemented.
 */
#include "ntapi.h"

static ULONG CksumByte(ULONG Crc, unsigned char Byte)
{
    int Bit;

    Crc ^= (ULONG)Byte << 24;
    for (Bit = 0; Bit < 8; Bit++)
        Crc = (Crc & 0x80000000u) ? (Crc << 1) ^ 0x04C11DB7u : Crc << 1;
    return Crc;
}

unsigned long cksum(const void *Buffer, size_t Length)
{
    const unsigned char *Bytes = Buffer;
    ULONG Crc = 0;
    size_t i, Remaining;

    for (i = 0; i < Length; i++)
        Crc = CksumByte(Crc, Bytes[i]);
    for (Remaining = Length; Remaining != 0; Remaining >>= 8)
        Crc = CksumByte(Crc, (unsigned char)Remaining);
    return ~Crc;
}
