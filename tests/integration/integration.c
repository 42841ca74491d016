/*
 * integration.c - boots every guest test case with pagevisor and checks what a user relies on:
 * the exact standard output, the exit status, and where a case asks, a line on stderr.
 *
 * Cases come from a file (tests/integration/cases.txt); a case's standard input is /dev/null or
 * the file its stdin= names. Each runs as its own CUnit test with a
 * time limit. On a host whose KVM cannot run 32-bit paged guests, the whole suite re-runs
 * itself inside the KVM runner VM (booted once), unless it is already inside it. It never
 * passes by skipping: no capable KVM and no runner is a failure.
 */
#include <errno.h>
#include <fcntl.h>
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
static const char *expected_dirs[] = { "tests/integration/expected", "tests/images" };
static const char *only;           /* run just this case */
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

static int load_cases(void)
{
    FILE *f = fopen(cases_file, "r");
    if (!f) {
        fprintf(stderr, "integration: %s: %s\n", cases_file, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0;
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
        if (r > 0 && (!only || strcmp(only, cases[ncases].name) == 0))
            ncases++;
    }
    fclose(f);
    return 0;
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
    for (unsigned i = 0; !f && i < sizeof(expected_dirs) / sizeof(expected_dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s%s", expected_dirs[i], name, suffix);
        f = fopen(path, "r");
    }
    return f ? read_whole(f) : NULL;
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

static void show(const char *what, const char *text)
{
    fprintf(stdout, "\n      --- %s ---\n", what);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stdout, "      | %.*s\n", len, p);
        p += len + (nl ? 1 : 0);
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
    run_case(c, &o);
    char *expected = read_expected(c->name, ".expected");
    bool out_ok = same_output(c, expected, o.out);
    bool trace_ok = true;
    if (c->trace_format) {
        FILE *tf = fopen(trace_path, "r");
        char *trace = tf ? read_whole_max(tf, MAX_TRACE) : NULL;
        trace_ok = trace && check_trace(c->name, trace);
        if (!trace)
            printf("\n      no trace written to %s", trace_path);
        free(trace);
        unlink(trace_path);
    }
    CU_ASSERT_TRUE(trace_ok);
    bool status_ok = o.status == c->exit_status;
    bool err_ok = true;
    for (int i = 0; i < c->nwants; i++)
        err_ok = err_ok && strstr(o.err, c->stderr_wants[i]);
    CU_ASSERT_PTR_NOT_NULL(expected);
    CU_ASSERT_TRUE(out_ok);
    CU_ASSERT_EQUAL(o.status, c->exit_status);
    CU_ASSERT_TRUE(err_ok);
    if (o.status == -1)
        fprintf(stdout, " TIMEOUT after %.0f s", o.seconds);
    if (!expected)
        fprintf(stdout, "\n      no %s.expected in %s or %s", c->name, expected_dirs[0],
                expected_dirs[1]);
    if (!status_ok && o.status != -1)
        fprintf(stdout, "\n      exit status %d, expected %d", o.status, c->exit_status);
    if (!out_ok || !status_ok || !err_ok || !trace_ok || verbose) {
        if (expected && !out_ok)
            show("expected stdout", expected);
        show("stdout", o.out);
        show("stderr", o.err);
        for (int i = 0; !err_ok && i < c->nwants; i++)
            fprintf(stdout, "      stderr should contain: %s\n", c->stderr_wants[i]);
    }
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

/* Re-run this suite inside the KVM runner VM: one boot for every case. */
static int run_in_runner(char **argv, int argc)
{
    const char *self_static = getenv("INTEGRATION_STATIC");
    if (!self_static)
        self_static = "build/tests/integration-static";
    char *args[64];
    int n = 0;
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
    args[n++] = "--put";
    args[n++] = (char *)expected_dirs[0];
    args[n++] = "--put";
    args[n++] = (char *)expected_dirs[1];
    args[n++] = "--put";
    args[n++] = (char *)cases_file;
    args[n++] = "--put";
    args[n++] = (char *)inputs_dir;
    args[n++] = "--";
    args[n++] = vm_self;
    for (int i = 1; i < argc && n < 60; i++)
        if (strncmp(argv[i], "--pagevisor=", 12) != 0)
            args[n++] = argv[i];
    args[n++] = "--pagevisor=/pv/bin/pagevisor";
    args[n++] = "--inside-runner";
    args[n] = NULL;
    printf("integration: this host's KVM cannot run 32-bit paged guests; running the suite in the "
           "KVM runner VM\n");
    fflush(stdout);
    execv(pagevisor, args);
    fprintf(stderr, "integration: exec %s: %s\n", pagevisor, strerror(errno));
    return 2;
}

static const char usage[] =
    "usage: integration [--pagevisor=PATH] [--kernel=PATH] [--kernel-3gb=PATH] [--images=DIR]\n"
    "                   [--cases=FILE]\n"
    "                   [--timeout=SEC] [--only=CASE] [--verbose] [--inside-runner]\n";

int main(int argc, char **argv)
{
    bool inside = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--pagevisor=", 12) == 0) pagevisor = a + 12;
        else if (strncmp(a, "--kernel=", 9) == 0) kernel = a + 9;
        else if (strncmp(a, "--kernel-3gb=", 13) == 0) kernel_3gb = a + 13;
        else if (strncmp(a, "--images=", 9) == 0) images_dir = a + 9;
        else if (strncmp(a, "--cases=", 8) == 0) cases_file = a + 8;
        else if (strncmp(a, "--timeout=", 10) == 0) default_timeout = (unsigned)atoi(a + 10);
        else if (strncmp(a, "--only=", 7) == 0) only = a + 7;
        else if (strcmp(a, "--verbose") == 0) verbose = true;
        else if (strcmp(a, "--inside-runner") == 0) inside = true;
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (load_cases() != 0)
        return 2;
    snprintf(trace_path, sizeof(trace_path), "/tmp/pagevisor-integration-%d.trace", (int)getpid());
    if (ncases == 0) {
        fprintf(stderr, "integration: no cases%s%s\n", only ? " named " : "", only ? only : "");
        return 2;
    }
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
    return (failed || ran != (unsigned)ncases) ? 1 : 0;
}
