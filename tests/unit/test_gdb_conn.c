/*
 * test_gdb_conn.c - where a debugger reaches pagevisor (vmm/gdb/gdb_conn.c): a loopback TCP
 * port (a port in use refused with a reason), a Unix socket (a file of another kind refused,
 * the socket removed at close), a character device (a pseudo-terminal here) served as it is;
 * reading with a deadline, a debugger going away, and the watcher's signal when bytes wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gdb_conn.h"
#include "unit.h"

static unsigned free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    CU_ASSERT_FATAL(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                    getsockname(s, (struct sockaddr *)&a, &len) == 0);
    close(s);
    return ntohs(a.sin_port);
}

static int connect_tcp(unsigned port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CU_ASSERT_FATAL(s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0);
    return s;
}

static void specs(void)
{
    unsigned port;
    CU_ASSERT_TRUE(gdb_spec_port("1234", &port));
    CU_ASSERT_EQUAL(port, 1234u);
    CU_ASSERT_TRUE(gdb_spec_port("65535", &port));
    CU_ASSERT_FALSE(gdb_spec_port("12a", &port));
    CU_ASSERT_FALSE(gdb_spec_port("", &port));
    CU_ASSERT_FALSE(gdb_spec_port("123456", &port));
    CU_ASSERT_FALSE(gdb_spec_port("/tmp/x", &port));
    struct gdb_conn c;
    char why[256];
    CU_ASSERT_EQUAL(gdb_conn_open(&c, "0", why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "no TCP port"));
}

static void tcp_port(void)
{
    unsigned port = free_port();
    char spec[16], why[256];
    snprintf(spec, sizeof(spec), "%u", port);
    struct gdb_conn c, again;
    CU_ASSERT_EQUAL_FATAL(gdb_conn_open(&c, spec, why, sizeof(why)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(c.where, "127.0.0.1:"));
    /* The same port a second time: in use, said so. */
    CU_ASSERT_EQUAL(gdb_conn_open(&again, spec, why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the port is in use"));
    char buf[64];
    CU_ASSERT_EQUAL(gdb_conn_read(&c, buf, sizeof(buf), 50), 0);   /* nobody yet */
    int client = connect_tcp(port);
    CU_ASSERT_EQUAL(write(client, "$?#3f", 5), 5);
    ssize_t n = gdb_conn_read(&c, buf, sizeof(buf), 2000);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_EQUAL(memcmp(buf, "$?#3f", 5), 0);
    CU_ASSERT_TRUE(gdb_conn_write(&c, "+$S05#b8", 8));
    char reply[16] = "";
    CU_ASSERT_EQUAL(read(client, reply, sizeof(reply) - 1), 8);
    CU_ASSERT_STRING_EQUAL(reply, "+$S05#b8");
    close(client);                                    /* the debugger goes away */
    CU_ASSERT_EQUAL(gdb_conn_read(&c, buf, sizeof(buf), 2000), -1);
    CU_ASSERT_EQUAL(c.fd, -1);
    CU_ASSERT_FALSE(gdb_conn_write(&c, "+", 1));      /* nobody to write to: no SIGPIPE */
    client = connect_tcp(port);                       /* and another may come */
    CU_ASSERT_EQUAL(write(client, "+", 1), 1);
    CU_ASSERT_EQUAL(gdb_conn_read(&c, buf, sizeof(buf), 2000), 1);
    close(client);
    gdb_conn_close(&c);
}

static void unix_socket(void)
{
    char dir[] = "/tmp/pv-gdb-XXXXXX", path[64], why[256];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/file", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    struct gdb_conn c;
    CU_ASSERT_EQUAL(gdb_conn_open(&c, path, why, sizeof(why)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "neither a socket nor a character device"));
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);              /* left alone */
    unlink(path);
    snprintf(path, sizeof(path), "%s/sock", dir);
    CU_ASSERT_EQUAL_FATAL(gdb_conn_open(&c, path, why, sizeof(why)), 0);
    CU_ASSERT_TRUE(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    CU_ASSERT_FATAL(connect(client, (struct sockaddr *)&a, sizeof(a)) == 0);
    CU_ASSERT_EQUAL(write(client, "\x03", 1), 1);
    char buf[8];
    CU_ASSERT_EQUAL(gdb_conn_read(&c, buf, sizeof(buf), 2000), 1);
    CU_ASSERT_EQUAL(buf[0], 3);
    close(client);
    gdb_conn_close(&c);
    CU_ASSERT_EQUAL(stat(path, &st), -1);             /* removed at close */
    /* A socket file an earlier run left behind is replaced. */
    int old = socket(AF_UNIX, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(bind(old, (struct sockaddr *)&a, sizeof(a)) == 0);
    close(old);
    CU_ASSERT_EQUAL(gdb_conn_open(&c, path, why, sizeof(why)), 0);
    gdb_conn_close(&c);
    rmdir(dir);
}

static void character_device(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    CU_ASSERT_FATAL(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
    char why[256];
    struct gdb_conn c;
    CU_ASSERT_EQUAL_FATAL(gdb_conn_open(&c, ptsname(master), why, sizeof(why)), 0);
    CU_ASSERT_TRUE(c.device);
    CU_ASSERT_EQUAL(c.listen_fd, -1);
    char buf[16];
    CU_ASSERT_EQUAL(gdb_conn_read(&c, buf, sizeof(buf), 50), 0);
    CU_ASSERT_EQUAL(write(master, "$g#67", 5), 5);
    CU_ASSERT_EQUAL(gdb_conn_read(&c, buf, sizeof(buf), 2000), 5);
    CU_ASSERT_TRUE(gdb_conn_write(&c, "+", 1));
    CU_ASSERT_EQUAL(read(master, buf, 1), 1);         /* raw: no echo, no translation */
    CU_ASSERT_EQUAL(buf[0], '+');
    gdb_conn_close(&c);
    close(master);
}

static volatile sig_atomic_t kicks;
static void on_kick(int sig)
{
    (void)sig;
    kicks++;
}

/* The watcher signals once per arming when bytes wait, and not before. */
static void watcher_kicks_when_bytes_wait(void)
{
    struct sigaction sa = { .sa_handler = on_kick };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    unsigned port = free_port();
    char spec[16], why[256];
    snprintf(spec, sizeof(spec), "%u", port);
    struct gdb_conn c;
    CU_ASSERT_EQUAL_FATAL(gdb_conn_open(&c, spec, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL_FATAL(gdb_conn_start_watcher(&c, SIGUSR2), 0);
    kicks = 0;
    gdb_conn_arm(&c);
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    for (int i = 0; i < 10; i++)
        nanosleep(&tick, NULL);
    CU_ASSERT_EQUAL(kicks, 0);                        /* nobody there: no kick */
    int client = connect_tcp(port);                   /* a connection waits: kick */
    for (int i = 0; i < 300 && !kicks; i++)
        nanosleep(&tick, NULL);
    CU_ASSERT_EQUAL(kicks, 1);
    char buf[8];
    CU_ASSERT_EQUAL(gdb_conn_read(&c, buf, sizeof(buf), 0), 0);   /* accepted, no bytes yet */
    gdb_conn_arm(&c);
    CU_ASSERT_EQUAL(write(client, "\x03", 1), 1);
    for (int i = 0; i < 300 && kicks < 2; i++)
        nanosleep(&tick, NULL);
    CU_ASSERT_EQUAL(kicks, 2);
    CU_ASSERT_EQUAL(gdb_conn_read(&c, buf, sizeof(buf), 100), 1);
    close(client);
    gdb_conn_close(&c);                                /* the watcher is joined */
    signal(SIGUSR2, SIG_DFL);
}

static const struct unit_test tests[] = {
    UNIT_TEST(specs),
    UNIT_TEST(tcp_port),
    UNIT_TEST(unix_socket),
    UNIT_TEST(character_device),
    UNIT_TEST(watcher_kicks_when_bytes_wait),
};

int main(void)
{
    return unit_run("gdb_conn", tests, sizeof(tests) / sizeof(tests[0]));
}
