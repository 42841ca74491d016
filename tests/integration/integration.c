/*
 * integration.c - boots every guest test case with pagevisor and checks what a user relies on:
 * the exact standard output, the exit status, and where a case asks, a line on stderr.
 *
 * Cases come from a file (tests/integration/cases.txt); a case's standard input is /dev/null or
 * the file its stdin= names. Each runs as its own CUnit test with a
 * time limit. On a host whose KVM cannot run 32-bit paged guests, the whole suite re-runs
 * itself inside the KVM runner VM (booted once), unless it is already inside it. It never
 * passes by skipping: no capable KVM and no runner is a failure.
 *
 * A failed case shows a unified diff of its expected and actual stdout. --only takes shell
 * globs (a comma or space separated list), --shard=K/N runs the Kth of N disjoint parts of the
 * list, --list prints what would run, --update rewrites expected files from actual output, and
 * --junit (or $PAGEVISOR_TEST_RESULTS) names a JUnit XML report.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "../junit.h"
#include "udiff.h"

#define MAX_CASES  256
#define MAX_ARGS   64
#define MAX_OUTPUT (1u << 20)

struct test_case {
    char name[64];
    int exit_status;
    unsigned timeout;
    char *stderr_wants[4];
    int nwants;
    char *trace_format;    /* trace=FORMAT: run with --trace, check <case>.trace-expect */
    bool any_order;        /* order=any: the same lines in any order (processes run at once) */
    char *stdin_path;      /* stdin=FILE: pagevisor's standard input (else /dev/null) */
    char *args[MAX_ARGS];  /* pagevisor run arguments, image names resolved */
    int nargs;
    int line;
    int index;             /* position in the whole list (what --shard splits) */
};

static struct test_case cases[MAX_CASES];
static int ncases, next_case;
static const char *pagevisor = "build/pagevisor";
static const char *kernel = "build/guest/kernel.elf";
static const char *kernel_3gb = "build/guest/kernel-3gb.elf";   /* for cases run with --3gb */
static const char *images_dir = "build/images";
static const char *cases_file = "tests/integration/cases.txt";
/* Files cases read as standard input (stdin=FILE); put into the runner VM with the cases. */
static const char *inputs_dir = "tests/integration/input";
/* A case's expected stdout: <case>.expected in the first of these that has it. */
static const char *expected_dirs[2] = { "tests/integration/expected", "tests/images" };
static int n_expected_dirs = 2;
static char *only;                 /* --only: globs, separated by commas or spaces */
static int shard_k, shard_n;       /* --shard=K/N: the cases whose index % N == K - 1 */
enum update_mode { UPDATE_NONE, UPDATE_PASSING_STATUS, UPDATE_FORCE };
static enum update_mode update;    /* --update: rewrite expected files from actual output */
static int n_updated;
static const char *junit_path;     /* --junit=FILE: the JUnit XML report */
static char *artifacts_dir;        /* a failed case's stdout, stderr and trace go here */
static struct junit_suite junit = { .name = "integration" };
static char trace_path[64];        /* where a case's trace goes */
static unsigned default_timeout = 60;
static bool verbose;

/* Splits a line into words; "double quotes" group words. Returns the count. */
static int split(char *line, char **words, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#' || *p == '\n')
            break;
        char *start = p, *out = p;
        bool quoted = false;
        while (*p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n'))) {
            if (*p == '"')
                quoted = !quoted;
            else
                *out++ = *p;
            p++;
        }
        if (*p)
            p++;
        *out = '\0';
        words[n++] = start;
    }
    return n;
}

static char *resolve_image(const char *word)
{
    size_t len = strlen(word);
    char *s;
    if (len > 4 && strcmp(word + len - 4, ".elf") == 0 && !strchr(word, '/')) {
        if (asprintf(&s, "%s/%s", images_dir, word) < 0)
            return NULL;
        return s;
    }
    return strdup(word);
}

