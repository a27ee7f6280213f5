/* query: select series and label names/values across blocks and head (see query.h). */
#include "tsdb/query.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tsdb/xorchunk.h"

void query_result_init(struct query_result *r)
{
    memset(r, 0, sizeof *r);
    arena_init(&r->arena);
}

void query_result_release(struct query_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].t);
        free(r->v[i].v);
    }
    free(r->v);
    free(r->buckets);
    arena_release(&r->arena);
    memset(r, 0, sizeof *r);
}

static void rehash(struct query_result *r)
{
    size_t nb = r->nbuckets ? r->nbuckets * 2 : 256;
    free(r->buckets);
    r->buckets = xcalloc(nb, sizeof *r->buckets);
    r->nbuckets = nb;
    for (size_t i = 0; i < r->n; i++) {
        size_t b = r->v[i].hash & (nb - 1);
        while (r->buckets[b])
            b = (b + 1) & (nb - 1);
        r->buckets[b] = i + 1;
    }
}

static struct query_series *get_series(struct query_result *r, const struct labels *ls)
{
    uint64_t h = labels_hash(ls);
    if (r->n * 2 >= r->nbuckets)
        rehash(r);
    size_t b = h & (r->nbuckets - 1);
    for (; r->buckets[b]; b = (b + 1) & (r->nbuckets - 1)) {
        struct query_series *s = &r->v[r->buckets[b] - 1];
        if (s->hash == h && labels_equal(&s->ls, ls))
            return s;
    }
    xgrow((void **)&r->v, &r->alloc, r->n + 1, sizeof *r->v);
    struct query_series *s = &r->v[r->n];
    memset(s, 0, sizeof *s);
    s->ls = labels_dup(&r->arena, ls);
    s->hash = h;
    r->buckets[b] = ++r->n;
    return s;
}

/* Merge samples t2/v2 (sorted) into s (sorted), keeping s's sample on equal timestamps. */
static void merge_samples(struct query_series *s, const int64_t *t2, const double *v2, size_t n2)
{
    if (n2 == 0)
        return;
    if (s->n == 0 || t2[0] > s->t[s->n - 1]) {
        if (s->n + n2 > s->alloc) {
            size_t a = s->alloc;
            xgrow((void **)&s->t, &a, s->n + n2, sizeof *s->t);
            s->v = xrealloc(s->v, a * sizeof *s->v);
            s->alloc = a;
        }
        memcpy(s->t + s->n, t2, n2 * sizeof *t2);
        memcpy(s->v + s->n, v2, n2 * sizeof *v2);
        s->n += n2;
        return;
    }
    size_t cap = s->n + n2, k = 0, i = 0, j = 0;
    int64_t *t = xmalloc(cap * sizeof *t);
    double *v = xmalloc(cap * sizeof *v);
    while (i < s->n || j < n2) {
        if (j >= n2 || (i < s->n && s->t[i] <= t2[j])) {
            if (j < n2 && s->t[i] == t2[j])
                j++;
            t[k] = s->t[i];
            v[k++] = s->v[i++];
        } else {
            t[k] = t2[j];
            v[k++] = v2[j++];
        }
    }
    free(s->t);
    free(s->v);
    s->t = t;
    s->v = v;
    s->n = k;
    s->alloc = cap;
}

