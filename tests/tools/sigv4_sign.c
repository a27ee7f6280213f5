/*
 * sigv4_sign: cairn's SigV4 signer behind a JSON-lines pipe, so a Python test
 * can hold it against botocore's. One request per input line:
 *
 *   {"method": "GET", "url": "https://host/path?query", "headers": [["Name", "value"], ...],
 *    "body_b64": "...", "region": "us-east-1", "service": "ec2",
 *    "access_key": "AKIA...", "secret_key": "...", "token": null, "timestamp": 1440938160,
 *    "normalize_path": bool, "encode_path": bool, "content_sha256": bool,   (optional:
 *                                             the defaults are those of the service)
 *    "payload_hash": "UNSIGNED-PAYLOAD",       (optional: instead of hashing the body)
 *    "presign": 3600}                          (optional: presigned form instead)
 *
 * and one output line per request: {"authorization", "signature", "canonical_request",
 * "string_to_sign", "headers": [[name, value], ...], "query"} or {"error": "..."}.
 * A Host header is added from the URL when the request has none, as botocore
 * and HTTP clients do (lowercase, default port dropped).
 */
#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/sigv4.h"
#include "core/diag.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

struct url_parts {
    char *scheme, *host, *path, *query; /* host: the Host header value */
};

static void url_parts_release(struct url_parts *u)
{
    free(u->scheme);
    free(u->host);
    free(u->path);
    free(u->query);
}

