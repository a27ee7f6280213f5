/*
 * funcs: the function table (see funcs.h) and the implementations, each as
 * Prometheus 2.42's promql/functions.go computes it: extrapolatedRate for
 * rate/increase/delta, instantValue for irate/idelta, Kahan sums in the
 * *_over_time functions, linear regression for deriv/predict_linear,
 * holt_winters, histogram_quantile over classic buckets, label_replace with
 * Go's template expansion, and the date functions in UTC.
 */
#include "promql/funcs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rx.h"
#include "core/xmalloc.h"
#include "promql/eval.h"

/* ---- range-vector functions ---- */

static int extrapolated_rate(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                             double *out, int is_counter, int is_rate)
{
    if (n < 2)
        return 0;
    double result = v[n - 1] - v[0];
    /* No reset inside the window (and nothing below zero to start): the loop adds nothing. */
    if (is_counter && !(c->resets && v[0] >= 0 && c->resets[n - 1] == c->resets[0])) {
        double last = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i] < last)
                result += last;
            last = v[i];
        }
    }
    double to_start = (double)(t[0] - c->range_start) / 1000;
    double to_end = (double)(c->range_end - t[n - 1]) / 1000;
    double sampled = (double)(t[n - 1] - t[0]) / 1000;
    double avg = sampled / (double)(n - 1);
    if (is_counter && result > 0 && v[0] >= 0) {
        double to_zero = sampled * (v[0] / result);
        if (to_zero < to_start)
            to_start = to_zero;
    }
    double threshold = avg * 1.1;
    double interval = sampled;
    interval += to_start < threshold ? to_start : avg / 2;
    interval += to_end < threshold ? to_end : avg / 2;
    double factor = interval / sampled;
    if (is_rate)
        factor /= (double)c->range / 1000;
    *out = result * factor;
    return 1;
}

static int f_rate(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    return extrapolated_rate(c, t, v, n, o, 1, 1);
}
static int f_increase(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    return extrapolated_rate(c, t, v, n, o, 1, 0);
}
static int f_delta(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    return extrapolated_rate(c, t, v, n, o, 0, 0);
}

static int instant_value(const int64_t *t, const double *v, size_t n, double *o, int is_rate)
{
    if (n < 2)
        return 0;
    double last = v[n - 1], prev = v[n - 2];
    double r = (is_rate && last < prev) ? last : last - prev;
    int64_t iv = t[n - 1] - t[n - 2];
    if (iv == 0)
        return 0;
    if (is_rate)
        r /= (double)iv / 1000;
    *o = r;
    return 1;
}

static int f_irate(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    (void)c;
    return instant_value(t, v, n, o, 1);
}
static int f_idelta(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    (void)c;
    return instant_value(t, v, n, o, 0);
}

static void kahan_inc(double inc, double *sum, double *c)
{
    double t = *sum + inc;
    if (fabs(*sum) >= fabs(inc))
        *c += (*sum - t) + inc;
    else
        *c += (inc - t) + *sum;
    *sum = t;
}

