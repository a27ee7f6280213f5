/*
 * The two credential providers that are HTTP endpoints: the ECS/EKS container
 * credentials endpoint and EC2 instance metadata (IMDSv2). creds.c decides when
 * to ask them; this file knows how. Bodies holding secrets are wiped.
 */
#include "aws/credhttp.h"
#include "core/http.h"
#include "core/isotime.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CREDS_BODY_MAX (64 * 1024)
#define IMDS_TOKEN_TTL "21600"

static int header_safe(const char *v)
{
    return strpbrk(v, "\r\n") == NULL;
}

/* jansson keeps its own copies of the strings it parsed; clear the secret ones
 * before the document is freed. */
static void wipe_json_string(json_t *v)
{
    if (json_is_string(v))
        explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

/*
 * The JSON both container endpoints and IMDS answer with: AccessKeyId,
 * SecretAccessKey, Token, Expiration (and for IMDS, Code "Success").
 */
static int parse_json_creds(const struct strbuf *body, int want_code, struct creds *out,
                            struct strbuf *why)
{
    json_error_t err;
    json_t *doc = json_loadb(body->buf, body->len, 0, &err);
    json_t *akid, *secret, *token, *exp, *code;
    int ret = -1;

    if (!json_is_object(doc)) {
        strbuf_adds(why, "the response is not a JSON object");
        goto out;
    }
    akid = json_object_get(doc, "AccessKeyId");
    secret = json_object_get(doc, "SecretAccessKey");
    token = json_object_get(doc, "Token");
    exp = json_object_get(doc, "Expiration");
    code = json_object_get(doc, "Code");
    if (want_code && (!json_is_string(code) || strcmp(json_string_value(code), "Success") != 0)) {
        strbuf_addf(why, "the response has Code '%s', not 'Success'",
                    json_is_string(code) ? json_string_value(code) : "");
        goto out;
    }
    if (!json_is_string(akid) || !json_string_length(akid) || !json_is_string(secret) ||
        !json_string_length(secret)) {
        strbuf_adds(why, "the response lacks AccessKeyId or SecretAccessKey");
        goto out;
    }
    creds_release(out);
    if (exp && !json_is_null(exp) &&
        (!json_is_string(exp) || isotime_parse(json_string_value(exp), &out->expiration) < 0)) {
        strbuf_adds(why, "the response has an Expiration that is not an ISO 8601 time");
        goto out;
    }
    out->access_key_id = xstrdup(json_string_value(akid));
    out->secret_access_key = xstrdup(json_string_value(secret));
    if (json_is_string(token) && json_string_length(token))
        out->session_token = xstrdup(json_string_value(token));
    ret = 0;
out:
    if (doc) {
        wipe_json_string(json_object_get(doc, "SecretAccessKey"));
        wipe_json_string(json_object_get(doc, "Token"));
        json_decref(doc);
    }
    if (ret < 0)
        creds_release(out);
    return ret;
}

/* Send one request with a client of the given time-outs; on transport failure why
 * gets the reason. Responses of any status come back as 0. */
static int send_req(long connect_ms, long total_ms, const struct http_request *req,
                    struct http_response *resp, struct strbuf *why, int *transient)
{
    struct http_options opts = {
        .connect_timeout_ms = connect_ms, .timeout_ms = total_ms, .max_body = CREDS_BODY_MAX};
    struct http_client *c = http_client_new(&opts);
    struct diag tmp;
    enum http_result r;
    int ret = -1;

    diag_init(&tmp);
    *transient = 0;
    if (!c) {
        strbuf_adds(why, "cannot create an HTTP client");
        goto out;
    }
    r = http_send(c, req, resp, &tmp);
    if (r != HTTP_OK) {
        *transient = http_result_transient(r);
        strbuf_addf(why, "%s", diag_has_errors(&tmp) ? diag_last(&tmp) : http_result_name(r));
        goto out;
    }
    ret = 0;
out:
    http_client_free(c);
    diag_release(&tmp);
    return ret;
}

/* ---- container credentials ---- */

static int ip_equal(int af, const char *host, const char *want)
{
    unsigned char a[16], b[16];

    return inet_pton(af, host, a) == 1 && inet_pton(af, want, b) == 1 &&
           memcmp(a, b, af == AF_INET ? 4 : 16) == 0;
}

/*
 * The SDKs accept any https:// URL, but plain http:// only to loopback and to the
 * link-local addresses ECS and EKS serve credentials on: anything else would send
 * the authorization token in the clear.
 */
int credhttp_url_allowed(const char *url, struct strbuf *why)
{
    const char *p, *end;
    char host[256];
    size_t n;
    unsigned char a4[4];
    struct in6_addr a6;

    if (strncasecmp(url, "https://", 8) == 0)
        return 1;
    if (strncasecmp(url, "http://", 7) != 0) {
        strbuf_addf(
            why, "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' is not an http:// or https:// URL", url);
        return 0;
    }
    p = url + 7;
    end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(end - p)))
        goto bad;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close)
            goto bad;
        p++;
        n = (size_t)(close - p);
    } else {
        n = strcspn(p, ":/?#");
    }
    if (n == 0 || n >= sizeof(host))
        goto bad;
    memcpy(host, p, n);
    host[n] = '\0';
    if (strcasecmp(host, "localhost") == 0 || ip_equal(AF_INET, host, "169.254.170.2") ||
        ip_equal(AF_INET, host, "169.254.170.23") || ip_equal(AF_INET6, host, "fd00:ec2::23"))
        return 1;
    if (inet_pton(AF_INET, host, a4) == 1 && a4[0] == 127)
        return 1;
    if (inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6))
        return 1;
