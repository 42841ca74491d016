/*
 * preflight.h - what `pagevisor run` checks before anything boots, here or in the KVM runner:
 * the kernel and every image are executables the loader takes, image arguments fit a Multiboot
 * command line, the --trace and --pagefile paths can be written and --volume is a usable
 * directory. A mistake is named in the
 * user's own words, and no file of theirs is created or truncated by the check.
 */
#ifndef PV_PREFLIGHT_H
#define PV_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"

/* Checks o; 0 when the run may start, else PV_EXIT_USAGE after one line on stderr
 * ("pagevisor run: foo.elf: not an ELF file"). */
int run_preflight(const struct run_options *o);

/* Whether a run could write path: an existing file, device, pipe or FIFO it may open for
 * writing (for a pagefile: a regular file it may open for reading and writing), or a new file
 * in an existing directory that takes one. Nothing is truncated; a new file is created to see
 * and removed at once. 0, or -1 with the reason in why (not naming path). */
int output_path_check(const char *path, bool pagefile, char *why, size_t whylen);

/* Whether --volume's path is a directory the user may list, read and write in. 0, or -1 with
 * the reason in why (not naming path). */
int volume_dir_check(const char *path, char *why, size_t whylen);

/* Which of our standard output (1) or error (2) path names, the very file open there (as
 * /dev/stdout, /dev/fd/1 or the file's own name do); -1 for neither. */
int output_path_std_fd(const char *path);

/* Opens --trace's file for writing: a path naming our standard output or error writes there
 * through a copy of that descriptor (sharing its offset, so a file it goes to is not truncated
 * under the run's other output); anything else is created or truncated. NULL with errno. */
FILE *open_trace_file(const char *path);

/* msg with every path of o's files (kernel, images, trace, pagefile) replaced by what the user
 * called it (--name: inside the KVM runner the files have other paths), into out. */
void name_paths(const struct run_options *o, const char *msg, char *out, size_t size);

#endif /* PV_PREFLIGHT_H */
