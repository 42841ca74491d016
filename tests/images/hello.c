/*
 * hello - the smallest test image: prints begin, a greeting from ring 3, end.
 * Expected: the three lines, then the kernel's "hello: exit(0)".
 */
#include <ntapi.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    msg("begin");
    msg("Hello from ring 3 of pagevisor!");
    msg("end");
    return 0;
}
