/*
 * engine: the evaluator (see engine.h). Each node is evaluated over all the
 * steps of its evaluation at once. Selectors read each series once and walk
 * the steps with a cursor; functions of range vectors slide a window over
 * each series; everything else is computed step by step on the input
 * vectors (Prometheus's rangeEval), merging each step's output into series.
 */
#include "promql/engine.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/u64map.h"
#include "core/xmalloc.h"
#include "promql/eval.h"

void pq_opts_default(struct pq_opts *o)
{
    o->lookback_ms = 5 * 60 * 1000;
    o->max_samples = 50000000;
    o->timeout_s = 120;
    o->subquery_step_ms = 60 * 1000;
    o->gate = NULL;
    o->per_step_stats = 1;
    o->par_windows = RANGEPAR_MIN_WINDOWS;
}

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void pq_fail(struct pq_eval *ev, enum pq_errtype t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_reset(ev->err);
    strbuf_vaddf(ev->err, fmt, ap);
    va_end(ap);
    ev->errtype = t;
    longjmp(*ev->jb, 1);
}

void pq_check_deadline(struct pq_eval *ev)
{
    if (!ev->has_deadline || (++ev->checks & 63))
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > ev->deadline.tv_sec ||
        (now.tv_sec == ev->deadline.tv_sec && now.tv_nsec > ev->deadline.tv_nsec))
        pq_fail(ev, PQ_ERR_TIMEOUT, "query timed out in expression evaluation");
}

void pq_add_samples(struct pq_eval *ev, size_t n)
{
    ev->cur_samples += n;
    pq_peak(ev, 0);
    if (ev->cur_samples > ev->o->max_samples)
        pq_fail(ev, PQ_ERR_EXECUTION,
                "query processing would load too many samples into memory in query execution");
}

void pq_vec_push(struct pq_eval *ev, struct pq_vec *out, const struct labels *l, double v,
                 int64_t t)
{
    /* From the arena: an error's longjmp must not leak a step's vectors. */
    if (out->n == out->alloc) /* a call only when full: this runs for every sample */
        out->v = arena_grow(ev->a, out->v, out->n, &out->alloc, sizeof(*out->v), 16);
    out->v[out->n].l = l ? *l : (struct labels){0};
    out->v[out->n].v = v;
    out->v[out->n].t = t;
    out->v[out->n].gk = 0;
    out->v[out->n].lh = 0;
    out->n++;
}

struct labels pq_labels_from_builder(struct pq_eval *ev, struct labels_builder *b)
{
    struct labels l;
    labels_builder_finish(b, &l, NULL);
    struct label *v = arena_alloc(ev->a, (l.n + 1) * sizeof(*v));
    if (l.n)
        memcpy(v, l.v, l.n * sizeof(*v));
    return (struct labels){v, l.n};
}

struct labels pq_drop_name(struct pq_eval *ev, const struct labels *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].name, LABELS_METRIC_NAME))
            break;
    if (i == l->n)
        return *l;
    struct label *v = arena_alloc(ev->a, (l->n + 1) * sizeof(*v));
    size_t k = 0;
    for (size_t j = 0; j < l->n; j++)
        if (j != i)
            v[k++] = l->v[j];
    return (struct labels){v, k};
}

static int in_list(const struct pq_strlist *names, const char *n)
{
    for (size_t i = 0; i < names->n; i++)
        if (!strcmp(names->v[i], n))
            return 1;
    return 0;
}

uint64_t pq_sig(const struct labels *l, int on, const struct pq_strlist *names)
{
    uint64_t h = 0x12345;
    for (size_t i = 0; i < l->n; i++) {
        const char *n = l->v[i].name;
        int keep = on ? in_list(names, n) : (!in_list(names, n) && strcmp(n, LABELS_METRIC_NAME));
        if (!keep)
            continue;
        h = hash_mix(h, hash_bytes(n, strlen(n), 1));
        h = hash_mix(h, hash_bytes(l->v[i].value, strlen(l->v[i].value), 2));
    }
    return h;
}

/* ---- series sets over steps ---- */

static struct pq_val *val_new(struct pq_eval *ev, enum pq_type t)
{
    struct pq_val *v = arena_alloc(ev->a, sizeof(*v));
    v->type = t;
    if (t == PQ_SCALAR)
        v->sc = arena_alloc(ev->a, ev->nsteps * sizeof(double));
    return v;
}

/* A new, unfilled series at the end of v (the array doubles in the evaluation's arena). */
static struct pq_ser *val_slot(struct pq_eval *ev, struct pq_val *v, const struct labels *l)
{
    struct pq_ser *s;

    if (v->n == v->alloc)
        v->s = arena_grow(ev->a, v->s, v->n, &v->alloc, sizeof(*v->s), 8);
    s = &v->s[v->n++];
    s->l = *l;
    return s;
}

struct pq_ser *pq_val_add(struct pq_eval *ev, struct pq_val *v, const struct labels *l)
{
    struct pq_ser *s = val_slot(ev, v, l);
    s->v = arena_alloc(ev->a, ev->nsteps * sizeof(double));
    s->ok = arena_alloc(ev->a, ev->nsteps);
    return s;
}

