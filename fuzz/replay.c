/*
 * replay.c - replays the checked-in fuzz corpus without libFuzzer (gcc, ASan+UBSan, in `make
 * test`): every file under the corpus directory, whichever target it was found for, goes
 * through every fuzz target once. Each target is compiled with its LLVMFuzzerTestOneInput
 * renamed (fuzz_one_TARGET) and linked in here. Each run is a child process whose output is
 * kept and shown only when it fails: a sanitizer report or a crash fails that one case (with
 * its signal or exit status and the report) and the others still run; a run longer than REPLAY_TIMEOUT seconds fails as a hang.
 * Prints "fuzz-replay: N passed, M failed" and, with PAGEVISOR_TEST_RESULTS set, writes the
 * JUnit report fuzz-replay.xml (tests/junit.h).
 *
 * Usage: replay CORPUS_DIR
 */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tests/junit.h"

#define REPLAY_TIMEOUT 30

#define TARGETS(X) X(hypercall) X(loader) X(image_store) X(trace) X(pt_walk) X(guest_elf) X(gdb_stub)
#define DECLARE(name) int fuzz_one_##name(const uint8_t *data, size_t size);
TARGETS(DECLARE)

static const struct {
    const char *name;
    int (*one)(const uint8_t *data, size_t size);
} targets[] = {
#define ENTRY(name) { #name, fuzz_one_##name },
    TARGETS(ENTRY)
};

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file one level below corpus/<target>/, sorted. */
static char **list_corpus(const char *dir, size_t *count)
{
    char **files = NULL;
    size_t n = 0, cap = 0;
    DIR *top = opendir(dir);
    if (!top)
        return NULL;
    for (struct dirent *t; (t = readdir(top));) {
        if (t->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", dir, t->d_name);
        DIR *d = opendir(sub);
        if (!d)
            continue;
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.')
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                char **grown = realloc(files, cap * sizeof(*files));
                if (!grown)
                    exit(2);
                files = grown;
            }
            if (asprintf(&files[n++], "%s/%s", sub, e->d_name) < 0)
                exit(2);
        }
        closedir(d);
    }
    closedir(top);
    if (files)
        qsort(files, n, sizeof(*files), by_name);
    *count = n;
    return files;
}

/* What a child wrote (its stdout and stderr go to a memfd), or NULL; the caller frees it. */
static char *read_back(int fd)
{
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0)
        return NULL;
    if (size > 64 * 1024)
        size = 64 * 1024;
    char *text = calloc(1, (size_t)size + 1);
    if (text && pread(fd, text, (size_t)size, 0) < 0)
        text[0] = '\0';
    return text;
}

/* One target over one input in a child whose output is kept in *output (NULL when it wrote
 * nothing); returns NULL when the target returned, else why it did not. */
static const char *run_one(int (*one)(const uint8_t *, size_t), const uint8_t *data, size_t len,
                           char **output, char *why, size_t whylen)
{
    *output = NULL;
    int out = memfd_create("fuzz-replay", MFD_CLOEXEC);
    if (out < 0) {
        snprintf(why, whylen, "memfd_create failed");
        return why;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(out);
        snprintf(why, whylen, "fork failed");
        return why;
    }
    if (pid == 0) {
        dup2(out, 1);
        dup2(out, 2);
        alarm(REPLAY_TIMEOUT);
        one(data, len);
        _exit(0);
    }
    int st;
    pid_t got = waitpid(pid, &st, 0);
    *output = read_back(out);
    close(out);
    if (got < 0) {
        snprintf(why, whylen, "waitpid failed");
        return why;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return NULL;
    if (WIFSIGNALED(st))
        snprintf(why, whylen, "killed by signal %d%s", WTERMSIG(st),
                 WTERMSIG(st) == SIGALRM ? " (ran longer than 30 s)" : "");
    else
        snprintf(why, whylen, "exit status %d (a sanitizer report)", WEXITSTATUS(st));
    return why;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    size_t nfiles = 0;
    char **files = list_corpus(argv[1], &nfiles);
    if (!files || nfiles == 0) {
        fprintf(stderr, "fuzz-replay: %s: no corpus files\n", argv[1]);
        return 2;
    }
    struct junit_suite js = { .name = "fuzz-replay" };
    unsigned passed = 0, failed = 0;
    for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
        for (size_t i = 0; i < nfiles; i++) {
            char name[4200], why[128];
            snprintf(name, sizeof(name), "%s: %s", targets[t].name, files[i]);
            double start = junit_now();
            size_t len = 0;
            uint8_t *data = slurp(files[i], &len);
            char *output = NULL;
            const char *fail = data ? run_one(targets[t].one, data, len, &output, why,
                                              sizeof(why))
                                    : "cannot read the file";
            free(data);
            junit_add(&js, name, junit_now() - start, fail, fail ? output : NULL);
            if (fail) {
                fprintf(stderr, "fuzz-replay: FAILED %s: %s\n%s", name, fail,
                        output ? output : "");
                failed++;
            } else {
                passed++;
            }
            free(output);
        }
    }
    printf("fuzz-replay: %u passed, %u failed\n", passed, failed);
    char *path = junit_results_path("fuzz-replay.xml");
    if (path)
        junit_write(&js, path);
    free(path);
    junit_free(&js);
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    return failed ? 1 : 0;
}
