/*
 * POST /api/ds/query and the datasource proxy against a Prometheus
 * datasource. The query side follows Grafana 9's Prometheus backend: the
 * step is the larger of the minimum interval (the query's "interval", else
 * the datasource's jsonData.timeInterval, else 15s), the range divided by
 * maxDataPoints and rounded as Grafana rounds intervals, and range/11000
 * (Prometheus refuses more than 11000 points); start and end are aligned to
 * the step; $__interval, $__interval_ms, $__rate_interval, $__range,
 * $__range_s and $__range_ms are expanded in the expression. Results are
 * data frames ("Data frames", Grafana plugin docs): one frame per series,
 * a Time field and a Value field with the series' labels, and
 * config.displayNameFromDS from legendFormat.
 */
#include "dash/dash.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/xmalloc.h"

/* "now", "now-6h", "now-30m", epoch milliseconds. -1 when unreadable. */
static int64_t parse_time(const char *s, int64_t now)
{
    char *end;
    if (!s || !*s)
        return -1;
    if (strncmp(s, "now", 3) == 0) {
        long d;
        if (!s[3])
            return now;
        if (s[3] != '-' && s[3] != '+')
            return -1;
        {
            char tmp[32];
            size_t n = strcspn(s + 4, "/");
            if (n >= sizeof(tmp))
                return -1;
            memcpy(tmp, s + 4, n);
            tmp[n] = '\0';
            /* Grafana's M (months) and y (years), approximated as 30 and 365 days. */
            if (n && tmp[n - 1] == 'M') {
                tmp[n - 1] = 'd';
                d = dash_conf_duration(tmp);
                d = d < 0 ? -1 : d * 30;
            } else if (n && tmp[n - 1] == 'y') {
                tmp[n - 1] = 'd';
                d = dash_conf_duration(tmp);
                d = d < 0 ? -1 : d * 365;
            } else {
                d = dash_conf_duration(tmp);
            }
        }
        if (d < 0)
            return -1;
        return s[3] == '-' ? now - (int64_t)d * 1000 : now + (int64_t)d * 1000;
    }
    int64_t v = strtoll(s, &end, 10);
    return *end ? -1 : v;
}

/* Grafana's roundInterval (pkg/tsdb/intervalv2): snap to a readable step. */
static int64_t round_interval(int64_t ms)
{
    static const struct {
        int64_t below, to;
    } t[] = {{15, 10},
             {35, 20},
             {75, 50},
             {150, 100},
             {350, 200},
             {750, 500},
             {1500, 1000},
             {3500, 2000},
             {7500, 5000},
             {12500, 10000},
             {17500, 15000},
             {25000, 20000},
             {45000, 30000},
             {90000, 60000},
             {210000, 120000},
             {450000, 300000},
             {750000, 600000},
             {1050000, 900000},
             {1500000, 1200000},
             {2700000, 1800000},
             {5400000, 3600000},
             {9000000, 7200000},
             {16200000, 10800000},
             {32400000, 21600000},
             {86400000, 43200000},
             {604800000, 86400000}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (ms < t[i].below)
            return t[i].to;
    return 604800000;
}

static void fmt_duration(int64_t ms, char *out, size_t n)
{
    if (ms % 86400000 == 0)
        snprintf(out, n, "%lldd", (long long)(ms / 86400000));
    else if (ms % 3600000 == 0)
        snprintf(out, n, "%lldh", (long long)(ms / 3600000));
    else if (ms % 60000 == 0)
        snprintf(out, n, "%lldm", (long long)(ms / 60000));
    else if (ms % 1000 == 0)
        snprintf(out, n, "%llds", (long long)(ms / 1000));
    else
        snprintf(out, n, "%lldms", (long long)ms);
}

static void replace_all(struct strbuf *sb, const char *from, const char *to)
{
    struct strbuf out = STRBUF_INIT;
    const char *s = sb->buf, *hit;
    size_t fl = strlen(from);
    while ((hit = strstr(s, from))) {
        /* $__interval must not eat $__interval_ms */
        if (isalnum((unsigned char)hit[fl]) || hit[fl] == '_') {
            strbuf_add(&out, s, (size_t)(hit - s) + fl);
            s = hit + fl;
            continue;
        }
        strbuf_add(&out, s, (size_t)(hit - s));
        strbuf_adds(&out, to);
        s = hit + fl;
    }
    strbuf_adds(&out, s);
    strbuf_release(sb);
    *sb = out;
}

static void url_escape(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            strbuf_addc(sb, (char)c);
        else
            strbuf_addf(sb, "%%%02X", c);
    }
}

