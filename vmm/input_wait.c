/* input_wait.c - the time a run waits for console input, left out of --timeout (input_wait.h). */
#include "input_wait.h"

/* The part of the pause since the last answer that counts as waiting. */
static double since_last(const struct input_wait *w, double now)
{
    if (w->last == 0 || !w->empty || now <= w->last || now - w->last > INPUT_WAIT_GAP)
        return 0;
    return now - w->last;
}

void input_wait_answer(struct input_wait *w, double now, bool empty)
{
    w->waited += since_last(w, now);
    w->last = now;
    w->empty = empty;
}

double input_wait_total(const struct input_wait *w, double now)
{
    return w->waited + since_last(w, now);
}
