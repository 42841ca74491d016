/*
 * exc-veh - exceptions handled in user mode by vectored handlers (RtlAddVectoredExceptionHandler):
 * an access violation on a reserved page committed by the handler and retried (NT's record:
 * code, address, read/write flag, faulting address; the CONTEXT's registers and selectors), a
 * guard page (STATUS_GUARD_PAGE_VIOLATION once, then the page is plain), a divide error
 * resumed with a changed register, a breakpoint reported at the int3, the handlers' order
 * and removal, a fault inside a handler (nested, flagged), and hostile contexts: ring-0
 * selectors, IOPL and VM in EFLAGS are sanitized (the thread comes back in ring 3 without
 * I/O privilege), a kernel EIP only faults in ring 3, NtContinue refuses unreadable contexts
 * and foreign flags. Children: a handler that faults every time, and a context with a bad
 * or a kernel ESP, end their process with STATUS_ACCESS_VIOLATION instead of hanging.
 */
#include <ntapi.h>

static PVOID Reserved;              /* 3 pages reserved, committed by the handler */
static EXCEPTION_RECORD LastRecord;
static CONTEXT LastContext;
static ULONG Calls, FirstCalls, NestedSeen;
static ULONG Mode;
static ULONG RecoverEip;

enum { M_COMMIT = 1, M_SKIP_GUARD, M_DIVIDE, M_BREAK, M_HOSTILE, M_KERNEL_EIP, M_NESTED,
       M_ALWAYS_FAULT, M_BAD_ESP, M_KERNEL_ESP, M_SKIP };

static void Commit(ULONG Address)
{
    PVOID Base = (PVOID)(Address & ~0xFFFu);
    SIZE_T Size = 0x1000;

    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE), STATUS_SUCCESS, "handler: commit %p", Base);
}

static LONG NTAPI FirstHandler(PEXCEPTION_POINTERS Pointers)
{
    (void)Pointers;
    FirstCalls = Calls + 1;         /* called before Handler counts this exception */
    return EXCEPTION_CONTINUE_SEARCH;
}

