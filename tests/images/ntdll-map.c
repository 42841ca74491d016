/*
 * ntdll-map - the system DLL in every process: 0x77F60000 is an image view (MEM_IMAGE, its
 * code PAGE_EXECUTE_READ); the image's NtClose is a jump through its import table, which the
 * loader filled with the address of ntdll's NtClose stub (mov eax, 8; ...: service 8); a child
 * (this image, "child FRAME") finds that stub's code on the same physical frame as the
 * parent; and images whose imports cannot be bound are not started: one importing a name ntdll
 * does not export (STATUS_ENTRYPOINT_NOT_FOUND), one whose import table names a string outside
 * its file (STATUS_INVALID_IMAGE_FORMAT).
 * Run with --child ntdll-noexport.elf --child ntdll-badname.elf.
 * NEEDS-OWN-BOOT
 * Expected: the lines below; "ntdll-map: exit(0)" twice (the child first).
 */
#include <ntapi.h>

#define NTDLL_BASE 0x77F60000u

/* Where the image's NtClose thunk (jmp dword ptr [slot]) goes. */
static ULONG StubOf(const void *Thunk)
{
    const UCHAR *Code = Thunk;

    if (Code[0] != 0xFF || Code[1] != 0x25)
        fail("NtClose is not a jump through the import table: %02X %02X", Code[0], Code[1]);
    return **(ULONG *const *)(Code + 2);
}

static ULONG FrameOf(ULONG Address)
{
    ULONG Frame = 0;

    (void)*(const volatile UCHAR *)(ULONG_PTR)Address;
    if (PvQueryPhysicalPage((PVOID)(ULONG_PTR)Address, &Frame) != STATUS_SUCCESS || Frame == 0)
        fail("no frame behind 0x%08lX", (unsigned long)Address);
    return Frame;
}

static ULONG ParseHex(const char *Text)
{
    ULONG Value = 0;

    for (; *Text; Text++)
        Value = Value * 16 + (ULONG)(*Text <= '9' ? *Text - '0' : (*Text | 0x20) - 'a' + 10);
    return Value;
}

int main(int argc, char **argv)
{
    MEMORY_BASIC_INFORMATION Info;
    PROCESS_BASIC_INFORMATION Basic;
    char Arguments[32];
    const UCHAR *Stub;
    HANDLE Child;
    SIZE_T Length;
    ULONG Frame;

    if (argc > 2 && strcmp(argv[1], "child") == 0)
        return FrameOf(StubOf((const void *)(ULONG_PTR)&NtClose)) == ParseHex(argv[2]) ? 0 : 1;
    msg("begin");
    check_status(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)NTDLL_BASE,
                                      MemoryBasicInformation, &Info, sizeof(Info), &Length),
                 STATUS_SUCCESS, "query 0x77F60000");
    CHECK(Info.Type == MEM_IMAGE && Info.State == MEM_COMMIT &&
          Info.Protect == PAGE_EXECUTE_READ && Info.AllocationBase == (PVOID)NTDLL_BASE &&
          Info.AllocationProtect == PAGE_EXECUTE_WRITECOPY,
          "ntdll is an image view at 0x77F60000, its code PAGE_EXECUTE_READ");
    Stub = (const UCHAR *)(ULONG_PTR)StubOf((const void *)(ULONG_PTR)&NtClose);
    CHECK((ULONG_PTR)Stub >= NTDLL_BASE && (ULONG_PTR)Stub < NTDLL_BASE + 0x10000,
          "the image's NtClose jumps into ntdll");
    CHECK(Stub[0] == 0xB8 && Stub[1] == 0x08 && Stub[2] == 0 && Stub[3] == 0 && Stub[4] == 0,
          "to a stub that asks for service 8 (NtClose)");

    Frame = FrameOf((ULONG)(ULONG_PTR)Stub);
    RtlFormatString(Arguments, sizeof(Arguments), "child %lx", (unsigned long)Frame);
    check_status(PvCreateProcess("ntdll-map", Arguments, &Child), STATUS_SUCCESS,
                 "start a child");
    check_status(NtWaitForSingleObject(Child, FALSE, NULL), STATUS_SUCCESS, "wait for it");
    check_status(NtQueryInformationProcess(Child, ProcessBasicInformation, &Basic,
                                           sizeof(Basic), NULL), STATUS_SUCCESS, "query it");
    CHECK(Basic.ExitStatus == 0, "the child found ntdll's code on the parent's frame");
    NtClose(Child);

    check_status(PvCreateProcess("ntdll-noexport", NULL, &Child), STATUS_ENTRYPOINT_NOT_FOUND,
                 "an image importing a name ntdll does not export is not started");
    check_status(PvCreateProcess("ntdll-badname", NULL, &Child), STATUS_INVALID_IMAGE_FORMAT,
                 "an image whose import names lie outside its file is not started");
    msg("end");
    return 0;
}