/* A series of v whose values live in shared arrays (a range function feeding pq_colagg). */
static struct pq_ser *val_add_shared(struct pq_eval *ev, struct pq_val *v, const struct labels *l,
                                     double *sv, unsigned char *sok)
{
    struct pq_ser *s = val_slot(ev, v, l);
    s->v = sv;
    s->ok = sok;
    return s;
}

static void check_dup_labelsets(struct pq_eval *ev, struct pq_val *v)
{
    struct u64map m = {0};
    int added = 1;

    for (size_t i = 0; i < v->n && added; i++)
        u64map_put(&m, labels_hash(&v->s[i].l), &added);
    u64map_release(&m);
    if (!added)
        pq_fail(ev, PQ_ERR_EXECUTION, "vector cannot contain metrics with the same labelset");
}

static int builder_has(const struct labels_builder *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->v[i].name, name))
            return 1;
    return 0;
}

/*
 * createLabelsForAbsentFunction: the selector's equality matchers become
 * labels, except names that occur twice or with another matcher type.
 */
void pq_absent_labels(struct labels_builder *b, const struct pq_node *vs)
{
    char *drop[64];
    size_t nd = 0;
    for (size_t m = 0; m < vs->nms; m++) {
        if (!strcmp(vs->ms[m].name, LABELS_METRIC_NAME))
            continue;
        if (vs->ms[m].type == MATCH_EQ && !builder_has(b, vs->ms[m].name))
            labels_builder_set(b, vs->ms[m].name, vs->ms[m].value);
        else if (nd < 64)
            drop[nd++] = vs->ms[m].name;
    }
    for (size_t i = 0; i < nd; i++)
        labels_builder_del(b, drop[i]);
}

/* Saturating time arithmetic: hostile offsets and ranges must not overflow. */
static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b > 0 ? INT64_MIN : INT64_MAX;
    return r;
}

/* ---- selectors ---- */

static int64_t sel_time(struct pq_eval *ev, const struct pq_node *vs, int64_t ts)
{
    (void)ev;
    return sat_sub(vs->at_mode != AT_NONE ? vs->at : ts, vs->offset);
}

/* Read every sample of the series in [mint, maxt]; drop stale markers when asked. */
static void load_series(struct pq_eval *ev, const struct querier_series *qs, int64_t mint,
                        int64_t maxt, int keep_stale, struct pq_raw *out)
{
    struct diag d;
    diag_init(&d);
    size_t alloc = 0;
    out->l = qs->labels;
    out->t = NULL;
    out->v = NULL;
    out->n = 0;
    int r = qs->it->ops->seek(qs->it, mint, &d);
    int64_t *t = NULL;
    double *v = NULL;
    while (r == 1) {
        int64_t st;
        double sv;
        qs->it->ops->at(qs->it, &st, &sv);
        if (st > maxt)
            break;
        if (keep_stale || !pq_is_stale(sv)) {
            if (out->n == alloc) {
                alloc = alloc ? alloc * 2 : 64;
                t = xrealloc(t, alloc * sizeof(*t));
                v = xrealloc(v, alloc * sizeof(*v));
            }
            t[out->n] = st;
            v[out->n] = sv;
            out->n++;
        }
        r = qs->it->ops->next(qs->it, &d);
    }
    if (r < 0) {
        char *msg = arena_strdup(ev->a, diag_last(&d));
        diag_release(&d);
        free(t);
        free(v);
        pq_fail(ev, PQ_ERR_EXECUTION, "%s", msg);
    }
    diag_release(&d);
    out->t = arena_alloc(ev->a, (out->n + 1) * sizeof(*t));
    out->v = arena_alloc(ev->a, (out->n + 1) * sizeof(*v));
    if (out->n) {
        memcpy(out->t, t, out->n * sizeof(*t));
        memcpy(out->v, v, out->n * sizeof(*v));
    }
    free(t);
    free(v);
}

static void do_select(struct pq_eval *ev, const struct pq_node *vs, int64_t mint, int64_t maxt,
                      int64_t range, const char *func, struct querier_set *set)
{
    struct querier_hints h = {mint, maxt, ev->nsteps > 1 ? ev->interval : 0, range, func};
    struct diag d;
    diag_init(&d);
    double t0 = mono_now();
    int rc = ev->q->select(ev->q->ctx, ev->a, vs->ms, vs->nms, mint, maxt, &h, set, &d);
    ev->t_select += mono_now() - t0;
    if (rc < 0) {
        char *msg = arena_strdup(ev->a, diag_last(&d));
        diag_release(&d);
        pq_fail(ev, PQ_ERR_EXECUTION, "%s", msg);
    }
    diag_release(&d);
}

