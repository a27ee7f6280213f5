#include "core/http.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/xmalloc.h"

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS         60000L
#define DEFAULT_MAX_BODY           ((size_t)64 << 20)
/* Bodies logged at trace level are cut here (after redaction). */
#define LOG_BODY_MAX 4096

struct http_client {
    CURL *easy;
    long connect_timeout_ms, timeout_ms;
    size_t max_body;
    char *user_agent;
    char *ca_file;
    char errbuf[CURL_ERROR_SIZE];
};

/* What the callbacks of one transfer share. */
struct transfer {
    struct http_response *resp;
    int too_large;
    int headers_done; /* the blank line after the last header block was seen */
};

int http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

struct http_client *http_client_new(const struct http_options *opts)
{
    struct http_options none = {0};
    struct http_client *c;
    CURL *easy;

    if (!opts)
        opts = &none;
    if (!(easy = curl_easy_init()))
        return NULL;
    c = xcalloc(1, sizeof(*c));
    c->easy = easy;
    c->connect_timeout_ms =
        opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
    c->user_agent = xstrdup(opts->user_agent ? opts->user_agent : "cairn/" CAIRN_VERSION);
    c->ca_file = opts->ca_file ? xstrdup(opts->ca_file) : NULL;
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->easy);
    free(c->user_agent);
    free(c->ca_file);
    free(c);
}

static void free_headers(struct http_response *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    r->nheaders = 0;
}

void http_response_init(struct http_response *r)
{
    memset(r, 0, sizeof(*r));
    strbuf_init(&r->body, STRBUF_NOCAP);
}

void http_response_release(struct http_response *r)
{
    /* Bodies can hold secrets (GetSecretValue): wipe, do not just free. */
    strbuf_wipe(&r->body);
    free_headers(r);
    free(r->headers);
    http_response_init(r);
}