static void linear_regression(const int64_t *t, const double *v, size_t n, int64_t icpt,
                              double *slope, double *intercept)
{
    double cnt = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
    double inity = v[0];
    int consty = 1;
    for (size_t i = 0; i < n; i++) {
        if (consty && i > 0 && v[i] != inity)
            consty = 0;
        cnt += 1;
        double x = (double)(t[i] - icpt) / 1e3;
        kahan_inc(x, &sx, &cx);
        kahan_inc(v[i], &sy, &cy);
        kahan_inc(x * v[i], &sxy, &cxy);
        kahan_inc(x * x, &sx2, &cx2);
    }
    if (consty) {
        if (isinf(inity)) {
            *slope = *intercept = NAN;
            return;
        }
        *slope = 0;
        *intercept = inity;
        return;
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    double cov = sxy - sx * sy / cnt, var = sx2 - sx * sx / cnt;
    *slope = cov / var;
    *intercept = sy / cnt - *slope * sx / cnt;
}

static int f_deriv(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    (void)c;
    if (n < 2)
        return 0;
    double ic;
    linear_regression(t, v, n, t[0], o, &ic);
    return 1;
}

static int f_predict_linear(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                            double *o)
{
    if (n < 2)
        return 0;
    double slope, ic;
    linear_regression(t, v, n, c->ts, &slope, &ic);
    *o = slope * c->sargs[1] + ic;
    return 1;
}

static int f_holt_winters(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    (void)t;
    double sf = c->sargs[1], tf = c->sargs[2];
    if (sf <= 0 || sf >= 1)
        pq_fail(c->ev, PQ_ERR_EXECUTION, "invalid smoothing factor. Expected: 0 < sf < 1, got: %f",
                sf);
    if (tf <= 0 || tf >= 1)
        pq_fail(c->ev, PQ_ERR_EXECUTION, "invalid trend factor. Expected: 0 < tf < 1, got: %f", tf);
    if (n < 2)
        return 0;
    double s0 = 0, s1 = v[0], b = v[1] - v[0];
    for (size_t i = 1; i < n; i++) {
        double x = sf * v[i];
        if (i - 1 != 0)
            b = tf * (s1 - s0) + (1 - tf) * b;
        double y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    *o = s1;
    return 1;
}

static int f_changes(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    (void)c;
    (void)t;
    double k = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[i - 1] && !(isnan(v[i]) && isnan(v[i - 1])))
            k++;
    *o = k;
    return 1;
}

static int f_resets(struct pq_call *c, const int64_t *t, const double *v, size_t n, double *o)
{
    (void)c;
    (void)t;
    double k = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] < v[i - 1])
            k++;
    *o = k;
    return 1;
}

static int f_avg_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                           double *o)
{
    (void)c;
    (void)t;
    double mean = 0, cm = 0, count = 0;
    for (size_t i = 0; i < n; i++) {
        count++;
        if (isinf(mean)) {
            if (isinf(v[i]) && (mean > 0) == (v[i] > 0))
                continue;
            if (!isinf(v[i]) && !isnan(v[i]))
                continue;
        }
        kahan_inc(v[i] / count - mean / count, &mean, &cm);
    }
    *o = isinf(mean) ? mean : mean + cm;
    return 1;
}

static int f_sum_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                           double *o)
{
    (void)c;
    (void)t;
    double s = 0, cs = 0;
    for (size_t i = 0; i < n; i++)
        kahan_inc(v[i], &s, &cs);
    *o = isinf(s) ? s : s + cs;
    return 1;
}

static int f_count_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                             double *o)
{
    (void)c;
    (void)t;
    (void)v;
    *o = (double)n;
    return 1;
}

static int f_min_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                           double *o)
{
    (void)c;
    (void)t;
    double m = v[0];
    for (size_t i = 0; i < n; i++)
        if (v[i] < m || isnan(m))
            m = v[i];
    *o = m;
    return 1;
}

static int f_max_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                           double *o)
{
    (void)c;
    (void)t;
    double m = v[0];
    for (size_t i = 0; i < n; i++)
        if (v[i] > m || isnan(m))
            m = v[i];
    *o = m;
    return 1;
}

static int f_last_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                            double *o)
{
    (void)c;
    (void)t;
    *o = v[n - 1];
    return 1;
}

static int f_present_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                               double *o)
{
    (void)c;
    (void)t;
    (void)v;
    (void)n;
    *o = 1;
    return 1;
}

static double stdvar(const double *v, size_t n)
{
    double count = 0, mean = 0, cm = 0, aux = 0, ca = 0;
    for (size_t i = 0; i < n; i++) {
        count++;
        double delta = v[i] - (mean + cm);
        kahan_inc(delta / count, &mean, &cm);
        kahan_inc(delta * (v[i] - (mean + cm)), &aux, &ca);
    }
    return (aux + ca) / count;
}

static int f_stdvar_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                              double *o)
{
    (void)c;
    (void)t;
    *o = stdvar(v, n);
    return 1;
}

static int f_stddev_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                              double *o)
{
    (void)c;
    (void)t;
    *o = sqrt(stdvar(v, n));
    return 1;
}

static int f_quantile_over_time(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                                double *o)
{
    (void)t;
    double *copy = xmalloc(n * sizeof(double));
    memcpy(copy, v, n * sizeof(double));
    *o = pq_quantile(c->sargs[0], copy, n);
    free(copy);
    return 1;
}

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

