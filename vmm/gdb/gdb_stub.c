/*
 * gdb_stub.c - the GDB Remote Serial Protocol's target side: framing ($data#cs, acks, Ctrl-C),
 * the packets a debugger of a one-vCPU i386 machine needs, and the target description that
 * names CR0/CR2/CR3/CR4 for `info registers` and `$cr3`. Every length and number from the
 * debugger is checked before it is used.
 */
#include "gdb_stub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char target_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\"><architecture>i386</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    "<flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" end=\"0\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"ZF\" start=\"6\" end=\"6\"/>"
    "<field name=\"SF\" start=\"7\" end=\"7\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"OF\" start=\"11\" end=\"11\"/></flags>"
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\"/><reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/><reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/><reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/><reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/><reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/><reg name=\"es\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/><reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/></feature>"
    "<feature name=\"org.pagevisor.i386.sys\">"
    "<reg name=\"cr0\" bitsize=\"32\" type=\"int32\" regnum=\"32\"/>"
    "<reg name=\"cr2\" bitsize=\"32\" type=\"data_ptr\"/>"
    "<reg name=\"cr3\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"cr4\" bitsize=\"32\" type=\"int32\"/></feature></target>";

/* Bytes of each register in `g`: 16 core of 4, 8 x87 of 10, 8 x87 control of 4, 4 sys of 4. */
#define G_CORE_BYTES (GDB_CORE_REGS * 4)
#define G_X87_BYTES  (8 * 10 + 8 * 4)
#define G_SYS_BYTES  (GDB_SYS_REGS * 4)

void gdb_stub_init(struct gdb_stub *s, const struct gdb_target *target,
                   void (*write)(void *ctx, const char *bytes, size_t len), void *write_ctx)
{
    memset(s, 0, sizeof(*s));
    s->target = *target;
    s->write = write;
    s->write_ctx = write_ctx;
}

static const char hexdigits[] = "0123456789abcdef";

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
           c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A reply: $data#cs, with '#', '$', '}' and '*' escaped. */
static void send_packet(struct gdb_stub *s, const char *data, size_t len)
{
    static char out[2 * GDB_PACKET_MAX + 8];
    size_t o = 0;
    uint8_t sum = 0;
    out[o++] = '$';
    for (size_t i = 0; i < len && o + 4 < sizeof(out); i++) {
        char c = data[i];
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            out[o++] = '}';
            sum = (uint8_t)(sum + '}');
            c = (char)(c ^ 0x20);
        }
        out[o++] = c;
        sum = (uint8_t)(sum + (uint8_t)c);
    }
    out[o++] = '#';
    out[o++] = hexdigits[sum >> 4];
    out[o++] = hexdigits[sum & 15];
    s->write(s->write_ctx, out, o);
}

static void reply(struct gdb_stub *s, const char *text)
{
    send_packet(s, text, strlen(text));
}

/* Little-endian bytes of v as hex (target order). */
static size_t put_u32_hex(char *out, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8) {
        out[2 * i] = hexdigits[(v >> 4) & 15];
        out[2 * i + 1] = hexdigits[v & 15];
    }
    return 8;
}

/* A big-endian hex number of the debugger's (an address, a length); false if not one. */
static bool parse_hex(const char **p, uint32_t *v)
{
    uint64_t n = 0;
    int digits = 0, d;
    while ((d = hexval((unsigned char)**p)) >= 0) {
        n = n * 16 + (unsigned)d;
        if (++digits > 8)
            return false;
        (*p)++;
    }
    *v = (uint32_t)n;
    return digits > 0;
}

static void reply_regs(struct gdb_stub *s)
{
    struct gdb_regs r;
    char out[2 * (G_CORE_BYTES + G_X87_BYTES + G_SYS_BYTES) + 1];
    size_t o = 0;
    if (s->target.get_regs(s->target.ctx, &r) != 0) {
        reply(s, "E01");
        return;
    }
    for (int i = 0; i < GDB_CORE_REGS; i++)
        o += put_u32_hex(out + o, r.core[i]);
    memset(out + o, 'x', 2 * G_X87_BYTES);   /* not kept: unavailable */
    o += 2 * G_X87_BYTES;
    for (int i = 0; i < GDB_SYS_REGS; i++)
        o += put_u32_hex(out + o, r.sys[i]);
    send_packet(s, out, o);
}

