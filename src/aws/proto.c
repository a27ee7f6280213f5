#include "aws/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void proto_wire_init(struct proto_wire *w)
{
    memset(w, 0, sizeof(*w));
    strbuf_init(&w->path, STRBUF_NOCAP);
    strbuf_init(&w->query, STRBUF_NOCAP);
    strbuf_init(&w->body, STRBUF_NOCAP);
}

void proto_wire_release(struct proto_wire *w)
{
    strbuf_release(&w->path);
    strbuf_release(&w->query);
    /* Bodies can carry secrets (CreateSecret): wipe, do not just free. */
    strbuf_wipe(&w->body);
}

int proto_escape(struct strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int r;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            r = strbuf_addc(sb, (char)ch);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            r = strbuf_add(sb, e, 3);
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

static void add_pairs(struct strbuf *sb, const struct apicall *c)
{
    for (size_t i = 0; i < c->nparams; i++) {
        if (sb->len)
            strbuf_addc(sb, '&');
        proto_escape(sb, c->params[i].name);
        strbuf_addc(sb, '=');
        proto_escape(sb, c->params[i].value);
    }
}

static int dump_json(struct strbuf *sb, const json_t *body, struct diag *d)
{
    char *s;

    if (!body)
        return strbuf_adds(sb, "{}");
    s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
        diag_error(d, NULL, "cannot encode the request body as JSON");
        return -1;
    }
    strbuf_adds(sb, s);
    /* The body may hold a secret value: wipe jansson's copy too. */
    memset(s, 0, strlen(s));
    free(s);
    return 0;
}

int proto_encode(const struct apicall *c, struct proto_wire *w, struct diag *d)
{
    switch (c->svc->proto) {
    case PROTO_QUERY:
    case PROTO_EC2:
        w->method = "POST";
        strbuf_adds(&w->path, "/");
        strbuf_adds(&w->body, "Action=");
        proto_escape(&w->body, c->op);
        strbuf_adds(&w->body, "&Version=");
        proto_escape(&w->body, c->svc->api_version);
        add_pairs(&w->body, c);
        w->content_type = "application/x-www-form-urlencoded; charset=utf-8";
        return 0;
    case PROTO_JSON:
        w->method = "POST";
        strbuf_adds(&w->path, "/");
        snprintf(w->target, sizeof(w->target), "%s.%s", c->svc->target_prefix, c->op);
        w->content_type = strcmp(c->svc->json_version, "1.0") == 0 ? "application/x-amz-json-1.0"
                                                                   : "application/x-amz-json-1.1";
        return dump_json(&w->body, c->body, d);
    case PROTO_RESTJSON:
        if (!c->method || !c->path || c->path[0] != '/') {
            diag_error(d, NULL, "%s %s: REST call without method and path", c->svc->id, c->op);
            return -1;
        }
        w->method = c->method;
        strbuf_adds(&w->path, c->path);
        add_pairs(&w->query, c);
        if (!c->body)
            return 0;
        w->content_type = "application/json";
        return dump_json(&w->body, c->body, d);
    }
    diag_error(d, NULL, "unknown protocol for %s", c->svc->id);
    return -1;
}

static int is_xml(const struct service *svc)
{
    return svc->proto == PROTO_QUERY || svc->proto == PROTO_EC2;
}

int proto_decode(struct apicall *c, const struct http_response *r, struct diag *d)
{
    json_error_t je;

    if (is_xml(c->svc)) {
        c->xml = xdoc_parse(r->body.buf, r->body.len, d);
        return c->xml ? 0 : -1;
    }
    if (r->body.len == 0) {
        c->out = json_object();
        return 0;
    }
    c->out = json_loadb(r->body.buf, r->body.len, JSON_DECODE_ANY, &je);
    if (!c->out) {
        diag_error(d, NULL, "%s %s: response is not JSON (%s at byte %d)", c->svc->id, c->op,
                   je.text, je.position);
        return -1;
    }
    return 0;
}

static void copy(char *dst, size_t n, const char *src, size_t len)
{
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* "prefix#Code", "Code:http://internal.amazon.com/..." and "aws.protocoltests#Code" all mean Code.
 */
static void set_code(struct apierr *err, const char *s)
{
    const char *hash = strrchr(s, '#');
    if (hash)
        s = hash + 1;
    copy(err->code, sizeof(err->code), s, strcspn(s, ":"));
}

static void decode_xml_error(const struct http_response *r, struct apierr *err)
{
    struct diag d;
    struct xdoc *x;
    const struct xnode *e;
    const char *id;

    diag_init(&d);
    x = xdoc_parse(r->body.buf, r->body.len, &d);
    diag_release(&d);
    if (!x)
        return;
    /* Query: ErrorResponse/Error; EC2: Response/Errors/Error. */
    e = xdoc_child(x->root, "Error");
    if (!e)
        e = xdoc_path(x->root, "Errors/Error");
    if (e) {
        if (xdoc_text(e, "Code"))
            set_code(err, xdoc_text(e, "Code"));
        if (xdoc_text(e, "Message"))
            copy(err->message, sizeof(err->message), xdoc_text(e, "Message"),
                 strlen(xdoc_text(e, "Message")));
    }
    if ((id = xdoc_text(x->root, "RequestId")) || (id = xdoc_text(x->root, "RequestID")))
        copy(err->request_id, sizeof(err->request_id), id, strlen(id));
    xdoc_free(x);
}

static void decode_json_error(const struct http_response *r, struct apierr *err)
{
    json_t *j = json_loadb(r->body.buf, r->body.len, 0, NULL);
    const char *s;

    if (!j)
        return;
    if (!err->code[0] && ((s = json_string_value(json_object_get(j, "__type"))) ||
                          (s = json_string_value(json_object_get(j, "code"))) ||
                          (s = json_string_value(json_object_get(j, "Code")))))
        set_code(err, s);
    if ((s = json_string_value(json_object_get(j, "message"))) ||
        (s = json_string_value(json_object_get(j, "Message"))) ||
        (s = json_string_value(json_object_get(j, "errorMessage"))))
        copy(err->message, sizeof(err->message), s, strlen(s));
    json_decref(j);
}

void proto_decode_error(const struct service *svc, const struct http_response *r,
                        struct apierr *err)
{
    const char *h;

    memset(err, 0, sizeof(*err));
    err->status = r->status;
    if ((h = http_response_header(r, "x-amzn-requestid")) ||
        (h = http_response_header(r, "x-amz-request-id")))
        copy(err->request_id, sizeof(err->request_id), h, strlen(h));
    if (is_xml(svc)) {
        decode_xml_error(r, err);
    } else {
        if ((h = http_response_header(r, "x-amzn-errortype")) && *h)
            set_code(err, h);
        decode_json_error(r, err);
    }
    if (!err->code[0])
        snprintf(err->code, sizeof(err->code), "Http%ld", r->status);
    if (!err->message[0]) {
        /* Show the start of an unparseable body: it usually names the problem (a proxy page). */
        size_t n = r->body.len < 200 ? r->body.len : 200;
        copy(err->message, sizeof(err->message), r->body.buf, n);
    }
}
