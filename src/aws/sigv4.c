#include "aws/sigv4.h"
#include "core/hex.h"
#include "core/xmalloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_EXPIRES 604800L /* seven days: the longest a presigned URL may live */

/* Headers a proxy or the HTTP stack may add, drop or rewrite in transit;
 * signing them would break the signature. botocore's list. */
static const char *const unsignable[] = {
    "connection", "expect",  "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer",    "upgrade", "user-agent", "transfer-encoding",  "x-amzn-trace-id",
};

struct canon_header {
    char *name; /* lowercased copy */
    const char *value;
    size_t order; /* position in the request: repeated names keep it */
};

struct query_pair {
    char *key; /* encoded */
    char *value;
};

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void uri_encode(struct strbuf *out, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            strbuf_addc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            strbuf_add(out, e, sizeof(e));
        }
    }
}

/* Returns the offset of a '%' without two hex digits after it, or n when all is well. */
static size_t uri_decode(struct strbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] != '%') {
            strbuf_addc(out, s[i]);
            continue;
        }
        if (n - i < 3)
            return i;
        hi = hex_digit((unsigned char)s[i + 1]);
        lo = hex_digit((unsigned char)s[i + 2]);
        if (hi < 0 || lo < 0)
            return i;
        strbuf_addc(out, (char)(hi << 4 | lo));
        i += 2;
    }
    return n;
}

/* SHA-256 and HMAC-SHA256 with the default provider fail only when memory
 * runs out, which cairn treats as fatal everywhere (xmalloc). */
static void crypto_failed(const char *what)
{
    fprintf(stderr, "cairn: fatal: OpenSSL %s failed\n", what);
    abort();
}

static void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
                        unsigned char out[32])
{
    unsigned int len = 0;

    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, n, out, &len) || len != 32)
        crypto_failed("HMAC-SHA256");
}

void sigv4_sha256_hex(const void *data, size_t n, char out[SIGV4_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (!EVP_Digest(n ? data : "", n, md, &len, EVP_sha256(), NULL) || len != 32)
        crypto_failed("SHA-256");
    hex_encode(md, len, out);
}

void sigv4_options_for_service(struct sigv4_options *o, const char *signing_name)
{
    /* "s3", "s3-outposts", "s3-object-lambda", "s3express". */
    int s3 = signing_name && strncmp(signing_name, "s3", 2) == 0 &&
             (signing_name[2] == '\0' || signing_name[2] == '-' ||
              strcmp(signing_name, "s3express") == 0);

    memset(o, 0, sizeof(*o));
    o->normalize_path = !s3;
    o->encode_path = !s3;
    o->add_content_sha256 = s3;
}

void sigv4_signed_init(struct sigv4_signed *s)
{
    memset(s, 0, sizeof(*s));
    strbuf_init(&s->canonical_request, STRBUF_NOCAP);
    strbuf_init(&s->string_to_sign, STRBUF_NOCAP);
    strbuf_init(&s->signed_headers, STRBUF_NOCAP);
    strbuf_init(&s->authorization, STRBUF_NOCAP);
    strbuf_init(&s->token, STRBUF_NOCAP);
    strbuf_init(&s->query, STRBUF_NOCAP);
}

void sigv4_signed_release(struct sigv4_signed *s)
{
    strbuf_release(&s->canonical_request);
    strbuf_release(&s->string_to_sign);
    strbuf_release(&s->signed_headers);
    strbuf_release(&s->authorization);
    strbuf_wipe(&s->token);
    strbuf_release(&s->query);
    sigv4_signed_init(s);
}

int sigv4_amz_date(time_t t, char out[SIGV4_DATE_LEN + 1])
{
    struct tm tm;

    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999) {
        memcpy(out, "00000000T000000Z", SIGV4_DATE_LEN + 1);
        return -1;
    }
    strftime(out, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
    return 0;
}

/*
 * Dot segments go as in RFC 3986 5.2.4, read the way botocore and AWS's suite
 * read it: empty segments ("//") go too, and a trailing '/' stays only when
 * some segment is left ("/a/.." is "/", "/a/b/" stays "/a/b/").
 */
static void normalize_path(struct strbuf *out, const char *path, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        if (j - i == 2 && path[i] == '.' && path[i + 1] == '.') {
            char *slash = out->len ? strrchr(out->buf, '/') : NULL;
            strbuf_setlen(out, slash ? (size_t)(slash - out->buf) : 0);
        } else if (j > i && !(j - i == 1 && path[i] == '.')) {
            strbuf_addc(out, '/');
            strbuf_add(out, path + i, j - i);
        }
        i = j + 1;
    }
    if (n && path[n - 1] == '/' && out->len)
        strbuf_addc(out, '/');
    if (!out->len)
        strbuf_addc(out, '/');
}

