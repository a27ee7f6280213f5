#define _XOPEN_SOURCE 700
/*
 * api: cairn-tsdb's HTTP endpoints as Prometheus 2.42 serves them:
 * remote-write (204 / 400 / 500 with a text body, as http.Error writes it)
 * and /api/v1/... with the {"status":"success","data":...} /
 * {"status":"error","errorType":...,"error":...} envelope, compact JSON in
 * Go's field order and escaping.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "metrics/remotewrite.h"
#include "tsdb/compact.h"
#include "tsdb/delete.h"
#include "tsdb/fsutil.h"
#include "tsdb/query.h"
#include "tsdbd/gofmt.h"
#include "promql/api.h"
#include "tsdbd/selector.h"
#include "tsdbd/tsdbquerier.h"
#include "tsdbd/tsdbd.h"

/* Prometheus's minTime and maxTime (time.Unix(math.MinInt64/1000+62135596801, 0)) in ms. */
static const int64_t api_min_ms = -9223309901257974LL * 1000;
static const int64_t api_max_ms = 9223309901257974LL * 1000;

enum api_err { ERR_BAD_DATA, ERR_EXEC, ERR_INTERNAL, ERR_UNAVAILABLE, ERR_NOT_FOUND };
static const struct {
    const char *type;
    int status;
} err_kinds[] = {{"bad_data", 400},
                 {"execution", 422},
                 {"internal", 500},
                 {"unavailable", 503},
                 {"not_found", 404}};

static void api_error(struct httpd_resp *resp, enum api_err k, const char *msg)
{
    struct strbuf *b = httpd_resp_body(resp);
    strbuf_adds(b, "{\"status\":\"error\",\"errorType\":\"");
    strbuf_adds(b, err_kinds[k].type);
    strbuf_adds(b, "\",\"error\":");
    gofmt_json_str(b, msg);
    strbuf_addc(b, '}');
    httpd_resp_status(resp, err_kinds[k].status);
    httpd_resp_header(resp, "Content-Type", "application/json");
}

/* Start a success envelope; the caller appends data then calls ok_end. */
static struct strbuf *ok_begin(struct httpd_resp *resp)
{
    struct strbuf *b = httpd_resp_body(resp);
    strbuf_adds(b, "{\"status\":\"success\",\"data\":");
    httpd_resp_header(resp, "Content-Type", "application/json");
    return b;
}

static void ok_end(struct strbuf *b)
{
    strbuf_addc(b, '}');
}

struct strbuf *tsdbd_ok_begin(struct httpd_resp *resp)
{
    return ok_begin(resp);
}

void tsdbd_ok_end(struct strbuf *b)
{
    ok_end(b);
}

void tsdbd_bad_data(struct httpd_resp *resp, const char *msg)
{
    api_error(resp, ERR_BAD_DATA, msg);
}

static void ok_raw(struct httpd_resp *resp, const char *data)
{
    struct strbuf *b = ok_begin(resp);
    strbuf_adds(b, data);
    ok_end(b);
}

static int parse_rfc3339(const char *s, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (!digits)
            return -1;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    int64_t off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        off = (hh * 60 + mm) * 60 * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    int64_t secs = (int64_t)timegm(&tm) - off;
    *ms = secs * 1000 + frac;
    return 0;
}

/* Prometheus's parseTimeParam: float seconds or RFC 3339; 0 or -1 with the 400 written. */
static int time_param(struct httpd_req *req, struct httpd_resp *resp, const char *name, int64_t def,
                      int64_t *out)
{
    const char *v = httpd_req_arg(req, name);
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    char *end;
    double f = strtod(v, &end);
    if (*end == 0 && end != v && isfinite(f)) {
        double s = trunc(f), frac = round((f - s) * 1000) / 1000;
        *out = (int64_t)s * 1000 + (int64_t)llround(frac * 1000);
        return 0;
    }
    if (parse_rfc3339(v, out) == 0)
        return 0;
    struct strbuf m;
    strbuf_init(&m, 4096);
    strbuf_addf(&m, "invalid parameter \"%s\": cannot parse \"%s\" to a valid timestamp", name, v);
    api_error(resp, ERR_BAD_DATA, m.buf);
    strbuf_release(&m);
    return -1;
}

