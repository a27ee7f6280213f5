/*
 * fsutil: the file-system steps that make the TSDB crash-safe: write a file
 * and fsync it, fsync a directory so a rename or create survives a crash,
 * replace by rename, remove a tree.
 */
#ifndef CAIRN_TSDB_FSUTIL_H
#define CAIRN_TSDB_FSUTIL_H

#include <stddef.h>

#include "core/diag.h"

/* Create path (truncating), write n bytes, fsync, close. */
int fsutil_write_file(const char *path, const void *p, size_t n, struct diag *d);
/* Write to path.tmp, fsync, rename over path, fsync the directory. */
int fsutil_replace_file(const char *path, const void *p, size_t n, struct diag *d);
int fsutil_fsync_dir(const char *dir, struct diag *d);
/* Remove path and everything under it; 0 if it did not exist. */
int fsutil_rmtree(const char *path);
/* Total bytes of the regular files under path. */
long long fsutil_du(const char *path);
/* Read a whole file into *out (malloc'd, NUL-terminated). */
int fsutil_read_file(const char *path, char **out, size_t *n, struct diag *d);

#endif
