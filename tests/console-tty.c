/*
 * console-tty.c - pagevisor's console input from a real terminal, end to end: pagevisor runs
 * console-echo on a pseudo-terminal (its controlling terminal, as in a shell), and this program
 * types into it and checks what a user relies on:
 *   keys     the terminal leaves canonical mode once the guest asks (echo off, ISIG on), typed
 *            lines reach the guest without being echoed, Ctrl-D ends the input, exit 0;
 *   ctrl-c   Ctrl-C while the guest waits for input ends pagevisor by SIGINT;
 *   sigterm  SIGTERM ends it;
 *   late     a line typed only after longer than --timeout (3 s) still reaches the guest, and
 *            the run ends with status 0: time spent waiting for input is not counted;
 *   pipe     the same with standard input a pipe written late (--timeout 2);
 * and after each, the terminal's modes are exactly what they were before (as `stty -g` would
 * show). (A guest that spins without reading still times out: the integration case spin.) On a host whose KVM cannot run the guest, pagevisor goes through the KVM runner VM,
 * so the runner's stdin relay is what is tested there.
 * Usage: console-tty PAGEVISOR KERNEL IMAGE   (exit status 0 when every check passed)
 * With PAGEVISOR_TEST_RESULTS set, the checks also go to $PAGEVISOR_TEST_RESULTS/console-tty.xml.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "junit.h"

#define BOOT_LIMIT 180.0 /* s until the guest asks for input (a runner boot on a busy host) */
#define RUN_LIMIT  240.0 /* s for a whole run */

static const char *pagevisor, *kernel, *image;
static int failures;
static struct junit_suite junit = { .name = "console-tty" };
static double last_check;

struct session {
    int master, slave;
    pid_t pid;
    struct termios before;
    char out[16384];
    size_t outlen;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(bool ok, const char *scenario, const char *what)
{
    printf("  %s: %s ... %s\n", scenario, what, ok ? "passed" : "FAILED");
    if (!ok)
        failures++;
    char name[256];
    snprintf(name, sizeof(name), "%s: %s", scenario, what);
    double t = now();
    junit_add(&junit, name, last_check ? t - last_check : 0, ok ? NULL : name, NULL);
    last_check = t;
}

/* pagevisor on a fresh pseudo-terminal in cooked mode, as its controlling terminal; its
 * standard input is the terminal too, or in_fd when that is not -1. */
static int start_with(struct session *s, const char *timeout, int in_fd)
{
    memset(s, 0, sizeof(*s));
    s->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (s->master < 0 || grantpt(s->master) || unlockpt(s->master))
        return -1;
    const char *name = ptsname(s->master);
    s->slave = open(name, O_RDWR | O_NOCTTY);
    if (s->slave < 0 || tcgetattr(s->slave, &s->before))
        return -1;
    s->before.c_lflag |= ICANON | ECHO | ISIG;
    if (tcsetattr(s->slave, TCSANOW, &s->before) || tcgetattr(s->slave, &s->before))
        return -1;
    fflush(stdout);
    s->pid = fork();
    if (s->pid == 0) {
        setsid();
        /* As at a terminal: a run started in the background of a non-interactive shell
         * inherits SIGINT and SIGQUIT ignored, and Ctrl-C would then not reach pagevisor. */
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        int tty = open(name, O_RDWR); /* the session leader's first terminal: controlling */
        if (tty < 0 || ioctl(tty, TIOCSCTTY, 0) < 0)
            _exit(126);
        dup2(in_fd >= 0 ? in_fd : tty, 0);
        dup2(tty, 1);
        dup2(tty, 2);
        execl(pagevisor, pagevisor, "run", "--kernel", kernel, "--timeout", timeout, image,
              (char *)NULL);
        _exit(127);
    }
    return s->pid > 0 ? 0 : -1;
}

static int start(struct session *s, const char *timeout)
{
    return start_with(s, timeout, -1);
}

static void collect(struct session *s, int ms)
{
    struct pollfd p = { .fd = s->master, .events = POLLIN };
    while (poll(&p, 1, ms) > 0 && (p.revents & POLLIN)) {
        ssize_t n = read(s->master, s->out + s->outlen, sizeof(s->out) - 1 - s->outlen);
        if (n <= 0)
            break;
        s->outlen += (size_t)n;
        s->out[s->outlen] = '\0';
        ms = 0;
    }
}

/* Waits until the terminal is out of canonical mode: the guest has asked for input. */
static bool wait_for_switch(struct session *s)
{
    double end = now() + BOOT_LIMIT;
    struct termios t;
    while (now() < end && waitpid(s->pid, NULL, WNOHANG) == 0) {
        collect(s, 100);
        if (tcgetattr(s->slave, &t) == 0 && !(t.c_lflag & ICANON))
            return (t.c_lflag & ECHO) == 0 && (t.c_lflag & ISIG) != 0;
    }
    return false;
}

/* Waits for pagevisor to end; its wait status, or -1 after killing it for time. */
static int finish(struct session *s)
{
    double end = now() + RUN_LIMIT;
    int status;
    while (waitpid(s->pid, &status, WNOHANG) == 0) {
        if (now() > end) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            return -1;
        }
        collect(s, 100);
    }
    collect(s, 200);
    return status;
}

static bool modes_restored(struct session *s)
{
    struct termios t;
    if (tcgetattr(s->slave, &t) != 0)
        return false;
    return t.c_iflag == s->before.c_iflag && t.c_oflag == s->before.c_oflag &&
           t.c_cflag == s->before.c_cflag && t.c_lflag == s->before.c_lflag &&
           memcmp(t.c_cc, s->before.c_cc, sizeof(t.c_cc)) == 0;
}