static int block_part(const struct block *b, int64_t mint, int64_t maxt, const struct matcher *ms,
                      size_t nm, int with_samples, struct query_result *out, struct diag *d)
{
    uint32_t *refs;
    size_t nrefs;
    int rc = 0;
    if (block_select(b, ms, nm, &refs, &nrefs, d) != 0)
        return -1;
    struct arena a;
    arena_init(&a);
    int64_t *t = NULL;
    double *v = NULL;
    size_t alloc = 0;
    for (size_t i = 0; i < nrefs && rc == 0; i++) {
        struct labels ls;
        struct index_chunk *ch;
        size_t nch, n = 0;
        if (block_series(b, refs[i], &a, &ls, &ch, &nch, d) != 0) {
            rc = -1;
            break;
        }
        int stones = tombstones_has(&b->stones, refs[i]);
        for (size_t c = 0; c < nch && rc == 0; c++) {
            if (ch[c].maxt < mint || ch[c].mint > maxt)
                continue;
            const uint8_t *data;
            size_t len;
            if (block_chunk(b, ch[c].ref, &data, &len, d) != 0) {
                rc = -1;
                break;
            }
            struct xoriter it;
            xoriter_init(&it, data, len);
            int r;
            while ((r = xoriter_next(&it)) == 1) {
                if (it.t < mint || (stones && tombstones_covers(&b->stones, refs[i], it.t)))
                    continue;
                if (it.t > maxt)
                    break;
                if (n == alloc) {
                    xgrow((void **)&t, &alloc, n + 1, sizeof *t);
                    v = xrealloc(v, alloc * sizeof *v);
                }
                t[n] = it.t;
                v[n++] = it.v;
            }
            if (r < 0) {
                diag_error(d, NULL, "%s: series ref %u: chunk %llu is corrupt", b->dir, refs[i],
                           (unsigned long long)ch[c].ref);
                rc = -1;
            }
        }
        free(ch);
        if (n > 0) {
            struct query_series *s = get_series(out, &ls);
            if (with_samples)
                merge_samples(s, t, v, n);
        }
    }
    free(t);
    free(v);
    free(refs);
    arena_release(&a);
    return rc;
}

static int cmp_series(const void *a, const void *b)
{
    return labels_cmp(&((const struct query_series *)a)->ls, &((const struct query_series *)b)->ls);
}

struct head_part {
    struct query_result *out;
    int64_t mint, maxt;
    const struct matcher *ms;
    size_t nm;
    int with_samples;
    int64_t *t;
    double *v;
    size_t alloc;
};

/* Does s have a chunk overlapping [mint, maxt]? As the series API asks (chunk metas, no decoding).
 */
static int head_overlaps(const struct head_series *s, int64_t mint, int64_t maxt)
{
    for (size_t i = 0; i < s->nchunks; i++)
        if (head_chunk_maxt(&s->chunks[i]) >= mint && s->chunks[i].mint <= maxt)
            return 1;
    return s->has_cur && s->maxt >= mint && s->cur_mint <= maxt;
}

static void head_part_add(struct head_part *p, const struct head_series *s)
{
    if (s->maxt == INT64_MIN || s->maxt < p->mint || !matcher_all(p->ms, p->nm, &s->ls))
        return;
    if (!p->with_samples) {
        if (head_overlaps(s, p->mint, p->maxt))
            get_series(p->out, &s->ls);
        return;
    }
    size_t n;
    head_series_samples(s, p->mint, p->maxt, &p->t, &p->v, &n, &p->alloc);
    if (n > 0)
        merge_samples(get_series(p->out, &s->ls), p->t, p->v, n);
}

/*
 * The shortest postings list of the equality matchers (name="value", value
 * not empty): every head series that can match is on it. 0 when no matcher
 * narrows the head (scan it all); *none when a pair has no series at all.
 */
static int postings_for(const struct head *h, const struct matcher *ms, size_t nm,
                        const struct headpost_list **out, int *none)
{
    *out = NULL;
    for (size_t i = 0; i < nm; i++) {
        if (ms[i].type != MATCH_EQ || !ms[i].value[0])
            continue;
        const struct headpost_list *l = headpost_get(&h->post, ms[i].name, ms[i].value);
        if (!l) {
            *none = 1;
            return 1;
        }
        if (!*out || l->n < (*out)->n)
            *out = l;
    }
    return *out != NULL;
}

