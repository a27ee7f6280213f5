/*
 * httpd: the HTTP server layer every cairn daemon shares (cairn-scrape,
 * cairn-tsdb, cairn-dash), on GNU libmicrohttpd.
 *
 * A daemon describes its endpoints as a table of routes {method, pattern,
 * handler}. Patterns are literal segments, ":name" segments (one path
 * segment, captured) and an optional final "*" (the rest of the path,
 * captured as "*"). Each request gets its own arena; everything a handler
 * reads (parameters, body) and allocates with httpd_req_arena() lives until
 * the response is sent. Handlers run on the server's connection threads, so
 * whatever they share must be thread-safe.
 *
 * The server enforces a body cap (413), an idle timeout per connection, a
 * connection limit (503 beyond it is libmicrohttpd's refusal), an optional
 * route prefix (Prometheus's --web.route-prefix, Grafana's
 * serve_from_sub_path) and counts every request per route and status for a
 * daemon's /metrics. See docs/httpd.md.
 */
#ifndef CAIRN_HTTPD_H
#define CAIRN_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/strbuf.h"

struct httpd;
struct httpd_req;
struct httpd_resp;

typedef void (*httpd_handler_fn)(struct httpd_req *req, struct httpd_resp *resp, void *ctx);

struct httpd_route {
    const char *method;  /* "GET", "POST", ...; "*" matches any method */
    const char *pattern; /* "/api/v1/query", "/api/dashboards/uid/:uid", "/public/" + "*" */
    httpd_handler_fn fn;
};

/* A name and a value, both NUL-terminated and URL-decoded. */
struct httpd_kv {
    const char *name;
    const char *value;
};

struct httpd_options {
    const char *listen; /* "host:port", ":port" (every interface), "[::1]:port"; port 0: any */
    const char *prefix; /* route prefix such as "/grafana"; NULL or "" or "/": none */
    /*
     * Also route paths outside the prefix as they are. Grafana with
     * serve_from_sub_path trims the sub-path only when present, so a load
     * balancer's health check of /api/health works beside /grafana/...;
     * Prometheus's route prefix is strict (0).
     */
    int prefix_optional;
    const struct httpd_route *routes;
    size_t nroutes;
    void *ctx;                   /* passed to every handler */
    httpd_handler_fn not_found;  /* optional: called when no route matches (else a 404) */
    size_t max_body;             /* bytes; 0: 10 MiB. Larger bodies get 413 */
    unsigned idle_timeout_s;     /* close connections idle this long; 0: 60 */
    unsigned request_timeout_ms; /* deadline handlers may check (httpd_req_expired); 0: 120000 */
    unsigned max_connections;    /* 0: 128 */
    const char *server_name;     /* "Server" header is not sent; used in log lines only */
};

/*
 * Listen addresses. Parses "host:port", ":port", "[v6]:port" into host (NULL
 * for every interface; arena-allocated) and port. Returns 0, or -1 with the
 * reason in d.
 */
int httpd_addr_parse(const char *s, struct arena *a, const char **host, unsigned *port,
                     struct diag *d);

/* Server lifecycle. httpd_new() copies the options (not the route table:
 * it must outlive the server) and binds the socket; httpd_start() starts
 * serving. Both return NULL / -1 with the reason in d. */
struct httpd *httpd_new(const struct httpd_options *opts, struct diag *d);
int httpd_start(struct httpd *h, struct diag *d);
/* The port bound (useful with port 0). */
unsigned httpd_port(const struct httpd *h);
/* Graceful shutdown: stop accepting, let requests in flight finish for up
 * to grace_ms, then close every connection. Safe to call more than once. */
void httpd_stop(struct httpd *h, unsigned grace_ms);
void httpd_free(struct httpd *h);

/* Access counters: one entry per (route pattern, status code), in route
 * order; requests that matched no route count under pattern "". */
typedef void (*httpd_stats_fn)(const char *method, const char *pattern, int status, uint64_t count,
                               double seconds, void *arg);
void httpd_stats_foreach(struct httpd *h, httpd_stats_fn fn, void *arg);
/* Writes "<name>{code="200",handler="/api/..."} N" lines (Prometheus text
 * format 0.0.4, with # HELP and # TYPE) for every counter, and the
 * "<name without _total>_seconds" sum alongside when seconds_name is set. */
void httpd_stats_write(struct httpd *h, struct strbuf *out, const char *name,
                       const char *seconds_name);
/* Requests being handled right now. */
unsigned httpd_inflight(struct httpd *h);

