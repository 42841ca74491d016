/* test_console_input.c - the guest's console input on a terminal (a pseudo-terminal here):
 * it leaves canonical mode only once the guest asks, echo off and Ctrl-C still a signal,
 * Ctrl-D ends the input, and the terminal is exactly as it was after a normal end, exit(),
 * SIGINT, SIGTERM and SIGHUP, and while the reader is stopped by Ctrl-Z. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "console_input.h"
#include "unit.h"

static int master = -1, slave = -1;
static struct termios before;

/* A fresh pseudo-terminal in the usual cooked mode. */
static void open_pty(void)
{
    if (slave >= 0)
        close(slave);
    if (master >= 0)
        close(master);
    master = posix_openpt(O_RDWR | O_NOCTTY);
    CU_ASSERT_FATAL(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    CU_ASSERT_FATAL(slave >= 0);
    CU_ASSERT_FATAL(tcgetattr(slave, &before) == 0);
    before.c_lflag |= ICANON | ECHO | ISIG | IEXTEN;
    before.c_iflag |= ICRNL;
    CU_ASSERT_FATAL(tcsetattr(slave, TCSANOW, &before) == 0);
    CU_ASSERT_FATAL(tcgetattr(slave, &before) == 0);
}

static bool same_modes(void)
{
    struct termios now;
    if (tcgetattr(slave, &now) != 0)
        return false;
    return now.c_iflag == before.c_iflag && now.c_oflag == before.c_oflag &&
           now.c_cflag == before.c_cflag && now.c_lflag == before.c_lflag &&
           memcmp(now.c_cc, before.c_cc, sizeof(now.c_cc)) == 0;
}

static tcflag_t lflag(void)
{
    struct termios now;
    tcgetattr(slave, &now);
    return now.c_lflag;
}

static void switches_only_when_the_guest_asks(void)
{
    struct console_input in;
    char buf[16];
    bool eof;
    open_pty();
    console_input_init(&in, slave);
    CU_ASSERT_TRUE(same_modes());                       /* not before the first read */
    CU_ASSERT_EQUAL(console_input_read(&in, buf, sizeof(buf), 0, &eof), 0u);
    CU_ASSERT_FALSE(eof);
    CU_ASSERT_EQUAL(lflag() & (ICANON | ECHO), 0u);     /* keys come one by one, no echo */
    CU_ASSERT_NOT_EQUAL(lflag() & ISIG, 0u);            /* Ctrl-C still interrupts */
    /* A key reaches the guest without Enter; Enter reads as '\n'. */
    CU_ASSERT_EQUAL(write(master, "a", 1), 1);
    CU_ASSERT_EQUAL(console_input_read(&in, buf, sizeof(buf), 1000, &eof), 1u);
    CU_ASSERT_EQUAL(buf[0], 'a');
    CU_ASSERT_EQUAL(write(master, "bc\r", 3), 3);
    CU_ASSERT_EQUAL(console_input_read(&in, buf, 2, 1000, &eof), 2u);
    CU_ASSERT_EQUAL(memcmp(buf, "bc", 2), 0);
    CU_ASSERT_EQUAL(console_input_read(&in, buf, sizeof(buf), 1000, &eof), 1u);
    CU_ASSERT_EQUAL(buf[0], '\n');
    console_input_close(&in);
    CU_ASSERT_TRUE(same_modes());
}

static void ctrl_d_ends_the_input(void)
{
    struct console_input in;
    char buf[16];
    bool eof;
    open_pty();
    console_input_init(&in, slave);
    console_input_read(&in, buf, sizeof(buf), 0, &eof);
    CU_ASSERT_EQUAL(write(master, "xy\004zz", 5), 5);
    CU_ASSERT_EQUAL(console_input_read(&in, buf, sizeof(buf), 1000, &eof), 2u);
    CU_ASSERT_EQUAL(memcmp(buf, "xy", 2), 0);
    CU_ASSERT_TRUE(eof);
    CU_ASSERT_TRUE(same_modes());                       /* given back at once */
    CU_ASSERT_EQUAL(console_input_read(&in, buf, sizeof(buf), 1000, &eof), 0u);
    CU_ASSERT_TRUE(eof);
    CU_ASSERT_TRUE(same_modes());
    console_input_close(&in);
}

/* The signals the children are ended by, at their defaults as at a terminal: a test started in
 * the background of a non-interactive shell inherits SIGINT and SIGQUIT ignored, and
 * console_input leaves an ignored signal alone. */
static void default_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGTSTP, SIG_DFL);
}

/* waitpid for at most 5 s: a child that does not end is a failure (killed), never a hang. */
static pid_t wait_bounded(pid_t pid, int *status, int options)
{
    pid_t got = 0;
    for (int i = 0; i < 500 && got == 0; i++) {
        got = waitpid(pid, status, options | WNOHANG);
        if (got == 0)
            usleep(10000);
    }
    if (got == 0) {
        CU_FAIL("the child did not end within 5 s");
        kill(pid, SIGKILL);
        got = waitpid(pid, status, 0);
    }
    return got;
}

