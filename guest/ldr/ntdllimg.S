/*
 * ntdllimg.S - the system DLL's file (build/guest/ntdll.elf, guest/ntdll/) inside the kernel
 * image, page aligned: ldr/sysdll.c pages it into its image section from here, as a boot
 * module's file is paged when there is no host.
 */
    .section .rodata.ntdll, "a"
    .balign 4096
    .globl LdrpSystemDllFile, LdrpSystemDllFileEnd
LdrpSystemDllFile:
    .incbin PV_NTDLL_IMAGE
LdrpSystemDllFileEnd:

    .section .note.GNU-stack, "", @progbits
