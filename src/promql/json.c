/*
 * json: see json.h. Byte layout of the responses follows Prometheus 2.42's
 * web/api/v1/api.go and its jsoniter encoders (marshalPointJSON,
 * jsonutil.MarshalTimestamp, MarshalValue).
 */
#include "promql/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
void promql_json_result_open(struct strbuf *sb, const struct pq_result *r)
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
    promql_json_result_open(sb, r);
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
