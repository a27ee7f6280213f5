/*
 * httpd: the pure helpers (urlencoded parsing, route patterns, listen
 * addresses) and a live server on loopback driven by libcurl: routing with
 * parameters and a prefix, query and form arguments with repeated keys,
 * 404/405/413, headers and cookies, counters and a graceful stop that lets a
 * request in flight finish.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "httpd/httpd.h"

static void urlencoded_pairs_repeat_and_decode(void **state)
{
    struct arena a;
    struct httpd_kv *kv;
    const char *s = "match%5B%5D=up&match[]=a+b%3D1&empty&x=%zz&&=v";
    size_t n;
    (void)state;
    arena_init(&a);
    n = httpd_parse_urlencoded(&a, s, strlen(s), &kv);
    assert_int_equal(n, 5);
    assert_string_equal(kv[0].name, "match[]");
    assert_string_equal(kv[0].value, "up");
    assert_string_equal(kv[1].name, "match[]");
    assert_string_equal(kv[1].value, "a b=1");
    assert_string_equal(kv[2].name, "empty");
    assert_string_equal(kv[2].value, "");
    assert_string_equal(kv[3].value, "%zz"); /* malformed escapes stay literal */
    assert_string_equal(kv[4].name, "");
    arena_release(&a);
}

static void route_patterns_capture(void **state)
{
    struct arena a;
    struct httpd_kv p[8];
    (void)state;
    arena_init(&a);
    assert_int_equal(httpd_route_match("/api/health", "/api/health", &a, p, 8), 0);
    assert_int_equal(httpd_route_match("/api/health", "/api/healthz", &a, p, 8), -1);
    assert_int_equal(httpd_route_match("/api/health", "/api", &a, p, 8), -1);
    assert_int_equal(httpd_route_match("/d/:uid/:slug", "/d/abc/my-dash", &a, p, 8), 2);
    assert_string_equal(p[0].name, "uid");
    assert_string_equal(p[0].value, "abc");
    assert_string_equal(p[1].value, "my-dash");
    assert_int_equal(httpd_route_match("/d/:uid", "/d/", &a, p, 8), -1);
    assert_int_equal(httpd_route_match("/d/:uid", "/d/a/b", &a, p, 8), -1);
    assert_int_equal(httpd_route_match("/p/uid/:uid/*", "/p/uid/x/api/v1/query", &a, p, 8), 2);
    assert_string_equal(p[1].name, "*");
    assert_string_equal(p[1].value, "api/v1/query");
    assert_int_equal(httpd_route_match("/p/uid/:uid/*", "/p/uid/x", &a, p, 8), 2);
    assert_string_equal(p[1].value, "");
    assert_int_equal(httpd_route_match("/*", "/", &a, p, 8), 1);
    arena_release(&a);
}

static void listen_addresses_parse(void **state)
{
    struct arena a;
    struct diag d;
    const char *host;
    unsigned port;
    (void)state;
    arena_init(&a);
    diag_init(&d);
    assert_int_equal(httpd_addr_parse("127.0.0.1:9090", &a, &host, &port, &d), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9090);
    assert_int_equal(httpd_addr_parse(":3000", &a, &host, &port, &d), 0);
    assert_null(host);
    assert_int_equal(port, 3000);
    assert_int_equal(httpd_addr_parse("[::1]:0", &a, &host, &port, &d), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_int_equal(httpd_addr_parse("localhost", &a, &host, &port, &d), -1);
    assert_non_null(strstr(diag_last(&d), "invalid listen address \"localhost\""));
    assert_int_equal(httpd_addr_parse("h:70000", &a, &host, &port, &d), -1);
    assert_int_equal(httpd_addr_parse("::1:80", &a, &host, &port, &d), -1);
    assert_int_equal(httpd_addr_parse("h:", &a, &host, &port, &d), -1);
    diag_release(&d);
    arena_release(&a);
}

/* --- live server -------------------------------------------------------- */

static volatile int slow_started;

static void h_hello(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    const char *ua = httpd_req_header(req, "x-test");
    const char *c = httpd_req_cookie(req, "sess");
    (void)ctx;
    httpd_resp_header(resp, "X-Prefix", httpd_req_prefix(req));
    httpd_resp_text(resp, 200, "text/plain", "hello %s %s %s", ua ? ua : "-", c ? c : "-",
                    httpd_req_path(req));
}

static void h_item(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    (void)ctx;
    httpd_resp_json(resp, 201,
                    json_pack("{s:s, s:s}", "id", httpd_req_param(req, "id"), "pattern",
                              httpd_req_pattern(req)));
}

static void h_echo(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    const char **v;
    size_t n = httpd_req_args(req, "match[]", &v), len;
    struct strbuf *b = httpd_resp_body(resp);
    const char *q = httpd_req_arg(req, "query");
    (void)ctx;
    httpd_req_body(req, &len);
    strbuf_addf(b, "n=%zu", n);
    for (size_t i = 0; i < n; i++)
        strbuf_addf(b, " %s", v[i]);
    strbuf_addf(b, " query=%s len=%zu", q ? q : "-", len);
}

static void h_rest(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    (void)ctx;
    httpd_resp_text(resp, 200, "text/plain", "%s %s ?%s", httpd_req_method(req),
                    httpd_req_param(req, "*"), httpd_req_query_string(req));
}

static void h_slow(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    slow_started = 1;
    usleep(400 * 1000);
    httpd_resp_text(resp, 200, "text/plain", "slow done");
}

static const struct httpd_route routes[] = {
    {"GET", "/hello", h_hello}, {"PUT", "/items/:id", h_item}, {"GET", "/items/:id", h_item},
    {"POST", "/echo", h_echo},  {"*", "/rest/*", h_rest},      {"GET", "/slow", h_slow},
};

struct reply {
    long status;
    char body[4096];
    size_t len;
    char headers[4096];
    size_t hlen;
};

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
    struct reply *r = arg;
    size_t n = sz * nm, room = sizeof(r->body) - 1 - r->len;
    memcpy(r->body + r->len, p, n < room ? n : room);
    r->len += n < room ? n : room;
    r->body[r->len] = '\0';
    return n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *arg)
{
    struct reply *r = arg;
    size_t n = sz * nm, room = sizeof(r->headers) - 1 - r->hlen;
    memcpy(r->headers + r->hlen, p, n < room ? n : room);
    r->hlen += n < room ? n : room;
    r->headers[r->hlen] = '\0';
    return n;
}

