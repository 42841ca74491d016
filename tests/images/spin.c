/*
 * spin - a runaway process: prints begin, then loops forever in ring 3 without a system call.
 * Run with --timeout: pagevisor must stop it, say so, and exit with status 115.
 * Expected: "(spin) begin" and nothing else.
 * RUNS-FOREVER (so tests/multiboot-qemu.sh leaves it out of its boot of every image)
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    for (volatile unsigned long n = 0;; n++)
        ;
}