/* Register n's 4 bytes of hex into out (x87 ones unavailable); -1 for no such register. */
static int one_reg(const struct gdb_regs *r, uint32_t n, char *out)
{
    if (n < GDB_CORE_REGS)
        return (int)put_u32_hex(out, r->core[n]);
    if (n >= GDB_FIRST_SYS_REG && n < GDB_FIRST_SYS_REG + GDB_SYS_REGS)
        return (int)put_u32_hex(out, r->sys[n - GDB_FIRST_SYS_REG]);
    if (n < GDB_FIRST_SYS_REG) {
        int bytes = n < 24 ? 10 : 4;
        memset(out, 'x', (size_t)bytes * 2);
        return bytes * 2;
    }
    return -1;
}

static bool get_le32(const char *hex, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 3; i >= 0; i--) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        x = x << 8 | (uint32_t)(hi << 4 | lo);
    }
    *v = x;
    return true;
}

static void write_reg(struct gdb_stub *s, const char *args)
{
    uint32_t n, v;
    struct gdb_regs r;
    if (!parse_hex(&args, &n) || *args++ != '=' || strlen(args) != 8 || !get_le32(args, &v) ||
        s->target.get_regs(s->target.ctx, &r) != 0) {
        reply(s, "E01");
        return;
    }
    if (n < GDB_CORE_REGS)
        r.core[n] = v;
    else if (n >= GDB_FIRST_SYS_REG && n < GDB_FIRST_SYS_REG + GDB_SYS_REGS)
        r.sys[n - GDB_FIRST_SYS_REG] = v;
    else {
        reply(s, "E01");
        return;
    }
    reply(s, s->target.set_regs(s->target.ctx, &r) == 0 ? "OK" : "E01");
}

static void read_memory(struct gdb_stub *s, const char *args)
{
    uint32_t addr, len;
    uint8_t buf[GDB_PACKET_MAX / 2];
    char out[GDB_PACKET_MAX + 1];
    if (!parse_hex(&args, &addr) || *args++ != ',' || !parse_hex(&args, &len) || *args) {
        reply(s, "E01");
        return;
    }
    if (len > sizeof(buf))
        len = sizeof(buf);   /* gdb asks again for the rest */
    size_t got = s->target.read_mem(s->target.ctx, addr, buf, len);
    if (got == 0 && len > 0) {
        reply(s, "E14");
        return;
    }
    for (size_t i = 0; i < got; i++) {
        out[2 * i] = hexdigits[buf[i] >> 4];
        out[2 * i + 1] = hexdigits[buf[i] & 15];
    }
    send_packet(s, out, 2 * got);
}

