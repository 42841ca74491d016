/*
 * page-parallel - port of Pintos' page-parallel, with its children truly concurrent: four
 * child-linear processes started at once (PvCreateProcess, child-linear loaded with
 * `--child`), each encrypting and decrypting its own 1 MiB in small RAM, so that all four
 * page through the pagefile at the same time; the parent waits for each and checks its exit
 * status (0x42).
 * Expected (lines of the children interleave): the parent's begin, four starts, four waits with
 * status 0x42, end; four times child-linear's begin/check/end/exit.
 */
#include <ntapi.h>

#define CHILD_CNT 4

int main(void)
{
    static const char *Keys[CHILD_CNT] = { "key0", "key1", "key2", "key3" };
    HANDLE Children[CHILD_CNT];
    PROCESS_BASIC_INFORMATION Info;
    ULONG i, Length;

    msg("begin");
    for (i = 0; i < CHILD_CNT; i++)
        check_status(PvCreateProcess("child-linear", Keys[i], &Children[i]), STATUS_SUCCESS,
                     "start child-linear %s", Keys[i]);
    for (i = 0; i < CHILD_CNT; i++)
    {
        check_status(NtWaitForSingleObject(Children[i], FALSE, NULL), STATUS_SUCCESS,
                     "wait for child %lu", (unsigned long)i);
        check_status(NtQueryInformationProcess(Children[i], ProcessBasicInformation, &Info,
                                               sizeof(Info), &Length),
                     STATUS_SUCCESS, "query child %lu", (unsigned long)i);
        CHECK(Info.ExitStatus == 0x42, "child %lu exited with 0x%lX", (unsigned long)i,
              (unsigned long)Info.ExitStatus);
        check_status(NtClose(Children[i]), STATUS_SUCCESS, "close child %lu", (unsigned long)i);
    }
    msg("end");
    return 0;
}
