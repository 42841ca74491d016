/*
 * tokyo-vm - Experiment 1's program (README, "Experiment 1"): a stub that reserves, without
 * committing, the range its code runs in (TOKYO_CODE_BASE) and a stack (TOKYO_STACK_BASE),
 * then moves to that stack and calls the code with the argument. Nothing is there: run alone,
 * its first push faults and the process ends with an access violation, having printed
 * nothing. Run under fault-launcher, every page of code and stack arrives by a fault the
 * launcher handles, and it prints f(N). (Which function is f?)
 */
#include <ntapi.h>
#include "tokyo/tokyo.h"

static const TOKYO_SERVICES Services = { PvDisplayString };
static ULONG SavedEsp;

static ULONG ParseNumber(const char *Text)
{
    ULONG Value = 0;

    while (*Text >= '0' && *Text <= '9')
        Value = Value * 10 + (ULONG)(*Text++ - '0');
    return Value;
}

int main(int argc, char **argv)
{
    PVOID Code = (PVOID)TOKYO_CODE_BASE, Stack = (PVOID)TOKYO_STACK_BASE;
    SIZE_T CodeSize = TOKYO_CODE_SIZE, StackSize = TOKYO_STACK_SIZE;
    ULONG Argument = argc > 1 ? ParseNumber(argv[1]) : 10;

    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Code, 0, &CodeSize,
                                            MEM_RESERVE, PAGE_EXECUTE_READWRITE)) ||
        !NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Stack, 0, &StackSize,
                                            MEM_RESERVE, PAGE_READWRITE)))
        return 2;
    /* On the reserved stack: push the arguments, call the code, come back. */
    __asm__ volatile("movl %%esp, %0\n\t"
                     "movl %1, %%esp\n\t"
                     "pushl %%ebx\n\t"
                     "pushl %%esi\n\t"
                     "movl %2, %%eax\n\t"
                     "call *%%eax\n\t"
                     "movl %0, %%esp"
                     : "+m"(SavedEsp)
                     : "i"(TOKYO_STACK_BASE + TOKYO_STACK_SIZE), "i"(TOKYO_CODE_BASE),
                       "b"(Argument), "S"(&Services)
                     : "eax", "ecx", "edx", "memory");
    return 0;
}
