#include "aws/session.h"
#include "aws/profile.h"
#include "aws/proto.h"
#include "aws/region.h"
#include "aws/sigv4.h"
#include "core/log.h"
#include "core/monotime.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static time_t wall_clock(void)
{
    return time(NULL);
}

/* The process's deadline (monotonic seconds; 0: none), set once before threads start. */
static double deadline_at, deadline_seconds;

void session_set_deadline(double seconds)
{
    deadline_seconds = seconds > 0 ? seconds : 0;
    deadline_at = seconds > 0 ? monotime_s() + seconds : 0;
}

double session_time_left(void)
{
    double left;

    if (deadline_at <= 0)
        return -1;
    left = deadline_at - monotime_s();
    return left > 0 ? left : 0;
}

double session_deadline_seconds(void)
{
    return deadline_seconds;
}

/* max_attempts of the profile in use, 0 when unset, -1 (in d) when bad. */
static int profile_max_attempts(const char *profile, struct diag *d)
{
    struct profile_set set;
    struct diag quiet;
    const char *name = profile_name(profile, NULL);
    char where[300];
    int n = 0;

    profile_set_init(&set);
    diag_init(&quiet);
    /* Unreadable files are the credential chain's to report; here they only mean "unset". */
    if (profile_set_load(&set, &quiet) == 0) {
        snprintf(where, sizeof(where), "max_attempts of profile %s", name);
        n = retry_parse_max_attempts(profile_get(&set, name, "max_attempts"), where, d);
    }
    diag_release(&quiet);
    profile_set_release(&set);
    return n;
}

struct session *session_new(const struct session_options *opts, struct diag *d)
{
    struct session *s = xcalloc(1, sizeof(*s));
    struct http_options ho = {.connect_timeout_ms = SESSION_CONNECT_TIMEOUT_MS,
                              .timeout_ms = SESSION_RESPONSE_TIMEOUT_MS};
    int attempts = opts->max_attempts, fallback = opts->default_attempts;

    s->clock = wall_clock;
    s->opts = opts;
    if (region_resolve(opts->region, opts->profile, &s->region, &s->region_source, d) < 0)
        goto fail;
    if (!attempts && (attempts = retry_env_max_attempts(d)) < 0)
        goto fail;
    if (!attempts && (attempts = profile_max_attempts(opts->profile, d)) < 0)
        goto fail;
    if (diag_has_errors(d))
        goto fail;
    if (fallback <= 0)
        fallback = RETRY_DEFAULT_ATTEMPTS;
    retry_init(&s->retry, attempts ? attempts : fallback);
    /* A number the user chose holds for every kind of failure; the agent's long budget is for
     * answers that came back (throttles, 5xx), not for an endpoint that does not answer. */
    s->net_attempts = attempts                            ? attempts
                      : fallback < RETRY_DEFAULT_ATTEMPTS ? fallback
                                                          : RETRY_DEFAULT_ATTEMPTS;
    s->creds = creds_provider_new(opts->profile);
    if (!(s->http = http_client_new(&ho))) {
        diag_error(d, NULL, "cannot start an HTTP client (libcurl)");
        goto fail;
    }
    return s;
fail:
    session_free(s);
    return NULL;
}

void session_stats_add(struct session_stats *a, const struct session_stats *b)
{
    a->calls += b->calls;
    a->attempts += b->attempts;
    a->retries += b->retries;
    a->shared += b->shared;
}

/* Read operations whose answers a live read may share. Never one that returns a secret. */
static int shareable(const struct session *s, const struct apicall *c)
{
    return s->cache && strcmp(c->op, "GetSecretValue") != 0 &&
           (strncmp(c->op, "Describe", 8) == 0 || strncmp(c->op, "List", 4) == 0 ||
            strncmp(c->op, "Get", 3) == 0);
}

void session_free(struct session *s)
{
    if (!s)
        return;
    creds_provider_free(s->creds);
    http_client_free(s->http);
    free(s->region);
    free(s->region_source);
    free(s);
}

