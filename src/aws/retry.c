#include "aws/retry.h"

#include <openssl/rand.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The SDKs' lists (botocore retries/standard.py) plus the codes AWS services
 * use for their own internal failures. */
static const char *const throttle_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

static const char *const transient_codes[] = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
    "InternalError",  "InternalFailure",         "ServiceUnavailable",
};

static int in_list(const char *code, const char *const *list, size_t n)
{
    if (!code)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return 1;
    return 0;
}

int retry_is_throttle_code(const char *code)
{
    return in_list(code, throttle_codes, sizeof(throttle_codes) / sizeof(throttle_codes[0]));
}

enum retry_kind retry_classify(enum http_result net, long status, const char *code)
{
    if (net == HTTP_ERR_TIMEOUT)
        return RETRY_TIMEOUT;
    if (net != HTTP_OK)
        return http_result_transient(net) ? RETRY_TRANSIENT : RETRY_NO;
    if (retry_is_throttle_code(code) || status == 429)
        return RETRY_THROTTLE;
    if (in_list(code, transient_codes, sizeof(transient_codes) / sizeof(transient_codes[0])))
        return RETRY_TRANSIENT;
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return RETRY_TRANSIENT;
    return RETRY_NO;
}

/* Uniform in [0,1) from 53 random bits. Jitter only spreads clients apart, so
 * if OpenSSL's generator fails a clock-seeded value is good enough. */
static double default_random(void *ctx)
{
    uint64_t x;

    if (RAND_bytes((unsigned char *)&x, sizeof(x)) != 1) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL;
    }
    return (double)(x >> 11) / 9007199254740992.0; /* 2^53 */
}

void retry_init(struct retry_policy *p, int max_attempts)
{
    p->max_attempts = max_attempts > 0 ? max_attempts : RETRY_DEFAULT_ATTEMPTS;
    p->quota = RETRY_QUOTA_INITIAL;
    p->random = default_random;
    p->random_ctx = NULL;
}

int retry_acquire(struct retry_policy *p, enum retry_kind kind)
{
    unsigned cost = kind == RETRY_TIMEOUT ? RETRY_TIMEOUT_COST : RETRY_COST;

    if (kind == RETRY_NO || p->quota < cost)
        return -1;
    p->quota -= cost;
    return (int)cost;
}

void retry_success(struct retry_policy *p, int cost)
{
    p->quota += cost > 0 ? (unsigned)cost : 1;
    if (p->quota > RETRY_QUOTA_INITIAL)
        p->quota = RETRY_QUOTA_INITIAL;
}

long retry_delay_ms(struct retry_policy *p, int retry)
{
    long cap = RETRY_MAX_BACKOFF_MS;
    double r;

    if (retry < 1)
        return 0;
    /* 2^(retry-1) s passes 20 s at retry 6: no need to shift further. */
    if (retry <= 5)
        cap = 1000L << (retry - 1);
    r = p->random ? p->random(p->random_ctx) : default_random(NULL);
    if (!(r >= 0.0)) /* also catches NaN */
        r = 0.0;
    if (r >= 1.0)
        r = 0.999999;
    return (long)(r * (double)cap);
}

int retry_parse_max_attempts(const char *v, const char *where, struct diag *d)
{
    char *end;
    long n;

    if (!v || !*v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    /* strtol skips leading blanks and takes a sign: accept digits only. */
    if (*v < '0' || *v > '9' || *end || errno || n < 1 || n > INT_MAX) {
        diag_error(d, NULL, "%s is '%s': expected a positive whole number", where, v);
        return -1;
    }
    return (int)n;
}

int retry_env_max_attempts(struct diag *d)
{
    int n = retry_parse_max_attempts(getenv("AWS_MAX_ATTEMPTS"), "AWS_MAX_ATTEMPTS", d);
    return n < 0 ? 0 : n;
}

int retry_ambiguous(enum http_result net, long status, const char *code)
{
    if (net == HTTP_ERR_CONNECT)
        return 0;
    if (net != HTTP_OK)
        return 1;
    if (retry_is_throttle_code(code) || status == 429)
        return 0;
    return status >= 500;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The members AWS APIs name their idempotency tokens (botocore: idempotencyToken). */
static const char *const token_members[] = {
    "ClientToken",      "clientToken",        "CreationToken",
    "IdempotencyToken", "ClientRequestToken", "CreatorRequestId",
};

int retry_is_token_member(const char *name)
{
    return in_list(name, token_members, sizeof(token_members) / sizeof(token_members[0]));
}

/* Verbs whose repetition makes another object (another VPC, another association id,
 * another task definition revision). */
static const char *const making_verbs[] = {
    "Create", "Allocate", "Register", "Run", "Request", "Copy", "Import", "Associate", "Start",
};

/* Named like creates, but a repetition changes nothing: the same tags, the same key. */
static const char *const idempotent_writes[] = {"CreateTags", "AssociateKmsKey"};

int retry_unsafe_write(const char *op, int has_token)
{
    if (has_token ||
        in_list(op, idempotent_writes, sizeof(idempotent_writes) / sizeof(idempotent_writes[0])))
        return 0;
    for (size_t i = 0; i < sizeof(making_verbs) / sizeof(making_verbs[0]); i++)
        if (starts(op, making_verbs[i]))
            return 1;
    return 0;
}

/* Verbs that take something away: "not found" after an ambiguous attempt means it is gone. */
static const char *const removing_verbs[] = {
    "Delete", "Release", "Deregister", "Detach", "Disassociate", "Revoke", "Remove", "Untag",
};

int retry_done_code(const char *op, const char *code)
{
    if (!code || !*code)
        return 0;
    for (size_t i = 0; i < sizeof(removing_verbs) / sizeof(removing_verbs[0]); i++)
        if (starts(op, removing_verbs[i]))
            return strstr(code, "NotFound") != NULL || strcmp(code, "NoSuchEntity") == 0;
    if (starts(op, "Authorize"))
        return strcmp(code, "InvalidPermission.Duplicate") == 0;
    if (starts(op, "Attach"))
        return strcmp(code, "Resource.AlreadyAssociated") == 0;
    return 0;
}