static void end_session(struct session *s, const char *scenario)
{
    check(modes_restored(s), scenario, "terminal modes restored");
    close(s->master);
    close(s->slave);
}

static void show_output(const struct session *s)
{
    printf("    --- what the terminal showed ---\n%s\n    ---\n", s->out);
}

static void keys(void)
{
    struct session s;
    if (start(&s, "120") != 0) {
        check(false, "keys", "start pagevisor on a pseudo-terminal");
        return;
    }
    check(wait_for_switch(&s), "keys", "non-canonical, echo off, ISIG on once the guest asks");
    if (write(s.master, "hi there\r", 9) != 9 || write(s.master, "second\r", 7) != 7 ||
        write(s.master, "\004", 1) != 1)
        check(false, "keys", "type into the terminal");
    int status = finish(&s);
    check(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "keys", "exit status 0");
    bool lines = strstr(s.out, "(console-echo) line 1: hi there\r\n") &&
                 strstr(s.out, "(console-echo) line 2: second\r\n") &&
                 strstr(s.out, "(console-echo) 2 lines, 16 bytes");
    check(lines, "keys", "the guest read both lines, Enter as \\n, Ctrl-D as the end");
    check(!strstr(s.out, "\nhi there") && !strstr(s.out, "hi there\r\nsecond"), "keys",
          "no echo of the typed keys");
    if (!lines)
        show_output(&s);
    end_session(&s, "keys");
}

/* Waits for the guest to ask, then ends the run with `how`; expects the given wait status. */
static void interrupted(const char *scenario, const char *timeout, int how, int want_signal,
                        int want_exit)
{
    struct session s;
    if (start(&s, timeout) != 0) {
        check(false, scenario, "start pagevisor on a pseudo-terminal");
        return;
    }
    check(wait_for_switch(&s), scenario, "non-canonical once the guest asks");
    if (how == 3) {
        if (write(s.master, "\003", 1) != 1) /* Ctrl-C, turned into SIGINT by the terminal */
            check(false, scenario, "type Ctrl-C");
    } else if (how) {
        kill(s.pid, how);
    }
    int status = finish(&s);
    if (want_signal)
        check(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == want_signal, scenario,
              "pagevisor ended by the signal");
    else
        check(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == want_exit, scenario,
              "pagevisor's exit status");
    if (status < 0 || (WIFEXITED(status) && WEXITSTATUS(status) != want_exit) ||
        (want_signal && !WIFSIGNALED(status)))
        show_output(&s);
    end_session(&s, scenario);
}

/* Waits `seconds` while collecting what the terminal shows. */
static void pause_collecting(struct session *s, double seconds)
{
    double end = now() + seconds;
    while (now() < end)
        collect(s, 100);
}

/* The guest waits longer than --timeout 3 for a typed line: not a timeout. */
static void late_keys(void)
{
    struct session s;
    if (start(&s, "3") != 0) {
        check(false, "late", "start pagevisor on a pseudo-terminal");
        return;
    }
    check(wait_for_switch(&s), "late", "non-canonical once the guest asks");
    pause_collecting(&s, 7.0);
    if (write(s.master, "late\r", 5) != 5 || write(s.master, "\004", 1) != 1)
        check(false, "late", "type into the terminal");
    int status = finish(&s);
    check(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "late",
          "exit status 0 after waiting 7 s with --timeout 3");
    bool line = strstr(s.out, "(console-echo) line 1: late\r\n") &&
                strstr(s.out, "(console-echo) 1 lines, 5 bytes");
    check(line, "late", "the guest read the late line");
    if (!line || status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        show_output(&s);
    end_session(&s, "late");
}

/* Standard input a pipe whose first line comes 6 s after the guest started reading. */
static void late_pipe(void)
{
    struct session s;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0 || start_with(&s, "2", p[0]) != 0) {
        check(false, "pipe", "start pagevisor with a pipe as its standard input");
        return;
    }
    close(p[0]);
    /* The last line console-echo prints before its first read that waits for input. */
    double end = now() + BOOT_LIMIT;
    while (now() < end && waitpid(s.pid, NULL, WNOHANG) == 0 &&
           !strstr(s.out, "(console-echo) length 0 read 0 bytes"))
        collect(&s, 100);
    check(strstr(s.out, "(console-echo) length 0 read 0 bytes") != NULL, "pipe",
          "the guest starts reading");
    pause_collecting(&s, 6.0);
    if (write(p[1], "slow pipe\n", 10) != 10)
        check(false, "pipe", "write into the pipe");
    close(p[1]);
    int status = finish(&s);
    check(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "pipe",
          "exit status 0 after waiting 6 s with --timeout 2");
    bool line = strstr(s.out, "(console-echo) line 1: slow pipe") &&
                strstr(s.out, "(console-echo) 1 lines, 10 bytes");
    check(line, "pipe", "the guest read the late line");
    if (!line || status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        show_output(&s);
    end_session(&s, "pipe");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: console-tty PAGEVISOR KERNEL IMAGE\n");
        return 2;
    }
    pagevisor = argv[1];
    kernel = argv[2];
    image = argv[3];
    signal(SIGPIPE, SIG_IGN);
    last_check = now();
    keys();
    interrupted("ctrl-c", "120", 3, SIGINT, 0);
    interrupted("sigterm", "120", SIGTERM, SIGTERM, 0);
    late_keys();
    late_pipe();
    printf("console-tty: %s\n", failures ? "FAILED" : "all checks passed");
    char *junit_path = junit_results_path("console-tty.xml");
    if (junit_path)
        junit_write(&junit, junit_path);
    free(junit_path);
    junit_free(&junit);
    return failures ? 1 : 0;
}