/* match[] values parsed into selectors; -1 with the 400 written. */
static int match_params(struct httpd_req *req, struct httpd_resp *resp, struct selector **out,
                        size_t *n)
{
    const char **vals;
    size_t nv = httpd_req_args(req, "match[]", &vals);
    *out = xcalloc(nv + 1, sizeof **out);
    *n = 0;
    for (size_t i = 0; i < nv; i++) {
        struct diag d;
        diag_init(&d);
        if (selector_parse(&(*out)[i], vals[i], &d) != 0) {
            api_error(resp, ERR_BAD_DATA, diag_last(&d));
            diag_release(&d);
            for (size_t k = 0; k < i; k++)
                selector_release(&(*out)[k]);
            free(*out);
            *out = NULL;
            return -1;
        }
        diag_release(&d);
        (*n)++;
        int nonempty = 0;
        for (size_t k = 0; k < (*out)[i].n; k++)
            nonempty |= !matcher_matches_empty(&(*out)[i].m[k]);
        if (!nonempty) {
            api_error(resp, ERR_BAD_DATA, "match[] must contain at least one non-empty matcher");
            for (size_t k = 0; k <= i; k++)
                selector_release(&(*out)[k]);
            free(*out);
            *out = NULL;
            return -1;
        }
    }
    return 0;
}

static void free_selectors(struct selector *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        selector_release(&s[i]);
    free(s);
}

void tsdbd_labels_json(struct strbuf *b, const struct labels *ls)
{
    strbuf_addc(b, '{');
    for (size_t i = 0; i < ls->n; i++) {
        if (i)
            strbuf_addc(b, ',');
        gofmt_json_str(b, ls->v[i].name);
        strbuf_addc(b, ':');
        gofmt_json_str(b, ls->v[i].value);
    }
    strbuf_addc(b, '}');
}

static void h_series(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct selector *sel;
    size_t nsel;
    int64_t start, end;
    const char **vals;
    if (httpd_req_args(req, "match[]", &vals) == 0) {
        api_error(resp, ERR_BAD_DATA, "no match[] parameter provided");
        return;
    }
    if (time_param(req, resp, "start", api_min_ms, &start) != 0 ||
        time_param(req, resp, "end", api_max_ms, &end) != 0 ||
        match_params(req, resp, &sel, &nsel) != 0)
        return;
    struct query_result r;
    struct diag d;
    query_result_init(&r);
    diag_init(&d);
    int rc = 0;
    for (size_t i = 0; i < nsel && rc == 0; i++)
        rc = query_select(t->db, start, end, sel[i].m, sel[i].n, 0, &r, &d);
    if (rc != 0) {
        api_error(resp, ERR_INTERNAL, diag_last(&d));
    } else {
        /* Several match[]: query_select sorted each pass; merge by sorting again. */
        struct strbuf *b = ok_begin(resp);
        strbuf_addc(b, '[');
        const char *lim = httpd_req_arg(req, "limit");
        size_t limit = lim && atol(lim) > 0 ? (size_t)atol(lim) : SIZE_MAX;
        for (size_t i = 0; i < r.n && i < limit; i++) {
            if (i)
                strbuf_addc(b, ',');
            tsdbd_labels_json(b, &r.v[i].ls);
        }
        strbuf_addc(b, ']');
        ok_end(b);
    }
    query_result_release(&r);
    diag_release(&d);
    free_selectors(sel, nsel);
}

static void strings_answer(struct httpd_req *req, struct httpd_resp *resp,
                           const struct query_strings *s)
{
    struct strbuf *b = ok_begin(resp);
    const char *lim = httpd_req_arg(req, "limit");
    size_t limit = lim && atol(lim) > 0 ? (size_t)atol(lim) : SIZE_MAX;
    strbuf_addc(b, '[');
    for (size_t i = 0; i < s->n && i < limit; i++) {
        if (i)
            strbuf_addc(b, ',');
        gofmt_json_str(b, s->v[i]);
    }
    strbuf_addc(b, ']');
    ok_end(b);
}

