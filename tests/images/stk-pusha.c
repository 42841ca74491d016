/*
 * stk-pusha - port of Pintos' pt-grow-pusha: move ESP to the bottom of its page, then PUSHAD,
 * which stores 32 bytes below that page at once. The page below is the stack's guard page (or
 * already committed): either way the push succeeds, and the stack pointer is put back.
 * Expected: begin, end; "stk-pusha: exit(0)".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    __asm__ volatile(
        "movl %%esp, %%eax\n\t"        /* keep the stack pointer */
        "andl $0xfffff000, %%esp\n\t"  /* bottom of its page */
        "pushal\n\t"                   /* 32 bytes below it */
        "movl %%eax, %%esp"            /* back */
        :
        :
        : "eax", "memory");
    msg("end");
    return 0;
}
