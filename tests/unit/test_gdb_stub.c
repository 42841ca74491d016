/*
 * test_gdb_stub.c - the GDB Remote Serial Protocol's target side (vmm/gdb/gdb_stub.c) against a
 * machine made here: packets are acknowledged or refused by their checksum; registers in GDB's
 * i386 order with CR0-CR4 after the x87 ones; memory read and written, unmapped bytes answered
 * with an error; breakpoints passed on; the target description read in pieces; `monitor`
 * output as console packets; continue, step, Ctrl-C and the stop reply; and a hostile byte
 * stream that only ever gets well-formed replies.
 */
#include <stdlib.h>
#include <string.h>

#include "gdb_stub.h"
#include "unit.h"

/* The machine: registers, 8 KiB of memory at 0x1000, breakpoints remembered. */
static struct gdb_regs regs;
static uint8_t memory[0x2000];
static uint32_t bp_addr;
static int bp_inserted, bp_calls;
static char sent[1 << 16];
static size_t sent_len;

static int get_regs(void *ctx, struct gdb_regs *r)
{
    (void)ctx;
    *r = regs;
    return 0;
}

static int set_regs(void *ctx, const struct gdb_regs *r)
{
    (void)ctx;
    regs = *r;
    return 0;
}

static size_t mem_io(uint32_t va, uint8_t *buf, const uint8_t *in, size_t len)
{
    size_t n = 0;
    for (; n < len && va + n >= 0x1000 && va + n < 0x1000 + sizeof(memory); n++) {
        if (in)
            memory[va + n - 0x1000] = in[n];
        else
            buf[n] = memory[va + n - 0x1000];
    }
    return n;
}

static size_t read_mem(void *ctx, uint32_t va, uint8_t *buf, size_t len)
{
    (void)ctx;
    return mem_io(va, buf, NULL, len);
}

static size_t write_mem(void *ctx, uint32_t va, const uint8_t *buf, size_t len)
{
    (void)ctx;
    return mem_io(va, NULL, buf, len);
}

static int set_bp(void *ctx, enum gdb_bp_type type, uint32_t addr, uint32_t kind, bool insert)
{
    (void)ctx;
    (void)kind;
    bp_calls++;
    if (type == GDB_WATCH_READ)
        return 1;                /* unsupported */
    if (addr == 0xDEAD)
        return -1;               /* refused */
    bp_addr = addr;
    bp_inserted = insert;
    return 0;
}

static int monitor(void *ctx, const char *cmd, char *out, size_t len)
{
    (void)ctx;
    if (strcmp(cmd, "!long") == 0) {      /* 300 lines of 60 bytes: 18,000 bytes */
        size_t o = 0;
        for (int i = 0; i < 300 && o + 61 < len; i++)
            o += (size_t)snprintf(out + o, len - o, "%04d %054d\n", i, 0);
        return 0;
    }
    if (strcmp(cmd, "!vm") != 0)
        return -1;
    snprintf(out, len, "line one\nline two\n");
    return 0;
}

static void collect(void *ctx, const char *bytes, size_t len)
{
    (void)ctx;
    if (sent_len + len < sizeof(sent)) {
        memcpy(sent + sent_len, bytes, len);
        sent_len += len;
    }
    sent[sent_len] = '\0';
}

static struct gdb_stub stub;

static void reset(void)
{
    static const struct gdb_target t = { NULL, get_regs, set_regs, read_mem, write_mem, set_bp,
                                         monitor };
    memset(&regs, 0, sizeof(regs));
    for (size_t i = 0; i < sizeof(memory); i++)
        memory[i] = (uint8_t)i;
    bp_calls = bp_inserted = 0;
    bp_addr = 0;
    sent_len = 0;
    sent[0] = '\0';
    gdb_stub_init(&stub, &t, collect, NULL);
}

