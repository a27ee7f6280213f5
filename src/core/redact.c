#include "core/redact.h"
#include "core/hex.h"
#include "core/xmalloc.h"

#include <expat.h>
#include <openssl/crypto.h>

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Deeper JSON than this is not logged: recursion stays bounded. */
#define JSON_MAX_DEPTH 128

struct secret_name {
    const char *name; /* lowercase */
    int suffix;       /* also matches as the end of a longer name */
};

/* Kept short on purpose: over-matching hides what --debug is for (NextToken,
 * ClientRequestToken and SecretId are plain identifiers). */
static const struct secret_name secret_names[] = {
    {"token", 0},         {"secret", 0},       {"password", 1},         {"passphrase", 1},
    {"secretstring", 1},  {"secretbinary", 1}, {"secretaccesskey", 1},  {"sessiontoken", 1},
    {"securitytoken", 1}, {"clientsecret", 1}, {"webidentitytoken", 1}, {"authorizationtoken", 1},
    {"accesstoken", 1},   {"refreshtoken", 1}, {"idtoken", 1},          {"privatekey", 1},
    {"samlassertion", 1},
};

int redact_name_sensitive(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++) {
        const struct secret_name *s = &secret_names[i];
        size_t n = strlen(s->name);

        if (len < n || (len > n && !s->suffix))
            continue;
        if (strncasecmp(name + len - n, s->name, n) == 0)
            return 1;
    }
    return 0;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

int redact_header_sensitive(const char *name)
{
    static const char *const exact[] = {"authorization", "proxy-authorization", "cookie",
                                        "set-cookie"};
    /* x-amz-security-token and x-aws-ec2-metadata-token fall under "token";
     * "customer-key" is the S3 SSE-C key. */
    static const char *const parts[] = {"token", "secret", "password", "credential",
                                        "customer-key"};

    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcasecmp(name, exact[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (contains_nocase(name, parts[i]))
            return 1;
    return 0;
}

static int placeholder(struct strbuf *out, size_t start, size_t len, const char *what)
{
    strbuf_setlen(out, start);
    strbuf_addf(out, "(%zu bytes, not valid %s)", len, what);
    return -1;
}

/* ---- JSON: a strict recursive-descent scanner that copies as it goes ---- */

struct jscan {
    const char *p, *end;
    struct strbuf *out;
    int muted; /* > 0 while inside a secret value: scan, copy nothing */
    int full;  /* out's cap was reached */
};

static void j_emit(struct jscan *s, const char *p, size_t n)
{
    if (!s->muted && !s->full && strbuf_add(s->out, p, n) < 0)
        s->full = 1;
}

static void j_ws(struct jscan *s)
{
    const char *q = s->p;

    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
    j_emit(s, q, (size_t)(s->p - q));
}

/* Scans a string token; when key is not NULL its decoded ASCII is collected
 * there (keys name things, they are not secret). */
static int j_string(struct jscan *s, struct strbuf *key)
{
    const char *q = s->p;

    if (s->p >= s->end || *s->p != '"')
        return -1;
    for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            if (key)
                strbuf_addc(key, (char)c);
            continue;
        }
        if (++s->p >= s->end)
            return -1;
        if (*s->p == 'u') {
            unsigned v = 0;
            for (int i = 0; i < 4; i++) {
                int h = ++s->p < s->end ? hex_digit((unsigned char)*s->p) : -1;
                if (h < 0)
                    return -1;
                v = v * 16 + (unsigned)h;
            }
            if (key)
                strbuf_addc(key, v < 0x80 ? (char)v : '?');
        } else if (strchr("\"\\/bfnrt", *s->p)) {
            if (key)
                strbuf_addc(key, *s->p);
        } else {
            return -1;
        }
    }
    if (s->p >= s->end)
        return -1;
    s->p++;
    j_emit(s, q, (size_t)(s->p - q));
    return 0;
}

static int j_digits(struct jscan *s)
{
    const char *q = s->p;

    while (s->p < s->end && isdigit((unsigned char)*s->p))
        s->p++;
    return s->p > q ? 0 : -1;
}

static int j_number(struct jscan *s)
{
    const char *q = s->p;

    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (j_digits(s) < 0)
        return -1;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (j_digits(s) < 0)
            return -1;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (j_digits(s) < 0)
            return -1;
    }
    j_emit(s, q, (size_t)(s->p - q));
    return 0;
}

static int j_literal(struct jscan *s)
{
    static const char *const lits[] = {"true", "false", "null"};

    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(lits[i]);
        if ((size_t)(s->end - s->p) >= n && memcmp(s->p, lits[i], n) == 0) {
            j_emit(s, s->p, n);
            s->p += n;
            return 0;
        }
    }
    return -1;
}

static int j_value(struct jscan *s, int depth);

