/* head: in-memory series and chunks (see head.h). */
#include "tsdb/head.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

const char *const head_append_error[] = {
    [HEAD_OK] = "",
    [HEAD_OUT_OF_ORDER] = "out of order sample",
    [HEAD_DUPLICATE] = "duplicate sample for timestamp",
    [HEAD_OUT_OF_BOUNDS] = "out of bounds",
    [HEAD_IGNORED] = "",
};

void head_init(struct head *h, int64_t chunk_range)
{
    memset(h, 0, sizeof *h);
    pthread_rwlock_init(&h->lock, NULL);
    h->nbuckets = 1024;
    h->by_hash = xcalloc(h->nbuckets, sizeof *h->by_hash);
    h->by_ref = xcalloc(h->nbuckets, sizeof *h->by_ref);
    headpost_init(&h->post);
    headsyms_init(&h->syms);
    h->mint = INT64_MAX;
    h->maxt = INT64_MIN;
    h->min_valid_time = INT64_MIN;
    h->chunk_range = chunk_range;
}

void head_chunk_free(struct head_chunk *c)
{
    if (!head_chunk_mapped(c))
        free((void *)c->data);
    c->data = NULL;
}

static void series_free(struct head *h, struct head_series *s)
{
    for (size_t i = 0; i < s->nchunks; i++)
        head_chunk_free(&s->chunks[i]);
    free(s->chunks);
    if (s->has_cur)
        xorchunk_release(&s->cur);
    for (size_t i = 0; i < s->ls.n; i++) {
        headsyms_unref(&h->syms, s->lv[i].name);
        headsyms_unref(&h->syms, s->lv[i].value);
    }
    free(s);
}

void head_release(struct head *h)
{
    for (size_t i = 0; i < h->nbuckets; i++) {
        struct head_series *s = h->by_hash[i], *next;
        for (; s; s = next) {
            next = s->next_hash;
            series_free(h, s);
        }
    }
    headsyms_release(&h->syms);
    free(h->by_hash);
    free(h->by_ref);
    headpost_release(&h->post);
    pthread_rwlock_destroy(&h->lock);
    memset(h, 0, sizeof *h);
}

static size_t ref_bucket(const struct head *h, uint64_t ref)
{
    return (size_t)((ref * 0x9e3779b97f4a7c15ull) >> 17) & (h->nbuckets - 1);
}

static void rehash(struct head *h)
{
    size_t nb = h->nbuckets * 2;
    struct head_series **bh = xcalloc(nb, sizeof *bh), **br = xcalloc(nb, sizeof *br);
    size_t old = h->nbuckets;
    h->nbuckets = nb;
    for (size_t i = 0; i < old; i++) {
        struct head_series *s = h->by_hash[i], *next;
        for (; s; s = next) {
            next = s->next_hash;
            size_t b = s->hash & (nb - 1);
            s->next_hash = bh[b];
            bh[b] = s;
            size_t r = ref_bucket(h, s->ref);
            s->next_ref = br[r];
            br[r] = s;
        }
    }
    free(h->by_hash);
    free(h->by_ref);
    h->by_hash = bh;
    h->by_ref = br;
}

struct head_series *head_lookup(struct head *h, const struct labels *ls, uint64_t hash)
{
    for (struct head_series *s = h->by_hash[hash & (h->nbuckets - 1)]; s; s = s->next_hash)
        if (s->hash == hash && labels_equal(&s->ls, ls))
            return s;
    return NULL;
}

struct head_series *head_by_ref(struct head *h, uint64_t ref)
{
    for (struct head_series *s = h->by_ref[ref_bucket(h, ref)]; s; s = s->next_ref)
        if (s->ref == ref)
            return s;
    return NULL;
}