/* ---- histograms ---- */

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

/* ---- dates (UTC) ---- */

static void date_common(struct pq_call *c, struct pq_vec *out,
                        double (*f)(const struct tm *, int64_t))
{
    struct tm tm;
    if (c->nargs == 0) {
        time_t t = (time_t)(c->ts / 1000);
        gmtime_r(&t, &tm);
        struct labels l = {0};
        pq_vec_push(c->ev, out, &l, f(&tm, (int64_t)t), 0);
        return;
    }
    struct pq_vec *in = c->vargs[0];
    for (size_t i = 0; i < in->n; i++) {
        double v = in->v[i].v;
        time_t t = (isnan(v) || v > 9.2e18 || v < -9.2e18) ? (time_t)INT64_MIN : (time_t)(int64_t)v;
        struct labels l = pq_drop_name(c->ev, &in->v[i].l);
        if (!gmtime_r(&t, &tm))
            memset(&tm, 0, sizeof(tm));
        pq_vec_push(c->ev, out, &l, f(&tm, (int64_t)t), 0);
    }
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
static double d_dim(const struct tm *tm, int64_t t)
{
    (void)t;
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = tm->tm_year + 1900;
    return tm->tm_mon == 1 && is_leap(y) ? 29 : d[tm->tm_mon];
}
static double d_dom(const struct tm *tm, int64_t t)
{
    (void)t;
    return tm->tm_mday;
}
static double d_dow(const struct tm *tm, int64_t t)
{
    (void)t;
    return tm->tm_wday;
}
static double d_doy(const struct tm *tm, int64_t t)
{
    (void)t;
    return tm->tm_yday + 1;
}
static double d_hour(const struct tm *tm, int64_t t)
{
    (void)t;
    return tm->tm_hour;
}
static double d_minute(const struct tm *tm, int64_t t)
{
    (void)t;
    return tm->tm_min;
}
static double d_month(const struct tm *tm, int64_t t)
{
    (void)t;
    return tm->tm_mon + 1;
}
static double d_year(const struct tm *tm, int64_t t)
{
    (void)t;
    return tm->tm_year + 1900;
}

#define DATEFN(fn, d)                                     \
    static void fn(struct pq_call *c, struct pq_vec *out) \
    {                                                     \
        date_common(c, out, d);                           \
    }
DATEFN(f_days_in_month, d_dim)
DATEFN(f_day_of_month, d_dom)
DATEFN(f_day_of_week, d_dow)
DATEFN(f_day_of_year, d_doy)
DATEFN(f_hour, d_hour)
DATEFN(f_minute, d_minute)
DATEFN(f_month, d_month)
DATEFN(f_year, d_year)

/* ---- the table ---- */

#define V   PQ_VECTOR
#define M   PQ_MATRIX
#define S   PQ_SCALAR
#define STR PQ_STRING
#define MATHF(nm, fn)                            \
    {                                            \
        nm, {V}, 1, 0, V, f_math, NULL, fn, 0, 0 \
    }
#define RANGEF(nm, fn)                         \
    {                                          \
        nm, {M}, 1, 0, V, NULL, fn, NULL, 0, 1 \
    }
#define DATEF(nm, fn)                          \
    {                                          \
        nm, {V}, 1, 1, V, fn, NULL, NULL, 0, 0 \
    }

const struct pq_func pq_funcs[] = {
    MATHF("abs", m_abs),
    {"absent", {V}, 1, 0, V, f_absent, NULL, NULL, 0, 0},
    {"absent_over_time", {M}, 1, 0, V, NULL, f_present_over_time, NULL, 0, 0},
    MATHF("acos", m_acos),
    MATHF("acosh", m_acosh),
    MATHF("asin", m_asin),
    MATHF("asinh", m_asinh),
    MATHF("atan", m_atan),
    MATHF("atanh", m_atanh),
    RANGEF("avg_over_time", f_avg_over_time),
    MATHF("ceil", m_ceil),
    RANGEF("changes", f_changes),
    {"clamp", {V, S, S}, 3, 0, V, f_clamp, NULL, NULL, 0, 0},
    {"clamp_max", {V, S}, 2, 0, V, f_clamp_max, NULL, NULL, 0, 0},
    {"clamp_min", {V, S}, 2, 0, V, f_clamp_min, NULL, NULL, 0, 0},
    MATHF("cos", m_cos),
    MATHF("cosh", m_cosh),
    RANGEF("count_over_time", f_count_over_time),
    DATEF("days_in_month", f_days_in_month),
    DATEF("day_of_month", f_day_of_month),
    DATEF("day_of_week", f_day_of_week),
    DATEF("day_of_year", f_day_of_year),
    MATHF("deg", m_deg),
    RANGEF("delta", f_delta),
    RANGEF("deriv", f_deriv),
    MATHF("exp", m_exp),
    MATHF("floor", m_floor),
    {"histogram_count", {V}, 1, 0, V, f_nothing, NULL, NULL, 0, 0},
    {"histogram_fraction", {S, S, V}, 3, 0, V, f_nothing, NULL, NULL, 0, 0},
    {"histogram_quantile", {S, V}, 2, 0, V, f_histogram_quantile, NULL, NULL, 0, 0},
    {"histogram_sum", {V}, 1, 0, V, f_nothing, NULL, NULL, 0, 0},
    {"holt_winters", {M, S, S}, 3, 0, V, NULL, f_holt_winters, NULL, 0, 0},
    DATEF("hour", f_hour),
    RANGEF("idelta", f_idelta),
    RANGEF("increase", f_increase),
    RANGEF("irate", f_irate),
    {"label_join", {V, STR, STR, STR}, 4, -1, V, f_label_join, NULL, NULL, 0, 0},
    {"label_replace", {V, STR, STR, STR, STR}, 5, 0, V, f_label_replace, NULL, NULL, 0, 0},
    {"last_over_time", {M}, 1, 0, V, NULL, f_last_over_time, NULL, 1, 1},
    MATHF("ln", m_ln),
    MATHF("log10", m_log10),
    MATHF("log2", m_log2),
    RANGEF("max_over_time", f_max_over_time),
    RANGEF("min_over_time", f_min_over_time),
    DATEF("minute", f_minute),
    DATEF("month", f_month),
    {"pi", {0}, 0, 0, S, f_pi, NULL, NULL, 0, 0},
    {"predict_linear", {M, S}, 2, 0, V, NULL, f_predict_linear, NULL, 0, 0},
    RANGEF("present_over_time", f_present_over_time),
    {"quantile_over_time", {S, M}, 2, 0, V, NULL, f_quantile_over_time, NULL, 0, 0},
    MATHF("rad", m_rad),
    RANGEF("rate", f_rate),
    RANGEF("resets", f_resets),
    {"round", {V, S}, 2, 1, V, f_round, NULL, NULL, 0, 0},
    {"scalar", {V}, 1, 0, S, f_scalar, NULL, NULL, 0, 0},
    MATHF("sgn", m_sgn),
    MATHF("sin", m_sin),
    MATHF("sinh", m_sinh),
    {"sort", {V}, 1, 0, V, f_sort, NULL, NULL, 0, 0},
    {"sort_desc", {V}, 1, 0, V, f_sort_desc, NULL, NULL, 0, 0},
    MATHF("sqrt", m_sqrt),
    RANGEF("stddev_over_time", f_stddev_over_time),
    RANGEF("stdvar_over_time", f_stdvar_over_time),
    RANGEF("sum_over_time", f_sum_over_time),
    MATHF("tan", m_tan),
    MATHF("tanh", m_tanh),
    {"time", {0}, 0, 0, S, f_time, NULL, NULL, 0, 0},
    {"timestamp", {V}, 1, 0, V, f_timestamp, NULL, NULL, 0, 0},
    {"vector", {S}, 1, 0, V, f_vector, NULL, NULL, 0, 0},
    DATEF("year", f_year),
};

const size_t pq_nfuncs = sizeof(pq_funcs) / sizeof(pq_funcs[0]);

const struct pq_func *pq_func_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < pq_nfuncs; i++)
        if (strlen(pq_funcs[i].name) == n && !memcmp(pq_funcs[i].name, name, n))
            return &pq_funcs[i];
    return NULL;
}