/* A secret value of any type becomes one string: its shape is not shown either. */
static int j_secret_value(struct jscan *s, int depth)
{
    int r;

    j_emit(s, "\"" REDACT_MARK "\"", strlen(REDACT_MARK) + 2);
    s->muted++;
    r = j_value(s, depth);
    s->muted--;
    return r;
}

static int j_object(struct jscan *s, int depth)
{
    struct strbuf key = STRBUF_INIT;
    int r, ret = -1;

    j_emit(s, "{", 1);
    s->p++;
    j_ws(s);
    if (s->p < s->end && *s->p == '}')
        goto close;
    for (;;) {
        strbuf_reset(&key);
        if (j_string(s, &key) < 0)
            goto out;
        j_ws(s);
        if (s->p >= s->end || *s->p != ':')
            goto out;
        j_emit(s, ":", 1);
        s->p++;
        j_ws(s);
        r = redact_name_sensitive(key.buf, key.len) ? j_secret_value(s, depth) : j_value(s, depth);
        if (r < 0)
            goto out;
        j_ws(s);
        if (s->p < s->end && *s->p == ',') {
            j_emit(s, ",", 1);
            s->p++;
            j_ws(s);
            continue;
        }
        break;
    }
close:
    if (s->p >= s->end || *s->p != '}')
        goto out;
    j_emit(s, "}", 1);
    s->p++;
    ret = 0;
out:
    strbuf_release(&key);
    return ret;
}

static int j_array(struct jscan *s, int depth)
{
    j_emit(s, "[", 1);
    s->p++;
    j_ws(s);
    if (s->p < s->end && *s->p != ']') {
        for (;;) {
            if (j_value(s, depth) < 0)
                return -1;
            j_ws(s);
            if (s->p >= s->end || *s->p != ',')
                break;
            j_emit(s, ",", 1);
            s->p++;
            j_ws(s);
        }
    }
    if (s->p >= s->end || *s->p != ']')
        return -1;
    j_emit(s, "]", 1);
    s->p++;
    return 0;
}

static int j_value(struct jscan *s, int depth)
{
    if (s->p >= s->end || depth >= JSON_MAX_DEPTH)
        return -1;
    switch (*s->p) {
    case '{':
        return j_object(s, depth + 1);
    case '[':
        return j_array(s, depth + 1);
    case '"':
        return j_string(s, NULL);
    case '-':
        return j_number(s);
    default:
        return isdigit((unsigned char)*s->p) ? j_number(s) : j_literal(s);
    }
}

int redact_json(const char *body, size_t len, struct strbuf *out)
{
    struct jscan s = {body, body + len, out, 0, 0};
    size_t start = out->len;

    j_ws(&s);
    if (j_value(&s, 0) < 0)
        return placeholder(out, start, len, "JSON");
    j_ws(&s);
    if (s.p != s.end)
        return placeholder(out, start, len, "JSON");
    return s.full ? -1 : 0;
}

/* ---- XML: expat finds the secret elements' content, then we copy around it ---- */

/* expat copies its input into buffers of its own: give it memory that is
 * wiped before it is freed. */
union wiped_hdr {
    size_t n;
    max_align_t align;
};

static void *wiped_malloc(size_t n)
{
    union wiped_hdr *h = xmalloc(sizeof(*h) + n);

    h->n = n;
    return h + 1;
}

static void wiped_free(void *p)
{
    union wiped_hdr *h;

    if (!p)
        return;
    h = (union wiped_hdr *)p - 1;
    OPENSSL_cleanse(p, h->n);
    free(h);
}

static void *wiped_realloc(void *p, size_t n)
{
    void *q = wiped_malloc(n);

    if (p) {
        size_t old = ((union wiped_hdr *)p - 1)->n;
        memcpy(q, p, old < n ? old : n);
        wiped_free(p);
    }
    return q;
}

struct xrange {
    size_t from, to;
};

struct xscan {
    XML_Parser parser;
    int depth, secret_depth; /* secret_depth: depth of the open secret element, 0: none */
    size_t from;
    struct xrange *ranges;
    size_t nranges, aranges;
};

static void XMLCALL x_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xscan *x = ud;
    const char *local = strrchr(name, ':');

    local = local ? local + 1 : name;
    x->depth++;
    if (!x->secret_depth && redact_name_sensitive(local, strlen(local))) {
        x->secret_depth = x->depth;
        x->from =
            (size_t)XML_GetCurrentByteIndex(x->parser) + (size_t)XML_GetCurrentByteCount(x->parser);
    }
}

static void XMLCALL x_end(void *ud, const XML_Char *name)
{
    struct xscan *x = ud;

    if (x->secret_depth == x->depth) {
        size_t to = (size_t)XML_GetCurrentByteIndex(x->parser);
        /* <Token/> has no content: its end event sits inside the start tag. */
        if (to > x->from) {
            XGROW(x->ranges, x->aranges, x->nranges + 1);
            x->ranges[x->nranges++] = (struct xrange){x->from, to};
        }
        x->secret_depth = 0;
    }
    x->depth--;
}