static void labels_common(struct httpd_req *req, struct httpd_resp *resp, struct tsdbd *t,
                          const char *name)
{
    struct selector *sel;
    size_t nsel;
    int64_t start, end;
    if (time_param(req, resp, "start", api_min_ms, &start) != 0 ||
        time_param(req, resp, "end", api_max_ms, &end) != 0 ||
        match_params(req, resp, &sel, &nsel) != 0)
        return;
    struct query_strings s;
    struct diag d;
    query_strings_init(&s);
    diag_init(&d);
    int rc = 0;
    if (nsel == 0)
        rc = query_labels(t->db, name, start, end, NULL, 0, &s, &d);
    for (size_t i = 0; i < nsel && rc == 0; i++)
        rc = query_labels(t->db, name, start, end, sel[i].m, sel[i].n, &s, &d);
    if (rc != 0) {
        api_error(resp, ERR_INTERNAL, diag_last(&d));
    } else {
        if (nsel > 1) {
            /* Union of several passes: sort and deduplicate again. */
            struct query_strings u;
            query_strings_init(&u);
            for (size_t i = 0; i < s.n; i++) {
                int dup = 0;
                for (size_t k = 0; k < u.n && !dup; k++)
                    dup = !strcmp(u.v[k], s.v[i]);
                if (!dup) {
                    xgrow((void **)&u.v, &u.alloc, u.n + 1, sizeof *u.v);
                    u.v[u.n++] = s.v[i];
                }
            }
            strings_answer(req, resp, &u);
            free(u.v);
            arena_release(&u.arena);
        } else {
            strings_answer(req, resp, &s);
        }
    }
    query_strings_release(&s);
    diag_release(&d);
    free_selectors(sel, nsel);
}

static void h_labels(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    labels_common(req, resp, ctx, NULL);
}

static void h_label_values(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    const char *name = httpd_req_param(req, "name");
    if (!labels_valid_name(name, strlen(name))) {
        struct strbuf m;
        strbuf_init(&m, 4096);
        strbuf_addf(&m, "invalid label name: \"%s\"", name);
        api_error(resp, ERR_BAD_DATA, m.buf);
        strbuf_release(&m);
        return;
    }
    labels_common(req, resp, ctx, name);
}

static void h_write(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    size_t len;
    const char *body = httpd_req_body(req, &len);
    struct remotewrite_limits lim = remotewrite_limits_default();
    struct remotewrite_request rw;
    struct diag d;
    diag_init(&d);
    t->rw_requests++;
    if (remotewrite_decode(body, len, &lim, httpd_req_arena(req), &rw, &d) != 0) {
        t->rw_rejected++;
        httpd_resp_text(resp, 400, "text/plain; charset=utf-8", "%s\n", diag_last(&d));
        diag_release(&d);
        return;
    }
    struct db_appender a;
    db_appender_init(&a, t->db);
    size_t n = 0;
    for (size_t i = 0; i < rw.nseries; i++)
        for (size_t k = 0; k < rw.series[i].nsamples; k++) {
            db_appender_add(&a, &rw.series[i].labels, rw.series[i].samples[k].t,
                            rw.series[i].samples[k].v);
            n++;
        }
    enum db_commit_result r = db_appender_commit(&a, &d);
    db_appender_release(&a);
    if (r == DB_COMMIT_OK) {
        t->rw_samples += n;
        httpd_resp_status(resp, 204);
    } else if (r == DB_COMMIT_REJECTED) {
        t->rw_rejected++;
        /* Only the first error line, as Prometheus's err.Error(). */
        httpd_resp_text(resp, 400, "text/plain; charset=utf-8", "%s\n",
                        d.n ? d.v[0].msg : "bad request");
    } else {
        t->rw_failed++;
        log_error("Error appending remote write: %s", diag_last(&d));
        httpd_resp_text(resp, 500, "text/plain; charset=utf-8", "%s\n", diag_last(&d));
    }
    diag_release(&d);
}

static void h_buildinfo(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    ok_raw(resp, "{\"version\":\"2.42.0\",\"revision\":\"cairn-tsdb-" CAIRN_VERSION
                 "\",\"branch\":\"cairn\",\"buildUser\":\"cairn\",\"buildDate\":\"\","
                 "\"goVersion\":\"none (C11)\"}");
}

