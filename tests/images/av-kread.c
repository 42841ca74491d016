/*
 * av-kread - a ring-3 read of a system address is an access violation: 0xC0000000 (the page
 * tables), or the address given as the first argument in hex (e.g. 0x80100000, the kernel's
 * code: under pv.largekernel=1 it lies in a large page, and the crash report shows the large
 * PDE).
 * Expected: "(av-kread) begin", then the process is killed (no "end"):
 * "av-kread: exit(0xC0000005) STATUS_ACCESS_VIOLATION reading 0xC0000000".
 */
#include <ntapi.h>

static ULONG ParseHex(const char *Text)
{
    ULONG Value = 0;

    if (Text[0] == '0' && (Text[1] == 'x' || Text[1] == 'X'))
        Text += 2;
    for (; *Text != '\0'; Text++)
    {
        char c = *Text;
        ULONG Digit = c >= '0' && c <= '9' ? (ULONG)(c - '0') :
                      c >= 'a' && c <= 'f' ? (ULONG)(c - 'a' + 10) :
                      c >= 'A' && c <= 'F' ? (ULONG)(c - 'A' + 10) : 16;
        if (Digit == 16)
            fail("bad hex address \"%s\"", Text);
        Value = Value * 16 + Digit;
    }
    return Value;
}

int main(int argc, char **argv)
{
    ULONG Address = argc > 1 ? ParseHex(argv[1]) : 0xC0000000u;

    msg("begin");
    (void)*(volatile ULONG *)Address;
    msg("end");
    return 0;
}