static struct pq_val *eval_vs(struct pq_eval *ev, const struct pq_node *vs)
{
    int64_t first = sel_time(ev, vs, ev->start), last = sel_time(ev, vs, ev->end);
    int64_t mint = sat_sub(first, ev->o->lookback_ms), maxt = last;
    struct querier_set set;
    do_select(ev, vs, mint, maxt, 0, NULL, &set);
    struct pq_val *out = val_new(ev, PQ_VECTOR);
    for (size_t i = 0; i < set.n; i++) {
        pq_check_deadline(ev);
        struct pq_raw r;
        load_series(ev, &set.v[i], mint, maxt, 1, &r);
        struct pq_ser *s = NULL;
        size_t j = 0;
        for (size_t k = 0; k < ev->nsteps; k++) {
            int64_t ref = sel_time(ev, vs, ev->start + (int64_t)k * ev->interval);
            while (j < r.n && r.t[j] <= ref)
                j++;
            if (j == 0)
                continue;
            int64_t st = r.t[j - 1];
            double sv = r.v[j - 1];
            if (st < sat_sub(ref, ev->o->lookback_ms) || pq_is_stale(sv))
                continue;
            if (!s) {
                s = pq_val_add(ev, out, &r.l);
                s->ts = arena_alloc(ev->a, ev->nsteps * sizeof(int64_t));
            }
            s->v[k] = sv;
            s->ok[k] = 1;
            s->ts[k] = st;
            s->cnt++;
            pq_count(ev, k, 1);
        }
        if (s)
            pq_add_samples(ev, s->cnt);
    }
    if (set.release)
        set.release(&set);
    return out;
}

/* The series of a range selector or subquery, for a function of a range vector. */
struct range_src {
    struct pq_raw *s;
    size_t n;
    int64_t range, offset;
    enum pq_at at_mode;
    int64_t at;
    const struct pq_node *vs; /* the selector, when not a subquery */
    int64_t sub_total;        /* a subquery's own queryable samples */
};

static struct pq_val *eval_node(struct pq_eval *ev, const struct pq_node *n);

