/* gdb_conn.c - the debugger's connection: listening, accepting, reading with a deadline, and
 * the watcher thread that interrupts a running guest when the debugger speaks. */
#include "gdb_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"

#define WRITE_PATIENCE_MS 10000
#define NOBODY_THERE_MS   50     /* a device with no debugger behind it is looked at again */

bool gdb_spec_port(const char *spec, unsigned *port)
{
    unsigned long v = 0;
    if (!*spec || strlen(spec) > 5)
        return false;
    for (const char *p = spec; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    *port = (unsigned)v;
    return true;
}

static int listen_tcp(struct gdb_conn *c, unsigned port, char *why, size_t whylen)
{
    if (port == 0 || port > 65535) {
        snprintf(why, whylen, "%u is no TCP port (1-65535)", port);
        return -1;
    }
    snprintf(c->where, sizeof(c->where), "127.0.0.1:%u", port);
    c->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (c->listen_fd < 0 ||
        setsockopt(c->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(c->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(c->listen_fd, 1) < 0) {
        snprintf(why, whylen, "cannot listen on %s: %s", c->where,
                 errno == EADDRINUSE ? "the port is in use" : strerror(errno));
        return -1;
    }
    return 0;
}

static int listen_unix(struct gdb_conn *c, const char *path, char *why, size_t whylen)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    struct stat st;
    if (strlen(path) >= sizeof(a.sun_path)) {
        snprintf(why, whylen, "%s: a Unix socket path may have at most %zu bytes", path,
                 sizeof(a.sun_path) - 1);
        return -1;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(why, whylen, "%s exists and is neither a socket nor a character device",
                     path);
            return -1;
        }
        unlink(path);   /* a socket left by an earlier run */
    }
    memcpy(a.sun_path, path, strlen(path) + 1);
    c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        listen(c->listen_fd, 1) < 0) {
        snprintf(why, whylen, "cannot listen on %s: %s", path, strerror(errno));
        return -1;
    }
    c->unix_path = strdup(path);
    snprintf(c->where, sizeof(c->where), "%s", path);
    return 0;
}

