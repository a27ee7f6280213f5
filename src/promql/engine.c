/*
 * engine: the evaluator (see engine.h). Each node is evaluated over all the
 * steps of its evaluation at once. Selectors read each series once and walk
 * the steps with a cursor, and functions of range vectors slide a window over
 * each series (selector.c); everything else is computed here step by step on
 * the input vectors (Prometheus's rangeEval), merging each step's output into
 * series.
 */
#include "promql/engine.h"

#include <math.h>
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
        const struct pq_node *e = pq_unparen(n->expr);
        size_t mi = e->kind == N_CALL ? pq_matrix_arg(e) : SIZE_MAX;
        if (mi != SIZE_MAX && strcmp(e->func->name, "absent_over_time") && pq_colagg_ok(n))
            return pq_eval_range_call(ev, e, mi, n, held);
    }
    for (size_t i = 0; i < na; i++)
        args[i] = pq_eval_node(ev, an[i]);
    /* Prometheus's rangeEval holds its inputs' samples (not for unary minus, done in place). */
    size_t temp = ev->cur_samples;
    int track = kind != SK_UNARY;
    enum pq_type rt = pq_node_type(n);
    struct pq_val *out = pq_val_new(ev, rt);
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

struct pq_val *pq_eval_node(struct pq_eval *ev, const struct pq_node *n)
{
    switch (n->kind) {
    case N_NUM: {
        struct pq_val *v = pq_val_new(ev, PQ_SCALAR);
        for (size_t k = 0; k < ev->nsteps; k++)
            v->sc[k] = n->num;
        ev->cur_samples += ev->nsteps; /* one sample per step, as rangeEval gives */
        pq_peak(ev, 0);
        return v;
    }
    case N_STR: {
        struct pq_val *v = pq_val_new(ev, PQ_STRING);
        v->str = n->str;
        return v;
    }
    case N_PAREN:
        return pq_eval_node(ev, n->expr);
    case N_VS:
        return pq_eval_selector(ev, n);
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
        size_t mi = pq_matrix_arg(n);
        if (mi != SIZE_MAX)
            return pq_eval_range_call(ev, n, mi, NULL, 0);
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
    res->t_inner_eval = pq_now() - t_start - ev->t_select;
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
    double t0 = pq_now();
    if (o->gate && promql_gate_enter(o->gate, ev.has_deadline ? &ev.deadline : NULL) < 0) {
        strbuf_reset(err);
        strbuf_adds(err, "query timed out in query queue");
        return PQ_ERR_TIMEOUT;
    }
    double t1 = pq_now();
    enum pq_errtype rc = eval_gated(&ev, expr, start, end, step, res);
    if (o->gate)
        promql_gate_leave(o->gate);
    res->t_exec_queue = t1 - t0;
    res->t_eval_total = pq_now() - t1;
    return rc;
}

static enum pq_errtype eval_gated(struct pq_eval *evp, struct pq_node *expr, int64_t start,
                                  int64_t end, int64_t step, struct pq_result *res)
{
    struct pq_eval ev = *evp;
    double t_start = pq_now();
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
        pq_matrix_result(&ev, expr, res);
        res->t = start;
        fill_stats(&ev, res, t_start);
        return PQ_ERR_NONE;
    }
    if (t == PQ_STRING && step)
        pq_fail(
            &ev, PQ_ERR_BAD_DATA,
            "invalid expression type \"string\" for range query, must be Scalar or instant Vector");
    struct pq_val *v = pq_eval_node(&ev, expr);
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
    double t_sort = pq_now();
    if (step && res->n)
        qsort(res->s, res->n, sizeof(*res->s), cmp_series);
    if (step)
        res->t_result_sort = pq_now() - t_sort;
    return PQ_ERR_NONE;
}
