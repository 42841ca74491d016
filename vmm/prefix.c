/* prefix.c - finding the guest kernels and the static twin from pagevisor's own location. */
#include "prefix.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const piece_names[] = {
    [PV_PIECE_KERNEL] = "kernel.elf",
    [PV_PIECE_KERNEL_3GB] = "kernel-3gb.elf",
    [PV_PIECE_STATIC] = "pagevisor-static",
    [PV_PIECE_RUNNER_PREPARE] = "runner/prepare.sh",
};

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool fits(int n, size_t size)
{
    return n >= 0 && (size_t)n < size;
}

int pv_piece_locate(const char *exe, enum pv_piece piece, struct pv_piece_where *w)
{
    const char *name = piece_names[piece];
    char dir[PATH_MAX], probe[PATH_MAX + 8];
    const char *slash = strrchr(exe, '/');
    size_t dlen = slash ? (size_t)(slash - exe) : 0;
    if (dlen >= sizeof(dir))
        return -1;
    memcpy(dir, exe, dlen);
    dir[dlen] = '\0';
    if (!slash)
        strcpy(dir, ".");

    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    snprintf(probe, sizeof(probe), "%s/guest", dir);
    if (strcmp(base, "bin") == 0 && !is_dir(probe)) {
        /* PREFIX/bin/pagevisor: PREFIX/lib/pagevisor/NAME ("/bin" has the prefix ""). */
        int plen = (int)(base - dir) - 1;
        if (plen < 0)
            plen = 0;
        if (!fits(snprintf(w->path, sizeof(w->path), "%.*s/lib/pagevisor/%s", plen, dir, name),
                  sizeof(w->path)))
            return -1;
        snprintf(w->provider, sizeof(w->provider),
                 "run `make install PREFIX=%.*s` in pagevisor's source tree", plen ? plen : 1,
                 plen ? dir : "/");
        w->installed = true;
        return 0;
    }
    int n;
    if (piece == PV_PIECE_STATIC)
        n = snprintf(w->path, sizeof(w->path), "%s/%s", dir, name);
    else if (piece == PV_PIECE_RUNNER_PREPARE)
        n = snprintf(w->path, sizeof(w->path), "%s/../tests/kvm-runner/prepare.sh", dir);
    else
        n = snprintf(w->path, sizeof(w->path), "%s/guest/%s", dir, name);
    if (!fits(n, sizeof(w->path)))
        return -1;
    w->installed = false;
    snprintf(w->provider, sizeof(w->provider), "run `make` in pagevisor's source tree");
    return 0;
}

int pv_piece_locate_self(enum pv_piece piece, struct pv_piece_where *w)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return pv_piece_locate("build/pagevisor", piece, w);
    exe[n] = '\0';
    return pv_piece_locate(exe, piece, w);
}

bool pv_default_kernel_present(bool three_gb)
{
    struct pv_piece_where w;
    if (pv_piece_locate_self(three_gb ? PV_PIECE_KERNEL_3GB : PV_PIECE_KERNEL, &w) != 0) {
        fprintf(stderr, "pagevisor: the path of the guest kernel beside pagevisor is too long "
                "(give --kernel)\n");
        return false;
    }
    if (access(w.path, R_OK) == 0)
        return true;
    if (errno == ENOENT)
        fprintf(stderr, "pagevisor: no guest kernel at %s (%s, or give --kernel)\n", w.path,
                w.provider);
    else /* there, but this user cannot reach or read it */
        fprintf(stderr, "pagevisor: cannot read the guest kernel at %s: %s (give --kernel)\n",
                w.path, strerror(errno));
    return false;
}