bad:
    strbuf_addf(why,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' is not allowed: plain http:// must go to "
                "a loopback address (127.0.0.0/8, [::1], localhost) or to 169.254.170.2, "
                "169.254.170.23 or [fd00:ec2::23]; use https:// for anything else",
                url);
    return 0;
}

/* GET the container endpoint (one retry on transient failures and 5xx). */
int credhttp_container(const char *url, const char *auth, struct creds *out, struct strbuf *why)
{
    struct http_header hdrs[2] = {{"Accept", "application/json"}, {"Authorization", auth}};
    struct http_request req = {.method = "GET", .url = url, .headers = hdrs, .nheaders = 1};
    struct http_response resp;
    int ret = -1, transient = 0;

    http_response_init(&resp);
    if (hdrs[1].value) {
        if (!header_safe(hdrs[1].value)) {
            strbuf_adds(why, "the container authorization token contains a line break");
            goto out;
        }
        req.nheaders = 2;
    }
    for (int attempt = 1; attempt <= 2; attempt++) {
        strbuf_reset(why);
        if (send_req(2000, 5000, &req, &resp, why, &transient) < 0) {
            if (transient && attempt < 2)
                continue;
            goto out;
        }
        if (resp.status == 200)
            break;
        strbuf_addf(why, "HTTP %ld", resp.status);
        if (resp.status < 500 || attempt == 2)
            goto out;
    }
    strbuf_reset(why);
    if (parse_json_creds(&resp.body, 0, out, why) < 0)
        goto out;
    ret = 0;
out:
    strbuf_wipe(&resp.body);
    http_response_release(&resp);
    return ret;
}

/* ---- EC2 instance metadata (IMDSv2) ---- */

/* IAM role names: [\w+=,.@-]; anything else must not reach the URL. */
static int role_name_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("+=,.@_-", *s))
            return 0;
    return 1;
}

static int imds_send(const struct http_request *req, struct http_response *resp, const char *step,
                     struct strbuf *why)
{
    int transient;

    if (send_req(1000, 2000, req, resp, why, &transient) < 0)
        return -1;
    if (resp->status != 200) {
        if (resp->status == 404 && strcmp(step, "role") == 0)
            strbuf_adds(why, "no IAM role is attached to this instance");
        else
            strbuf_addf(why, "%s request: HTTP %ld", step, resp->status);
        return -1;
    }
    return 0;
}

int credhttp_imds(const char *endpoint, struct creds *out, struct strbuf *why)
{
    struct strbuf url = STRBUF_INIT, token = STRBUF_INIT;
    struct http_header put_hdr = {"X-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL};
    struct http_header get_hdr = {"X-aws-ec2-metadata-token", NULL};
    struct http_request req = {.method = "PUT", .headers = &put_hdr, .nheaders = 1};
    struct http_response resp;
    char role[128];
    size_t n;
    int ret = -1;

    http_response_init(&resp);
    /* IMDSv2: a session token first; IMDSv1 is deliberately not used. */
    strbuf_addf(&url, "%s/latest/api/token", endpoint);
    req.url = url.buf;
    if (imds_send(&req, &resp, "token", why) < 0)
        goto out;
    strbuf_add(&token, resp.body.buf, resp.body.len);
    strbuf_trim(&token);
    if (!token.len || !header_safe(token.buf)) {
        strbuf_adds(why, "the token response is not a usable token");
        goto out;
    }
    strbuf_wipe(&resp.body);

    get_hdr.value = token.buf;
    req.method = "GET";
    req.headers = &get_hdr;
    strbuf_reset(&url);
    strbuf_addf(&url, "%s/latest/meta-data/iam/security-credentials/", endpoint);
    req.url = url.buf;
    if (imds_send(&req, &resp, "role", why) < 0)
        goto out;
    n = strcspn(resp.body.buf, "\r\n");
    if (n == 0 || n >= sizeof(role)) {
        strbuf_adds(why, "no IAM role is attached to this instance");
        goto out;
    }
    memcpy(role, resp.body.buf, n);
    role[n] = '\0';
    if (!role_name_ok(role)) {
        strbuf_adds(why, "the role name it returned is not a valid IAM role name");
        goto out;
    }

    strbuf_reset(&url);
    strbuf_addf(&url, "%s/latest/meta-data/iam/security-credentials/%s", endpoint, role);
    req.url = url.buf;
    if (imds_send(&req, &resp, "credentials", why) < 0)
        goto out;
    if (parse_json_creds(&resp.body, 1, out, why) < 0)
        goto out;
    ret = 0;
out:
    strbuf_wipe(&resp.body);
    http_response_release(&resp);
    strbuf_wipe(&token);
    strbuf_release(&url);
    return ret;
}
