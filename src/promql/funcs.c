/*
 * funcs: the lookup of the function table (see funcs.h) and the functions of instant vectors
 * and scalars, each as Prometheus 2.42's promql/functions.go computes it: element-wise math,
 * clamp, round, absent, sort, timestamp, and label_replace with Go's template expansion. The
 * range-vector functions are in rangefn.c, the histogram ones in histfn.c, the date ones in
 * datefn.c.
 */
#include "promql/funcs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rx.h"
#include "core/xmalloc.h"
#include "promql/eval.h"
/* ---- instant-vector functions ---- */

static void f_math(struct pq_call *c, struct pq_vec *out)
{
    struct pq_vec *in = c->vargs[0];
    double (*fn)(double) = c->node->func->math;
    for (size_t i = 0; i < in->n; i++) {
        struct labels l = pq_drop_name(c->ev, &in->v[i].l);
        pq_vec_push(c->ev, out, &l, fn(in->v[i].v), 0);
    }
}

static double m_abs(double v)
{
    return fabs(v);
}
static double m_ceil(double v)
{
    return ceil(v);
}
static double m_floor(double v)
{
    return floor(v);
}
static double m_exp(double v)
{
    return exp(v);
}
static double m_sqrt(double v)
{
    return sqrt(v);
}
static double m_ln(double v)
{
    return log(v);
}
static double m_log2(double v)
{
    return log2(v);
}
static double m_log10(double v)
{
    return log10(v);
}
static double m_sin(double v)
{
    return sin(v);
}
static double m_cos(double v)
{
    return cos(v);
}
static double m_tan(double v)
{
    return tan(v);
}
static double m_asin(double v)
{
    return asin(v);
}
static double m_acos(double v)
{
    return acos(v);
}
static double m_atan(double v)
{
    return atan(v);
}
static double m_sinh(double v)
{
    return sinh(v);
}
static double m_cosh(double v)
{
    return cosh(v);
}
static double m_tanh(double v)
{
    return tanh(v);
}
static double m_asinh(double v)
{
    return asinh(v);
}
static double m_acosh(double v)
{
    return acosh(v);
}
static double m_atanh(double v)
{
    return atanh(v);
}
static double m_deg(double v)
{
    return v * 180 / M_PI;
}
static double m_rad(double v)
{
    return v * M_PI / 180;
}
static double m_sgn(double v)
{
    return v < 0 ? -1 : v > 0 ? 1 : v;
}