static void h_flags(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct strbuf *b = ok_begin(resp);
    /* Go marshals a map with sorted keys. */
    size_t idx[64], n = flags_count;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t k = i;
             k > 0 && strcmp(flags_table[idx[k - 1]].name, flags_table[idx[k]].name) > 0; k--) {
            size_t x = idx[k];
            idx[k] = idx[k - 1];
            idx[k - 1] = x;
        }
    strbuf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addc(b, ',');
        gofmt_json_str(b, flags_table[idx[i]].name);
        strbuf_addc(b, ':');
        gofmt_json_str(b, flags_value(&t->flags, idx[i]));
    }
    strbuf_addc(b, '}');
    ok_end(b);
}

static void h_config(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct strbuf *b = ok_begin(resp);
    strbuf_adds(b, "{\"yaml\":");
    pthread_mutex_lock(&t->config_lock);
    gofmt_json_str(b, t->config_text ? t->config_text : "");
    pthread_mutex_unlock(&t->config_lock);
    strbuf_addc(b, '}');
    ok_end(b);
}

static void h_rules(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    ok_raw(resp, "{\"groups\":[]}");
}

static void h_alerts(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    ok_raw(resp, "{\"alerts\":[]}");
}

struct stat_count {
    const char *name;
    uint64_t n;
};

static int cmp_stat(const void *a, const void *b)
{
    const struct stat_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void stat_list(struct strbuf *b, const char *key, struct stat_count *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_stat);
    strbuf_addf(b, "\"%s\":[", key);
    for (size_t i = 0; i < n && i < 10; i++) {
        if (i)
            strbuf_addc(b, ',');
        strbuf_adds(b, "{\"name\":");
        gofmt_json_str(b, v[i].name);
        strbuf_addf(b, ",\"value\":%" PRIu64 "}", v[i].n);
    }
    strbuf_addc(b, ']');
}

/* A tiny string → count table for the status page. */
struct counter_set {
    struct arena arena;
    struct stat_count *v;
    size_t n, alloc;
};

static void cs_add(struct counter_set *c, const char *name, uint64_t by)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].name, name)) {
            c->v[i].n += by;
            return;
        }
    xgrow((void **)&c->v, &c->alloc, c->n + 1, sizeof *c->v);
    c->v[c->n].name = arena_strdup(&c->arena, name);
    c->v[c->n++].n = by;
}

static void h_status_tsdb(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct head *h = &t->db->head;
    struct counter_set by_metric, by_name_values, by_name_bytes, by_pair, names_seen;
    struct counter_set *all[] = {&by_metric, &by_name_values, &by_name_bytes, &by_pair,
                                 &names_seen};
    for (size_t i = 0; i < 5; i++) {
        memset(all[i], 0, sizeof *all[i]);
        arena_init(&all[i]->arena);
    }
    struct strbuf pair;
    strbuf_init(&pair, STRBUF_NOCAP);
    pthread_rwlock_rdlock(&h->lock);
    uint64_t nseries = h->nseries, chunks = h->chunks;
    int64_t mint = h->mint, maxt = h->maxt;
    for (size_t bk = 0; bk < h->nbuckets; bk++)
        for (struct head_series *s = h->by_hash[bk]; s; s = s->next_hash) {
            const char *mn = labels_get(&s->ls, "__name__");
            if (mn)
                cs_add(&by_metric, mn, 1);
            for (size_t k = 0; k < s->ls.n; k++) {
                strbuf_reset(&pair);
                strbuf_addf(&pair, "%s=%s", s->ls.v[k].name, s->ls.v[k].value);
                size_t before = by_pair.n;
                cs_add(&by_pair, pair.buf, 1);
                if (by_pair.n > before) {
                    cs_add(&by_name_values, s->ls.v[k].name, 1);
                    cs_add(&by_name_bytes, s->ls.v[k].name, strlen(s->ls.v[k].value));
                }
            }
        }
    pthread_rwlock_unlock(&h->lock);
    struct strbuf *b = ok_begin(resp);
    if (mint == INT64_MAX) {
        mint = INT64_MAX;
        maxt = INT64_MIN;
    }
    strbuf_addf(b,
                "{\"headStats\":{\"numSeries\":%" PRIu64
                ",\"numLabelPairs\":%zu,\"chunkCount\":%" PRIu64 ",\"minTime\":%" PRId64
                ",\"maxTime\":%" PRId64 "},",
                nseries, by_pair.n, chunks, mint, maxt);
    stat_list(b, "seriesCountByMetricName", by_metric.v, by_metric.n);
    strbuf_addc(b, ',');
    stat_list(b, "labelValueCountByLabelName", by_name_values.v, by_name_values.n);
    strbuf_addc(b, ',');
    stat_list(b, "memoryInBytesByLabelName", by_name_bytes.v, by_name_bytes.n);
    strbuf_addc(b, ',');
    stat_list(b, "seriesCountByLabelValuePair", by_pair.v, by_pair.n);
    strbuf_addc(b, '}');
    ok_end(b);
    for (size_t i = 0; i < 5; i++) {
        free(all[i]->v);
        arena_release(&all[i]->arena);
    }
    strbuf_release(&pair);
}

