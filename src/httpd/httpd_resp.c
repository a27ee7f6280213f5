/*
 * The response side of httpd: a status, headers and a body built in a
 * strbuf (or static bytes served without a copy). httpd.c turns it into a
 * libmicrohttpd response once the handler returns.
 */
#include "httpd/httpd_impl.h"

#include <stdarg.h>
#include <string.h>

#include "core/xmalloc.h"

void httpd_resp_init(struct httpd_resp *resp, struct arena *a)
{
    memset(resp, 0, sizeof(*resp));
    resp->arena = a;
    resp->status = 200;
    strbuf_init(&resp->body, STRBUF_NOCAP);
}

void httpd_resp_release(struct httpd_resp *resp)
{
    strbuf_release(&resp->body);
}

void httpd_resp_status(struct httpd_resp *resp, int status)
{
    resp->status = status;
}

int httpd_resp_get_status(const struct httpd_resp *resp)
{
    return resp->status;
}

void httpd_resp_header(struct httpd_resp *resp, const char *name, const char *value)
{
    resp->headers = arena_grow(resp->arena, resp->headers, resp->nheaders, &resp->aheaders,
                               sizeof(*resp->headers), 8);
    resp->headers[resp->nheaders].name = arena_strdup(resp->arena, name);
    resp->headers[resp->nheaders].value = arena_strdup(resp->arena, value);
    resp->nheaders++;
}

struct strbuf *httpd_resp_body(struct httpd_resp *resp)
{
    return &resp->body;
}

void httpd_resp_static(struct httpd_resp *resp, const void *data, size_t len)
{
    resp->static_data = data;
    resp->static_len = len;
}

void httpd_resp_text(struct httpd_resp *resp, int status, const char *content_type, const char *fmt,
                     ...)
{
    va_list ap;
    resp->status = status;
    httpd_resp_header(resp, "Content-Type", content_type);
    strbuf_reset(&resp->body);
    va_start(ap, fmt);
    strbuf_vaddf(&resp->body, fmt, ap);
    va_end(ap);
}

void httpd_resp_json(struct httpd_resp *resp, int status, json_t *v)
{
    char *s;
    resp->status = status;
    httpd_resp_header(resp, "Content-Type", "application/json");
    strbuf_reset(&resp->body);
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s) {
        strbuf_adds(&resp->body, s);
        free(s);
    }
    json_decref(v);
}

void httpd_resp_redirect(struct httpd_resp *resp, int status, const char *location)
{
    resp->status = status;
    httpd_resp_header(resp, "Location", location);
}