static void canonical_uri(struct strbuf *out, const char *path, const struct sigv4_options *o)
{
    struct strbuf norm = STRBUF_INIT;
    const char *p = path && *path ? path : "/";
    size_t n = strlen(p);

    if (o->normalize_path) {
        normalize_path(&norm, p, n);
        p = norm.buf;
        n = norm.len;
    }
    if (o->encode_path)
        uri_encode(out, p, n, 1);
    else
        strbuf_add(out, p, n);
    strbuf_release(&norm);
}

static int compare_pairs(const void *a, const void *b)
{
    const struct query_pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* Re-encodes one "key=value" (or "key") piece; -1 on a bad escape. */
static int encode_pair(const char *s, size_t n, size_t at, struct query_pair *p, struct diag *d)
{
    struct strbuf raw = STRBUF_INIT, enc = STRBUF_INIT;
    const char *eq = memchr(s, '=', n);
    size_t klen = eq ? (size_t)(eq - s) : n, bad;
    int ret = -1;

    if ((bad = uri_decode(&raw, s, klen)) != klen)
        goto out;
    uri_encode(&enc, raw.buf, raw.len, 0);
    p->key = strbuf_detach(&enc, NULL);
    strbuf_reset(&raw);
    if (eq && (bad = uri_decode(&raw, eq + 1, n - klen - 1)) != n - klen - 1) {
        bad += klen + 1;
        goto out;
    }
    uri_encode(&enc, raw.buf, raw.len, 0);
    p->value = strbuf_detach(&enc, NULL);
    ret = 0;
out:
    if (ret < 0)
        diag_error(d, NULL, "query string: '%%' at offset %zu is not followed by two hex digits",
                   at + bad);
    strbuf_release(&raw);
    strbuf_release(&enc);
    return ret;
}

static int canonical_query(struct strbuf *out, const char *query, struct diag *d)
{
    struct query_pair *pairs = NULL;
    size_t npairs = 0, apairs = 0, i = 0, n = query ? strlen(query) : 0;
    int ret = -1;

    while (i < n) {
        size_t j = i;
        while (j < n && query[j] != '&')
            j++;
        /* An empty piece ("a=1&&b=2") carries no parameter. */
        if (j > i) {
            XGROW(pairs, apairs, npairs + 1);
            memset(&pairs[npairs], 0, sizeof(pairs[npairs]));
            npairs++;
            if (encode_pair(query + i, j - i, i, &pairs[npairs - 1], d) < 0)
                goto out;
        }
        i = j + 1;
    }
    if (npairs)
        qsort(pairs, npairs, sizeof(*pairs), compare_pairs);
    for (i = 0; i < npairs; i++)
        strbuf_addf(out, "%s%s=%s", i ? "&" : "", pairs[i].key, pairs[i].value);
    ret = 0;
out:
    for (i = 0; i < npairs; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
    return ret;
}

static int compare_headers(const void *a, const void *b)
{
    const struct canon_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int is_unsignable(const char *lname)
{
    for (size_t i = 0; i < sizeof(unsignable) / sizeof(unsignable[0]); i++)
        if (strcmp(lname, unsignable[i]) == 0)
            return 1;
    return 0;
}

static int valid_header_name(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == ':')
            return 0;
    return 1;
}

/* Trimall: no leading or trailing whitespace, inner runs (line folds too) become one space. */
static void add_trimmed(struct strbuf *out, const char *v)
{
    int gap = 0, seen = 0;

    for (; v && *v; v++) {
        if (is_space((unsigned char)*v)) {
            gap = seen;
            continue;
        }
        if (gap)
            strbuf_addc(out, ' ');
        strbuf_addc(out, *v);
        gap = 0;
        seen = 1;
    }
}

/* "name:v1,v2\n" per signed name into block, "a;b" into list. */
static int canonical_headers(const struct http_header *h, size_t n, struct strbuf *block,
                             struct strbuf *list, struct diag *d)
{
    struct canon_header *v = xcalloc(n ? n : 1, sizeof(*v));
    size_t nv = 0;
    int ret = -1;

    for (size_t i = 0; i < n; i++) {
        char *lname;
        if (!valid_header_name(h[i].name)) {
            diag_error(d, NULL, "cannot sign header \"%s\": not a valid header name",
                       h[i].name ? h[i].name : "(null)");
            goto out;
        }
        lname = xstrdup(h[i].name);
        for (char *p = lname; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        if (is_unsignable(lname)) {
            free(lname);
            continue;
        }
        v[nv].name = lname;
        v[nv].value = h[i].value;
        v[nv].order = i;
        nv++;
    }
    if (nv)
        qsort(v, nv, sizeof(*v), compare_headers);
    for (size_t i = 0; i < nv; i++) {
        int first = i == 0 || strcmp(v[i].name, v[i - 1].name) != 0;
        if (first) {
            if (i)
                strbuf_addc(block, '\n');
            strbuf_addf(block, "%s:", v[i].name);
            if (list)
                strbuf_addf(list, "%s%s", i ? ";" : "", v[i].name);
        } else {
            strbuf_addc(block, ',');
        }
        add_trimmed(block, v[i].value);
    }
    if (nv)
        strbuf_addc(block, '\n');
    ret = 0;
out:
    for (size_t i = 0; i < nv; i++)
        free(v[i].name);
    free(v);
    return ret;
}

int sigv4_canonical_request(const struct sigv4_request *req, const struct sigv4_options *opts,
                            struct strbuf *out, struct strbuf *signed_headers, struct diag *d)
{
    struct strbuf list = STRBUF_INIT;
    char hash[SIGV4_HEX_LEN + 1];
    const char *payload = req->payload_hash;
    int ret = -1;

    strbuf_adds(out, req->method);
    strbuf_addc(out, '\n');
    canonical_uri(out, req->path, opts);
    strbuf_addc(out, '\n');
    if (canonical_query(out, req->query, d) < 0)
        goto out;
    strbuf_addc(out, '\n');
    if (canonical_headers(req->headers, req->nheaders, out, &list, d) < 0)
        goto out;
    strbuf_addc(out, '\n');
    strbuf_add(out, list.buf, list.len);
    strbuf_addc(out, '\n');
    if (!payload) {
        sigv4_sha256_hex(req->body, req->body_len, hash);
        payload = hash;
    }
    strbuf_adds(out, payload);
    if (signed_headers)
        strbuf_add(signed_headers, list.buf, list.len);
    ret = 0;
out:
    strbuf_release(&list);
    return ret;
}

void sigv4_scope(const char *amz_date, const char *region, const char *service, struct strbuf *out)
{
    strbuf_addf(out, "%.8s/%s/%s/aws4_request", amz_date, region, service);
}

void sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                          const char *canonical_request, size_t len, struct strbuf *out)
{
    char hash[SIGV4_HEX_LEN + 1];

    sigv4_sha256_hex(canonical_request, len, hash);
    strbuf_addf(out, SIGV4_ALGORITHM "\n%s\n", amz_date);
    sigv4_scope(amz_date, region, service, out);
    strbuf_addf(out, "\n%s", hash);
}

void sigv4_signature(const char *secret_access_key, const char *amz_date, const char *region,
                     const char *service, const char *string_to_sign, size_t len,
                     char out[SIGV4_HEX_LEN + 1])
{
    size_t slen = strlen(secret_access_key);
    char *secret = xmalloc(slen + 4);
    unsigned char k1[32], k2[32], sig[32];

    /* kSecret = "AWS4" + secret; then date, region, service, "aws4_request". */
    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, secret_access_key, slen);
    hmac_sha256(secret, slen + 4, amz_date, 8, k1);
    hmac_sha256(k1, sizeof(k1), region, strlen(region), k2);
    hmac_sha256(k2, sizeof(k2), service, strlen(service), k1);
    hmac_sha256(k1, sizeof(k1), "aws4_request", 12, k2);
    hmac_sha256(k2, sizeof(k2), string_to_sign, len, sig);
    hex_encode(sig, sizeof(sig), out);
    OPENSSL_cleanse(secret, slen + 4);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    free(secret);
}

void sigv4_authorization(const char *access_key_id, const char *amz_date, const char *region,
                         const char *service, const char *signed_headers, const char *signature,
                         struct strbuf *out)
{
    strbuf_addf(out, SIGV4_ALGORITHM " Credential=%s/", access_key_id);
    sigv4_scope(amz_date, region, service, out);
    strbuf_addf(out, ", SignedHeaders=%s, Signature=%s", signed_headers, signature);
}

static const char *session_token(const struct sigv4_context *ctx)
{
    const char *t = ctx->creds->session_token;
    return t && *t ? t : NULL;
}

/* Shared checks and setup of both forms: date, payload hash, token copy. */
static int begin(const struct sigv4_request *req, const struct sigv4_context *ctx,
                 struct sigv4_signed *out, struct diag *d)
{
    const struct creds *cr = ctx->creds;
    int host = 0;

    sigv4_signed_release(out);
    if (!cr || !cr->access_key_id || !*cr->access_key_id || !cr->secret_access_key ||
        !*cr->secret_access_key) {
        diag_error(d, NULL, "cannot sign: no access key id or secret access key");
        return -1;
    }
    if (!ctx->region || !*ctx->region || !ctx->service || !*ctx->service) {
        diag_error(d, NULL, "cannot sign: no signing region or service");
        return -1;
    }
    if (!req->method || !*req->method) {
        diag_error(d, NULL, "cannot sign: no HTTP method");
        return -1;
    }
    for (size_t i = 0; i < req->nheaders; i++)
        if (req->headers[i].name && strcasecmp(req->headers[i].name, "host") == 0)
            host = 1;
    if (!host) {
        diag_error(d, NULL, "cannot sign: the request has no Host header");
        return -1;
    }
    if (sigv4_amz_date(ctx->now, out->amz_date) < 0) {
        diag_error(d, NULL, "cannot sign: time %lld is out of range", (long long)ctx->now);
        return -1;
    }
    if (req->payload_hash) {
        size_t n = strlen(req->payload_hash);
        if (!n || n > SIGV4_HEX_LEN) {
            diag_error(d, NULL, "cannot sign: payload hash \"%s\" is not a SHA-256",
                       req->payload_hash);
            return -1;
        }
        memcpy(out->payload_hash, req->payload_hash, n + 1);
    } else {
        sigv4_sha256_hex(req->body, req->body_len, out->payload_hash);
    }
    if (session_token(ctx))
        strbuf_adds(&out->token, session_token(ctx));
    return 0;
}

static void finish(const struct sigv4_context *ctx, struct sigv4_signed *out)
{
    sigv4_string_to_sign(out->amz_date, ctx->region, ctx->service, out->canonical_request.buf,
                         out->canonical_request.len, &out->string_to_sign);
    sigv4_signature(ctx->creds->secret_access_key, out->amz_date, ctx->region, ctx->service,
                    out->string_to_sign.buf, out->string_to_sign.len, out->signature);
}

static void add_out_header(struct sigv4_signed *out, const char *name, const char *value)
{
    out->headers[out->nheaders].name = name;
    out->headers[out->nheaders].value = value;
    out->nheaders++;
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_context *ctx,
               struct sigv4_signed *out, struct diag *d)
{
    const struct sigv4_options *o = &ctx->opts;
    struct sigv4_request r = *req;
    struct http_header *h = NULL;
    size_t n = 0;
    int ret = -1;

    if (begin(req, ctx, out, d) < 0)
        goto out;
    h = xcalloc(req->nheaders + SIGV4_MAX_ADDED, sizeof(*h));
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *name = req->headers[i].name ? req->headers[i].name : "";
        /* Two of a header the signer sets would leave the server to pick one. */
        if (strcasecmp(name, "authorization") == 0 || strcasecmp(name, "x-amz-date") == 0 ||
            (out->token.len && strcasecmp(name, "x-amz-security-token") == 0) ||
            (o->add_content_sha256 && strcasecmp(name, "x-amz-content-sha256") == 0)) {
            diag_error(d, NULL, "cannot sign: the request already has %s, which the signer sets",
                       name);
            goto out;
        }
        h[n++] = req->headers[i];
    }
    h[n++] = (struct http_header){"X-Amz-Date", out->amz_date};
    if (out->token.len && !o->unsigned_token)
        h[n++] = (struct http_header){"X-Amz-Security-Token", out->token.buf};
    if (o->add_content_sha256)
        h[n++] = (struct http_header){"x-amz-content-sha256", out->payload_hash};
    r.headers = h;
    r.nheaders = n;
    r.payload_hash = out->payload_hash;
    if (sigv4_canonical_request(&r, o, &out->canonical_request, &out->signed_headers, d) < 0)
        goto out;
    finish(ctx, out);
    sigv4_authorization(ctx->creds->access_key_id, out->amz_date, ctx->region, ctx->service,
                        out->signed_headers.buf, out->signature, &out->authorization);
    if (out->token.len)
        add_out_header(out, "X-Amz-Security-Token", out->token.buf);
    add_out_header(out, "X-Amz-Date", out->amz_date);
    if (o->add_content_sha256)
        add_out_header(out, "x-amz-content-sha256", out->payload_hash);
    add_out_header(out, "Authorization", out->authorization.buf);
    ret = 0;
out:
    free(h);
    return ret;
}

