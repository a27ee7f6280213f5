/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256), header and presigned (query) forms.
 *
 * Pure functions: the clock comes in as a time_t, nothing is global, nothing
 * is read from the environment, nothing is logged. Each step is exposed on its
 * own (canonical request, string to sign, signature, Authorization) because
 * AWS's conformance suite checks each; sigv4_sign() chains them.
 *
 * Paths and query strings are taken as they travel on the wire, that is
 * already percent-encoded once by whoever built the URL. For every service
 * but S3 the canonical URI is that wire path with dot segments and repeated
 * slashes removed and then URI-encoded again ("encoded twice", as AWS puts it,
 * counting the encoding that made the wire path). S3 signs the wire path as it
 * is. botocore and AWS's suite agree on this; see sigv4_options_for_service().
 *
 * The query string is decoded and re-encoded with the RFC 3986 unreserved set
 * (A-Z a-z 0-9 - _ . ~); pairs are sorted by encoded key, then encoded value;
 * a key without '=' gets ""; an empty piece ("a=1&&b=2") is no parameter. A raw
 * '+' is signed as a literal plus, never a space: encoders should send '+' as
 * %2B and ' ' as %20, as the SDKs do, so that no server can read it otherwise.
 *
 * Where the two oracles could be told apart: AWS's suite sets "normalize" per
 * case but always re-encodes the path (normalize_path and encode_path are two
 * options for that reason), and presigns with the body's hash where S3 wants
 * SIGV4_UNSIGNED_PAYLOAD (pass it as payload_hash). On everything else the
 * suite, botocore and this file agree byte for byte
 * (tests/unit/test_sigv4_suite.c, tests/integration/test_sigv4_botocore.py).
 */
#ifndef CAIRN_SIGV4_H
#define CAIRN_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "aws/creds.h"
#include "core/diag.h"
#include "core/http.h"
#include "core/strbuf.h"

#define SIGV4_ALGORITHM        "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_HEX_LEN          64 /* a SHA-256 in lowercase hex */
#define SIGV4_DATE_LEN         16 /* "20150830T123600Z" */
#define SIGV4_MAX_ADDED        4  /* headers sigv4_sign() adds at most */

struct sigv4_options {
    int normalize_path;     /* drop "." and ".." segments and repeated '/' (all but S3) */
    int encode_path;        /* URI-encode the wire path once more (all but S3) */
    int add_content_sha256; /* add and sign x-amz-content-sha256 (S3) */
    int unsigned_token;     /* send the session token but leave it out of the signature;
                             * the suite's omit_session_token, for the rare service that
                             * wants it. Normally 0: the token is signed. */
};

/* The options a service's signing name calls for: S3 ("s3", "s3-outposts",
 * "s3express") signs the wire path as it is and adds x-amz-content-sha256;
 * every other service normalizes and re-encodes the path. */
void sigv4_options_for_service(struct sigv4_options *o, const char *signing_name);

/* The request as it will be sent. */
struct sigv4_request {
    const char *method;
    const char *path;  /* wire form, already percent-encoded; NULL or "" means "/" */
    const char *query; /* wire form, without '?'; NULL or "" for none */
    const struct http_header *headers; /* must hold Host; names in any case */
    size_t nheaders;
    const void *body; /* may be NULL when body_len is 0 */
    size_t body_len;
    /* Lowercase hex SHA-256 of the body, or SIGV4_UNSIGNED_PAYLOAD; NULL: hash body. */
    const char *payload_hash;
};

/* Who signs, for which region and service, when, and how. */
struct sigv4_context {
    const struct creds *creds; /* access_key_id, secret_access_key, session_token (or NULL) */
    const char *region;        /* signing region */
    const char *service;       /* signing name, e.g. "ec2", "elasticfilesystem", "s3" */
    time_t now;
    struct sigv4_options opts;
};

/* What signing produced. The intermediate steps are kept for tests and for
 * explaining a SignatureDoesNotMatch; none of them holds a secret. */
