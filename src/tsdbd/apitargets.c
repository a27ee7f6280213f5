/*
 * apitargets: the scrape side of Prometheus 2.42's HTTP API, read from a
 * snapshot of the in-process scrape engine (scrapeloop_snapshot: copies, no
 * lock held while the answer is written):
 *
 *   /api/v1/targets           activeTargets and droppedTargets; state, scrapePool
 *   /api/v1/targets/metadata  per-target TYPE/HELP/UNIT; metric, match_target, limit
 *   /api/v1/metadata          per-metric, deduplicated over targets; metric, limit
 *   /api/v1/scrape_pools      the job names
 *   /-/reload, /-/quit        behind --web.enable-lifecycle, as web/web.go
 *
 * Field order and encodings are those of web/api/v1/api.go's structs: times
 * as Go's time.Time marshals (RFC 3339 with nanoseconds, trailing zeros cut),
 * durations as float seconds, label sets as JSON objects with sorted keys.
 * Prometheus walks Go maps, so its target and metadata order is random;
 * cairn's is by pool, then discovery order, then metric name.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "tsdbd/gofmt.h"
#include "tsdbd/selector.h"
#include "tsdbd/tsdbd.h"

/* time.Time's MarshalJSON in UTC: RFC3339Nano; the zero time when never scraped. */
static void go_time(struct strbuf *b, int64_t ns)
{
    if (ns == 0) {
        strbuf_adds(b, "\"0001-01-01T00:00:00Z\"");
        return;
    }
    time_t secs = (time_t)(ns / 1000000000);
    long frac = (long)(ns % 1000000000);
    struct tm tm;
    char when[64], digits[16];
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    strbuf_addf(b, "\"%s", when);
    if (frac) {
        int len = snprintf(digits, sizeof digits, "%09ld", frac);
        while (len > 0 && digits[len - 1] == '0')
            digits[--len] = 0;
        strbuf_addf(b, ".%s", digits);
    }
    strbuf_adds(b, "Z\"");
}

/* Go's encoding/json float64: 'f' shortest between 1e-6 and 1e21 (durations are). */
static void go_float(struct strbuf *b, double v)
{
    if (v != 0 && (v < 1e-6 || v >= 1e21)) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.17g", v); /* not reached for scrape durations */
        strbuf_adds(b, tmp);
        return;
    }
    gofmt_f(b, v);
}

/* The external URL's scheme and host:port, as Prometheus's computeExternalURL. */
static void external(const struct tsdbd *t, char *scheme, size_t sn, char *host, size_t hn)
{
    const char *u = t->flags.external_url;
    if (u && *u) {
        const char *p = strstr(u, "://");
        if (p) {
            snprintf(scheme, sn, "%.*s", (int)(p - u), u);
            p += 3;
            size_t n = strcspn(p, "/?#");
            snprintf(host, hn, "%.*s", (int)n, p);
            return;
        }
    }
    char name[256] = "localhost";
    gethostname(name, sizeof name - 1);
    const char *port = strrchr(t->flags.listen, ':');
    snprintf(scheme, sn, "http");
    snprintf(host, hn, "%s:%s", name, port ? port + 1 : "");
}

/* Split "host:port", "[v6]:port", "host" (port ""), as sanitizeSplitHostPort. */
static void split_host_port(const char *in, size_t len, char *host, size_t hn, char *port,
                            size_t pn)
{
    const char *colon = NULL;
    if (len && in[0] == '[') {
        const char *close = memchr(in, ']', len);
        size_t hl = close ? (size_t)(close - in - 1) : len - 1;
        snprintf(host, hn, "%.*s", (int)hl, in + 1);
        if (close && close + 1 < in + len && close[1] == ':')
            snprintf(port, pn, "%.*s", (int)(in + len - close - 2), close + 2);
        else
            *port = 0;
        return;
    }
    for (size_t i = 0; i < len; i++)
        if (in[i] == ':')
            colon = in + i;
    if (!colon) {
        snprintf(host, hn, "%.*s", (int)len, in);
        *port = 0;
        return;
    }
    snprintf(host, hn, "%.*s", (int)(colon - in), in);
    snprintf(port, pn, "%.*s", (int)(in + len - colon - 1), colon + 1);
}

/*
 * getGlobalURL: a target on a loopback name gets the external URL's host
 * (and scheme and port too when it is this server's own port).
 */