/* scheme://[userinfo@]host[:port]/path[?query][#fragment] */
static int split_url(const char *url, struct url_parts *u)
{
    const char *p = strstr(url, "://"), *auth, *at, *end, *q, *frag;
    size_t alen;

    memset(u, 0, sizeof(*u));
    if (!p)
        return -1;
    u->scheme = xstrndup(url, (size_t)(p - url));
    auth = p + 3;
    alen = strcspn(auth, "/?#");
    end = auth + alen;
    at = memchr(auth, '@', alen);
    if (at)
        auth = at + 1;
    u->host = xstrndup(auth, (size_t)(end - auth));
    for (char *c = u->host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    {
        char *colon = strrchr(u->host, ':');
        if (colon && !strchr(colon, ']') &&
            ((strcmp(u->scheme, "https") == 0 && strcmp(colon, ":443") == 0) ||
             (strcmp(u->scheme, "http") == 0 && strcmp(colon, ":80") == 0)))
            *colon = '\0';
    }
    frag = end + strcspn(end, "#");
    q = memchr(end, '?', (size_t)(frag - end));
    u->path = xstrndup(end, (size_t)((q ? q : frag) - end));
    u->query = q ? xstrndup(q + 1, (size_t)(frag - q - 1)) : NULL;
    return 0;
}

static int base64_decode(const char *in, struct strbuf *out)
{
    size_t n = strlen(in);
    unsigned char *buf;
    int len, pad = 0;

    if (n % 4)
        return -1;
    if (!n)
        return 0;
    buf = xmalloc(n / 4 * 3 + 1);
    len = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
    /* EVP_DecodeBlock counts the '=' padding as zero bytes. */
    pad = (in[n - 1] == '=') + (in[n - 2] == '=');
    if (len >= 0)
        strbuf_add(out, buf, (size_t)len - (size_t)pad);
    free(buf);
    return len < 0 ? -1 : 0;
}

static int opt_bool(json_t *req, const char *key, int dflt)
{
    json_t *v = json_object_get(req, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static json_t *sign_one(json_t *in)
{
    struct url_parts u;
    struct strbuf body = STRBUF_INIT;
    struct http_header *h = NULL;
    struct sigv4_signed s;
    struct creds cr;
    struct diag d;
    json_t *out = NULL, *hs = json_object_get(in, "headers"), *arr;
    const char *url = json_string_value(json_object_get(in, "url"));
    const char *b64 = json_string_value(json_object_get(in, "body_b64"));
    json_int_t presign = json_integer_value(json_object_get(in, "presign"));
    size_t nh = 0, i;
    int host = 0;

    diag_init(&d);
    sigv4_signed_init(&s);
    memset(&u, 0, sizeof(u));
    memset(&cr, 0, sizeof(cr));
    if (!url || split_url(url, &u) < 0) {
        out = json_pack("{s:s}", "error", "no url, or not scheme://host/path");
        goto out;
    }
    if (b64 && base64_decode(b64, &body) < 0) {
        out = json_pack("{s:s}", "error", "body_b64 is not base64");
        goto out;
    }
    h = xcalloc(json_array_size(hs) + 1, sizeof(*h));
    json_array_foreach(hs, i, arr)
    {
        h[nh].name = json_string_value(json_array_get(arr, 0));
        h[nh].value = json_string_value(json_array_get(arr, 1));
        if (h[nh].name && strcasecmp(h[nh].name, "host") == 0)
            host = 1;
        nh++;
    }
    if (!host)
        h[nh++] = (struct http_header){"Host", u.host};
    cr.access_key_id = (char *)json_string_value(json_object_get(in, "access_key"));
    cr.secret_access_key = (char *)json_string_value(json_object_get(in, "secret_key"));
    cr.session_token = (char *)json_string_value(json_object_get(in, "token"));
    {
        struct sigv4_request req = {json_string_value(json_object_get(in, "method")),
                                    u.path,
                                    u.query,
                                    h,
                                    nh,
                                    body.buf,
                                    body.len,
                                    json_string_value(json_object_get(in, "payload_hash"))};
        struct sigv4_context ctx = {&cr,
                                    json_string_value(json_object_get(in, "region")),
                                    json_string_value(json_object_get(in, "service")),
                                    (time_t)json_integer_value(json_object_get(in, "timestamp")),
                                    {0}};
        int rc;

        sigv4_options_for_service(&ctx.opts, ctx.service);
        ctx.opts.normalize_path = opt_bool(in, "normalize_path", ctx.opts.normalize_path);
        ctx.opts.encode_path = opt_bool(in, "encode_path", ctx.opts.encode_path);
        ctx.opts.add_content_sha256 = opt_bool(in, "content_sha256", ctx.opts.add_content_sha256);
        rc = presign ? sigv4_presign(&req, &ctx, (long)presign, &s, &d)
                     : sigv4_sign(&req, &ctx, &s, &d);
        if (rc < 0) {
            out = json_pack("{s:s}", "error", diag_last(&d));
            goto out;
        }
    }
    arr = json_array();
    for (i = 0; i < s.nheaders; i++)
        json_array_append_new(arr, json_pack("[s,s]", s.headers[i].name, s.headers[i].value));
    out = json_pack("{s:s, s:s, s:s#, s:s#, s:o, s:s}", "authorization", s.authorization.buf,
                    "signature", s.signature, "canonical_request", s.canonical_request.buf,
                    (int)s.canonical_request.len, "string_to_sign", s.string_to_sign.buf,
                    (int)s.string_to_sign.len, "headers", arr, "query", s.query.buf);
    if (!out)
        out = json_pack("{s:s}", "error", "output is not valid UTF-8");
out:
    free(h);
    strbuf_release(&body);
    url_parts_release(&u);
    sigv4_signed_release(&s);
    diag_release(&d);
    return out;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = 0;

    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_error_t err;
        json_t *in, *out;
        char *text;

        if (n == 1 && line[0] == '\n')
            continue;
        in = json_loads(line, 0, &err);
        out = in ? sign_one(in) : json_pack("{s:s}", "error", err.text);
        text = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!text) {
            status = 1;
            break;
        }
        printf("%s\n", text);
        fflush(stdout);
        free(text);
        json_decref(out);
        json_decref(in);
    }
    free(line);
    return status;
}