static void add_param(struct strbuf *q, const char *key, const char *value)
{
    if (q->len)
        strbuf_addc(q, '&');
    strbuf_adds(q, key);
    strbuf_addc(q, '=');
    uri_encode(q, value, strlen(value), 0);
}

int sigv4_presign(const struct sigv4_request *req, const struct sigv4_context *ctx, long expires,
                  struct sigv4_signed *out, struct diag *d)
{
    struct strbuf block = STRBUF_INIT, cred = STRBUF_INIT, full = STRBUF_INIT;
    struct sigv4_request r = *req;
    char exp[24];
    int ret = -1;

    if (begin(req, ctx, out, d) < 0)
        goto out;
    if (expires < 1 || expires > MAX_EXPIRES) {
        diag_error(d, NULL, "cannot presign: expiry %ld s is outside 1..%ld", expires, MAX_EXPIRES);
        goto out;
    }
    /* X-Amz-SignedHeaders is itself signed, so the list comes first. */
    if (canonical_headers(req->headers, req->nheaders, &block, &out->signed_headers, d) < 0)
        goto out;
    strbuf_addf(&cred, "%s/", ctx->creds->access_key_id);
    sigv4_scope(out->amz_date, ctx->region, ctx->service, &cred);
    snprintf(exp, sizeof(exp), "%ld", expires);
    /* The order of the suite's signed requests; the canonical form sorts anyway. */
    add_param(&out->query, "X-Amz-Algorithm", SIGV4_ALGORITHM);
    add_param(&out->query, "X-Amz-Credential", cred.buf);
    add_param(&out->query, "X-Amz-Date", out->amz_date);
    add_param(&out->query, "X-Amz-SignedHeaders", out->signed_headers.buf);
    add_param(&out->query, "X-Amz-Expires", exp);
    if (out->token.len && !ctx->opts.unsigned_token)
        add_param(&out->query, "X-Amz-Security-Token", out->token.buf);
    if (req->query && *req->query)
        strbuf_addf(&full, "%s&", req->query);
    strbuf_add(&full, out->query.buf, out->query.len);
    r.query = full.buf;
    r.payload_hash = out->payload_hash;
    if (sigv4_canonical_request(&r, &ctx->opts, &out->canonical_request, NULL, d) < 0)
        goto out;
    finish(ctx, out);
    if (out->token.len && ctx->opts.unsigned_token)
        add_param(&out->query, "X-Amz-Security-Token", out->token.buf);
    add_param(&out->query, "X-Amz-Signature", out->signature);
    ret = 0;
out:
    strbuf_release(&block);
    strbuf_release(&cred);
    strbuf_release(&full);
    return ret;
}

int sigv4_sign_request(struct sigv4_signed *out, const char *method, const char *path,
                       const char *query, const struct http_header *headers, size_t nheaders,
                       const void *body, size_t body_len, const char *region, const char *service,
                       const struct creds *creds, time_t now)
{
    struct sigv4_request req = {method, path, query, headers, nheaders, body, body_len, NULL};
    struct sigv4_context ctx = {creds, region, service, now, {0}};
    struct diag d;
    int ret;

    diag_init(&d);
    sigv4_options_for_service(&ctx.opts, service);
    ret = sigv4_sign(&req, &ctx, out, &d);
    if (ret < 0)
        snprintf(out->error, sizeof(out->error), "%s", diag_last(&d));
    diag_release(&d);
    return ret;
}
