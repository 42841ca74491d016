/*
 * ntdll-noexport - an image that imports a name the system DLL does not export
 * ("NtNoSuchService", an entry added to its import table by hand): the loader refuses to start
 * it with STATUS_ENTRYPOINT_NOT_FOUND (ntdll-map starts it). Its main never runs.
 * NEEDS-OWN-BOOT
 */
#include <ntapi.h>

__asm__(".section .rodata.pvnames, \"a\"\n"
        "NoSuchServiceName: .asciz \"NtNoSuchService\"\n"
        ".section .pvimports, \"aw\"\n"
        ".balign 4\n"
        ".long NoSuchServiceName, 0\n"
        ".text\n");

int main(void)
{
    msg("ran, although it imports a name ntdll does not export");
    return 1;
}
