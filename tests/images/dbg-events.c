/*
 * dbg-events - debug objects: a parent debugs children of itself. Checked: NtCreateDebugObject's
 * flags, the handle's access rights (a handle without DEBUG_OBJECT_WAIT_STATE_CHANGE cannot
 * wait, one without DEBUG_OBJECT_ADD_REMOVE_PROCESS cannot attach), a timed wait on no events,
 * NtDebugContinue's statuses and client ids, no debugging of oneself; the events of a child
 * (its creation before its first instruction, a breakpoint at the int3 with its registers
 * from NtGetContextThread, moved on with NtSetContextThread, an access violation passed on
 * with DBG_EXCEPTION_NOT_HANDLED: first chance, then second chance, then its exit with
 * 0xC0000005), a child ended with DBG_TERMINATE_PROCESS, and a thread handle that is not a
 * process handle.
 */
#include <ntapi.h>

static int Child(const char *What)
{
    if (strcmp(What, "breakpoint") == 0)
    {
        __asm__ volatile("int3\n\tnop");
        msg("child: past the breakpoint");
        return 5;
    }
    {
        volatile ULONG *Address = (volatile ULONG *)0x10;

        __asm__("" : "+r"(Address));    /* "fault": a read of 0x10 */
        (void)*Address;
    }
    return 1;
}

static void WaitFor(HANDLE Debug, DBGUI_WAIT_STATE_CHANGE *Change, DBG_STATE State, const char *What)
{
    check_status(NtWaitForDebugEvent(Debug, FALSE, NULL, Change), STATUS_SUCCESS, "wait: %s", What);
    CHECK(Change->NewState == State, "event: state %u (%s)", (ULONG)Change->NewState, What);
}

