/* test_fdio.c - the shared descriptor and path helpers: a path's directory, and a whole buffer
 * written through a small non-blocking pipe while a reader drains it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "unit.h"

static void parent_dirs(void)
{
    char d[64];
    path_parent_dir("a/b/c.txt", d, sizeof(d));
    CU_ASSERT_STRING_EQUAL(d, "a/b");
    path_parent_dir("c.txt", d, sizeof(d));
    CU_ASSERT_STRING_EQUAL(d, ".");
    path_parent_dir("/c.txt", d, sizeof(d));
    CU_ASSERT_STRING_EQUAL(d, "/");
    path_parent_dir("/tmp/x/", d, sizeof(d));
    CU_ASSERT_STRING_EQUAL(d, "/tmp/x");
}

/* 1 MiB through a non-blocking pipe (64 KiB of buffer): EAGAIN is waited out, nothing lost. */
static void writes_everything_to_a_nonblocking_pipe(void)
{
    enum { LEN = 1 << 20 };
    int p[2];
    CU_ASSERT_FATAL(pipe(p) == 0);
    pid_t child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        close(p[1]);
        unsigned long sum = 0, n = 0;
        unsigned char buf[4096];
        ssize_t r;
        while ((r = read(p[0], buf, sizeof(buf))) > 0)
            for (ssize_t i = 0; i < r; i++, n++)
                sum += buf[i] ^ (unsigned char)(n * 7);
        _exit(n == LEN && sum == 0 ? 0 : 1);
    }
    close(p[0]);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    unsigned char *buf = malloc(LEN);
    CU_ASSERT_FATAL(buf != NULL);
    for (size_t i = 0; i < LEN; i++)
        buf[i] = (unsigned char)(i * 7);
    CU_ASSERT_EQUAL(fd_write_all(p[1], buf, LEN), 0);
    close(p[1]);
    int status;
    CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(buf);
}

static void a_closed_reader_is_an_error(void)
{
    int p[2];
    CU_ASSERT_FATAL(pipe(p) == 0);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    CU_ASSERT_EQUAL(fd_write_all(p[1], "x", 1), -1);
    CU_ASSERT_EQUAL(errno, EPIPE);
    close(p[1]);
}

static void the_clock_moves_forward(void)
{
    double a = monotonic_seconds(), b = monotonic_seconds();
    CU_ASSERT_TRUE(a > 0 && b >= a);
}

/* A short transfer's bytes come off the front of the vector: whole entries dropped, the one it
 * stopped inside shortened and moved on; all of it leaves nothing. */
static void short_transfers_advance_the_vector(void)
{
    char a[10], b[20], c[30];
    struct iovec v[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } }, *iov = v;
    int n = 3;

    iov_advance(&iov, &n, 0);
    CU_ASSERT_TRUE(iov == v && n == 3 && v[0].iov_len == 10);
    iov_advance(&iov, &n, 15);
    CU_ASSERT_TRUE(iov == &v[1] && n == 2);
    CU_ASSERT_TRUE(iov->iov_base == b + 5 && iov->iov_len == 15);
    iov_advance(&iov, &n, 15);
    CU_ASSERT_TRUE(iov == &v[2] && n == 1 && iov->iov_base == c && iov->iov_len == 30);
    iov_advance(&iov, &n, 30);
    CU_ASSERT_EQUAL(n, 0);
}

static const struct unit_test tests[] = {
    UNIT_TEST(parent_dirs),
    UNIT_TEST(writes_everything_to_a_nonblocking_pipe),
    UNIT_TEST(a_closed_reader_is_an_error),
    UNIT_TEST(short_transfers_advance_the_vector),
    UNIT_TEST(the_clock_moves_forward),
};
UNIT_MAIN("fdio", tests)
