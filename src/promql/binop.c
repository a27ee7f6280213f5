/*
 * binop: PromQL's binary operators at one step, as Prometheus 2.42's
 * VectorBinop, VectorscalarBinop and the set operators (and, or, unless):
 * the matching signature, one-to-one and group_left/group_right
 * cardinality, their errors, and which operators drop the metric name.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/u64map.h"
#include "core/xmalloc.h"
#include "promql/eval.h"

double pq_scalar_binop(int op, double l, double r, int *keep)
{
    *keep = 1;
    switch (op) {
    case T_ADD:
        return l + r;
    case T_SUB:
        return l - r;
    case T_MUL:
        return l * r;
    case T_DIV:
        return l / r;
    case T_POW:
        return pow(l, r);
    case T_MOD:
        return fmod(l, r);
    case T_ATAN2:
        return atan2(l, r);
    case T_EQLC:
        *keep = l == r;
        return l;
    case T_NEQ:
        *keep = l != r;
        return l;
    case T_GTR:
        *keep = l > r;
        return l;
    case T_LSS:
        *keep = l < r;
        return l;
    case T_GTE:
        *keep = l >= r;
        return l;
    case T_LTE:
        *keep = l <= r;
        return l;
    }
    return NAN;
}

static int drops_name(int op)
{
    return op == T_ADD || op == T_SUB || op == T_MUL || op == T_DIV || op == T_POW || op == T_MOD;
}

/* The labels a match group is made of, for the error message. */
static void match_labels_fmt(struct pq_eval *ev, const struct labels *l, const struct pq_node *n,
                             struct strbuf *sb)
{
    struct label *v = arena_alloc(ev->a, (l->n + 1) * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        int in = 0;
        for (size_t j = 0; j < n->match_labels.n; j++)
            if (!strcmp(n->match_labels.v[j], l->v[i].name))
                in = 1;
        if (n->on ? in : (!in && strcmp(l->v[i].name, LABELS_METRIC_NAME)))
            v[k++] = l->v[i];
    }
    struct labels m = {v, k};
    labels_format(&m, sb);
}

static struct labels result_metric(struct pq_eval *ev, const struct pq_node *n,
                                   const struct labels *lhs, const struct labels *rhs)
{
    struct labels_builder b;
    labels_builder_init(&b);
    labels_builder_reset(&b, lhs);
    if (drops_name(n->op))
        labels_builder_del(&b, LABELS_METRIC_NAME);
    if (n->card == CARD_ONE_TO_ONE) {
        if (n->on) {
            for (size_t i = 0; i < lhs->n; i++) {
                int keep = 0;
                for (size_t j = 0; j < n->match_labels.n; j++)
                    if (!strcmp(n->match_labels.v[j], lhs->v[i].name))
                        keep = 1;
                if (!keep)
                    labels_builder_del(&b, lhs->v[i].name);
            }
        } else {
            for (size_t j = 0; j < n->match_labels.n; j++)
                labels_builder_del(&b, n->match_labels.v[j]);
        }
    }
    for (size_t j = 0; j < n->include.n; j++) {
        const char *v = labels_get(rhs, n->include.v[j]);
        if (v && *v)
            labels_builder_set(&b, n->include.v[j], v);
        else
            labels_builder_del(&b, n->include.v[j]);
    }
    struct labels r = pq_labels_from_builder(ev, &b);
    labels_builder_release(&b);
    return r;
}

struct pq_bcent {
    const struct label *lp, *rp; /* the pair's label arrays (stable over the steps) */
    size_t ln, rn;
    struct labels m;
    uint64_t mh; /* labels_hash(&m) */
};

