/* compact: head compaction, WAL checkpoints, level compaction, retention (see compact.h). */
#include "tsdb/compact.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "tsdb/blockwriter.h"
#include "tsdb/fsutil.h"
#include "tsdb/walrec.h"
#include "tsdb/xorchunk.h"

/* Encode samples as chunks of at most 120 samples; the chunks own xc[]. */
static size_t encode_chunks(const int64_t *t, const double *v, size_t n, struct xorchunk **xc,
                            struct blockwriter_chunk **ch, size_t *alloc)
{
    size_t nch = 0;
    for (size_t i = 0; i < n; i++) {
        if (nch == 0 || (*xc)[nch - 1].n >= HEAD_SAMPLES_PER_CHUNK) {
            if (nch == *alloc) {
                size_t a = *alloc;
                xgrow((void **)ch, &a, nch + 1, sizeof **ch);
                *xc = xrealloc(*xc, a * sizeof **xc);
                *alloc = a;
            }
            xorchunk_init(&(*xc)[nch]);
            (*ch)[nch].mint = t[i];
            nch++;
        }
        xorchunk_append(&(*xc)[nch - 1], t[i], v[i]);
        (*ch)[nch - 1].maxt = t[i];
    }
    for (size_t c = 0; c < nch; c++)
        (*ch)[c].data = xorchunk_bytes(&(*xc)[c], &(*ch)[c].len);
    return nch;
}

int compact_head_range(struct db *db, const char *dir, int64_t mint, int64_t maxt, struct diag *d)
{
    struct head *h = &db->head;
    struct head_series **list = NULL;
    size_t n = 0, alloc = 0, calloc_ = 0, sa = 0;
    struct xorchunk *xc = NULL;
    struct blockwriter_chunk *ch = NULL;
    int64_t *t = NULL;
    double *v = NULL;
    int rc = -1;
    struct blockwriter *w = blockwriter_new(dir, d);
    if (!w)
        return -1;
    pthread_rwlock_rdlock(&h->lock);
    for (size_t b = 0; b < h->nbuckets; b++)
        for (struct head_series *s = h->by_hash[b]; s; s = s->next_hash) {
            xgrow((void **)&list, &alloc, n + 1, sizeof *list);
            list[n++] = s;
        }
    pthread_rwlock_unlock(&h->lock);
    /* Series stay allocated: only truncation frees them, and it runs under compact_mu. */
    for (size_t i = 0; i < n; i++) {
        size_t ns;
        pthread_rwlock_rdlock(&h->lock);
        head_series_samples(list[i], mint, maxt - 1, &t, &v, &ns, &sa);
        pthread_rwlock_unlock(&h->lock);
        size_t nch = encode_chunks(t, v, ns, &xc, &ch, &calloc_);
        int r = blockwriter_add(w, &list[i]->ls, ch, nch, d);
        for (size_t c = 0; c < nch; c++)
            xorchunk_release(&xc[c]);
        if (r != 0)
            goto out;
    }
    struct meta m;
    meta_init(&m);
    m.mint = mint;
    m.maxt = maxt;
    rc = blockwriter_finish(w, &m, d);
    if (rc == 0)
        log_info("level=info msg=\"write block\" mint=%" PRId64 " maxt=%" PRId64 " ulid=%s", mint,
                 maxt, m.ulid);
    meta_release(&m);
    if (rc == 1)
        rc = 0; /* nothing in range */
out:
    blockwriter_free(w);
    free(list);
    free(xc);
    free(ch);
    free(t);
    free(v);
    return rc;
}

/* The records of a checkpoint segment, each in a buffer of its own. */
struct records {
    char **bufs;
    const uint8_t **recs; /* bufs again, as wal_write_segment_file takes them */
    size_t *lens, n, abufs, arecs, alens;
};

/* Move the record rec holds to the end of r (rec is left empty). */
static void records_push(struct records *r, struct strbuf *rec)
{
    xgrow((void **)&r->bufs, &r->abufs, r->n + 1, sizeof *r->bufs);
    xgrow((void **)&r->recs, &r->arecs, r->n + 1, sizeof *r->recs);
    xgrow((void **)&r->lens, &r->alens, r->n + 1, sizeof *r->lens);
    r->lens[r->n] = rec->len;
    r->bufs[r->n] = strbuf_detach(rec, NULL);
    r->recs[r->n] = (const uint8_t *)r->bufs[r->n];
    r->n++;
}

