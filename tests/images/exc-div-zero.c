/*
 * exc-div-zero - an integer division by zero (#DE) in ring 3 ends the process with NT's status.
 * Expected: "(exc-div-zero) begin", then the process is killed (no "end"):
 * "exc-div-zero: exit(0xC0000094) STATUS_INTEGER_DIVIDE_BY_ZERO".
 */
#include <ntapi.h>

int main(void)
{
    msg("begin");
    volatile int Dividend = 100, Zero = 0, Result;

    Result = Dividend / Zero;
    (void)Result;
    msg("end");
    return 0;
}
