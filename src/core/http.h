/*
 * HTTP client on libcurl. One client per thread: it keeps one easy handle,
 * so connections are reused between requests. TLS verification is always on;
 * libcurl honours the proxy variables (https_proxy, HTTPS_PROXY, http_proxy,
 * no_proxy/NO_PROXY) by itself. Bodies are read into a capped strbuf.
 */
#ifndef CAIRN_HTTP_H
#define CAIRN_HTTP_H

#include <stddef.h>

#include "core/diag.h"
#include "core/strbuf.h"

struct http_header {
    const char *name;
    const char *value;
};

struct http_request {
    const char *method; /* "GET", "POST", "PUT", "DELETE", ... */
    const char *url;    /* absolute, already escaped */
    const struct http_header *headers;
    size_t nheaders;
    const char *body; /* may be NULL when body_len is 0 */
    size_t body_len;
    long timeout_ms; /* whole request; 0: the client's default */
};

struct http_response {
    long status;
    struct strbuf body;          /* capped by http_options.max_body */
    struct http_header *headers; /* names lowercased; name and value each malloc'd */
    size_t nheaders, aheaders;
};

enum http_result {
    HTTP_OK = 0,        /* a response arrived (any status) */
    HTTP_ERR_CONNECT,   /* could not connect / resolve: transient */
    HTTP_ERR_TIMEOUT,   /* timed out: transient */
    HTTP_ERR_NETWORK,   /* connection dropped, reset, empty reply: transient */
    HTTP_ERR_TLS,       /* certificate or handshake failure: not retried */
    HTTP_ERR_TOO_LARGE, /* body exceeded max_body: not retried */
    HTTP_ERR_OTHER      /* bad URL, internal error: not retried */
};

struct http_options {
    long connect_timeout_ms; /* default 10000 */
    long timeout_ms;         /* default 60000 */
    size_t max_body;         /* default 64 MiB */
    const char *user_agent;  /* default "cairn/VERSION" */
    const char *ca_file;     /* PEM bundle of trusted CAs; NULL: the system's store */
};

/* Once per process, before threads start. */
int http_global_init(void);
void http_global_cleanup(void);

struct http_client *http_client_new(const struct http_options *opts);
void http_client_free(struct http_client *c);

void http_response_init(struct http_response *r);
void http_response_release(struct http_response *r);
/* Case-insensitive lookup; NULL when absent. */
const char *http_response_header(const struct http_response *r, const char *name);

/* Sends req; on HTTP_OK resp holds status, headers, body. Any other result
 * also explains itself in d. resp is reset before use. libcurl adds Host,
 * Content-Length, User-Agent and, for a body without a Content-Type header,
 * "application/x-www-form-urlencoded"; it never adds Accept or Expect. */
enum http_result http_send(struct http_client *c, const struct http_request *req,
                           struct http_response *resp, struct diag *d);
/* Whether a failed send is worth retrying (connect, timeout, dropped connection). */
int http_result_transient(enum http_result r);
const char *http_result_name(enum http_result r);

#endif
