/*
 * api: see api.h. Byte layout of the responses follows Prometheus 2.42's
 * web/api/v1/api.go and its jsoniter encoders (marshalPointJSON,
 * jsonutil.MarshalTimestamp, MarshalValue).
 */
#include "promql/api.h"

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

void promql_json_string(struct strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    strbuf_addc(sb, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '"':
                strbuf_adds(sb, "\\\"");
                break;
            case '\\':
                strbuf_adds(sb, "\\\\");
                break;
            case '\n':
                strbuf_adds(sb, "\\n");
                break;
            case '\r':
                strbuf_adds(sb, "\\r");
                break;
            case '\t':
                strbuf_adds(sb, "\\t");
                break;
            case '<':
            case '>':
            case '&':
                strbuf_addf(sb, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                break;
            default:
                if (c < 0x20)
                    strbuf_addf(sb, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                else
                    strbuf_addc(sb, (char)c);
            }
            p++;
            continue;
        }
        /* Validate one UTF-8 sequence; invalid bytes become U+FFFD as in Go. */
        int len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
        int ok = len > 0 && c < 0xf5;
        for (int i = 1; ok && i < len; i++)
            if ((p[i] & 0xc0) != 0x80)
                ok = 0;
        if (ok && len == 3) {
            unsigned cp = ((c & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f);
            if (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))
                ok = 0;
            else if (cp == 0x2028 || cp == 0x2029) {
                strbuf_addf(sb, "\\u%04x", cp);
                p += 3;
                continue;
            }
        }
        if (ok && len == 4) {
            unsigned cp =
                ((c & 0x07) << 18) | ((p[1] & 0x3f) << 12) | ((p[2] & 0x3f) << 6) | (p[3] & 0x3f);
            if (cp < 0x10000 || cp > 0x10ffff)
                ok = 0;
        }
        if (!ok) {
            strbuf_adds(sb, "\\ufffd");
            p++;
            continue;
        }
        strbuf_add(sb, p, (size_t)len);
        p += len;
    }
    strbuf_addc(sb, '"');
}

void promql_json_value(struct strbuf *sb, double v)
{
    strbuf_addc(sb, '"');
    double a = fabs(v);
    if (!isnan(v) && !isinf(v) && a != 0 && (a < 1e-6 || a >= 1e21)) {
        /* strconv 'e' with the shortest digits: 1e-07, 1.5e+21 */
        struct strbuf t = STRBUF_INIT;
        pq_fmt_float(&t, v, 'v');
        strbuf_add(sb, t.buf, t.len);
        strbuf_release(&t);
    } else {
        pq_fmt_float(sb, v, 'f');
    }
    strbuf_addc(sb, '"');
}

/* The time as json_time writes it, into buf (32 bytes); its length. */
static size_t json_time_buf(char *out, int64_t ms)
{
    uint64_t u = (uint64_t)ms;
    size_t k = 0;
    if (ms < 0) {
        out[k++] = '-';
        u = (uint64_t)0 - u;
    }
    /* Digits by hand: this runs for every point of every answer. */
    char buf[32];
    int n = sizeof buf;
    uint64_t s = u / 1000, f = u % 1000;
    if (f) {
        for (int i = 0; i < 3; i++, f /= 10)
            buf[--n] = (char)('0' + f % 10);
        buf[--n] = '.';
    }
    do {
        buf[--n] = (char)('0' + s % 10);
        s /= 10;
    } while (s);
    memcpy(out + k, buf + n, sizeof buf - (size_t)n);
    return k + sizeof buf - (size_t)n;
}

void promql_json_time(struct strbuf *sb, int64_t ms)
{
    char buf[32];
    strbuf_add(sb, buf, json_time_buf(buf, ms));
}

/* encoding/json's float64: shortest 'f', or 'e' (e-7, not e-07) past 1e-6 and 1e21. */
static void json_go_float(struct strbuf *sb, double v)
{
    double a = fabs(v);
    if (a != 0 && (a < 1e-6 || a >= 1e21)) {
        struct strbuf t = STRBUF_INIT;
        pq_fmt_float(&t, v, 'v');
        char *e = strchr(t.buf, 'e');
        if (e && (e[1] == '-' || e[1] == '+') && e[2] == '0' && e[3]) {
            strbuf_add(sb, t.buf, (size_t)(e - t.buf) + 2);
            strbuf_adds(sb, e + 3);
        } else {
            strbuf_add(sb, t.buf, t.len);
        }
        strbuf_release(&t);
        return;
    }
    pq_fmt_float(sb, v, 'f');
}

static void json_metric(struct strbuf *sb, const struct labels *l)
{
    strbuf_addc(sb, '{');
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            strbuf_addc(sb, ',');
        promql_json_string(sb, l->v[i].name);
        strbuf_addc(sb, ':');
        promql_json_string(sb, l->v[i].value);
    }
    strbuf_addc(sb, '}');
}

