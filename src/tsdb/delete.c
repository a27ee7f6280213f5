/* delete: tombstones for blocks, re-encoding for the head (see delete.h). */
#include "tsdb/delete.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "tsdb/walrec.h"

void delete_head_range(struct head *h, struct head_series *s, int64_t mint, int64_t maxt)
{
    int64_t *t = NULL;
    double *v = NULL;
    size_t n = 0, alloc = 0, k = 0;
    head_series_samples(s, INT64_MIN, INT64_MAX, &t, &v, &n, &alloc);
    for (size_t i = 0; i < n; i++)
        if (t[i] < mint || t[i] > maxt) {
            t[k] = t[i];
            v[k++] = v[i];
        }
    if (k == n) {
        free(t);
        free(v);
        return;
    }
    for (size_t i = 0; i < s->nchunks; i++)
        head_chunk_free(&s->chunks[i]);
    h->chunks -= s->nchunks + (s->has_cur ? 1 : 0);
    s->nchunks = 0;
    if (s->has_cur)
        xorchunk_release(&s->cur);
    s->has_cur = 0;
    s->maxt = INT64_MIN;
    uint64_t appended = h->samples_appended;
    for (size_t i = 0; i < k; i++)
        head_append(h, s, t[i], v[i]);
    h->samples_appended = appended;
    free(t);
    free(v);
}

int delete_series(struct db *db, int64_t mint, int64_t maxt, const struct matcher *ms, size_t nm,
                  struct diag *d)
{
    int rc = 0;
    pthread_mutex_lock(&db->compact_mu);
    pthread_rwlock_wrlock(&db->blocks_lock);
    for (size_t i = 0; i < db->nblocks && rc == 0; i++) {
        struct block *b = db->blocks[i];
        if (b->meta.maxt <= mint || b->meta.mint > maxt)
            continue;
        uint32_t *refs;
        size_t n;
        if (block_select(b, ms, nm, &refs, &n, d) != 0) {
            rc = -1;
            break;
        }
        int64_t lo = mint > b->meta.mint ? mint : b->meta.mint;
        int64_t hi = maxt < b->meta.maxt - 1 ? maxt : b->meta.maxt - 1;
        for (size_t k = 0; k < n; k++)
            tombstones_add(&b->stones, refs[k], lo, hi);
        free(refs);
        if (n == 0)
            continue;
        b->meta.ntombstones = b->stones.n;
        if (tombstones_write(b->dir, &b->stones, d) != 0 || meta_write(b->dir, &b->meta, d) != 0)
            rc = -1;
    }
    pthread_rwlock_unlock(&db->blocks_lock);

    struct head *h = &db->head;
    struct strbuf rec;
    strbuf_init(&rec, STRBUF_NOCAP);
    walrec_tombstone_begin(&rec);
    size_t empty = rec.len;
    pthread_rwlock_rdlock(&h->lock);
    for (size_t bk = 0; bk < h->nbuckets && rc == 0; bk++)
        for (struct head_series *s = h->by_hash[bk]; s; s = s->next_hash)
            if (s->maxt != INT64_MIN && matcher_all(ms, nm, &s->ls))
                walrec_tombstone_add(&rec, s->ref, mint, maxt);
    pthread_rwlock_unlock(&h->lock);
    if (rc == 0 && rec.len > empty) {
        const uint8_t *recs[] = {(const uint8_t *)rec.buf};
        size_t lens[] = {rec.len};
        /* Logged first: once the deletion shows, a restart cannot bring the samples back. */
        if (wal_write(db->wal, recs, lens, 1, INT64_MIN, d) != 0) {
            rc = -1;
        } else {
            pthread_rwlock_wrlock(&h->lock);
            for (size_t bk = 0; bk < h->nbuckets; bk++)
                for (struct head_series *s = h->by_hash[bk]; s; s = s->next_hash)
                    if (s->maxt != INT64_MIN && matcher_all(ms, nm, &s->ls))
                        delete_head_range(h, s, mint, maxt);
            pthread_rwlock_unlock(&h->lock);
        }
    }
    strbuf_release(&rec);
    pthread_mutex_unlock(&db->compact_mu);
    return rc;
}
