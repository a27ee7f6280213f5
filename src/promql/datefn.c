/*
 * datefn: PromQL's date functions (day_of_month, hour, year, ...), in UTC as Prometheus
 * 2.42's promql/functions.go computes them: of the step time with no argument, else of each
 * sample's value as Unix seconds. Their rows of the function table are datefn_funcs
 * (funcs.h).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "promql/eval.h"
#include "promql/funcs.h"

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

#define V PQ_VECTOR
#define DATEF(nm, fn)                          \
    {                                          \
        nm, {V}, 1, 1, V, fn, NULL, NULL, 0, 0 \
    }

const struct pq_func datefn_funcs[] = {
    DATEF("days_in_month", f_days_in_month),
    DATEF("day_of_month", f_day_of_month),
    DATEF("day_of_week", f_day_of_week),
    DATEF("day_of_year", f_day_of_year),
    DATEF("hour", f_hour),
    DATEF("minute", f_minute),
    DATEF("month", f_month),
    DATEF("year", f_year),
    {0},
};
