/*
 * boot_times.c - runs one command N times and times each run from outside (fork to wait, on
 * CLOCK_MONOTONIC), for `make bench-boot` (bench/boot.sh). It is static so that one timing
 * loop serves both places: this host (pagevisor directly, qemu-system-i386 -kernel) and the
 * inside of the KVM runner VM, whose busybox userland brings nothing else to rely on.
 *
 *   boot-times --runs N [--warmup N] [--timeout SEC] --out FILE -- CMD [ARGS...]
 *
 * Every run gets stdin from /dev/null and its stdout and stderr in one file; FILE then holds,
 * per timed run, "run I status S wall_ms W" followed by that output, each line prefixed "> ".
 * S is the exit code, or 128 + the signal that ended it (SIGKILL, 137, after --timeout SEC).
 * Warm-up runs are not recorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    if (child > 0)
        kill(child, SIGKILL);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One run of argv with its output in out_path; returns its status (see above), -1 on error. */
static int run_once(char **argv, const char *out_path, unsigned timeout, double *wall_ms)
{
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        fprintf(stderr, "boot-times: %s: %s\n", out_path, strerror(errno));
        return -1;
    }
    double start = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "boot-times: fork: %s\n", strerror(errno));
        close(out);
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(127);
        execvp(argv[0], argv);
        dprintf(2, "boot-times: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    child = pid;
    alarm(timeout);
    int ws;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "boot-times: waitpid: %s\n", strerror(errno));
            close(out);
            return -1;
        }
    }
    *wall_ms = now_ms() - start;
    alarm(0);
    child = 0;
    close(out);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Appends run i's record to f: its header line, then its output, each line prefixed "> ". */
static int record(FILE *f, int i, int status, double wall_ms, const char *out_path)
{
    FILE *o = fopen(out_path, "r");
    if (!o) {
        fprintf(stderr, "boot-times: %s: %s\n", out_path, strerror(errno));
        return -1;
    }
    fprintf(f, "run %d status %d wall_ms %.3f\n", i, status, wall_ms);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, o)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        fprintf(f, "> %s\n", line);
    }
    free(line);
    fclose(o);
    return ferror(f) ? -1 : 0;
}

static int usage(void)
{
    fputs("usage: boot-times --runs N [--warmup N] [--timeout SEC] --out FILE -- CMD [ARGS...]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    int runs = 0, warmup = 0, timeout = 0, i = 1;
    const char *out = NULL;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = atoi(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = atoi(argv[++i]);
        else if (strcmp(argv[i], "--out") == 0)
            out = argv[++i];
        else
            return usage();
    }
    if (i + 1 >= argc || runs < 1 || warmup < 0 || timeout < 0 || !out)
        return usage();
    struct sigaction sa = { .sa_handler = on_alarm };   /* no SA_RESTART: waitpid sees EINTR */
    sigaction(SIGALRM, &sa, NULL);
    char **cmd = argv + i + 1;

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.run", out);
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "boot-times: %s: %s\n", out, strerror(errno));
        return 1;
    }
    int rc = 0;
    for (int r = -warmup; r < runs && rc == 0; r++) {
        double wall;
        int status = run_once(cmd, tmp, (unsigned)timeout, &wall);
        if (status < 0)
            rc = 1;
        else if (r >= 0 && record(f, r + 1, status, wall, tmp) != 0)
            rc = 1;
    }
    unlink(tmp);
    if (fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "boot-times: %s: %s\n", out, strerror(errno));
        rc = 1;
    }
    return rc;
}
