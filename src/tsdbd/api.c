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

void tsdbd_ok_raw(struct httpd_resp *resp, const char *data)
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

/* How an endpoint reads match[], as Prometheus 2.42's differ: /series and delete_series say
 * which parameter was wrong, /labels and /label/<name>/values give the bare error;
 * delete_series alone takes a selector every series matches. */
enum {
    MATCH_NAMED = 1,     /* errors start with: invalid parameter "match[]": */
    MATCH_ALL_EMPTY = 2, /* a selector of matchers that all match "" is allowed */
};

/* match[] values parsed into selectors; -1 with the 400 written. */
static int match_params(struct httpd_req *req, struct httpd_resp *resp, unsigned how,
                        struct selector **out, size_t *n)
{
    const char **vals;
    size_t nv = httpd_req_args(req, "match[]", &vals);
    struct diag d;
    struct strbuf m;
    int ret = -1;

    *out = xcalloc(nv + 1, sizeof **out);
    *n = 0;
    diag_init(&d);
    strbuf_init(&m, 4096);
    if (how & MATCH_NAMED)
        strbuf_adds(&m, "invalid parameter \"match[]\": ");
    for (size_t i = 0; i < nv; i++) {
        int nonempty = how & MATCH_ALL_EMPTY;
        if (selector_parse(&(*out)[i], vals[i], &d) != 0) {
            strbuf_adds(&m, diag_last(&d));
            goto out;
        }
        (*n)++;
        for (size_t k = 0; k < (*out)[i].n; k++)
            nonempty |= !matcher_matches_empty(&(*out)[i].m[k]);
        if (!nonempty) {
            strbuf_adds(&m, "match[] must contain at least one non-empty matcher");
            goto out;
        }
    }
    ret = 0;
out:
    if (ret < 0) {
        api_error(resp, ERR_BAD_DATA, m.buf);
        for (size_t k = 0; k < *n; k++)
            selector_release(&(*out)[k]);
        free(*out);
        *out = NULL;
        *n = 0;
    }
    strbuf_release(&m);
    diag_release(&d);
    return ret;
}

/* start, end and match[] of the metadata endpoints; -1 with the 400 written. */
static int range_params(struct httpd_req *req, struct httpd_resp *resp, unsigned how,
                        int64_t *start, int64_t *end, struct selector **sel, size_t *nsel)
{
    if (time_param(req, resp, "start", api_min_ms, start) != 0 ||
        time_param(req, resp, "end", api_max_ms, end) != 0)
        return -1;
    return match_params(req, resp, how, sel, nsel);
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
    if (range_params(req, resp, MATCH_NAMED, &start, &end, &sel, &nsel) != 0)
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
    if (range_params(req, resp, 0, &start, &end, &sel, &nsel) != 0)
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
    if (range_params(req, resp, MATCH_NAMED | MATCH_ALL_EMPTY, &start, &end, &sel, &nsel) != 0)
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
    {"GET", "/api/v1/status/buildinfo", tsdbd_h_buildinfo},
    {"GET", "/api/v1/status/flags", tsdbd_h_flags},
    {"GET", "/api/v1/status/config", tsdbd_h_config},
    {"GET", "/api/v1/status/tsdb", tsdbd_h_status_tsdb},
    {"GET", "/api/v1/targets", tsdbd_h_targets},
    {"GET", "/api/v1/targets/metadata", tsdbd_h_targets_metadata},
    {"GET", "/api/v1/scrape_pools", tsdbd_h_scrape_pools},
    {"GET", "/api/v1/rules", tsdbd_h_rules},
    {"GET", "/api/v1/alerts", tsdbd_h_alerts},
    {"POST", "/api/v1/admin/tsdb/snapshot", h_snapshot},
    {"PUT", "/api/v1/admin/tsdb/snapshot", h_snapshot},
    {"POST", "/api/v1/admin/tsdb/delete_series", h_delete_series},
    {"PUT", "/api/v1/admin/tsdb/delete_series", h_delete_series},
    {"GET", "/-/healthy", tsdbd_h_healthy},
    {"GET", "/-/ready", tsdbd_h_ready},
    {"*", "/-/reload", tsdbd_h_reload},
    {"*", "/-/quit", tsdbd_h_quit},
    {"GET", "/metrics", tsdbd_h_metrics},
};
const size_t tsdbd_nroutes = sizeof tsdbd_routes / sizeof tsdbd_routes[0];