static const struct pq_node *unparen(const struct pq_node *n)
{
    while (n->kind == N_PAREN)
        n = n->expr;
    return n;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static void eval_range_src(struct pq_eval *ev, const struct pq_node *n, const char *func,
                           struct range_src *rs)
{
    n = unparen(n);
    memset(rs, 0, sizeof(*rs));
    rs->range = n->range;
    if (n->kind == N_MS) {
        const struct pq_node *vs = n->expr;
        rs->vs = vs;
        rs->offset = vs->offset;
        rs->at_mode = vs->at_mode;
        rs->at = vs->at;
        int64_t mint = sat_sub(sel_time(ev, vs, ev->start), n->range),
                maxt = sel_time(ev, vs, ev->end);
        struct querier_set set;
        do_select(ev, vs, mint, maxt, n->range, func, &set);
        rs->s = arena_alloc(ev->a, (set.n + 1) * sizeof(*rs->s));
        for (size_t i = 0; i < set.n; i++) {
            pq_check_deadline(ev);
            load_series(ev, &set.v[i], mint, maxt, 0, &rs->s[rs->n]);
            rs->n++;
        }
        if (set.release)
            set.release(&set);
        return;
    }
    /* Subquery: evaluate the inner expression on its own step grid. */
    rs->offset = n->offset;
    rs->at_mode = n->at_mode;
    rs->at = n->at;
    struct pq_eval sub = *ev;
    sub.interval = n->step ? n->step : ev->o->subquery_step_ms;
    int64_t base_start = sat_sub(n->at_mode != AT_NONE ? n->at : ev->start, n->offset);
    int64_t base_end = sat_sub(n->at_mode != AT_NONE ? n->at : ev->end, n->offset);
    int64_t from = sat_sub(base_start, n->range);
    sub.start = sub.interval * floordiv(from, sub.interval);
    if (sub.start < from && sub.start <= INT64_MAX - sub.interval)
        sub.start += sub.interval;
    sub.end = base_end;
    if (sub.end < sub.start) {
        rs->s = arena_alloc(ev->a, sizeof(*rs->s));
        return;
    }
    /* Every step of a subquery is a sample it holds: past the limit, stop before allocating. */
    if ((uint64_t)sub.end - (uint64_t)sub.start >= (uint64_t)sub.interval * ev->o->max_samples)
        pq_fail(ev, PQ_ERR_EXECUTION,
                "query processing would load too many samples into memory in query execution");
    sub.nsteps = (size_t)((sub.end - sub.start) / sub.interval) + 1;
    /* A subquery counts its samples apart (Prometheus's NewChild): only its peak carries over. */
    sub.per_step = NULL;
    sub.total_samples = 0;
    struct pq_val *v = eval_node(&sub, n->expr);
    ev->cur_samples = sub.cur_samples;
    if (sub.peak > ev->peak)
        ev->peak = sub.peak;
    rs->sub_total = sub.total_samples;
    ev->t_select = sub.t_select;
    ev->checks = sub.checks;
    rs->s = arena_alloc(ev->a, (v->n + 1) * sizeof(*rs->s));
    for (size_t i = 0; i < v->n; i++) {
        struct pq_raw *r = &rs->s[rs->n++];
        r->l = v->s[i].l;
        r->t = arena_alloc(ev->a, (v->s[i].cnt + 1) * sizeof(int64_t));
        r->v = arena_alloc(ev->a, (v->s[i].cnt + 1) * sizeof(double));
        for (size_t k = 0; k < sub.nsteps; k++) {
            if (!v->s[i].ok[k])
                continue;
            r->t[r->n] = sub.start + (int64_t)k * sub.interval;
            r->v[r->n] = v->s[i].v[k];
            r->n++;
        }
    }
}

static int64_t src_maxt(const struct range_src *rs, int64_t ts)
{
    return sat_sub(rs->at_mode != AT_NONE ? rs->at : ts, rs->offset);
}

/* Top-level range vector (instant query of foo[5m] or a subquery): raw samples. */
static void eval_matrix_result(struct pq_eval *ev, const struct pq_node *n, struct pq_result *res)
{
    struct range_src rs;
    eval_range_src(ev, n, NULL, &rs);
    if (!rs.vs)
        pq_count(ev, 0, rs.sub_total);
    int64_t maxt = src_maxt(&rs, ev->start), mint = sat_sub(maxt, rs.range);
    res->type = PQ_MATRIX;
    res->s = arena_alloc(ev->a, (rs.n + 1) * sizeof(*res->s));
    for (size_t i = 0; i < rs.n; i++) {
        struct pq_raw *r = &rs.s[i];
        struct pq_series *o = &res->s[res->n];
        o->p = arena_alloc(ev->a, (r->n + 1) * sizeof(*o->p));
        for (size_t k = 0; k < r->n; k++)
            if (r->t[k] >= mint && r->t[k] <= maxt)
                o->p[o->n++] = (struct pq_point){r->t[k], r->v[k]};
        if (rs.vs) {
            pq_count(ev, 0, (int64_t)o->n);
            pq_add_samples(ev, o->n); /* matrixIterSlice holds them all */
        }
        if (o->n) {
            o->labels = r->l;
            res->n++;
        }
    }
}

/* ---- functions of range vectors: each series once, a sliding window ---- */

/* The values of every series of rs for a pure function, on two threads (rangepar in eval.h), into
 * arrays that become the output series' own. */
static void range_par(struct pq_eval *ev, const struct range_src *rs, const struct pq_call *c,
                      int resets, struct rangepar *p)
{
    int64_t *ts = arena_alloc(ev->a, 3 * ev->nsteps * sizeof(*ts));
    double *v = arena_alloc(ev->a, rs->n * ev->nsteps * sizeof(*v));
    unsigned char *ok = arena_alloc(ev->a, rs->n * ev->nsteps);

    p->f = c->node->func;
    p->proto = *c;
    p->s = rs->s;
    p->n = rs->n;
    p->nsteps = ev->nsteps;
    p->ts = ts;
    p->mint = ts + ev->nsteps;
    p->maxt = ts + 2 * ev->nsteps;
    for (size_t k = 0; k < ev->nsteps; k++) {
        ts[k] = ev->start + (int64_t)k * ev->interval;
        ts[2 * ev->nsteps + k] = src_maxt(rs, ts[k]);
        ts[ev->nsteps + k] = sat_sub(ts[2 * ev->nsteps + k], rs->range);
    }
    p->resets = resets;
    p->dline = ev->has_deadline ? &ev->deadline : NULL;
    p->v = arena_alloc(ev->a, rs->n * sizeof(*p->v));
    p->ok = arena_alloc(ev->a, rs->n * sizeof(*p->ok));
    for (size_t i = 0; i < rs->n; i++) {
        p->v[i] = v + i * ev->nsteps;
        p->ok[i] = ok + i * ev->nsteps;
    }
    if (rangepar_run(p) < 0)
        pq_fail(ev, PQ_ERR_TIMEOUT, "query timed out in expression evaluation");
}

/*
 * agg: an aggregation of this call that pq_colagg can do (else NULL): each
 * series goes into it as it is computed, into one reused value array, and
 * the aggregation's result is returned (held: samples before the call).
 */
static struct pq_val *eval_range_call(struct pq_eval *ev, const struct pq_node *n, size_t mi,
                                      const struct pq_node *agg, size_t held)
{
    const struct pq_func *f = n->func;
    struct pq_val *other[5] = {0};
    for (size_t i = 0; i < n->nargs; i++)
        if (i != mi)
            other[i] = eval_node(ev, n->args[i]);
    size_t before = ev->cur_samples;
    struct range_src rs;
    eval_range_src(ev, n->args[mi], f->name, &rs);
    size_t src_held = ev->cur_samples - before; /* a subquery's result, freed at the end */
    struct pq_val *out = val_new(ev, PQ_VECTOR);
    struct pq_colagg *ca = agg ? pq_colagg_new(ev, agg, rs.n) : NULL;
    double *sv = NULL;
    unsigned char *sok = NULL;
    if (ca) {
        sv = arena_alloc(ev->a, (ev->nsteps + 1) * sizeof(*sv));
        sok = arena_alloc(ev->a, ev->nsteps + 1);
    }
    struct pq_call c = {.ev = ev, .node = n, .nargs = n->nargs, .range = rs.range};
    size_t peak = 0;
    /* rate and increase skip their reset scan over windows without a counter reset. */
    uint32_t *resets = NULL;
    if (!strcmp(f->name, "rate") || !strcmp(f->name, "increase")) {
        size_t maxn = 0;
        for (size_t i = 0; i < rs.n; i++)
            if (rs.s[i].n > maxn)
                maxn = rs.s[i].n;
        resets = arena_alloc(ev->a, (maxn + 1) * sizeof(*resets));
    }
    /* A large call of a pure function without an aggregation: values on two threads first. */
    struct rangepar par = {0};
    if (!ca && f->pure && rs.n > 1 && ev->o->par_windows && rs.n * ev->nsteps >= ev->o->par_windows)
        range_par(ev, &rs, &c, resets != NULL, &par);
    for (size_t i = 0; i < rs.n; i++) {
        struct pq_raw *r = &rs.s[i];
        struct pq_ser *s = NULL;
        size_t lo = 0, hi = 0, lastw = 0;
        c.series = &r->l;
        if (resets && !par.v) {
            for (size_t j = 0; j < r->n; j++)
                resets[j] = (j ? resets[j - 1] : 0) + (j && r->v[j] < r->v[j - 1]);
        }
        for (size_t k = 0; k < ev->nsteps; k++) {
            pq_check_deadline(ev);
            int64_t ts = ev->start + (int64_t)k * ev->interval;
            int64_t maxt = src_maxt(&rs, ts), mint = sat_sub(maxt, rs.range);
            while (hi < r->n && r->t[hi] <= maxt)
                hi++;
            while (lo < hi && r->t[lo] < mint)
                lo++;
            lastw = hi - lo;
            pq_peak(ev, lastw); /* matrixIterSlice holds the window */
            if (hi == lo)
                continue;
            if (hi - lo > peak)
                peak = hi - lo;
            for (size_t j = 0; j < n->nargs; j++)
                if (other[j] && other[j]->type == PQ_SCALAR)
                    c.sargs[j] = other[j]->sc[k];
            c.ts = ts;
            c.range_start = mint;
            c.range_end = maxt;
            double v;
            int got;
            if (par.v) {
                v = par.v[i][k];
                got = par.ok[i][k];
            } else {
                c.resets = resets ? resets + lo : NULL;
                got = f->range(&c, r->t + lo, r->v + lo, hi - lo, &v);
            }
            pq_count(ev, k, (int64_t)(hi - lo));
            if (!got)
                continue;
            if (!s) {
                struct labels l = f->keep_name ? r->l : pq_drop_name(ev, &r->l);
                s = ca      ? val_add_shared(ev, out, &l, sv, sok)
                    : par.v ? val_add_shared(ev, out, &l, par.v[i], par.ok[i])
                            : pq_val_add(ev, out, &l);
            }
            s->v[k] = v;
            s->ok[k] = 1;
            s->cnt++;
        }
        if (s)
            pq_add_samples(ev, s->cnt);
        if (s && ca) {
            pq_colagg_add(ca, s, pq_colagg_key(ca, &s->l));
            memset(sok, 0, ev->nsteps);
        }
        pq_peak(ev, lastw);
    }
    if (ev->cur_samples + peak > ev->o->max_samples)
        pq_add_samples(ev, peak);
    ev->cur_samples -= src_held;
    if (!strcmp(f->name, "absent_over_time")) {
        struct pq_val *res = val_new(ev, PQ_VECTOR);
        struct pq_ser *s = NULL;
        for (size_t k = 0; k < ev->nsteps; k++) {
            int any = 0;
            for (size_t i = 0; i < out->n && !any; i++)
                any = out->s[i].ok[k];
            if (any)
                continue;
            if (!s) {
                struct labels_builder b;
                labels_builder_init(&b);
                const struct pq_node *a = n->args[0];
                if (a->kind == N_MS) {
                    const struct pq_node *vs = a->expr;
                    pq_absent_labels(&b, vs);
                }
                struct labels l = pq_labels_from_builder(ev, &b);
                labels_builder_release(&b);
                s = pq_val_add(ev, res, &l);
            }
            s->v[k] = 1;
            s->ok[k] = 1;
            s->cnt++;
        }
        return res;
    }
    check_dup_labelsets(ev, out);
    if (ca) {
        struct pq_val *res = val_new(ev, PQ_VECTOR);
        pq_colagg_finish(ca, held, ev->cur_samples, res);
        return res;
    }
    return out;
}

/* The index of a call's range-vector argument, or SIZE_MAX. */
static size_t matrix_arg(const struct pq_node *n)
{
    for (size_t i = 0; i < n->nargs; i++)
        if (n->func->argt[i < (size_t)n->func->nargs ? i : (size_t)n->func->nargs - 1] == PQ_MATRIX)
            return i;
    return SIZE_MAX;
}

/* ---- everything else, step by step ---- */

enum step_kind { SK_CALL, SK_BIN, SK_AGG, SK_UNARY };

static void step_vec(struct pq_eval *ev, struct pq_val *v, size_t k, int64_t ts,
                     const uint64_t *gkeys, struct pq_vec *out)
{
    out->n = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (!v->s[i].ok[k])
            continue;
        if (out->n == out->alloc)
            pq_vec_push(ev, out, &v->s[i].l, 0, 0); /* grows it */
        else
            out->n++;
        struct pq_sample *s = &out->v[out->n - 1];
        s->l = v->s[i].l;
        s->v = v->s[i].v[k];
        s->t = v->s[i].ts ? v->s[i].ts[k] : ts;
        s->gk = gkeys ? gkeys[i] : 0;
        s->lh = 0;
    }
}

