/*
 * eval: what the evaluator's parts share (eval.h): failing with Prometheus's error types,
 * the deadline and the sample limit, one step's vectors, label helpers, and the series sets
 * a node's value is over the steps of its evaluation.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "core/u64map.h"
#include "core/xmalloc.h"
#include "promql/eval.h"

double pq_now(void)
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

struct pq_val *pq_val_new(struct pq_eval *ev, enum pq_type t)
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
struct pq_ser *pq_val_add_shared(struct pq_eval *ev, struct pq_val *v, const struct labels *l,
                                 double *sv, unsigned char *sok)
{
    struct pq_ser *s = val_slot(ev, v, l);
    s->v = sv;
    s->ok = sok;
    return s;
}

void pq_check_dup_labelsets(struct pq_eval *ev, struct pq_val *v)
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
