/*
 * sync-objects - semaphores and events in one process: bad arguments return NT's statuses,
 * a semaphore counts (waits with a zero timeout take a unit or time out, releases past the
 * maximum fail and change nothing), a relative timeout really waits (clock ticks pass), a
 * notification event stays set, a synchronization event resets when a wait takes it; names:
 * a second create collides, OBJ_OPENIF opens the same object (STATUS_OBJECT_NAME_EXISTS),
 * NtOpenXxx finds it, a missing name or the wrong type is refused, a name dies with its last
 * handle; handles: waiting on a section is a type mismatch, closed handles are invalid.
 * Expected: each step with its status, end; "sync-objects: exit(0)".
 */
#include <ntapi.h>

static LARGE_INTEGER Zero = 0;

static void Name(OBJECT_ATTRIBUTES *Attributes, UNICODE_STRING *String, const WCHAR *Text,
                 ULONG Flags)
{
    RtlInitUnicodeString(String, Text);
    InitializeObjectAttributes(Attributes, String, Flags, NULL, NULL);
}

static void Semaphores(void)
{
    HANDLE Semaphore, Other;
    LONG Previous = -1;
    LARGE_INTEGER Delay = -200000;   /* 20 ms */

    check_status(NtCreateSemaphore(&Semaphore, 0, NULL, 3, 2), STATUS_INVALID_PARAMETER_4,
                 "initial count above the maximum");
    check_status(NtCreateSemaphore(&Semaphore, 0, NULL, 0, 0), STATUS_INVALID_PARAMETER_5,
                 "maximum 0");
    check_status(NtCreateSemaphore(NULL, 0, NULL, 0, 1), STATUS_INVALID_PARAMETER_1,
                 "no handle pointer");
    check_status(NtCreateSemaphore((PHANDLE)0x10, 0, NULL, 0, 1), STATUS_ACCESS_VIOLATION,
                 "an unwritable handle pointer");
    check_status(NtCreateSemaphore(&Semaphore, 0, NULL, 2, 3), STATUS_SUCCESS,
                 "a semaphore, count 2 of 3");
    check_status(NtWaitForSingleObject(Semaphore, FALSE, &Zero), STATUS_SUCCESS, "take one");
    check_status(NtWaitForSingleObject(Semaphore, FALSE, &Zero), STATUS_SUCCESS, "take another");
    check_status(NtWaitForSingleObject(Semaphore, FALSE, &Zero), STATUS_TIMEOUT,
                 "the third times out at once");
    check_status(NtWaitForSingleObject(Semaphore, FALSE, &Delay), STATUS_TIMEOUT,
                 "a 20 ms wait times out");
    check_status(NtReleaseSemaphore(Semaphore, 4, &Previous), STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                 "releasing 4 exceeds the maximum");
    check_status(NtReleaseSemaphore(Semaphore, 0, &Previous), STATUS_INVALID_PARAMETER_2,
                 "releasing 0");
    check_status(NtReleaseSemaphore(Semaphore, 3, &Previous), STATUS_SUCCESS, "release 3");
    CHECK(Previous == 0, "the count was 0 before");
    check_status(NtReleaseSemaphore(Semaphore, 1, &Previous), STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                 "one more exceeds the maximum");
    check_status(NtOpenSemaphore(&Other, 0, NULL), STATUS_OBJECT_NAME_INVALID,
                 "open without a name");
    check_status(NtClose(Semaphore), STATUS_SUCCESS, "close it");
    check_status(NtClose(Semaphore), STATUS_INVALID_HANDLE, "close it again");
    check_status(NtWaitForSingleObject(Semaphore, FALSE, &Zero), STATUS_INVALID_HANDLE,
                 "wait on the closed handle");
}

