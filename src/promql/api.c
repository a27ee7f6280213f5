/*
 * api: see api.h. The checks and error envelopes of Prometheus 2.42's
 * web/api/v1/api.go; the result's encoding is json.c's.
 */
#include "promql/api.h"
#include "promql/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/isotime.h"
#include "core/arena.h"
#include "core/par.h"
#include "core/xmalloc.h"
#include "promql/ast.h"

static int api_error(struct strbuf *out, enum pq_errtype t, const char *msg)
{
    static const char *const types[] = {"", "bad_data", "execution", "timeout", "canceled"};
    static const int status[] = {200, 400, 422, 503, 503};
    strbuf_reset(out);
    strbuf_addf(out, "{\"status\":\"error\",\"errorType\":\"%s\",\"error\":", types[t]);
    promql_json_string(out, msg);
    strbuf_addc(out, '}');
    return status[t];
}

static int param_error(struct strbuf *out, const char *param, const char *msg)
{
    struct strbuf m = STRBUF_INIT;
    strbuf_addf(&m, "invalid parameter \"%s\": %s", param, msg);
    int rc = api_error(out, PQ_ERR_BAD_DATA, m.buf);
    strbuf_release(&m);
    return rc;
}

static void go_quote(struct strbuf *sb, const char *s)
{
    labels_quote(sb, s, strlen(s));
}

static int parse_float(const char *s, double *v)
{
    char *end;
    if (!*s)
        return -1;
    /* Go's ParseFloat: no leading space, no hex without 'p' exponent in practice. */
    if (*s == ' ' || *s == '\t' || *s == '\n')
        return -1;
    *v = strtod(s, &end);
    return *end ? -1 : 0;
}

int promql_api_parse_time(const char *s, int64_t *ms)
{
    double f;
    if (parse_float(s, &f) == 0) {
        if (isnan(f) || isinf(f) || fabs(f) > 9.2e15)
            return -1;
        double ip;
        double frac = modf(f, &ip);
        frac = round(frac * 1000) / 1000;
        *ms = (int64_t)ip * 1000 + (int64_t)llround(frac * 1000);
        return 0;
    }
    if (isotime_parse_ms(s, ISOTIME_STRICT, ms) == 0)
        return 0;
    return -1;
}

int promql_api_parse_duration(const char *s, int64_t *ms)
{
    double f;
    if (parse_float(s, &f) == 0) {
        double ns = f * 1e9;
        if (isnan(ns) || ns > 9.223372036854775807e18 || ns < -9.223372036854775808e18)
            return -2;
        *ms = (int64_t)ns / 1000000;
        return 0;
    }
    if (pq_parse_duration(s, strlen(s), ms) == 0)
        return 0;
    return -1;
}

static int duration_param(struct strbuf *out, const char *name, const char *s, int64_t *ms)
{
    int r = promql_api_parse_duration(s, ms);
    if (r == 0)
        return 0;
    struct strbuf m = STRBUF_INIT;
    strbuf_adds(&m, "cannot parse ");
    go_quote(&m, s);
    strbuf_adds(&m, r == -2 ? " to a valid duration. It overflows int64" : " to a valid duration");
    param_error(out, name, m.buf);
    strbuf_release(&m);
    return -1;
}

static int time_param(struct strbuf *out, const char *name, const char *s, int64_t *ms)
{
    if (promql_api_parse_time(s, ms) == 0)
        return 0;
    struct strbuf m = STRBUF_INIT;
    strbuf_adds(&m, "cannot parse ");
    go_quote(&m, s);
    strbuf_adds(&m, " to a valid timestamp");
    param_error(out, name, m.buf);
    strbuf_release(&m);
    return -1;
}

static int run(const struct querier *q, const struct pq_opts *o0, const struct promql_api_params *p,
               int64_t start, int64_t end, int64_t step, int64_t timeout_ms, struct strbuf *out)
{
    struct pq_opts o = *o0;
    /* Per-step counts only for stats=all (api.go's EnablePerStepStats). */
    o.per_step_stats = o0->per_step_stats && p->stats && !strcmp(p->stats, "all");
    if (timeout_ms > 0 && (o.timeout_s <= 0 || (double)timeout_ms / 1000 < o.timeout_s))
        o.timeout_s = (double)timeout_ms / 1000;
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT;
    const char *qs = p->query ? p->query : "";
    int status;
    struct pq_node *n = promql_parse(&a, qs, strlen(qs), &err);
    if (!n) {
        if (step) {
            status = api_error(out, PQ_ERR_BAD_DATA, err.buf);
        } else {
            status = param_error(out, "query", err.buf);
        }
        goto done;
    }
    struct pq_result res;
    enum pq_errtype et = promql_eval(&a, q, &o, n, start, end, step, &res, &err);
    if (et != PQ_ERR_NONE) {
        status = api_error(out, et, err.buf);
        goto done;
    }
    strbuf_reset(out);
    strbuf_adds(out, "{\"status\":\"success\",\"data\":");
    promql_json_result_open(out, &res);
    /* Any non-empty stats parameter asks for them (defaultStatsRenderer). */
    if (p->stats && *p->stats) {
        strbuf_adds(out, ",\"stats\":");
        promql_json_stats(out, &res);
    }
    strbuf_adds(out, "}}");
    status = 200;
done:
    if (n)
        pq_node_release(n);
    strbuf_release(&err);
    arena_release(&a);
    return status;
}