/* --- Request ------------------------------------------------------------ */

struct arena *httpd_req_arena(struct httpd_req *req);
const char *httpd_req_method(const struct httpd_req *req);
/* The path after the prefix, URL-decoded, always starting with "/". */
const char *httpd_req_path(const struct httpd_req *req);
/* The request target as received (prefix, escapes and query included). */
const char *httpd_req_uri(const struct httpd_req *req);
/* The raw query string after '?', "" when none. */
const char *httpd_req_query_string(const struct httpd_req *req);
/* The matched route's pattern ("" when none matched). */
const char *httpd_req_pattern(const struct httpd_req *req);
/* The route prefix in effect ("" when none), for building links. */
const char *httpd_req_prefix(const struct httpd_req *req);
/* Client address as text ("127.0.0.1"), for rate limits and logs. */
const char *httpd_req_remote(const struct httpd_req *req);

/* A route parameter: ":uid" is "uid", the trailing "*" is "*". */
const char *httpd_req_param(const struct httpd_req *req, const char *name);
/* First value of a query parameter, NULL when absent. */
const char *httpd_req_query(const struct httpd_req *req, const char *name);
/* First value in the urlencoded form body, then the query (Go's FormValue). */
const char *httpd_req_arg(const struct httpd_req *req, const char *name);
/* Every value of a repeated argument (match[]), form body values first,
 * then the query's; *out is an arena array. Returns the count. */
size_t httpd_req_args(struct httpd_req *req, const char *name, const char ***out);
/* All query pairs, or all form pairs, in order. */
const struct httpd_kv *httpd_req_query_all(const struct httpd_req *req, size_t *n);
const struct httpd_kv *httpd_req_form_all(const struct httpd_req *req, size_t *n);

/* Case-insensitive header lookup; NULL when absent. */
const char *httpd_req_header(const struct httpd_req *req, const char *name);
/* A cookie's value, NULL when absent. */
const char *httpd_req_cookie(const struct httpd_req *req, const char *name);
/* The body (NUL-terminated for convenience; may contain NULs). */
const char *httpd_req_body(const struct httpd_req *req, size_t *len);
/* Parse the body as JSON; NULL (and a 400-worthy message in err) if it is not. */
json_t *httpd_req_json(const struct httpd_req *req, json_error_t *err);
/* Monotonic milliseconds left before the request's deadline; <= 0 once expired. */
long httpd_req_remaining_ms(const struct httpd_req *req);
int httpd_req_expired(const struct httpd_req *req);

/* --- Response ----------------------------------------------------------- */

/* Status defaults to 200 with an empty body. */
void httpd_resp_status(struct httpd_resp *resp, int status);
int httpd_resp_get_status(const struct httpd_resp *resp);
/* Adds a header (copied); repeat for several Set-Cookie. */
void httpd_resp_header(struct httpd_resp *resp, const char *name, const char *value);
/* The body builder: append to it with strbuf_*. */
struct strbuf *httpd_resp_body(struct httpd_resp *resp);
/* Serve len bytes at data without copying: data must outlive the server. */
void httpd_resp_static(struct httpd_resp *resp, const void *data, size_t len);
/* Set status, Content-Type and body in one call. */
void httpd_resp_text(struct httpd_resp *resp, int status, const char *content_type, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
/* Status, "application/json" and the compact dump of v; takes v's reference. */
void httpd_resp_json(struct httpd_resp *resp, int status, json_t *v);
/* A redirect (301, 302, 303, 307, 308) to location. */
void httpd_resp_redirect(struct httpd_resp *resp, int status, const char *location);

/* --- Helpers shared by the daemons (pure functions) --------------------- */

/* Decode %XX (and '+' as space when plus is set) in place; returns the new
 * length. Malformed escapes are kept literally, as Go's lenient callers do. */
size_t httpd_urldecode(char *s, size_t len, int plus);
/* Split "a=1&b=2&a=3" into decoded pairs (arena); returns the count. */
size_t httpd_parse_urlencoded(struct arena *a, const char *s, size_t len, struct httpd_kv **out);
/* Match path against pattern; on success fill up to maxp captured params
 * (names and values in the arena) and return their count, else -1. */
int httpd_route_match(const char *pattern, const char *path, struct arena *a, struct httpd_kv *p,
                      size_t maxp);
/* Escape s for a Prometheus label value (\\, \", \n) into out. */
void httpd_label_escape(struct strbuf *out, const char *s);

#endif