static struct pq_val *eval_steps(struct pq_eval *ev, const struct pq_node *n, enum step_kind kind)
{
    struct pq_val *args[5] = {0};
    const struct pq_node *an[5] = {0};
    size_t na = 0;
    switch (kind) {
    case SK_CALL:
        for (size_t i = 0; i < n->nargs && i < 5; i++)
            an[na++] = n->args[i];
        break;
    case SK_BIN:
        an[0] = n->lhs;
        an[1] = n->rhs;
        na = 2;
        break;
    case SK_AGG:
        an[0] = n->expr;
        na = 1;
        if (n->param)
            an[na++] = n->param;
        break;
    case SK_UNARY:
        an[0] = n->expr;
        na = 1;
        break;
    }
    size_t held = ev->cur_samples;
    /* sum(rate(x[5m])) and the like: the function's series straight into the aggregation. */
    if (kind == SK_AGG && !n->param) {
        const struct pq_node *e = unparen(n->expr);
        size_t mi = e->kind == N_CALL ? matrix_arg(e) : SIZE_MAX;
        if (mi != SIZE_MAX && strcmp(e->func->name, "absent_over_time") && pq_colagg_ok(n))
            return eval_range_call(ev, e, mi, n, held);
    }
    for (size_t i = 0; i < na; i++)
        args[i] = eval_node(ev, an[i]);
    /* Prometheus's rangeEval holds its inputs' samples (not for unary minus, done in place). */
    size_t temp = ev->cur_samples;
    int track = kind != SK_UNARY;
    enum pq_type rt = pq_node_type(n);
    struct pq_val *out = val_new(ev, rt);
    struct pq_vec vecs[5] = {{0}}, res = {0};
    struct u64map map;
    u64map_init(&map, ev->a); /* in the arena: pq_fail may leave at any step */
    struct pq_call c = {.ev = ev, .node = n, .nargs = na};
    size_t outn = 0;
    /* Aggregations: each input series' grouping key once, not once per step. */
    uint64_t *gkeys = NULL;
    if (kind == SK_AGG && n->op != T_COUNT_VALUES && args[0]->type == PQ_VECTOR) {
        gkeys = arena_alloc(ev->a, (args[0]->n + 1) * sizeof(*gkeys));
        for (size_t i = 0; i < args[0]->n; i++) {
            gkeys[i] = pq_group_key(&args[0]->s[i].l, &n->grouping, n->without, NULL);
            if (!gkeys[i])
                gkeys[i] = 1;
        }
    }
    if (gkeys && pq_aggr_columns(ev, n, args[0], gkeys, held, temp, out))
        return out;
    /* Vector-vector operators: each series' matching signature once, not once per step. */
    uint64_t *sigs[2] = {NULL, NULL};
    struct pq_bincache bcache = {0};
    if (kind == SK_BIN && args[0]->type == PQ_VECTOR && args[1]->type == PQ_VECTOR) {
        for (int j = 0; j < 2; j++) {
            sigs[j] = arena_alloc(ev->a, (args[j]->n + 1) * sizeof(*sigs[j]));
            for (size_t i = 0; i < args[j]->n; i++)
                sigs[j][i] = pq_sig(&args[j]->s[i].l, n->on, &n->match_labels);
        }
    }
    for (size_t k = 0; k < ev->nsteps; k++) {
        pq_check_deadline(ev);
        int64_t ts = ev->start + (int64_t)k * ev->interval;
        for (size_t i = 0; i < na; i++) {
            if (args[i]->type == PQ_VECTOR) {
                step_vec(ev, args[i], k, ts,
                         i == 0 && gkeys ? gkeys
                         : i < 2         ? sigs[i]
                                         : NULL,
                         &vecs[i]);
                c.vargs[i] = &vecs[i];
            } else if (args[i]->type == PQ_SCALAR) {
                c.sargs[i] = args[i]->sc[k];
            } else {
                c.strargs[i] = args[i]->str;
            }
        }
        c.ts = ts;
        if (track) {
            ev->cur_samples = temp + outn;
            for (size_t i = 0; i < na; i++) {
                if (args[i]->type == PQ_VECTOR)
                    ev->cur_samples += vecs[i].n;
                else if (args[i]->type == PQ_SCALAR)
                    ev->cur_samples++;
                pq_peak(ev, 0);
            }
        }
        res.n = 0;
        switch (kind) {
        case SK_CALL:
            n->func->step(&c, &res);
            break;
        case SK_BIN:
            pq_binop_step(ev, n, c.vargs[0], c.vargs[1], c.sargs[0], c.sargs[1], &res, &bcache);
            break;
        case SK_AGG:
            pq_aggr_step(ev, n, c.vargs[0], c.sargs[1], c.strargs[1], &res);
            break;
        case SK_UNARY:
            if (args[0]->type == PQ_SCALAR) {
                pq_vec_push(ev, &res, NULL, n->op == T_SUB ? -c.sargs[0] : c.sargs[0], ts);
            } else {
                for (size_t i = 0; i < vecs[0].n; i++) {
                    struct pq_sample *s = &vecs[0].v[i];
                    if (n->op == T_SUB) {
                        struct labels l = pq_drop_name(ev, &s->l);
                        pq_vec_push(ev, &res, &l, -s->v, ts);
                    } else {
                        pq_vec_push(ev, &res, &s->l, s->v, ts);
                    }
                }
            }
            break;
        }
        if (track)
            pq_peak(ev, res.n ? res.n : rt == PQ_SCALAR);
        if (rt == PQ_SCALAR) {
            out->sc[k] = res.n ? res.v[0].v : NAN;
            outn++;
            continue;
        }
        /* Merge the step's vector into the output series. */
        struct u64map seen = {0};
        for (size_t i = 0; i < res.n; i++) {
            uint64_t h = res.v[i].lh ? res.v[i].lh : labels_hash(&res.v[i].l);
            int added;
            u64map_put(&seen, h, &added);
            if (!added) {
                u64map_release(&seen);
                pq_fail(ev, PQ_ERR_EXECUTION,
                        "vector cannot contain metrics with the same labelset");
            }
            size_t *idx = u64map_put(&map, h, &added);
            if (added) {
                *idx = out->n;
                struct labels l = res.v[i].l;
                pq_val_add(ev, out, &l);
            }
            struct pq_ser *s = &out->s[*idx];
            s->v[k] = res.v[i].v;
            s->ok[k] = 1;
            s->cnt++;
        }
        u64map_release(&seen);
        outn += res.n;
        if (held + outn > ev->o->max_samples)
            pq_add_samples(ev, ev->o->max_samples + 1);
    }
    ev->cur_samples = held + outn;
    pq_peak(ev, 0);
    return out;
}