static int parse_case(char *line, int lineno, struct test_case *c)
{
    char *w[MAX_ARGS + 8];
    int n = split(line, w, MAX_ARGS + 8);
    if (n == 0)
        return 0;
    memset(c, 0, sizeof(*c));
    c->line = lineno;
    c->timeout = default_timeout;
    if (n < 3) {
        fprintf(stderr, "%s:%d: need NAME EXIT [key=value...] -- ARGS\n", cases_file, lineno);
        return -1;
    }
    snprintf(c->name, sizeof(c->name), "%s", w[0]);
    c->exit_status = atoi(w[1]);
    int i = 2;
    for (; i < n && strcmp(w[i], "--") != 0; i++) {
        if (strncmp(w[i], "stderr=", 7) == 0 && c->nwants < 4)
            c->stderr_wants[c->nwants++] = strdup(w[i] + 7);
        else if (strncmp(w[i], "trace=", 6) == 0)
            c->trace_format = strdup(w[i] + 6);
        else if (strncmp(w[i], "stdin=", 6) == 0)
            c->stdin_path = strdup(w[i] + 6);
        else if (strncmp(w[i], "timeout=", 8) == 0)
            c->timeout = (unsigned)atoi(w[i] + 8);
        else if (strcmp(w[i], "order=any") == 0)
            c->any_order = true;
        else {
            fprintf(stderr, "%s:%d: unknown key '%s'\n", cases_file, lineno, w[i]);
            return -1;
        }
    }
    for (i++; i < n; i++)
        c->args[c->nargs++] = resolve_image(w[i]);
    return 1;
}

/* --only's patterns, each a shell glob; separated by commas or spaces. */
static char *patterns[MAX_CASES];
static bool pattern_used[MAX_CASES];
static int npatterns;

static void split_patterns(void)
{
    for (char *save = NULL, *p = strtok_r(only, ", \t", &save); p && npatterns < MAX_CASES;
         p = strtok_r(NULL, ", \t", &save))
        patterns[npatterns++] = p;
}

static bool selected(const struct test_case *c)
{
    bool match = npatterns == 0;
    for (int i = 0; i < npatterns; i++)
        if (fnmatch(patterns[i], c->name, 0) == 0)
            match = pattern_used[i] = true;
    return match && (shard_n == 0 || c->index % shard_n == shard_k - 1);
}

/* A pattern that names no case at all is a mistake (a typo would otherwise run nothing). */
static int check_patterns(const char *file)
{
    int bad = 0;
    for (int i = 0; i < npatterns; i++)
        if (!pattern_used[i]) {
            fprintf(stderr, "integration: no case in %s matches '%s'\n", file, patterns[i]);
            bad = -1;
        }
    return bad;
}

static int load_cases(void)
{
    FILE *f = fopen(cases_file, "r");
    if (!f) {
        fprintf(stderr, "integration: %s: %s\n", cases_file, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, index = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (ncases == MAX_CASES) {
            fprintf(stderr, "integration: more than %d cases\n", MAX_CASES);
            fclose(f);
            return -1;
        }
        int r = parse_case(line, lineno, &cases[ncases]);
        if (r < 0) {
            fclose(f);
            return -1;
        }
        if (r > 0) {
            cases[ncases].index = index++;
            if (selected(&cases[ncases]))
                ncases++;
        }
    }
    fclose(f);
    return check_patterns(cases_file);
}

/* Traces run longer than outputs (cow-fork-text's is 1.3 MB): read them whole, or a case's
 * last records would go unseen. */
#define MAX_TRACE (16u << 20)

static char *read_whole_max(FILE *f, size_t max)
{
    char *buf = calloc(1, max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static char *read_whole(FILE *f)
{
    return read_whole_max(f, MAX_OUTPUT);
}

/* <name><suffix> from the first expected directory that has it. */
static char *read_expected(const char *name, const char *suffix)
{
    char path[512];
    FILE *f = NULL;
    for (int i = 0; !f && i < n_expected_dirs; i++) {
        snprintf(path, sizeof(path), "%s/%s%s", expected_dirs[i], name, suffix);
        f = fopen(path, "r");
    }
    return f ? read_whole(f) : NULL;
}

/* The file a case's expected stdout is read from: the first that exists, else the first
 * directory's (where --update creates it). */
static void expected_path(const char *name, char *path, size_t size)
{
    for (int i = 0; i < n_expected_dirs; i++) {
        snprintf(path, size, "%s/%s.expected", expected_dirs[i], name);
        if (access(path, F_OK) == 0)
            return;
    }
    snprintf(path, size, "%s/%s.expected", expected_dirs[0], name);
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        fprintf(stdout, "\n      cannot write %s: %s", path, strerror(errno));
    return ok ? 0 : -1;
}

/* Lines of text matching an extended regular expression. */
static int count_matches(const char *text, const regex_t *re)
{
    int n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len);
        if (line && regexec(re, line, 0, NULL, 0) == 0)
            n++;
        free(line);
        p += len + (nl ? 1 : 0);
    }
    return n;
}

/*
 * Check a trace against <case>.trace-expect, whose lines are
 *   count N REGEX    exactly N lines of the trace match REGEX
 *   line REGEX       at least one line matches
 * (extended regular expressions; # starts a comment). Prints what does not hold.
 */
static bool check_trace(const char *name, const char *trace)
{
    char *spec = read_expected(name, ".trace-expect");
    if (!spec) {
        printf("\n      no %s.trace-expect", name);
        return false;
    }
    bool ok = true;
    for (char *line = strtok(spec, "\n"); line; line = strtok(NULL, "\n")) {
        int want = -1;
        const char *pattern;
        if (strncmp(line, "count ", 6) == 0) {
            char *end;
            want = (int)strtol(line + 6, &end, 10);
            pattern = end + 1;
        } else if (strncmp(line, "line ", 5) == 0) {
            pattern = line + 5;
        } else {
            continue;
        }
        regex_t re;
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
            printf("\n      bad pattern in %s.trace-expect: %s", name, pattern);
            ok = false;
            continue;
        }
        int got = count_matches(trace, &re);
        regfree(&re);
        if (want >= 0 ? got != want : got == 0) {
            printf("\n      trace: %d line(s) match /%s/, expected %s%d", got, pattern,
                   want >= 0 ? "" : "at least ", want >= 0 ? want : 1);
            ok = false;
        }
    }
    free(spec);
    return ok;
}

