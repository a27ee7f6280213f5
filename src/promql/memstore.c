/* memstore: see memstore.h. */
#include "promql/memstore.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xmalloc.h"

struct mseries {
    struct labels ls;
    uint64_t hash;
    int64_t *t;
    double *v;
    size_t n, alloc;
};

struct memstore {
    struct arena a; /* labels */
    struct mseries **s;
    size_t n, alloc;
    int sorted;
};

int pq_is_stale(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof(b));
    return b == PQ_STALE_NAN_BITS;
}

struct memstore *memstore_new(void)
{
    struct memstore *m = xcalloc(1, sizeof(*m));
    arena_init(&m->a);
    m->sorted = 1;
    return m;
}

void memstore_clear(struct memstore *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->s[i]->t);
        free(m->s[i]->v);
        free(m->s[i]);
    }
    free(m->s);
    m->s = NULL;
    m->n = m->alloc = 0;
    arena_release(&m->a);
    arena_init(&m->a);
}

void memstore_free(struct memstore *m)
{
    if (!m)
        return;
    memstore_clear(m);
    arena_release(&m->a);
    free(m);
}

size_t memstore_nseries(const struct memstore *m)
{
    return m->n;
}

static struct mseries *find(struct memstore *m, const struct labels *ls)
{
    uint64_t h = labels_hash(ls);
    for (size_t i = 0; i < m->n; i++)
        if (m->s[i]->hash == h && labels_equal(&m->s[i]->ls, ls))
            return m->s[i];
    struct mseries *s = xcalloc(1, sizeof(*s));
    s->ls = labels_dup(&m->a, ls);
    s->hash = h;
    if (m->n == m->alloc) {
        m->alloc = m->alloc ? m->alloc * 2 : 16;
        m->s = xrealloc(m->s, m->alloc * sizeof(*m->s));
    }
    m->s[m->n++] = s;
    m->sorted = 0;
    return s;
}

void memstore_add(struct memstore *m, const struct labels *ls, int64_t t, double v)
{
    struct mseries *s = find(m, ls);
    size_t i = s->n;
    while (i > 0 && s->t[i - 1] > t)
        i--;
    if (i > 0 && s->t[i - 1] == t) {
        s->v[i - 1] = v;
        return;
    }
    if (s->n == s->alloc) {
        s->alloc = s->alloc ? s->alloc * 2 : 16;
        s->t = xrealloc(s->t, s->alloc * sizeof(*s->t));
        s->v = xrealloc(s->v, s->alloc * sizeof(*s->v));
    }
    memmove(s->t + i + 1, s->t + i, (s->n - i) * sizeof(*s->t));
    memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(*s->v));
    s->t[i] = t;
    s->v[i] = v;
    s->n++;
}

struct miter {
    struct querier_iter base;
    const struct mseries *s;
    size_t i;
};

static int it_seek(struct querier_iter *qi, int64_t t, struct diag *d)
{
    (void)d;
    struct miter *it = (struct miter *)qi;
    size_t lo = it->i, hi = it->s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (it->s->t[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    it->i = lo;
    return it->i < it->s->n;
}

static int it_next(struct querier_iter *qi, struct diag *d)
{
    (void)d;
    struct miter *it = (struct miter *)qi;
    if (it->i < it->s->n)
        it->i++;
    return it->i < it->s->n;
}

static void it_at(const struct querier_iter *qi, int64_t *t, double *v)
{
    const struct miter *it = (const struct miter *)qi;
    *t = it->s->t[it->i];
    *v = it->s->v[it->i];
}

static const struct querier_iter_ops miter_ops = {it_seek, it_next, it_at};

static int cmp_series(const void *a, const void *b)
{
    const struct mseries *x = *(const struct mseries *const *)a;
    const struct mseries *y = *(const struct mseries *const *)b;
    return labels_cmp(&x->ls, &y->ls);
}

static int mem_select(void *ctx, struct arena *a, const struct matcher *ms, size_t nms,
                      int64_t mint, int64_t maxt, const struct querier_hints *hints,
                      struct querier_set *out, struct diag *d)
{
    (void)mint;
    (void)maxt;
    (void)hints;
    (void)d;
    struct memstore *m = ctx;
    if (!m->sorted) {
        qsort(m->s, m->n, sizeof(*m->s), cmp_series);
        m->sorted = 1;
    }
    memset(out, 0, sizeof(*out));
    out->v = arena_alloc(a, (m->n + 1) * sizeof(*out->v));
    for (size_t i = 0; i < m->n; i++) {
        if (!matcher_all(ms, nms, &m->s[i]->ls))
            continue;
        struct miter *it = arena_alloc(a, sizeof(*it));
        it->base.ops = &miter_ops;
        it->s = m->s[i];
        out->v[out->n].labels = m->s[i]->ls;
        out->v[out->n].it = &it->base;
        out->n++;
    }
    return 0;
}

struct querier memstore_querier(struct memstore *m)
{
    struct querier q = {.ctx = m, .select = mem_select};
    return q;
}