static void request(unsigned port, const char *method, const char *path, const char *body,
                    size_t blen, const char *ctype, struct reply *r)
{
    CURL *c = curl_easy_init();
    char url[512];
    struct curl_slist *hs = NULL;
    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_COOKIE, "a=1; sess=s3cr3t");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    hs = curl_slist_append(hs, "X-Test: yes");
    hs = curl_slist_append(hs, "Expect:");
    if (ctype) {
        char h[256];
        snprintf(h, sizeof(h), "Content-Type: %s", ctype);
        hs = curl_slist_append(hs, h);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    else
        r->status = -1;
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
}

static struct httpd *start(const char *prefix, size_t max_body)
{
    struct diag d;
    struct httpd_options o = {0};
    struct httpd *h;
    diag_init(&d);
    o.listen = "127.0.0.1:0";
    o.prefix = prefix;
    o.routes = routes;
    o.nroutes = sizeof(routes) / sizeof(routes[0]);
    o.max_body = max_body;
    h = httpd_new(&o, &d);
    assert_non_null(h);
    assert_int_equal(httpd_start(h, &d), 0);
    assert_true(httpd_port(h) > 0);
    diag_release(&d);
    return h;
}

static void server_routes_and_arguments(void **state)
{
    struct httpd *h = start(NULL, 0);
    unsigned port = httpd_port(h);
    struct reply r;
    const char form[] = "match%5B%5D=up&match[]=node_load1&query=sum(rate(x%5B5m%5D))";
    (void)state;

    request(port, "GET", "/hello", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello yes s3cr3t /hello");
    request(port, "HEAD", "/hello", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);

    request(port, "GET", "/items/a%20b", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "{\"id\":\"a b\",\"pattern\":\"/items/:id\"}");
    assert_non_null(strstr(r.headers, "Content-Type: application/json"));

    request(port, "DELETE", "/items/1", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.headers, "Allow: PUT, GET"));
    request(port, "GET", "/nope", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 404);

    /* form body first, then the query, as Go's Request.Form orders them */
    request(port, "POST", "/echo?match[]=q1", form, strlen(form),
            "application/x-www-form-urlencoded", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "n=3 up node_load1 q1 query=sum(rate(x[5m])) len=60");
    /* a JSON body is not a form */
    request(port, "POST", "/echo?query=fromquery", "{\"a\":1}", 7, "application/json", &r);
    assert_string_equal(r.body, "n=0 query=fromquery len=7");

    request(port, "PATCH", "/rest/api/v1/query?query=up&x=%2F", NULL, 0, NULL, &r);
    assert_string_equal(r.body, "PATCH api/v1/query ?query=up&x=%2F");

    httpd_stop(h, 1000);
    {
        struct strbuf m = STRBUF_INIT;
        httpd_stats_write(h, &m, "http_requests_total", "http_request_seconds_total");
        assert_non_null(strstr(m.buf, "http_requests_total{code=\"200\",handler=\"/hello\"} 2\n"));
        assert_non_null(strstr(m.buf, "http_requests_total{code=\"405\",handler=\"\"} 1\n"));
        assert_non_null(strstr(m.buf, "http_requests_total{code=\"404\",handler=\"\"} 1\n"));
        assert_non_null(strstr(m.buf, "# TYPE http_request_seconds_total counter\n"));
        strbuf_release(&m);
    }
    httpd_free(h);
}