const char *http_response_header(const struct http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

int http_result_transient(enum http_result r)
{
    return r == HTTP_ERR_CONNECT || r == HTTP_ERR_TIMEOUT || r == HTTP_ERR_NETWORK;
}

const char *http_result_name(enum http_result r)
{
    switch (r) {
    case HTTP_OK:
        return "ok";
    case HTTP_ERR_CONNECT:
        return "connect";
    case HTTP_ERR_TIMEOUT:
        return "timeout";
    case HTTP_ERR_NETWORK:
        return "network";
    case HTTP_ERR_TLS:
        return "tls";
    case HTTP_ERR_TOO_LARGE:
        return "too_large";
    default:
        return "other";
    }
}

/* Like strbuf_add(), but when the buffer moves the old copy is wiped first,
 * so a secret in a body leaves no stray copies in freed memory. */
static int body_add(struct strbuf *sb, const char *data, size_t n)
{
    size_t need;

    if (n > sb->cap || sb->len > sb->cap - n)
        return -1;
    need = sb->len + n + 1;
    if (need > sb->alloc) {
        size_t size = sb->alloc ? sb->alloc : 4096;
        char *p;

        while (size < need)
            size = size > SIZE_MAX / 2 ? need : size * 2;
        p = xmalloc(size);
        memcpy(p, sb->buf, sb->len);
        if (sb->alloc) {
            OPENSSL_cleanse(sb->buf, sb->alloc);
            free(sb->buf);
        }
        sb->buf = p;
        sb->alloc = size;
    }
    memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct transfer *t = ctx;

    if (body_add(&t->resp->body, data, size * n) < 0) {
        t->too_large = 1;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct transfer *t = ctx;
    struct http_response *r = t->resp;
    size_t len = size * n, nlen;
    const char *colon, *v, *end = data + len;
    char *name;

    /* A status line starts a new header block (after 100 Continue or a proxy's
     * CONNECT answer): only the last block describes the response. */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        free_headers(r);
        t->headers_done = 0;
        return len;
    }
    while (end > data && isspace((unsigned char)end[-1]))
        end--;
    if (end == data) {
        t->headers_done = 1;
        return len;
    }
    if ((*data == ' ' || *data == '\t') && r->nheaders) {
        /* Obsolete line folding: continue the previous value. */
        struct http_header *h = &r->headers[r->nheaders - 1];
        size_t old = strlen(h->value);
        char *value;
        while (data < end && isspace((unsigned char)*data))
            data++;
        value = xrealloc((char *)h->value, old + 1 + (size_t)(end - data) + 1);
        value[old] = ' ';
        memcpy(value + old + 1, data, (size_t)(end - data));
        value[old + 1 + (size_t)(end - data)] = '\0';
        h->value = value;
        return len;
    }
    if (!(colon = memchr(data, ':', (size_t)(end - data))))
        return len;
    for (nlen = (size_t)(colon - data); nlen && isspace((unsigned char)data[nlen - 1]);)
        nlen--;
    for (v = colon + 1; v < end && isspace((unsigned char)*v);)
        v++;
    name = xstrndup(data, nlen);
    for (size_t i = 0; i < nlen; i++)
        name[i] = (char)tolower((unsigned char)name[i]);
    XGROW(r->headers, r->aheaders, r->nheaders + 1);
    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = xstrndup(v, (size_t)(end - v));
    r->nheaders++;
    return len;
}

static int has_header(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return 1;
    return 0;
}

/* Header lines carry the signature and the session token: wipe them before
 * libcurl frees them. */
static void free_header_list(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        OPENSSL_cleanse(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

/* Builds the header list; -1 with d explaining a header that would break the
 * request apart (a line break in it) or an empty name. */
static int append(struct curl_slist **list, const char *line)
{
    struct curl_slist *next = curl_slist_append(*list, line);

    if (!next)
        return -1;
    *list = next;
    return 0;
}

static int build_headers(const struct http_request *req, struct curl_slist **out, struct diag *d)
{
    struct curl_slist *list = NULL;
    char *line = NULL;
    size_t size = 0;
    int ret = -1;

    for (size_t i = 0; i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];
        if (!*h->name || strpbrk(h->name, "\r\n: ") || strpbrk(h->value, "\r\n")) {
            diag_error(d, NULL, "%s %.*s: header '%s' is malformed", req->method,
                       (int)strcspn(req->url, "?#"), req->url, h->name);
            goto out;
        }
        /* Sized exactly, so no reallocation leaves a copy of a signature or
         * token behind. "Name;" is libcurl's way to send an empty value. */
        size = strlen(h->name) + strlen(h->value) + 3;
        line = xmalloc(size);
        if (*h->value)
            snprintf(line, size, "%s: %s", h->name, h->value);
        else
            snprintf(line, size, "%s;", h->name);
        if (append(&list, line) < 0)
            goto out;
        OPENSSL_cleanse(line, size);
        free(line);
        line = NULL;
    }
    /* "Name:" removes a header libcurl would add on its own. */
    if (!has_header(req, "Accept") && append(&list, "Accept:") < 0)
        goto out;
    if (!has_header(req, "Expect") && append(&list, "Expect:") < 0)
        goto out;
    *out = list;
    list = NULL;
    ret = 0;
out:
    if (line) {
        OPENSSL_cleanse(line, size);
        free(line);
    }
    free_header_list(list);
    return ret;
}

static int valid_method(const char *m)
{
    if (!m || !*m)
        return 0;
    for (; *m; m++)
        if (!isupper((unsigned char)*m))
            return 0;
    return 1;
}

static void set_options(struct http_client *c, const struct http_request *req,
                        struct curl_slist *headers, struct transfer *t)
{
    CURL *e = c->easy;
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : c->timeout_ms;

    curl_easy_setopt(e, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS time-outs */
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    /* Proxies: CURLOPT_PROXY stays unset so libcurl reads the environment. */
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    /* Refuses early when Content-Length already says too much. */
    if (c->max_body <= (size_t)INT64_MAX)
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);

    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (req->body_len || strcmp(req->method, "POST") == 0 ||
               strcmp(req->method, "PUT") == 0 || strcmp(req->method, "PATCH") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (strcmp(req->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    }
}

static enum http_result map_result(CURLcode cc, const struct transfer *t)
{
    switch (cc) {
    case CURLE_OK:
        return HTTP_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return HTTP_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return HTTP_ERR_TIMEOUT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY: /* a reply cut off inside its status line */
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return HTTP_ERR_NETWORK;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
        return HTTP_ERR_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        return HTTP_ERR_TOO_LARGE;
    case CURLE_WRITE_ERROR:
        return t->too_large ? HTTP_ERR_TOO_LARGE : HTTP_ERR_OTHER;
    default:
        return HTTP_ERR_OTHER;
    }
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void log_body(struct strbuf *sb, const char *dir, const char *type, const char *body,
                     size_t len)
{
    struct strbuf red = STRBUF_INIT;

    if (!len)
        return;
    redact_body(type, body, len, &red);
    strbuf_addf(sb, "\n    %s body (%zu bytes): %.*s%s", dir, len,
                (int)(red.len < LOG_BODY_MAX ? red.len : LOG_BODY_MAX), red.buf,
                red.len > LOG_BODY_MAX ? " ..." : "");
    strbuf_release(&red);
}

/* One log call per request so lines of concurrent requests stay together:
 * the request line at debug, with the request headers (redacted); response
 * headers and both bodies (redacted) at trace. */
static void log_request(const struct http_request *req, enum http_result res,
                        const struct http_response *resp, long ms)
{
    int trace = log_enabled(LOGLVL_TRACE);
    struct strbuf sb = STRBUF_INIT;
    const char *type = NULL;

    if (!log_enabled(LOGLVL_DEBUG))
        return;
    strbuf_addf(&sb, "http: %s ", req->method);
    redact_url(req->url, &sb);
    if (res == HTTP_OK)
        strbuf_addf(&sb, " -> %ld (%ld ms, %zu bytes)", resp->status, ms, resp->body.len);
    else
        strbuf_addf(&sb, " -> %s (%ld ms)", http_result_name(res), ms);
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];
        strbuf_addf(&sb, "\n    > %s: %s", h->name,
                    redact_header_sensitive(h->name) ? REDACT_MARK : h->value);
        if (strcasecmp(h->name, "Content-Type") == 0)
            type = h->value;
    }
    if (trace) {
        log_body(&sb, ">", type, req->body, req->body_len);
        for (size_t i = 0; i < resp->nheaders; i++) {
            const struct http_header *h = &resp->headers[i];
            strbuf_addf(&sb, "\n    < %s: %s", h->name,
                        redact_header_sensitive(h->name) ? REDACT_MARK : h->value);
        }
        log_body(&sb, "<", http_response_header(resp, "content-type"), resp->body.buf,
                 resp->body.len);
    }
    log_msg(trace ? LOGLVL_TRACE : LOGLVL_DEBUG, "%s", sb.buf);
    strbuf_release(&sb);
}

enum http_result http_send(struct http_client *c, const struct http_request *req,
                           struct http_response *resp, struct diag *d)
{
    struct transfer t = {resp, 0, 0};
    struct curl_slist *headers = NULL;
    enum http_result res = HTTP_ERR_OTHER;
    struct timespec t0;
    int sent = 0;
    CURLcode cc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    http_response_release(resp);
    resp->body.cap = c->max_body;
    if (!valid_method(req->method)) {
        diag_error(d, NULL, "%s: bad HTTP method '%s'", req->url,
                   req->method ? req->method : "(null)");
        goto out;
    }
    if (build_headers(req, &headers, d) < 0)
        goto out;
    /* reset keeps the connection cache: the next request reuses the connection. */
    curl_easy_reset(c->easy);
    c->errbuf[0] = '\0';
    set_options(c, req, headers, &t);
    cc = curl_easy_perform(c->easy);
    sent = 1;
    res = map_result(cc, &t);
    /* libcurl accepts a response cut off inside its headers when the status
     * line was complete; for us that is a dropped connection. */
    if (res == HTTP_OK && !t.headers_done) {
        res = HTTP_ERR_NETWORK;
        snprintf(c->errbuf, sizeof(c->errbuf), "connection closed inside the response headers");
    }
    if (res == HTTP_OK) {
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &resp->status);
    } else {
        /* The query string is left out: presigned URLs carry credentials there. */
        const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
        if (res == HTTP_ERR_TOO_LARGE)
            diag_error(d, NULL, "%s %.*s: response body larger than %zu bytes", req->method,
                       (int)strcspn(req->url, "?#"), req->url, c->max_body);
        else
            diag_error(d, NULL, "%s %.*s: %s", req->method, (int)strcspn(req->url, "?#"), req->url,
                       detail);
        resp->status = 0;
    }
out:
    if (sent)
        log_request(req, res, resp, elapsed_ms(&t0));
    free_header_list(headers);
    return res;
}
