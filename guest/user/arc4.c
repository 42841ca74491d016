/*
 * arc4.c - the ARC4 (RC4) stream cipher for test images that port the Pintos VM tests, which
 * fill their buffers with ARC4 output keyed "foobar" and print its checksum. Written from the
 * cipher's published description: a 256-byte permutation S scrambled by the key (the key
 * schedule), then for each byte: i += 1, j += S[i], swap S[i] and S[j], output
 * S[S[i] + S[j]] (all mod 256).
 */
#include "ntapi.h"

void arc4_init(struct arc4 *State, const void *Key, size_t KeyLength)
{
    const unsigned char *KeyBytes = Key;
    unsigned char j = 0, Swap;
    unsigned i;

    for (i = 0; i < 256; i++)
        State->S[i] = (unsigned char)i;
    for (i = 0; i < 256; i++)
    {
        j = (unsigned char)(j + State->S[i] + KeyBytes[i % KeyLength]);
        Swap = State->S[i];
        State->S[i] = State->S[j];
        State->S[j] = Swap;
    }
    State->i = State->j = 0;
}

void arc4_crypt(struct arc4 *State, void *Buffer, size_t Length)
{
    unsigned char *Bytes = Buffer, i = State->i, j = State->j, Swap;

    while (Length-- > 0)
    {
        i = (unsigned char)(i + 1);
        j = (unsigned char)(j + State->S[i]);
        Swap = State->S[i];
        State->S[i] = State->S[j];
        State->S[j] = Swap;
        *Bytes++ ^= State->S[(unsigned char)(State->S[i] + State->S[j])];
    }
    State->i = i;
    State->j = j;
}
