/*
 * crt0.S - process entry of every test image. The kernel enters ring 3 here with ESP ->
 * argc, argv[0..argc-1], NULL, envp NULL, auxv AT_NULL. Records argv[0] as PvImageName, calls
 * main(argc, argv), then NtTerminateProcess(NtCurrentProcess(), main's return value).
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    movl (%esp), %eax                   /* argc */
    leal 4(%esp), %ecx                  /* argv */
    movl (%ecx), %edx
    movl %edx, PvImageName
    andl $-16, %esp
    subl $8, %esp
    pushl %ecx
    pushl %eax
    call main
    pushl %eax                          /* ExitStatus */
    pushl $-1                           /* NtCurrentProcess() */
    call NtTerminateProcess
1:  ud2                                 /* never returns */
    jmp 1b

    .section .note.GNU-stack, "", @progbits
