/*
 * exc-privileged - a privileged instruction (cli, #GP) in ring 3 ends the process with NT's status.
 * Expected: "(exc-privileged) begin", then the process is killed (no "end"):
 * "exc-privileged: exit(0xC0000096) STATUS_PRIVILEGED_INSTRUCTION".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    __asm__ volatile("cli");
    msg("end");
    return 0;
}
