/*
 * selector: instant-vector selectors, range selectors and subqueries as the series a range
 * function reads, and the functions of range vectors over them: each series is read once
 * and a window slides over it, step after step (pure functions on two threads, rangepar).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "promql/eval.h"

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
    double t0 = pq_now();
    int rc = ev->q->select(ev->q->ctx, ev->a, vs->ms, vs->nms, mint, maxt, &h, set, &d);
    ev->t_select += pq_now() - t0;
    if (rc < 0) {
        char *msg = arena_strdup(ev->a, diag_last(&d));
        diag_release(&d);
        pq_fail(ev, PQ_ERR_EXECUTION, "%s", msg);
    }
    diag_release(&d);
}

struct pq_val *pq_eval_selector(struct pq_eval *ev, const struct pq_node *vs)
{
    int64_t first = sel_time(ev, vs, ev->start), last = sel_time(ev, vs, ev->end);
    int64_t mint = sat_sub(first, ev->o->lookback_ms), maxt = last;
    struct querier_set set;
    do_select(ev, vs, mint, maxt, 0, NULL, &set);
    struct pq_val *out = pq_val_new(ev, PQ_VECTOR);
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

const struct pq_node *pq_unparen(const struct pq_node *n)
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
    n = pq_unparen(n);
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
    struct pq_val *v = pq_eval_node(&sub, n->expr);
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
void pq_matrix_result(struct pq_eval *ev, const struct pq_node *n, struct pq_result *res)
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
struct pq_val *pq_eval_range_call(struct pq_eval *ev, const struct pq_node *n, size_t mi,
                                  const struct pq_node *agg, size_t held)
{
    const struct pq_func *f = n->func;
    struct pq_val *other[5] = {0};
    for (size_t i = 0; i < n->nargs; i++)
        if (i != mi)
            other[i] = pq_eval_node(ev, n->args[i]);
    size_t before = ev->cur_samples;
    struct range_src rs;
    eval_range_src(ev, n->args[mi], f->name, &rs);
    size_t src_held = ev->cur_samples - before; /* a subquery's result, freed at the end */
    struct pq_val *out = pq_val_new(ev, PQ_VECTOR);
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
                s = ca      ? pq_val_add_shared(ev, out, &l, sv, sok)
                    : par.v ? pq_val_add_shared(ev, out, &l, par.v[i], par.ok[i])
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
        struct pq_val *res = pq_val_new(ev, PQ_VECTOR);
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
    pq_check_dup_labelsets(ev, out);
    if (ca) {
        struct pq_val *res = pq_val_new(ev, PQ_VECTOR);
        pq_colagg_finish(ca, held, ev->cur_samples, res);
        return res;
    }
    return out;
}

/* The index of a call's range-vector argument, or SIZE_MAX. */
size_t pq_matrix_arg(const struct pq_node *n)
{
    for (size_t i = 0; i < n->nargs; i++)
        if (n->func->argt[i < (size_t)n->func->nargs ? i : (size_t)n->func->nargs - 1] == PQ_MATRIX)
            return i;
    return SIZE_MAX;
}
