/*
 * rangefn: PromQL's functions of a range vector (rate, increase, delta, irate, idelta,
 * deriv, predict_linear, holt_winters, changes, resets and the *_over_time family), each
 * over one series' window as Prometheus 2.42's promql/functions.go computes it:
 * extrapolatedRate, instantValue, Kahan sums, linear regression. Their rows of the function
 * table are rangefn_funcs (funcs.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "promql/eval.h"
#include "promql/funcs.h"

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

#define V PQ_VECTOR
#define M PQ_MATRIX
#define S PQ_SCALAR
/* pure: the series can be computed on several threads (rangepar). */
#define RANGEF(nm, fn)                         \
    {                                          \
        nm, {M}, 1, 0, V, NULL, fn, NULL, 0, 1 \
    }

const struct pq_func rangefn_funcs[] = {
    {"absent_over_time", {M}, 1, 0, V, NULL, f_present_over_time, NULL, 0, 0},
    RANGEF("avg_over_time", f_avg_over_time),
    RANGEF("changes", f_changes),
    RANGEF("count_over_time", f_count_over_time),
    RANGEF("delta", f_delta),
    RANGEF("deriv", f_deriv),
    {"holt_winters", {M, S, S}, 3, 0, V, NULL, f_holt_winters, NULL, 0, 0},
    RANGEF("idelta", f_idelta),
    RANGEF("increase", f_increase),
    RANGEF("irate", f_irate),
    {"last_over_time", {M}, 1, 0, V, NULL, f_last_over_time, NULL, 1, 1},
    RANGEF("max_over_time", f_max_over_time),
    RANGEF("min_over_time", f_min_over_time),
    {"predict_linear", {M, S}, 2, 0, V, NULL, f_predict_linear, NULL, 0, 0},
    RANGEF("present_over_time", f_present_over_time),
    {"quantile_over_time", {S, M}, 2, 0, V, NULL, f_quantile_over_time, NULL, 0, 0},
    RANGEF("rate", f_rate),
    RANGEF("resets", f_resets),
    RANGEF("stddev_over_time", f_stddev_over_time),
    RANGEF("stdvar_over_time", f_stdvar_over_time),
    RANGEF("sum_over_time", f_sum_over_time),
    {0},
};
