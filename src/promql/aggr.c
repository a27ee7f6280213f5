/*
 * aggr: PromQL's aggregation operators at one step, as Prometheus 2.42's
 * evaluator.aggregation: groups in order of first appearance, by/without
 * labels, sum/avg (with its overflow-safe incremental mean), count, group,
 * min/max (NaN loses), stddev/stdvar (Welford), topk/bottomk, quantile,
 * count_values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/u64map.h"
#include "core/xmalloc.h"
#include "promql/eval.h"

struct group {
    struct labels l;
    double value, mean;
    size_t count;
    struct pq_sample *items; /* topk, bottomk, quantile */
    size_t nitems, aitems;
};

static int in_grouping(const struct pq_strlist *g, const char *n)
{
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->v[i], n))
            return 1;
    return 0;
}

uint64_t pq_group_key(const struct labels *l, const struct pq_strlist *g, int without,
                      const char *extra)
{
    uint64_t h = 0x9e37;
    for (size_t i = 0; i < l->n; i++) {
        const char *n = l->v[i].name;
        int in = in_grouping(g, n) || (extra && !strcmp(extra, n));
        int keep = without ? (!in && strcmp(n, LABELS_METRIC_NAME)) : in;
        if (!keep)
            continue;
        h = hash_mix(h, hash_bytes(n, strlen(n), 1));
        h = hash_mix(h, hash_bytes(l->v[i].value, strlen(l->v[i].value), 2));
    }
    return h;
}

static struct labels group_labels(struct pq_eval *ev, const struct labels *l,
                                  const struct pq_strlist *g, int without, const char *extra)
{
    struct label *v = arena_alloc(ev->a, (l->n + 1) * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        const char *n = l->v[i].name;
        int in = in_grouping(g, n) || (extra && !strcmp(extra, n));
        int keep = without ? (!in && strcmp(n, LABELS_METRIC_NAME)) : in;
        if (keep)
            v[k++] = l->v[i];
    }
    return (struct labels){v, k};
}

/* vectorByValueHeap's order: NaN sorts lowest. */
static int less_nan_low(double a, double b)
{
    if (isnan(a))
        return !isnan(b);
    return a < b;
}

static int cmp_desc(const void *x, const void *y)
{
    double a = ((const struct pq_sample *)x)->v, b = ((const struct pq_sample *)y)->v;
    if (less_nan_low(b, a))
        return -1;
    if (less_nan_low(a, b))
        return 1;
    return 0;
}

/* bottomk's order: NaN sorts highest. */
static int cmp_asc_nan_high(const void *x, const void *y)
{
    double a = ((const struct pq_sample *)x)->v, b = ((const struct pq_sample *)y)->v;
    if (isnan(a) != isnan(b))
        return isnan(a) ? 1 : -1;
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    return 0;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    if (less_nan_low(a, b))
        return -1;
    if (less_nan_low(b, a))
        return 1;
    return 0;
}

double pq_quantile(double q, double *v, size_t n)
{
    if (n == 0)
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    qsort(v, n, sizeof(double), cmp_double);
    double nn = (double)n;
    double rank = q * (nn - 1);
    double lower = fmax(0, floor(rank));
    double upper = fmin(nn - 1, lower + 1);
    double weight = rank - floor(rank);
    return v[(size_t)lower] * (1 - weight) + v[(size_t)upper] * weight;
}

static void push_item(struct group *g, const struct pq_sample *s)
{
    if (g->nitems == g->aitems) {
        g->aitems = g->aitems ? g->aitems * 2 : 8;
        g->items = xrealloc(g->items, g->aitems * sizeof(*g->items));
    }
    g->items[g->nitems++] = *s;
}

/* Keep the k best of a group: topk keeps the largest (NaN lowest), bottomk the smallest. */
static void keep_k(struct group *g, const struct pq_sample *s, int64_t k, int top)
{
    if ((int64_t)g->nitems < k) {
        push_item(g, s);
        return;
    }
    /* Replace the worst kept item if s is better (as the heap's top comparison). */
    size_t worst = 0;
    for (size_t i = 1; i < g->nitems; i++) {
        double a = g->items[i].v, b = g->items[worst].v;
        if (top ? less_nan_low(a, b) : (isnan(a) ? !isnan(b) : (!isnan(b) && a > b)))
            worst = i;
    }
    double w = g->items[worst].v;
    int better = top ? (w < s->v || isnan(w)) : (w > s->v || isnan(w));
    if (better)
        g->items[worst] = *s;
}

