/* tsdbquerier: PromQL's querier over cairn's TSDB (see tsdbquerier.h). */
#include "tsdbd/tsdbquerier.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tsdb/query.h"

struct arr_iter {
    struct querier_iter base;
    const int64_t *t;
    const double *v;
    size_t n, i;
    int started;
};

static int it_seek(struct querier_iter *qi, int64_t t, struct diag *d)
{
    struct arr_iter *it = (struct arr_iter *)qi;
    if (!it->started) {
        it->started = 1;
        it->i = 0;
    }
    while (it->i < it->n && it->t[it->i] < t)
        it->i++;
    return it->i < it->n;
}

static int it_next(struct querier_iter *qi, struct diag *d)
{
    struct arr_iter *it = (struct arr_iter *)qi;
    if (!it->started)
        it->started = 1;
    else if (it->i < it->n)
        it->i++;
    return it->i < it->n;
}

static void it_at(const struct querier_iter *qi, int64_t *t, double *v)
{
    const struct arr_iter *it = (const struct arr_iter *)qi;
    *t = it->t[it->i];
    *v = it->v[it->i];
}

static const struct querier_iter_ops arr_ops = {it_seek, it_next, it_at};

static void set_release(struct querier_set *set)
{
    struct query_result *r = set->priv;
    if (r) {
        query_result_release(r);
        free(r);
    }
    set->priv = NULL;
}

static int tsdb_select(void *ctx, struct arena *a, const struct matcher *ms, size_t nms,
                       int64_t mint, int64_t maxt, const struct querier_hints *hints,
                       struct querier_set *out, struct diag *d)
{
    struct db *db = ctx;
    struct query_result *r = xmalloc(sizeof *r);
    query_result_init(r);
    memset(out, 0, sizeof *out);
    if (query_select(db, mint, maxt, ms, nms, 1, r, d) != 0) {
        query_result_release(r);
        free(r);
        return -1;
    }
    out->v = arena_alloc(a, (r->n + 1) * sizeof *out->v);
    for (size_t i = 0; i < r->n; i++) {
        struct arr_iter *it = arena_alloc(a, sizeof *it);
        memset(it, 0, sizeof *it);
        it->base.ops = &arr_ops;
        it->t = r->v[i].t;
        it->v = r->v[i].v;
        it->n = r->v[i].n;
        out->v[i].labels = labels_dup(a, &r->v[i].ls); /* the engine keeps labels past release */
        out->v[i].it = &it->base;
    }
    out->n = r->n;
    out->priv = r;
    out->release = set_release;
    return 0;
}

void tsdbquerier_init(struct querier *q, struct db *db)
{
    q->ctx = db;
    q->select = tsdb_select;
}
