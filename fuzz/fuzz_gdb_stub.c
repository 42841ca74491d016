/*
 * fuzz_gdb_stub.c - libFuzzer target: the GDB Remote Serial Protocol's target side
 * (vmm/gdb/gdb_stub.c) fed any byte stream, in pieces of any size, against a machine with 4 KiB
 * of memory and registers: nothing crashes or reads out of bounds, every feed takes at least one
 * byte, and every reply is a whole packet whose checksum is right.
 *
 * Input: one byte saying how big the pieces are, then the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdb_stub.h"

static uint8_t memory[4096];
static struct gdb_regs regs;

static int get_regs(void *ctx, struct gdb_regs *r) { (void)ctx; *r = regs; return 0; }
static int set_regs(void *ctx, const struct gdb_regs *r) { (void)ctx; regs = *r; return 0; }

static size_t io(uint32_t va, uint8_t *out, const uint8_t *in, size_t len)
{
    size_t n = 0;
    for (; n < len && (uint64_t)va + n < sizeof(memory); n++) {
        if (in)
            memory[va + n] = in[n];
        else
            out[n] = memory[va + n];
    }
    return n;
}

static size_t read_mem(void *ctx, uint32_t va, uint8_t *buf, size_t len)
{
    (void)ctx;
    return io(va, buf, NULL, len);
}

static size_t write_mem(void *ctx, uint32_t va, const uint8_t *buf, size_t len)
{
    (void)ctx;
    return io(va, NULL, buf, len);
}

static int breakpoint(void *ctx, enum gdb_bp_type t, uint32_t a, uint32_t k, bool insert)
{
    (void)ctx; (void)a; (void)k; (void)insert;
    return t == GDB_WATCH_READ ? 1 : 0;
}

static int monitor(void *ctx, const char *cmd, char *out, size_t len)
{
    (void)ctx;
    snprintf(out, len, "%s\n", cmd);   /* echo: output of any length and content */
    return 0;
}

/* Every '$' starts a packet that ends in '#' and two hex digits summing what is between. */
static void check_reply(void *ctx, const char *bytes, size_t len)
{
    (void)ctx;
    if (len == 1 && (bytes[0] == '+' || bytes[0] == '-'))
        return;
    if (len < 4 || bytes[0] != '$' || bytes[len - 3] != '#')
        abort();
    unsigned sum = 0;
    for (size_t i = 1; i < len - 3; i++) {
        if (bytes[i] == '#' || bytes[i] == '$')
            abort();   /* must have been escaped */
        sum += (unsigned char)bytes[i];
    }
    char hex[3] = { bytes[len - 2], bytes[len - 1], 0 };
    if (strtoul(hex, NULL, 16) != (sum & 0xFF))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct gdb_target t = { NULL, get_regs, set_regs, read_mem, write_mem,
                                         breakpoint, monitor };
    static struct gdb_stub s;
    if (size == 0)
        return 0;
    size_t piece = 1 + data[0] % 64;
    gdb_stub_init(&s, &t, check_reply, NULL);
    memset(memory, 0, sizeof(memory));
    for (size_t off = 1; off < size;) {
        size_t n = size - off < piece ? size - off : piece, used = 0;
        enum gdb_action a = gdb_stub_feed(&s, data + off, n, &used);
        if (used == 0 || used > n)
            abort();
        if (a == GDB_CONTINUE || a == GDB_STEP || a == GDB_INTERRUPT)
            gdb_stub_stopped(&s, a == GDB_INTERRUPT ? 2 : 5, a == GDB_STEP ? NULL : "swbreak");
        off += used;
    }
    return 0;
}
