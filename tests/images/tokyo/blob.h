/*
 * blob.h - tokyo-vm's code as the launchers carry it: the flat binary of code.c (built by
 * guest/guest.mk, its path in TOKYO_BLOB), page-aligned in the launcher's read-only data.
 */
#ifndef TOKYO_BLOB_H
#define TOKYO_BLOB_H

__asm__(".section .rodata\n"
        ".balign 4096\n"
        "TokyoBlob:\n"
        ".incbin \"" TOKYO_BLOB "\"\n"
        "TokyoBlobEnd:\n"
        ".previous");
extern const unsigned char TokyoBlob[], TokyoBlobEnd[];

#endif /* TOKYO_BLOB_H */
