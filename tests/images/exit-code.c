/*
 * exit-code - main's return value becomes the exit status through crt0's NtTerminateProcess,
 * printed by the kernel as a signed decimal.
 * Expected: begin, end, then "exit-code: exit(-3)".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    msg("end");
    return -3;
}
