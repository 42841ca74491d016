/*
 * ntdll-badname - an image whose import table has an entry whose name lies outside the file
 * (0x12345678, added by hand): a malformed image, refused with STATUS_INVALID_IMAGE_FORMAT
 * before anything of it runs (ntdll-map starts it).
 * NEEDS-OWN-BOOT
 */
#include <ntapi.h>

__asm__(".section .pvimports, \"aw\"\n"
        ".balign 4\n"
        ".long 0x12345678, 0\n"
        ".text\n");

int main(void)
{
    msg("ran, although its import table is malformed");
    return 1;
}
