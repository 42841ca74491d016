/*
 * console_input.h - where the guest's console input (PV_HC_CONSOLE_READ) comes from:
 * pagevisor's standard input, or, inside the KVM runner VM, the standard input of the
 * pagevisor on the host, asked for over the runner's stdin port one call at a time.
 *
 * A terminal is switched to non-canonical mode, echo off, the first time the guest asks for
 * input, and put back as it was on every way out: console_input_restore() at the end of a run,
 * an atexit handler (err/errx paths), and handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * that restore it before the signal takes its course; Ctrl-Z puts it back while stopped.
 * There the terminal's EOF character (Ctrl-D) ends the input, as it would in canonical mode.
 */
#ifndef PV_CONSOLE_INPUT_H
#define PV_CONSOLE_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "input_wait.h"
#include "runner.h"

/* Inside the runner VM: the device of the runner's stdin port (set by the runner's job
 * script for the pagevisor it runs; see runner.h for the requests and replies). */
#define CONSOLE_INPUT_RELAY_ENV RUNNER_STDIN_ENV

struct console_input {
    int fd;          /* standard input, or the relay port */
    bool relay;      /* fd is the runner's stdin port */
    bool started;    /* the guest has asked for input (a terminal has been switched) */
    bool ended;      /* input has ended: every later read says so */
    bool warned;     /* a read error has been reported */
    struct input_wait wait; /* time spent waiting for input, which --timeout leaves out */
};

/* Input from fd (normally 0), or from the relay port when CONSOLE_INPUT_RELAY_ENV names one. */
void console_input_init(struct console_input *in, int fd);

/* Up to cap bytes available now, waiting at most timeout_ms for the first one (a signal cuts
 * the wait short). Returns the count; *eof is set once input has ended (possibly together with
 * the last bytes). Bytes beyond cap are left where they are for the next call. Each answer is
 * recorded in in->wait. */
size_t console_input_read(struct console_input *in, void *buf, size_t cap, unsigned timeout_ms,
                          bool *eof);

/* Put a terminal switched by console_input_read back as it was (idempotent, signal-safe). */
void console_input_restore(void);

/* Close the relay port, if any, and restore the terminal. */
void console_input_close(struct console_input *in);

#endif /* PV_CONSOLE_INPUT_H */