struct head_series *head_create(struct head *h, const struct labels *ls, uint64_t hash,
                                uint64_t ref)
{
    if (h->nseries + 1 > h->nbuckets)
        rehash(h);
    struct head_series *s = xcalloc(1, sizeof *s + ls->n * sizeof *s->lv);
    for (size_t i = 0; i < ls->n; i++) {
        s->lv[i].name = headsyms_ref(&h->syms, ls->v[i].name);
        s->lv[i].value = headsyms_ref(&h->syms, ls->v[i].value);
    }
    s->ls.v = s->lv;
    s->ls.n = ls->n;
    s->hash = hash;
    if (ref == 0)
        ref = h->last_ref + 1;
    if (ref > h->last_ref)
        h->last_ref = ref;
    s->ref = ref;
    s->maxt = INT64_MIN;
    s->pending_maxt = INT64_MIN;
    size_t b = hash & (h->nbuckets - 1), r = ref_bucket(h, ref);
    s->next_hash = h->by_hash[b];
    h->by_hash[b] = s;
    s->next_ref = h->by_ref[r];
    h->by_ref[r] = s;
    headpost_add(&h->post, &s->ls, s);
    h->nseries++;
    h->series_created++;
    return s;
}

static int64_t min_valid(const struct head *h)
{
    if (h->maxt == INT64_MIN)
        return h->min_valid_time;
    int64_t b = h->maxt - h->chunk_range / 2;
    return b > h->min_valid_time ? b : h->min_valid_time;
}

enum head_append_result head_appendable(struct head *h, const struct head_series *s, int64_t t,
                                        double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (t < min_valid(h)) {
        h->out_of_bounds++;
        return HEAD_OUT_OF_BOUNDS;
    }
    int64_t maxt = s->maxt;
    uint64_t last = s->last_bits;
    if (s->pending && s->pending_maxt >= maxt) {
        maxt = s->pending_maxt;
        last = s->pending_bits;
    }
    if (maxt == INT64_MIN || t > maxt)
        return HEAD_OK;
    if (t == maxt)
        return last == bits ? HEAD_IGNORED : (h->duplicates++, HEAD_DUPLICATE);
    h->out_of_order++;
    return HEAD_OUT_OF_ORDER;
}

static int64_t range_end(int64_t t, int64_t width)
{
    /* rangeForTimestamp: Go's division truncates toward zero, as C's does. */
    return (t / width) * width + width;
}

static void close_cur(struct head *h, struct head_series *s)
{
    size_t n;
    const uint8_t *b = xorchunk_bytes(&s->cur, &n);
    /* Exact size: a series holds a handful of chunks, and 100,000s of series pay any slack. */
    s->chunks = xrealloc(s->chunks, (s->nchunks + 1) * sizeof *s->chunks);
    struct head_chunk *c = &s->chunks[s->nchunks++];
    c->mint = s->cur_mint;
    c->data = h->hc ? headchunks_write(h->hc, s->ref, s->cur_mint, s->maxt, b, n) : NULL;
    uint64_t mapped = c->data != NULL;
    if (!mapped) {
        uint8_t *copy = xmalloc(n);
        memcpy(copy, b, n);
        c->data = copy;
    }
    c->packed = (uint64_t)(s->maxt - s->cur_mint) | (uint64_t)n << 47 | mapped << 63;
    xorchunk_release(&s->cur);
    s->has_cur = 0;
}

static void cut(struct head *h, struct head_series *s, int64_t t)
{
    if (s->has_cur)
        close_cur(h, s);
    xorchunk_init(&s->cur);
    s->has_cur = 1;
    s->cur_mint = t;
    s->next_at = range_end(t, h->chunk_range);
    h->chunks++;
    h->chunks_created++;
}

static int64_t chunk_end(int64_t start, int64_t cur, int64_t max)
{
    int64_t n = (max - start) / ((cur - start + 1) * 4);
    return n <= 1 ? max : start + (max - start) / n;
}

enum head_append_result head_append(struct head *h, struct head_series *s, int64_t t, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (s->maxt != INT64_MIN && t <= s->maxt)
        return t == s->maxt && bits == s->last_bits ? HEAD_IGNORED
               : t == s->maxt                       ? HEAD_DUPLICATE
                                                    : HEAD_OUT_OF_ORDER;
    if (!s->has_cur) {
        cut(h, s, t);
    } else {
        uint16_t n = s->cur.n;
        if (n == HEAD_SAMPLES_PER_CHUNK / 4)
            s->next_at = chunk_end(s->cur_mint, s->maxt, s->next_at);
        if (t >= s->next_at || n >= HEAD_SAMPLES_PER_CHUNK * 2)
            cut(h, s, t);
    }
    xorchunk_append(&s->cur, t, v);
    s->maxt = t;
    s->last_bits = bits;
    if (t < h->mint)
        h->mint = t;
    if (t > h->maxt)
        h->maxt = t;
    h->samples_appended++;
    return HEAD_OK;
}

