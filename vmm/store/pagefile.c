/*
 * pagefile.c - the host pagefile: 4 KiB slots in a host file, moved to and from guest frames
 * with preadv/pwritev, a checksum per slot checked on every read, injected failures for tests,
 * and the counters the host prints at exit.
 *
 * Reads go straight into the guest's frames and are verified there. The vCPU that asked is
 * stopped in the host while its call is served, and a guest must not look at a frame with a
 * read in progress anyway (NT marks such a page ReadInProgress), so no one sees a frame between
 * the read and the check. On any failure the frames from the failed page on are zeroed: the
 * guest ends up with the same memory as if the data had gone through a bounce buffer, without
 * paying a second 4 KiB copy per page on the path that serves every hard fault.
 */
#include "pagefile.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SLOT PAGEFILE_SLOT_SIZE

/* ---- CRC-32C ---------------------------------------------------------------------------- */

#define CRC32C_POLY 0x82F63B78u /* Castagnoli, bit-reflected */

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

static void crc32c_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1u)));
        crc32c_table[i] = c;
    }
}

uint32_t pagefile_crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&crc32c_table_once, crc32c_table_init);
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--)
        crc = (crc >> 8) ^ crc32c_table[(crc ^ *p++) & 0xFFu];
    return ~crc;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t c = ~crc;
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t v;
        memcpy(&v, p, 8);                 /* no alignment assumed */
        c = __builtin_ia32_crc32di(c, v);
    }
    uint32_t c32 = (uint32_t)c;
    while (len--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}

static bool cpu_has_sse42(void)
{
    return __builtin_cpu_supports("sse4.2");
}

uint32_t pagefile_crc32c(uint32_t crc, const void *buf, size_t len)
{
    return cpu_has_sse42() ? crc32c_sse42(crc, buf, len) : pagefile_crc32c_portable(crc, buf, len);
}

/*
 * A slot's checksum: the CRC-32C of the CRC-32Cs of the page's four 1 KiB quarters. One CRC
 * chain waits out the crc32 instruction's 3-cycle latency at every step; four independent ones
 * keep it busy, so a page costs about a third of a straight CRC, and any error confined to a
 * quarter is still caught with full CRC-32C strength.
 */
#define QUARTER (SLOT / 4)

__attribute__((target("sse4.2")))
static void quarter_crcs_sse42(const uint8_t *page, uint32_t out[4])
{
    uint64_t c0 = ~0u, c1 = ~0u, c2 = ~0u, c3 = ~0u;
    for (size_t off = 0; off < QUARTER; off += 8) {
        uint64_t v0, v1, v2, v3;
        memcpy(&v0, page + off, 8);
        memcpy(&v1, page + QUARTER + off, 8);
        memcpy(&v2, page + 2 * QUARTER + off, 8);
        memcpy(&v3, page + 3 * QUARTER + off, 8);
        c0 = __builtin_ia32_crc32di(c0, v0);
        c1 = __builtin_ia32_crc32di(c1, v1);
        c2 = __builtin_ia32_crc32di(c2, v2);
        c3 = __builtin_ia32_crc32di(c3, v3);
    }
    out[0] = ~(uint32_t)c0;
    out[1] = ~(uint32_t)c1;
    out[2] = ~(uint32_t)c2;
    out[3] = ~(uint32_t)c3;
}

static uint32_t page_checksum(const uint8_t *page)
{
    uint32_t q[4];
    if (cpu_has_sse42()) {
        quarter_crcs_sse42(page, q);
    } else {
        for (int i = 0; i < 4; i++)
            q[i] = pagefile_crc32c_portable(0, page + i * QUARTER, QUARTER);
    }
    uint8_t bytes[16];
    for (int i = 0; i < 4; i++)       /* little-endian, so the value is the same everywhere */
        for (int b = 0; b < 4; b++)
            bytes[i * 4 + b] = (uint8_t)(q[i] >> (8 * b));
    return pagefile_crc32c(0, bytes, sizeof(bytes));
}

/* ---- Opening and closing ---------------------------------------------------------------- */