void pq_aggr_step(struct pq_eval *ev, const struct pq_node *n, struct pq_vec *in, double param,
                  const char *sparam, struct pq_vec *out)
{
    int op = n->op;
    int64_t k = 0;
    if (op == T_TOPK || op == T_BOTTOMK) {
        if (!(param <= 9.223372036854775807e18 && param >= -9.223372036854775808e18)) {
            struct strbuf sb = STRBUF_INIT;
            pq_fmt_float(&sb, param, 'v');
            char *m = arena_strdup(ev->a, sb.buf);
            strbuf_release(&sb);
            pq_fail(ev, PQ_ERR_EXECUTION, "Scalar value %s overflows int64", m);
        }
        k = (int64_t)param;
        if (k < 1)
            return;
    }
    const char *value_label = NULL;
    if (op == T_COUNT_VALUES) {
        value_label = sparam;
        if (!labels_valid_name(value_label, strlen(value_label)))
            pq_fail(ev, PQ_ERR_EXECUTION, "invalid label name \"%s\"", value_label);
    }
    const char *extra = (op == T_COUNT_VALUES && !n->without) ? value_label : NULL;
    struct group *groups = NULL;
    size_t ng = 0, ag = 0;
    struct u64map map = {0};
    struct labels_builder b;
    labels_builder_init(&b);
    for (size_t i = 0; i < in->n; i++) {
        struct pq_sample s = in->v[i];
        struct labels metric = s.l;
        if (op == T_COUNT_VALUES) {
            struct strbuf vb = STRBUF_INIT;
            pq_fmt_float(&vb, s.v, 'f');
            labels_builder_reset(&b, &metric);
            labels_builder_set(&b, value_label, arena_strdup(ev->a, vb.buf));
            strbuf_release(&vb);
            metric = pq_labels_from_builder(ev, &b);
        }
        /* The key of an input series is computed once per evaluation (eval_steps). */
        uint64_t key = (op != T_COUNT_VALUES && s.gk)
                           ? s.gk
                           : pq_group_key(&metric, &n->grouping, n->without, extra);
        int added;
        size_t *slot = u64map_put(&map, key, &added);
        if (added) {
            *slot = ng;
            if (ng == ag) {
                ag = ag ? ag * 2 : 8;
                groups = xrealloc(groups, ag * sizeof(*groups));
            }
            struct group *g = &groups[ng++];
            memset(g, 0, sizeof(*g));
            g->l = group_labels(ev, &metric, &n->grouping, n->without, extra);
            g->value = s.v;
            g->mean = s.v;
            g->count = 1;
            if (op == T_STDVAR || op == T_STDDEV)
                g->value = 0;
            else if (op == T_TOPK || op == T_BOTTOMK || op == T_QUANTILE)
                push_item(g, &s);
            else if (op == T_GROUP)
                g->value = 1;
            continue;
        }
        struct group *g = &groups[*slot];
        switch (op) {
        case T_SUM:
            g->value += s.v;
            break;
        case T_AVG:
            g->count++;
            if (isinf(g->mean)) {
                if (isinf(s.v) && (g->mean > 0) == (s.v > 0))
                    break;
                if (!isinf(s.v) && !isnan(s.v))
                    break;
            }
            g->mean += s.v / (double)g->count - g->mean / (double)g->count;
            break;
        case T_GROUP:
            break;
        case T_MAX:
            if (g->value < s.v || isnan(g->value))
                g->value = s.v;
            break;
        case T_MIN:
            if (g->value > s.v || isnan(g->value))
                g->value = s.v;
            break;
        case T_COUNT:
        case T_COUNT_VALUES:
            g->count++;
            break;
        case T_STDVAR:
        case T_STDDEV: {
            g->count++;
            double delta = s.v - g->mean;
            g->mean += delta / (double)g->count;
            g->value += delta * (s.v - g->mean);
            break;
        }
        case T_TOPK:
            keep_k(g, &s, k, 1);
            break;
        case T_BOTTOMK:
            keep_k(g, &s, k, 0);
            break;
        case T_QUANTILE:
            push_item(g, &s);
            break;
        }
    }
    labels_builder_release(&b);
    u64map_release(&map);
    for (size_t i = 0; i < ng; i++) {
        struct group *g = &groups[i];
        double v = g->value;
        switch (op) {
        case T_AVG:
            v = g->mean;
            break;
        case T_COUNT:
        case T_COUNT_VALUES:
            v = (double)g->count;
            break;
        case T_STDVAR:
            v = g->value / (double)g->count;
            break;
        case T_STDDEV:
            v = sqrt(g->value / (double)g->count);
            break;
        case T_TOPK:
        case T_BOTTOMK:
            if (g->nitems)
                qsort(g->items, g->nitems, sizeof(*g->items),
                      op == T_TOPK ? cmp_desc : cmp_asc_nan_high);
            for (size_t j = 0; j < g->nitems; j++)
                pq_vec_push(ev, out, &g->items[j].l, g->items[j].v, 0);
            free(g->items);
            continue;
        case T_QUANTILE: {
            double *vals = xmalloc((g->nitems + 1) * sizeof(double));
            for (size_t j = 0; j < g->nitems; j++)
                vals[j] = g->items[j].v;
            v = pq_quantile(param, vals, g->nitems);
            free(vals);
            free(g->items);
            break;
        }
        }
        pq_vec_push(ev, out, &g->l, v, 0);
    }
    free(groups);
}