/* Sends one packet as gdb would; returns the action and leaves the replies in sent. */
static enum gdb_action send(const char *data)
{
    size_t size = strlen(data) + 8;
    char *pkt = malloc(size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pkt);
    unsigned sum = 0;
    for (const char *p = data; *p; p++)
        sum += (unsigned char)*p;
    int n = snprintf(pkt, size, "$%s#%02x", data, sum & 0xFF);
    sent_len = 0;
    sent[0] = '\0';
    size_t used;
    enum gdb_action a = gdb_stub_feed(&stub, (const uint8_t *)pkt, (size_t)n, &used);
    CU_ASSERT_EQUAL(used, (size_t)n);
    free(pkt);
    return a;
}

/* Every reply in sent is $data#cs with the right checksum; the data of the last one. */
static const char *last_reply(void)
{
    static char data[GDB_PACKET_MAX * 2];
    const char *p = sent, *last = NULL;
    while ((p = strchr(p, '$'))) {
        const char *hash = strchr(p, '#');
        CU_ASSERT_PTR_NOT_NULL_FATAL(hash);
        unsigned sum = 0;
        for (const char *q = p + 1; q < hash; q++)
            sum += (unsigned char)*q;
        unsigned got = (unsigned)strtoul((char[]){ hash[1], hash[2], 0 }, NULL, 16);
        CU_ASSERT_EQUAL(sum & 0xFF, got);
        last = p;
        p = hash + 3;
    }
    if (!last)
        return NULL;
    size_t len = (size_t)(strchr(last, '#') - last - 1);
    memcpy(data, last + 1, len);
    data[len] = '\0';
    return data;
}

static void packets_are_acknowledged_by_checksum(void)
{
    reset();
    CU_ASSERT_EQUAL(send("qSupported:multiprocess+;xmlRegisters=i386"), GDB_NONE);
    CU_ASSERT_EQUAL(sent[0], '+');
    CU_ASSERT_PTR_NOT_NULL(strstr(last_reply(), "PacketSize=1000;qXfer:features:read+"));
    size_t used;
    sent_len = 0;
    gdb_stub_feed(&stub, (const uint8_t *)"$g#00", 5, &used);   /* wrong checksum */
    CU_ASSERT_STRING_EQUAL(sent, "-");
    CU_ASSERT_EQUAL(stub.bad_packets, 1u);
    send("vMustReplyEmpty");
    CU_ASSERT_STRING_EQUAL(last_reply(), "");
    send("QStartNoAckMode");
    CU_ASSERT_STRING_EQUAL(last_reply(), "OK");
    send("qC");
    CU_ASSERT_EQUAL(sent[0], '$');   /* no '+' any more */
    CU_ASSERT_STRING_EQUAL(last_reply(), "QC1");
}

static void registers_in_gdb_order(void)
{
    reset();
    regs.core[GDB_EAX] = 0x11223344;
    regs.core[GDB_EIP] = 0x80101234;
    regs.sys[GDB_CR3] = 0x00FFF000;
    send("g");
    const char *g = last_reply();
    CU_ASSERT_EQUAL(strlen(g), 2u * (16 * 4 + 8 * 10 + 8 * 4 + 4 * 4));
    CU_ASSERT_EQUAL(strncmp(g, "44332211", 8), 0);                 /* little-endian */
    CU_ASSERT_EQUAL(strncmp(g + 8 * 8, "34121080", 8), 0);         /* eip, register 8 */
    CU_ASSERT_EQUAL(strncmp(g + 2 * 64, "xxxx", 4), 0);            /* x87: unavailable */
    send("p22");                                                   /* 34: cr3 */
    CU_ASSERT_STRING_EQUAL(last_reply(), "00f0ff00");
    send("P8=00104000");
    CU_ASSERT_STRING_EQUAL(last_reply(), "OK");
    CU_ASSERT_EQUAL(regs.core[GDB_EIP], 0x00401000u);
    send("p99");
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
    send("P8=0010");                                               /* too short */
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
}