static int fail_open(struct pagefile *pf, int fd, int e, char *why, size_t whylen,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int fail_open(struct pagefile *pf, int fd, int e, char *why, size_t whylen,
                     const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    if (fd >= 0)
        close(fd);
    free(pf->path);
    free(pf->tmpdir);
    pf->path = NULL;
    pf->tmpdir = NULL;
    pf->fd = -1;
    errno = e;
    return -1;
}

static const char *temp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

/* An unlinked file in the temp directory: O_TMPFILE where the file system has it, else a
 * mkostemp name removed at once. Either way nothing is left behind, even after a crash. */
static int open_temporary(void)
{
    const char *dir = temp_dir();
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    char name[4096];
    if ((size_t)snprintf(name, sizeof(name), "%s/pagevisor-pagefile-XXXXXX", dir)
        >= sizeof(name)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(name, O_CLOEXEC);
    if (fd >= 0)
        unlink(name);
    return fd;
}

/* A guest-sized write past RLIMIT_FSIZE must fail its call (EFBIG), not kill the VMM. */
static void ignore_sigxfsz(void)
{
    struct sigaction old;
    if (sigaction(SIGXFSZ, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        signal(SIGXFSZ, SIG_IGN);
}

int pagefile_open(struct pagefile *pf, const char *path, uint64_t size_bytes,
                  char *why, size_t whylen)
{
    memset(pf, 0, sizeof(*pf));
    pf->fd = -1;
    const char *name = path ? path : temp_dir();
    if (size_bytes % SLOT != 0 || size_bytes / SLOT < 2 || size_bytes / SLOT > UINT32_MAX)
        return fail_open(pf, -1, EINVAL, why, whylen, "pagefile size %llu bytes: it must be a "
                         "multiple of 4 KiB, from 8 KiB (slot 0 is never used for a page) to "
                         "2^32-1 slots", (unsigned long long)size_bytes);
    int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : open_temporary();
    if (fd < 0)
        return fail_open(pf, -1, errno, why, whylen, "cannot create the pagefile %s%s: open: %s",
                         path ? "" : "in ", name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail_open(pf, fd, errno, why, whylen, "pagefile %s: fstat: %s", name,
                         strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail_open(pf, fd, EINVAL, why, whylen, "pagefile %s is not a regular file", name);
    /* It holds guest memory: nobody else may read it, whatever mode a reused file had. */
    if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
        return fail_open(pf, fd, errno, why, whylen, "pagefile %s: fchmod 0600: %s", name,
                         strerror(errno));
    if (ftruncate(fd, (off_t)size_bytes) < 0)
        return fail_open(pf, fd, errno, why, whylen, "pagefile %s: ftruncate to %llu bytes: %s",
                         name, (unsigned long long)size_bytes, strerror(errno));
    pf->slots = (uint32_t)(size_bytes / SLOT);
    pf->checksum = calloc(pf->slots, sizeof(*pf->checksum));
    pf->written = calloc((pf->slots + 63u) / 64u, sizeof(*pf->written));
    if (path)
        pf->path = strdup(path);
    else
        pf->tmpdir = strdup(name);
    if (!pf->checksum || !pf->written || (path ? !pf->path : !pf->tmpdir)) {
        free(pf->checksum);
        free(pf->written);
        pf->checksum = NULL;
        pf->written = NULL;
        return fail_open(pf, fd, ENOMEM, why, whylen, "pagefile %s: out of memory for the "
                         "checksums of %u slots", name, pf->slots);
    }
    pf->fd = fd;
    pf->size = size_bytes;
    ignore_sigxfsz();
    return 0;
}

void pagefile_set_name(struct pagefile *pf, const char *name)
{
    if (!pf->path || !name)
        return;
    char *copy = strdup(name);
    if (!copy)
        return; /* messages keep the path */
    free(pf->name);
    pf->name = copy;
}

static void free_rules(struct pagefile *pf)
{
    for (size_t i = 0; i < pf->nrules; i++)
        free(pf->rules[i].ranges);
    pf->nrules = 0;
}

void pagefile_close(struct pagefile *pf)
{
    if (!pf)
        return;
    if (pf->fd >= 0)
        close(pf->fd);
    pf->fd = -1;
    free(pf->checksum);
    free(pf->written);
    free(pf->path);
    free(pf->name);
    free(pf->tmpdir);
    pf->checksum = NULL;
    pf->written = NULL;
    pf->path = NULL;
    pf->name = NULL;
    pf->tmpdir = NULL;
    free_rules(pf);
}

void pagefile_info(const struct pagefile *pf, struct pv_hc_pagefile_info *info)
{
    bool open = pagefile_is_open(pf);
    info->slots = open ? pf->slots : 0;
    info->ret = open ? PV_OK : PV_ENODEV;
}

/* ---- Error injection -------------------------------------------------------------------- */

/*
 * Grammar of --inject-pagefile-errors (the option may be given several times; rules add up):
 *   spec   := rule { ';' rule }
 *   rule   := ops ':' select
 *   ops    := 'read' | 'write' | 'rw'
 *   select := 'rate=' P [ ',seed=' N ]   each page fails with probability 0 < P <= 1, drawn from
 *                                        a generator seeded with N (default 1): reproducible
 *           | 'slots=' R { ',' R }       every transfer of these slots fails (a bad sector);
 *                                        R := N | N-M, inclusive, slot 0 excluded
 *           | 'nth=' N                   the Nth page of that op (counting from 1) fails, once
 *   and after the select, optionally:
 *            ',as=eio'                   an injected failure is an I/O error, PV_EIO (default)
 *          | ',as=enospc'                an injected write failure is a full file system,
 *                                        PV_ENOSPC (write and rw rules; an rw rule's reads still
 *                                        fail as I/O errors: a read cannot find the disk full)
 * A rule sees each page that reaches the file, in request order, up to the first failure of its
 * request; a chosen page fails exactly as a real I/O error on it would.
 */

#define OP_BIT(op) (1u << (op))

static bool parse_u64(const char *text, uint64_t *out)
{
    if (*text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int bad_rule(char *why, size_t whylen, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad_rule(char *why, size_t whylen, const char *rule, const char *fmt, ...)
{
    if (why && whylen) {
        int n = snprintf(why, whylen, "rule '%s': ", rule);
        if (n >= 0 && (size_t)n < whylen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(why + n, whylen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static int parse_range(const char *text, struct pagefile_slot_range *r)
{
    char buf[64];
    if (strlen(text) >= sizeof(buf))
        return -1;
    strcpy(buf, text);
    char *dash = strchr(buf, '-');
    uint64_t first, last;
    if (dash)
        *dash = '\0';
    if (!parse_u64(buf, &first) || (dash && !parse_u64(dash + 1, &last)))
        return -1;
    if (!dash)
        last = first;
    if (first == 0 || first > last || last > UINT32_MAX)
        return -1;
    r->first = (uint32_t)first;
    r->last = (uint32_t)last;
    return 0;
}

static int add_range(struct pagefile_inject_rule *r, const char *text)
{
    struct pagefile_slot_range range;
    if (parse_range(text, &range) < 0)
        return -1;
    struct pagefile_slot_range *grown = realloc(r->ranges, (r->nranges + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    r->ranges = grown;
    r->ranges[r->nranges++] = range;
    return 0;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int parse_ops(const char *name, uint32_t *ops)
{
    if (strcmp(name, "read") == 0)
        *ops = OP_BIT(PV_PAGEFILE_READ);
    else if (strcmp(name, "write") == 0)
        *ops = OP_BIT(PV_PAGEFILE_WRITE);
    else if (strcmp(name, "rw") == 0)
        *ops = OP_BIT(PV_PAGEFILE_READ) | OP_BIT(PV_PAGEFILE_WRITE);
    else
        return -1;
    return 0;
}

/* The keys a rule has seen, to refuse repeats and mixtures. */
struct rule_keys {
    bool rate, seed, slots, nth, as;
    uint64_t seed_value;
};

static int parse_item(struct pagefile_inject_rule *r, struct rule_keys *k, char *item,
                      bool *in_slots, const char *rule, char *why, size_t whylen)
{
    char *eq = strchr(item, '=');
    if (!eq) {
        if (*in_slots && add_range(r, item) == 0)
            return 0;
        return bad_rule(why, whylen, rule, *in_slots ? "'%s' is not a slot or range N-M "
                        "(slot 0 is never used)" : "'%s' is not KEY=VALUE", item);
    }
    *eq = '\0';
    const char *key = item, *value = eq + 1;
    *in_slots = false;
    if (strcmp(key, "rate") == 0 && !k->rate) {
        char *end;
        errno = 0;
        r->rate = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(r->rate) || r->rate <= 0 || r->rate > 1)
            return bad_rule(why, whylen, rule, "rate '%s' is not a probability in (0, 1]", value);
        k->rate = true;
    } else if (strcmp(key, "seed") == 0 && !k->seed) {
        if (!parse_u64(value, &k->seed_value))
            return bad_rule(why, whylen, rule, "seed '%s' is not an unsigned number", value);
        k->seed = true;
    } else if (strcmp(key, "slots") == 0 && !k->slots) {
        if (add_range(r, value) < 0)
            return bad_rule(why, whylen, rule, "'%s' is not a slot or range N-M (slot 0 is "
                            "never used)", value);
        k->slots = *in_slots = true;
    } else if (strcmp(key, "nth") == 0 && !k->nth) {
        if (!parse_u64(value, &r->nth) || r->nth == 0)
            return bad_rule(why, whylen, rule, "nth '%s' is not a count from 1", value);
        k->nth = true;
    } else if (strcmp(key, "as") == 0 && !k->as) {
        if (strcmp(value, "eio") == 0)
            r->as = 0;
        else if (strcmp(value, "enospc") == 0)
            r->as = ENOSPC;
        else
            return bad_rule(why, whylen, rule, "as '%s' is not eio or enospc", value);
        k->as = true;
    } else {
        bool known = !strcmp(key, "rate") || !strcmp(key, "seed") || !strcmp(key, "slots") ||
                     !strcmp(key, "nth") || !strcmp(key, "as");
        return bad_rule(why, whylen, rule, known ? "'%s' given twice" :
                        "unknown key '%s' (rate, seed, slots, nth or as)", key);
    }
    return 0;
}

/* Parse one rule (text is a private, writable copy). */
static int parse_rule(struct pagefile_inject_rule *r, char *text, char *why, size_t whylen)
{
    char rule[128];
    snprintf(rule, sizeof(rule), "%s", text);
    memset(r, 0, sizeof(*r));
    char *colon = strchr(text, ':');
    if (!colon || colon[1] == '\0')
        return bad_rule(why, whylen, rule, "expected OPS:SELECT, e.g. read:rate=0.01,seed=42, "
                        "write:slots=5,9-12 or read:nth=3");
    *colon = '\0';
    if (parse_ops(text, &r->ops) < 0)
        return bad_rule(why, whylen, rule, "unknown operation '%s' (read, write or rw)", text);
    /* strtok_r hides empty items ("5,,7", "rate=0.1,"): count the separators to catch them. */
    size_t commas = 0;
    for (const char *p = colon + 1; *p; p++)
        commas += *p == ',';
    struct rule_keys k = { 0 };
    bool in_slots = false;
    char *save = NULL;
    size_t items = 0;
    for (char *item = strtok_r(colon + 1, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        items++;
        if (parse_item(r, &k, item, &in_slots, rule, why, whylen) < 0)
            return -1;
    }
    if (items != commas + 1)
        return bad_rule(why, whylen, rule, "empty item between commas");
    if ((int)k.rate + (int)k.slots + (int)k.nth != 1)
        return bad_rule(why, whylen, rule, "give exactly one of rate=, slots= or nth=");
    if (k.seed && !k.rate)
        return bad_rule(why, whylen, rule, "seed= only goes with rate=");
    if (r->as == ENOSPC && !(r->ops & OP_BIT(PV_PAGEFILE_WRITE)))
        return bad_rule(why, whylen, rule, "as=enospc only goes with write or rw (a read "
                        "cannot find the file system full)");
    r->select = k.rate ? INJECT_RATE : k.slots ? INJECT_SLOTS : INJECT_NTH;
    r->rng = k.seed ? k.seed_value : 1;
    return 0;
}

int pagefile_inject(struct pagefile *pf, const char *spec, char *why, size_t whylen)
{
    struct pagefile_inject_rule parsed[PAGEFILE_INJECT_RULES_MAX];
    size_t n = 0, have = pf ? pf->nrules : 0;
    char *copy = strdup(spec ? spec : "");
    if (!copy)
        return bad_rule(why, whylen, "", "out of memory");
    int rc = 0;
    char *rule = copy;
    for (;;) {
        char *semi = strchr(rule, ';');
        if (semi)
            *semi = '\0';
        if (*rule == '\0') {
            rc = bad_rule(why, whylen, rule, "empty rule (rules are separated by ';')");
            break;
        }
        if (have + n == PAGEFILE_INJECT_RULES_MAX) {
            rc = bad_rule(why, whylen, rule, "more than %u rules", PAGEFILE_INJECT_RULES_MAX);
            break;
        }
        if (parse_rule(&parsed[n], rule, why, whylen) < 0) {
            free(parsed[n].ranges);
            rc = -1;
            break;
        }
        n++;
        if (!semi)
            break;
        rule = semi + 1;
    }
    free(copy);
    /* All or nothing: a spec with one bad rule changes nothing. */
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && pf)
            pf->rules[pf->nrules++] = parsed[i];
        else
            free(parsed[i].ranges);
    }
    return rc;
}

static bool rule_fails(struct pagefile_inject_rule *r, uint32_t slot)
{
    switch (r->select) {
    case INJECT_RATE:
        return (double)(splitmix64(&r->rng) >> 11) * 0x1.0p-53 < r->rate;
    case INJECT_SLOTS:
        for (size_t i = 0; i < r->nranges; i++)
            if (slot >= r->ranges[i].first && slot <= r->ranges[i].last)
                return true;
        return false;
    case INJECT_NTH:
        return ++r->seen == r->nth;
    }
    return false;
}

/* Every rule for this op sees the page, so each rule's sequence is independent of the others.
 * *as: how the failure is reported (the as= of the first rule that failed it; 0 for a read). */
static bool injected(struct pagefile *pf, uint32_t op, uint32_t slot, int *as)
{
    bool fail = false;
    *as = 0;
    for (size_t i = 0; i < pf->nrules; i++)
        if ((pf->rules[i].ops & OP_BIT(op)) && rule_fails(&pf->rules[i], slot) && !fail) {
            fail = true;
            *as = op == PV_PAGEFILE_WRITE ? pf->rules[i].as : 0;
        }
    return fail;
}

/* ---- I/O -------------------------------------------------------------------------------- */

static bool slot_written(const struct pagefile *pf, uint32_t slot)
{
    return pf->written[slot / 64] & (1ull << (slot % 64));
}

static void set_written(struct pagefile *pf, uint32_t slot, bool on)
{
    if (on)
        pf->written[slot / 64] |= 1ull << (slot % 64);
    else
        pf->written[slot / 64] &= ~(1ull << (slot % 64));
}

static uint8_t *frame_ptr(struct guest_mem *mem, uint32_t frame)
{
    return gpa_ptr(mem, (uint64_t)frame * SLOT, SLOT);
}

static int32_t validate(struct pagefile *pf, const struct guest_mem *mem,
                        const struct pv_hc_pagefile_io *req)
{
    if (req->op != PV_PAGEFILE_READ && req->op != PV_PAGEFILE_WRITE)
        return PV_EINVAL;
    if (req->count == 0 || req->count > PV_PAGEFILE_CLUSTER_MAX)
        return PV_EINVAL;
    if (req->slot == 0 || (uint64_t)req->slot + req->count > pf->slots)
        return PV_EINVAL;
    for (uint32_t i = 0; i < req->count; i++)
        if (!gpa_range_ok(mem, (uint64_t)req->frames[i] * SLOT, SLOT))
            return PV_EFAULT;
    /* Two slots read into one frame: the second would overwrite the first, whose checksum would
     * then fail. That is the guest's mistake, not the file's: refused, with its own reason.
     * (A write may list a frame twice: both slots get the same page.) */
    for (uint32_t i = 1; req->op == PV_PAGEFILE_READ && i < req->count; i++)
        for (uint32_t j = 0; j < i; j++)
            if (req->frames[j] == req->frames[i]) {
                pf->last_failure = (struct pagefile_failure){
                    .kind = PAGEFILE_FAIL_DUPLICATE, .op = req->op, .slot = req->slot + i,
                    .frame = req->frames[i], .first_slot = req->slot + j };
                return PV_EDUPFRAME;
            }
    return PV_OK;
}

/* The first n frames as iovecs, frames adjacent in guest RAM merged into one entry: a cluster
 * of contiguous frames is one plain transfer. */
static int build_iov(struct guest_mem *mem, const uint32_t *frames, uint32_t n,
                     struct iovec *iov)
{
    int k = -1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *p = frame_ptr(mem, frames[i]);
        if (k >= 0 && (uint8_t *)iov[k].iov_base + iov[k].iov_len == p) {
            iov[k].iov_len += SLOT;
        } else {
            k++;
            iov[k].iov_base = p;
            iov[k].iov_len = SLOT;
        }
    }
    return k + 1;
}

/* preadv/pwritev all of iov at off, resuming after short transfers and EINTR. Returns 0, or -1
 * with *err = errno (0 when a read met the end of the file). *moved = bytes transferred. */
static int transfer(struct pagefile *pf, bool write, struct iovec *iov, int iovcnt, off_t off,
                    size_t *moved, int *err)
{
    *moved = 0;
    *err = 0;
    while (iovcnt > 0) {
        ssize_t r = write ? pwritev(pf->fd, iov, iovcnt, off) : preadv(pf->fd, iov, iovcnt, off);
        if (write)
            pf->stats.write_syscalls++;
        else
            pf->stats.read_syscalls++;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *err = errno;
            return -1;
        }
        if (r == 0) {
            *err = write ? EIO : 0; /* a write that moves nothing would spin forever */
            return -1;
        }
        *moved += (size_t)r;
        off += r;
        if (write)
            pf->stats.bytes_written += (uint64_t)r;
        else
            pf->stats.bytes_read += (uint64_t)r;
        iov_advance(&iov, &iovcnt, (size_t)r);
    }
    return 0;
}

static void note_failure(struct pagefile *pf, enum pagefile_failure_kind kind, int err,
                         uint32_t op, uint32_t slot)
{
    pf->last_failure = (struct pagefile_failure){ .kind = kind, .err = err, .op = op,
                                                  .slot = slot };
    switch (kind) {
    case PAGEFILE_FAIL_IO: case PAGEFILE_FAIL_EOF: pf->stats.io_errors++; break;
    case PAGEFILE_FAIL_CHECKSUM: pf->stats.checksum_mismatches++; break;
    case PAGEFILE_FAIL_UNWRITTEN: pf->stats.unwritten_reads++; break;
    case PAGEFILE_FAIL_INJECTED:
        pf->stats.injected_failures++;
        pf->stats.full_writes += err == ENOSPC;
        break;
    case PAGEFILE_FAIL_FULL: pf->stats.full_writes++; break;
    case PAGEFILE_FAIL_DUPLICATE: case PAGEFILE_FAIL_NONE: break; /* counted as refused */
    }
}

/* A write the file system had no room for: the slot is fine, the file cannot grow. */
static bool no_room(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

/*
 * Whether the file is still what pagevisor made it: one fstat, after every write request and
 * after a failed read (a read that succeeded proves enough). Each event is queued once for
 * pagefile_notice. The temporary file has no name on purpose; only a named one can be deleted.
 */
static void check_file(struct pagefile *pf)
{
    struct stat st;
    if ((pf->noticed & (PAGEFILE_NOTICE_DELETED | PAGEFILE_NOTICE_TRUNCATED)) ==
        (PAGEFILE_NOTICE_DELETED | PAGEFILE_NOTICE_TRUNCATED) || fstat(pf->fd, &st) < 0)
        return;
    if (pf->path && st.st_nlink == 0)
        pf->noticed |= PAGEFILE_NOTICE_DELETED;
    if ((uint64_t)st.st_size < pf->size && !(pf->noticed & PAGEFILE_NOTICE_TRUNCATED)) {
        pf->noticed |= PAGEFILE_NOTICE_TRUNCATED;
        pf->truncated_to = (uint64_t)st.st_size;
    }
}

/* How many leading pages of a request may reach the file; *kind says why the next may not
 * (*err: ENOSPC for an injected failure reported as a full file system, else 0). */
static uint32_t pages_allowed(struct pagefile *pf, const struct pv_hc_pagefile_io *req,
                              enum pagefile_failure_kind *kind, int *err)
{
    *kind = PAGEFILE_FAIL_NONE;
    *err = 0;
    for (uint32_t i = 0; i < req->count; i++) {
        uint32_t slot = req->slot + i;
        if (req->op == PV_PAGEFILE_READ && !slot_written(pf, slot)) {
            *kind = PAGEFILE_FAIL_UNWRITTEN;
            return i;
        }
        if (injected(pf, req->op, slot, err)) {
            *kind = PAGEFILE_FAIL_INJECTED;
            return i;
        }
    }
    return req->count;
}

static int32_t read_pages(struct pagefile *pf, struct guest_mem *mem,
                          const struct pv_hc_pagefile_io *req, uint32_t *done)
{
    enum pagefile_failure_kind kind;
    int err;
    uint32_t allowed = pages_allowed(pf, req, &kind, &err);
    uint32_t good = allowed;
    if (allowed) {
        struct iovec iov[PV_PAGEFILE_CLUSTER_MAX];
        int n = build_iov(mem, req->frames, allowed, iov);
        size_t moved;
        if (transfer(pf, false, iov, n, (off_t)req->slot * SLOT, &moved, &err) < 0) {
            good = (uint32_t)(moved / SLOT);
            kind = err ? PAGEFILE_FAIL_IO : PAGEFILE_FAIL_EOF;
        }
    }
    for (uint32_t i = 0; i < good; i++) {
        if (page_checksum(frame_ptr(mem, req->frames[i])) != pf->checksum[req->slot + i]) {
            good = i;
            kind = PAGEFILE_FAIL_CHECKSUM;
            err = 0;
            break;
        }
    }
    /* Nothing unverified stays in a frame. */
    for (uint32_t i = good; i < req->count; i++)
        memset(frame_ptr(mem, req->frames[i]), 0, SLOT);
    *done = good;
    pf->stats.pages_read += good;
    if (good == req->count)
        return PV_OK;
    note_failure(pf, kind, err, req->op, req->slot + good);
    check_file(pf);
    return PV_EIO;
}

static int32_t write_pages(struct pagefile *pf, struct guest_mem *mem,
                           const struct pv_hc_pagefile_io *req, uint32_t *done)
{
    enum pagefile_failure_kind kind;
    int err;
    uint32_t allowed = pages_allowed(pf, req, &kind, &err);
    uint32_t good = allowed;
    uint32_t sums[PV_PAGEFILE_CLUSTER_MAX];
    /* The vCPU is stopped while we serve it, so the frames cannot change under the write. */
    for (uint32_t i = 0; i < allowed; i++)
        sums[i] = page_checksum(frame_ptr(mem, req->frames[i]));
    if (allowed) {
        struct iovec iov[PV_PAGEFILE_CLUSTER_MAX];
        int n = build_iov(mem, req->frames, allowed, iov);
        size_t moved;
        int io_err;
        if (transfer(pf, true, iov, n, (off_t)req->slot * SLOT, &moved, &io_err) < 0) {
            good = (uint32_t)(moved / SLOT);
            err = io_err;
            kind = no_room(err) ? PAGEFILE_FAIL_FULL : PAGEFILE_FAIL_IO;
        }
    }
    for (uint32_t i = 0; i < req->count; i++) {
        uint32_t slot = req->slot + i;
        if (i < good)
            pf->checksum[slot] = sums[i];
        /* A slot whose write failed holds neither old nor new data for sure: it reads as a
         * failure until written again. */
        set_written(pf, slot, i < good);
    }
    *done = good;
    pf->stats.pages_written += good;
    check_file(pf);
    if (good == req->count)
        return PV_OK;
    note_failure(pf, kind, err, req->op, req->slot + good);
    return kind == PAGEFILE_FAIL_FULL || (kind == PAGEFILE_FAIL_INJECTED && err == ENOSPC) ?
           PV_ENOSPC : PV_EIO;
}

int32_t pagefile_io(struct pagefile *pf, struct guest_mem *mem,
                    const struct pv_hc_pagefile_io *req, uint32_t *done)
{
    uint32_t ignored;
    if (!done)
        done = &ignored;
    *done = 0;
    if (!pagefile_is_open(pf))
        return PV_ENODEV;
    int32_t ret = validate(pf, mem, req);
    if (ret != PV_OK) {
        pf->stats.rejected_calls++;
        return ret;
    }
    if (req->op == PV_PAGEFILE_READ) {
        pf->stats.read_calls++;
        ret = read_pages(pf, mem, req, done);
    } else {
        pf->stats.write_calls++;
        ret = write_pages(pf, mem, req, done);
    }
    if (ret != PV_OK)
        pf->stats.failed_calls++;
    return ret;
}

/* ---- Reporting -------------------------------------------------------------------------- */

/* The file as messages name it: "the pagefile PATH" or "the temporary pagefile in DIR". */
static const char *file_named(const struct pagefile *pf, char *buf, size_t len)
{
    if (pf->path)
        snprintf(buf, len, "the pagefile %s", pf->name ? pf->name : pf->path);
    else
        snprintf(buf, len, "the temporary pagefile in %s", pf->tmpdir ? pf->tmpdir : "?");
    return buf;
}

#define KEPT_IN_MEMORY "the guest keeps those pages in memory"

const char *pagefile_describe_failure(const struct pagefile *pf, char *buf, size_t len)
{
    const struct pagefile_failure *f = &pf->last_failure;
    const char *op = f->op == PV_PAGEFILE_WRITE ? "write" : "read";
    switch (f->kind) {
    case PAGEFILE_FAIL_NONE:
        snprintf(buf, len, "no pagefile failure");
        break;
    case PAGEFILE_FAIL_IO:
        snprintf(buf, len, "pagefile %s of slot %u failed: %s: %s", op, f->slot,
                 f->op == PV_PAGEFILE_WRITE ? "pwritev" : "preadv", strerror(f->err));
        break;
    case PAGEFILE_FAIL_EOF:
        snprintf(buf, len, "pagefile read of slot %u failed: the file ends before it (was it "
                 "truncated behind pagevisor's back?)", f->slot);
        break;
    case PAGEFILE_FAIL_CHECKSUM:
        snprintf(buf, len, "pagefile read of slot %u failed: checksum mismatch (the file "
                 "changed behind pagevisor's back, or the storage returned bad data)", f->slot);
        break;
    case PAGEFILE_FAIL_UNWRITTEN:
        snprintf(buf, len, "pagefile read of slot %u failed: the slot was never written, or its "
                 "last write failed (a guest bug)", f->slot);
        break;
    case PAGEFILE_FAIL_INJECTED:
        if (f->err == ENOSPC)
            snprintf(buf, len, "pagefile write of slot %u failed: injected by "
                     "--inject-pagefile-errors as a full file system (as=enospc); "
                     KEPT_IN_MEMORY, f->slot);
        else
            snprintf(buf, len, "pagefile %s of slot %u failed: injected by "
                     "--inject-pagefile-errors", op, f->slot);
        break;
    case PAGEFILE_FAIL_FULL: {
        char file[4200];
        file_named(pf, file, sizeof(file));
        const char *holding = pf->path ? pf->name ? pf->name : pf->path : file;
        if (f->err == EFBIG)
            snprintf(buf, len, "pagefile write of slot %u failed: %s is full: it reached the "
                     "largest file size allowed (pwritev: %s); " KEPT_IN_MEMORY, f->slot, file,
                     strerror(f->err));
        else if (f->err == EDQUOT)
            snprintf(buf, len, "pagefile write of slot %u failed: the disk quota on the file "
                     "system holding %s is full (pwritev: %s); " KEPT_IN_MEMORY, f->slot,
                     holding, strerror(f->err));
        else
            snprintf(buf, len, "pagefile write of slot %u failed: the file system holding %s "
                     "is full (pwritev: %s); " KEPT_IN_MEMORY, f->slot, holding,
                     strerror(f->err));
        break;
    }
    case PAGEFILE_FAIL_DUPLICATE:
        snprintf(buf, len, "pagefile read of slots %u and %u refused: both into guest frame "
                 "0x%x (a guest bug; nothing was read)", f->first_slot, f->slot, f->frame);
        break;
    }
    return buf;
}

bool pagefile_notice(struct pagefile *pf, char *buf, size_t len)
{
    char file[4200];
    uint32_t news = pf->noticed & ~pf->told;
    if (news & PAGEFILE_NOTICE_DELETED) {
        pf->told |= PAGEFILE_NOTICE_DELETED;
        snprintf(buf, len, "%s was deleted during the run; paging goes on in the open file, "
                 "which is gone when the run ends", file_named(pf, file, sizeof(file)));
        return true;
    }
    if (news & PAGEFILE_NOTICE_TRUNCATED) {
        pf->told |= PAGEFILE_NOTICE_TRUNCATED;
        snprintf(buf, len, "%s was truncated from %llu to %llu bytes behind pagevisor's back; "
                 "pages in the slots past byte %llu (slot %llu on) are lost (the guest gets an "
                 "in-page error when it reads one)", file_named(pf, file, sizeof(file)),
                 (unsigned long long)pf->size, (unsigned long long)pf->truncated_to,
                 (unsigned long long)pf->truncated_to,
                 (unsigned long long)(pf->truncated_to / SLOT));
        return true;
    }
    return false;
}

void pagefile_print_stats(const struct pagefile *pf, FILE *out)
{
    const struct pagefile_stats *s = &pf->stats;
    fprintf(out, "pagefile: %llu pages read in %llu calls (%llu syscalls), %llu pages written "
            "in %llu calls (%llu syscalls); %llu calls failed (%llu checksum mismatches, "
            "%llu reads of unwritten slots, %llu I/O errors, %llu injected), %llu refused; "
            "%llu writes refused: file system full\n",
            (unsigned long long)s->pages_read, (unsigned long long)s->read_calls,
            (unsigned long long)s->read_syscalls, (unsigned long long)s->pages_written,
            (unsigned long long)s->write_calls, (unsigned long long)s->write_syscalls,
            (unsigned long long)s->failed_calls, (unsigned long long)s->checksum_mismatches,
            (unsigned long long)s->unwritten_reads, (unsigned long long)s->io_errors,
            (unsigned long long)s->injected_failures, (unsigned long long)s->rejected_calls,
            (unsigned long long)s->full_writes);
}
