/*
 * main.c - KiSystemStartup, the kernel's C entry (from arch/i386/boot.S, paging on, running
 * at 0x80100000, or 0xC0900000 in the /3GB kernel): host services or COM1, the dispatcher (the
 * boot code becomes the initial system thread), GDT/IDT/TSS, PICs, the memory manager, the
 * clock, the self-checks, then the boot modules as processes (ps/psinit.c), then shutdown.
 *
 * Kernel command-line options (the memory manager reads pv.wsmin=, pv.wsmax= and
 * pv.readcluster=, see mm/mminit.c):
 *   pv.selftest=bugcheck   after the boot self-checks, read the unmapped system address
 *                          0xE0000000: the kernel must stop with bug check 0x50
 *                          PAGE_FAULT_IN_NONPAGED_AREA (0xE0000000, 0, EIP, 0). For tests of
 *                          the bug-check path (host report, STOP line).
 *   pv.selftest=stackoverflow  recurse on the boot stack until it runs into its guard page:
 *                          the fault cannot be delivered on that stack, so the CPU double-
 *                          faults onto the double-fault task, which stops the kernel with
 *                          bug check 0x7F UNEXPECTED_KERNEL_MODE_TRAP (8, ESP, EIP, 0).
 *   pv.selftest=irql       raise the IRQL to DISPATCH_LEVEL and read 0xE0000000: a fault at
 *                          raised IRQL cannot be resolved, so the kernel stops with bug check
 *                          0x0A IRQL_NOT_LESS_OR_EQUAL (0xE0000000, 2, 0, EIP).
 *   pv.selftest=readonly   write to the kernel's own code (read-only, CR0.WP): bug check 0xBE
 *                          ATTEMPTED_WRITE_TO_READONLY_MEMORY (VA, PTE, trap frame, 0).
 *                          With pv.largekernel=1 the code lies in a writable large page (as
 *                          in NT, see mm/largepag.c): the write goes through, the kernel says
 *                          so and goes on.
 *   pv.selftest=kernelstack  the first process's thread recurses on its own 12 KiB kernel
 *                          stack at its start, into the guard page below it: the double-fault
 *                          task names the stack and stops with bug check 0x7F (8, ESP, EIP, 0).
 *   pv.selftest=expandstack  the same recursion (400 frames of 256 bytes), but each frame
 *                          asks KeExpandKernelStackAndCallout for room first: the recursion
 *                          goes on on 16 KiB extension stacks, each released on return, and
 *                          the boot goes on (ke/kestack.c; the log shows each expansion).
 *   pv.selftest=triplefault  load an empty IDT and raise a breakpoint: neither the exception
 *                          nor the double fault can be delivered, so the CPU shuts down.
 *                          For tests of the host's triple-fault report.
 */
#include "ke.h"
#include "hv.h"
#include "ldr.h"
#include "mm.h"
#include "multiboot.h"
#include "ps.h"
#include "rtl.h"

#define KI_SELFTEST_BUGCHECK_ADDRESS 0xE0000000u

/* Is Option one of the whitespace-separated words of the kernel command line? */
BOOLEAN KiCommandLineHasOption(PCSTR Option)
{
    PCSTR Cursor = KeLoaderBlock.CommandLine;
    ULONG Length = (ULONG)strlen(Option);

    while (*Cursor != '\0')
    {
        while (*Cursor == ' ' || *Cursor == '\t')
            Cursor++;
        if (strncmp(Cursor, Option, Length) == 0 &&
            (Cursor[Length] == '\0' || Cursor[Length] == ' ' || Cursor[Length] == '\t'))
            return TRUE;
        while (*Cursor != '\0' && *Cursor != ' ' && *Cursor != '\t')
            Cursor++;
    }
    return FALSE;
}

BOOLEAN KiQueryCommandLineValue(PCSTR Option, PULONG Value)
{
    PCSTR Cursor = KeLoaderBlock.CommandLine;
    ULONG Length = (ULONG)strlen(Option);

    while (*Cursor != '\0')
    {
        while (*Cursor == ' ' || *Cursor == '\t')
            Cursor++;
        if (strncmp(Cursor, Option, Length) == 0 && Cursor[Length] == '=')
        {
            PCSTR Digit = Cursor + Length + 1;
            ULONG Base = 10, Result = 0, Count = 0;

            if (Digit[0] == '0' && (Digit[1] == 'x' || Digit[1] == 'X'))
            {
                Base = 16;
                Digit += 2;
            }
            for (;; Digit++, Count++)
            {
                ULONG d;
                if (*Digit >= '0' && *Digit <= '9')
                    d = (ULONG)(*Digit - '0');
                else if (Base == 16 && *Digit >= 'a' && *Digit <= 'f')
                    d = (ULONG)(*Digit - 'a' + 10);
                else if (Base == 16 && *Digit >= 'A' && *Digit <= 'F')
                    d = (ULONG)(*Digit - 'A' + 10);
                else
                    break;
                Result = Result * Base + d;
            }
            if (Count > 0 && (*Digit == '\0' || *Digit == ' ' || *Digit == '\t'))
            {
                *Value = Result;
                return TRUE;
            }
        }
        while (*Cursor != '\0' && *Cursor != ' ' && *Cursor != '\t')
            Cursor++;
    }
    return FALSE;
}