static struct pq_val *eval_node(struct pq_eval *ev, const struct pq_node *n)
{
    switch (n->kind) {
    case N_NUM: {
        struct pq_val *v = val_new(ev, PQ_SCALAR);
        for (size_t k = 0; k < ev->nsteps; k++)
            v->sc[k] = n->num;
        ev->cur_samples += ev->nsteps; /* one sample per step, as rangeEval gives */
        pq_peak(ev, 0);
        return v;
    }
    case N_STR: {
        struct pq_val *v = val_new(ev, PQ_STRING);
        v->str = n->str;
        return v;
    }
    case N_PAREN:
        return eval_node(ev, n->expr);
    case N_VS:
        return eval_vs(ev, n);
    case N_MS:
    case N_SUBQ:
        pq_fail(ev, PQ_ERR_EXECUTION, "unexpected range vector in evaluation");
    case N_UNARY:
        return eval_steps(ev, n, SK_UNARY);
    case N_BIN:
        return eval_steps(ev, n, SK_BIN);
    case N_AGG:
        return eval_steps(ev, n, SK_AGG);
    case N_CALL: {
        size_t mi = matrix_arg(n);
        if (mi != SIZE_MAX)
            return eval_range_call(ev, n, mi, NULL, 0);
        return eval_steps(ev, n, SK_CALL);
    }
    }
    pq_fail(ev, PQ_ERR_EXECUTION, "unknown node");
}