int redact_xml(const char *body, size_t len, struct strbuf *out)
{
    static const XML_Memory_Handling_Suite wiped = {wiped_malloc, wiped_realloc, wiped_free};
    struct xscan x = {0};
    size_t start = out->len, at = 0;
    int ret = -1;

    if (len > (size_t)INT_MAX)
        return placeholder(out, start, len, "XML");
    x.parser = XML_ParserCreate_MM(NULL, &wiped, NULL);
    if (!x.parser)
        goto out;
    XML_SetUserData(x.parser, &x);
    XML_SetElementHandler(x.parser, x_start, x_end);
    if (XML_Parse(x.parser, body, (int)len, 1) != XML_STATUS_OK) {
        placeholder(out, start, len, "XML");
        goto out;
    }
    ret = 0;
    for (size_t i = 0; i < x.nranges && ret == 0; i++) {
        if (strbuf_add(out, body + at, x.ranges[i].from - at) < 0 ||
            strbuf_adds(out, REDACT_MARK) < 0)
            ret = -1;
        at = x.ranges[i].to;
    }
    if (ret == 0 && strbuf_add(out, body + at, len - at) < 0)
        ret = -1;
out:
    if (x.parser)
        XML_ParserFree(x.parser);
    free(x.ranges);
    return ret;
}

/* ---- form bodies and URL queries: name=value&name=value ---- */

/* Percent-decodes a member name (names are not secret). */
static void form_name(const char *p, size_t n, struct strbuf *name)
{
    strbuf_reset(name);
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (p[i] == '+') {
            strbuf_addc(name, ' ');
        } else if (p[i] == '%' && i + 2 < n && (hi = hex_digit((unsigned char)p[i + 1])) >= 0 &&
                   (lo = hex_digit((unsigned char)p[i + 2])) >= 0) {
            strbuf_addc(name, (char)(hi * 16 + lo));
            i += 2;
        } else {
            strbuf_addc(name, p[i]);
        }
    }
}

/* The last component of a flattened name: "Credentials.SessionToken" -> "SessionToken". */
static int member_sensitive(const struct strbuf *name)
{
    const char *last = strrchr(name->buf, '.');

    last = last ? last + 1 : name->buf;
    return redact_name_sensitive(last, strlen(last));
}

static int query_sensitive(const struct strbuf *name)
{
    size_t n = name->len;

    /* Presigned URLs: X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token. */
    return member_sensitive(name) || redact_header_sensitive(name->buf) ||
           (n >= 9 && strcasecmp(name->buf + n - 9, "signature") == 0);
}

static int redact_pairs(const char *p, size_t len, struct strbuf *out,
                        int (*sensitive)(const struct strbuf *))
{
    struct strbuf name = STRBUF_INIT;
    const char *end = p + len;
    int ret = 0;

    while (p < end && ret == 0) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));

        form_name(p, (size_t)((eq ? eq : pair_end) - p), &name);
        if (eq && sensitive(&name)) {
            if (strbuf_add(out, p, (size_t)(eq + 1 - p)) < 0 || strbuf_adds(out, REDACT_MARK) < 0)
                ret = -1;
        } else if (strbuf_add(out, p, (size_t)(pair_end - p)) < 0) {
            ret = -1;
        }
        if (amp && ret == 0 && strbuf_addc(out, '&') < 0)
            ret = -1;
        p = amp ? amp + 1 : end;
    }
    strbuf_release(&name);
    return ret;
}

int redact_form(const char *body, size_t len, struct strbuf *out)
{
    return redact_pairs(body, len, out, member_sensitive);
}

int redact_url(const char *url, struct strbuf *out)
{
    size_t n = strcspn(url, "?#");

    if (strbuf_add(out, url, n) < 0)
        return -1;
    if (url[n] != '?')
        return 0;
    if (strbuf_addc(out, '?') < 0)
        return -1;
    return redact_pairs(url + n + 1, strcspn(url + n + 1, "#"), out, query_sensitive);
}

int redact_body(const char *content_type, const char *body, size_t len, struct strbuf *out)
{
    const char *type = content_type ? content_type : "";
    size_t i = 0;

    if (len == 0)
        return 0;
    if (contains_nocase(type, "json"))
        return redact_json(body, len, out);
    if (contains_nocase(type, "xml"))
        return redact_xml(body, len, out);
    if (contains_nocase(type, "x-www-form-urlencoded"))
        return redact_form(body, len, out);
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (!*type && i < len && (body[i] == '{' || body[i] == '['))
        return redact_json(body, len, out);
    if (!*type && i < len && body[i] == '<')
        return redact_xml(body, len, out);
    return strbuf_addf(out, "(%zu bytes of %s)", len, *type ? type : "unknown type");
}