static void Events(void)
{
    HANDLE Notification, Synchronization;
    LONG Previous = -1;

    check_status(NtCreateEvent(&Notification, 0, NULL, 7, FALSE), STATUS_INVALID_PARAMETER_4,
                 "an event of type 7");
    check_status(NtCreateEvent(&Notification, 0, NULL, NotificationEvent, FALSE),
                 STATUS_SUCCESS, "a notification event, clear");
    check_status(NtWaitForSingleObject(Notification, FALSE, &Zero), STATUS_TIMEOUT,
                 "clear: the wait times out");
    check_status(NtSetEvent(Notification, &Previous), STATUS_SUCCESS, "set it");
    CHECK(Previous == 0, "it was clear");
    check_status(NtWaitForSingleObject(Notification, FALSE, &Zero), STATUS_SUCCESS,
                 "set: a wait succeeds");
    check_status(NtWaitForSingleObject(Notification, FALSE, &Zero), STATUS_SUCCESS,
                 "and still does (notification events stay set)");
    check_status(NtResetEvent(Notification, &Previous), STATUS_SUCCESS, "reset it");
    CHECK(Previous == 1, "it was set");
    check_status(NtWaitForSingleObject(Notification, FALSE, &Zero), STATUS_TIMEOUT,
                 "reset: the wait times out");
    check_status(NtCreateEvent(&Synchronization, 0, NULL, SynchronizationEvent, TRUE),
                 STATUS_SUCCESS, "a synchronization event, set");
    check_status(NtWaitForSingleObject(Synchronization, FALSE, &Zero), STATUS_SUCCESS,
                 "the first wait takes the signal");
    check_status(NtWaitForSingleObject(Synchronization, FALSE, &Zero), STATUS_TIMEOUT,
                 "the second times out");
    check_status(NtSetEvent(Synchronization, NULL), STATUS_SUCCESS, "set it again");
    check_status(NtSetEvent(Notification, NULL), STATUS_SUCCESS, "set the notification event");
    NtClose(Notification);
    NtClose(Synchronization);
}

static void Names(void)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING String;
    HANDLE First, Second, Third, Section;
    ULONGLONG Size = 4096;
    LONG Previous = -1;

    Name(&Attributes, &String, u"sync-test", 0);
    check_status(NtCreateSemaphore(&First, 0, &Attributes, 0, 5), STATUS_SUCCESS,
                 "a semaphore named sync-test");
    check_status(NtCreateSemaphore(&Second, 0, &Attributes, 0, 5), STATUS_OBJECT_NAME_COLLISION,
                 "creating the name again collides");
    Name(&Attributes, &String, u"sync-test", OBJ_OPENIF);
    check_status(NtCreateSemaphore(&Second, 0, &Attributes, 0, 5), STATUS_OBJECT_NAME_EXISTS,
                 "with OBJ_OPENIF it opens the existing one");
    check_status(NtReleaseSemaphore(Second, 2, NULL), STATUS_SUCCESS,
                 "release 2 through the second handle");
    check_status(NtReleaseSemaphore(First, 1, &Previous), STATUS_SUCCESS,
                 "release 1 through the first");
    CHECK(Previous == 2, "both handles name one semaphore (count was 2)");
    check_status(NtCreateEvent(&Third, 0, &Attributes, NotificationEvent, FALSE),
                 STATUS_OBJECT_TYPE_MISMATCH, "an event with the semaphore's name and OBJ_OPENIF");
    Name(&Attributes, &String, u"SYNC-TEST", OBJ_CASE_INSENSITIVE);
    check_status(NtOpenSemaphore(&Third, 0, &Attributes), STATUS_SUCCESS,
                 "open SYNC-TEST case-insensitively");
    Name(&Attributes, &String, u"SYNC-TEST", 0);
    check_status(NtOpenSemaphore(&Section, 0, &Attributes), STATUS_OBJECT_NAME_NOT_FOUND,
                 "SYNC-TEST with case does not exist");
    Name(&Attributes, &String, u"sync-test", 0);
    check_status(NtOpenEvent(&Section, 0, &Attributes), STATUS_OBJECT_TYPE_MISMATCH,
                 "open it as an event");
    NtClose(First);
    NtClose(Second);
    NtClose(Third);
    check_status(NtOpenSemaphore(&First, 0, &Attributes), STATUS_OBJECT_NAME_NOT_FOUND,
                 "the name went with the last handle");
    Attributes.Length = 5;
    check_status(NtOpenSemaphore(&First, 0, &Attributes), STATUS_INVALID_PARAMETER,
                 "bad OBJECT_ATTRIBUTES length");
    Name(&Attributes, &String, u"sync-section", 0);
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, &Attributes, &Size,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "a named section");
    check_status(NtWaitForSingleObject(Section, FALSE, &Zero), STATUS_OBJECT_TYPE_MISMATCH,
                 "a section cannot be waited on");
    check_status(NtOpenSection(&First, 0, &Attributes), STATUS_SUCCESS, "open it by name");
    NtClose(First);
    NtClose(Section);
}

int main(void)
{
    msg("begin");
    Semaphores();
    Events();
    Names();
    msg("end");
    return 0;
}