/* result_metric (and its hash) for the pair, computed at the first step that needs it. */
static const struct pq_bcent *cached_metric(struct pq_eval *ev, const struct pq_node *n,
                                            struct pq_bincache *c, const struct labels *l,
                                            const struct labels *r)
{
    if ((c->n + 1) * 2 > c->cap) {
        struct pq_bincache nc = {.cap = c->cap ? c->cap * 2 : 64};
        nc.e = arena_alloc(ev->a, nc.cap * sizeof(*nc.e));
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->e[i].mh)
                continue;
            uint64_t h = hash_mix((uint64_t)(uintptr_t)c->e[i].lp, (uint64_t)(uintptr_t)c->e[i].rp);
            size_t p = h & (nc.cap - 1);
            while (nc.e[p].mh)
                p = (p + 1) & (nc.cap - 1);
            nc.e[p] = c->e[i];
        }
        nc.n = c->n;
        *c = nc;
    }
    uint64_t h = hash_mix((uint64_t)(uintptr_t)l->v, (uint64_t)(uintptr_t)r->v);
    size_t p = h & (c->cap - 1);
    for (; c->e[p].mh; p = (p + 1) & (c->cap - 1))
        if (c->e[p].lp == l->v && c->e[p].rp == r->v && c->e[p].ln == l->n && c->e[p].rn == r->n)
            return &c->e[p];
    struct pq_bcent *e = &c->e[p];
    e->lp = l->v;
    e->rp = r->v;
    e->ln = l->n;
    e->rn = r->n;
    e->m = result_metric(ev, n, l, r);
    if (n->return_bool)
        e->m = pq_drop_name(ev, &e->m);
    e->mh = labels_hash(&e->m);
    if (!e->mh)
        e->mh = 1; /* 0 marks a free slot; the merge then hashes the labels itself */
    c->n++;
    return e;
}

static uint64_t sample_sig(const struct pq_sample *s, const struct pq_node *n)
{
    return s->gk ? s->gk : pq_sig(&s->l, n->on, &n->match_labels);
}