static void memory_through_the_target(void)
{
    reset();
    send("m1000,4");
    CU_ASSERT_STRING_EQUAL(last_reply(), "00010203");
    send("m2ffe,8");                      /* runs off the end: what could be read */
    CU_ASSERT_STRING_EQUAL(last_reply(), "feff");
    send("m500,4");                       /* nothing mapped */
    CU_ASSERT_STRING_EQUAL(last_reply(), "E14");
    send("M1004,2:abcd");
    CU_ASSERT_STRING_EQUAL(last_reply(), "OK");
    CU_ASSERT_EQUAL(memory[4], 0xAB);
    CU_ASSERT_EQUAL(memory[5], 0xCD);
    send("M1004,2:abc");                  /* a length that does not match */
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
    send("M500,1:00");
    CU_ASSERT_STRING_EQUAL(last_reply(), "E14");
    send("m1000,123456789");              /* more than 8 hex digits */
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
}

static void breakpoints_and_running(void)
{
    reset();
    send("Z0,80101000,1");
    CU_ASSERT_STRING_EQUAL(last_reply(), "OK");
    CU_ASSERT_EQUAL(bp_addr, 0x80101000u);
    CU_ASSERT_TRUE(bp_inserted);
    send("z0,80101000,1");
    CU_ASSERT_FALSE(bp_inserted);
    send("Z3,1000,4");
    CU_ASSERT_STRING_EQUAL(last_reply(), "");      /* unsupported: gdb falls back */
    send("Z0,dead,1");
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
    send("Z9,1000,1");
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
    CU_ASSERT_EQUAL(bp_calls, 4);
    CU_ASSERT_EQUAL(send("c"), GDB_CONTINUE);
    CU_ASSERT_EQUAL(send("vCont;s:1"), GDB_STEP);
    CU_ASSERT_EQUAL(send("D"), GDB_DETACH);
    CU_ASSERT_EQUAL(send("k"), GDB_KILL);
    /* Ctrl-C while it runs; the rest of the bytes wait for after the stop. */
    size_t used;
    CU_ASSERT_EQUAL(gdb_stub_feed(&stub, (const uint8_t *)"\x03$?#3f", 6, &used), GDB_INTERRUPT);
    CU_ASSERT_EQUAL(used, 1u);
    regs.core[GDB_EIP] = 0x00401000;
    regs.core[GDB_ESP] = 0x7FFDFF00;
    sent_len = 0;
    gdb_stub_stopped(&stub, 2, NULL);
    CU_ASSERT_STRING_EQUAL(last_reply(), "T0208:00104000;04:00fffd7f;thread:01;");
    sent_len = 0;
    gdb_stub_stopped(&stub, 5, "swbreak");
    CU_ASSERT_STRING_EQUAL(last_reply(), "T0508:00104000;04:00fffd7f;thread:01;swbreak:;");
    sent_len = 0;
    gdb_stub_stopped(&stub, 5, "watch:80142000");   /* a reason with its value, as it is */
    CU_ASSERT_STRING_EQUAL(last_reply(), "T0508:00104000;04:00fffd7f;thread:01;watch:80142000;");
    sent_len = 0;
    gdb_stub_exited(&stub, 119);
    CU_ASSERT_STRING_EQUAL(last_reply(), "W77");
}