static LONG NTAPI Handler(PEXCEPTION_POINTERS Pointers)
{
    PEXCEPTION_RECORD Record = Pointers->ExceptionRecord;
    PCONTEXT Context = Pointers->ContextRecord;
    ULONG Address = Record->ExceptionInformation[1];

    Calls++;
    if (Record->ExceptionFlags & EXCEPTION_NESTED_CALL)
        NestedSeen++;
    if (Mode == M_ALWAYS_FAULT)
        return *(volatile LONG *)0;                 /* faults every time */
    if (Mode == M_NESTED && Record->ExceptionCode == STATUS_ACCESS_VIOLATION &&
        Address == (ULONG)Reserved + 0x2000)
    {
        Commit(Address);                            /* the nested one */
        return EXCEPTION_CONTINUE_EXECUTION;
    }
    memcpy(&LastRecord, Record, sizeof(LastRecord));
    memcpy(&LastContext, Context, sizeof(LastContext));
    switch (Mode)
    {
    case M_COMMIT:
        Commit(Address);
        return EXCEPTION_CONTINUE_EXECUTION;
    case M_SKIP_GUARD:
        return EXCEPTION_CONTINUE_EXECUTION;        /* the guard is gone: the retry reads */
    case M_DIVIDE:
        Context->Ecx = 5;
        return EXCEPTION_CONTINUE_EXECUTION;
    case M_BREAK:
        Context->Eip++;                             /* past the int3 */
        return EXCEPTION_CONTINUE_EXECUTION;
    case M_HOSTILE:
        Context->SegCs = 0x08;
        Context->SegSs = Context->SegDs = Context->SegEs = 0x10;
        Context->SegFs = 0x28;
        Context->EFlags |= 0x3000 | 0x20000 | 0x4000;   /* IOPL 3, VM, NT */
        Context->EFlags &= ~0x200u;                     /* IF off */
        Context->Eip++;                                 /* past the int3 */
        return EXCEPTION_CONTINUE_EXECUTION;
    case M_KERNEL_EIP:
        if (Record->ExceptionCode == STATUS_BREAKPOINT)
        {
            Context->Eip = 0x80100000;
            return EXCEPTION_CONTINUE_EXECUTION;
        }
        Context->Eip = RecoverEip;                      /* the AV at the kernel address */
        return EXCEPTION_CONTINUE_EXECUTION;
    case M_NESTED:
        (void)*(volatile ULONG *)((ULONG)Reserved + 0x2000);   /* faults in the handler */
        Commit(Address);
        return EXCEPTION_CONTINUE_EXECUTION;
    case M_BAD_ESP:
    case M_KERNEL_ESP:
        Context->Esp = Mode == M_BAD_ESP ? 0x10 : 0x80001000;
        Context->Eip++;
        return EXCEPTION_CONTINUE_EXECUTION;
    case M_SKIP:
        Context->Eip++;                                 /* a one-byte instruction (cli) */
        return EXCEPTION_CONTINUE_EXECUTION;
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

static NTSTATUS ChildStatus(const char *Arguments)
{
    HANDLE Process;
    PROCESS_BASIC_INFORMATION Info;

    check_status(PvCreateProcess("exc-veh", Arguments, &Process), STATUS_SUCCESS,
                 "start a child: %s", Arguments);
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_SUCCESS, "wait for it");
    check_status(NtQueryInformationProcess(Process, ProcessBasicInformation, &Info,
                                           sizeof(Info), NULL), STATUS_SUCCESS, "query it");
    NtClose(Process);
    return Info.ExitStatus;
}

static void Child(const char *What)
{
    RtlAddVectoredExceptionHandler(0, Handler);
    if (strcmp(What, "always-fault") == 0)
    {
        Mode = M_ALWAYS_FAULT;
        (void)*(volatile ULONG *)Reserved;
    }
    else if (strcmp(What, "bad-esp") == 0 || strcmp(What, "kernel-esp") == 0)
    {
        Mode = strcmp(What, "bad-esp") == 0 ? M_BAD_ESP : M_KERNEL_ESP;
        __asm__ volatile("int3\n\tpushl $0\n\tpopl %%eax" ::: "eax", "memory");
    }
    msg("child %s: still running: FAILED", What);
}

int main(int argc, char **argv)
{
    SIZE_T Size = 0x3000;
    PVOID Handle0, Handle1, GuardBase = NULL;
    ULONG Value, Quotient, Cs, Ds, EFlags, Before;
    volatile ULONG *Page;
    CONTEXT Bad;

    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Reserved, 0, &Size, MEM_RESERVE,
                                         PAGE_READWRITE), STATUS_SUCCESS, "reserve 3 pages");
    if (argc > 1)
    {
        Child(argv[1]);
        return 1;
    }
    msg("begin");
    Handle1 = RtlAddVectoredExceptionHandler(0, Handler);
    Handle0 = RtlAddVectoredExceptionHandler(1, FirstHandler);
    CHECK(Handle0 != NULL && Handle1 != NULL, "two vectored handlers");

    /* A write to a reserved page: committed by the handler, the store retried. */
    Mode = M_COMMIT;
    Page = (volatile ULONG *)Reserved;
    Page[1] = 0x1234;
    CHECK(Calls == 1 && Page[1] == 0x1234, "a write to a reserved page: handled, retried, 0x%X",
          Page[1]);
    CHECK(FirstCalls == 1, "the handler added first ran first");
    CHECK(LastRecord.ExceptionCode == STATUS_ACCESS_VIOLATION && LastRecord.NumberParameters == 2 &&
          LastRecord.ExceptionInformation[0] == EXCEPTION_WRITE_FAULT &&
          LastRecord.ExceptionInformation[1] == (ULONG)Reserved + 4,
          "record: 0x%08X, %u parameters, [0]=%u (write), [1]=0x%08X",
          (ULONG)LastRecord.ExceptionCode, LastRecord.NumberParameters,
          (ULONG)LastRecord.ExceptionInformation[0], (ULONG)LastRecord.ExceptionInformation[1]);
    CHECK((ULONG)LastRecord.ExceptionAddress == LastContext.Eip &&
          (LastContext.ContextFlags & CONTEXT_FULL) == CONTEXT_FULL &&
          LastContext.SegCs == 0x1B && LastContext.SegSs == 0x23 && LastContext.SegDs == 0x23 &&
          (LastContext.EFlags & 0x200) != 0,
          "context: eip is the faulting instruction, cs 0x%X ss 0x%X ds 0x%X, interrupts on",
          LastContext.SegCs, LastContext.SegSs, LastContext.SegDs);

    /* A read: [0] = 0. */
    Value = *(volatile ULONG *)((ULONG)Reserved + 0x1008);
    CHECK(Calls == 2 && Value == 0 && LastRecord.ExceptionInformation[0] == EXCEPTION_READ_FAULT &&
          LastRecord.ExceptionInformation[1] == (ULONG)Reserved + 0x1008,
          "a read of a reserved page: [0]=0 (read), committed, reads 0");

    check_status(RtlRemoveVectoredExceptionHandler(Handle0) == 1 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL,
                 STATUS_SUCCESS, "remove the first handler");
    CHECK(RtlRemoveVectoredExceptionHandler(Handle0) == 0, "removing it again finds nothing");

    /* A guard page: raised once, then the page is plain. */
    Size = 0x1000;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &GuardBase, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD),
                 STATUS_SUCCESS, "commit a guard page");
    Mode = M_SKIP_GUARD;
    Value = *(volatile ULONG *)GuardBase;
    CHECK(Calls == 3 && LastRecord.ExceptionCode == STATUS_GUARD_PAGE_VIOLATION &&
          LastRecord.ExceptionInformation[1] == (ULONG)GuardBase,
          "a guard page: STATUS_GUARD_PAGE_VIOLATION (0x%08X) at its address",
          (ULONG)LastRecord.ExceptionCode);
    Value = *(volatile ULONG *)GuardBase;
    CHECK(Calls == 3, "read again: no exception (one-shot)");

    /* Divide by zero, resumed with ECX changed to 5. */
    Mode = M_DIVIDE;
    __asm__ volatile("xorl %%ecx, %%ecx\n\txorl %%edx, %%edx\n\tdivl %%ecx"
                     : "=a"(Quotient) : "a"(100) : "ecx", "edx");
    CHECK(Calls == 4 && LastRecord.ExceptionCode == STATUS_INTEGER_DIVIDE_BY_ZERO &&
          Quotient == 20, "divide by zero: 0x%08X, resumed with ecx 5: 100 / 5 = %u",
          (ULONG)LastRecord.ExceptionCode, Quotient);

    /* int3: reported at the int3, resumed past it. */
    Mode = M_BREAK;
    __asm__ volatile("int3\n\tnop");
    CHECK(Calls == 5 && LastRecord.ExceptionCode == STATUS_BREAKPOINT &&
          *(UCHAR *)LastRecord.ExceptionAddress == 0xCC &&
          LastContext.Eip == (ULONG)LastRecord.ExceptionAddress,
          "int3: STATUS_BREAKPOINT at the int3 itself");

    /* Ring-0 selectors, IOPL 3, VM and NT, IF off: the thread comes back as it was. */
    Mode = M_HOSTILE;
    __asm__ volatile("int3");
    __asm__ volatile("movl %%cs, %0\n\tmovl %%ds, %1\n\tpushfl\n\tpopl %2"
                     : "=r"(Cs), "=r"(Ds), "=r"(EFlags));
    CHECK(Calls == 6 && (Cs & 0xFFFF) == 0x1B && (Ds & 0xFFFF) == 0x23 &&
          (EFlags & 0x3000) == 0 && (EFlags & 0x24200) == 0x200,
          "ring-0 selectors, IOPL 3, VM, NT, IF off in a context: resumed in ring 3 "
          "(cs 0x%X ds 0x%X eflags 0x%X)", Cs & 0xFFFF, Ds & 0xFFFF, EFlags);
    Mode = M_SKIP;
    __asm__ volatile("cli");
    CHECK(Calls == 7 && LastRecord.ExceptionCode == STATUS_PRIVILEGED_INSTRUCTION,
          "cli still raises STATUS_PRIVILEGED_INSTRUCTION: no I/O privilege");

    /* A kernel EIP only faults, in ring 3. */
    Mode = M_KERNEL_EIP;
    __asm__ volatile("movl $1f, %0\n\tint3\n1:" : "=m"(RecoverEip) : : "memory");
    CHECK(Calls == 9 && LastRecord.ExceptionCode == STATUS_ACCESS_VIOLATION &&
          LastRecord.ExceptionInformation[0] == EXCEPTION_EXECUTE_FAULT &&
          LastRecord.ExceptionInformation[1] == 0x80100000,
          "eip 0x80100000 in a context: an access violation executing it, in ring 3");

    /* A fault inside the handler: dispatched nested, then the first one completes. */
    Mode = M_NESTED;
    Before = Calls;
    Page = (volatile ULONG *)((ULONG)Reserved + 0x1000);
    Page[0] = 7;    /* committed already: no exception */
    Page = (volatile ULONG *)Reserved;
    Size = 0x1000;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), (PVOID *)&Page, &Size, MEM_DECOMMIT),
                 STATUS_SUCCESS, "decommit the first page");
    Page[2] = 9;
    CHECK(Calls == Before + 2 && NestedSeen == 1 && Page[2] == 9,
          "a fault in the handler: handled nested (EXCEPTION_NESTED_CALL), then the first");

    /* NtContinue refuses what it cannot use, and nothing changes. */
    check_status(NtContinue((PCONTEXT)0x80000000, FALSE), STATUS_ACCESS_VIOLATION,
                 "NtContinue with a kernel address");
    memset(&Bad, 0, sizeof(Bad));
    Bad.ContextFlags = 0x7;
    check_status(NtContinue(&Bad, FALSE), STATUS_INVALID_PARAMETER,
                 "NtContinue with flags that are not CONTEXT_i386's");

    CHECK(ChildStatus("always-fault") == STATUS_ACCESS_VIOLATION,
          "a handler that faults every time: its process ends with STATUS_ACCESS_VIOLATION");
    CHECK(ChildStatus("bad-esp") == STATUS_ACCESS_VIOLATION,
          "a context with esp 0x10: its process ends with STATUS_ACCESS_VIOLATION");
    CHECK(ChildStatus("kernel-esp") == STATUS_ACCESS_VIOLATION,
          "a context with esp 0x80001000: its process ends with STATUS_ACCESS_VIOLATION");
    msg("end");
    return 0;
}