int main(int argc, char **argv)
{
    HANDLE Debug, WaitOnly, AddOnly, Process, Thread;
    DBGUI_WAIT_STATE_CHANGE Change;
    CLIENT_ID Nobody = { (HANDLE)12345, (HANDLE)12345 };
    LARGE_INTEGER Short = -100000;
    CONTEXT Context;
    EXCEPTION_RECORD *Record = &Change.StateInfo.Exception.ExceptionRecord;

    if (argc > 1)
        return Child(argv[1]);
    msg("begin");
    check_status(NtCreateDebugObject(&Debug, DEBUG_OBJECT_ALL_ACCESS, NULL, 0x2),
                 STATUS_INVALID_PARAMETER, "a flag that does not exist");
    check_status(NtCreateDebugObject(&Debug, DEBUG_OBJECT_ALL_ACCESS, NULL, 0), STATUS_SUCCESS,
                 "a debug object");
    check_status(NtCreateDebugObject(&AddOnly, DEBUG_OBJECT_ADD_REMOVE_PROCESS, NULL, 0),
                 STATUS_SUCCESS, "one with add/remove rights only");
    check_status(NtCreateDebugObject(&WaitOnly, DEBUG_OBJECT_WAIT_STATE_CHANGE, NULL, 0),
                 STATUS_SUCCESS, "one with wait rights only");
    check_status(NtWaitForDebugEvent(AddOnly, FALSE, &Short, &Change), STATUS_ACCESS_DENIED,
                 "waiting without DEBUG_OBJECT_WAIT_STATE_CHANGE");
    check_status(PvCreateProcessEx("dbg-events", "breakpoint", WaitOnly, &Process, &Thread),
                 STATUS_ACCESS_DENIED, "attaching without DEBUG_OBJECT_ADD_REMOVE_PROCESS");
    check_status(NtWaitForDebugEvent(Debug, FALSE, &Short, &Change), STATUS_TIMEOUT,
                 "a 10 ms wait with no debuggee");
    check_status(NtDebugContinue(Debug, &Nobody, 0x1234), STATUS_INVALID_PARAMETER,
                 "a continue status that does not exist");
    check_status(NtDebugContinue(Debug, &Nobody, DBG_CONTINUE), STATUS_INVALID_PARAMETER,
                 "a client id with no event");
    check_status(NtDebugActiveProcess(NtCurrentProcess(), Debug), STATUS_ACCESS_DENIED,
                 "debugging oneself");

    /* A breakpoint: reported at the int3, moved past it by the debugger. */
    check_status(PvCreateProcessEx("dbg-events", "breakpoint", Debug, &Process, &Thread),
                 STATUS_SUCCESS, "start a debugged child");
    check_status(NtDebugActiveProcess(Process, Debug), STATUS_PORT_ALREADY_SET,
                 "attach it again");
    WaitFor(Debug, &Change, DbgCreateProcessStateChange, "its creation");
    Context.ContextFlags = CONTEXT_FULL;
    check_status(NtGetContextThread(Thread, &Context), STATUS_SUCCESS, "its registers");
    CHECK(Context.Eip == (ULONG)Change.StateInfo.CreateProcessInfo.NewProcess.InitialThread.StartAddress &&
          Context.SegCs == 0x1B, "stopped before its first instruction, at its entry point");
    check_status(NtGetContextThread(Process, &Context), STATUS_OBJECT_TYPE_MISMATCH,
                 "a process handle is not a thread handle");
    check_status(NtDebugContinue(Debug, &Change.AppClientId, DBG_CONTINUE), STATUS_SUCCESS,
                 "let it run");
    WaitFor(Debug, &Change, DbgBreakpointStateChange, "a breakpoint");
    check_status(NtGetContextThread(Thread, &Context), STATUS_SUCCESS, "its registers");
    CHECK(Record->ExceptionCode == STATUS_BREAKPOINT && Change.StateInfo.Exception.FirstChance &&
          Context.Eip == (ULONG)Record->ExceptionAddress,
          "STATUS_BREAKPOINT, first chance, eip at the int3");
    Context.Eip++;
    check_status(NtSetContextThread(Thread, &Context), STATUS_SUCCESS, "move eip past it");
    check_status(NtDebugContinue(Debug, &Change.AppClientId, DBG_CONTINUE), STATUS_SUCCESS,
                 "continue");
    WaitFor(Debug, &Change, DbgExitProcessStateChange, "its exit");
    CHECK(Change.StateInfo.ExitProcess.ExitStatus == 5, "it exited with 5");
    check_status(NtDebugContinue(Debug, &Change.AppClientId, DBG_CONTINUE), STATUS_SUCCESS,
                 "answer the exit");
    NtClose(Thread);
    NtClose(Process);

    /* An access violation nobody handles: first chance, second chance, the end. */
    check_status(PvCreateProcessEx("dbg-events", "fault", Debug, &Process, NULL), STATUS_SUCCESS,
                 "start a child that faults");
    WaitFor(Debug, &Change, DbgCreateProcessStateChange, "its creation");
    NtDebugContinue(Debug, &Change.AppClientId, DBG_CONTINUE);
    WaitFor(Debug, &Change, DbgExceptionStateChange, "first chance");
    CHECK(Record->ExceptionCode == STATUS_ACCESS_VIOLATION && Change.StateInfo.Exception.FirstChance &&
          Record->ExceptionInformation[1] == 0x10, "an access violation at 0x10, first chance");
    NtDebugContinue(Debug, &Change.AppClientId, DBG_EXCEPTION_NOT_HANDLED);
    WaitFor(Debug, &Change, DbgExceptionStateChange, "second chance");
    CHECK(!Change.StateInfo.Exception.FirstChance, "second chance");
    NtDebugContinue(Debug, &Change.AppClientId, DBG_EXCEPTION_NOT_HANDLED);
    WaitFor(Debug, &Change, DbgExitProcessStateChange, "its exit");
    CHECK(Change.StateInfo.ExitProcess.ExitStatus == STATUS_ACCESS_VIOLATION,
          "it ended with STATUS_ACCESS_VIOLATION");
    NtDebugContinue(Debug, &Change.AppClientId, DBG_CONTINUE);
    NtClose(Process);

    /* DBG_TERMINATE_PROCESS. */
    check_status(PvCreateProcessEx("dbg-events", "fault", Debug, &Process, NULL), STATUS_SUCCESS,
                 "start another");
    WaitFor(Debug, &Change, DbgCreateProcessStateChange, "its creation");
    NtDebugContinue(Debug, &Change.AppClientId, DBG_CONTINUE);
    WaitFor(Debug, &Change, DbgExceptionStateChange, "its fault");
    check_status(NtDebugContinue(Debug, &Change.AppClientId, DBG_TERMINATE_PROCESS),
                 STATUS_SUCCESS, "answer DBG_TERMINATE_PROCESS");
    WaitFor(Debug, &Change, DbgExitProcessStateChange, "its exit");
    CHECK(Change.StateInfo.ExitProcess.ExitStatus == DBG_TERMINATE_PROCESS,
          "it ended with DBG_TERMINATE_PROCESS (0x%08X)",
          (ULONG)Change.StateInfo.ExitProcess.ExitStatus);
    NtDebugContinue(Debug, &Change.AppClientId, DBG_CONTINUE);
    NtClose(Process);
    NtClose(Debug);
    NtClose(AddOnly);
    NtClose(WaitOnly);
    msg("end");
    return 0;
}