/* Per group and step: the running state of pq_aggr_step's struct group. */
struct colstate {
    double value, mean;
    uint32_t count;
};

struct pq_colagg {
    struct pq_eval *ev;
    const struct pq_node *n;
    int op;
    size_t ns, cap, ng, nin;
    uint64_t *mk;             /* open addressing: group keys */
    size_t *mv;               /* their group numbers */
    size_t *first;            /* a series of each group */
    struct colstate **rows;   /* per group, a state per step */
    size_t *in_k, *out_k;     /* input samples and groups with a value, per step */
    size_t *fk, *fi;          /* where each group first has a value (step, series) */
    const struct labels **lp; /* the labels of each series added */
};

int pq_colagg_ok(const struct pq_node *n)
{
    int op = n->op;
    return !n->param && (op == T_SUM || op == T_AVG || op == T_COUNT || op == T_GROUP ||
                         op == T_MIN || op == T_MAX || op == T_STDDEV || op == T_STDVAR);
}

struct pq_colagg *pq_colagg_new(struct pq_eval *ev, const struct pq_node *n, size_t max_series)
{
    int op = n->op;
    if (!pq_colagg_ok(n))
        return NULL;
    struct pq_colagg *ca = arena_alloc(ev->a, sizeof(*ca));
    ca->ev = ev;
    ca->n = n;
    ca->op = op;
    ca->ns = ev->nsteps;
    /* Groups by key; the same 64-bit keys pq_aggr_step groups by. */
    ca->cap = 32;
    while (ca->cap < 2 * (max_series + 1))
        ca->cap *= 2;
    ca->mk = arena_alloc(ev->a, ca->cap * sizeof(*ca->mk));
    ca->mv = arena_alloc(ev->a, ca->cap * sizeof(*ca->mv));
    ca->first = arena_alloc(ev->a, (max_series + 1) * sizeof(*ca->first));
    ca->rows = arena_alloc(ev->a, (max_series + 1) * sizeof(*ca->rows));
    ca->fk = arena_alloc(ev->a, (max_series + 1) * sizeof(*ca->fk));
    ca->fi = arena_alloc(ev->a, (max_series + 1) * sizeof(*ca->fi));
    ca->lp = arena_alloc(ev->a, (max_series + 1) * sizeof(*ca->lp));
    ca->in_k = arena_alloc(ev->a, (ca->ns + 1) * sizeof(*ca->in_k));
    ca->out_k = arena_alloc(ev->a, (ca->ns + 1) * sizeof(*ca->out_k));
    return ca;
}

/*
 * The next input series (in input order; at most max_series of them): its
 * values folded into its group's states, so the caller may reuse s's arrays.
 */