static void write_memory(struct gdb_stub *s, const char *args)
{
    uint32_t addr, len;
    uint8_t buf[GDB_PACKET_MAX / 2];
    if (!parse_hex(&args, &addr) || *args++ != ',' || !parse_hex(&args, &len) ||
        *args++ != ':' || len > sizeof(buf) || strlen(args) != 2 * (size_t)len) {
        reply(s, "E01");
        return;
    }
    for (uint32_t i = 0; i < len; i++) {
        int hi = hexval((unsigned char)args[2 * i]), lo = hexval((unsigned char)args[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            reply(s, "E01");
            return;
        }
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    reply(s, s->target.write_mem(s->target.ctx, addr, buf, len) == len ? "OK" : "E14");
}

static void breakpoint(struct gdb_stub *s, const char *args, bool insert)
{
    uint32_t type, addr, kind;
    if (!parse_hex(&args, &type) || *args++ != ',' || !parse_hex(&args, &addr) ||
        *args++ != ',' || !parse_hex(&args, &kind) || (*args && *args != ';') || type > 4) {
        reply(s, "E01");
        return;
    }
    int rc = s->target.breakpoint(s->target.ctx, (enum gdb_bp_type)type, addr, kind, insert);
    reply(s, rc == 0 ? "OK" : rc > 0 ? "" : "E01");
}

static void monitor(struct gdb_stub *s, const char *hex)
{
    char cmd[GDB_PACKET_MAX / 2 + 1], out[GDB_PACKET_MAX];
    size_t n = strlen(hex);
    char *text = malloc(GDB_MONITOR_MAX);
    if (n % 2 || n / 2 >= sizeof(cmd) || !text) {
        free(text);
        reply(s, "E01");
        return;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi << 4 | lo) == 0) {
            free(text);
            reply(s, "E01");
            return;
        }
        cmd[i] = (char)(hi << 4 | lo);
    }
    cmd[n / 2] = '\0';
    text[0] = '\0';
    int rc = s->target.monitor ? s->target.monitor(s->target.ctx, cmd, text, GDB_MONITOR_MAX) :
             -1;
    /* The output as console packets ("O" + hex), a line at a time, then the answer. */
    for (const char *p = text; *p;) {
        size_t line = strcspn(p, "\n");
        line += p[line] == '\n';
        size_t o = 0;
        out[o++] = 'O';
        for (size_t i = 0; i < line && o + 2 < sizeof(out); i++) {
            out[o++] = hexdigits[(unsigned char)p[i] >> 4];
            out[o++] = hexdigits[(unsigned char)p[i] & 15];
        }
        send_packet(s, out, o);
        p += line;
    }
    free(text);
    reply(s, rc == 0 ? "OK" : "E01");
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static void read_features(struct gdb_stub *s, const char *args)
{
    uint32_t off, len;
    static const char annex[] = "target.xml:";
    if (strncmp(args, annex, sizeof(annex) - 1) != 0) {
        reply(s, "E00");
        return;
    }
    args += sizeof(annex) - 1;
    if (!parse_hex(&args, &off) || *args++ != ',' || !parse_hex(&args, &len) || *args) {
        reply(s, "E01");
        return;
    }
    size_t total = sizeof(target_xml) - 1;
    char out[GDB_PACKET_MAX];
    if (len > sizeof(out) / 2 - 2)
        len = sizeof(out) / 2 - 2;   /* room for escapes */
    size_t left = off < total ? total - off : 0, n = left < len ? left : len;
    out[0] = n < left ? 'm' : 'l';
    memcpy(out + 1, target_xml + (off < total ? off : total), n);
    send_packet(s, out, n + 1);
}

static enum gdb_action handle(struct gdb_stub *s, const char *p)
{
    switch (p[0]) {
    case '?':
        gdb_stub_stopped(s, 5, NULL);
        return GDB_NONE;
    case 'g':
        reply_regs(s);
        return GDB_NONE;
    case 'G':
        reply(s, "E01");   /* all at once is not needed: gdb falls back to P */
        return GDB_NONE;
    case 'p': {
        const char *a = p + 1;
        uint32_t n;
        struct gdb_regs r;
        char out[24];
        int len;
        if (!parse_hex(&a, &n) || *a || s->target.get_regs(s->target.ctx, &r) != 0 ||
            (len = one_reg(&r, n, out)) < 0)
            reply(s, "E01");
        else
            send_packet(s, out, (size_t)len);
        return GDB_NONE;
    }
    case 'P':
        write_reg(s, p + 1);
        return GDB_NONE;
    case 'm':
        read_memory(s, p + 1);
        return GDB_NONE;
    case 'M':
        write_memory(s, p + 1);
        return GDB_NONE;
    case 'Z':
    case 'z':
        breakpoint(s, p + 1, p[0] == 'Z');
        return GDB_NONE;
    case 'c':
        return p[1] ? (reply(s, "E01"), GDB_NONE) : GDB_CONTINUE;
    case 's':
        return p[1] ? (reply(s, "E01"), GDB_NONE) : GDB_STEP;
    case 'D':
        reply(s, "OK");
        return GDB_DETACH;
    case 'k':
        return GDB_KILL;
    case 'H':
        reply(s, "OK");   /* one vCPU: every thread is it */
        return GDB_NONE;
    case 'T':
        reply(s, strcmp(p, "T1") == 0 || strcmp(p, "T01") == 0 ? "OK" : "E01");
        return GDB_NONE;
    case 'v':
        if (strcmp(p, "vCont?") == 0)
            reply(s, "vCont;c;s");
        else if (strcmp(p, "vCont;c") == 0 || strncmp(p, "vCont;c:", 8) == 0)
            return GDB_CONTINUE;
        else if (strcmp(p, "vCont;s") == 0 || strncmp(p, "vCont;s:", 8) == 0)
            return GDB_STEP;
        else
            reply(s, "");   /* vMustReplyEmpty and the rest */
        return GDB_NONE;
    case 'q':
        if (strncmp(p, "qSupported", 10) == 0)
            reply(s, "PacketSize=1000;qXfer:features:read+;swbreak+;hwbreak+;"
                     "QStartNoAckMode+;vContSupported+");
        else if (strncmp(p, "qXfer:features:read:", 20) == 0)
            read_features(s, p + 20);
        else if (strncmp(p, "qRcmd,", 6) == 0)
            monitor(s, p + 6);
        else if (strcmp(p, "qAttached") == 0)
            reply(s, "1");
        else if (strcmp(p, "qC") == 0)
            reply(s, "QC1");
        else if (strcmp(p, "qfThreadInfo") == 0)
            reply(s, "m1");
        else if (strcmp(p, "qsThreadInfo") == 0)
            reply(s, "l");
        else if (strncmp(p, "qSymbol", 7) == 0)
            reply(s, "OK");
        else
            reply(s, "");
        return GDB_NONE;
    case 'Q':
        if (strcmp(p, "QStartNoAckMode") == 0) {
            reply(s, "OK");
            s->no_ack = true;
        } else {
            reply(s, "");
        }
        return GDB_NONE;
    default:
        reply(s, "");   /* not supported */
        return GDB_NONE;
    }
}

enum gdb_action gdb_stub_feed(struct gdb_stub *s, const uint8_t *data, size_t len,
                              size_t *used)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        switch (s->state) {
        case RSP_IDLE:
            if (c == 0x03) {
                *used = i + 1;
                return GDB_INTERRUPT;
            }
            if (c == '$') {
                s->state = RSP_DATA;
                s->len = 0;
                s->sum = 0;
                s->overlong = false;
            }
            break;   /* acks and noise between packets */
        case RSP_DATA:
            if (c == '#') {
                s->state = RSP_CSUM1;
                break;
            }
            s->sum = (uint8_t)(s->sum + c);
            if (c == '$') {          /* a new packet: the one before was cut off */
                s->len = 0;
                s->sum = 0;
                s->overlong = false;
            } else if (s->len < GDB_PACKET_MAX) {
                s->packet[s->len++] = (char)c;
            } else {
                s->overlong = true;
            }
            break;
        case RSP_CSUM1:
            s->sent_sum = (uint8_t)((hexval(c) < 0 ? 0 : hexval(c)) << 4);
            s->state = hexval(c) < 0 ? RSP_IDLE : RSP_CSUM2;
            if (s->state == RSP_IDLE) {
                s->bad_packets++;
                if (!s->no_ack)
                    s->write(s->write_ctx, "-", 1);
            }
            break;
        case RSP_CSUM2: {
            s->state = RSP_IDLE;
            int lo = hexval(c);
            bool ok = lo >= 0 && (uint8_t)(s->sent_sum | lo) == s->sum;
            if (!s->no_ack)
                s->write(s->write_ctx, ok ? "+" : "-", 1);
            if (!ok) {
                s->bad_packets++;
                break;
            }
            s->packets++;
            if (s->overlong || memchr(s->packet, '\0', s->len)) {
                reply(s, "E01");
                break;
            }
            s->packet[s->len] = '\0';
            enum gdb_action a = handle(s, s->packet);
            if (a != GDB_NONE) {
                *used = i + 1;
                return a;
            }
            break;
        }
        }
    }
    *used = len;
    return GDB_NONE;
}

void gdb_stub_stopped(struct gdb_stub *s, int signal, const char *reason)
{
    struct gdb_regs r;
    char out[128];
    int n = snprintf(out, sizeof(out), "T%02x", signal & 0xFF);
    if (s->target.get_regs(s->target.ctx, &r) == 0) {
        n += snprintf(out + n, sizeof(out) - (size_t)n, "08:");
        n += (int)put_u32_hex(out + n, r.core[GDB_EIP]);
        n += snprintf(out + n, sizeof(out) - (size_t)n, ";04:");
        n += (int)put_u32_hex(out + n, r.core[GDB_ESP]);
        n += snprintf(out + n, sizeof(out) - (size_t)n, ";");
    }
    n += snprintf(out + n, sizeof(out) - (size_t)n, "thread:01;%s%s", reason ? reason : "",
                  !reason ? "" : strchr(reason, ':') ? ";" : ":;");
    send_packet(s, out, (size_t)n);
}

void gdb_stub_exited(struct gdb_stub *s, int status)
{
    char out[8];
    snprintf(out, sizeof(out), "W%02x", status & 0xFF);
    reply(s, out);
}