static int admin_check(struct tsdbd *t, struct httpd_resp *resp)
{
    if (t->flags.admin_api)
        return 0;
    api_error(resp, ERR_UNAVAILABLE, "admin APIs disabled");
    return -1;
}

static int copy_file(const char *from, const char *to)
{
    /* Hard links: blocks are immutable, as Prometheus's snapshot does. */
    return link(from, to);
}

static int snapshot_block(const char *src, const char *dst)
{
    char a[8400], b[8400];
    if (mkdir(dst, 0755) != 0)
        return -1;
    snprintf(b, sizeof b, "%s/chunks", dst);
    if (mkdir(b, 0755) != 0)
        return -1;
    static const char *files[] = {"meta.json", "index", "tombstones"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(a, sizeof a, "%s/%s", src, files[i]);
        snprintf(b, sizeof b, "%s/%s", dst, files[i]);
        if (copy_file(a, b) != 0 && i != 2)
            return -1;
    }
    for (int seg = 1;; seg++) {
        snprintf(a, sizeof a, "%s/chunks/%06d", src, seg);
        snprintf(b, sizeof b, "%s/chunks/%06d", dst, seg);
        if (access(a, F_OK) != 0)
            break;
        if (copy_file(a, b) != 0)
            return -1;
    }
    return 0;
}

static void h_snapshot(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    if (admin_check(t, resp) != 0)
        return;
    const char *skip = httpd_req_arg(req, "skip_head");
    int skip_head = skip && (!strcmp(skip, "true") || !strcmp(skip, "1"));
    char name[64], dir[4096], path[4200];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    unsigned r = (unsigned)random();
    strftime(name, sizeof name, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(name + strlen(name), sizeof name - strlen(name), "-%016llx",
             (unsigned long long)r * 2654435761ull);
    snprintf(dir, sizeof dir, "%s/snapshots", t->db->dir);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/snapshots/%s", t->db->dir, name);
    struct diag d;
    diag_init(&d);
    if (mkdir(dir, 0755) != 0) {
        api_error(resp, ERR_INTERNAL, "create snapshot directory");
        diag_release(&d);
        return;
    }
    int rc = 0;
    pthread_mutex_lock(&t->db->compact_mu);
    for (size_t i = 0; i < t->db->nblocks && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, t->db->blocks[i]->meta.ulid);
        rc = snapshot_block(t->db->blocks[i]->dir, path);
    }
    if (rc == 0 && !skip_head) {
        pthread_rwlock_rdlock(&t->db->head.lock);
        int64_t mint = t->db->head.mint, maxt = t->db->head.maxt;
        pthread_rwlock_unlock(&t->db->head.lock);
        if (mint != INT64_MAX && maxt != INT64_MIN)
            rc = compact_head_range(t->db, dir, mint, maxt + 1, &d);
    }
    pthread_mutex_unlock(&t->db->compact_mu);
    if (rc != 0) {
        api_error(resp, ERR_INTERNAL, d.n ? diag_last(&d) : "create snapshot");
        fsutil_rmtree(dir);
    } else {
        struct strbuf *b = ok_begin(resp);
        strbuf_adds(b, "{\"name\":");
        gofmt_json_str(b, name);
        strbuf_addc(b, '}');
        ok_end(b);
    }
    diag_release(&d);
}