/*
 * What a matrix's points share, formatted once: the step times of a range
 * query (its series all have points on the same grid) and the values
 * recently written (direct-mapped by their bits; a series that holds a
 * value, or series that count alike, write the same text again).
 */
#define VCACHE_BITS 10
struct vcache_ent {
    uint64_t bits;
    unsigned char len; /* 0: empty */
    char s[31];        /* pq_fmt_float_buf's 'f' text when it fits */
};

struct point_ctx {
    int64_t start, interval;
    size_t nsteps;
    char (*ts)[24]; /* nsteps step times: length in the last byte */
    struct vcache_ent *vc;
};

static void point_ctx_init(struct point_ctx *pc, const struct pq_result *r)
{
    memset(pc, 0, sizeof *pc);
    if (r->n < 2)
        return;
    pc->vc = xmalloc(((size_t)1 << VCACHE_BITS) * sizeof *pc->vc);
    for (size_t i = 0; i < (size_t)1 << VCACHE_BITS; i++)
        pc->vc[i].len = 0;
    if (r->nsteps < 2 || r->interval <= 0)
        return;
    pc->start = r->start;
    pc->interval = r->interval;
    pc->nsteps = r->nsteps;
    pc->ts = xmalloc(r->nsteps * sizeof *pc->ts);
    for (size_t k = 0; k < r->nsteps; k++) {
        size_t l = json_time_buf(pc->ts[k], r->start + (int64_t)k * r->interval);
        pc->ts[k][23] = (char)l;
    }
}

static void point_ctx_release(struct point_ctx *pc)
{
    free(pc->ts);
    free(pc->vc);
}

static void json_point(struct strbuf *sb, int64_t t, double v, const struct point_ctx *pc)
{
    /* One strbuf_add per point: this runs for every point of every answer. */
    double a = fabs(v);
    if (!isnan(v) && !isinf(v) && a != 0 && (a < 1e-6 || a >= 1e21)) {
        strbuf_addc(sb, '[');
        promql_json_time(sb, t);
        strbuf_addc(sb, ',');
        promql_json_value(sb, v);
        strbuf_addc(sb, ']');
        return;
    }
    char buf[PQ_FLOAT_MAX + 40];
    size_t n = 0;
    buf[n++] = '[';
    uint64_t k =
        pc && pc->ts ? ((uint64_t)t - (uint64_t)pc->start) / (uint64_t)pc->interval : UINT64_MAX;
    if (k < (pc ? pc->nsteps : 0) && pc->start + (int64_t)k * pc->interval == t) {
        memcpy(buf + n, pc->ts[k], 23);
        n += (size_t)pc->ts[k][23];
    } else {
        n += json_time_buf(buf + n, t);
    }
    buf[n++] = ',';
    buf[n++] = '"';
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    struct vcache_ent *e =
        pc && pc->vc ? &pc->vc[(bits * 0x9E3779B97F4A7C15ULL) >> (64 - VCACHE_BITS)] : NULL;
    if (e && e->len && e->bits == bits) {
        memcpy(buf + n, e->s, sizeof e->s);
        n += e->len;
    } else {
        size_t l = pq_fmt_float_buf(buf + n, v, 'f');
        if (e && l <= sizeof e->s) {
            e->bits = bits;
            e->len = (unsigned char)l;
            memcpy(e->s, buf + n, l);
        }
        n += l;
    }
    buf[n++] = '"';
    buf[n++] = ']';
    strbuf_add(sb, buf, n);
}

/* The series of r from index from up to to, comma-separated (a comma first unless from is 0). */
struct matrix_part {
    struct strbuf *sb;
    const struct pq_result *r;
    size_t from, to;
};

static void json_matrix_part(void *arg)
{
    const struct matrix_part *m = arg;
    struct point_ctx pc;
    const struct pq_result *r = m->r;
    point_ctx_init(&pc, r);
    for (size_t i = m->from; i < m->to; i++) {
        if (i)
            strbuf_addc(m->sb, ',');
        strbuf_adds(m->sb, "{\"metric\":");
        json_metric(m->sb, &r->s[i].labels);
        strbuf_adds(m->sb, ",\"values\":[");
        for (size_t k = 0; k < r->s[i].n; k++) {
            if (k)
                strbuf_addc(m->sb, ',');
            json_point(m->sb, r->s[i].p[k].t, r->s[i].p[k].v, &pc);
        }
        strbuf_adds(m->sb, "]}");
    }
    point_ctx_release(&pc);
}

/* Below this many points one thread writes the whole body. */
#define JSON_PAR_POINTS 200000

