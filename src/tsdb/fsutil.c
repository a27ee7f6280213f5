/* fsutil: fsync'd writes, directory syncs and tree removal for the TSDB. */
#define _XOPEN_SOURCE 700
#include "tsdb/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xmalloc.h"

int fsutil_write_file(const char *path, const void *p, size_t n, struct diag *d)
{
    int rc = -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        diag_error(d, NULL, "%s: create: %s", path, strerror(errno));
        return -1;
    }
    const char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            diag_error(d, NULL, "%s: write: %s", path, strerror(errno));
            goto out;
        }
        b += w;
        n -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        diag_error(d, NULL, "%s: fsync: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (close(fd) != 0 && rc == 0) {
        diag_error(d, NULL, "%s: close: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

int fsutil_fsync_dir(const char *dir, struct diag *d)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        diag_error(d, NULL, "%s: open directory: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (fsync(fd) != 0 && errno != EINVAL) {
        diag_error(d, NULL, "%s: fsync directory: %s", dir, strerror(errno));
        rc = -1;
    }
    close(fd);
    return rc;
}

int fsutil_replace_file(const char *path, const void *p, size_t n, struct diag *d)
{
    int rc = -1;
    size_t l = strlen(path);
    char *tmp = xmalloc(l + 5);
    char *dir = xstrdup(path);
    memcpy(tmp, path, l);
    memcpy(tmp + l, ".tmp", 5);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    if (fsutil_write_file(tmp, p, n, d) != 0)
        goto out;
    if (rename(tmp, path) != 0) {
        diag_error(d, NULL, "%s: rename: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = fsutil_fsync_dir(dir, d);
out:
    free(tmp);
    free(dir);
    return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

int fsutil_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static long long du_total;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_F)
        du_total += st->st_size;
    return 0;
}

long long fsutil_du(const char *path)
{
    /* nftw has no context argument; callers hold the TSDB lock, so one at a time. */
    du_total = 0;
    if (nftw(path, du_one, 16, FTW_PHYS) != 0)
        return -1;
    return du_total;
}

int fsutil_read_file(const char *path, char **out, size_t *n, struct diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_error(d, NULL, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t alloc = 4096, len = 0;
    char *b = xmalloc(alloc);
    for (;;) {
        if (len + 1 >= alloc)
            xgrow((void **)&b, &alloc, len + 4096, 1);
        size_t r = fread(b + len, 1, alloc - len - 1, f);
        len += r;
        if (r == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        diag_error(d, NULL, "%s: read error", path);
        free(b);
        return -1;
    }
    b[len] = 0;
    *out = b;
    *n = len;
    return 0;
}
