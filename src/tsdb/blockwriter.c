/* blockwriter: chunks segments, index, meta.json and tombstones (see blockwriter.h). */
#include "tsdb/blockwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "tsdb/crc32c.h"
#include "tsdb/enc.h"
#include "tsdb/fsutil.h"
#include "tsdb/indexwriter.h"
#include "tsdb/tombstones.h"
#include "tsdb/xorchunk.h"

struct bw_series {
    struct labels ls;
    struct index_chunk *chunks;
    size_t nchunks;
};

struct blockwriter {
    char *dbdir, *tmpdir;
    char ulid[ULID_LEN + 1];
    struct arena arena;
    struct bw_series *series;
    size_t nseries, aseries;
    uint64_t nsamples, nchunks;
    int64_t mint, maxt;
    int seg_fd;
    unsigned seg_seq; /* files opened so far */
    uint64_t seg_off; /* logical size of the current file */
    struct strbuf seg_buf;
    int finished;
};

static int seg_flush(struct blockwriter *w, struct diag *d)
{
    const char *p = w->seg_buf.buf;
    size_t n = w->seg_buf.len;
    while (n > 0) {
        ssize_t r = write(w->seg_fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            diag_error(d, NULL, "%s/chunks/%06u: write: %s", w->tmpdir, w->seg_seq,
                       strerror(errno));
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    strbuf_reset(&w->seg_buf);
    return 0;
}

static int seg_close(struct blockwriter *w, struct diag *d)
{
    if (w->seg_fd < 0)
        return 0;
    int rc = seg_flush(w, d);
    if (rc == 0 && fsync(w->seg_fd) != 0) {
        diag_error(d, NULL, "%s/chunks/%06u: fsync: %s", w->tmpdir, w->seg_seq, strerror(errno));
        rc = -1;
    }
    close(w->seg_fd);
    w->seg_fd = -1;
    return rc;
}

static int seg_cut(struct blockwriter *w, struct diag *d)
{
    char path[4096];
    if (seg_close(w, d) != 0)
        return -1;
    w->seg_seq++;
    snprintf(path, sizeof path, "%s/chunks/%06u", w->tmpdir, w->seg_seq);
    w->seg_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->seg_fd < 0) {
        diag_error(d, NULL, "%s: create: %s", path, strerror(errno));
        return -1;
    }
    enc_be32(&w->seg_buf, CHUNKS_MAGIC);
    enc_byte(&w->seg_buf, 1);
    strbuf_add(&w->seg_buf, "\0\0\0", 3);
    w->seg_off = CHUNKS_HEADER_LEN;
    return 0;
}

struct blockwriter *blockwriter_new(const char *dbdir, struct diag *d)
{
    struct blockwriter *w = xcalloc(1, sizeof *w);
    char path[4096];
    w->dbdir = xstrdup(dbdir);
    ulid_new(w->ulid);
    snprintf(path, sizeof path, "%s/%s.tmp-for-creation", dbdir, w->ulid);
    w->tmpdir = xstrdup(path);
    arena_init(&w->arena);
    strbuf_init(&w->seg_buf, STRBUF_NOCAP);
    w->seg_fd = -1;
    w->mint = INT64_MAX;
    w->maxt = INT64_MIN;
    snprintf(path, sizeof path, "%s/chunks", w->tmpdir);
    if (mkdir(w->tmpdir, 0755) != 0 || mkdir(path, 0755) != 0) {
        diag_error(d, NULL, "%s: mkdir: %s", path, strerror(errno));
        blockwriter_free(w);
        return NULL;
    }
    return w;
}

int blockwriter_add(struct blockwriter *w, const struct labels *ls,
                    const struct blockwriter_chunk *chunks, size_t n, struct diag *d)
{
    if (n == 0)
        return 0;
    xgrow((void **)&w->series, &w->aseries, w->nseries + 1, sizeof *w->series);
    struct bw_series *s = &w->series[w->nseries++];
    s->ls = labels_dup(&w->arena, ls);
    s->chunks = arena_alloc(&w->arena, n * sizeof *s->chunks);
    s->nchunks = n;
    for (size_t i = 0; i < n; i++) {
        const struct blockwriter_chunk *c = &chunks[i];
        uint8_t lenbuf[10];
        size_t ll = enc_uvarint_put(lenbuf, c->len);
        uint64_t total = ll + 1 + c->len + 4;
        if (w->seg_fd < 0 || w->seg_off + total > CHUNKS_SEGMENT_SIZE) {
            if (seg_cut(w, d) != 0)
                return -1;
        }
        s->chunks[i] =
            (struct index_chunk){c->mint, c->maxt, (uint64_t)(w->seg_seq - 1) << 32 | w->seg_off};
        uint8_t enc = XORCHUNK_ENCODING;
        strbuf_add(&w->seg_buf, lenbuf, ll);
        strbuf_add(&w->seg_buf, &enc, 1);
        strbuf_add(&w->seg_buf, c->data, c->len);
        enc_be32(&w->seg_buf, crc32c_update(crc32c(&enc, 1), c->data, c->len));
        w->seg_off += total;
        if (w->seg_buf.len >= (1u << 20) && seg_flush(w, d) != 0)
            return -1;
        w->nsamples += xorchunk_count(c->data, c->len);
        w->nchunks++;
        if (c->mint < w->mint)
            w->mint = c->mint;
        if (c->maxt > w->maxt)
            w->maxt = c->maxt;
    }
    return 0;
}

static int cmp_series(const void *a, const void *b)
{
    return labels_cmp(&((const struct bw_series *)a)->ls, &((const struct bw_series *)b)->ls);
}

int blockwriter_finish(struct blockwriter *w, struct meta *m, struct diag *d)
{
    int rc = -1;
    char path[4096], final[4096];
    struct strbuf idx;
    struct index_series *is = NULL;
    struct tombstones ts;
    strbuf_init(&idx, STRBUF_NOCAP);
    tombstones_init(&ts);
    if (w->nseries == 0) {
        rc = 1;
        goto out;
    }
    if (seg_close(w, d) != 0)
        goto out;
    qsort(w->series, w->nseries, sizeof *w->series, cmp_series);
    is = xmalloc(w->nseries * sizeof *is);
    for (size_t i = 0; i < w->nseries; i++)
        is[i] = (struct index_series){w->series[i].ls, w->series[i].chunks, w->series[i].nchunks};
    if (indexwriter_build(&idx, is, w->nseries, d) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/index", w->tmpdir);
    if (fsutil_write_file(path, idx.buf, idx.len, d) != 0)
        goto out;
    snprintf(m->ulid, sizeof m->ulid, "%s", w->ulid);
    if (m->mint == 0 && m->maxt == 0) {
        m->mint = w->mint;
        m->maxt = w->maxt + 1;
    }
    m->nsamples = w->nsamples;
    m->nseries = w->nseries;
    m->nchunks = w->nchunks;
    m->ntombstones = 0;
    if (m->nsources == 0)
        meta_add_source(m, w->ulid);
    if (meta_write(w->tmpdir, m, d) != 0 || tombstones_write(w->tmpdir, &ts, d) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/chunks", w->tmpdir);
    if (fsutil_fsync_dir(path, d) != 0 || fsutil_fsync_dir(w->tmpdir, d) != 0)
        goto out;
    snprintf(final, sizeof final, "%s/%s", w->dbdir, w->ulid);
    if (rename(w->tmpdir, final) != 0) {
        diag_error(d, NULL, "%s: rename to %s: %s", w->tmpdir, final, strerror(errno));
        goto out;
    }
    w->finished = 1;
    rc = fsutil_fsync_dir(w->dbdir, d);
out:
    free(is);
    strbuf_release(&idx);
    tombstones_release(&ts);
    return rc;
}

void blockwriter_free(struct blockwriter *w)
{
    if (!w)
        return;
    if (w->seg_fd >= 0)
        close(w->seg_fd);
    if (!w->finished)
        fsutil_rmtree(w->tmpdir);
    free(w->series);
    arena_release(&w->arena);
    strbuf_release(&w->seg_buf);
    free(w->tmpdir);
    free(w->dbdir);
    free(w);
}
