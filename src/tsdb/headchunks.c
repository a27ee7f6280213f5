/* headchunks: m-mapped full head chunks in chunks_head/ (see headchunks.h). */
#include "tsdb/headchunks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "tsdb/crc32c.h"

#define HEADER_SIZE 8

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

int headchunks_open(struct headchunks *hc, const char *dir, struct diag *d)
{
    memset(hc, 0, sizeof *hc);
    hc->fd = -1;
    hc->next_seq = 1;
    hc->dir = xstrdup(dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        diag_error(d, NULL, "%s: mkdir: %s", dir, strerror(errno));
        return -1;
    }
    /* The WAL replay that follows writes every full chunk again. */
    DIR *dh = opendir(dir);
    if (!dh) {
        diag_error(d, NULL, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    char path[4096];
    while ((e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0 && errno != ENOENT) {
            diag_error(d, NULL, "%s: unlink: %s", path, strerror(errno));
            closedir(dh);
            return -1;
        }
    }
    closedir(dh);
    return 0;
}

static void drop_file(struct headchunks *hc, size_t i)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%06u", hc->dir, hc->files[i].seq);
    munmap(hc->files[i].map, HEADCHUNKS_FILE_MAX);
    unlink(path);
}

void headchunks_release(struct headchunks *hc)
{
    if (hc->fd >= 0)
        close(hc->fd);
    for (size_t i = 0; i < hc->nfiles; i++)
        munmap(hc->files[i].map, HEADCHUNKS_FILE_MAX);
    free(hc->files);
    free(hc->dir);
    memset(hc, 0, sizeof *hc);
    hc->fd = -1;
}

static int cut(struct headchunks *hc)
{
    if (hc->fd >= 0) {
        close(hc->fd);
        hc->fd = -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%06u", hc->dir, hc->next_seq);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    uint8_t hdr[HEADER_SIZE] = {0x01, 0x30, 0xBC, 0x91, 1, 0, 0, 0};
    void *map = MAP_FAILED;
    if (pwrite(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr)
        map = mmap(NULL, HEADCHUNKS_FILE_MAX, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        unlink(path);
        return -1;
    }
    hc->files = xrealloc(hc->files, (hc->nfiles + 1) * sizeof *hc->files);
    hc->files[hc->nfiles++] = (struct headchunks_file){hc->next_seq++, HEADER_SIZE, INT64_MIN, map};
    hc->fd = fd;
    return 0;
}

const uint8_t *headchunks_write(struct headchunks *hc, uint64_t ref, int64_t mint, int64_t maxt,
                                const uint8_t *data, size_t len)
{
    uint8_t hdr[8 + 8 + 8 + 1 + 10], crc[4];
    put_be64(hdr, ref);
    put_be64(hdr + 8, (uint64_t)mint);
    put_be64(hdr + 16, (uint64_t)maxt);
    hdr[24] = 1; /* XOR */
    size_t hn = 25;
    for (uint64_t v = len;; v >>= 7) {
        hdr[hn++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
        if (v < 0x80)
            break;
    }
    uint32_t c = crc32c_update(crc32c(hdr, hn), data, len);
    crc[0] = (uint8_t)(c >> 24);
    crc[1] = (uint8_t)(c >> 16);
    crc[2] = (uint8_t)(c >> 8);
    crc[3] = (uint8_t)c;
    size_t total = hn + len + 4;
    if (hc->fd < 0 || hc->files[hc->nfiles - 1].size + total > HEADCHUNKS_FILE_MAX)
        if (cut(hc) != 0)
            goto fail;
    struct headchunks_file *f = &hc->files[hc->nfiles - 1];
    struct iovec iov[3] = {{hdr, hn}, {(void *)data, len}, {crc, 4}};
    ssize_t w = pwritev(hc->fd, iov, 3, f->size);
    if (w != (ssize_t)total) {
        /* Disk full: undo the partial chunk, and leave this file to the next truncation. */
        int rc = ftruncate(hc->fd, f->size);
        (void)rc; /* a failed truncate leaves a torn tail, which readers stop at */
        close(hc->fd);
        hc->fd = -1;
        goto fail;
    }
    const uint8_t *p = f->map + f->size + hn;
    f->size += (uint32_t)total;
    if (maxt > f->maxt)
        f->maxt = maxt;
    hc->written++;
    return p;
fail:
    hc->failed++;
    return NULL;
}

void headchunks_truncate(struct headchunks *hc, int64_t mint)
{
    /* The oldest files only, so the sequence stays without gaps (Prometheus checks). */
    size_t k = 0;
    while (k < hc->nfiles && hc->files[k].maxt < mint && !(hc->fd >= 0 && k == hc->nfiles - 1))
        drop_file(hc, k++);
    memmove(hc->files, hc->files + k, (hc->nfiles - k) * sizeof *hc->files);
    hc->nfiles -= k;
    /* As Prometheus: chunks from now on go to a new file, so this one can go next time. */
    if (hc->fd >= 0 && hc->files[hc->nfiles - 1].size > HEADER_SIZE) {
        close(hc->fd);
        hc->fd = -1;
    }
}

long long headchunks_size(const struct headchunks *hc)
{
    long long n = 0;
    for (size_t i = 0; i < hc->nfiles; i++)
        n += hc->files[i].size;
    return n;
}