/* Sends raw bytes and returns the status of the reply (0 when none). */
static int raw_request(unsigned port, const char *bytes)
{
    struct sockaddr_in sa = {0};
    char buf[512] = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(write(fd, bytes, strlen(bytes)), (ssize_t)strlen(bytes));
    shutdown(fd, SHUT_WR);
    if (read(fd, buf, sizeof(buf) - 1) > 12)
        status = atoi(buf + 9);
    close(fd);
    return status;
}

static void server_malformed_requests(void **state)
{
    struct httpd *h = start(NULL, 0);
    unsigned port = httpd_port(h);
    (void)state;
    /* libmicrohttpd skips a header line without a colon, as lenient servers do */
    assert_true(raw_request(port, "GET /hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n") > 0);
    assert_int_equal(raw_request(port, "GET /hello HTTP/9.9\r\n\r\n"), 505);
    assert_int_equal(raw_request(port, "GET /hello HTTP/1.0\r\n\r\n"), 200);
    assert_int_equal(raw_request(port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                       "10\r\n\r\nabc"),
                     0); /* body cut short: no reply, and nothing leaks */
    httpd_free(h);
}

static void server_prefix(void **state)
{
    struct httpd *h = start("/grafana/", 0);
    unsigned port = httpd_port(h);
    struct reply r;
    (void)state;
    request(port, "GET", "/grafana/hello", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello yes s3cr3t /hello");
    assert_non_null(strstr(r.headers, "X-Prefix: /grafana"));
    request(port, "GET", "/hello", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 404);
    request(port, "GET", "/grafanahello", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 404);
    httpd_free(h);
}

static void server_body_cap(void **state)
{
    struct httpd *h = start(NULL, 1000);
    unsigned port = httpd_port(h);
    struct reply r;
    char *big = malloc(100000);
    (void)state;
    memset(big, 'a', 100000);
    request(port, "POST", "/echo", big, 1000, "text/plain", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "n=0 query=- len=1000");
    request(port, "POST", "/echo", big, 1001, "text/plain", &r);
    assert_int_equal(r.status, 413); /* drained, then refused */
    request(port, "POST", "/echo", big, 100000, "text/plain", &r);
    assert_true(r.status == 413 || r.status == -1); /* refused before reading */
    /* the server still serves after both */
    request(port, "GET", "/hello", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    free(big);
    httpd_free(h);
}

struct slow_arg {
    unsigned port;
    struct reply r;
};

static void *slow_client(void *arg)
{
    struct slow_arg *s = arg;
    request(s->port, "GET", "/slow", NULL, 0, NULL, &s->r);
    return NULL;
}

static void server_graceful_stop(void **state)
{
    struct httpd *h = start(NULL, 0);
    struct slow_arg s = {httpd_port(h), {0}};
    pthread_t t;
    struct reply r;
    (void)state;
    slow_started = 0;
    pthread_create(&t, NULL, slow_client, &s);
    while (!slow_started)
        usleep(5000);
    assert_int_equal(httpd_inflight(h), 1);
    httpd_stop(h, 5000);
    pthread_join(t, NULL);
    assert_int_equal(s.r.status, 200);
    assert_string_equal(s.r.body, "slow done");
    /* no longer listening */
    request(s.port, "GET", "/hello", NULL, 0, NULL, &r);
    assert_int_equal(r.status, -1);
    httpd_free(h);
}

static void server_bind_errors(void **state)
{
    struct httpd *h = start(NULL, 0);
    struct httpd_options o = {0};
    struct diag d;
    char addr[64];
    (void)state;
    diag_init(&d);
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", httpd_port(h));
    o.listen = addr;
    o.routes = routes;
    o.nroutes = 1;
    assert_null(httpd_new(&o, &d));
    assert_non_null(strstr(diag_last(&d), "cannot listen on 127.0.0.1:"));
    assert_non_null(strstr(diag_last(&d), "in use"));
    o.listen = "nonsense";
    assert_null(httpd_new(&o, &d));
    diag_release(&d);
    httpd_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urlencoded_pairs_repeat_and_decode),
        cmocka_unit_test(route_patterns_capture),
        cmocka_unit_test(listen_addresses_parse),
        cmocka_unit_test(server_routes_and_arguments),
        cmocka_unit_test(server_prefix),
        cmocka_unit_test(server_malformed_requests),
        cmocka_unit_test(server_body_cap),
        cmocka_unit_test(server_graceful_stop),
        cmocka_unit_test(server_bind_errors),
    };
    curl_global_init(CURL_GLOBAL_ALL);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