int query_select(struct db *db, int64_t mint, int64_t maxt, const struct matcher *ms, size_t nm,
                 int with_samples, struct query_result *out, struct diag *d)
{
    int rc = 0;
    pthread_rwlock_rdlock(&db->blocks_lock);
    for (size_t i = 0; i < db->nblocks && rc == 0; i++) {
        const struct block *b = db->blocks[i];
        if (b->meta.maxt <= mint || b->meta.mint > maxt)
            continue;
        rc = block_part(b, mint, maxt, ms, nm, with_samples, out, d);
    }
    pthread_rwlock_unlock(&db->blocks_lock);
    if (rc != 0)
        return -1;

    struct head *h = &db->head;
    struct head_part hp = {out, mint, maxt, ms, nm, with_samples, NULL, NULL, 0};
    pthread_rwlock_rdlock(&h->lock);
    const struct headpost_list *cand = NULL;
    int none = 0;
    if (!postings_for(h, ms, nm, &cand, &none))
        for (size_t bk = 0; bk < h->nbuckets; bk++)
            for (struct head_series *s = h->by_hash[bk]; s; s = s->next_hash)
                head_part_add(&hp, s);
    else if (!none)
        for (size_t i = 0; i < cand->n; i++)
            head_part_add(&hp, cand->v[i]);
    pthread_rwlock_unlock(&h->lock);
    free(hp.t);
    free(hp.v);
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_series);
    free(out->buckets);
    out->buckets = NULL;
    out->nbuckets = 0;
    return 0;
}

void query_strings_init(struct query_strings *s)
{
    memset(s, 0, sizeof *s);
    arena_init(&s->arena);
}

void query_strings_release(struct query_strings *s)
{
    free(s->v);
    arena_release(&s->arena);
    memset(s, 0, sizeof *s);
}

static void add_string(struct query_strings *s, const char *v)
{
    xgrow((void **)&s->v, &s->alloc, s->n + 1, sizeof *s->v);
    s->v[s->n++] = arena_strdup(&s->arena, v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sort_unique(struct query_strings *s)
{
    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof *s->v, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++)
        if (strcmp(s->v[i], s->v[k - 1]) != 0)
            s->v[k++] = s->v[i];
    s->n = k;
}

struct pair_ctx {
    struct query_strings *out;
    const char *name;
};

static void add_pair(void *ctx, const char *name, const char *value)
{
    struct pair_ctx *pc = ctx;
    if (!pc->name)
        add_string(pc->out, name);
    else if (*value && strcmp(name, pc->name) == 0)
        add_string(pc->out, value);
}

int query_labels(struct db *db, const char *name, int64_t mint, int64_t maxt,
                 const struct matcher *ms, size_t nm, struct query_strings *out, struct diag *d)
{
    if (nm > 0) {
        struct query_result r;
        query_result_init(&r);
        if (query_select(db, mint, maxt, ms, nm, 0, &r, d) != 0) {
            query_result_release(&r);
            return -1;
        }
        for (size_t i = 0; i < r.n; i++) {
            if (name) {
                const char *v = labels_get(&r.v[i].ls, name);
                if (v && *v)
                    add_string(out, v);
            } else {
                for (size_t k = 0; k < r.v[i].ls.n; k++)
                    add_string(out, r.v[i].ls.v[k].name);
            }
        }
        query_result_release(&r);
        sort_unique(out);
        return 0;
    }
    /* Without matchers: the blocks' postings tables and the head's series. */
    pthread_rwlock_rdlock(&db->blocks_lock);
    for (size_t i = 0; i < db->nblocks; i++) {
        const struct block *b = db->blocks[i];
        if (b->meta.maxt <= mint || b->meta.mint > maxt)
            continue;
        if (name) {
            size_t lo, hi;
            block_name_range(b, name, &lo, &hi);
            for (size_t p = lo; p < hi; p++)
                add_string(out, b->post[p].value);
        } else {
            for (size_t p = 1; p < b->npost; p++)
                if (p == 1 || strcmp(b->post[p].name, b->post[p - 1].name) != 0)
                    add_string(out, b->post[p].name);
        }
    }
    pthread_rwlock_unlock(&db->blocks_lock);
    /* The head's pairs when the head overlaps the range, as Prometheus's headIndexReader. */
    struct head *h = &db->head;
    pthread_rwlock_rdlock(&h->lock);
    if (h->nseries > 0 && h->mint <= maxt && h->maxt >= mint) {
        struct pair_ctx pc = {out, name};
        headpost_each(&h->post, add_pair, &pc);
    }
    pthread_rwlock_unlock(&h->lock);
    sort_unique(out);
    return 0;
}