void pq_colagg_add(struct pq_colagg *ca, const struct pq_ser *s, uint64_t gkey)
{
    struct pq_eval *ev = ca->ev;
    int op = ca->op;
    size_t ns = ca->ns, i = ca->nin++;
    ca->lp[i] = &s->l;
    size_t p = gkey & (ca->cap - 1);
    while (ca->mk[p] && ca->mk[p] != gkey)
        p = (p + 1) & (ca->cap - 1);
    if (!ca->mk[p]) {
        ca->mk[p] = gkey;
        ca->mv[p] = ca->ng;
        ca->rows[ca->ng] = arena_alloc(ev->a, (ns + 1) * sizeof(struct colstate));
        ca->fk[ca->ng] = SIZE_MAX;
        ca->first[ca->ng++] = i;
    }
    size_t g = ca->mv[p];
    struct colstate *row = ca->rows[g];
    size_t *in_k = ca->in_k, *out_k = ca->out_k;
    /* Series in input order: each (group, step) sees its samples in step_vec's order. */
    for (size_t k = 0; k < ns; k++) {
        if (!s->ok[k])
            continue;
        double v = s->v[k];
        struct colstate *c = &row[k];
        in_k[k]++;
        if (!c->count++) {
            out_k[k]++;
            if (k < ca->fk[g]) {
                ca->fk[g] = k;
                ca->fi[g] = i;
            }
            c->value = op == T_STDVAR || op == T_STDDEV ? 0 : op == T_GROUP ? 1 : v;
            c->mean = v;
            continue;
        }
        switch (op) {
        case T_SUM:
            c->value += v;
            break;
        case T_AVG:
            if (isinf(c->mean)) {
                if (isinf(v) && (c->mean > 0) == (v > 0))
                    break;
                if (!isinf(v) && !isnan(v))
                    break;
            }
            c->mean += v / (double)c->count - c->mean / (double)c->count;
            break;
        case T_MAX:
            if (c->value < v || isnan(c->value))
                c->value = v;
            break;
        case T_MIN:
            if (c->value > v || isnan(c->value))
                c->value = v;
            break;
        case T_STDVAR:
        case T_STDDEV: {
            double delta = v - c->mean;
            c->mean += delta / (double)c->count;
            c->value += delta * (v - c->mean);
            break;
        }
        }
    }
}

int pq_aggr_columns(struct pq_eval *ev, const struct pq_node *n, const struct pq_val *in,
                    const uint64_t *gkeys, size_t held, size_t temp, struct pq_val *out)
{
    if (in->type != PQ_VECTOR)
        return 0;
    struct pq_colagg *ca = pq_colagg_new(ev, n, in->n);
    if (!ca)
        return 0;
    for (size_t i = 0; i < in->n; i++) {
        pq_check_deadline(ev);
        pq_colagg_add(ca, &in->s[i], gkeys[i]);
    }
    pq_colagg_finish(ca, held, temp, out);
    return 1;
}

void pq_colagg_finish(struct pq_colagg *ca, size_t held, size_t temp, struct pq_val *out)
{
    struct pq_eval *ev = ca->ev;
    const struct pq_node *n = ca->n;
    int op = ca->op;
    size_t ns = ca->ns, ng = ca->ng;
    size_t *in_k = ca->in_k, *out_k = ca->out_k, *fk = ca->fk, *fi = ca->fi;
    /* Output series in order of first appearance: by first step, then first series there. */
    size_t *order = arena_alloc(ev->a, (ng + 1) * sizeof(*order));
    size_t no = 0;
    for (size_t g = 0; g < ng; g++)
        if (fk[g] != SIZE_MAX)
            order[no++] = g;
    for (size_t a = 1; a < no; a++) { /* insertion sort: groups are few and mostly in order */
        size_t g = order[a], b = a;
        for (; b > 0 && (fk[order[b - 1]] > fk[g] ||
                         (fk[order[b - 1]] == fk[g] && fi[order[b - 1]] > fi[g]));
             b--)
            order[b] = order[b - 1];
        order[b] = g;
    }
    for (size_t j = 0; j < no; j++) {
        size_t g = order[j];
        struct labels l = group_labels(ev, ca->lp[ca->first[g]], &n->grouping, n->without, NULL);
        struct pq_ser *o = pq_val_add(ev, out, &l);
        const struct colstate *row = ca->rows[g];
        for (size_t k = 0; k < ns; k++) {
            const struct colstate *c = &row[k];
            if (!c->count)
                continue;
            double v = c->value;
            if (op == T_AVG)
                v = c->mean;
            else if (op == T_COUNT)
                v = (double)c->count;
            else if (op == T_STDVAR)
                v = c->value / (double)c->count;
            else if (op == T_STDDEV)
                v = sqrt(c->value / (double)c->count);
            o->v[k] = v;
            o->ok[k] = 1;
            o->cnt++;
        }
    }
    /* eval_steps' accounting, step by step: inputs and outputs so far held at once. */
    size_t outn = 0;
    for (size_t k = 0; k < ns; k++) {
        ev->cur_samples = temp + outn + in_k[k];
        pq_peak(ev, 0);
        pq_peak(ev, out_k[k]);
        outn += out_k[k];
        if (held + outn > ev->o->max_samples)
            pq_add_samples(ev, ev->o->max_samples + 1);
    }
    ev->cur_samples = held + outn;
    pq_peak(ev, 0);
}

uint64_t pq_colagg_key(const struct pq_colagg *ca, const struct labels *l)
{
    uint64_t k = pq_group_key(l, &ca->n->grouping, ca->n->without, NULL);
    return k ? k : 1;
}