/* parseTimeParam: a missing value is the default; a bad one names the parameter twice. */
static int time_param_opt(struct strbuf *out, const char *name, const char *s, int64_t *ms)
{
    if (!s || !*s)
        return 0;
    if (promql_api_parse_time(s, ms) == 0)
        return 0;
    struct strbuf m = STRBUF_INIT;
    strbuf_addf(&m, "Invalid time value for '%s': cannot parse ", name);
    go_quote(&m, s);
    strbuf_adds(&m, " to a valid timestamp");
    param_error(out, name, m.buf);
    strbuf_release(&m);
    return -1;
}

static int has_selector(const struct pq_node *n)
{
    if (!n)
        return 0;
    if (n->kind == N_VS)
        return 1;
    if (has_selector(n->expr) || has_selector(n->lhs) || has_selector(n->rhs) ||
        has_selector(n->param))
        return 1;
    for (size_t i = 0; i < n->nargs; i++)
        if (has_selector(n->args[i]))
            return 1;
    return 0;
}

int promql_api_query_exemplars(const struct promql_api_params *p, struct strbuf *out)
{
    int64_t start = INT64_MIN, end = INT64_MAX;
    if (time_param_opt(out, "start", p->start, &start) < 0 ||
        time_param_opt(out, "end", p->end, &end) < 0)
        return 400;
    if (end < start)
        return api_error(out, PQ_ERR_BAD_DATA, "end timestamp must not be before start timestamp");
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT;
    const char *qs = p->query ? p->query : "";
    int status = 200;
    struct pq_node *n = promql_parse(&a, qs, strlen(qs), &err);
    if (!n) {
        status = api_error(out, PQ_ERR_BAD_DATA, err.buf);
    } else {
        strbuf_reset(out);
        /* No selector: Prometheus answers 204 No Content with an empty body. */
        if (has_selector(n))
            strbuf_adds(out, "{\"status\":\"success\",\"data\":[]}");
        else
            status = 204;
        pq_node_release(n);
    }
    strbuf_release(&err);
    arena_release(&a);
    return status;
}

int promql_api_query(const struct querier *q, const struct pq_opts *o,
                     const struct promql_api_params *p, struct strbuf *out)
{
    int64_t ts = p->now_ms, timeout = 0;
    if (p->time && *p->time && promql_api_parse_time(p->time, &ts) < 0) {
        /* parseTimeParam wraps parseTime's error. */
        struct strbuf m = STRBUF_INIT;
        strbuf_adds(&m, "Invalid time value for 'time': cannot parse ");
        go_quote(&m, p->time);
        strbuf_adds(&m, " to a valid timestamp");
        int st = param_error(out, "time", m.buf);
        strbuf_release(&m);
        return st;
    }
    if (p->timeout && *p->timeout && duration_param(out, "timeout", p->timeout, &timeout) < 0)
        return 400;
    return run(q, o, p, ts, ts, 0, timeout, out);
}

int promql_api_query_range(const struct querier *q, const struct pq_opts *o,
                           const struct promql_api_params *p, struct strbuf *out)
{
    int64_t start, end, step, timeout = 0;
    if (time_param(out, "start", p->start ? p->start : "", &start) < 0)
        return 400;
    if (time_param(out, "end", p->end ? p->end : "", &end) < 0)
        return 400;
    if (end < start)
        return param_error(out, "end", "end timestamp must not be before start time");
    if (duration_param(out, "step", p->step ? p->step : "", &step) < 0)
        return 400;
    if (step <= 0)
        return param_error(
            out, "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer");
    if ((end - start) / step > 11000)
        return api_error(
            out, PQ_ERR_BAD_DATA,
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
    if (p->timeout && *p->timeout && duration_param(out, "timeout", p->timeout, &timeout) < 0)
        return 400;
    return run(q, o, p, start, end, step, timeout, out);
}

int promql_api_format_query(const struct promql_api_params *p, struct strbuf *out)
{
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
    const char *qs = p->query ? p->query : "";
    int status = 200;
    struct pq_node *n = promql_parse(&a, qs, strlen(qs), &err);
    if (!n) {
        status = param_error(out, "query", err.buf);
    } else {
        promql_pretty(n, 0, &text);
        strbuf_reset(out);
        strbuf_adds(out, "{\"status\":\"success\",\"data\":");
        promql_json_string(out, text.buf);
        strbuf_addc(out, '}');
        pq_node_release(n);
    }
    strbuf_release(&err);
    strbuf_release(&text);
    arena_release(&a);
    return status;
}