static int open_device(struct gdb_conn *c, const char *path, char *why, size_t whylen)
{
    c->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (c->fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct termios t;
    if (tcgetattr(c->fd, &t) == 0) {   /* a serial line: bytes as they are */
        cfmakeraw(&t);
        tcsetattr(c->fd, TCSANOW, &t);
    }
    c->device = true;
    snprintf(c->where, sizeof(c->where), "%s", path);
    return 0;
}

int gdb_conn_open(struct gdb_conn *c, const char *spec, char *why, size_t whylen)
{
    memset(c, 0, sizeof(*c));
    c->listen_fd = c->fd = -1;
    c->ctl[0] = c->ctl[1] = -1;
    unsigned port;
    struct stat st;
    int rc;
    if (gdb_spec_port(spec, &port))
        rc = listen_tcp(c, port, why, whylen);
    else if (stat(spec, &st) == 0 && S_ISCHR(st.st_mode))
        rc = open_device(c, spec, why, whylen);
    else
        rc = listen_unix(c, spec, why, whylen);
    if (rc != 0) {
        gdb_conn_close(c);
        return -1;
    }
    if (c->listen_fd >= 0)
        fcntl(c->listen_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

void gdb_conn_close(struct gdb_conn *c)
{
    if (c->watching) {
        char q = 'q';
        if (write(c->ctl[1], &q, 1) == 1)
            pthread_join(c->watcher, NULL);
        c->watching = false;
    }
    for (int i = 0; i < 2; i++)
        if (c->ctl[i] >= 0)
            close(c->ctl[i]);
    if (c->fd >= 0)
        close(c->fd);
    if (c->listen_fd >= 0)
        close(c->listen_fd);
    if (c->unix_path)
        unlink(c->unix_path);
    free(c->unix_path);
    c->unix_path = NULL;
    c->fd = c->listen_fd = c->ctl[0] = c->ctl[1] = -1;
}

static int ms_left(double deadline)
{
    if (deadline < 0)
        return -1;
    double left = deadline - monotonic_seconds();
    return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

static void nap(int ms)
{
    struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

ssize_t gdb_conn_read(struct gdb_conn *c, void *buf, size_t cap, int timeout_ms)
{
    double deadline = timeout_ms < 0 ? -1 : monotonic_seconds() + timeout_ms / 1000.0;
    for (;;) {
        int left = ms_left(deadline);
        /* No debugger yet: wait for one to connect, then for what it says. */
        struct pollfd p = { .fd = c->fd >= 0 ? c->fd : c->listen_fd, .events = POLLIN };
        int rc = poll(&p, 1, left);
        if (rc < 0 && errno != EINTR)
            return -1;
        if (rc == 0)
            return 0;
        if (rc < 0)
            continue;
        if (c->fd < 0) {
            int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0) {
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails on Unix */
                c->fd = fd;
            }
            continue;
        }
        ssize_t n = read(c->fd, buf, cap);
        if (n > 0) {
            c->talking = 1;
            return n;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        /* End of file: the debugger went away (a device reads 0 while nobody is behind it). */
        if (c->device) {
            if (c->talking) {
                c->talking = 0;
                return -1;
            }
            int wait = left < 0 || left > NOBODY_THERE_MS ? NOBODY_THERE_MS : left;
            if (wait == 0)
                return 0;
            nap(wait);
            continue;
        }
        close(c->fd);
        c->fd = -1;
        c->talking = 0;
        return -1;
    }
}

bool gdb_conn_write(struct gdb_conn *c, const void *buf, size_t len)
{
    const char *p = buf;
    double deadline = monotonic_seconds() + WRITE_PATIENCE_MS / 1000.0;
    while (len > 0 && c->fd >= 0) {
        ssize_t n = c->device ? write(c->fd, p, len) : send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd q = { .fd = c->fd, .events = POLLOUT };
            int left = ms_left(deadline);
            if (left > 0 && (poll(&q, 1, left) >= 0 || errno == EINTR) &&
                !(q.revents & (POLLHUP | POLLERR)))
                continue;
        }
        return false;
    }
    return len == 0;
}

static void *watch(void *arg)
{
    struct gdb_conn *c = arg;
    for (;;) {
        char cmd;
        ssize_t n = read(c->ctl[0], &cmd, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 1 || cmd == 'q')
            return NULL;
        /* Armed: the vCPU thread does not touch the connection until kicked. */
        int fd = c->fd >= 0 ? c->fd : c->listen_fd;
        for (;;) {
            struct pollfd p[2] = { { .fd = c->ctl[0], .events = POLLIN },
                                   { .fd = fd, .events = POLLIN } };
            if (poll(p, 2, -1) < 0)
                continue;
            if (p[0].revents) {
                if (read(c->ctl[0], &cmd, 1) != 1 || cmd == 'q')
                    return NULL;
                continue;
            }
            if (c->device && (p[1].revents & POLLHUP) && !c->talking) {
                nap(NOBODY_THERE_MS);
                continue;
            }
            if (p[1].revents) {
                pthread_kill(c->vcpu_thread, c->kick_signal);
                break;
            }
        }
    }
}

int gdb_conn_start_watcher(struct gdb_conn *c, int kick_signal)
{
    if (pipe2(c->ctl, O_CLOEXEC) < 0)
        return -1;
    c->kick_signal = kick_signal;
    c->vcpu_thread = pthread_self();
    /* The watcher takes no signals: the run's timer and kick signals are the vCPU thread's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&c->watcher, NULL, watch, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -1;
    c->watching = true;
    return 0;
}

void gdb_conn_arm(struct gdb_conn *c)
{
    char a = 'a';
    if (c->watching && write(c->ctl[1], &a, 1) != 1) {
        /* the watcher is gone: input is then noticed only at the next stop */
    }
}
