/*
 * gdb_conn.h - where a debugger reaches pagevisor: a TCP port on the loopback address, a Unix
 * socket, or a character device already connected to one (the KVM runner's virtio-serial port
 * relayed to the host's socket). Opened before the guest boots, so a port in use is said
 * before anything runs. While the guest runs, a watcher thread polls the connection and kicks
 * the vCPU thread out of KVM_RUN with a signal when the debugger sends something.
 */
#ifndef PV_GDB_CONN_H
#define PV_GDB_CONN_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct gdb_conn {
    int listen_fd;          /* the socket listened on; -1 for a device */
    int fd;                 /* the debugger's connection (or the device); -1 when none */
    bool device;            /* a character device: a read of 0 means nobody is there now */
    char *unix_path;        /* a socket file of ours, removed at close */
    char where[160];        /* "127.0.0.1:1234", a path: for messages */
    int kick_signal;        /* sent to the vCPU thread when input waits */
    pthread_t vcpu_thread, watcher;
    bool watching;
    int ctl[2];             /* to the watcher: 'a' watch once, 'q' quit */
    volatile sig_atomic_t talking;  /* a device: a debugger has sent something, so a hang-up
                                     * is news */
};

/* A spec: a decimal port (1-65535, loopback only), else a path: an existing character device
 * is served as it is, anything else is a Unix socket created there (an old socket file is
 * replaced; any other file is refused). 0, or -1 with why. */
int gdb_conn_open(struct gdb_conn *c, const char *spec, char *why, size_t whylen);
void gdb_conn_close(struct gdb_conn *c);

/* Whether spec names a TCP port, and which. */
bool gdb_spec_port(const char *spec, unsigned *port);

/* Waits up to timeout_ms (-1: for ever) for bytes from a debugger, accepting one first if
 * none is connected. >0 bytes read; 0 nothing in time; -1 the debugger went away (the
 * connection is closed; the next call waits for another). EINTR from the run's timer signals
 * is retried inside. */
ssize_t gdb_conn_read(struct gdb_conn *c, void *buf, size_t cap, int timeout_ms);

/* Everything, or false when the debugger is gone or stops reading for 10 s. */
bool gdb_conn_write(struct gdb_conn *c, const void *buf, size_t len);

/* The watcher: started once (signal delivered to the calling thread), then armed before the
 * guest runs; it sends kick_signal once when input (or a connection) waits, and must be armed
 * again after that. */
int gdb_conn_start_watcher(struct gdb_conn *c, int kick_signal);
void gdb_conn_arm(struct gdb_conn *c);

#endif /* PV_GDB_CONN_H */
