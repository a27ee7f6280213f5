/*
 * wal: segment/page/fragment writer with group commit and a tolerant reader
 * (layout in wal.h, after Prometheus's tsdb/docs/format/wal.md).
 */
#include "tsdb/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "tsdb/crc32c.h"
#include "tsdb/dec.h"
#include "tsdb/enc.h"
#include "tsdb/fsutil.h"

#define SNAPPY_MASK 0x08

int wal_segment_range(const char *dir, int *first, int *last)
{
    *first = *last = -1;
    DIR *dh = opendir(dir);
    if (!dh)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (strlen(e->d_name) != 8 || strspn(e->d_name, "0123456789") != 8)
            continue;
        int n = atoi(e->d_name);
        if (*first < 0 || n < *first)
            *first = n;
        if (n > *last)
            *last = n;
    }
    closedir(dh);
    return 0;
}

static int open_segment(struct wal *w, int seg, struct diag *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%08d", w->dir, seg);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        diag_error(d, NULL, "%s: create: %s", path, strerror(errno));
        return -1;
    }
    if (fsutil_fsync_dir(w->dir, d) != 0) {
        close(fd);
        return -1;
    }
    w->fd = fd;
    w->seg = seg;
    w->done_pages = 0;
    w->alloc = w->flushed = 0;
    return 0;
}

struct wal *wal_open(const char *dir, int compress, struct diag *d)
{
    int first, last;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        diag_error(d, NULL, "%s: mkdir: %s", dir, strerror(errno));
        return NULL;
    }
    if (wal_segment_range(dir, &first, &last) != 0) {
        diag_error(d, NULL, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    struct wal *w = xcalloc(1, sizeof *w);
    w->dir = xstrdup(dir);
    w->compress = compress;
    w->fd = -1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (open_segment(w, last + 1, d) != 0) {
        wal_close(w);
        return NULL;
    }
    return w;
}

void wal_close(struct wal *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        if (w->alloc > w->flushed) {
            ssize_t r = write(w->fd, w->page + w->flushed, w->alloc - w->flushed);
            (void)r;
        }
        fdatasync(w->fd);
        close(w->fd);
    }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cond);
    free(w->segmax);
    free(w->dir);
    free(w);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Write out the unwritten part of the page; clear: pad and move to the next page. */
static int flush_page(struct wal *w, int clear)
{
    if (clear) {
        memset(w->page + w->alloc, 0, WAL_PAGE_SIZE - w->alloc);
        w->alloc = WAL_PAGE_SIZE;
    }
    if (write_all(w->fd, w->page + w->flushed, w->alloc - w->flushed) != 0)
        return -1;
    w->bytes_written += w->alloc - w->flushed;
    w->flushed = w->alloc;
    if (clear) {
        w->alloc = w->flushed = 0;
        w->done_pages++;
    }
    return 0;
}

static int page_full(const struct wal *w)
{
    return WAL_PAGE_SIZE - w->alloc < WAL_HEADER_SIZE;
}

static int cut_locked(struct wal *w, int *closed, struct diag *d)
{
    if (w->fd < 0) { /* an earlier cut failed to open the next segment */
        if (closed)
            *closed = w->seg;
        return open_segment(w, w->seg + 1, d);
    }
    if (w->alloc > 0 && flush_page(w, 1) != 0) {
        diag_error(d, NULL, "%s/%08d: write: %s", w->dir, w->seg, strerror(errno));
        return -1;
    }
    if (fdatasync(w->fd) != 0) {
        diag_error(d, NULL, "%s/%08d: fsync: %s", w->dir, w->seg, strerror(errno));
        return -1;
    }
    close(w->fd);
    w->fd = -1;
    if (closed)
        *closed = w->seg;
    return open_segment(w, w->seg + 1, d);
}

