/* util.c - small helpers both benchmarks share: numbers from the command line, JSON strings. */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

unsigned long bench_number(const char *opt, const char *text, unsigned long max)
{
    char *end;
    unsigned long v = strtoul(text ? text : "", &end, 10);
    if (!text || !*text || *end || v == 0 || v > max)
        errx(2, "%s: '%s' is not a number from 1 to %lu", opt, text ? text : "", max);
    return v;
}

void bench_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", *s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(const double *v, unsigned n, double *lo, double *hi)
{
    double *s = malloc(n * sizeof(*s));
    if (!s)
        abort();
    memcpy(s, v, n * sizeof(*v));
    qsort(s, n, sizeof(*s), by_double);
    *lo = s[0];
    *hi = s[n - 1];
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}