static void vector_binop(struct pq_eval *ev, const struct pq_node *n, struct pq_vec *lhs,
                         struct pq_vec *rhs, struct pq_vec *out, struct pq_bincache *cache)
{
    if (n->card == CARD_ONE_TO_MANY) {
        struct pq_vec *t = lhs;
        lhs = rhs;
        rhs = t;
    }
    struct u64map right = {0}, matched = {0}, inserted = {0};
    for (size_t i = 0; i < rhs->n; i++) {
        uint64_t sig = sample_sig(&rhs->v[i], n);
        size_t *slot = u64map_find(&right, sig);
        if (slot) {
            struct strbuf sb = STRBUF_INIT;
            match_labels_fmt(ev, &rhs->v[i].l, n, &sb);
            strbuf_adds(&sb, " on the ");
            strbuf_adds(&sb, n->card == CARD_ONE_TO_MANY ? "left" : "right");
            strbuf_adds(&sb, " hand-side of the operation: [");
            labels_format(&rhs->v[i].l, &sb);
            strbuf_adds(&sb, ", ");
            labels_format(&rhs->v[*slot].l, &sb);
            char *msg = arena_strdup(ev->a, sb.buf);
            strbuf_release(&sb);
            u64map_release(&right);
            pq_fail(
                ev, PQ_ERR_EXECUTION,
                "found duplicate series for the match group %s];many-to-many matching not allowed: matching labels must be unique on one side",
                msg);
        }
        *u64map_put(&right, sig, NULL) = i;
    }
    for (size_t i = 0; i < lhs->n; i++) {
        uint64_t sig = sample_sig(&lhs->v[i], n);
        size_t *slot = u64map_find(&right, sig);
        if (!slot)
            continue;
        struct pq_sample *rs = &rhs->v[*slot];
        double vl = lhs->v[i].v, vr = rs->v;
        if (n->card == CARD_ONE_TO_MANY) {
            double t = vl;
            vl = vr;
            vr = t;
        }
        int keep;
        double value = pq_scalar_binop(n->op, vl, vr, &keep);
        if (n->return_bool)
            value = keep ? 1.0 : 0.0;
        else if (!keep)
            continue;
        const struct pq_bcent *ce = cached_metric(ev, n, cache, &lhs->v[i].l, &rs->l);
        struct labels m = ce->m;
        if (n->card == CARD_ONE_TO_ONE) {
            if (u64map_find(&matched, sig)) {
                u64map_release(&right);
                u64map_release(&matched);
                pq_fail(
                    ev, PQ_ERR_EXECUTION,
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
            }
            *u64map_put(&matched, sig, NULL) = 1;
        } else {
            uint64_t ins = hash_mix(sig, ce->mh == 1 ? labels_hash(&m) : ce->mh);
            if (u64map_find(&inserted, ins)) {
                u64map_release(&right);
                u64map_release(&inserted);
                pq_fail(ev, PQ_ERR_EXECUTION,
                        "multiple matches for labels: grouping labels must ensure unique matches");
            }
            *u64map_put(&inserted, ins, NULL) = 1;
        }
        pq_vec_push(ev, out, &m, value, 0);
        out->v[out->n - 1].lh = ce->mh == 1 ? 0 : ce->mh;
    }
    u64map_release(&right);
    u64map_release(&matched);
    u64map_release(&inserted);
}

static void set_op(struct pq_eval *ev, const struct pq_node *n, struct pq_vec *lhs,
                   struct pq_vec *rhs, struct pq_vec *out)
{
    struct u64map sigs = {0};
    switch (n->op) {
    case T_LAND:
        if (!lhs->n || !rhs->n)
            break;
        for (size_t i = 0; i < rhs->n; i++)
            *u64map_put(&sigs, sample_sig(&rhs->v[i], n), NULL) = 1;
        for (size_t i = 0; i < lhs->n; i++)
            if (u64map_find(&sigs, sample_sig(&lhs->v[i], n)))
                pq_vec_push(ev, out, &lhs->v[i].l, lhs->v[i].v, 0);
        break;
    case T_LOR:
        for (size_t i = 0; i < lhs->n; i++) {
            *u64map_put(&sigs, sample_sig(&lhs->v[i], n), NULL) = 1;
            pq_vec_push(ev, out, &lhs->v[i].l, lhs->v[i].v, 0);
        }
        for (size_t i = 0; i < rhs->n; i++)
            if (!u64map_find(&sigs, sample_sig(&rhs->v[i], n)))
                pq_vec_push(ev, out, &rhs->v[i].l, rhs->v[i].v, 0);
        break;
    case T_LUNLESS:
        for (size_t i = 0; i < rhs->n; i++)
            *u64map_put(&sigs, sample_sig(&rhs->v[i], n), NULL) = 1;
        for (size_t i = 0; i < lhs->n; i++)
            if (!u64map_find(&sigs, sample_sig(&lhs->v[i], n)))
                pq_vec_push(ev, out, &lhs->v[i].l, lhs->v[i].v, 0);
        break;
    }
    u64map_release(&sigs);
}

void pq_binop_step(struct pq_eval *ev, const struct pq_node *n, struct pq_vec *l, struct pq_vec *r,
                   double ls, double rs, struct pq_vec *out, struct pq_bincache *cache)
{
    if (!l && !r) {
        int keep;
        double v = pq_scalar_binop(n->op, ls, rs, &keep);
        if (pq_tok_is_comparison(n->op))
            v = keep ? 1 : 0;
        pq_vec_push(ev, out, NULL, v, 0);
        return;
    }
    if (l && r) {
        if (pq_tok_is_setop(n->op))
            set_op(ev, n, l, r, out);
        else
            vector_binop(ev, n, l, r, out, cache);
        return;
    }
    int swap = !l;
    struct pq_vec *vec = l ? l : r;
    double sc = l ? rs : ls;
    for (size_t i = 0; i < vec->n; i++) {
        double lv = vec->v[i].v, rv = sc;
        if (swap) {
            lv = sc;
            rv = vec->v[i].v;
        }
        int keep;
        double value = pq_scalar_binop(n->op, lv, rv, &keep);
        if (pq_tok_is_comparison(n->op) && swap)
            value = rv;
        if (n->return_bool) {
            value = keep ? 1.0 : 0.0;
            keep = 1;
        }
        if (!keep)
            continue;
        struct labels m = vec->v[i].l;
        if (drops_name(n->op) || n->return_bool)
            m = pq_drop_name(ev, &m);
        pq_vec_push(ev, out, &m, value, 0);
    }
}