int session_creds(struct session *s, struct creds *out, struct diag *d)
{
    return creds_provider_get(s->creds, s, s->clock(), out, d);
}

/* "https://host:port/base" -> "host:port", the value SigV4 signs and curl sends. */
static void url_authority(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    size_t len;

    p = p ? p + 3 : url;
    len = strcspn(p, "/?#");
    snprintf(out, n, "%.*s", (int)len, p);
}

/* Path prefix of an endpoint override ("http://host/base" -> "/base"), joined to the wire path. */
static const char *url_path(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    p += strcspn(p, "/");
    return p;
}

struct attempt {
    struct http_header h[8];
    size_t nh;
    char host[256];
};

static void add_header(struct attempt *a, const char *name, const char *value)
{
    a->h[a->nh].name = name;
    a->h[a->nh].value = value;
    a->nh++;
}

static const char *result_name(enum call_result r)
{
    switch (r) {
    case CALL_OK:
        return "ok";
    case CALL_ERR_API:
        return "api error";
    case CALL_ERR_NETWORK:
        return "network error";
    case CALL_ERR_CREDS:
        return "no credentials";
    case CALL_ERR_RESPONSE:
        return "bad response";
    default:
        return "configuration error";
    }
}

/* One HTTP exchange: sign with fresh credentials and send. */
static enum call_result send_once(struct session *s, struct apicall *c, const struct proto_wire *w,
                                  const char *url, const char *path, long timeout_ms,
                                  struct http_response *resp, enum http_result *net, struct diag *d)
{
    struct attempt a = {0};
    struct sigv4_signed sig;
    struct creds cr;
    struct http_request req = {0};
    time_t now = s->clock();
    enum call_result ret = CALL_ERR_CREDS;

    creds_init(&cr);
    sigv4_signed_init(&sig);
    url_authority(url, a.host, sizeof(a.host));
    add_header(&a, "Host", a.host);
    if (w->content_type)
        add_header(&a, "Content-Type", w->content_type);
    if (w->target[0])
        add_header(&a, "X-Amz-Target", w->target);
    if (!c->anonymous) {
        if (creds_provider_get(s->creds, s, now, &cr, d) < 0)
            goto out;
        if (sigv4_sign_request(&sig, w->method, path, w->query.buf, a.h, a.nh, w->body.buf,
                               w->body.len, service_signing_region(c->svc, s->region),
                               c->svc->signing_name, &cr, now) < 0) {
            diag_error(d, NULL, "%s %s: cannot sign the request: %s", c->svc->id, c->op, sig.error);
            goto out;
        }
        for (size_t i = 0; i < sig.nheaders; i++)
            add_header(&a, sig.headers[i].name, sig.headers[i].value);
    }
    req.method = w->method;
    req.url = url;
    req.headers = a.h;
    req.nheaders = a.nh;
    req.body = w->body.buf;
    req.body_len = w->body.len;
    req.timeout_ms = timeout_ms;
    *net = http_send(s->http, &req, resp, d);
    ret = CALL_OK;
out:
    sigv4_signed_release(&sig);
    creds_release(&cr);
    return ret;
}

/* Whether the request carries an idempotency token (a query member or a top-level JSON one). */
static int has_token(const struct apicall *c)
{
    for (size_t i = 0; i < c->nparams; i++)
        if (retry_is_token_member(c->params[i].name))
            return 1;
    if (json_is_object(c->body)) {
        const char *k;
        json_t *v;
        json_object_foreach(c->body, k, v)
        {
            if (retry_is_token_member(k) && json_is_string(v) && *json_string_value(v))
                return 1;
        }
    }
    return 0;
}

/* The answer the call would have had, for a retry whose error says an earlier, ambiguous
 * attempt did the work: an empty result in the protocol's shape. */
