/*
 * exc-illegal - an undefined opcode (ud2, #UD) in ring 3 ends the process with NT's status.
 * Expected: "(exc-illegal) begin", then the process is killed (no "end"):
 * "exc-illegal: exit(0xC000001D) STATUS_ILLEGAL_INSTRUCTION".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    __asm__ volatile("ud2");
    msg("end");
    return 0;
}