static void h_delete_series(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    if (admin_check(t, resp) != 0)
        return;
    const char **vals;
    if (httpd_req_args(req, "match[]", &vals) == 0) {
        api_error(resp, ERR_BAD_DATA, "no match[] parameter provided");
        return;
    }
    struct selector *sel;
    size_t nsel;
    int64_t start, end;
    if (time_param(req, resp, "start", api_min_ms, &start) != 0 ||
        time_param(req, resp, "end", api_max_ms, &end) != 0 ||
        match_params(req, resp, &sel, &nsel) != 0)
        return;
    struct diag d;
    diag_init(&d);
    int rc = 0;
    for (size_t i = 0; i < nsel && rc == 0; i++)
        rc = delete_series(t->db, start, end, sel[i].m, sel[i].n, &d);
    if (rc != 0)
        api_error(resp, ERR_INTERNAL, diag_last(&d));
    else
        httpd_resp_status(resp, 204);
    diag_release(&d);
    free_selectors(sel, nsel);
}

static void h_healthy(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    httpd_resp_text(resp, 200, "text/plain; charset=utf-8", "Prometheus Server is Healthy.\n");
}

static void h_ready(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    /* As Prometheus: not ready until the scrape manager runs (a reload would find none). */
    if (!__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE)) {
        httpd_resp_text(resp, 503, "text/plain; charset=utf-8", "Service Unavailable");
        return;
    }
    httpd_resp_text(resp, 200, "text/plain; charset=utf-8", "Prometheus Server is Ready.\n");
}

static void metric(struct strbuf *b, const char *name, const char *type, const char *help,
                   const char *labels, double v)
{
    strbuf_addf(b, "# HELP %s %s\n# TYPE %s %s\n%s%s ", name, help, name, type, name,
                labels ? labels : "");
    gofmt_g(b, v);
    strbuf_addc(b, '\n');
}

