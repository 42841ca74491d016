/*
 * console_input.c - the guest's console input: pagevisor's standard input read on demand, with
 * the terminal in non-canonical mode while the guest reads it, or the host's standard input
 * asked for through the KVM runner's stdin port (console_input.h).
 *
 * Echo is off in that mode on purpose: the programs that read the console print what they got
 * (the bounded-buffer demo's consumer does), so an echo would show every key twice and tangle
 * with the guest's own lines. ISIG stays on so that Ctrl-C still interrupts pagevisor, and
 * input CR->NL mapping and output processing stay as they were, so Enter reads as '\n'.
 */
#include "console_input.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The one terminal pagevisor switches: what it was, and what it is while the guest reads. */
static struct termios tty_saved, tty_reading;
static int tty_fd = -1;
static volatile sig_atomic_t tty_switched;
/* A fatal signal gave the terminal back: it is never taken again, even if a request for input
 * is still being handled when the signal lands (the run is ending). */
static volatile sig_atomic_t tty_given_back;
static volatile sig_atomic_t handlers_installed;
static unsigned char tty_eof_char = _POSIX_VDISABLE;

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))
static struct sigaction fatal_previous[N_FATAL];
static struct sigaction tstp_previous;

void console_input_restore(void)
{
    if (tty_switched) {
        tcsetattr(tty_fd, TCSANOW, &tty_saved);
        tty_switched = 0;
    }
}

/* The terminal goes back first; then the signal does what it did before we were here (by
 * default ends the process; in the runner, its own handler stops the VM). */
static void on_fatal_signal(int sig)
{
    int saved_errno = errno;
    tty_given_back = 1;
    console_input_restore();
    for (size_t i = 0; i < N_FATAL; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &fatal_previous[i], NULL);
    sigaction(SIGTSTP, &tstp_previous, NULL);
    handlers_installed = 0;
    raise(sig); /* blocked until this handler returns */
    errno = saved_errno;
}

/* Ctrl-Z: the shell gets its terminal back while we are stopped, and we take it again on fg. */
static void on_stop_signal(int sig)
{
    int saved_errno = errno;
    bool was_switched = tty_switched;
    struct sigaction dfl = { .sa_handler = SIG_DFL }, ours;
    sigset_t set;

    console_input_restore();
    sigaction(sig, &dfl, &ours);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig); /* stops here until SIGCONT */
    sigaction(sig, &ours, NULL);
    if (was_switched && tcsetattr(tty_fd, TCSANOW, &tty_reading) == 0)
        tty_switched = 1;
    errno = saved_errno;
}

static void install_handlers(void)
{
    static bool at_exit;
    struct sigaction sa;

    if (!at_exit && atexit(console_input_restore) == 0)
        at_exit = true;
    if (handlers_installed)
        return;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_fatal_signal;
    for (size_t i = 0; i < N_FATAL; i++) {
        sigaction(fatal_signals[i], NULL, &fatal_previous[i]);
        if (fatal_previous[i].sa_handler != SIG_IGN)
            sigaction(fatal_signals[i], &sa, NULL);
    }
    sigaction(SIGTSTP, NULL, &tstp_previous);
    if (tstp_previous.sa_handler == SIG_DFL) {
        sa.sa_handler = on_stop_signal;
        sigaction(SIGTSTP, &sa, NULL);
    }
    handlers_installed = 1;
}

/* The guest asks for input: a terminal leaves canonical mode now, not before. */
static void switch_terminal(int fd)
{
    if (tty_given_back || tty_switched || !isatty(fd) || tcgetattr(fd, &tty_saved) != 0)
        return;
    tty_fd = fd;
    tty_reading = tty_saved;
    tty_reading.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
    tty_reading.c_cc[VMIN] = 1;
    tty_reading.c_cc[VTIME] = 0;
    tty_eof_char = tty_saved.c_cc[VEOF];
    install_handlers();
    /* The fatal signals wait while the terminal switches and the flag says so: one landing in
     * between would find the terminal switched and the flag not yet set, and leave it so. */
    sigset_t block, previous;
    sigemptyset(&block);
    for (size_t i = 0; i < N_FATAL; i++)
        sigaddset(&block, fatal_signals[i]);
    sigprocmask(SIG_BLOCK, &block, &previous);
    /* TCSANOW, not TCSAFLUSH: what the user typed ahead is input too. Not after a fatal
     * signal that landed since the check above. */
    if (!tty_given_back && tcsetattr(fd, TCSANOW, &tty_reading) == 0)
        tty_switched = 1;
    sigprocmask(SIG_SETMASK, &previous, NULL);
}