static void records_release(struct records *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->bufs[i]);
    free(r->bufs);
    free(r->recs);
    free(r->lens);
}

/* Replace WAL segments whose samples all precede mint by a checkpoint of the live series. */
static int checkpoint(struct db *db, int64_t mint, struct diag *d)
{
    int closed, first, last, keep_from;
    char tmp[4096], final[4096], path[4200];
    if (wal_cut(db->wal, &closed, d) != 0)
        return -1;
    wal_segment_range(db->waldir, &first, &last);
    if (first < 0)
        return 0;
    keep_from = first;
    while (keep_from <= closed && wal_segment_maxt(db->wal, keep_from) < mint)
        keep_from++;
    int upto = keep_from - 1;
    if (upto < first)
        return 0;

    struct strbuf rec;
    strbuf_init(&rec, STRBUF_NOCAP);
    struct records seg = {0};
    struct head *h = &db->head;
    size_t in_rec = 0;
    pthread_rwlock_rdlock(&h->lock);
    for (size_t b = 0; b < h->nbuckets; b++)
        for (struct head_series *s = h->by_hash[b]; s; s = s->next_hash) {
            if (in_rec == 0)
                walrec_series_begin(&rec);
            walrec_series_add(&rec, s->ref, &s->ls);
            if (++in_rec == 10000) {
                records_push(&seg, &rec);
                in_rec = 0;
            }
        }
    pthread_rwlock_unlock(&h->lock);
    if (in_rec)
        records_push(&seg, &rec);
    int rc = -1;
    snprintf(tmp, sizeof tmp, "%s/checkpoint.%08d.tmp", db->waldir, upto);
    snprintf(final, sizeof final, "%s/checkpoint.%08d", db->waldir, upto);
    fsutil_rmtree(tmp);
    if (mkdir(tmp, 0755) != 0) {
        diag_error(d, NULL, "%s: mkdir: %s", tmp, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/00000000", tmp);
    if (wal_write_segment_file(path, seg.recs, seg.lens, seg.n, db->opts.wal_compression, d) != 0 ||
        fsutil_fsync_dir(tmp, d) != 0)
        goto out;
    fsutil_rmtree(final);
    if (rename(tmp, final) != 0) {
        diag_error(d, NULL, "%s: rename: %s", tmp, strerror(errno));
        goto out;
    }
    if (fsutil_fsync_dir(db->waldir, d) != 0)
        goto out;
    for (int s = first; s <= upto; s++) {
        snprintf(path, sizeof path, "%s/%08d", db->waldir, s);
        unlink(path);
    }
    /* Older checkpoints. */
    DIR *dh = opendir(db->waldir);
    struct dirent *e;
    while (dh && (e = readdir(dh))) {
        if (strncmp(e->d_name, "checkpoint.", 11) == 0 && atoi(e->d_name + 11) < upto) {
            snprintf(path, sizeof path, "%s/%s", db->waldir, e->d_name);
            fsutil_rmtree(path);
        }
    }
    if (dh)
        closedir(dh);
    db->checkpoints++;
    rc = 0;
out:
    if (rc != 0)
        fsutil_rmtree(tmp);
    records_release(&seg);
    strbuf_release(&rec);
    return rc;
}

static int64_t range_end(int64_t t, int64_t width)
{
    return (t / width) * width + width;
}

static int compact_head(struct db *db, struct diag *d)
{
    struct head *h = &db->head;
    for (;;) {
        pthread_rwlock_rdlock(&h->lock);
        int64_t mint = h->mint, maxt = h->maxt;
        pthread_rwlock_unlock(&h->lock);
        if (mint == INT64_MAX || maxt == INT64_MIN || maxt - mint <= db->opts.block_range / 2 * 3)
            return 0;
        int64_t end = range_end(mint, db->opts.block_range);
        if (compact_head_range(db, db->dir, mint, end, d) != 0)
            return -1;
        if (db_reload_blocks(db, d) != 0)
            return -1;
        pthread_rwlock_wrlock(&h->lock);
        head_truncate(h, end);
        pthread_rwlock_unlock(&h->lock);
        db->head_truncations++;
        db->compactions++;
        if (checkpoint(db, end, d) != 0)
            return -1;
    }
}

int compact_plan(struct db *db, size_t *lo, size_t *hi)
{
    size_t n = db->nblocks;
    if (db->nranges < 2 || n < 2)
        return -1;
    n--; /* never the newest block */
    struct block **b = db->blocks;
    int64_t high = b[n - 1]->meta.mint;
    for (size_t r = 1; r < db->nranges; r++) {
        int64_t tr = db->ranges[r];
        for (size_t i = 0; i < n;) {
            int64_t m = b[i]->meta.mint;
            int64_t t0 = m >= 0 ? tr * (m / tr) : tr * ((m - tr + 1) / tr);
            if (b[i]->meta.maxt > t0 + tr) {
                i++;
                continue;
            }
            size_t start = i;
            while (i < n && b[i]->meta.maxt <= t0 + tr)
                i++;
            int64_t gmin = b[start]->meta.mint, gmax = b[i - 1]->meta.maxt;
            if ((gmax - gmin == tr || gmax <= high) && i - start > 1) {
                *lo = start;
                *hi = i;
                return 0;
            }
        }
    }
    return -1;
}

struct merged {
    struct labels ls;
    uint64_t hash;
    struct blockwriter_chunk *ch;
    size_t nch, ach;
};

static int compact_group(struct db *db, size_t lo, size_t hi, struct diag *d)
{
    struct block **b = db->blocks;
    struct arena a;
    arena_init(&a);
    struct merged *m = NULL;
    size_t nm = 0, am = 0, nb = 1024;
    size_t *bucket = xcalloc(nb, sizeof *bucket);
    uint8_t **owned = NULL;
    size_t nowned = 0, aowned = 0;
    int rc = -1;
    struct blockwriter *w = NULL;
    for (size_t k = lo; k < hi; k++) {
        uint32_t *refs;
        size_t nrefs;
        if (block_postings(b[k], "", "", &refs, &nrefs, d) != 0)
            goto out;
        for (size_t i = 0; i < nrefs; i++) {
            struct labels ls;
            struct index_chunk *ic;
            size_t nic;
            if (block_series(b[k], refs[i], &a, &ls, &ic, &nic, d) != 0) {
                free(refs);
                goto out;
            }
            if (nm * 2 >= nb) {
                nb *= 2;
                free(bucket);
                bucket = xcalloc(nb, sizeof *bucket);
                for (size_t j = 0; j < nm; j++) {
                    size_t p = m[j].hash & (nb - 1);
                    while (bucket[p])
                        p = (p + 1) & (nb - 1);
                    bucket[p] = j + 1;
                }
            }
            uint64_t hsh = labels_hash(&ls);
            size_t p = hsh & (nb - 1);
            struct merged *e = NULL;
            for (; bucket[p]; p = (p + 1) & (nb - 1))
                if (m[bucket[p] - 1].hash == hsh && labels_equal(&m[bucket[p] - 1].ls, &ls)) {
                    e = &m[bucket[p] - 1];
                    break;
                }
            if (!e) {
                xgrow((void **)&m, &am, nm + 1, sizeof *m);
                e = &m[nm];
                memset(e, 0, sizeof *e);
                e->ls = ls;
                e->hash = hsh;
                bucket[p] = ++nm;
            }
            int stones = tombstones_has(&b[k]->stones, refs[i]);
            for (size_t c = 0; c < nic; c++) {
                const uint8_t *data;
                size_t len;
                if (block_chunk(b[k], ic[c].ref, &data, &len, d) != 0) {
                    free(ic);
                    free(refs);
                    goto out;
                }
                if (stones) {
                    /* Re-encode without the deleted samples. */
                    struct xoriter it;
                    struct xorchunk x;
                    xoriter_init(&it, data, len);
                    xorchunk_init(&x);
                    int64_t cmin = INT64_MAX, cmax = INT64_MIN;
                    while (xoriter_next(&it) == 1)
                        if (!tombstones_covers(&b[k]->stones, refs[i], it.t)) {
                            xorchunk_append(&x, it.t, it.v);
                            if (cmin == INT64_MAX)
                                cmin = it.t;
                            cmax = it.t;
                        }
                    if (x.n == 0) {
                        xorchunk_release(&x);
                        continue;
                    }
                    xgrow((void **)&owned, &aowned, nowned + 1, sizeof *owned);
                    owned[nowned++] = x.b;
                    xgrow((void **)&e->ch, &e->ach, e->nch + 1, sizeof *e->ch);
                    e->ch[e->nch++] = (struct blockwriter_chunk){cmin, cmax, x.b, x.len};
                    continue;
                }
                xgrow((void **)&e->ch, &e->ach, e->nch + 1, sizeof *e->ch);
                e->ch[e->nch++] = (struct blockwriter_chunk){ic[c].mint, ic[c].maxt, data, len};
            }
            free(ic);
        }
        free(refs);
    }
    w = blockwriter_new(db->dir, d);
    if (!w)
        goto out;
    for (size_t i = 0; i < nm; i++)
        if (blockwriter_add(w, &m[i].ls, m[i].ch, m[i].nch, d) != 0)
            goto out;
    struct meta meta;
    meta_init(&meta);
    meta.mint = b[lo]->meta.mint;
    meta.maxt = b[hi - 1]->meta.maxt;
    meta.level = 1;
    for (size_t k = lo; k < hi; k++) {
        if (b[k]->meta.level + 1 > meta.level)
            meta.level = b[k]->meta.level + 1;
        for (size_t s = 0; s < b[k]->meta.nsources; s++)
            meta_add_source(&meta, b[k]->meta.sources[s]);
        meta_add_parent(&meta, b[k]->meta.ulid, b[k]->meta.mint, b[k]->meta.maxt);
    }
    int r = blockwriter_finish(w, &meta, d);
    if (r == 0)
        log_info("level=info msg=\"compact blocks\" count=%zu mint=%" PRId64 " maxt=%" PRId64
                 " ulid=%s",
                 hi - lo, meta.mint, meta.maxt, meta.ulid);
    meta_release(&meta);
    if (r < 0)
        goto out;
    if (r == 1) {
        /* Everything was deleted: the parents go without a successor. */
        for (size_t k = lo; k < hi; k++) {
            char path[4096], del[4200];
            snprintf(path, sizeof path, "%s/%s", db->dir, b[k]->meta.ulid);
            snprintf(del, sizeof del, "%s.tmp-for-deletion", path);
            if (rename(path, del) == 0)
                fsutil_rmtree(del);
        }
    }
    rc = 0;
out:
    blockwriter_free(w);
    for (size_t i = 0; i < nm; i++)
        free(m[i].ch);
    free(m);
    free(bucket);
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    arena_release(&a);
    return rc;
}

static int delete_block(struct db *db, const char *ulid)
{
    char path[4096], del[4200];
    snprintf(path, sizeof path, "%s/%s", db->dir, ulid);
    snprintf(del, sizeof del, "%s.tmp-for-deletion", path);
    if (rename(path, del) != 0)
        return -1;
    log_info("level=info msg=\"Deleting obsolete block\" block=%s", ulid);
    return fsutil_rmtree(del);
}

static int retention(struct db *db, struct diag *d)
{
    size_t n = db->nblocks, cut = 0;
    struct block **b = db->blocks;
    if (n == 0)
        return 0;
    /* Newest first, as Prometheus walks them. */
    if (db->opts.retention_ms > 0) {
        int64_t newest = b[n - 1]->meta.maxt;
        for (size_t i = n - 1; i-- > 0;)
            if (newest - b[i]->meta.maxt > db->opts.retention_ms) {
                cut = i + 1; /* blocks [0, cut) go */
                db->retention_time++;
                break;
            }
    }
    if (db->opts.retention_bytes > 0) {
        /* As Prometheus's Head.Size: the WAL and the m-mapped head chunks. */
        pthread_rwlock_rdlock(&db->head.lock);
        long long total = db_wal_size(db) + headchunks_size(&db->hc);
        pthread_rwlock_unlock(&db->head.lock);
        for (size_t i = n; i-- > 0;) {
            total += b[i]->size;
            if (total > db->opts.retention_bytes) {
                if (i + 1 > cut)
                    cut = i + 1;
                db->retention_size++;
                break;
            }
        }
    }
    if (cut == 0)
        return 0;
    for (size_t i = 0; i < cut; i++)
        delete_block(db, b[i]->meta.ulid);
    return db_reload_blocks(db, d);
}

int compact_run(struct db *db, struct diag *d)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&db->compact_mu);
    int rc = compact_head(db, d);
    size_t lo, hi;
    while (rc == 0 && compact_plan(db, &lo, &hi) == 0) {
        rc = compact_group(db, lo, hi, d);
        if (rc == 0)
            rc = db_reload_blocks(db, d);
        if (rc == 0)
            db->compactions++;
    }
    if (rc == 0)
        rc = retention(db, d);
    if (rc != 0)
        db->compactions_failed++;
    pthread_mutex_unlock(&db->compact_mu);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    db->last_compaction_seconds =
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