static enum call_result done_by_earlier(struct apicall *c, struct http_response *resp,
                                        struct diag *d)
{
    strbuf_reset(&resp->body);
    if (c->svc->proto == PROTO_JSON || c->svc->proto == PROTO_RESTJSON)
        strbuf_adds(&resp->body, "{}");
    else
        strbuf_addf(&resp->body, "<%sResponse><%sResult/></%sResponse>", c->op, c->op, c->op);
    resp->status = c->status = 200;
    memset(&c->err, 0, sizeof(c->err));
    return proto_decode(c, resp, d) == 0 ? CALL_OK : CALL_ERR_RESPONSE;
}

/* The per-attempt time limit: the response time-out, cut to what is left of the deadline. */
static long attempt_timeout_ms(void)
{
    double left = session_time_left();

    if (left < 0 || left * 1000 >= SESSION_RESPONSE_TIMEOUT_MS)
        return SESSION_RESPONSE_TIMEOUT_MS;
    return left * 1000 < 1 ? 1 : (long)(left * 1000);
}

enum call_result session_call(struct session *s, struct apicall *c, struct diag *d)
{
    struct proto_wire w;
    struct strbuf url = STRBUF_INIT, path = STRBUF_INIT;
    struct http_response resp;
    struct strbuf key = STRBUF_INIT;
    struct diag quiet;
    enum call_result ret = CALL_ERR_CONFIG;
    int cost = 0, shared = 0, unsafe, was_ambiguous = 0, net_failures = 0;

    proto_wire_init(&w);
    http_response_init(&resp);
    diag_init(&quiet);
    apicall_reset_result(c);
    s->stats.calls++;
    if (proto_encode(c, &w, d) < 0 || service_endpoint(c->svc, s->region, &url, d) < 0)
        goto out;
    /* An override such as http://host/base keeps its path; the wire path follows it. */
    strbuf_adds(&path, url_path(url.buf));
    if (path.len && path.buf[path.len - 1] == '/')
        strbuf_setlen(&path, path.len - 1);
    strbuf_add(&path, w.path.buf, w.path.len);
    strbuf_setlen(&url, (size_t)(url_path(url.buf) - url.buf));
    strbuf_add(&url, path.buf, path.len);
    if (w.query.len) {
        strbuf_addc(&url, '?');
        strbuf_add(&url, w.query.buf, w.query.len);
    }
    if (shareable(s, c)) {
        char *body;
        size_t len;
        long status;
        /* A key that did not fit would not be the whole request: then no sharing. */
        if (strbuf_addf(&key, "%s %s\n%s\n", w.method, url.buf, w.target) == 0 &&
            strbuf_add(&key, w.body.buf, w.body.len) == 0) {
            if (callcache_claim(s->cache, key.buf, key.len, &body, &len, &status) ==
                CALLCACHE_HIT) {
                s->stats.calls--;
                s->stats.shared++;
                resp.status = c->status = status;
                strbuf_add(&resp.body, body, len);
                free(body);
                ret = proto_decode(c, &resp, d) == 0 ? CALL_OK : CALL_ERR_RESPONSE;
                log_debug("%s %s: answered by an identical request of this read", c->svc->id,
                          c->op);
                goto out;
            }
            shared = 1;
        }
    }