static void global_url(const struct tsdbd *t, const char *url, struct strbuf *b)
{
    const char *sep = strstr(url, "://");
    if (!sep) {
        gofmt_json_str(b, url);
        return;
    }
    const char *hp = sep + 3;
    size_t hl = strcspn(hp, "/?#");
    char host[256], port[32], own[32], xscheme[32], xhost[512], xh[256], xp[32];
    split_host_port(hp, hl, host, sizeof host, port, sizeof port);
    if (strcmp(host, "127.0.0.1") && strcmp(host, "localhost") && strcmp(host, "::1")) {
        gofmt_json_str(b, url);
        return;
    }
    const char *lc = strrchr(t->flags.listen, ':');
    snprintf(own, sizeof own, "%s", lc ? lc + 1 : "");
    external(t, xscheme, sizeof xscheme, xhost, sizeof xhost);
    struct strbuf u;
    strbuf_init(&u, STRBUF_NOCAP);
    if (*port && !strcmp(port, own)) {
        strbuf_addf(&u, "%s://%s", xscheme, xhost);
    } else {
        split_host_port(xhost, strlen(xhost), xh, sizeof xh, xp, sizeof xp);
        int v6 = strchr(xh, ':') != NULL && *port;
        strbuf_addf(&u, "%.*s://%s%s%s%s%s", (int)(sep - url), url, v6 ? "[" : "", xh,
                    v6 ? "]" : "", *port ? ":" : "", port);
    }
    strbuf_adds(&u, hp + hl);
    gofmt_json_str(b, u.buf);
    strbuf_release(&u);
}

static const char *const health_names[] = {"unknown", "up", "down"};

static void target_json(const struct tsdbd *t, struct strbuf *b, const struct scrapeloop_target *x)
{
    strbuf_adds(b, "{\"discoveredLabels\":");
    tsdbd_labels_json(b, &x->discovered);
    strbuf_adds(b, ",\"labels\":");
    tsdbd_labels_json(b, &x->labels);
    strbuf_adds(b, ",\"scrapePool\":");
    gofmt_json_str(b, x->pool);
    strbuf_adds(b, ",\"scrapeUrl\":");
    gofmt_json_str(b, x->url);
    strbuf_adds(b, ",\"globalUrl\":");
    global_url(t, x->url, b);
    strbuf_adds(b, ",\"lastError\":");
    gofmt_json_str(b, x->last_error);
    strbuf_adds(b, ",\"lastScrape\":");
    go_time(b, x->last_scrape_ns);
    /* time.Duration.Seconds() of a whole number of nanoseconds. */
    int64_t ns = (int64_t)(x->last_duration * 1e9 + 0.5);
    strbuf_adds(b, ",\"lastScrapeDuration\":");
    go_float(b, (double)(ns / 1000000000) + (double)(ns % 1000000000) / 1e9);
    strbuf_addf(b, ",\"health\":\"%s\",\"scrapeInterval\":", health_names[x->health]);
    gofmt_json_str(b, x->interval);
    strbuf_adds(b, ",\"scrapeTimeout\":");
    gofmt_json_str(b, x->timeout);
    strbuf_addc(b, '}');
}

/* A snapshot, empty when nothing is scraped. */
static void snapshot(struct tsdbd *t, unsigned what, struct scrapeloop_snapshot *snap)
{
    struct scraper *s = tsdbd_scraper(t);
    if (s) {
        scraper_snapshot(s, what, snap);
    } else {
        memset(snap, 0, sizeof *snap);
        arena_init(&snap->arena);
    }
}

void tsdbd_h_targets(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    const char *pool = httpd_req_query(req, "scrapePool");
    const char *st = httpd_req_query(req, "state");
    char state[16] = "";
    for (size_t i = 0; st && st[i] && i < sizeof state - 1; i++) /* strings.ToLower */
        state[i] = (char)(st[i] >= 'A' && st[i] <= 'Z' ? st[i] + 32 : st[i]);
    if (st && strlen(st) >= sizeof state)
        snprintf(state, sizeof state, "?");
    int any = !*state || !strcmp(state, "any");
    unsigned what = (any || !strcmp(state, "active") ? SCRAPELOOP_SNAP_ACTIVE : 0) |
                    (any || !strcmp(state, "dropped") ? SCRAPELOOP_SNAP_DROPPED : 0);
    struct scrapeloop_snapshot snap;
    snapshot(t, what, &snap);
    struct strbuf *b = tsdbd_ok_begin(resp);
    strbuf_adds(b, "{\"activeTargets\":[");
    int first = 1;
    for (size_t i = 0; i < snap.nactive; i++) {
        if (pool && *pool && strcmp(pool, snap.active[i].pool))
            continue;
        if (!first)
            strbuf_addc(b, ',');
        first = 0;
        target_json(t, b, &snap.active[i]);
    }
    strbuf_adds(b, "],\"droppedTargets\":[");
    first = 1;
    for (size_t i = 0; i < snap.ndropped; i++) {
        if (pool && *pool && strcmp(pool, snap.dropped[i].pool))
            continue;
        if (!first)
            strbuf_addc(b, ',');
        first = 0;
        strbuf_adds(b, "{\"discoveredLabels\":");
        tsdbd_labels_json(b, &snap.dropped[i].discovered);
        strbuf_addc(b, '}');
    }
    strbuf_adds(b, "]}");
    tsdbd_ok_end(b);
    scrapeloop_snapshot_release(&snap);
}