struct outcome {
    int status;          /* exit status, or -1 when killed for time */
    char *out, *err;
    size_t outlen, errlen;
    double seconds;
};

static void append(char **buf, size_t *len, const char *data, size_t n)
{
    if (*len + n > MAX_OUTPUT)
        n = MAX_OUTPUT - *len;
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs pagevisor with the case's arguments; kills it (and says so) past the time limit. */
/* A case run with --3gb boots the kernel linked for /3GB (the harness names both kernels, so
 * that the runner VM has them). */
static bool case_wants_3gb(const struct test_case *c)
{
    for (int i = 0; i < c->nargs; i++)
        if (strcmp(c->args[i], "--3gb") == 0)
            return true;
    return false;
}

static void run_case(const struct test_case *c, struct outcome *o)
{
    int outp[2], errp[2];
    memset(o, 0, sizeof(*o));
    o->out = calloc(1, MAX_OUTPUT + 1);
    o->err = calloc(1, MAX_OUTPUT + 1);
    o->status = -2;
    if (!o->out || !o->err || pipe(outp) || pipe(errp))
        return;
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%u", c->timeout);
    char *argv[MAX_ARGS + 16];
    int n = 0;
    argv[n++] = (char *)pagevisor;
    argv[n++] = "run";
    argv[n++] = "--runner";
    argv[n++] = "never";
    argv[n++] = "--kernel";
    argv[n++] = (char *)(case_wants_3gb(c) ? kernel_3gb : kernel);
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    if (c->trace_format) {
        argv[n++] = "--trace";
        argv[n++] = (char *)trace_path;
        argv[n++] = "--trace-format";
        argv[n++] = c->trace_format;
    }
    for (int i = 0; i < c->nargs; i++)
        argv[n++] = c->args[i];
    argv[n] = NULL;
    const char *in_path = c->stdin_path ? c->stdin_path : "/dev/null";
    int in = open(in_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        o->errlen = (size_t)snprintf(o->err, MAX_OUTPUT, "integration: stdin=%s: %s\n", in_path,
                                     strerror(errno));
        close(outp[0]); close(outp[1]); close(errp[0]); close(errp[1]);
        return;
    }
    double start = now();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in, 0);
        dup2(outp[1], 1);
        dup2(errp[1], 2);
        close(outp[0]); close(outp[1]); close(errp[0]); close(errp[1]);
        execv(pagevisor, argv);
        fprintf(stderr, "exec %s: %s\n", pagevisor, strerror(errno));
        _exit(127);
    }
    close(in);
    close(outp[1]);
    close(errp[1]);
    struct pollfd fds[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
    int open_fds = 2;
    double deadline = start + c->timeout + 10; /* pagevisor's own --timeout fires first */
    bool killed = false;
    while (open_fds > 0) {
        int left = (int)((deadline - now()) * 1000);
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        if (poll(fds, 2, left > 0 ? left : 1000) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            char buf[4096];
            ssize_t r = read(fds[i].fd, buf, sizeof(buf));
            if (r <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            } else if (i == 0) {
                append(&o->out, &o->outlen, buf, (size_t)r);
            } else {
                append(&o->err, &o->errlen, buf, (size_t)r);
            }
        }
    }
    int status;
    waitpid(pid, &status, 0);
    o->seconds = now() - start;
    o->status = killed ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void show(FILE *f, const char *what, const char *text)
{
    fprintf(f, "\n      --- %s ---\n", what);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(f, "      | %.*s\n", len, p);
        p += len + (nl ? 1 : 0);
    }
}

