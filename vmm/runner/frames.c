/*
 * frames.c - the KVM runner's result stream (framing in runner.h): the parser fed in pieces of
 * any size, with the CRC-32 busybox computes on the VM side, and the text helpers the rest of
 * the runner shares (a printable copy of a line, a bounded number).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "runner_util.h"

/* ------------------------------------------------------------------------------------------ */
/* CRC-32 (zlib polynomial, reflected), as busybox crc32 computes it.                         */

uint32_t runner_crc32(uint32_t crc, const void *buf, size_t len)
{
    static uint32_t table[256];
    static bool ready;
    const unsigned char *p = buf;

    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = true;
    }
    crc = ~crc;
    while (len--)
        crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ------------------------------------------------------------------------------------------ */
/* The result stream parser.                                                                  */


void runner_frames_init(struct runner_frames *p)
{
    memset(p, 0, sizeof(*p));
    p->state = FR_LINE;
}

/* A printable copy of (part of) a line for messages; size >= 4. */
void runner_printable(char *out, size_t size, const char *in, size_t len)
{
    size_t o = 0, i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        char tmp[8];
        size_t tl;
        if (c >= 0x20 && c < 0x7F) {
            tmp[0] = (char)c;
            tl = 1;
        } else {
            tl = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02X", c);
        }
        if (o + tl + 4 > size)
            break; /* room for "..." and the NUL */
        memcpy(out + o, tmp, tl);
        o += tl;
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static int frames_fail(struct runner_frames *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int frames_fail(struct runner_frames *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error, sizeof(p->error), fmt, ap);
    va_end(ap);
    p->state = FR_FAILED;
    return -1;
}

bool runner_parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return false;
        if (v > (max - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return true;
}

/* Split off the next space-separated word of *s (which must exist); NULL if none. */
static char *next_word(char **s)
{
    char *w = *s, *sp;
    if (!w || !*w)
        return NULL;
    sp = strchr(w, ' ');
    if (sp) {
        *sp = '\0';
        *s = sp + 1;
    } else {
        *s = NULL;
    }
    return w;
}

static int frames_line(struct runner_frames *p)
{
    char shown[200];
    char *line = p->line;
    runner_printable(shown, sizeof(shown), p->line, p->line_len);

    if (p->ended)
        return frames_fail(p, "data after END: \"%s\"", shown);
    if (strncmp(line, "PV1 ", 4) != 0)
        return frames_fail(p, "unexpected line \"%s\"", shown);
    char *rest = line + 4;
    char *kw = next_word(&rest);
    if (!kw)
        return frames_fail(p, "unexpected line \"%s\"", shown);

    if (strcmp(kw, "START") == 0 && !rest) {
        if (p->started)
            return frames_fail(p, "START twice");
        p->started = 1;
    } else if (strcmp(kw, "EXIT") == 0) {
        uint64_t status;
        if (!rest || !runner_parse_u64(rest, 10, 255, &status))
            return frames_fail(p, "bad exit status line \"%s\"", shown);
        if (!p->started || p->exited)
            return frames_fail(p, "EXIT out of order");
        p->exited = 1;
        p->exit_status = (int)status;
    } else if (strcmp(kw, "FILE") == 0) {
        char *size_s = next_word(&rest), *crc_s = next_word(&rest);
        uint64_t size, crc;
        if (!size_s || !crc_s || !rest || !*rest || !runner_parse_u64(size_s, 10, UINT64_MAX >> 1, &size) ||
            !runner_parse_u64(crc_s, 16, UINT32_MAX, &crc))
            return frames_fail(p, "bad FILE line \"%s\"", shown);
        if (!p->exited)
            return frames_fail(p, "FILE before EXIT");
        snprintf(p->path, sizeof(p->path), "%s", rest);
        p->size = p->left = size;
        p->crc_expected = (uint32_t)crc;
        p->crc = 0;
        if (p->file_begin && p->file_begin(p->ctx, p->path, size) != 0)
            return frames_fail(p, "cannot store %s", p->path);
        p->state = size ? FR_DATA : FR_NEWLINE;
    } else if (strcmp(kw, "NOFILE") == 0) {
        if (!rest || !*rest)
            return frames_fail(p, "bad NOFILE line");
        if (!p->exited)
            return frames_fail(p, "NOFILE before EXIT");
        if (p->file_missing)
            p->file_missing(p->ctx, rest);
    } else if (strcmp(kw, "ERROR") == 0) {
        snprintf(p->vm_error, sizeof(p->vm_error), "%s", rest ? rest : "(no message)");
    } else if (strcmp(kw, "END") == 0 && !rest) {
        p->ended = 1;
    } else {
        return frames_fail(p, "unexpected line \"%s\"", shown);
    }
    return 0;
}

int runner_frames_feed(struct runner_frames *p, const void *buf, size_t len)
{
    const char *b = buf;

    while (len > 0) {
        switch (p->state) {
        case FR_FAILED:
            return -1;
        case FR_LINE: {
            const char *nl = memchr(b, '\n', len);
            size_t take = nl ? (size_t)(nl - b) : len;
            if (p->line_len + take >= sizeof(p->line)) {
                char shown[80];
                runner_printable(shown, sizeof(shown), p->line, p->line_len < 60 ? p->line_len : 60);
                return frames_fail(p, "line too long (\"%s...\")", shown);
            }
            if (memchr(b, '\0', take))
                return frames_fail(p, "NUL byte in a frame line");
            memcpy(p->line + p->line_len, b, take);
            p->line_len += take;
            b += take;
            len -= take;
            if (nl) {
                b++;
                len--;
                p->line[p->line_len] = '\0';
                int rc = frames_line(p);
                p->line_len = 0;
                if (rc < 0)
                    return -1;
            }
            break;
        }
        case FR_DATA: {
            size_t take = p->left < len ? (size_t)p->left : len;
            p->crc = runner_crc32(p->crc, b, take);
            if (p->file_data && p->file_data(p->ctx, b, take) != 0)
                return frames_fail(p, "cannot store %s", p->path);
            b += take;
            len -= take;
            p->left -= take;
            if (p->left == 0)
                p->state = FR_NEWLINE;
            break;
        }
        case FR_NEWLINE:
            if (*b != '\n')
                return frames_fail(p, "%s: more data than its announced %" PRIu64 " bytes",
                                   p->path, p->size);
            b++;
            len--;
            if (p->crc != p->crc_expected)
                return frames_fail(p, "%s: checksum mismatch (crc32 %08" PRIx32 ", sent %08" PRIx32 ")",
                                   p->path, p->crc, p->crc_expected);
            if (p->file_end && p->file_end(p->ctx, p->path) != 0)
                return frames_fail(p, "cannot store %s", p->path);
            p->files++;
            p->state = FR_LINE;
            break;
        }
    }
    return p->state == FR_FAILED ? -1 : 0;
}

int runner_frames_finish(struct runner_frames *p)
{
    if (p->state == FR_FAILED)
        return -1;
    if (p->ended && p->state == FR_LINE && p->line_len == 0) {
        if (p->exited)
            return 0;
        return frames_fail(p, "%s", p->vm_error[0] ? p->vm_error : "END without an exit status");
    }
    if (p->state == FR_DATA || p->state == FR_NEWLINE)
        return frames_fail(p, "cut inside %s (%" PRIu64 " of %" PRIu64 " bytes)", p->path,
                           p->size - p->left, p->size);
    if (p->line_len > 0) {
        char shown[80];
        runner_printable(shown, sizeof(shown), p->line, p->line_len < 60 ? p->line_len : 60);
        return frames_fail(p, "cut inside a line (\"%s\")", shown);
    }
    if (!p->started)
        return frames_fail(p, "the command never started");
    if (!p->exited)
        return frames_fail(p, "no exit status");
    return frames_fail(p, "cut before END");
}
