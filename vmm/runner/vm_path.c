/*
 * vm_path.c - where a host path is inside the KVM runner VM: a relative path without ".."
 * under /pv (so relative paths work alike inside), anything else under /pv/root at its
 * canonical absolute form (runner.h).
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
#include "cpio.h"

/* ------------------------------------------------------------------------------------------ */
/* Host path -> VM path.                                                                      */

static bool has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        const char *end = strchrnul(p, '/');
        if (end - p == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

/* Fold an absolute path lexically: "//", "." and ".." (".." of "/" is "/"). */
static void fold_absolute(const char *in, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchrnul(p, '/');
        size_t clen = (size_t)(end - p);
        if (clen == 1 && p[0] == '.') {
            /* nothing */
        } else if (clen == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* the slash */
            out[len] = '\0';
        } else if (len + 1 + clen < size) {
            out[len++] = '/';
            memcpy(out + len, p, clen);
            len += clen;
            out[len] = '\0';
        }
        p = end;
    }
    if (len == 0 && size > 1) {
        out[0] = '/';
        out[1] = '\0';
    }
}

/* Canonical absolute form of a folded absolute path: symlinks resolved as far as it exists. */
static int canonical(const char *abs, char *out, size_t size)
{
    char resolved[PATH_MAX];
    if (realpath(abs, resolved)) {
        if (strlen(resolved) >= size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        strcpy(out, resolved);
        return 0;
    }
    if (strcmp(abs, "/") == 0) {
        snprintf(out, size, "/");
        return 0;
    }
    const char *slash = strrchr(abs, '/');
    char parent[PATH_MAX];
    size_t plen = (size_t)(slash - abs);
    if (plen == 0)
        snprintf(parent, sizeof(parent), "/");
    else
        snprintf(parent, sizeof(parent), "%.*s", (int)plen, abs);
    if (canonical(parent, out, size) < 0)
        return -1;
    size_t olen = strlen(out);
    int n = snprintf(out + olen, size - olen, "%s%s", olen > 1 ? "/" : "", slash + 1);
    if (n < 0 || (size_t)n >= size - olen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int runner_vm_path(const char *host_path, char *buf, size_t size)
{
    int n;
    if (!host_path || !*host_path) {
        errno = EINVAL;
        return -1;
    }
    if (host_path[0] != '/' && !has_dotdot(host_path)) {
        char rel[PATH_MAX];
        if (cpio_normalize_path(host_path, rel, sizeof(rel)) < 0) {
            if (errno != EINVAL)
                return -1;
            n = snprintf(buf, size, "/pv"); /* "." and the like: the cwd itself */
        } else {
            n = snprintf(buf, size, "/pv/%s", rel);
        }
    } else {
        char joined[PATH_MAX * 2], folded[PATH_MAX], canon[PATH_MAX];
        if (host_path[0] == '/') {
            snprintf(joined, sizeof(joined), "%s", host_path);
        } else {
            char cwd[PATH_MAX];
            if (!getcwd(cwd, sizeof(cwd)))
                return -1;
            snprintf(joined, sizeof(joined), "%s/%s", cwd, host_path);
        }
        fold_absolute(joined, folded, sizeof(folded));
        if (canonical(folded, canon, sizeof(canon)) < 0)
            return -1;
        n = snprintf(buf, size, "/pv/root%s", strcmp(canon, "/") == 0 ? "" : canon);
    }
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}