/* The unified diff of expected against actual stdout, each line indented. */
static void show_diff(FILE *f, const struct test_case *c, const char *expected, const char *got)
{
    char label[600], *text = NULL;
    size_t len = 0;
    expected_path(c->name, label, sizeof(label));
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return;
    if (c->any_order)
        fprintf(m, "(order=any: lines compared sorted)\n");
    int rc = udiff(m, label, expected, "actual stdout", got);
    fclose(m);
    if (rc < 0) {
        free(text);
        show(f, "stdout", got);
        return;
    }
    fprintf(f, "\n");
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(f, "      %.*s\n", n, p);
        p += n + (nl ? 1 : 0);
    }
    free(text);
}

/* Keeps a failed case's output (and trace) where CI collects it: ARTIFACTS/NAME.stdout... */
static void keep_artifacts(const struct test_case *c, const struct outcome *o, const char *trace)
{
    if (!artifacts_dir)
        return;
    char path[600];
    snprintf(path, sizeof(path), "%s/%s.stdout", artifacts_dir, c->name);
    if (junit_make_dirs(path) < 0)
        return;
    write_file(path, o->out, o->outlen);
    snprintf(path, sizeof(path), "%s/%s.stderr", artifacts_dir, c->name);
    write_file(path, o->err, o->errlen);
    if (trace) {
        snprintf(path, sizeof(path), "%s/%s.trace", artifacts_dir, c->name);
        write_file(path, trace, strlen(trace));
    }
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The text's lines sorted, joined: output compared as a multiset of lines. */
static char *sorted_lines(const char *text)
{
    size_t n = 1, total = strlen(text);
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    char **lines = calloc(n, sizeof(*lines));
    char *copy = strdup(text), *out = calloc(1, total + 2);
    if (!lines || !copy || !out) {
        free(lines);
        free(copy);
        free(out);
        return NULL;
    }
    size_t count = 0;
    for (char *p = copy, *save = NULL, *line; (line = strtok_r(p, "\n", &save)); p = NULL)
        lines[count++] = line;
    qsort(lines, count, sizeof(*lines), by_text);
    for (size_t i = 0; i < count; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
    }
    free(lines);
    free(copy);
    return out;
}

static bool same_output(const struct test_case *c, const char *expected, const char *got)
{
    if (!expected)
        return false;
    if (!c->any_order)
        return strcmp(expected, got) == 0;
    char *a = sorted_lines(expected), *b = sorted_lines(got);
    bool same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return same;
}

static void test_one_case(void)
{
    const struct test_case *c = &cases[next_case++];
    struct outcome o;
    /* What is printed about a failure goes to stdout and into the JUnit report. */
    char *report = NULL;
    size_t report_len = 0;
    FILE *rep = open_memstream(&report, &report_len);
    if (!rep)
        rep = stdout;
    run_case(c, &o);
    char *expected = read_expected(c->name, ".expected");
    bool out_ok = same_output(c, expected, o.out);
    bool trace_ok = true;
    char *trace = NULL;
    if (c->trace_format) {
        FILE *tf = fopen(trace_path, "r");
        trace = tf ? read_whole_max(tf, MAX_TRACE) : NULL;
        trace_ok = trace && check_trace(c->name, trace);
        if (!trace)
            fprintf(rep, "\n      no trace written to %s", trace_path);
        unlink(trace_path);
    }
    if (!trace_ok)
        fprintf(rep, "\n      trace does not match %s.trace-expect", c->name);
    bool status_ok = o.status == c->exit_status;
    bool err_ok = true;
    for (int i = 0; i < c->nwants; i++)
        err_ok = err_ok && strstr(o.err, c->stderr_wants[i]);
    bool rewritten = false;
    if (!out_ok && update != UPDATE_NONE && (status_ok || update == UPDATE_FORCE)) {
        char path[600];
        expected_path(c->name, path, sizeof(path));
        if (write_file(path, o.out, o.outlen) == 0) {
            fprintf(stdout, "\n      rewrote %s from this run's stdout\n", path);
            rewritten = out_ok = true;
            n_updated++;
        }
    } else if (!out_ok && update == UPDATE_PASSING_STATUS) {
        fprintf(rep, "\n      not rewriting the expected output: the exit status is wrong "
                     "(--update=force would)");
    }
    CU_ASSERT_TRUE(trace_ok);
    CU_ASSERT_TRUE(expected || rewritten);
    CU_ASSERT_TRUE(out_ok);
    CU_ASSERT_EQUAL(o.status, c->exit_status);
    CU_ASSERT_TRUE(err_ok);
    if (o.status == -1)
        fprintf(rep, "\n      TIMEOUT after %.0f s", o.seconds);
    if (!expected && !rewritten) {
        fprintf(rep, "\n      no %s.expected in", c->name);
        for (int i = 0; i < n_expected_dirs; i++)
            fprintf(rep, "%s %s", i ? " or" : "", expected_dirs[i]);
    }
    if (!status_ok && o.status != -1)
        fprintf(rep, "\n      exit status %d, expected %d", o.status, c->exit_status);
    bool ok = out_ok && status_ok && err_ok && trace_ok;
    if (!ok || verbose) {
        if (expected && !out_ok) {
            char *a = c->any_order ? sorted_lines(expected) : NULL;
            char *b = c->any_order ? sorted_lines(o.out) : NULL;
            show_diff(rep, c, a ? a : expected, b ? b : o.out);
            free(a);
            free(b);
        } else {
            show(rep, "stdout", o.out);
        }
        show(rep, "stderr", o.err);
        for (int i = 0; !err_ok && i < c->nwants; i++)
            fprintf(rep, "      stderr should contain: %s\n", c->stderr_wants[i]);
    }
    if (rep != stdout) {
        fclose(rep);
        fputs(report, stdout);
    }
    if (!ok) {
        keep_artifacts(c, &o, trace);
        /* A summary line first (the report's own first line is the end of CUnit's). */
        char summary[200] = "";
        const char *parts[] = {
            o.status == -1 ? "timed out" : NULL,
            !status_ok && o.status != -1 ? "wrong exit status" : NULL,
            !expected && !rewritten ? "no expected output file" :
            !out_ok ? "stdout differs from the expected output" : NULL,
            !err_ok ? "stderr lacks an expected line" : NULL,
            !trace_ok ? "the trace does not match" : NULL,
        };
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
            if (parts[i])
                snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), "%s%s",
                         *summary ? "; " : "", parts[i]);
        char *msg = NULL;
        if (asprintf(&msg, "%s\n%s", summary, report ? report : "") < 0)
            msg = NULL;
        junit_add(&junit, c->name, o.seconds, msg ? msg : "failed", NULL);
        free(msg);
    } else {
        junit_add(&junit, c->name, o.seconds, NULL, NULL);
    }
    if (rep != stdout)
        free(report);
    free(trace);
    free(expected);
    free(o.out);
    free(o.err);
}