/* start() and end() become timestamps, as Prometheus's PreprocessExpr does. */
static void resolve_at(struct pq_node *n, int64_t start, int64_t end)
{
    if (!n)
        return;
    if (n->at_mode == AT_START) {
        n->at = start;
    } else if (n->at_mode == AT_END) {
        n->at = end;
    }
    resolve_at(n->expr, start, end);
    resolve_at(n->lhs, start, end);
    resolve_at(n->rhs, start, end);
    resolve_at(n->param, start, end);
    for (size_t i = 0; i < n->nargs; i++)
        resolve_at(n->args[i], start, end);
}

static int cmp_series(const void *a, const void *b)
{
    return labels_cmp(&((const struct pq_series *)a)->labels,
                      &((const struct pq_series *)b)->labels);
}

static enum pq_errtype eval_gated(struct pq_eval *evp, struct pq_node *expr, int64_t start,
                                  int64_t end, int64_t step, struct pq_result *res);

static void fill_stats(const struct pq_eval *ev, struct pq_result *res, double t_start)
{
    res->total_samples = ev->total_samples;
    res->peak_samples = ev->peak;
    res->per_step = ev->per_step;
    res->t_prepare = ev->t_select;
    res->t_inner_eval = mono_now() - t_start - ev->t_select;
    if (res->t_inner_eval < 0)
        res->t_inner_eval = 0;
}