struct sigv4_signed {
    struct strbuf canonical_request;
    struct strbuf string_to_sign;
    struct strbuf signed_headers; /* "host;x-amz-date" */
    char signature[SIGV4_HEX_LEN + 1];
    char amz_date[SIGV4_DATE_LEN + 1];
    char payload_hash[SIGV4_HEX_LEN + 1];
    /* Header form: the headers to add to the request, in this order when present:
     * X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256, Authorization.
     * Names are literals; values point into this struct. */
    struct http_header headers[SIGV4_MAX_ADDED];
    size_t nheaders;
    struct strbuf authorization;
    struct strbuf token; /* copy of the session token, wiped on release */
    /* Presigned form: the parameters to append to the query string (after '?'
     * or '&'), already encoded, X-Amz-Signature last. */
    struct strbuf query;
    /* Why the last sigv4_sign_request() failed (it has no diag to say it in). */
    char error[200];
};

void sigv4_signed_init(struct sigv4_signed *s);
void sigv4_signed_release(struct sigv4_signed *s);

/* "YYYYMMDDTHHMMSSZ" in UTC; -1 (and zeros) for a year outside 1000..9999. */
int sigv4_amz_date(time_t t, char out[SIGV4_DATE_LEN + 1]);
/* Lowercase hex SHA-256 of n bytes. */
void sigv4_sha256_hex(const void *data, size_t n, char out[SIGV4_HEX_LEN + 1]);

/*
 * Step 1: the canonical request of req exactly as given (the caller has put
 * X-Amz-Date and friends among the headers, or X-Amz-* among the query, as
 * the form requires). Header names are lowercased, values trimmed with inner
 * whitespace runs (line folds included) collapsed to one space, repeated
 * names joined with ',' in request order, names sorted. Headers that proxies
 * may rewrite (user-agent, expect, connection, transfer-encoding, ... as
 * botocore) are not signed. signed_headers (may be NULL) receives
 * "host;x-amz-date". Fails on a malformed header name or query escape.
 */
int sigv4_canonical_request(const struct sigv4_request *req, const struct sigv4_options *opts,
                            struct strbuf *out, struct strbuf *signed_headers, struct diag *d);

/* "YYYYMMDD/region/service/aws4_request" for amz_date ("YYYYMMDDTHHMMSSZ"). */
void sigv4_scope(const char *amz_date, const char *region, const char *service, struct strbuf *out);

/* Step 2: the string to sign of a canonical request. */
void sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                          const char *canonical_request, size_t len, struct strbuf *out);

/* Step 3: the hex signature. The derived signing keys are wiped before return. */
void sigv4_signature(const char *secret_access_key, const char *amz_date, const char *region,
                     const char *service, const char *string_to_sign, size_t len,
                     char out[SIGV4_HEX_LEN + 1]);

/* Step 4: the Authorization header value. */
void sigv4_authorization(const char *access_key_id, const char *amz_date, const char *region,
                         const char *service, const char *signed_headers, const char *signature,
                         struct strbuf *out);

/* Header form: fills out (released first) with the headers to add. req must
 * not already carry Authorization, X-Amz-Date, nor the X-Amz-Security-Token
 * or x-amz-content-sha256 the signer is about to add. */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_context *ctx,
               struct sigv4_signed *out, struct diag *d);

/* Presigned form, valid for expires seconds (1 to 604800): fills out->query. */
int sigv4_presign(const struct sigv4_request *req, const struct sigv4_context *ctx, long expires,
                  struct sigv4_signed *out, struct diag *d);

/* What the request layer calls: header form with the options of service
 * (sigv4_options_for_service) and the SHA-256 of the body. On failure
 * out->error says why. */
int sigv4_sign_request(struct sigv4_signed *out, const char *method, const char *path,
                       const char *query, const struct http_header *headers, size_t nheaders,
                       const void *body, size_t body_len, const char *region, const char *service,
                       const struct creds *creds, time_t now);

#endif