static int probe_capable(void)
{
    char *cmd;
    if (asprintf(&cmd, "%s probe >/dev/null 2>&1", pagevisor) < 0)
        return 0;
    int rc = system(cmd);
    free(cmd);
    return rc == 0;
}

/* The JUnit report when the suite could not write one itself (it did not finish). */
static void junit_error(const char *what)
{
    if (!junit_path || access(junit_path, F_OK) == 0)
        return;
    struct junit_suite s = { .name = "integration" };
    junit_add(&s, "integration runner", 0, what, NULL);
    junit_write(&s, junit_path);
    junit_free(&s);
}

/* Re-run this suite inside the KVM runner VM: one boot for every case. Its JUnit report and
 * the expected files --update rewrites are copied back out. */
static int run_in_runner(char **argv, int argc)
{
    const char *self_static = getenv("INTEGRATION_STATIC");
    if (!self_static)
        self_static = "build/tests/integration-static";
#define VM_JUNIT ".pv-results/integration.xml" /* the report inside the VM */
    char **args = calloc((size_t)argc + 2 * (size_t)ncases + 40, sizeof(*args));
    char **owned = calloc((size_t)ncases + 2, sizeof(*owned));
    int n = 0, n_owned = 0, rc = 2;
    if (!args || !owned)
        goto done;
    char vm_self[512], timeout[16];
    snprintf(vm_self, sizeof(vm_self), "/pv/%s", self_static);
    snprintf(timeout, sizeof(timeout), "%u", 600 + (unsigned)ncases * (default_timeout + 10));
    args[n++] = (char *)pagevisor;
    args[n++] = "runner";
    args[n++] = "--timeout";
    args[n++] = timeout;
    args[n++] = "--put";
    args[n++] = (char *)self_static;
    args[n++] = "--put";
    args[n++] = (char *)kernel;
    args[n++] = "--put";
    args[n++] = (char *)kernel_3gb;
    args[n++] = "--put";
    args[n++] = (char *)images_dir;
    for (int i = 0; i < n_expected_dirs; i++) {
        args[n++] = "--put";
        args[n++] = (char *)expected_dirs[i];
    }
    args[n++] = "--put";
    args[n++] = (char *)cases_file;
    args[n++] = "--put";
    args[n++] = (char *)inputs_dir;
    if (junit_path) {
        if (junit_make_dirs(junit_path) < 0 || (unlink(junit_path) < 0 && errno != ENOENT)) {
            fprintf(stderr, "integration: cannot write %s: %s\n", junit_path, strerror(errno));
            goto done;
        }
        args[n++] = "--get";
        if (asprintf(&owned[n_owned], "%s=%s", VM_JUNIT, junit_path) < 0)
            goto done;
        args[n++] = owned[n_owned++];
    }
    /* Each case's expected file, as the VM's copy may be rewritten (the same path inside). */
    for (int i = 0; update != UPDATE_NONE && i < ncases; i++) {
        char path[600];
        expected_path(cases[i].name, path, sizeof(path));
        args[n++] = "--get";
        args[n++] = owned[n_owned++] = strdup(path);
    }
    args[n++] = "--";
    args[n++] = vm_self;
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--pagevisor=", 12) != 0 && strncmp(argv[i], "--junit=", 8) != 0)
            args[n++] = argv[i];
    args[n++] = "--pagevisor=/pv/bin/pagevisor";
    if (junit_path)
        args[n++] = "--junit=" VM_JUNIT;
    args[n++] = "--inside-runner";
    args[n] = NULL;
    printf("integration: this host's KVM cannot run 32-bit paged guests; running the suite in the "
           "KVM runner VM\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execv(pagevisor, args);
        fprintf(stderr, "integration: exec %s: %s\n", pagevisor, strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    rc = pid < 0 ? 2 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    char what[200];
    snprintf(what, sizeof(what), "the suite did not finish in the KVM runner VM (%s exit status %d)",
             pagevisor, rc);
    junit_error(what);
    if (junit_path && access(junit_path, F_OK) == 0)
        printf("JUnit report: %s\n", junit_path);
done:
    while (n_owned > 0)
        free(owned[--n_owned]);
    free(owned);
    free(args);
    return rc;
}

static const char usage[] =
    "usage: integration [--pagevisor=PATH] [--kernel=PATH] [--kernel-3gb=PATH] [--images=DIR]\n"
    "                   [--cases=FILE] [--expected=DIR] [--timeout=SEC] [--only=GLOBS]\n"
    "                   [--shard=K/N] [--list] [--update[=force]] [--junit=FILE] [--verbose]\n"
    "                   [--inside-runner]\n"
    "  --only=GLOBS     the cases whose names match one of these shell globs (comma or space\n"
    "                   separated), e.g. --only='hello,av-*'\n"
    "  --shard=K/N      only the cases whose position in the list, modulo N, is K-1 (1 <= K <= N):\n"
    "                   the N shards together run every case exactly once\n"
    "  --list           print the names of the cases that would run, and run nothing\n"
    "  --update         rewrite a case's expected file from its actual stdout when that differs\n"
    "                   and the exit status is right; --update=force even when it is not\n"
    "  --junit=FILE     write a JUnit XML report (default: $PAGEVISOR_TEST_RESULTS/integration.xml,\n"
    "                   integration-shard-K-of-N.xml with --shard)\n"
    "  --expected=DIR   look for NAME.expected in DIR only\n";

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "integration: %s%s\n%s", what, arg, usage);
    return 2;
}

