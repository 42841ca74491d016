/*
 * sparse_file.h - a sparse file packed as its size and data extents, so that a kept --pagefile
 * crosses from the KVM runner VM to the host as the pages written into it, not as its whole
 * size of zeros (a 512 MiB pagefile is a few pages of data), and is written back sparse.
 *
 * Packed form (little-endian): the 8 bytes "PVSPARS1", the file's size (u64), then extents,
 * each its offset and length (u64 each) and that many bytes, in increasing order and not
 * overlapping, ended by an extent of offset SPARSE_END and length 0. Extents come from
 * SEEK_DATA/SEEK_HOLE where the file system has them, and all-zero blocks inside them are
 * left out too.
 */
#ifndef PV_SPARSE_FILE_H
#define PV_SPARSE_FILE_H

#include <stddef.h>
#include <stdint.h>

#define SPARSE_MAGIC "PVSPARS1"
#define SPARSE_END   UINT64_MAX
#define SPARSE_BLOCK 65536u /* zero blocks of this size (aligned) inside data are holes too */

/* Packs src into dst (created 0600, or truncated). Returns 0, or -1 with why naming the file
 * and what went wrong. */
int sparse_pack(const char *src, const char *dst, char *why, size_t whylen);

/* Writes the file packed in in_fd (read from its start) to out_fd, which is truncated and
 * written with holes where the packed file has no data. Returns 0, or -1 with why (what is
 * wrong with the packed form, or the write that failed; name is the output's name for it). */
int sparse_unpack(int in_fd, int out_fd, const char *name, char *why, size_t whylen);

/* `pagevisor sparse-pack SRC DST` (used inside the KVM runner VM). */
int sparse_pack_main(int argc, char **argv);

#endif /* PV_SPARSE_FILE_H */