/* Go's math.Max and math.Min: NaN wins, and -0 < +0. */
static double go_max(double a, double b)
{
    if (isinf(a) && a > 0)
        return a;
    if (isinf(b) && b > 0)
        return b;
    if (isnan(a) || isnan(b))
        return NAN;
    if (a == 0 && a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static double go_min(double a, double b)
{
    if (isinf(a) && a < 0)
        return a;
    if (isinf(b) && b < 0)
        return b;
    if (isnan(a) || isnan(b))
        return NAN;
    if (a == 0 && a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static void f_clamp(struct pq_call *c, struct pq_vec *out)
{
    double mn = c->sargs[1], mx = c->sargs[2];
    if (mx < mn)
        return;
    struct pq_vec *in = c->vargs[0];
    for (size_t i = 0; i < in->n; i++) {
        struct labels l = pq_drop_name(c->ev, &in->v[i].l);
        pq_vec_push(c->ev, out, &l, go_max(mn, go_min(mx, in->v[i].v)), 0);
    }
}

static void f_clamp_max(struct pq_call *c, struct pq_vec *out)
{
    struct pq_vec *in = c->vargs[0];
    for (size_t i = 0; i < in->n; i++) {
        struct labels l = pq_drop_name(c->ev, &in->v[i].l);
        pq_vec_push(c->ev, out, &l, go_min(c->sargs[1], in->v[i].v), 0);
    }
}

static void f_clamp_min(struct pq_call *c, struct pq_vec *out)
{
    struct pq_vec *in = c->vargs[0];
    for (size_t i = 0; i < in->n; i++) {
        struct labels l = pq_drop_name(c->ev, &in->v[i].l);
        pq_vec_push(c->ev, out, &l, go_max(c->sargs[1], in->v[i].v), 0);
    }
}

static void f_round(struct pq_call *c, struct pq_vec *out)
{
    double to = c->nargs >= 2 ? c->sargs[1] : 1;
    double inv = 1.0 / to;
    struct pq_vec *in = c->vargs[0];
    for (size_t i = 0; i < in->n; i++) {
        struct labels l = pq_drop_name(c->ev, &in->v[i].l);
        pq_vec_push(c->ev, out, &l, floor(in->v[i].v * inv + 0.5) / inv, 0);
    }
}

static void f_abs_labels(struct pq_call *c, struct pq_vec *out, double v)
{
    /* absent(): labels from the selector's equality matchers. */
    const struct pq_node *a = c->node->args[0];
    struct labels_builder b;
    labels_builder_init(&b);
    if (a->kind == N_VS)
        pq_absent_labels(&b, a);
    struct labels l = pq_labels_from_builder(c->ev, &b);
    labels_builder_release(&b);
    pq_vec_push(c->ev, out, &l, v, 0);
}

static void f_absent(struct pq_call *c, struct pq_vec *out)
{
    if (c->vargs[0]->n > 0)
        return;
    f_abs_labels(c, out, 1);
}

static void f_scalar(struct pq_call *c, struct pq_vec *out)
{
    pq_vec_push(c->ev, out, NULL, c->vargs[0]->n == 1 ? c->vargs[0]->v[0].v : NAN, 0);
}

static void f_vector(struct pq_call *c, struct pq_vec *out)
{
    struct labels l = {0};
    pq_vec_push(c->ev, out, &l, c->sargs[0], 0);
}

static void f_time(struct pq_call *c, struct pq_vec *out)
{
    pq_vec_push(c->ev, out, NULL, (double)c->ts / 1000, 0);
}

static void f_pi(struct pq_call *c, struct pq_vec *out)
{
    pq_vec_push(c->ev, out, NULL, M_PI, 0);
}

static void f_timestamp(struct pq_call *c, struct pq_vec *out)
{
    struct pq_vec *in = c->vargs[0];
    for (size_t i = 0; i < in->n; i++) {
        struct labels l = pq_drop_name(c->ev, &in->v[i].l);
        pq_vec_push(c->ev, out, &l, (double)in->v[i].t / 1000, 0);
    }
}

static int cmp_sample_asc(const void *x, const void *y)
{
    double a = ((const struct pq_sample *)x)->v, b = ((const struct pq_sample *)y)->v;
    /* vectorByValueHeap: NaN first */
    if (isnan(a) || isnan(b))
        return isnan(a) && !isnan(b) ? -1 : (!isnan(a) && isnan(b) ? 1 : 0);
    return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_sample_desc(const void *x, const void *y)
{
    double a = ((const struct pq_sample *)x)->v, b = ((const struct pq_sample *)y)->v;
    /* vectorByReverseValueHeap: NaN first */
    if (isnan(a) || isnan(b))
        return isnan(a) && !isnan(b) ? -1 : (!isnan(a) && isnan(b) ? 1 : 0);
    return a > b ? -1 : a < b ? 1 : 0;
}

static void sort_common(struct pq_call *c, struct pq_vec *out, int desc)
{
    struct pq_vec *in = c->vargs[0];
    size_t base = out->n;
    for (size_t i = 0; i < in->n; i++)
        pq_vec_push(c->ev, out, &in->v[i].l, in->v[i].v, 0);
    if (out->n == base)
        return; /* an empty vector has no array to sort (qsort wants one) */
    /* Prometheus: sort.Sort(sort.Reverse(vectorByValueHeap)) for sort(), so NaN goes last. */
    qsort(out->v + base, out->n - base, sizeof(*out->v), desc ? cmp_sample_desc : cmp_sample_asc);
    /* Reverse of a NaN-first order puts NaN last in sort(); sort_desc likewise. */
    size_t n = out->n - base, nn = 0;
    while (nn < n && isnan(out->v[base + nn].v))
        nn++;
    if (nn) {
        struct pq_sample *tmp = xmalloc(nn * sizeof(*tmp));
        memcpy(tmp, out->v + base, nn * sizeof(*tmp));
        memmove(out->v + base, out->v + base + nn, (n - nn) * sizeof(*tmp));
        memcpy(out->v + base + n - nn, tmp, nn * sizeof(*tmp));
        free(tmp);
    }
}

static void f_sort(struct pq_call *c, struct pq_vec *out)
{
    sort_common(c, out, 0);
}
static void f_sort_desc(struct pq_call *c, struct pq_vec *out)
{
    sort_common(c, out, 1);
}

/* Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$. */
static void expand_template(struct strbuf *sb, const char *tmpl, const struct rx *rx,
                            const char *src, const struct rx_span *g, int ng)
{
    for (const char *p = tmpl; *p;) {
        if (*p != '$') {
            strbuf_addc(sb, *p++);
            continue;
        }
        p++;
        if (*p == '$') {
            strbuf_addc(sb, '$');
            p++;
            continue;
        }
        const char *name;
        size_t len;
        int brace = 0;
        if (*p == '{') {
            brace = 1;
            p++;
        }
        name = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               *p == '_')
            p++;
        len = (size_t)(p - name);
        if (len == 0 || (brace && *p != '}')) {
            /* Not a valid reference: Go copies the '$' literally. */
            strbuf_addc(sb, '$');
            p = name - brace;
            continue;
        }
        if (brace)
            p++;
        int idx = -1;
        int numeric = 1;
        for (size_t i = 0; i < len; i++)
            if (name[i] < '0' || name[i] > '9')
                numeric = 0;
        if (numeric) {
            long v = 0;
            for (size_t i = 0; i < len && v < 100000; i++)
                v = v * 10 + (name[i] - '0');
            idx = v < ng ? (int)v : -1;
        } else {
            char *nm = strndup(name, len);
            idx = rx_group_index(rx, nm);
            free(nm);
        }
        if (idx >= 0 && idx < ng && g[idx].start >= 0)
            strbuf_add(sb, src + g[idx].start, (size_t)(g[idx].end - g[idx].start));
    }
}

static void f_label_replace(struct pq_call *c, struct pq_vec *out)
{
    const char *dst = c->strargs[1], *repl = c->strargs[2], *src = c->strargs[3],
               *re = c->strargs[4];
    char err[256];
    struct rx *rx = rx_new(re, strlen(re), RX_ANCHORED, err, sizeof(err));
    if (!rx)
        pq_fail(c->ev, PQ_ERR_EXECUTION, "invalid regular expression in label_replace(): %s", re);
    if (!labels_valid_name(dst, strlen(dst))) {
        rx_free(rx);
        pq_fail(c->ev, PQ_ERR_EXECUTION, "invalid destination label name in label_replace(): %s",
                dst);
    }
    int ng = rx_ngroups(rx) + 1;
    struct rx_span *g = xmalloc((size_t)ng * sizeof(*g));
    struct pq_vec *in = c->vargs[0];
    struct labels_builder b;
    labels_builder_init(&b);
    for (size_t i = 0; i < in->n; i++) {
        const char *sv = labels_get(&in->v[i].l, src);
        if (!sv)
            sv = "";
        if (!rx_match_groups(rx, sv, strlen(sv), g, ng)) {
            pq_vec_push(c->ev, out, &in->v[i].l, in->v[i].v, 0);
            continue;
        }
        struct strbuf res = STRBUF_INIT;
        expand_template(&res, repl, rx, sv, g, ng);
        labels_builder_reset(&b, &in->v[i].l);
        labels_builder_del(&b, dst);
        if (res.len)
            labels_builder_set(&b, dst, arena_strdup(c->ev->a, res.buf));
        strbuf_release(&res);
        struct labels l = pq_labels_from_builder(c->ev, &b);
        pq_vec_push(c->ev, out, &l, in->v[i].v, 0);
    }
    labels_builder_release(&b);
    free(g);
    rx_free(rx);
}

static void f_label_join(struct pq_call *c, struct pq_vec *out)
{
    const struct pq_node *n = c->node;
    const char *dst = n->args[1]->str, *sep = n->args[2]->str;
    for (size_t i = 3; i < n->nargs; i++)
        if (!labels_valid_name(n->args[i]->str, strlen(n->args[i]->str)))
            pq_fail(c->ev, PQ_ERR_EXECUTION, "invalid source label name in label_join(): %s",
                    n->args[i]->str);
    if (!labels_valid_name(dst, strlen(dst)))
        pq_fail(c->ev, PQ_ERR_EXECUTION, "invalid destination label name in label_join(): %s", dst);
    struct pq_vec *in = c->vargs[0];
    struct labels_builder b;
    labels_builder_init(&b);
    for (size_t i = 0; i < in->n; i++) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t k = 3; k < n->nargs; k++) {
            if (k > 3)
                strbuf_adds(&sb, sep);
            const char *v = labels_get(&in->v[i].l, n->args[k]->str);
            if (v)
                strbuf_adds(&sb, v);
        }
        labels_builder_reset(&b, &in->v[i].l);
        if (sb.len)
            labels_builder_set(&b, dst, arena_strdup(c->ev->a, sb.buf));
        else
            labels_builder_del(&b, dst);
        strbuf_release(&sb);
        struct labels l = pq_labels_from_builder(c->ev, &b);
        pq_vec_push(c->ev, out, &l, in->v[i].v, 0);
    }
    labels_builder_release(&b);
}

/* ---- the table ---- */

#define V   PQ_VECTOR
#define S   PQ_SCALAR
#define STR PQ_STRING
#define MATHF(nm, fn)                            \
    {                                            \
        nm, {V}, 1, 0, V, f_math, NULL, fn, 0, 0 \
    }

static const struct pq_func instant_funcs[] = {
    MATHF("abs", m_abs),
    {"absent", {V}, 1, 0, V, f_absent, NULL, NULL, 0, 0},
    MATHF("acos", m_acos),
    MATHF("acosh", m_acosh),
    MATHF("asin", m_asin),
    MATHF("asinh", m_asinh),
    MATHF("atan", m_atan),
    MATHF("atanh", m_atanh),
    MATHF("ceil", m_ceil),
    {"clamp", {V, S, S}, 3, 0, V, f_clamp, NULL, NULL, 0, 0},
    {"clamp_max", {V, S}, 2, 0, V, f_clamp_max, NULL, NULL, 0, 0},
    {"clamp_min", {V, S}, 2, 0, V, f_clamp_min, NULL, NULL, 0, 0},
    MATHF("cos", m_cos),
    MATHF("cosh", m_cosh),
    MATHF("deg", m_deg),
    MATHF("exp", m_exp),
    MATHF("floor", m_floor),
    {"label_join", {V, STR, STR, STR}, 4, -1, V, f_label_join, NULL, NULL, 0, 0},
    {"label_replace", {V, STR, STR, STR, STR}, 5, 0, V, f_label_replace, NULL, NULL, 0, 0},
    MATHF("ln", m_ln),
    MATHF("log10", m_log10),
    MATHF("log2", m_log2),
    {"pi", {0}, 0, 0, S, f_pi, NULL, NULL, 0, 0},
    MATHF("rad", m_rad),
    {"round", {V, S}, 2, 1, V, f_round, NULL, NULL, 0, 0},
    {"scalar", {V}, 1, 0, S, f_scalar, NULL, NULL, 0, 0},
    MATHF("sgn", m_sgn),
    MATHF("sin", m_sin),
    MATHF("sinh", m_sinh),
    {"sort", {V}, 1, 0, V, f_sort, NULL, NULL, 0, 0},
    {"sort_desc", {V}, 1, 0, V, f_sort_desc, NULL, NULL, 0, 0},
    MATHF("sqrt", m_sqrt),
    MATHF("tan", m_tan),
    MATHF("tanh", m_tanh),
    {"time", {0}, 0, 0, S, f_time, NULL, NULL, 0, 0},
    {"timestamp", {V}, 1, 0, V, f_timestamp, NULL, NULL, 0, 0},
    {"vector", {S}, 1, 0, V, f_vector, NULL, NULL, 0, 0},
    {0},
};

/* Every row, by the file that implements it; each table ends with a row without a name. */
static const struct pq_func *const tables[] = {instant_funcs, rangefn_funcs, histfn_funcs,
                                               datefn_funcs};

const struct pq_func *pq_func_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        for (const struct pq_func *f = tables[i]; f->name; f++)
            if (strlen(f->name) == n && !memcmp(f->name, name, n))
                return f;
    return NULL;
}