int wal_cut(struct wal *w, int *closed, struct diag *d)
{
    pthread_mutex_lock(&w->mu);
    int rc = cut_locked(w, closed, d);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static int log_record(struct wal *w, const uint8_t *rec, size_t n, struct diag *d)
{
    char *cbuf = NULL;
    int rc = -1, compressed = 0;
    if (page_full(w) && flush_page(w, 1) != 0)
        goto io;
    if (w->compress && n > 0) {
        size_t cl = snappy_max_compressed_length(n);
        cbuf = xmalloc(cl);
        if (snappy_compress((const char *)rec, n, cbuf, &cl) == SNAPPY_OK && cl < n) {
            rec = (const uint8_t *)cbuf;
            n = cl;
            compressed = 1;
        }
    }
    size_t pages_per_seg = WAL_SEGMENT_SIZE / WAL_PAGE_SIZE;
    size_t left = WAL_PAGE_SIZE - w->alloc - WAL_HEADER_SIZE;
    left += (WAL_PAGE_SIZE - WAL_HEADER_SIZE) * (pages_per_seg - w->done_pages - 1);
    if (n > left && cut_locked(w, NULL, d) != 0)
        goto out;
    for (size_t i = 0; i == 0 || n > 0; i++) {
        size_t room = WAL_PAGE_SIZE - w->alloc - WAL_HEADER_SIZE;
        size_t l = n < room ? n : room;
        uint8_t typ;
        if (i == 0 && l == n)
            typ = WAL_REC_FULL;
        else if (l == n)
            typ = WAL_REC_LAST;
        else if (i == 0)
            typ = WAL_REC_FIRST;
        else
            typ = WAL_REC_MIDDLE;
        if (compressed)
            typ |= SNAPPY_MASK;
        uint8_t *h = w->page + w->alloc;
        h[0] = typ;
        h[1] = (uint8_t)(l >> 8);
        h[2] = (uint8_t)l;
        enc_put_be32(h + 3, crc32c(rec, l));
        memcpy(h + WAL_HEADER_SIZE, rec, l);
        w->alloc += WAL_HEADER_SIZE + l;
        rec += l;
        n -= l;
        if (page_full(w) && flush_page(w, 1) != 0)
            goto io;
    }
    rc = 0;
    goto out;
io:
    diag_error(d, NULL, "%s/%08d: write: %s", w->dir, w->seg, strerror(errno));
out:
    free(cbuf);
    return rc;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void note_locked(struct wal *w, int seg, int64_t maxt)
{
    for (size_t i = 0; i < w->nsegmax; i++)
        if (w->segmax[i].seg == seg) {
            if (maxt > w->segmax[i].maxt)
                w->segmax[i].maxt = maxt;
            return;
        }
    xgrow((void **)&w->segmax, &w->asegmax, w->nsegmax + 1, sizeof *w->segmax);
    w->segmax[w->nsegmax].seg = seg;
    w->segmax[w->nsegmax++].maxt = maxt;
}

void wal_note_maxt(struct wal *w, int seg, int64_t maxt)
{
    pthread_mutex_lock(&w->mu);
    note_locked(w, seg, maxt);
    pthread_mutex_unlock(&w->mu);
}

int64_t wal_segment_maxt(struct wal *w, int seg)
{
    int64_t r = INT64_MAX;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->nsegmax; i++)
        if (w->segmax[i].seg == seg)
            r = w->segmax[i].maxt;
    pthread_mutex_unlock(&w->mu);
    return r;
}

int wal_write(struct wal *w, const uint8_t *const *recs, const size_t *lens, size_t n, int64_t maxt,
              struct diag *d)
{
    pthread_mutex_lock(&w->mu);
    /* After a failure that could not be undone, or a failed cut, start a new segment. */
    if (w->broken || w->fd < 0) {
        if (w->fd >= 0)
            close(w->fd);
        w->fd = -1;
        if (open_segment(w, w->seg + 1, d) != 0) {
            pthread_mutex_unlock(&w->mu);
            return -1;
        }
        w->broken = 0;
    }
    /* Where this commit began, to undo a partial write. */
    int seg0 = w->seg;
    size_t pages0 = w->done_pages, alloc0 = w->alloc, flushed0 = w->flushed;
    off_t size0 = (off_t)(pages0 * WAL_PAGE_SIZE + flushed0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = log_record(w, recs[i], lens[i], d);
        note_locked(w, w->seg, maxt);
    }
    if (rc == 0 && w->alloc > w->flushed && flush_page(w, 0) != 0) {
        diag_error(d, NULL, "%s/%08d: write: %s", w->dir, w->seg, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        /*
         * Undo the partial write (disk full, read-only, I/O error): cut the
         * file back to where this commit began and move the file offset there
         * too, or the next write would leave a hole that replay reads as a
         * torn page. A segment cut during this commit starts empty again (the
         * previous one was synced when it was closed).
         */
        if (w->seg != seg0) {
            size0 = 0;
            pages0 = alloc0 = flushed0 = 0;
        }
        if (w->fd >= 0 && ftruncate(w->fd, size0) == 0 && lseek(w->fd, size0, SEEK_SET) == size0) {
            w->done_pages = pages0;
            w->alloc = alloc0;
            w->flushed = flushed0;
        } else {
            w->broken = 1;
        }
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    uint64_t mine = ++w->written;
    while (w->synced < mine && rc == 0) {
        if (!w->syncing) {
            uint64_t target = w->written;
            /* A duplicate, as a concurrent commit may cut (close) the segment meanwhile. */
            int fd = dup(w->fd);
            w->syncing = 1;
            pthread_mutex_unlock(&w->mu);
            uint64_t t0 = now_ns();
            int r = fd >= 0 ? fdatasync(fd) : -1;
            int err = errno;
            if (fd >= 0)
                close(fd);
            pthread_mutex_lock(&w->mu);
            w->fsyncs++;
            w->fsync_ns += now_ns() - t0;
            w->syncing = 0;
            if (r != 0) {
                diag_error(d, NULL, "%s/%08d: fsync: %s", w->dir, w->seg, strerror(err));
                rc = -1;
            } else {
                w->synced = target;
            }
            pthread_cond_broadcast(&w->cond);
        } else {
            pthread_cond_wait(&w->cond, &w->mu);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int wal_write_segment_file(const char *path, const uint8_t *const *recs, const size_t *lens,
                           size_t n, int compress, struct diag *d)
{
    struct wal w;
    memset(&w, 0, sizeof w);
    w.compress = compress;
    w.dir = (char *)path;
    w.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w.fd < 0) {
        diag_error(d, NULL, "%s: create: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (lens[i] > (WAL_PAGE_SIZE - WAL_HEADER_SIZE) * (WAL_SEGMENT_SIZE / WAL_PAGE_SIZE - 2)) {
            diag_error(d, NULL, "%s: record too large for one segment", path);
            rc = -1;
            break;
        }
        rc = log_record(&w, recs[i], lens[i], d);
    }
    if (rc == 0 && w.alloc > w.flushed && flush_page(&w, 0) != 0)
        rc = -1;
    if (rc == 0 && fsync(w.fd) != 0) {
        diag_error(d, NULL, "%s: fsync: %s", path, strerror(errno));
        rc = -1;
    }
    close(w.fd);
    return rc;
}

int wal_read_segment(const char *path, wal_record_fn fn, void *ctx, size_t *good_end,
                     struct diag *d)
{
    char *buf = NULL;
    size_t n;
    *good_end = 0;
    if (fsutil_read_file(path, &buf, &n, d) != 0)
        return -1;
    const uint8_t *b = (const uint8_t *)buf;
    size_t pos = 0, rec_start = 0, rlen = 0, ralloc = 0;
    uint8_t *rec = NULL;
    char *dbuf = NULL;
    int in_rec = 0, rc = 0;
    while (pos < n) {
        size_t page_left = WAL_PAGE_SIZE - pos % WAL_PAGE_SIZE;
        if (b[pos] == WAL_REC_PAGE_TERM) {
            /* Padding: the rest of the page must be zeros. */
            size_t end = pos + page_left < n ? pos + page_left : n;
            for (size_t k = pos; k < end; k++)
                if (b[k] != 0) {
                    rc = 1;
                    goto out;
                }
            pos = end;
            continue;
        }
        if (page_left < WAL_HEADER_SIZE || n - pos < WAL_HEADER_SIZE) {
            rc = 1;
            goto out;
        }
        uint8_t typ = b[pos] & 0x07;
        int snappy = (b[pos] & SNAPPY_MASK) != 0;
        size_t l = (size_t)b[pos + 1] << 8 | b[pos + 2];
        uint32_t crc = dec_get_be32(b + pos + 3);
        if (typ > WAL_REC_LAST || l > page_left - WAL_HEADER_SIZE ||
            n - pos - WAL_HEADER_SIZE < l || crc32c(b + pos + WAL_HEADER_SIZE, l) != crc) {
            rc = 1;
            goto out;
        }
        if ((typ == WAL_REC_FULL || typ == WAL_REC_FIRST) == in_rec) {
            rc = 1; /* a fragment out of sequence */
            goto out;
        }
        if (!in_rec) {
            rec_start = pos;
            rlen = 0;
        }
        xgrow((void **)&rec, &ralloc, rlen + l + 1, 1);
        memcpy(rec + rlen, b + pos + WAL_HEADER_SIZE, l);
        rlen += l;
        pos += WAL_HEADER_SIZE + l;
        in_rec = typ == WAL_REC_FIRST || typ == WAL_REC_MIDDLE;
        if (in_rec)
            continue;
        const uint8_t *out = rec;
        size_t outn = rlen;
        if (snappy) {
            size_t ul;
            if (snappy_uncompressed_length((char *)rec, rlen, &ul) != SNAPPY_OK ||
                ul > 64u * 1024 * 1024) {
                rc = 1;
                pos = rec_start;
                goto out;
            }
            free(dbuf);
            dbuf = xmalloc(ul + 1);
            if (snappy_uncompress((char *)rec, rlen, dbuf, &ul) != SNAPPY_OK) {
                rc = 1;
                pos = rec_start;
                goto out;
            }
            out = (const uint8_t *)dbuf;
            outn = ul;
        }
        *good_end = pos;
        if (fn && fn(ctx, out, outn) != 0)
            break;
    }
    if (in_rec)
        rc = 1; /* the file ends inside a record */
out:
    free(rec);
    free(dbuf);
    free(buf);
    return rc;
}
