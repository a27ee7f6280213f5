/*
 * Retries in the AWS SDKs' "standard" mode:
 *   - at most max_attempts attempts (3 unless AWS_MAX_ATTEMPTS or the
 *     profile's max_attempts says otherwise);
 *   - retried: throttling error codes, transient codes, HTTP 500/502/503/504,
 *     and connection failures, time-outs and dropped connections;
 *   - delay before retry i (1-based): random in [0, min(2^(i-1) s, 20 s)]
 *     (exponential backoff with full jitter);
 *   - a retry quota shared by the session: 500 tokens, a retry costs 5
 *     (10 after a time-out), a success after retries refunds its cost, a
 *     first-try success adds 1. An empty quota stops retrying.
 */
#ifndef CAIRN_RETRY_H
#define CAIRN_RETRY_H

#include "core/http.h"

#define RETRY_DEFAULT_ATTEMPTS 3
/* The agent's budget for a long reconcile (the Terraform AWS provider's is 25). Time-outs and
 * refused connections keep the SDK default of 3 unless the user sets a number, so that an
 * endpoint that does not answer fails in seconds, not minutes. */
#define RETRY_AGENT_ATTEMPTS 25
#define RETRY_MAX_BACKOFF_MS 20000
#define RETRY_QUOTA_INITIAL  500
#define RETRY_COST           5
#define RETRY_TIMEOUT_COST   10

enum retry_kind {
    RETRY_NO = 0,    /* not retryable */
    RETRY_THROTTLE,  /* throttling error code */
    RETRY_TRANSIENT, /* 5xx, transient code, dropped connection */
    RETRY_TIMEOUT    /* time-out: costs more quota */
};

struct retry_policy {
    int max_attempts;
    unsigned quota;
    /* Uniform random in [0,1); tests replace it. */
    double (*random)(void *ctx);
    void *random_ctx;
};

void retry_init(struct retry_policy *p, int max_attempts);

/* Classify an outcome. net is the transport result; status and code apply when net == HTTP_OK. */
enum retry_kind retry_classify(enum http_result net, long status, const char *code);
int retry_is_throttle_code(const char *code);

/* Before retrying: take the cost from the quota. Returns the cost taken, or -1
 * (quota exhausted: do not retry). */
int retry_acquire(struct retry_policy *p, enum retry_kind kind);
/* After a success: refund cost (what the last retry took; 0 for a first-try success). */
void retry_success(struct retry_policy *p, int cost);
/* Delay in milliseconds before retry number `retry` (1 for the first retry). */
long retry_delay_ms(struct retry_policy *p, int retry);

/*
 * Whether a failed attempt may have been carried out all the same: a 5xx that is not a
 * throttle, a time-out, a connection dropped after the request went out. A refused connection
 * or a throttling error is not: AWS never saw or refused the request.
 */
int retry_ambiguous(enum http_result net, long status, const char *code);

/*
 * Whether sending op again could make a second object: a create without an idempotency
 * token (has_token says whether this request carries one). Such a call is not retried after
 * an ambiguous failure; the caller looks for what it made first (docs/idempotency.md).
 */
int retry_unsafe_write(const char *op, int has_token);
/* Whether name is an idempotency-token member (ClientToken, CreationToken, ...). */
int retry_is_token_member(const char *name);

/*
 * After an ambiguous attempt, whether the retry's error `code` means the first attempt did
 * the work (a delete answered "not found", an attach "already associated"): then the call
 * succeeded.
 */
int retry_done_code(const char *op, const char *code);

/* AWS_MAX_ATTEMPTS if set and valid, else 0. Bad values are reported in d. */
int retry_env_max_attempts(struct diag *d);
/* A profile's max_attempts value (v may be NULL): the number, 0 when unset, -1 (in d) when bad. */
int retry_parse_max_attempts(const char *v, const char *where, struct diag *d);

#endif
