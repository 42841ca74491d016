/*
 * junit.h - a small JUnit XML writer shared by the C test programs (the unit tests' unit.h,
 * the integration runner, console-tty): one <testsuite> of <testcase>s, each with its time and,
 * when it failed, a <failure> message and what it printed. Text is escaped for XML 1.0 and
 * bytes that are not valid UTF-8 or not allowed in XML become '?', so any output can go in.
 * PAGEVISOR_TEST_RESULTS (a directory) is where `make test` wants the files.
 */
#ifndef PV_JUNIT_H
#define PV_JUNIT_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct junit_case {
    char *name;
    double seconds;
    char *failure;  /* NULL when the case passed; else what went wrong (one line or more) */
    char *output;   /* for a failed case: what it printed, or NULL */
};

struct junit_suite {
    char *name;
    struct junit_case *cases;
    size_t n, cap;
};

static inline double junit_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records a case; failure and output are copied (either may be NULL). */
static inline void junit_add(struct junit_suite *s, const char *name, double seconds,
                             const char *failure, const char *output)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct junit_case *c = realloc(s->cases, cap * sizeof(*c));
        if (!c)
            return;
        s->cases = c;
        s->cap = cap;
    }
    struct junit_case *c = &s->cases[s->n++];
    c->name = strdup(name);
    c->seconds = seconds;
    c->failure = failure ? strdup(failure) : NULL;
    c->output = output ? strdup(output) : NULL;
}

static inline void junit_free(struct junit_suite *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->cases[i].name);
        free(s->cases[i].failure);
        free(s->cases[i].output);
    }
    free(s->cases);
    s->cases = NULL;
    s->n = s->cap = 0;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one. */
static inline size_t junit_utf8_len(const unsigned char *p)
{
    size_t len;
    unsigned cp;
    if (p[0] < 0x80)
        return 1;
    if ((p[0] & 0xE0) == 0xC0) { len = 2; cp = p[0] & 0x1F; }
    else if ((p[0] & 0xF0) == 0xE0) { len = 3; cp = p[0] & 0x0F; }
    else if ((p[0] & 0xF8) == 0xF0) { len = 4; cp = p[0] & 0x07; }
    else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const unsigned min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF)
        return 0;
    return len;
}

static inline void junit_escape(FILE *f, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        size_t len = junit_utf8_len(p);
        if (len == 0) {
            fputc('?', f);
            p++;
        } else if (len > 1) {
            fwrite(p, 1, len, f);
            p += len;
        } else if (*p == '&') {
            fputs("&amp;", f), p++;
        } else if (*p == '<') {
            fputs("&lt;", f), p++;
        } else if (*p == '>') {
            fputs("&gt;", f), p++;
        } else if (*p == '"') {
            fputs("&quot;", f), p++;
        } else if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') {
            fputc('?', f), p++;
        } else {
            fputc(*p++, f);
        }
    }
}

/* mkdir -p for the directory part of path. */
static inline int junit_make_dirs(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return -1;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
            free(dir);
            return -1;
        }
        *p = '/';
    }
    free(dir);
    return 0;
}

/* Writes the suite to path (its directories made); 0, or -1 with a message on stderr. */
static inline int junit_write(const struct junit_suite *s, const char *path)
{
    unsigned failures = 0;
    double total = 0;
    for (size_t i = 0; i < s->n; i++) {
        failures += s->cases[i].failure != NULL;
        total += s->cases[i].seconds;
    }
    FILE *f = NULL;
    if (junit_make_dirs(path) == 0)
        f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "junit: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"", f);
    junit_escape(f, s->name);
    fprintf(f, "\" tests=\"%zu\" failures=\"%u\" errors=\"0\" time=\"%.3f\">\n", s->n, failures,
            total);
    for (size_t i = 0; i < s->n; i++) {
        const struct junit_case *c = &s->cases[i];
        fputs("  <testcase classname=\"", f);
        junit_escape(f, s->name);
        fputs("\" name=\"", f);
        junit_escape(f, c->name);
        fprintf(f, "\" time=\"%.3f\"", c->seconds);
        if (!c->failure) {
            fputs("/>\n", f);
            continue;
        }
        fputs(">\n    <failure message=\"", f);
        const char *nl = strchr(c->failure, '\n');
        char *first = strndup(c->failure, nl ? (size_t)(nl - c->failure) : strlen(c->failure));
        junit_escape(f, first ? first : "failed");
        free(first);
        fputs("\">", f);
        junit_escape(f, c->failure);
        fputs("</failure>\n", f);
        if (c->output && *c->output) {
            fputs("    <system-out>", f);
            junit_escape(f, c->output);
            fputs("</system-out>\n", f);
        }
        fputs("  </testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "junit: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* $PAGEVISOR_TEST_RESULTS/<file>, or NULL when the variable is unset or empty (caller frees). */
static inline char *junit_results_path(const char *file)
{
    const char *dir = getenv("PAGEVISOR_TEST_RESULTS");
    char *path;
    if (!dir || !*dir || asprintf(&path, "%s/%s", dir, file) < 0)
        return NULL;
    return path;
}

#endif /* PV_JUNIT_H */