void tsdbd_h_scrape_pools(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct scrapeloop_snapshot snap;
    snapshot(ctx, 0, &snap);
    struct strbuf *b = tsdbd_ok_begin(resp);
    strbuf_adds(b, "{\"scrapePools\":[");
    for (size_t i = 0; i < snap.npools; i++) {
        if (i)
            strbuf_addc(b, ',');
        gofmt_json_str(b, snap.pools[i]);
    }
    strbuf_adds(b, "]}");
    tsdbd_ok_end(b);
    scrapeloop_snapshot_release(&snap);
}

/* limit as strconv.Atoi reads it; -1 (no limit) when absent; -2 with the 400 written. */
static long limit_param(struct httpd_req *req, struct httpd_resp *resp)
{
    const char *s = httpd_req_arg(req, "limit");
    if (!s || !*s)
        return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || s[0] == ' ') {
        tsdbd_bad_data(resp, "limit must be a number");
        return -2;
    }
    return v;
}

static void meta_fields(struct strbuf *b, const struct metacache_item *m)
{
    strbuf_addf(b, "\"type\":\"%s\",\"help\":", expo_mtype_name(m->type));
    gofmt_json_str(b, m->help);
    strbuf_adds(b, ",\"unit\":");
    gofmt_json_str(b, m->unit);
}

static const struct metacache_item *find_meta(const struct scrapeloop_target *x, const char *metric)
{
    for (size_t i = 0; i < x->nmeta; i++)
        if (!strcmp(x->meta[i].metric, metric))
            return &x->meta[i];
    return NULL;
}

void tsdbd_h_targets_metadata(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    long limit = limit_param(req, resp);
    if (limit == -2)
        return;
    const char *mt = httpd_req_arg(req, "match_target");
    const char *metric = httpd_req_arg(req, "metric");
    struct selector sel = {0};
    if (mt && *mt) {
        struct diag d;
        diag_init(&d);
        if (selector_parse(&sel, mt, &d) != 0) {
            struct strbuf m;
            strbuf_init(&m, STRBUF_NOCAP);
            strbuf_addf(&m, "invalid parameter \"match_target\": %s", diag_last(&d));
            tsdbd_bad_data(resp, m.buf);
            strbuf_release(&m);
            diag_release(&d);
            selector_release(&sel);
            return;
        }
        diag_release(&d);
    }
    struct scrapeloop_snapshot snap;
    snapshot(ctx, SCRAPELOOP_SNAP_ACTIVE | SCRAPELOOP_SNAP_META, &snap);
    struct strbuf *b = tsdbd_ok_begin(resp);
    strbuf_addc(b, '[');
    long n = 0;
    for (size_t i = 0; i < snap.nactive; i++) {
        const struct scrapeloop_target *x = &snap.active[i];
        /* As api.go: the limit is checked before each target, not each entry. */
        if (limit >= 0 && n >= limit)
            break;
        if (mt && *mt && !matcher_all(sel.m, sel.n, &x->labels))
            continue;
        for (size_t k = 0; k < x->nmeta; k++) {
            const struct metacache_item *m = &x->meta[k];
            if (metric && *metric) {
                m = find_meta(x, metric);
                if (!m)
                    break;
            }
            strbuf_adds(b, n++ ? ",{\"target\":" : "{\"target\":");
            tsdbd_labels_json(b, &x->labels);
            if (!metric || !*metric) {
                strbuf_adds(b, ",\"metric\":");
                gofmt_json_str(b, m->metric);
            }
            strbuf_addc(b, ',');
            meta_fields(b, m);
            strbuf_addc(b, '}');
            if (metric && *metric)
                break;
        }
    }
    strbuf_addc(b, ']');
    tsdbd_ok_end(b);
    scrapeloop_snapshot_release(&snap);
    selector_release(&sel);
}