/* legendFormat "{{job}} {{ instance }}" against the series' labels. */
static char *legend(const char *fmt, json_t *metric)
{
    struct strbuf sb = STRBUF_INIT;
    if (!fmt || !*fmt || strcmp(fmt, "__auto") == 0) {
        const char *name = json_string_value(json_object_get(metric, "__name__"));
        const char *k;
        json_t *v;
        int first = 1;
        strbuf_adds(&sb, name ? name : "");
        json_object_foreach(metric, k, v)
        {
            if (strcmp(k, "__name__") == 0)
                continue;
            strbuf_addf(&sb, "%s%s=\"%s\"", first ? "{" : ", ", k, json_string_value(v));
            first = 0;
        }
        if (!first)
            strbuf_addc(&sb, '}');
        return strbuf_detach(&sb, NULL);
    }
    while (*fmt) {
        const char *open = strstr(fmt, "{{"), *close;
        if (!open || !(close = strstr(open, "}}"))) {
            strbuf_adds(&sb, fmt);
            break;
        }
        strbuf_add(&sb, fmt, (size_t)(open - fmt));
        {
            const char *a = open + 2, *b = close;
            char name[128];
            while (a < b && isspace((unsigned char)*a))
                a++;
            while (b > a && isspace((unsigned char)b[-1]))
                b--;
            snprintf(name, sizeof(name), "%.*s", (int)(b - a), a);
            strbuf_adds(&sb, json_string_value(json_object_get(metric, name))
                                 ? json_string_value(json_object_get(metric, name))
                                 : "");
        }
        fmt = close + 2;
    }
    return strbuf_detach(&sb, NULL);
}

static json_t *frame(const char *ref, json_t *metric, json_t *points, int instant, const char *fmt,
                     const char *executed, int64_t step_ms)
{
    json_t *ts = json_array(), *vs = json_array(), *labels = json_object(), *p;
    const char *k;
    json_t *v;
    size_t i;
    char *name = legend(fmt, metric);
    json_object_foreach(metric, k, v)
    {
        if (strcmp(k, "__name__") != 0 || !(fmt && *fmt && strcmp(fmt, "__auto")))
            json_object_set(labels, k, v);
    }
    json_array_foreach(points, i, p)
    {
        double t = json_number_value(json_array_get(p, 0));
        const char *s = json_string_value(json_array_get(p, 1));
        double d = s ? strtod(s, NULL) : NAN;
        json_array_append_new(ts, json_integer((json_int_t)llround(t * 1000)));
        json_array_append_new(vs, isfinite(d) ? json_real(d) : json_null());
    }
    {
        json_t *valcfg = json_object();
        if (fmt && *fmt && strcmp(fmt, "__auto") != 0)
            json_object_set_new(valcfg, "displayNameFromDS", json_string(name));
        json_t *f = json_pack(
            "{s:{s:s, s:s, s:{s:s, s:[i,i], s:{s:s}, s:s}, s:[{s:s, s:s, s:{s:s}, s:{s:I}},"
            " {s:s, s:s, s:{s:s}, s:o, s:o}]}, s:{s:[o,o]}}",
            "schema", "name", name, "refId", ref, "meta", "type",
            instant ? "numeric-multi" : "timeseries-multi", "typeVersion", 0, 0, "custom",
            "resultType", instant ? "vector" : "matrix", "executedQueryString", executed, "fields",
            "name", "Time", "type", "time", "typeInfo", "frame", "time.Time", "config", "interval",
            (json_int_t)step_ms, "name", "Value", "type", "number", "typeInfo", "frame", "float64",
            "labels", labels, "config", valcfg, "data", "values", ts, vs);
        free(name);
        return f;
    }
}