/* A child reads from the terminal, tells us, then ends the way `how` says. */
static int child_ends(int how)
{
    int sync[2], go[2];
    CU_ASSERT_FATAL(pipe(sync) == 0 && pipe(go) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct console_input in;
        char buf[4];
        bool eof;
        /* A group of its own whose parent (this test) is in the session: never orphaned, so
         * SIGTSTP stops it even when the test itself runs in an orphaned group (CI, nohup). */
        setpgid(0, 0);
        console_input_init(&in, slave);
        console_input_read(&in, buf, sizeof(buf), 0, &eof);
        if (write(sync[1], "r", 1) != 1 || read(go[0], buf, 1) != 1)
            _exit(90);
        if (how == 0)
            exit(3); /* err()/errx() end this way */
        for (;;)
            pause();
    }
    char c;
    CU_ASSERT_EQUAL(read(sync[0], &c, 1), 1);
    CU_ASSERT_EQUAL(lflag() & (ICANON | ECHO), 0u);     /* switched while it reads */
    CU_ASSERT_EQUAL(write(go[1], "g", 1), 1);
    if (how)
        kill(pid, how);
    int status = 0;
    wait_bounded(pid, &status, 0);
    close(sync[0]);
    close(sync[1]);
    close(go[0]);
    close(go[1]);
    return status;
}

static void restored_after_exit_and_signals(void)
{
    open_pty();
    int status = child_ends(0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    CU_ASSERT_TRUE(same_modes());
    status = child_ends(SIGINT);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
    CU_ASSERT_TRUE(same_modes());
    status = child_ends(SIGTERM);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CU_ASSERT_TRUE(same_modes());
    status = child_ends(SIGHUP);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP);
    CU_ASSERT_TRUE(same_modes());
}

/* Ctrl-Z: the terminal is the shell's while the reader is stopped, the reader's again after
 * SIGCONT (fg). */
static void stop_and_continue(void)
{
    int sync[2];
    open_pty();
    CU_ASSERT_FATAL(pipe(sync) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct console_input in;
        char buf[4];
        bool eof;
        /* A group of its own whose parent (this test) is in the session: never orphaned, so
         * SIGTSTP stops it even when the test itself runs in an orphaned group (CI, nohup). */
        setpgid(0, 0);
        console_input_init(&in, slave);
        console_input_read(&in, buf, sizeof(buf), 0, &eof);
        if (write(sync[1], "r", 1) != 1)
            _exit(90);
        for (;;)
            pause();
    }
    char c;
    int status = 0;
    CU_ASSERT_EQUAL(read(sync[0], &c, 1), 1);
    CU_ASSERT_EQUAL(lflag() & ICANON, 0u);
    kill(pid, SIGTSTP);
    pid_t got = 0;
    for (int i = 0; i < 500 && got == 0; i++) {   /* 5 s at most: a failure, never a hang */
        got = waitpid(pid, &status, WUNTRACED | WNOHANG);
        if (got == 0)
            usleep(10000);
    }
    CU_ASSERT_EQUAL(got, pid);
    CU_ASSERT_TRUE(got == pid && WIFSTOPPED(status));
    CU_ASSERT_TRUE(same_modes());                       /* the shell's while stopped */
    kill(pid, SIGCONT);
    for (int i = 0; i < 200 && (lflag() & ICANON); i++)
        usleep(10000);
    CU_ASSERT_EQUAL(lflag() & (ICANON | ECHO), 0u);     /* ours again after fg */
    kill(pid, SIGTERM);
    wait_bounded(pid, &status, 0);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CU_ASSERT_TRUE(same_modes());
    close(sync[0]);
    close(sync[1]);
}

/* Not a terminal: read as it is, nothing switched, and the end of a file is the end. */
static void a_file_is_just_read(void)
{
    struct console_input in;
    char buf[16];
    bool eof;
    FILE *f = tmpfile();
    CU_ASSERT_FATAL(f != NULL);
    fputs("one\ntwo\n", f);
    fflush(f);
    rewind(f);
    console_input_init(&in, fileno(f));
    CU_ASSERT_EQUAL(console_input_read(&in, buf, 5, 1000, &eof), 5u);
    CU_ASSERT_FALSE(eof);
    CU_ASSERT_EQUAL(console_input_read(&in, buf, sizeof(buf), 1000, &eof), 3u);
    CU_ASSERT_EQUAL(memcmp(buf, "wo\n", 3), 0);
    CU_ASSERT_EQUAL(console_input_read(&in, buf, sizeof(buf), 1000, &eof), 0u);
    CU_ASSERT_TRUE(eof);
    fclose(f);
    /* A closed standard input is an input that has ended. */
    console_input_init(&in, 1000);
    CU_ASSERT_EQUAL(console_input_read(&in, buf, sizeof(buf), 1000, &eof), 0u);
    CU_ASSERT_TRUE(eof);
}

static const struct unit_test tests[] = {
    UNIT_TEST(switches_only_when_the_guest_asks),
    UNIT_TEST(ctrl_d_ends_the_input),
    UNIT_TEST(restored_after_exit_and_signals),
    UNIT_TEST(stop_and_continue),
    UNIT_TEST(a_file_is_just_read),
};

int main(void)
{
    unsetenv(CONSOLE_INPUT_RELAY_ENV);
    default_signals();   /* before the first console_input_init installs its handlers */
    return unit_run("console_input", tests, sizeof(tests) / sizeof(tests[0]));
}
