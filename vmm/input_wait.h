/*
 * input_wait.h - how long a run has spent waiting for console input, which --timeout does not
 * count (a user at the keyboard, or a pipe that writes late, is not a hung guest).
 *
 * The guest asks for input by polling (PV_HC_CONSOLE_READ, or the runner's stdin relay
 * request); each answer is recorded with the time it was given. The time from an empty answer
 * to the next answer counts as waiting when the next one comes within INPUT_WAIT_GAP seconds
 * (a guest that keeps asking is waiting; one that asked once and went on computing is not).
 * After the last empty answer, the time since it counts while it is under INPUT_WAIT_GAP.
 */
#ifndef PV_INPUT_WAIT_H
#define PV_INPUT_WAIT_H

#include <stdbool.h>

#define INPUT_WAIT_GAP 3.0 /* s: the longest pause between two polls of one wait */

struct input_wait {
    double last;   /* when the last answer was given (monotonic s); 0 before the first */
    bool empty;    /* the last answer had no input (and the input had not ended) */
    double waited; /* seconds of waiting up to the last answer */
};

/* Times are seconds on the monotonic clock (monotonic_seconds, fdio.h).
 * An answer given at `now`: empty when it carried no bytes and no end of input. */
void input_wait_answer(struct input_wait *w, double now, bool empty);

/* Seconds spent waiting for input up to `now`. */
double input_wait_total(const struct input_wait *w, double now);

#endif /* PV_INPUT_WAIT_H */