void console_input_init(struct console_input *in, int fd)
{
    memset(in, 0, sizeof(*in));
    in->fd = fd;
    const char *port = getenv(CONSOLE_INPUT_RELAY_ENV);
    if (!port || !*port)
        return;
    in->relay = true;
    in->fd = open(port, O_RDWR | O_CLOEXEC);
    if (in->fd < 0) {
        fprintf(stderr, "pagevisor: %s=%s: %s; the guest's console input is empty\n",
                CONSOLE_INPUT_RELAY_ENV, port, strerror(errno));
        in->ended = true;
    }
}

void console_input_close(struct console_input *in)
{
    if (in->relay && in->fd >= 0)
        close(in->fd);
    in->fd = -1;
    console_input_restore();
}

static size_t input_ended(struct console_input *in, bool *eof, const char *failure)
{
    if (failure && !in->warned) {
        fprintf(stderr, "pagevisor: console input: %s; the guest sees the end of its input\n",
                failure);
        in->warned = true;
    }
    in->ended = true;
    *eof = true;
    if (!in->relay && tty_fd == in->fd)
        console_input_restore(); /* nothing more will be read: the user gets the echo back */
    return 0;
}

/* Exactly len bytes; a signal does not cut a reply in half (it comes within a second). */
static int read_exact(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One request to the host's pagevisor and its reply (runner.h: the stdin relay). */
static size_t relay_read(struct console_input *in, void *buf, size_t cap, unsigned timeout_ms,
                         bool *eof)
{
    char line[64];
    size_t len = 0;
    int n = snprintf(line, sizeof(line), "PV1 READ %zu %u\n", cap, timeout_ms);

    if (fd_write_all(in->fd, line, (size_t)n) < 0)
        return input_ended(in, eof, "the runner's stdin port cannot be written");
    for (;;) {
        if (len + 1 >= sizeof(line) || read_exact(in->fd, line + len, 1) < 0)
            return input_ended(in, eof, "bad reply on the runner's stdin port");
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    if (strcmp(line, "PV1 EOF") == 0)
        return input_ended(in, eof, NULL);
    char *end;
    unsigned long count = strncmp(line, "PV1 DATA ", 9) == 0 ? strtoul(line + 9, &end, 10) : 0;
    if (strncmp(line, "PV1 DATA ", 9) != 0 || *end || end == line + 9 || count > cap ||
        read_exact(in->fd, buf, count) < 0)
        return input_ended(in, eof, "bad reply on the runner's stdin port");
    return count;
}

static size_t read_now(struct console_input *in, void *buf, size_t cap, unsigned timeout_ms,
                       bool *eof)
{
    *eof = false;
    if (in->ended)
        return input_ended(in, eof, NULL);
    in->started = true;
    if (in->relay)
        return relay_read(in, buf, cap, timeout_ms, eof);
    switch_terminal(in->fd);
    struct pollfd pfd = { .fd = in->fd, .events = POLLIN };
    if (poll(&pfd, 1, (int)timeout_ms) <= 0)
        return 0; /* nothing in time, or a signal (the run's --timeout) cut the wait short */
    ssize_t n = read(in->fd, buf, cap);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n < 0) {
        char why[128];
        snprintf(why, sizeof(why), "standard input cannot be read (%s)", strerror(errno));
        return input_ended(in, eof, why);
    }
    if (n == 0)
        return input_ended(in, eof, NULL);
    if (tty_switched && tty_fd == in->fd && tty_eof_char != _POSIX_VDISABLE) {
        const char *stop = memchr(buf, tty_eof_char, (size_t)n);
        if (stop) {
            input_ended(in, eof, NULL);
            return (size_t)(stop - (const char *)buf);
        }
    }
    return (size_t)n;
}

size_t console_input_read(struct console_input *in, void *buf, size_t cap, unsigned timeout_ms,
                          bool *eof)
{
    size_t n = read_now(in, buf, cap, timeout_ms, eof);
    input_wait_answer(&in->wait, monotonic_seconds(), n == 0 && !*eof);
    return n;
}