static void h_metrics(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct db *db = t->db;
    struct head *h = &db->head;
    struct strbuf *b = httpd_resp_body(resp);
    pthread_rwlock_rdlock(&h->lock);
    double series = (double)h->nseries, chunks = (double)h->chunks;
    double created = (double)h->series_created, removed = (double)h->series_removed;
    double appended = (double)h->samples_appended, ooo = (double)h->out_of_order;
    double oob = (double)h->out_of_bounds, mint = (double)h->mint, maxt = (double)h->maxt;
    double ccreated = (double)h->chunks_created, cremoved = (double)h->chunks_removed;
    pthread_rwlock_unlock(&h->lock);
    if (h->mint == INT64_MAX)
        mint = (double)INT64_MAX;
    double blocks_bytes = 0, lowest = NAN;
    size_t nblocks;
    pthread_rwlock_rdlock(&db->blocks_lock);
    nblocks = db->nblocks;
    for (size_t i = 0; i < db->nblocks; i++)
        blocks_bytes += (double)db->blocks[i]->size;
    if (db->nblocks)
        lowest = (double)db->blocks[0]->meta.mint;
    pthread_rwlock_unlock(&db->blocks_lock);
    if (isnan(lowest))
        lowest = mint;
    metric(b, "prometheus_tsdb_head_series", "gauge", "Total number of series in the head block.",
           NULL, series);
    metric(b, "prometheus_tsdb_head_chunks", "gauge", "Total number of chunks in the head block.",
           NULL, chunks);
    metric(b, "prometheus_tsdb_head_chunks_created_total", "counter",
           "Total number of chunks created in the head", NULL, ccreated);
    metric(b, "prometheus_tsdb_head_chunks_removed_total", "counter",
           "Total number of chunks removed in the head", NULL, cremoved);
    metric(b, "prometheus_tsdb_head_series_created_total", "counter",
           "Total number of series created in the head", NULL, created);
    metric(b, "prometheus_tsdb_head_series_removed_total", "counter",
           "Total number of series removed in the head", NULL, removed);
    metric(b, "prometheus_tsdb_head_samples_appended_total", "counter",
           "Total number of appended samples.", "{type=\"float\"}", appended);
    metric(b, "prometheus_tsdb_out_of_order_samples_total", "counter",
           "Total number of out of order samples ingestion failed attempts due to out of order "
           "being disabled.",
           "{type=\"float\"}", ooo);
    metric(b, "prometheus_tsdb_out_of_bound_samples_total", "counter",
           "Total number of out of bound samples ingestion failed attempts with out of order "
           "support disabled.",
           "{type=\"float\"}", oob);
    metric(b, "prometheus_tsdb_head_min_time", "gauge",
           "Minimum time bound of the head block. The unit is decided by the library consumer.",
           NULL, mint);
    metric(b, "prometheus_tsdb_head_max_time", "gauge",
           "Maximum timestamp of the head block. The unit is decided by the library consumer.",
           NULL, maxt);
    metric(b, "prometheus_tsdb_head_truncations_total", "counter",
           "Total number of head truncations attempted.", NULL, (double)db->head_truncations);
    metric(b, "prometheus_tsdb_blocks_loaded", "gauge", "Number of currently loaded data blocks",
           NULL, (double)nblocks);
    metric(b, "prometheus_tsdb_storage_blocks_bytes", "gauge",
           "The number of bytes that are currently used for local storage by all blocks.", NULL,
           blocks_bytes);
    metric(b, "prometheus_tsdb_compactions_total", "counter",
           "Total number of compactions that were executed for the partition.", NULL,
           (double)db->compactions);
    metric(b, "prometheus_tsdb_compactions_failed_total", "counter",
           "Total number of compactions that failed for the partition.", NULL,
           (double)db->compactions_failed);
    metric(b, "prometheus_tsdb_checkpoint_creations_total", "counter",
           "Total number of checkpoint creations attempted.", NULL, (double)db->checkpoints);
    metric(b, "prometheus_tsdb_wal_writes_failed_total", "counter",
           "Total number of write log writes that failed.", NULL, (double)db->commits_failed);
    metric(b, "prometheus_tsdb_wal_corruptions_total", "counter",
           "Total number of WAL corruptions.", NULL, (double)db->wal_corruptions);
    metric(b, "prometheus_tsdb_wal_storage_size_bytes", "gauge", "Size of the write log directory.",
           NULL, (double)db_wal_size(db));
    pthread_mutex_lock(&db->wal->mu);
    double fs = (double)db->wal->fsyncs, fsns = (double)db->wal->fsync_ns;
    pthread_mutex_unlock(&db->wal->mu);
    strbuf_adds(b, "# HELP prometheus_tsdb_wal_fsync_duration_seconds Duration of write log "
                   "fsync.\n# TYPE prometheus_tsdb_wal_fsync_duration_seconds summary\n");
    strbuf_adds(b, "prometheus_tsdb_wal_fsync_duration_seconds_sum ");
    gofmt_g(b, fsns / 1e9);
    strbuf_adds(b, "\nprometheus_tsdb_wal_fsync_duration_seconds_count ");
    gofmt_g(b, fs);
    strbuf_addc(b, '\n');
    metric(b, "prometheus_tsdb_time_retentions_total", "counter",
           "The number of times that blocks were deleted because the maximum time limit was "
           "exceeded.",
           NULL, (double)db->retention_time);
    metric(b, "prometheus_tsdb_size_retentions_total", "counter",
           "The number of times that blocks were deleted because the maximum number of bytes was "
           "exceeded.",
           NULL, (double)db->retention_size);
    metric(b, "prometheus_tsdb_retention_limit_bytes", "gauge",
           "Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled",
           NULL, (double)db->opts.retention_bytes);
    metric(b, "prometheus_tsdb_lowest_timestamp", "gauge",
           "Lowest timestamp value stored in the database. The unit is decided by the library "
           "consumer.",
           NULL, lowest);
    metric(b, "prometheus_tsdb_reloads_total", "counter",
           "Number of times the database reloaded block data from disk.", NULL,
           (double)db->reloads);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    metric(b, "process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.", NULL,
           (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6);
    long rss_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        long vm;
        if (fscanf(f, "%ld %ld", &vm, &rss_pages) != 2)
            rss_pages = 0;
        fclose(f);
    }
    metric(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", NULL,
           (double)rss_pages * (double)sysconf(_SC_PAGESIZE));
    metric(b, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.", NULL, t->start_time);
    metric(b, "prometheus_remote_storage_samples_in_total", "counter",
           "Samples received through remote write.", NULL, (double)t->rw_samples);
    if (tsdbd_scraper(t))
        scraper_write_metrics(tsdbd_scraper(t), b);
    if (t->httpd)
        httpd_stats_write(t->httpd, b, "prometheus_http_requests_total", NULL);
    httpd_resp_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
}

static void promql_params(struct httpd_req *req, struct promql_api_params *p)
{
    struct timespec ts;
    memset(p, 0, sizeof *p);
    p->query = httpd_req_arg(req, "query");
    p->time = httpd_req_arg(req, "time");
    p->start = httpd_req_arg(req, "start");
    p->end = httpd_req_arg(req, "end");
    p->step = httpd_req_arg(req, "step");
    p->timeout = httpd_req_arg(req, "timeout");
    p->stats = httpd_req_arg(req, "stats");
    clock_gettime(CLOCK_REALTIME, &ts);
    p->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The PromQL endpoints are src/promql's functions; tsdbd gives them the storage. */
static void h_promql(struct httpd_req *req, struct httpd_resp *resp, void *ctx, int kind)
{
    struct tsdbd *t = ctx;
    struct promql_api_params p;
    struct querier q;
    struct pq_opts o;
    promql_params(req, &p);
    tsdbquerier_init(&q, t->db);
    pq_opts_default(&o);
    struct strbuf *b = httpd_resp_body(resp);
    int status = kind == 0   ? promql_api_query(&q, &o, &p, b)
                 : kind == 1 ? promql_api_query_range(&q, &o, &p, b)
                 : kind == 2 ? promql_api_format_query(&p, b)
                             : promql_api_query_exemplars(&p, b);
    httpd_resp_status(resp, status);
    httpd_resp_header(resp, "Content-Type", "application/json");
}

static void h_query(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    h_promql(req, resp, ctx, 0);
}

static void h_query_range(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    h_promql(req, resp, ctx, 1);
}

static void h_format_query(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    h_promql(req, resp, ctx, 2);
}

static void h_query_exemplars(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    h_promql(req, resp, ctx, 3);
}

void tsdbd_not_found(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    const char *p = httpd_req_path(req);
    if (!strncmp(p, "/api/v1/", 8)) {
        httpd_resp_status(resp, 404);
        return;
    }
    httpd_resp_text(resp, 404, "text/plain; charset=utf-8", "404 page not found\n");
}

const struct httpd_route tsdbd_routes[] = {
    {"POST", "/api/v1/write", h_write},
    {"GET", "/api/v1/query", h_query},
    {"POST", "/api/v1/query", h_query},
    {"GET", "/api/v1/query_range", h_query_range},
    {"POST", "/api/v1/query_range", h_query_range},
    {"GET", "/api/v1/format_query", h_format_query},
    {"POST", "/api/v1/format_query", h_format_query},
    {"GET", "/api/v1/query_exemplars", h_query_exemplars},
    {"POST", "/api/v1/query_exemplars", h_query_exemplars},
    {"GET", "/api/v1/series", h_series},
    {"POST", "/api/v1/series", h_series},
    {"GET", "/api/v1/labels", h_labels},
    {"POST", "/api/v1/labels", h_labels},
    {"GET", "/api/v1/label/:name/values", h_label_values},
    {"GET", "/api/v1/metadata", tsdbd_h_metadata},
    {"GET", "/api/v1/status/buildinfo", h_buildinfo},
    {"GET", "/api/v1/status/flags", h_flags},
    {"GET", "/api/v1/status/config", h_config},
    {"GET", "/api/v1/status/tsdb", h_status_tsdb},
    {"GET", "/api/v1/targets", tsdbd_h_targets},
    {"GET", "/api/v1/targets/metadata", tsdbd_h_targets_metadata},
    {"GET", "/api/v1/scrape_pools", tsdbd_h_scrape_pools},
    {"GET", "/api/v1/rules", h_rules},
    {"GET", "/api/v1/alerts", h_alerts},
    {"POST", "/api/v1/admin/tsdb/snapshot", h_snapshot},
    {"PUT", "/api/v1/admin/tsdb/snapshot", h_snapshot},
    {"POST", "/api/v1/admin/tsdb/delete_series", h_delete_series},
    {"PUT", "/api/v1/admin/tsdb/delete_series", h_delete_series},
    {"GET", "/-/healthy", h_healthy},
    {"GET", "/-/ready", h_ready},
    {"*", "/-/reload", tsdbd_h_reload},
    {"*", "/-/quit", tsdbd_h_quit},
    {"GET", "/metrics", h_metrics},
};
const size_t tsdbd_nroutes = sizeof tsdbd_routes / sizeof tsdbd_routes[0];