static json_t *run_one(struct dash *g, struct http_client *hc, json_t *q, int64_t from, int64_t to,
                       int *ok)
{
    const char *ref = json_string_value(json_object_get(q, "refId"));
    const char *expr = json_string_value(json_object_get(q, "expr"));
    json_t *dsref = json_object_get(q, "datasource"), *ds, *res = json_object(), *frames;
    const char *dsuid = json_is_object(dsref) ? json_string_value(json_object_get(dsref, "uid"))
                                              : json_string_value(dsref);
    int instant =
        json_is_true(json_object_get(q, "instant")) && !json_is_true(json_object_get(q, "range"));
    int64_t scrape = 15000, min_iv, step, mdp;
    struct strbuf e = STRBUF_INIT, body = STRBUF_INIT, url = STRBUF_INIT;
    struct http_request hr = {0};
    struct http_response hres;
    struct http_header hh[2] = {{"Content-Type", "application/x-www-form-urlencoded"},
                                {"Accept", "application/json"}};
    struct diag d;
    char buf[64];
    json_t *pr = NULL, *result;
    size_t i;

    *ok = 0;
    diag_init(&d);
    http_response_init(&hres);
    ds = dash_ds_by_uid(g, dsuid);
    if (!ds) {
        json_object_set_new(res, "error", json_string("data source not found"));
        json_object_set_new(res, "status", json_integer(400));
        goto out;
    }
    {
        const char *ti =
            json_string_value(json_object_get(json_object_get(ds, "jsonData"), "timeInterval"));
        long s = ti ? dash_conf_duration(ti) : -1;
        if (s > 0)
            scrape = s * 1000;
    }
    min_iv = scrape;
    {
        const char *qi = json_string_value(json_object_get(q, "interval"));
        long s = qi && *qi ? dash_conf_duration(qi) : -1;
        if (s > 0)
            min_iv = s * 1000;
    }
    mdp = json_integer_value(json_object_get(q, "maxDataPoints"));
    if (mdp <= 0)
        mdp = 1100;
    step = round_interval((to - from) / mdp);
    if (step < min_iv)
        step = min_iv;
    if (step < (to - from) / 11000)
        step = (to - from) / 11000;
    if (step < 1)
        step = 1;
    strbuf_adds(&e, expr ? expr : "");
    fmt_duration(step, buf, sizeof(buf));
    replace_all(&e, "$__interval_ms", (snprintf(buf, sizeof(buf), "%lld", (long long)step), buf));
    fmt_duration(step, buf, sizeof(buf));
    replace_all(&e, "$__interval", buf);
    replace_all(&e, "${__interval}", buf);
    fmt_duration(step + scrape > 4 * scrape ? step + scrape : 4 * scrape, buf, sizeof(buf));
    replace_all(&e, "$__rate_interval", buf);
    replace_all(&e, "${__rate_interval}", buf);
    snprintf(buf, sizeof(buf), "%llds", (long long)((to - from) / 1000));
    replace_all(&e, "$__range_s",
                (snprintf(buf, sizeof(buf), "%lld", (long long)((to - from) / 1000)), buf));
    replace_all(&e, "$__range_ms",
                (snprintf(buf, sizeof(buf), "%lld", (long long)(to - from)), buf));
    snprintf(buf, sizeof(buf), "%llds", (long long)((to - from) / 1000));
    replace_all(&e, "$__range", buf);
    replace_all(&e, "${__range}", buf);

    strbuf_adds(&body, "query=");
    url_escape(&body, e.buf);
    if (instant) {
        strbuf_addf(&body, "&time=%.3f", to / 1000.0);
    } else {
        int64_t s0 = from / step * step, s1 = to / step * step;
        strbuf_addf(&body, "&start=%.3f&end=%.3f&step=%.3f", s0 / 1000.0, s1 / 1000.0,
                    step / 1000.0);
    }
    {
        const char *base = json_string_value(json_object_get(ds, "url"));
        size_t bl = strlen(base);
        while (bl && base[bl - 1] == '/')
            bl--;
        strbuf_add(&url, base, bl);
        strbuf_adds(&url, instant ? "/api/v1/query" : "/api/v1/query_range");
    }
    hr.method = "POST";
    hr.url = url.buf;
    hr.headers = hh;
    hr.nheaders = 2;
    hr.body = body.buf;
    hr.body_len = body.len;
    hr.timeout_ms = g->conf.query_timeout_s * 1000;
    if (http_send(hc, &hr, &hres, &d) != HTTP_OK) {
        json_object_set_new(res, "error", json_string(diag_last(&d)));
        json_object_set_new(res, "status", json_integer(502));
        goto out;
    }
    pr = json_loadb(hres.body.buf, hres.body.len, 0, NULL);
    if (!pr || hres.status != 200) {
        const char *err = json_string_value(json_object_get(pr, "error"));
        json_object_set_new(res, "error",
                            json_string(err ? err : "unexpected response from Prometheus"));
        json_object_set_new(res, "status", json_integer(hres.status == 200 ? 502 : 400));
        goto out;
    }
    result = json_object_get(json_object_get(pr, "data"), "result");
    frames = json_array();
    {
        json_t *r;
        char *exec;
        fmt_duration(step, buf, sizeof(buf));
        exec = xmalloc(e.len + strlen(buf) + 32);
        sprintf(exec, "Expr: %s\nStep: %s", e.buf, buf);
        json_array_foreach(result, i, r)
        {
            json_t *pts = json_object_get(r, "values");
            json_t *one = NULL;
            if (!pts) {
                one = json_pack("[O]", json_object_get(r, "value"));
                pts = one;
            }
            json_array_append_new(
                frames, frame(ref ? ref : "A", json_object_get(r, "metric"), pts, instant,
                              json_string_value(json_object_get(q, "legendFormat")), exec, step));
            json_decref(one);
        }
        free(exec);
    }
    json_object_set_new(res, "status", json_integer(200));
    json_object_set_new(res, "frames", frames);
    *ok = 1;
out:
    json_decref(pr);
    json_decref(ds);
    http_response_release(&hres);
    strbuf_release(&e);
    strbuf_release(&body);
    strbuf_release(&url);
    diag_release(&d);
    return res;
}

