/*
 * volume_sync.h - a --volume directory carried through the KVM runner VM and back: its size
 * measured before boot, its regular files marked inside the VM before the run, the files the
 * run created or changed packed into one file after it, and that pack written back into the
 * host directory (only new or changed regular files; nothing outside it, never through a
 * symbolic link).
 *
 * Packed form (little-endian): the 8 bytes "PVVOLUM1", then per file a u32 name length (1 to
 * PATH_MAX - 1), the name (relative to the volume, '/' between components, no NUL), a u64 size
 * and that many bytes; a name length of 0 ends it.
 */
#ifndef PV_VOLUME_SYNC_H
#define PV_VOLUME_SYNC_H

#include <stddef.h>
#include <stdint.h>

#define VOLUME_PACK_MAGIC "PVVOLUM1"
/* The most a volume may hold (regular files' bytes) to go through the KVM runner VM, whose
 * 1 GiB of RAM holds the volume, the guest and the pack. */
#define VOLUME_SYNC_LIMIT (256ull << 20)
/* The modification time (seconds) of every file of the volume inside the VM before the run:
 * a file with any other was written by the run, or is new. */
#define VOLUME_MARK_TIME 1000000000

/* The bytes of dir's regular files, symbolic links not followed. 0, or -1 with why. */
int volume_measure(const char *dir, uint64_t *bytes, char *why, size_t whylen);

/* Inside the VM: every regular file under dir gets VOLUME_MARK_TIME. 0, or -1 with why. */
int volume_mark(const char *dir, char *why, size_t whylen);

/* Inside the VM: the regular files under dir whose time is not the mark, packed into out
 * (created 0600, or truncated). 0, or -1 with why. */
int volume_pack(const char *dir, const char *out, char *why, size_t whylen);

/* On the host: the files packed in in_fd (read from its start) written into dir: a file whose
 * host copy already holds the same bytes is left alone (its time too); any other replaces the
 * host file whole (a new file beside it, then renamed; an existing file keeps its mode) or is
 * created (0644 & ~umask), missing parent directories made (0755). A name that is absolute,
 * has "..", ".", or an empty component, or whose path on the host meets a symbolic link or a
 * file that is not a directory (or, at its end, not a regular file) is refused. Stops at the
 * first failure: -1 with why naming the file; else 0. *written and *unchanged count files. */
int volume_unpack(int in_fd, const char *dir, unsigned *written, unsigned *unchanged,
                  char *why, size_t whylen);

/* `pagevisor volume-pack --mark DIR` and `pagevisor volume-pack DIR OUT` (inside the VM). */
int volume_pack_main(int argc, char **argv);

#endif /* PV_VOLUME_SYNC_H */