static int cmp_item(const void *a, const void *b)
{
    const struct metacache_item *x = *(const struct metacache_item *const *)a;
    const struct metacache_item *y = *(const struct metacache_item *const *)b;
    int c = strcmp(x->metric, y->metric);
    if (!c)
        c = (int)x->type - (int)y->type;
    if (!c)
        c = strcmp(x->help, y->help);
    if (!c)
        c = strcmp(x->unit, y->unit);
    return c;
}

void tsdbd_h_metadata(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    long limit = limit_param(req, resp);
    if (limit == -2)
        return;
    const char *metric = httpd_req_arg(req, "metric");
    struct scrapeloop_snapshot snap;
    snapshot(ctx, SCRAPELOOP_SNAP_ACTIVE | SCRAPELOOP_SNAP_META, &snap);
    /* Every (metric, type, help, unit) of every target, sorted, then deduplicated. */
    size_t total = 0, n = 0;
    for (size_t i = 0; i < snap.nactive; i++)
        total += snap.active[i].nmeta;
    const struct metacache_item **all = arena_alloc(&snap.arena, (total + 1) * sizeof *all);
    for (size_t i = 0; i < snap.nactive; i++)
        for (size_t k = 0; k < snap.active[i].nmeta; k++)
            if (!metric || !*metric || !strcmp(snap.active[i].meta[k].metric, metric))
                all[n++] = &snap.active[i].meta[k];
    qsort(all, n, sizeof *all, cmp_item);
    struct strbuf *b = tsdbd_ok_begin(resp);
    strbuf_addc(b, '{');
    long names = 0;
    for (size_t i = 0; i < n; i++) {
        int new_name = i == 0 || strcmp(all[i - 1]->metric, all[i]->metric);
        if (i && !cmp_item(&all[i - 1], &all[i]))
            continue;
        if (new_name) {
            if (limit >= 0 && names >= limit)
                break;
            if (names++)
                strbuf_adds(b, "],");
            gofmt_json_str(b, all[i]->metric);
            strbuf_adds(b, ":[");
        } else {
            strbuf_addc(b, ',');
        }
        strbuf_addc(b, '{');
        meta_fields(b, all[i]);
        strbuf_addc(b, '}');
    }
    if (names)
        strbuf_addc(b, ']');
    strbuf_addc(b, '}');
    tsdbd_ok_end(b);
    scrapeloop_snapshot_release(&snap);
}

/*
 * The lifecycle endpoints, as web/web.go routes them: GET gets 405 with its
 * text, POST and PUT 403 unless --web.enable-lifecycle, other methods 405.
 * Returns 1 when the caller may act.
 */
static int lifecycle_check(struct tsdbd *t, struct httpd_req *req, struct httpd_resp *resp)
{
    const char *m = httpd_req_method(req);
    const char *plain = "text/plain; charset=utf-8";
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) {
        httpd_resp_text(resp, 405, plain, "Only POST or PUT requests allowed");
        return 0;
    }
    if (strcmp(m, "POST") && strcmp(m, "PUT")) {
        httpd_resp_header(resp, "Allow", "GET, OPTIONS, POST, PUT");
        httpd_resp_header(resp, "X-Content-Type-Options", "nosniff");
        httpd_resp_text(resp, 405, plain, "Method Not Allowed\n");
        return 0;
    }
    if (!t->flags.lifecycle) {
        httpd_resp_text(resp, 403, plain, "Lifecycle API is not enabled.");
        return 0;
    }
    return 1;
}

void tsdbd_h_reload(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    if (!lifecycle_check(t, req, resp))
        return;
    struct diag d;
    diag_init(&d);
    if (tsdbd_reload(t, &d) != 0) {
        httpd_resp_header(resp, "X-Content-Type-Options", "nosniff");
        httpd_resp_text(resp, 500, "text/plain; charset=utf-8", "failed to reload config: %s\n",
                        diag_last(&d));
    } else {
        httpd_resp_status(resp, 200);
    }
    diag_release(&d);
}

void tsdbd_h_quit(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    if (!lifecycle_check(t, req, resp))
        return;
    httpd_resp_text(resp, 200, "text/plain; charset=utf-8", "Requesting termination... Goodbye!");
    /* The main thread waits for signals; it stops the server after this answer is sent. */
    __atomic_store_n(&t->quit_requested, 1, __ATOMIC_RELEASE);
    kill(getpid(), SIGTERM);
}
