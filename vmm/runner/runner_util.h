/*
 * runner_util.h - what the KVM runner's files share inside the subsystem: its error line, a
 * printable copy of a line for messages, a bounded number from text.
 */
#ifndef PV_RUNNER_UTIL_H
#define PV_RUNNER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "pagevisor: MESSAGE" on stderr, stdout flushed first. */
void runner_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A printable copy of (part of) a line for messages; size >= 4. */
void runner_printable(char *out, size_t size, const char *in, size_t len);
/* A whole number in base at most max; false if s is no such number. */
bool runner_parse_u64(const char *s, int base, uint64_t max, uint64_t *out);

#endif /* PV_RUNNER_UTIL_H */
