/* preflight.c - `pagevisor run`'s checks before anything boots (see preflight.h). */
#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "multiboot_loader.h"
#include "pv_abi.h"
#include "fdio.h"

int output_path_check(const char *path, bool pagefile, char *why, size_t whylen)
{
    struct stat st;
    if (!path[0])
        return fail_why(why, whylen, "an empty path");
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return fail_why(why, whylen, "a directory, not a file");
        if (pagefile && !S_ISREG(st.st_mode))
            return fail_why(why, whylen, "not a regular file (a pagefile must be one)");
        if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) {
            /* Opened without O_TRUNC and closed: the file stays as it is. */
            int fd = open(path, (pagefile ? O_RDWR : O_WRONLY) | O_NOCTTY | O_NONBLOCK |
                          O_CLOEXEC);
            /* A write of nothing changes nothing, yet fails where writing cannot work
             * (files under /proc that take no writes). */
            if (fd < 0 || write(fd, "", 0) < 0) {
                int e = errno;
                if (fd >= 0)
                    close(fd);
                return fail_why(why, whylen, "cannot write it: %s", strerror(e));
            }
            close(fd);
            return 0;
        }
        /* A FIFO or socket: opening it could wait for a reader, or take it. */
        if (access(path, W_OK) != 0)
            return fail_why(why, whylen, "cannot write it: %s", strerror(errno));
        return 0;
    }
    if (errno != ENOENT)
        return fail_why(why, whylen, "%s", strerror(errno));

    char dir[PATH_MAX];
    path_parent_dir(path, dir, sizeof(dir));
    if (stat(dir, &st) != 0)
        return fail_why(why, whylen, errno == ENOENT ? "no such directory %s" : "%s: %s", dir,
                    strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail_why(why, whylen, "%s is not a directory", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail_why(why, whylen, "cannot create it: %s", strerror(errno));
    close(fd);
    unlink(path);
    return 0;
}

int volume_dir_check(const char *path, char *why, size_t whylen)
{
    struct stat st;
    if (!path[0])
        return fail_why(why, whylen, "an empty path");
    if (stat(path, &st) != 0)
        return fail_why(why, whylen, errno == ENOENT ? "no such directory" : "%s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail_why(why, whylen, "not a directory");
    if (access(path, R_OK | W_OK | X_OK) != 0)
        return fail_why(why, whylen, "cannot read and write in it: %s", strerror(errno));
    return 0;
}

int output_path_std_fd(const char *path)
{
    struct stat st, fd_st;
    if (stat(path, &st) != 0)
        return -1;
    for (int fd = 1; fd <= 2; fd++)
        if (fstat(fd, &fd_st) == 0 && fd_st.st_dev == st.st_dev && fd_st.st_ino == st.st_ino)
            return fd;
    return -1;
}

FILE *open_trace_file(const char *path)
{
    int fd = output_path_std_fd(path);
    if (fd < 0)
        return fopen(path, "w");
    int copy = dup(fd);
    if (copy < 0)
        return NULL;
    FILE *f = fdopen(copy, "w");
    if (!f)
        close(copy);
    return f;
}

static void name_one(const char *path, const char *name, const char **best_path,
                     const char **best_name, const char *at)
{
    if (!path || !name || strcmp(path, name) == 0)
        return;
    size_t n = strlen(path);
    if (strncmp(at, path, n) == 0 && (!*best_path || n > strlen(*best_path))) {
        *best_path = path;
        *best_name = name;
    }
}

void name_paths(const struct run_options *o, const char *msg, char *out, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return;
    for (const char *at = msg; *at;) {
        const char *path = NULL, *name = NULL;
        name_one(run_kernel_path(o), run_kernel_name(o), &path, &name, at);
        name_one(o->trace_path, o->trace_name, &path, &name, at);
        name_one(o->pagefile_path, o->pagefile_name, &path, &name, at);
        name_one(o->volume_path, o->volume_name, &path, &name, at);
        for (size_t i = 0; i < o->nimages; i++)
            name_one(o->images[i].path, o->images[i].name, &path, &name, at);
        const char *piece = path ? name : at;
        size_t n = path ? strlen(name) : 1;
        at += path ? strlen(path) : 1;
        if (len + n >= size)
            n = size - 1 - len;
        memcpy(out + len, piece, n);
        len += n;
    }
    out[len] = '\0';
}

static int refuse(const struct run_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(const struct run_options *o, const char *fmt, ...)
{
    char msg[1024], named[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    name_paths(o, msg, named, sizeof(named));
    fflush(stdout);
    fprintf(stderr, "pagevisor run: %s\n", named);
    return PV_EXIT_USAGE;
}

int run_preflight(const struct run_options *o)
{
    char why[768];
    if (mb_check_file(run_kernel_path(o), true, o->mem, why, sizeof(why)) != 0)
        return refuse(o, "%s%s", o->kernel ? "--kernel " : "kernel ", why);
    for (size_t i = 0; i < o->nimages; i++) {
        const struct image_spec *img = &o->images[i];
        if (mb_check_file(img->path, false, o->mem, why, sizeof(why)) != 0)
            return refuse(o, "%s%s", img->child ? "--child " : "", why);
        char *cmdline = image_cmdline(img);
        free(cmdline);
        if (!cmdline)
            return refuse(o, "%s: image arguments may not be empty or contain whitespace "
                          "(Multiboot command lines are split on spaces)", img->path);
    }
    if (o->trace_path && output_path_check(o->trace_path, false, why, sizeof(why)) != 0)
        return refuse(o, "--trace %s: %s", o->trace_path, why);
    if (o->pagefile_path && output_path_check(o->pagefile_path, true, why, sizeof(why)) != 0)
        return refuse(o, "--pagefile %s: %s", o->pagefile_path, why);
    if (o->volume_path && volume_dir_check(o->volume_path, why, sizeof(why)) != 0)
        return refuse(o, "--volume %s: %s", o->volume_path, why);
    return 0;
}
