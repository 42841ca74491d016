/*
 * fault-launcher - Experiment 1's handler, as a debugger: starts a program (argv[1], with
 * the rest of the command line as its arguments) as a debugged child (NtCreateDebugObject,
 * PvCreateProcessEx) and handles each page fault it takes, as a debug event: from the
 * child's registers (NtGetContextThread) and the record it decides what the fault is, and
 * for the two kinds tokyo-vm takes it builds the page: a demand-zero stack page (commit it
 * in the child) or a page of code (commit it, copy that page of tokyo-vm's code from the blob
 * this image carries with NtWriteVirtualMemory, NtFlushInstructionCache), then lets the
 * child retry (DBG_CONTINUE). Anything else goes back to the child (DBG_EXCEPTION_NOT_HANDLED).
 * At the child's exit it prints the exit status and the faults it handled, by kind.
 *   pagevisor run --child tokyo-vm.elf fault-launcher.elf tokyo-vm 10
 */
#include <ntapi.h>
#include "tokyo/tokyo.h"

#include "tokyo/blob.h"

static const char *Kind(ULONG Information)
{
    return Information == EXCEPTION_EXECUTE_FAULT ? "executing"
         : Information == EXCEPTION_WRITE_FAULT ? "writing" : "reading";
}

static NTSTATUS CommitInChild(HANDLE Process, ULONG Page, ULONG Protect)
{
    PVOID Base = (PVOID)Page;
    SIZE_T Size = TOKYO_PAGE_SIZE;

    return NtAllocateVirtualMemory(Process, &Base, 0, &Size, MEM_COMMIT, Protect);
}

int main(int argc, char **argv)
{
    HANDLE Debug, Process, Thread;
    DBGUI_WAIT_STATE_CHANGE Change;
    CONTEXT Context;
    char Arguments[200];
    ULONG i, Length = 0, StackFaults = 0, CodeFaults = 0, Other = 0;
    ULONG BlobSize = (ULONG)(TokyoBlobEnd - TokyoBlob);
    NTSTATUS Status, Reply;

    if (argc < 2)
    {
        PvPrint("usage: fault-launcher IMAGE [ARGUMENTS...]\n");
        return 2;
    }
    Arguments[0] = '\0';
    for (i = 2; i < (ULONG)argc; i++)
        Length += RtlFormatString(Arguments + Length, sizeof(Arguments) - Length, "%s%s",
                                  i > 2 ? " " : "", argv[i]);
    Status = NtCreateDebugObject(&Debug, DEBUG_OBJECT_ALL_ACCESS, NULL, DBGK_KILL_PROCESS_ON_EXIT);
    if (NT_SUCCESS(Status))
        Status = PvCreateProcessEx(argv[1], Arguments, Debug, &Process, &Thread);
    if (!NT_SUCCESS(Status))
    {
        PvPrint("fault-launcher: cannot start %s: 0x%08X\n", argv[1], (ULONG)Status);
        return 1;
    }
    for (;;)
    {
        Status = NtWaitForDebugEvent(Debug, FALSE, NULL, &Change);
        if (!NT_SUCCESS(Status))
        {
            PvPrint("fault-launcher: NtWaitForDebugEvent: 0x%08X\n", (ULONG)Status);
            return 1;
        }
        Reply = DBG_CONTINUE;
        if (Change.NewState == DbgCreateProcessStateChange)
            PvPrint("fault-launcher: %s started (pid %u), image at 0x%08X\n", argv[1],
                    (ULONG)Change.AppClientId.UniqueProcess,
                    (ULONG)Change.StateInfo.CreateProcessInfo.NewProcess.BaseOfImage);
        else if (Change.NewState == DbgExitProcessStateChange)
            break;
        else
        {
            EXCEPTION_RECORD *Record = &Change.StateInfo.Exception.ExceptionRecord;
            ULONG Address = Record->ExceptionInformation[1], Page = Address & ~(TOKYO_PAGE_SIZE - 1);

            Context.ContextFlags = CONTEXT_CONTROL;
            Status = NtGetContextThread(Thread, &Context);
            if (!Change.StateInfo.Exception.FirstChance ||
                Record->ExceptionCode != STATUS_ACCESS_VIOLATION || !NT_SUCCESS(Status))
            {
                Other++;
                Reply = DBG_EXCEPTION_NOT_HANDLED;
            }
            else if (Page - TOKYO_STACK_BASE < TOKYO_STACK_SIZE && Address < Context.Esp + 64)
            {
                /* At or just below the stack pointer, inside the stack: a stack page. */
                StackFaults++;
                PvPrint("fault-launcher: stack fault %s 0x%08X (esp 0x%08X): commit a zero page\n",
                        Kind(Record->ExceptionInformation[0]), Address, Context.Esp);
                Status = CommitInChild(Process, Page, PAGE_READWRITE);
                if (!NT_SUCCESS(Status))
                    Reply = DBG_EXCEPTION_NOT_HANDLED;
            }
            else if (Page - TOKYO_CODE_BASE < TOKYO_CODE_SIZE && Page - TOKYO_CODE_BASE < BlobSize)
            {
                ULONG Offset = Page - TOKYO_CODE_BASE;
                SIZE_T Copy = BlobSize - Offset < TOKYO_PAGE_SIZE ? BlobSize - Offset : TOKYO_PAGE_SIZE, Done = 0;

                CodeFaults++;
                PvPrint("fault-launcher: code fault %s 0x%08X (eip 0x%08X): page %u of the code\n",
                        Kind(Record->ExceptionInformation[0]), Address, Context.Eip,
                        Offset / TOKYO_PAGE_SIZE);
                Status = CommitInChild(Process, Page, PAGE_EXECUTE_READWRITE);
                if (NT_SUCCESS(Status))
                    Status = NtWriteVirtualMemory(Process, (PVOID)Page, TokyoBlob + Offset, Copy,
                                                  &Done);
                if (NT_SUCCESS(Status))
                    Status = NtFlushInstructionCache(Process, (PVOID)Page, TOKYO_PAGE_SIZE);
                if (!NT_SUCCESS(Status) || Done != Copy)
                {
                    PvPrint("fault-launcher: paging in the code failed: 0x%08X\n", (ULONG)Status);
                    Reply = DBG_EXCEPTION_NOT_HANDLED;
                }
            }
            else
            {
                Other++;
                Reply = DBG_EXCEPTION_NOT_HANDLED;
            }
        }
        Status = NtDebugContinue(Debug, &Change.AppClientId, Reply);
        if (!NT_SUCCESS(Status))
        {
            PvPrint("fault-launcher: NtDebugContinue: 0x%08X\n", (ULONG)Status);
            return 1;
        }
    }
    PvPrint("fault-launcher: %s exited with 0x%08X\n", argv[1],
            (ULONG)Change.StateInfo.ExitProcess.ExitStatus);
    PvPrint("fault-launcher: faults handled: %u demand-zero stack, %u demand-page code, "
            "%u passed on\n", StackFaults, CodeFaults, Other);
    NtClose(Thread);
    NtClose(Process);
    NtClose(Debug);
    return Change.StateInfo.ExitProcess.ExitStatus == 0 ? 0 : 1;
}