static void unlink_series(struct head *h, struct head_series *s)
{
    struct head_series **pp = &h->by_hash[s->hash & (h->nbuckets - 1)];
    while (*pp != s)
        pp = &(*pp)->next_hash;
    *pp = s->next_hash;
    pp = &h->by_ref[ref_bucket(h, s->ref)];
    while (*pp != s)
        pp = &(*pp)->next_ref;
    *pp = s->next_ref;
    h->nseries--;
    h->series_removed++;
}

static int series_dead(const struct head_series *s)
{
    return s->dead;
}

void head_truncate(struct head *h, int64_t mint)
{
    int64_t newmin = INT64_MAX;
    struct head_series *dead = NULL;
    for (size_t b = 0; b < h->nbuckets; b++) {
        struct head_series *s = h->by_hash[b], *next;
        for (; s; s = next) {
            next = s->next_hash;
            size_t k = 0;
            for (size_t i = 0; i < s->nchunks; i++) {
                if (head_chunk_maxt(&s->chunks[i]) < mint) {
                    head_chunk_free(&s->chunks[i]);
                    h->chunks--;
                    h->chunks_removed++;
                } else {
                    s->chunks[k++] = s->chunks[i];
                }
            }
            s->nchunks = k;
            if (s->has_cur && s->maxt < mint) {
                xorchunk_release(&s->cur);
                s->has_cur = 0;
                h->chunks--;
                h->chunks_removed++;
            }
            if (s->nchunks == 0 && !s->has_cur && !s->pending) {
                /* Freed after the postings sweep, which still reads them. */
                unlink_series(h, s);
                s->dead = 1;
                s->next_hash = dead;
                dead = s;
                continue;
            }
            int64_t m = s->nchunks ? s->chunks[0].mint : s->cur_mint;
            if (m < newmin)
                newmin = m;
        }
    }
    if (dead) {
        headpost_sweep(&h->post, series_dead);
        for (struct head_series *s = dead, *next; s; s = next) {
            next = s->next_hash;
            series_free(h, s);
        }
    }
    if (h->hc)
        headchunks_truncate(h->hc, mint);
    /* As Prometheus: the head starts at the truncation point, so the next block is aligned. */
    h->mint = newmin < mint ? mint : newmin;
    if (h->nseries == 0 || newmin == INT64_MAX) {
        h->mint = INT64_MAX;
        /* maxt stays: out-of-bounds checks keep working after an idle period. */
    }
    if (mint > h->min_valid_time)
        h->min_valid_time = mint;
}

static void add_chunk_samples(const uint8_t *b, size_t len, int64_t mint, int64_t maxt, int64_t **t,
                              double **v, size_t *n, size_t *alloc)
{
    struct xoriter it;
    xoriter_init(&it, b, len);
    while (xoriter_next(&it) == 1) {
        if (it.t < mint)
            continue;
        if (it.t > maxt)
            break;
        if (*n == *alloc) {
            size_t a = *alloc;
            xgrow((void **)t, alloc, *n + 1, sizeof **t);
            *v = xrealloc(*v, *alloc * sizeof **v);
            (void)a;
        }
        (*t)[*n] = it.t;
        (*v)[*n] = it.v;
        (*n)++;
    }
}

void head_series_samples(const struct head_series *s, int64_t mint, int64_t maxt, int64_t **t,
                         double **v, size_t *n, size_t *alloc)
{
    *n = 0;
    for (size_t i = 0; i < s->nchunks; i++)
        if (head_chunk_maxt(&s->chunks[i]) >= mint && s->chunks[i].mint <= maxt)
            add_chunk_samples(s->chunks[i].data, head_chunk_len(&s->chunks[i]), mint, maxt, t, v, n,
                              alloc);
    if (s->has_cur && s->maxt >= mint && s->cur_mint <= maxt) {
        size_t len;
        const uint8_t *b = xorchunk_bytes(&s->cur, &len);
        add_chunk_samples(b, len, mint, maxt, t, v, n, alloc);
    }
}
