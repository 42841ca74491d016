/*
 * gdb_stub.h - the GDB Remote Serial Protocol, target side, apart from KVM: bytes from the
 * debugger go in, replies come out through a write callback, and what the debugger asks of the
 * machine (registers, memory through the guest's page tables, breakpoints, `monitor`
 * commands) goes to a target's operations. Resuming is the caller's: a feed returns what was
 * asked (continue, step, detach, kill, or an interrupt). Hostile input gets an error reply or
 * is dropped; nothing a debugger sends can overrun a buffer.
 * gdb_kvm.c puts it on the KVM vCPU.
 */
#ifndef PV_GDB_STUB_H
#define PV_GDB_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_PACKET_MAX 4096   /* the largest packet accepted (PacketSize in qSupported) */
#define GDB_MONITOR_MAX (256u << 10)  /* a `monitor` command's output, at most */

/* The registers the stub reports: i386 core (GDB numbers 0-15) and, as a feature of their own,
 * CR0, CR2, CR3, CR4 (numbers 32-35, after the x87 registers 16-31 the core feature declares
 * and the stub reports as unavailable). */
enum { GDB_EAX, GDB_ECX, GDB_EDX, GDB_EBX, GDB_ESP, GDB_EBP, GDB_ESI, GDB_EDI, GDB_EIP,
       GDB_EFLAGS, GDB_CS, GDB_SS, GDB_DS, GDB_ES, GDB_FS, GDB_GS, GDB_CORE_REGS };
enum { GDB_CR0, GDB_CR2, GDB_CR3, GDB_CR4, GDB_SYS_REGS };
#define GDB_FIRST_SYS_REG 32
struct gdb_regs {
    uint32_t core[GDB_CORE_REGS];
    uint32_t sys[GDB_SYS_REGS];
};

enum gdb_bp_type { GDB_BP_SOFTWARE = 0, GDB_BP_HARDWARE = 1, GDB_WATCH_WRITE = 2,
                   GDB_WATCH_READ = 3, GDB_WATCH_ACCESS = 4 };

struct gdb_target {
    void *ctx;
    int (*get_regs)(void *ctx, struct gdb_regs *r);               /* 0, or -1 */
    int (*set_regs)(void *ctx, const struct gdb_regs *r);         /* 0, or -1 */
    /* Bytes copied from/to guest-virtual va, stopping at the first unmapped byte. */
    size_t (*read_mem)(void *ctx, uint32_t va, uint8_t *buf, size_t len);
    size_t (*write_mem)(void *ctx, uint32_t va, const uint8_t *buf, size_t len);
    /* Insert or remove a breakpoint or watchpoint: 0, -1 (refused: E reply), 1 (unsupported:
     * empty reply). Idempotent. */
    int (*breakpoint)(void *ctx, enum gdb_bp_type type, uint32_t addr, uint32_t kind,
                      bool insert);
    /* `monitor CMD`: text into out (NUL-terminated); 0, or -1 (E reply). */
    int (*monitor)(void *ctx, const char *cmd, char *out, size_t outlen);
};

enum gdb_action { GDB_NONE, GDB_CONTINUE, GDB_STEP, GDB_INTERRUPT, GDB_DETACH, GDB_KILL };

struct gdb_stub {
    struct gdb_target target;
    void (*write)(void *ctx, const char *bytes, size_t len);      /* to the debugger */
    void *write_ctx;
    bool no_ack;                    /* after QStartNoAckMode */
    enum { RSP_IDLE, RSP_DATA, RSP_CSUM1, RSP_CSUM2 } state;
    char packet[GDB_PACKET_MAX + 1];
    size_t len;
    bool overlong;                  /* the packet being read did not fit: refused when it ends */
    uint8_t sum, sent_sum;
    unsigned long packets, bad_packets;
};

void gdb_stub_init(struct gdb_stub *s, const struct gdb_target *target,
                   void (*write)(void *ctx, const char *bytes, size_t len), void *write_ctx);

/* Takes bytes from the debugger until a packet asks the machine to move (continue, step,
 * detach, kill) or a Ctrl-C (0x03) arrives; *used says how many were taken (the rest is fed
 * again after the stop). GDB_NONE once all were taken. */
enum gdb_action gdb_stub_feed(struct gdb_stub *s, const uint8_t *data, size_t len,
                              size_t *used);

/* The machine stopped (after a continue or step, or at once for an interrupt): the stop reply,
 * "T05" with EIP and ESP (SIGTRAP 5 for a breakpoint or step, SIGINT 2 for Ctrl-C), and the
 * reason when there is one: "swbreak" or "hwbreak", or "watch:ADDR" ("awatch:ADDR") as is. */
void gdb_stub_stopped(struct gdb_stub *s, int signal, const char *reason);

/* The machine is gone with this exit status: "W" and the status's low byte. */
void gdb_stub_exited(struct gdb_stub *s, int status);

#endif /* PV_GDB_STUB_H */