static void target_description_in_pieces(void)
{
    reset();
    char xml[8192] = "";
    size_t have = 0;
    for (int i = 0; i < 100; i++) {
        char req[64];
        snprintf(req, sizeof(req), "qXfer:features:read:target.xml:%zx,100", have);
        send(req);
        const char *r = last_reply();
        CU_ASSERT_TRUE_FATAL(r[0] == 'm' || r[0] == 'l');
        strcat(xml, r + 1);
        have += strlen(r + 1);
        if (r[0] == 'l')
            break;
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<architecture>i386</architecture>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<reg name=\"cr3\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "</target>"));
    send("qXfer:features:read:other.xml:0,100");
    CU_ASSERT_STRING_EQUAL(last_reply(), "E00");
}

static void monitor_output_as_console_packets(void)
{
    reset();
    send("qRcmd,21766d");                 /* "!vm" */
    /* "line one\n" and "line two\n" in O packets, then OK. */
    CU_ASSERT_PTR_NOT_NULL(strstr(sent, "$O6c696e65206f6e650a#"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sent, "$O6c696e652074776f0a#"));
    CU_ASSERT_STRING_EQUAL(last_reply(), "OK");
    send("qRcmd,7a7a");                   /* a command the target refuses */
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
    send("qRcmd,7");                      /* odd hex */
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
    /* Output far longer than a packet (a !process 0 1 of many processes) comes whole, a line a
     * packet: the first line and the last both arrive. */
    send("qRcmd,216c6f6e67");             /* "!long" */
    CU_ASSERT_STRING_EQUAL(last_reply(), "OK");
    char first[160], last[160];
    snprintf(first, sizeof(first), "$O");
    snprintf(last, sizeof(last), "$O");
    const char *l0 = "0000 000000000000000000000000000000000000000000000000000000\n";
    const char *l299 = "0299 000000000000000000000000000000000000000000000000000000\n";
    for (size_t i = 0; l0[i]; i++)
        snprintf(first + 2 + 2 * i, 3, "%02x", (unsigned char)l0[i]);
    for (size_t i = 0; l299[i]; i++)
        snprintf(last + 2 + 2 * i, 3, "%02x", (unsigned char)l299[i]);
    CU_ASSERT_PTR_NOT_NULL(strstr(sent, first));
    CU_ASSERT_PTR_NOT_NULL(strstr(sent, last));
}

/* Random bytes, cut packets, overlong ones, NULs: never a crash (ASan watches), and whatever
 * comes back is acks and well-formed packets. */
static void hostile_streams_get_only_well_formed_replies(void)
{
    reset();
    unsigned seed = 12345;
    uint8_t buf[512];
    for (int round = 0; round < 2000; round++) {
        size_t n = 1 + (size_t)(rand_r(&seed) % sizeof(buf));
        for (size_t i = 0; i < n; i++) {
            unsigned r = (unsigned)rand_r(&seed);
            static const char pick[] = "$#}*mMgGpPZzqQvcsDk?0123456789abcdef,:;=\x03";
            buf[i] = (r & 1) ? (uint8_t)(r >> 8) : (uint8_t)pick[(r >> 8) % (sizeof(pick) - 1)];
        }
        size_t off = 0;
        while (off < n) {
            size_t used = 0;
            gdb_stub_feed(&stub, buf + off, n - off, &used);
            CU_ASSERT_FATAL(used > 0 && used <= n - off);
            off += used;
        }
        last_reply();   /* checks every packet's checksum */
        sent_len = 0;
        sent[0] = '\0';
    }
    /* An overlong packet is refused as a whole, with its checksum right. */
    static char big[GDB_PACKET_MAX + 200];
    memset(big, 'm', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    send(big);
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
    /* A NUL inside: refused too. */
    size_t used;
    sent_len = 0;
    gdb_stub_feed(&stub, (const uint8_t *)"$m\0001#9e", 7, &used);
    CU_ASSERT_STRING_EQUAL(last_reply(), "E01");
}

static const struct unit_test tests[] = {
    UNIT_TEST(packets_are_acknowledged_by_checksum),
    UNIT_TEST(registers_in_gdb_order),
    UNIT_TEST(memory_through_the_target),
    UNIT_TEST(breakpoints_and_running),
    UNIT_TEST(target_description_in_pieces),
    UNIT_TEST(monitor_output_as_console_packets),
    UNIT_TEST(hostile_streams_get_only_well_formed_replies),
};
UNIT_MAIN("gdb_stub", tests)