/* Deep enough to overflow any kernel stack; volatile so the recursion is not optimized away. */
static volatile ULONG KiSelfTestRecursionLimit = 0x100000;

ULONG KiSelfTestRecurse(ULONG Depth)
{
    volatile UCHAR Frame[256];

    Frame[0] = (UCHAR)Depth;
    if (Depth >= KiSelfTestRecursionLimit)
        return Frame[0];
    return KiSelfTestRecurse(Depth + 1) + Frame[0];
}

VOID KiSystemStartup(ULONG Magic, ULONG MultibootInfoPhysical);

VOID KiSystemStartup(ULONG Magic, ULONG MultibootInfoPhysical)
{
    ULONG Checks, Images;

    HvInitialize();
    KiInitializeDispatcher(&PsInitialSystemProcess.Thread, &PsInitialSystemProcess);
    KiInitializeGdt();
    KiInitializeIdt();
    HalInitializePic();

    DbgPrint("ke: pagevisor guest kernel (i386, NT x86 layout), image 0x%08X-0x%08X "
             "(physical 0x%08X), %s\n",
             (ULONG)(ULONG_PTR)__KernelStart, (ULONG)(ULONG_PTR)__KernelEnd - 1,
             KI_IMAGE_TO_PHYSICAL(__KernelStart),
             HvHostServicesPresent ? "pagevisor host services" : "console on COM1");
    if (Magic != MULTIBOOT_BOOTLOADER_MAGIC)
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, Magic, MultibootInfoPhysical, 0, 0);

    MmInitSystem(MultibootInfoPhysical);
    LdrInitializeSystemDll();
    KiInitializeClock();
    Checks = MmRunBootSelfChecks();
    DbgPrint("mm: %u self-checks passed\n", Checks);

    if (KiCommandLineHasOption("pv.selftest=bugcheck"))
    {
        DbgPrint("ke: pv.selftest=bugcheck: reading 0x%08X\n", KI_SELFTEST_BUGCHECK_ADDRESS);
        (void)*(volatile ULONG *)(ULONG_PTR)KI_SELFTEST_BUGCHECK_ADDRESS;
    }

    if (KiCommandLineHasOption("pv.selftest=irql"))
    {
        KIRQL OldIrql;

        DbgPrint("ke: pv.selftest=irql: reading 0x%08X at DISPATCH_LEVEL\n",
                 KI_SELFTEST_BUGCHECK_ADDRESS);
        KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
        (void)*(volatile ULONG *)(ULONG_PTR)KI_SELFTEST_BUGCHECK_ADDRESS;
        KeLowerIrql(OldIrql);
    }

    if (KiCommandLineHasOption("pv.selftest=readonly"))
    {
        volatile UCHAR *Code = (volatile UCHAR *)(ULONG_PTR)__KernelStart;

        DbgPrint("ke: pv.selftest=readonly: writing to kernel code at 0x%08X\n",
                 (ULONG)(ULONG_PTR)Code);
        *Code = *Code;
        DbgPrint("ke: pv.selftest=readonly: the write went through: kernel code is not "
                 "write-protected under a large page\n");
    }

    if (KiCommandLineHasOption("pv.selftest=stackoverflow"))
    {
        DbgPrint("ke: pv.selftest=stackoverflow: recursing on the boot stack\n");
        DbgPrint("ke: recursion returned %u\n", KiSelfTestRecurse(0));
    }

    if (KiCommandLineHasOption("pv.selftest=triplefault"))
    {
        static const struct { USHORT Limit; ULONG Base; } __attribute__((packed)) NoIdt = { 0, 0 };
        DbgPrint("ke: pv.selftest=triplefault: empty IDT, then int3\n");
        __asm__ volatile("lidt %0; int3" : : "m"(NoIdt));
    }

    Images = PsRunBootImages();
    DbgPrint("ke: %u image(s) run, available pages %u; shutting down\n", Images,
             MmAvailablePages);
    HvShutdown(Images);
}
