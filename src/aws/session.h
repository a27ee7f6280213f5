/*
 * A session: region, credentials, HTTP client, retry quota and call
 * statistics. session_call() is where an apicall becomes an HTTP request:
 * endpoint, protocol encoding, SigV4, send, retries in the SDKs' standard mode,
 * and decoding of the response or the uniform error. One session per thread.
 */
#ifndef CAIRN_SESSION_H
#define CAIRN_SESSION_H

#include <time.h>

#include "aws/apicall.h"
#include "aws/callcache.h"
#include "aws/creds.h"
#include "aws/retry.h"
#include "core/diag.h"
#include "core/http.h"

struct session_options {
    const char *profile;  /* NULL: AWS_PROFILE or "default" */
    const char *region;   /* NULL: AWS_REGION, AWS_DEFAULT_REGION, profile */
    int max_attempts;     /* 0: AWS_MAX_ATTEMPTS, profile max_attempts, or default_attempts */
    int default_attempts; /* 0: the SDKs' 3; the agent asks RETRY_AGENT_ATTEMPTS */
};

/* Per attempt: how long connecting and the whole exchange may take. */
#define SESSION_CONNECT_TIMEOUT_MS  5000L
#define SESSION_RESPONSE_TIMEOUT_MS 60000L

struct session_stats {
    unsigned long calls;    /* API calls made (each counts once, retries aside) */
    unsigned long attempts; /* HTTP attempts including retries */
    unsigned long retries;
    unsigned long shared; /* read requests answered from a callcache instead (not calls) */
};

struct session {
    char *region;
    char *region_source; /* "AWS_REGION", "profile dev in ~/.aws/config", ... */
    struct creds_provider *creds;
    struct http_client *http;
    struct retry_policy retry;
    struct session_stats stats;
    time_t (*clock)(void);   /* time(NULL) unless a test sets it */
    struct callcache *cache; /* shared by the sessions of one live read; NULL: none */
    /* What it was made with, for more sessions like it (a read's per-parent workers); the
     * caller's, which must outlive it. */
    const struct session_options *opts;
    int net_attempts;        /* attempts for time-outs and refused connections */
    unsigned long ambiguous; /* writes that may have been done but were not retried
                              * (retry_unsafe_write): the caller must look before sending again */
};

enum call_result {
    CALL_OK = 0,
    CALL_ERR_API,      /* the service answered with an error: c->err */
    CALL_ERR_NETWORK,  /* no usable response after all attempts: c->err.code "RequestError" */
    CALL_ERR_CREDS,    /* no credentials could be found or refreshed */
    CALL_ERR_RESPONSE, /* the response could not be decoded */
    CALL_ERR_CONFIG    /* no region, bad endpoint override */
};

/* Add b's counts to a (a worker's session into the command's). */
void session_stats_add(struct session_stats *a, const struct session_stats *b);

/* NULL with d explaining why (for example: no region anywhere). */
struct session *session_new(const struct session_options *opts, struct diag *d);
void session_free(struct session *s);

/* Send c. On anything but CALL_OK, d holds one line naming the operation and the error. */
enum call_result session_call(struct session *s, struct apicall *c, struct diag *d);

/*
 * A time limit for the whole process (cairn --timeout): every call after now + seconds fails
 * at once, and an attempt in flight is cut at that moment. Set before threads start; seconds
 * <= 0 removes it.
 */
void session_set_deadline(double seconds);
/* Seconds left before the deadline, or -1 when there is none (0 when it has passed). */
double session_time_left(void);
/* The --timeout value the deadline came from, in seconds (0: none). */
double session_deadline_seconds(void);

/* The credentials in use now (resolving them if needed), for whoami. */
int session_creds(struct session *s, struct creds *out, struct diag *d);

#endif
