/*
 * pagein.S - the host-path benchmark's guest: 32-bit protected mode, paging off (so it runs
 * where KVM refuses 32-bit paging). Entered with eax = the params' address, it makes one
 * PV_HC_PAGEFILE_IO hypercall per call block the host laid out for it, then halts. The blocks
 * are ready-made so that the guest spends as few instructions as possible between exits: the
 * subject is the host's service path, and some KVMs (kvm-pvm) emulate every guest instruction.
 * Two calibration modes measure a bare exit and the cost of guest instructions.
 */
#include "pagein.h"

    .code32
    .text
    .globl _start
_start:
    mov     %eax, %ebp                      /* params */
    mov     PARAM_COUNT(%ebp), %ecx
    movl    $0, PARAM_STATUS(%ebp)
    cmpl    $PAGEIN_MODE_EXITS, PARAM_MODE(%ebp)
    je      bare_exits
    cmpl    $PAGEIN_MODE_SPIN, PARAM_MODE(%ebp)
    je      spin
    mov     PARAM_BLOCKS(%ebp), %esi
    mov     $PAGEIN_PORT, %edx
    test    %ecx, %ecx
    jz      done
next_block:
    mov     %esi, %eax
    out     %eax, (%dx)                     /* the hypercall: one exit */
    cmpl    $0, IO_RET(%esi)
    jne     failed
    add     $IO_SIZE, %esi
    dec     %ecx
    jnz     next_block
done:
    hlt
failed:
    mov     IO_RET(%esi), %eax
    mov     %eax, PARAM_RET(%ebp)
    sub     PARAM_BLOCKS(%ebp), %esi        /* 1 + the failed block's index */
    mov     %esi, %eax
    xor     %edx, %edx
    mov     $IO_SIZE, %ecx
    div     %ecx
    inc     %eax
    mov     %eax, PARAM_STATUS(%ebp)
    hlt

bare_exits:
    mov     $PAGEIN_NULL_PORT, %edx
1:  out     %al, (%dx)
    dec     %ecx
    jnz     1b
    hlt

spin:
    dec     %ecx
    jnz     spin
    hlt