json_t *dash_query_run(struct dash *g, json_t *body, int *status)
{
    json_t *queries = json_object_get(body, "queries"), *results = json_object(), *q;
    const char *fs = json_string_value(json_object_get(body, "from"));
    const char *ts = json_string_value(json_object_get(body, "to"));
    int64_t now = dash_now_ms(), from = parse_time(fs ? fs : "now-1h", now),
            to = parse_time(ts ? ts : "now", now);
    struct http_options ho = {0};
    struct http_client *hc;
    size_t i;
    int all_ok = 1;
    if (!json_is_array(queries) || json_array_size(queries) == 0 || from < 0 || to < 0 ||
        from > to) {
        *status = 400;
        json_decref(results);
        return json_pack("{s:s}", "message",
                         from < 0 || to < 0 || from > to ? "invalid time range"
                                                         : "No queries found in query");
    }
    ho.timeout_ms = g->conf.query_timeout_s * 1000;
    ho.max_body = 256u << 20;
    hc = http_client_new(&ho);
    json_array_foreach(queries, i, q)
    {
        int ok;
        const char *ref = json_string_value(json_object_get(q, "refId"));
        json_object_set_new(results, ref ? ref : "A", run_one(g, hc, q, from, to, &ok));
        all_ok &= ok;
    }
    http_client_free(hc);
    *status = all_ok ? 200 : 400;
    return json_pack("{s:o}", "results", results);
}

void dash_api_ds_query(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash_user u;
    json_t *b, *r;
    int status;
    if (dash_require(ctx, req, resp, DASH_VIEWER, &u) < 0)
        return;
    if (!(b = dash_body(req, resp, NULL, NULL)))
        return;
    r = dash_query_run(ctx, b, &status);
    httpd_resp_json(resp, status, r);
    json_decref(b);
}

void dash_api_ds_proxy(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *ds;
    struct strbuf url = STRBUF_INIT;
    struct http_options ho = {0};
    struct http_client *hc;
    struct http_request hr = {0};
    struct http_response hres;
    struct http_header hh[2];
    size_t nh = 0, blen;
    struct diag d;
    const char *base, *ct, *qs;
    if (dash_require(g, req, resp, DASH_VIEWER, &u) < 0)
        return;
    ds = dash_ds_by_uid(g, httpd_req_param(req, "uid"));
    if (!ds || strcmp(json_string_value(json_object_get(ds, "uid")), httpd_req_param(req, "uid"))) {
        json_decref(ds);
        dash_error(resp, 404, "Unable to find datasource");
        return;
    }
    base = json_string_value(json_object_get(ds, "url"));
    strbuf_adds(&url, base);
    while (url.len && url.buf[url.len - 1] == '/')
        strbuf_setlen(&url, url.len - 1);
    strbuf_addf(&url, "/%s", httpd_req_param(req, "*"));
    qs = httpd_req_query_string(req);
    if (*qs)
        strbuf_addf(&url, "?%s", qs);
    if ((ct = httpd_req_header(req, "Content-Type")))
        hh[nh++] = (struct http_header){"Content-Type", ct};
    hh[nh++] = (struct http_header){"Accept", "application/json"};
    hr.method = httpd_req_method(req);
    hr.url = url.buf;
    hr.headers = hh;
    hr.nheaders = nh;
    hr.body = httpd_req_body(req, &blen);
    hr.body_len = blen;
    ho.timeout_ms = g->conf.query_timeout_s * 1000;
    hc = http_client_new(&ho);
    diag_init(&d);
    http_response_init(&hres);
    if (http_send(hc, &hr, &hres, &d) != HTTP_OK) {
        dash_error(resp, 502, "Bad Gateway");
    } else {
        const char *rct = http_response_header(&hres, "content-type");
        httpd_resp_status(resp, (int)hres.status);
        if (rct)
            httpd_resp_header(resp, "Content-Type", rct);
        strbuf_add(httpd_resp_body(resp), hres.body.buf, hres.body.len);
    }
    http_response_release(&hres);
    http_client_free(hc);
    diag_release(&d);
    strbuf_release(&url);
    json_decref(ds);
}
