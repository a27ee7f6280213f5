/*
 * histfn: histogram_quantile over classic (le-labelled) buckets, as Prometheus 2.42's
 * promql/quantile.go computes it, and the native-histogram functions, which classic series
 * answer with nothing as 2.42 does. Their rows of the function table are histfn_funcs
 * (funcs.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "promql/eval.h"
#include "promql/funcs.h"

struct bucket {
    double ub, count;
};

static int cmp_bucket(const void *x, const void *y)
{
    double a = ((const struct bucket *)x)->ub, b = ((const struct bucket *)y)->ub;
    return a < b ? -1 : a > b ? 1 : 0;
}

static double bucket_quantile(double q, struct bucket *b, size_t n)
{
    if (isnan(q))
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    qsort(b, n, sizeof(*b), cmp_bucket);
    if (!isinf(b[n - 1].ub) || b[n - 1].ub < 0)
        return NAN;
    /* coalesce equal upper bounds */
    size_t k = 0;
    struct bucket last = b[0];
    for (size_t i = 1; i < n; i++) {
        if (b[i].ub == last.ub) {
            last.count += b[i].count;
        } else {
            b[k++] = last;
            last = b[i];
        }
    }
    b[k++] = last;
    n = k;
    double mx = b[0].count;
    for (size_t i = 1; i < n; i++) {
        if (b[i].count > mx)
            mx = b[i].count;
        else if (b[i].count < mx)
            b[i].count = mx;
    }
    if (n < 2)
        return NAN;
    double obs = b[n - 1].count;
    if (obs == 0)
        return NAN;
    double rank = q * obs;
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid].count >= rank)
            hi = mid;
        else
            lo = mid + 1;
    }
    size_t i = lo;
    if (i == n - 1)
        return b[n - 2].ub;
    if (i == 0 && b[0].ub <= 0)
        return b[0].ub;
    double start = 0, end = b[i].ub, count = b[i].count;
    if (i > 0) {
        start = b[i - 1].ub;
        count -= b[i - 1].count;
        rank -= b[i - 1].count;
    }
    return start + (end - start) * (rank / count);
}

static void f_histogram_quantile(struct pq_call *c, struct pq_vec *out)
{
    double q = c->sargs[0];
    struct pq_vec *in = c->vargs[1];
    struct grp {
        uint64_t sig;
        struct labels l;
        struct bucket *b;
        size_t n, alloc;
    } *g = NULL;
    size_t ng = 0, ag = 0;
    static const char *const le_list[] = {"le"};
    struct pq_strlist le = {(char **)le_list, 1};
    for (size_t i = 0; i < in->n; i++) {
        const char *les = labels_get(&in->v[i].l, "le");
        if (!les || !*les)
            continue;
        char *end;
        double ub = strtod(les, &end);
        if (*end)
            continue;
        /* BytesWithoutLabels(le): the name is part of the signature. */
        uint64_t sig = 0;
        {
            struct labels l = in->v[i].l;
            sig = 0x77;
            for (size_t k = 0; k < l.n; k++) {
                if (!strcmp(l.v[k].name, "le"))
                    continue;
                sig = sig * 1099511628211ULL ^ (uint64_t)strlen(l.v[k].name);
                for (const char *p = l.v[k].name; *p; p++)
                    sig = (sig ^ (unsigned char)*p) * 1099511628211ULL;
                sig = (sig ^ 0xff) * 1099511628211ULL;
                for (const char *p = l.v[k].value; *p; p++)
                    sig = (sig ^ (unsigned char)*p) * 1099511628211ULL;
                sig = (sig ^ 0xfe) * 1099511628211ULL;
            }
        }
        (void)le;
        size_t j;
        for (j = 0; j < ng; j++)
            if (g[j].sig == sig)
                break;
        if (j == ng) {
            if (ng == ag) {
                ag = ag ? ag * 2 : 8;
                g = xrealloc(g, ag * sizeof(*g));
            }
            memset(&g[ng], 0, sizeof(*g));
            g[ng].sig = sig;
            struct labels_builder b;
            labels_builder_init(&b);
            labels_builder_reset(&b, &in->v[i].l);
            labels_builder_del(&b, LABELS_METRIC_NAME);
            labels_builder_del(&b, "le");
            g[ng].l = pq_labels_from_builder(c->ev, &b);
            labels_builder_release(&b);
            ng++;
        }
        if (g[j].n == g[j].alloc) {
            g[j].alloc = g[j].alloc ? g[j].alloc * 2 : 8;
            g[j].b = xrealloc(g[j].b, g[j].alloc * sizeof(*g[j].b));
        }
        g[j].b[g[j].n++] = (struct bucket){ub, in->v[i].v};
    }
    for (size_t j = 0; j < ng; j++) {
        pq_vec_push(c->ev, out, &g[j].l, bucket_quantile(q, g[j].b, g[j].n), 0);
        free(g[j].b);
    }
    free(g);
}

/* Native-histogram functions: classic samples carry no histogram, so nothing. */
static void f_nothing(struct pq_call *c, struct pq_vec *out)
{
    (void)c;
    (void)out;
}

#define V PQ_VECTOR
#define S PQ_SCALAR

const struct pq_func histfn_funcs[] = {
    {"histogram_count", {V}, 1, 0, V, f_nothing, NULL, NULL, 0, 0},
    {"histogram_fraction", {S, S, V}, 3, 0, V, f_nothing, NULL, NULL, 0, 0},
    {"histogram_quantile", {S, V}, 2, 0, V, f_histogram_quantile, NULL, NULL, 0, 0},
    {"histogram_sum", {V}, 1, 0, V, f_nothing, NULL, NULL, 0, 0},
    {0},
};