/*
 * The series of a matrix. A large one is written on two threads: the second
 * half of the points into a buffer of its own, appended after the first
 * (a copy costs far less than writing the points).
 */
static void json_matrix(struct strbuf *sb, const struct pq_result *r)
{
    size_t points = 0, acc = 0, mid = 0;

    for (size_t i = 0; i < r->n; i++)
        points += r->s[i].n;
    strbuf_reserve(sb, points * 24 + r->n * 128); /* a guess: grows past it as needed */
    while (mid < r->n && acc < points / 2)
        acc += r->s[mid++].n;
    struct strbuf tail;
    strbuf_init(&tail, sb->cap);
    struct matrix_part first = {sb, r, 0, mid}, second = {&tail, r, mid, r->n};
    if (points < JSON_PAR_POINTS || mid == r->n) {
        first.to = r->n;
        json_matrix_part(&first);
    } else {
        strbuf_reserve(&tail, (points - acc) * 24 + (r->n - mid) * 128);
        par_pair(json_matrix_part, &first, &second);
        strbuf_add(sb, tail.buf, tail.len);
    }
    strbuf_release(&tail);
}

/* The "data" object without its closing brace ("stats" may follow). */
static void json_result_open(struct strbuf *sb, const struct pq_result *r)
{
    static const char *const names[] = {"", "scalar", "vector", "matrix", "string"};
    strbuf_addf(sb, "{\"resultType\":\"%s\",\"result\":", names[r->type]);
    switch (r->type) {
    case PQ_SCALAR:
        /* Scalar and String marshal through encoding/json, not the point encoder. */
        strbuf_addc(sb, '[');
        json_go_float(sb, (double)r->t / 1000);
        strbuf_adds(sb, ",\"");
        pq_fmt_float(sb, r->scalar, 'f');
        strbuf_adds(sb, "\"]");
        break;
    case PQ_STRING:
        strbuf_addc(sb, '[');
        json_go_float(sb, (double)r->t / 1000);
        strbuf_addc(sb, ',');
        promql_json_string(sb, r->str);
        strbuf_addc(sb, ']');
        break;
    case PQ_VECTOR:
        strbuf_addc(sb, '[');
        for (size_t i = 0; i < r->n; i++) {
            if (i)
                strbuf_addc(sb, ',');
            strbuf_adds(sb, "{\"metric\":");
            json_metric(sb, &r->s[i].labels);
            strbuf_adds(sb, ",\"value\":");
            json_point(sb, r->s[i].p[0].t, r->s[i].p[0].v, NULL);
            strbuf_addc(sb, '}');
        }
        strbuf_addc(sb, ']');
        break;
    case PQ_MATRIX:
        strbuf_addc(sb, '[');
        json_matrix(sb, r);
        strbuf_addc(sb, ']');
        break;
    default:
        strbuf_adds(sb, "null");
    }
}

void promql_json_result(struct strbuf *sb, const struct pq_result *r)
{
    json_result_open(sb, r);
    strbuf_addc(sb, '}');
}

/*
 * "stats" as 2.42's util/stats.BuiltinStats marshals through encoding/json:
 * timings (seconds as float64, in QueryTiming order), then samples with
 * totalQueryableSamplesPerStep ([[time, count], ...], omitted when empty)
 * first, totalQueryableSamples and peakSamples.
 */
void promql_json_stats(struct strbuf *sb, const struct pq_result *r)
{
    const struct {
        const char *name;
        double v;
    } t[] = {{"evalTotalTime", r->t_eval_total},
             {"resultSortTime", r->t_result_sort},
             {"queryPreparationTime", r->t_prepare},
             {"innerEvalTime", r->t_inner_eval},
             {"execQueueTime", r->t_exec_queue},
             {"execTotalTime", r->t_exec_queue + r->t_eval_total}};
    strbuf_adds(sb, "{\"timings\":{");
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        strbuf_addf(sb, "%s\"%s\":", i ? "," : "", t[i].name);
        json_go_float(sb, t[i].v);
    }
    strbuf_adds(sb, "},\"samples\":{");
    if (r->per_step && r->nsteps) {
        strbuf_adds(sb, "\"totalQueryableSamplesPerStep\":[");
        for (size_t k = 0; k < r->nsteps; k++) {
            strbuf_adds(sb, k ? ",[" : "[");
            json_go_float(sb, (double)(r->start + (int64_t)k * r->interval) / 1000);
            strbuf_addf(sb, ",%lld]", (long long)r->per_step[k]);
        }
        strbuf_adds(sb, "],");
    }
    strbuf_addf(sb, "\"totalQueryableSamples\":%lld,\"peakSamples\":%zu}}",
                (long long)r->total_samples, r->peak_samples);
}

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
    json_result_open(out, &res);
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
