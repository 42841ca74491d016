/*
 * proc-child - child processes: the parent starts itself as a child with arguments
 * (PvCreateProcess), waits on the process handle and reads its exit status; an unknown image
 * and bad arguments are refused; a child that sleeps forever is ended by the parent with
 * NtTerminateProcess and reports that status; a wait with a timeout on a running child times
 * out; the child's own view: it has a parent id and its own arguments.
 * Expected: the parent's steps, the children's lines (interleaved), end; the exit lines.
 * ORDER-ANY
 */
#include <ntapi.h>

static int Child(int argc, char **argv)
{
    if (strcmp(argv[1], "sleeper") == 0)
    {
        LARGE_INTEGER Forever = -(10000000LL * 3600);
        NtDelayExecution(FALSE, &Forever);
        return 1;
    }
    CHECK(argc == 3 && strcmp(argv[2], "seven") == 0, "child: argv[2] is \"%s\"", argv[2]);
    return 7;
}

static NTSTATUS ExitStatusOf(HANDLE Process)
{
    PROCESS_BASIC_INFORMATION Info;
    ULONG Length = 0;

    check_status(NtQueryInformationProcess(Process, ProcessBasicInformation, &Info,
                                           sizeof(Info), &Length),
                 STATUS_SUCCESS, "query it");
    CHECK(Length == sizeof(Info) && Info.InheritedFromUniqueProcessId != 0,
          "its parent is a process");
    return Info.ExitStatus;
}

int main(int argc, char **argv)
{
    HANDLE Process;
    LARGE_INTEGER Short = -100000;   /* 10 ms */

    if (argc > 1)
        return Child(argc, argv);
    msg("begin");
    check_status(PvCreateProcess("no-such-image", NULL, &Process), STATUS_OBJECT_NAME_NOT_FOUND,
                 "an unknown image");
    check_status(PvCreateProcess("proc-child", NULL, NULL), STATUS_INVALID_PARAMETER_3,
                 "no handle pointer");
    check_status(PvCreateProcess((const char *)0x10, NULL, &Process), STATUS_ACCESS_VIOLATION,
                 "an unreadable image name");
    check_status(PvCreateProcess("proc-child", "child seven", &Process), STATUS_SUCCESS,
                 "start a child");
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_SUCCESS, "wait for it");
    CHECK(ExitStatusOf(Process) == 7, "it exited with 7");
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_SUCCESS,
                 "waiting again returns at once");
    NtClose(Process);

    check_status(PvCreateProcess("proc-child", "sleeper", &Process), STATUS_SUCCESS,
                 "start a child that sleeps for an hour");
    check_status(NtWaitForSingleObject(Process, FALSE, &Short), STATUS_TIMEOUT,
                 "a 10 ms wait for it times out");
    CHECK(ExitStatusOf(Process) == STILL_ACTIVE, "it is still active");
    check_status(NtTerminateProcess(Process, 0xDEAD), STATUS_SUCCESS, "terminate it");
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_SUCCESS, "wait for it");
    CHECK(ExitStatusOf(Process) == 0xDEAD, "it ended with 0xDEAD");
    check_status(NtTerminateProcess(Process, 1), STATUS_PROCESS_IS_TERMINATING,
                 "terminating it again");
    NtClose(Process);
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_INVALID_HANDLE,
                 "the closed handle is gone");
    msg("end");
    return 0;
}
