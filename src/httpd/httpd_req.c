/*
 * The request side of httpd: splitting the request target into path and
 * query, urlencoded parsing (RFC 3986 percent-encoding; '+' as space in
 * query strings and form bodies as the WHATWG URL standard's
 * application/x-www-form-urlencoded parser does), route patterns and the
 * accessors handlers use.
 */
#include "httpd/httpd_impl.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/hex.h"
#include "core/monotime.h"
#include "core/xmalloc.h"

int64_t httpd_now_ms(void)
{
    return monotime_ms();
}

size_t httpd_urldecode(char *s, size_t len, int plus)
{
    size_t i, o = 0;
    for (i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
            (lo = hex_digit(s[i + 2])) >= 0) {
            s[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus && s[i] == '+') {
            s[o++] = ' ';
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

size_t httpd_parse_urlencoded(struct arena *a, const char *s, size_t len, struct httpd_kv **out)
{
    size_t n = 0, cap = 0, i = 0;
    struct httpd_kv *v = NULL;
    while (i < len) {
        size_t j = i, eq = SIZE_MAX;
        while (j < len && s[j] != '&') {
            if (s[j] == '=' && eq == SIZE_MAX)
                eq = j;
            j++;
        }
        if (j > i) {
            size_t klen = (eq == SIZE_MAX ? j : eq) - i;
            char *k = arena_strndup(a, s + i, klen);
            char *val =
                eq == SIZE_MAX ? arena_strdup(a, "") : arena_strndup(a, s + eq + 1, j - eq - 1);
            httpd_urldecode(k, strlen(k), 1);
            httpd_urldecode(val, strlen(val), 1);
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                struct httpd_kv *nv = arena_alloc(a, ncap * sizeof(*nv));
                if (n)
                    memcpy(nv, v, n * sizeof(*nv));
                v = nv;
                cap = ncap;
            }
            v[n].name = k;
            v[n].value = val;
            n++;
        }
        i = j + 1;
    }
    *out = v;
    return n;
}

int httpd_route_match(const char *pattern, const char *path, struct arena *a, struct httpd_kv *p,
                      size_t maxp)
{
    const char *pp = pattern, *sp = path;
    size_t n = 0;
    while (*pp) {
        if (pp[0] == '*' && pp[1] == '\0') {
            if (n < maxp) {
                p[n].name = "*";
                p[n].value = arena_strdup(a, sp);
                n++;
            }
            return (int)n;
        }
        /* "/x/" + star also matches "/x", with an empty rest. */
        if (pp[0] == '/' && pp[1] == '*' && pp[2] == '\0' && *sp == '\0') {
            if (n < maxp) {
                p[n].name = "*";
                p[n].value = "";
                n++;
            }
            return (int)n;
        }
        if (*pp == ':') {
            const char *ne = pp + 1, *ve = sp;
            while (*ne && *ne != '/')
                ne++;
            while (*ve && *ve != '/')
                ve++;
            if (ve == sp)
                return -1; /* a parameter is never empty */
            if (n < maxp) {
                p[n].name = arena_strndup(a, pp + 1, (size_t)(ne - pp - 1));
                p[n].value = arena_strndup(a, sp, (size_t)(ve - sp));
                n++;
            }
            pp = ne;
            sp = ve;
            continue;
        }
        if (*pp != *sp)
            return -1;
        pp++;
        sp++;
    }
    return *sp == '\0' ? (int)n : -1;
}

void httpd_label_escape(struct strbuf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            strbuf_adds(out, "\\\\");
        else if (*s == '"')
            strbuf_adds(out, "\\\"");
        else if (*s == '\n')
            strbuf_adds(out, "\\n");
        else
            strbuf_addc(out, *s);
    }
}

void httpd_req_setup(struct httpd_req *req, struct httpd *h, const char *uri)
{
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    char *path;
    size_t n;

    memset(req, 0, sizeof(*req));
    arena_init(&req->arena);
    req->server = h;
    req->route = -1;
    req->pattern = "";
    req->prefix = h->prefix;
    req->uri = arena_strdup(&req->arena, uri);
    req->query_string = arena_strdup(&req->arena, q ? q + 1 : "");
    path = arena_strndup(&req->arena, uri, plen);
    n = httpd_urldecode(path, plen, 0);
    if (n == 0 || path[0] != '/')
        path = arena_printf(&req->arena, "/%s", path);
    req->path = path;
    req->nquery = httpd_parse_urlencoded(&req->arena, req->query_string, strlen(req->query_string),
                                         &req->query);
    strbuf_init(&req->body, h->opt.max_body);
    httpd_resp_init(&req->resp, &req->arena);
    req->start_ms = httpd_now_ms();
    req->deadline_ms = req->start_ms + h->opt.request_timeout_ms;
}

void httpd_req_release(struct httpd_req *req)
{
    strbuf_release(&req->body);
    httpd_resp_release(&req->resp);
    arena_release(&req->arena);
}

void httpd_req_parse_form(struct httpd_req *req, const char *content_type)
{
    static const char form[] = "application/x-www-form-urlencoded";
    if (!content_type || strncasecmp(content_type, form, sizeof(form) - 1) != 0)
        return;
    req->nform = httpd_parse_urlencoded(&req->arena, req->body.buf, req->body.len, &req->form);
}

struct arena *httpd_req_arena(struct httpd_req *req)
{
    return &req->arena;
}

const char *httpd_req_method(const struct httpd_req *req)
{
    return req->method;
}

const char *httpd_req_path(const struct httpd_req *req)
{
    return req->path;
}

const char *httpd_req_uri(const struct httpd_req *req)
{
    return req->uri;
}

const char *httpd_req_query_string(const struct httpd_req *req)
{
    return req->query_string;
}

const char *httpd_req_pattern(const struct httpd_req *req)
{
    return req->pattern;
}

const char *httpd_req_prefix(const struct httpd_req *req)
{
    return req->prefix;
}

const char *httpd_req_remote(const struct httpd_req *req)
{
    return req->remote;
}

static const char *kv_find(const struct httpd_kv *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return v[i].value;
    return NULL;
}

const char *httpd_req_param(const struct httpd_req *req, const char *name)
{
    return kv_find(req->params, req->nparams, name);
}

const char *httpd_req_query(const struct httpd_req *req, const char *name)
{
    return kv_find(req->query, req->nquery, name);
}

const char *httpd_req_arg(const struct httpd_req *req, const char *name)
{
    const char *v = kv_find(req->form, req->nform, name);
    return v ? v : kv_find(req->query, req->nquery, name);
}

size_t httpd_req_args(struct httpd_req *req, const char *name, const char ***out)
{
    size_t n = 0, i;
    const char **v = arena_alloc(&req->arena, (req->nform + req->nquery + 1) * sizeof(*v));
    for (i = 0; i < req->nform; i++)
        if (strcmp(req->form[i].name, name) == 0)
            v[n++] = req->form[i].value;
    for (i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0)
            v[n++] = req->query[i].value;
    *out = v;
    return n;
}

const struct httpd_kv *httpd_req_query_all(const struct httpd_req *req, size_t *n)
{
    *n = req->nquery;
    return req->query;
}

const struct httpd_kv *httpd_req_form_all(const struct httpd_req *req, size_t *n)
{
    *n = req->nform;
    return req->form;
}

const char *httpd_req_header(const struct httpd_req *req, const char *name)
{
    if (!req->conn)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *httpd_req_cookie(const struct httpd_req *req, const char *name)
{
    if (!req->conn)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *httpd_req_body(const struct httpd_req *req, size_t *len)
{
    if (len)
        *len = req->body.len;
    return req->body.buf;
}

json_t *httpd_req_json(const struct httpd_req *req, json_error_t *err)
{
    return json_loadb(req->body.buf, req->body.len, 0, err);
}

long httpd_req_remaining_ms(const struct httpd_req *req)
{
    return (long)(req->deadline_ms - httpd_now_ms());
}

int httpd_req_expired(const struct httpd_req *req)
{
    return httpd_req_remaining_ms(req) <= 0;
}