    unsafe = retry_unsafe_write(c->op, has_token(c));
    for (;;) {
        enum http_result net = HTTP_OK;
        enum retry_kind kind;
        long delay;

        if (session_time_left() == 0) {
            /* Out of time before this attempt: the error of the one before stands. */
            if (!c->attempts) {
                snprintf(c->err.code, sizeof(c->err.code), "RequestError");
                ret = CALL_ERR_NETWORK;
            }
            char last[200];
            snprintf(last, sizeof(last), "%.199s", c->attempts ? c->err.message : "");
            snprintf(c->err.message, sizeof(c->err.message),
                     "the run's time limit (--timeout %gs) was reached%s%s",
                     session_deadline_seconds(), last[0] ? "; last error: " : "", last);
            c->err.retryable = 0;
            break;
        }
        c->attempts++;
        s->stats.attempts++;
        diag_clear(&quiet);
        ret = send_once(s, c, &w, url.buf, path.buf, attempt_timeout_ms(), &resp, &net, &quiet);
        if (ret == CALL_ERR_CREDS)
            break;
        if (net != HTTP_OK) {
            memset(&c->err, 0, sizeof(c->err));
            snprintf(c->err.code, sizeof(c->err.code), "RequestError");
            snprintf(c->err.message, sizeof(c->err.message), "%s", diag_last(&quiet));
            c->status = 0;
            ret = CALL_ERR_NETWORK;
        } else if (resp.status >= 200 && resp.status < 300) {
            c->status = resp.status;
            retry_success(&s->retry, cost);
            ret = proto_decode(c, &resp, d) == 0 ? CALL_OK : CALL_ERR_RESPONSE;
            break;
        } else {
            c->status = resp.status;
            proto_decode_error(c->svc, &resp, &c->err);
            ret = CALL_ERR_API;
            if (was_ambiguous && retry_done_code(c->op, c->err.code)) {
                log_debug("%s %s: %s after an unanswered attempt: done by that one", c->svc->id,
                          c->op, c->err.code);
                ret = done_by_earlier(c, &resp, d);
                break;
            }
        }
        kind = retry_classify(net, resp.status, c->err.code);
        c->err.retryable = kind != RETRY_NO;
        c->err.throttling = kind == RETRY_THROTTLE;
        log_debug("%s %s: attempt %d failed: %s%s%s", c->svc->id, c->op, c->attempts, c->err.code,
                  c->err.message[0] ? ": " : "", c->err.message);
        if (retry_ambiguous(net, resp.status, c->err.code)) {
            was_ambiguous = 1;
            if (unsafe) {
                /* It may have made the object: sending it again could make a second one. */
                c->err.retryable = 0;
                s->ambiguous++;
                log_debug("%s %s: not retried: the write may have been done", c->svc->id, c->op);
                break;
            }
        }
        if (kind != RETRY_NO && session_time_left() == 0)
            continue; /* the top of the loop says the time is up */
        if (net == HTTP_ERR_TIMEOUT || net == HTTP_ERR_CONNECT)
            net_failures++;
        if (kind == RETRY_NO || c->attempts >= s->retry.max_attempts ||
            (net_failures && net_failures >= s->net_attempts))
            break;
        if ((cost = retry_acquire(&s->retry, kind)) < 0) {
            log_debug("%s %s: retry quota exhausted", c->svc->id, c->op);
            break;
        }
        s->stats.retries++;
        delay = retry_delay_ms(&s->retry, c->attempts);
        if (session_time_left() >= 0 && delay > session_time_left() * 1000)
            delay = (long)(session_time_left() * 1000);
        monotime_sleep_ms(delay);
    }
    if (ret == CALL_ERR_CREDS) {
        for (size_t i = 0; i < quiet.n; i++)
            diag_error(d, NULL, "%s", quiet.v[i].msg);
    } else if (ret == CALL_ERR_API || ret == CALL_ERR_NETWORK) {
        if (!c->attempts)
            diag_error(d, NULL, "%s %s: %s: %s (not sent)", c->svc->id, c->op, c->err.code,
                       c->err.message);
        else
            diag_error(d, NULL, "%s %s: %s: %s%s%s (after %d attempt%s)", c->svc->id, c->op,
                       c->err.code, c->err.message, c->err.request_id[0] ? ", request id " : "",
                       c->err.request_id, c->attempts, c->attempts == 1 ? "" : "s");
    }
    log_debug("%s %s: %s after %d attempt%s", c->svc->id, c->op, result_name(ret), c->attempts,
              c->attempts == 1 ? "" : "s");
    if (shared && ret == CALL_OK)
        callcache_fill(s->cache, key.buf, key.len, resp.body.buf, resp.body.len, resp.status);
    else if (shared)
        callcache_abandon(s->cache, key.buf, key.len);
out:
    proto_wire_release(&w);
    strbuf_release(&key);
    /* The body may have carried credentials or a secret value. */
    strbuf_wipe(&resp.body);
    http_response_release(&resp);
    strbuf_release(&url);
    strbuf_release(&path);
    diag_release(&quiet);
    return ret;
}