enum pq_errtype promql_eval(struct arena *a, const struct querier *q, const struct pq_opts *o,
                            struct pq_node *expr, int64_t start, int64_t end, int64_t step,
                            struct pq_result *res, struct strbuf *err)
{
    struct pq_eval ev = {.a = a,
                         .q = q,
                         .o = o,
                         .start = start,
                         .end = end,
                         .interval = step ? step : 1,
                         .qstart = start,
                         .qend = end,
                         .err = err};
    ev.nsteps = step ? (size_t)((end - start) / step) + 1 : 1;
    if (!step)
        ev.end = start;
    if (o->timeout_s > 0) {
        clock_gettime(CLOCK_MONOTONIC, &ev.deadline);
        double s = o->timeout_s;
        ev.deadline.tv_sec += (time_t)s;
        ev.deadline.tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
        if (ev.deadline.tv_nsec >= 1000000000L) {
            ev.deadline.tv_sec++;
            ev.deadline.tv_nsec -= 1000000000L;
        }
        ev.has_deadline = 1;
    }
    memset(res, 0, sizeof(*res));
    res->nsteps = ev.nsteps;
    res->start = start;
    res->interval = ev.interval;
    if (o->per_step_stats) {
        ev.per_step = arena_alloc(a, ev.nsteps * sizeof(*ev.per_step));
        memset(ev.per_step, 0, ev.nsteps * sizeof(*ev.per_step));
    }
    double t0 = mono_now();
    if (o->gate && promql_gate_enter(o->gate, ev.has_deadline ? &ev.deadline : NULL) < 0) {
        strbuf_reset(err);
        strbuf_adds(err, "query timed out in query queue");
        return PQ_ERR_TIMEOUT;
    }
    double t1 = mono_now();
    enum pq_errtype rc = eval_gated(&ev, expr, start, end, step, res);
    if (o->gate)
        promql_gate_leave(o->gate);
    res->t_exec_queue = t1 - t0;
    res->t_eval_total = mono_now() - t1;
    return rc;
}

static enum pq_errtype eval_gated(struct pq_eval *evp, struct pq_node *expr, int64_t start,
                                  int64_t end, int64_t step, struct pq_result *res)
{
    struct pq_eval ev = *evp;
    double t_start = mono_now();
    jmp_buf jb;
    ev.jb = &jb;
    struct arena *a = ev.a;
    (void)end;
    resolve_at(expr, start, step ? end : start);
    if (setjmp(jb))
        return ev.errtype;
    enum pq_type t = pq_node_type(expr);
    if (t == PQ_MATRIX) {
        if (step)
            pq_fail(
                &ev, PQ_ERR_BAD_DATA,
                "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector");
        eval_matrix_result(&ev, expr, res);
        res->t = start;
        fill_stats(&ev, res, t_start);
        return PQ_ERR_NONE;
    }
    if (t == PQ_STRING && step)
        pq_fail(
            &ev, PQ_ERR_BAD_DATA,
            "invalid expression type \"string\" for range query, must be Scalar or instant Vector");
    struct pq_val *v = eval_node(&ev, expr);
    res->t = start;
    fill_stats(&ev, res, t_start);
    if (t == PQ_STRING) {
        res->type = PQ_STRING;
        res->str = v->str;
        return PQ_ERR_NONE;
    }
    if (t == PQ_SCALAR && !step) {
        res->type = PQ_SCALAR;
        res->scalar = v->sc[0];
        return PQ_ERR_NONE;
    }
    if (t == PQ_SCALAR) {
        res->type = PQ_MATRIX;
        res->s = arena_alloc(a, sizeof(*res->s));
        res->n = 1;
        res->s->p = arena_alloc(a, ev.nsteps * sizeof(struct pq_point));
        for (size_t k = 0; k < ev.nsteps; k++)
            res->s->p[res->s->n++] = (struct pq_point){start + (int64_t)k * step, v->sc[k]};
        return PQ_ERR_NONE;
    }
    res->type = step ? PQ_MATRIX : PQ_VECTOR;
    res->s = arena_alloc(a, (v->n + 1) * sizeof(*res->s));
    for (size_t i = 0; i < v->n; i++) {
        struct pq_ser *s = &v->s[i];
        if (!s->cnt)
            continue;
        struct pq_series *o2 = &res->s[res->n++];
        o2->labels = s->l;
        o2->p = arena_alloc(a, s->cnt * sizeof(struct pq_point));
        for (size_t k = 0; k < ev.nsteps; k++)
            if (s->ok[k])
                o2->p[o2->n++] = (struct pq_point){start + (int64_t)k * ev.interval, s->v[k]};
    }
    double t_sort = mono_now();
    if (step && res->n)
        qsort(res->s, res->n, sizeof(*res->s), cmp_series);
    if (step)
        res->t_result_sort = mono_now() - t_sort;
    return PQ_ERR_NONE;
}