/* "K/N" with 1 <= K <= N; 0 when good. */
static int parse_shard(const char *spec)
{
    char *end;
    errno = 0;
    long k = strtol(spec, &end, 10);
    if (end == spec || *end != '/' || errno)
        return -1;
    const char *rest = end + 1;
    long nn = strtol(rest, &end, 10);
    if (end == rest || *end || errno || k < 1 || nn < 1 || k > nn || nn > MAX_CASES)
        return -1;
    shard_k = (int)k;
    shard_n = (int)nn;
    return 0;
}

int main(int argc, char **argv)
{
    bool inside = false, list = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--pagevisor=", 12) == 0) pagevisor = a + 12;
        else if (strncmp(a, "--kernel=", 9) == 0) kernel = a + 9;
        else if (strncmp(a, "--kernel-3gb=", 13) == 0) kernel_3gb = a + 13;
        else if (strncmp(a, "--images=", 9) == 0) images_dir = a + 9;
        else if (strncmp(a, "--cases=", 8) == 0) cases_file = a + 8;
        else if (strncmp(a, "--expected=", 11) == 0) {
            expected_dirs[0] = a + 11;
            n_expected_dirs = 1;
        }
        else if (strncmp(a, "--timeout=", 10) == 0) default_timeout = (unsigned)atoi(a + 10);
        else if (strncmp(a, "--only=", 7) == 0) only = strdup(a + 7);
        else if (strncmp(a, "--shard=", 8) == 0) {
            if (parse_shard(a + 8) < 0)
                return usage_error("need --shard=K/N with 1 <= K <= N, not ", a + 8);
        }
        else if (strcmp(a, "--list") == 0) list = true;
        else if (strcmp(a, "--update") == 0) update = UPDATE_PASSING_STATUS;
        else if (strcmp(a, "--update=force") == 0) update = UPDATE_FORCE;
        else if (strncmp(a, "--junit=", 8) == 0) junit_path = a + 8;
        else if (strcmp(a, "--verbose") == 0) verbose = true;
        else if (strcmp(a, "--inside-runner") == 0) inside = true;
        else
            return usage_error("unknown option ", a);
    }
    if (only)
        split_patterns();
    if (load_cases() != 0)
        return 2;
    if (list) {
        for (int i = 0; i < ncases; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    if (ncases == 0) {
        fprintf(stderr, "integration: no cases to run from %s", cases_file);
        if (shard_n)
            fprintf(stderr, " in shard %d/%d", shard_k, shard_n);
        fputc('\n', stderr);
        return 2;
    }
    char *junit_default = NULL;
    if (!junit_path && !inside) {
        char file[64];
        if (shard_n)
            snprintf(file, sizeof(file), "integration-shard-%d-of-%d.xml", shard_k, shard_n);
        else
            snprintf(file, sizeof(file), "integration.xml");
        junit_path = junit_default = junit_results_path(file);
    }
    if (junit_path) {
        /* FILE.xml: a failed case's outputs go to FILE-failures/. */
        size_t len = strlen(junit_path);
        if (len > 4 && strcmp(junit_path + len - 4, ".xml") == 0)
            len -= 4;
        if (asprintf(&artifacts_dir, "%.*s-failures", (int)len, junit_path) < 0)
            artifacts_dir = NULL;
    }
    snprintf(trace_path, sizeof(trace_path), "/tmp/pagevisor-integration-%d.trace", (int)getpid());
    if (!inside && !probe_capable())
        return run_in_runner(argv, argc);

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite suite = CU_add_suite("guest images", NULL, NULL);
    for (int i = 0; suite && i < ncases; i++)
        if (!CU_add_test(suite, cases[i].name, test_one_case))
            return 2;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned ran = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    printf("%u passed, %u failed\n", ran - failed, failed);
    if (n_updated)
        printf("%d expected file(s) rewritten: check them with git diff\n", n_updated);
    if (junit_path && junit_write(&junit, junit_path) == 0 && !inside)
        printf("JUnit report: %s\n", junit_path);
    junit_free(&junit);
    free(junit_default);
    return (failed || ran != (unsigned)ncases) ? 1 : 0;
}
