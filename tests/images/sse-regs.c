/*
 * sse-regs - SSE and x87 state is the thread's own. Two copies run at once
 * (`--parallel sse-regs.elf a -- sse-regs.elf b`): each checks that it starts with zeroed XMM
 * registers and MXCSR's reset value (nothing of the other copy), does one SSE addition, loads
 * its own values into XMM0-7, MXCSR and the x87 control word and stack, then spins without a
 * system call until each has seen the other run (only the clock's preemption lets the other
 * run, with its own values in the same registers), and checks every value is still its own.
 * The image is built like every test image (-mgeneral-regs-only): the compiler never touches
 * the XMM or x87 registers between the asm statements.
 * Expected (interleaved): each copy's begin, the checks, end, exit(0).
 * NEEDS-OWN-BOOT
 */
#include <ntapi.h>

#define XMM_WORDS 32   /* XMM0-7, four 32-bit words each */

static void load_xmm(const ULONG *Words)
{
    __asm__ volatile("movdqu 0(%0), %%xmm0\n\tmovdqu 16(%0), %%xmm1\n\t"
                     "movdqu 32(%0), %%xmm2\n\tmovdqu 48(%0), %%xmm3\n\t"
                     "movdqu 64(%0), %%xmm4\n\tmovdqu 80(%0), %%xmm5\n\t"
                     "movdqu 96(%0), %%xmm6\n\tmovdqu 112(%0), %%xmm7"
                     : : "r"(Words) : "memory");
}

static void store_xmm(ULONG *Words)
{
    __asm__ volatile("movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 16(%0)\n\t"
                     "movdqu %%xmm2, 32(%0)\n\tmovdqu %%xmm3, 48(%0)\n\t"
                     "movdqu %%xmm4, 64(%0)\n\tmovdqu %%xmm5, 80(%0)\n\t"
                     "movdqu %%xmm6, 96(%0)\n\tmovdqu %%xmm7, 112(%0)"
                     : : "r"(Words) : "memory");
}

static ULONG read_mxcsr(void)
{
    ULONG Value;
    __asm__ volatile("stmxcsr %0" : "=m"(Value));
    return Value;
}

static void write_mxcsr(ULONG Value)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(Value));
}

/* Single-precision 1.5 + 2.25 in XMM0 (bit patterns: the compiler may not use floats). */
static ULONG sse_add(void)
{
    static const ULONG A[4] = { 0x3FC00000u }, B[4] = { 0x40100000u };
    ULONG Sum[4];
    __asm__ volatile("movdqu (%1), %%xmm0\n\tmovdqu (%2), %%xmm1\n\taddps %%xmm1, %%xmm0\n\t"
                     "movdqu %%xmm0, (%0)"
                     : : "r"(Sum), "r"(A), "r"(B) : "memory");
    return Sum[0];
}

static volatile ULONG *shared_words(void)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    ULONGLONG Size = 4096;
    HANDLE Section;
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    NTSTATUS Status;

    RtlInitUnicodeString(&Name, u"sse-regs-words");
    InitializeObjectAttributes(&Attributes, &Name, OBJ_OPENIF, NULL, NULL);
    Status = NtCreateSection(&Section, SECTION_ALL_ACCESS, &Attributes, &Size, PAGE_READWRITE,
                             SEC_COMMIT, NULL);
    if (Status != STATUS_SUCCESS && Status != STATUS_OBJECT_NAME_EXISTS)
        fail("shared words: 0x%08lx", (unsigned long)Status);
    Status = NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                ViewUnmap, 0, PAGE_READWRITE);
    if (Status != STATUS_SUCCESS)
        fail("map them: 0x%08lx", (unsigned long)Status);
    return Base;
}

int main(int argc, char **argv)
{
    ULONG Mine[XMM_WORDS], Seen[XMM_WORDS];
    ULONG Me = argc > 1 && argv[1][0] == 'b', Start, Bad = 0;
    /* Round toward minus infinity (a) or plus infinity (b); every exception masked. */
    ULONG Mxcsr = Me ? 0x5F80u : 0x3F80u;
    USHORT Fcw = Me ? 0x027F : 0x007F, FcwSeen;
    LONG X87 = Me ? -777 : 4242, X87Seen;
    volatile ULONG *Words;
    int i;

    msg("begin");

    store_xmm(Seen);
    for (i = 0; i < XMM_WORDS; i++)
        Bad |= Seen[i];
    CHECK(Bad == 0, "XMM0-7 start zeroed");
    ULONG MxcsrFirst = read_mxcsr();
    CHECK(MxcsrFirst == 0x1F80, "MXCSR starts at 0x%04lx", (unsigned long)MxcsrFirst);
    CHECK(sse_add() == 0x40700000u, "addps: 1.5 + 2.25 = 3.75");

    Words = shared_words();
    for (i = 0; i < XMM_WORDS; i++)
        Mine[i] = (Me ? 0xB0000000u : 0xA0000000u) | ((ULONG)i * 0x01010101u);
    load_xmm(Mine);
    write_mxcsr(Mxcsr);
    __asm__ volatile("fldcw %0\n\tfildl %1" : : "m"(Fcw), "m"(X87));

    /* Words[0..1]: the counters; Words[2..3]: "I have seen the other run" (as in preempt). */
    Start = Words[1 - Me];
    while (!(Words[2 + Me] && Words[3 - Me]))
    {
        Words[Me]++;
        if (!Words[2 + Me] && Words[1 - Me] - Start >= 1000000u)
            Words[2 + Me] = 1;
    }
    msg("saw the other run");

    store_xmm(Seen);
    ULONG MxcsrSeen = read_mxcsr();
    __asm__ volatile("fnstcw %0\n\tfistpl %1" : "=m"(FcwSeen), "=m"(X87Seen));
    for (i = 0, Bad = 0; i < XMM_WORDS; i++)
        if (Seen[i] != Mine[i] && Bad++ < 4)
            msg("xmm%d word %d: 0x%08lx, expected 0x%08lx", i / 4, i % 4,
                (unsigned long)Seen[i], (unsigned long)Mine[i]);
    CHECK(Bad == 0, "XMM0-7 kept");
    CHECK(MxcsrSeen == Mxcsr, "MXCSR kept (0x%04lx)", (unsigned long)MxcsrSeen);
    CHECK(FcwSeen == Fcw && X87Seen == X87, "x87 control word and stack kept");
    msg("end");
    return 0;
}
