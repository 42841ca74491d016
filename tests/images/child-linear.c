/*
 * child-linear - port of Pintos' child-linear, the child of page-parallel: a 1 MiB buffer in
 * bss, ARC4-encrypted in place (from zeros) and decrypted again with the key given as its last
 * argument (its name when it has none), then checked to be all zeros again; it exits with
 * 0x42. Pintos' page-parallel runs four of them at once; here processes run one after
 * another, so the case page-parallel runs four on one command line, each in 2 MiB of RAM
 * (about 180 pages for its 256-page buffer), so that each one pages through the pagefile.
 * Expected: begin, the check, end; "child-linear: exit(66)".
 */
#include <ntapi.h>

#define SIZE (1u << 20)

static char Buffer[SIZE];

int main(int argc, char **argv)
{
    const char *Key = argv[argc - 1];
    struct arc4 Arc4;
    ULONG i, NonZero = 0;

    msg("begin");
    arc4_init(&Arc4, Key, strlen(Key));
    arc4_crypt(&Arc4, Buffer, SIZE);
    arc4_init(&Arc4, Key, strlen(Key));
    arc4_crypt(&Arc4, Buffer, SIZE);
    for (i = 0; i < SIZE; i++)
        NonZero += Buffer[i] != 0;
    CHECK(NonZero == 0, "encrypted and decrypted 1 MiB of zeros: all zero again");
    msg("end");
    return 0x42;
}
