/*
 * One AWS API call, protocol-neutral: the operation, its input in the
 * protocol's shape, and after session_call() its output or error. Everything
 * the call allocates lives in its arena and goes with apicall_release().
 *
 *   struct apicall c;
 *   apicall_init(&c, service_lookup("ec2"), "DescribeVpcs");
 *   apicall_param(&c, "Filter.1.Name", "tag:cairn:stack");
 *   if (session_call(s, &c, &d) == CALL_OK) ... xdoc_find(c.xml, ...)
 *   apicall_release(&c);
 */
#ifndef CAIRN_APICALL_H
#define CAIRN_APICALL_H

#include <jansson.h>

#include "aws/service.h"
#include "core/arena.h"
#include "core/xdoc.h"

struct apiparam {
    const char *name;
    const char *value;
};

/* The uniform error of every protocol. */
struct apierr {
    char code[128]; /* "Throttling", "InvalidParameterValue", "RequestError" ... */
    char message[1024];
    char request_id[128];
    long status;    /* HTTP status; 0 when no response came */
    int retryable;  /* the standard retry mode would retry it */
    int throttling; /* a throttling code: retries use the throttle cost */
};

struct apicall {
    struct arena arena;
    const struct service *svc;
    const char *op;

    /* Query/EC2: flattened members. REST-JSON: query-string members. */
    struct apiparam *params;
    size_t nparams, aparams;
    /* JSON protocol body, REST-JSON body (owned; NULL: "{}" / no body). */
    json_t *body;
    /* REST-JSON only. path holds the already-escaped request path. */
    const char *method;
    const char *path;
    /* Skip signing (STS AssumeRoleWithWebIdentity). */
    int anonymous;

    /* Results. */
    long status;
    json_t *out;      /* JSON and REST-JSON: parsed body ({} when empty) */
    struct xdoc *xml; /* Query and EC2: parsed body, root is <OpResponse> */
    struct apierr err;
    int attempts;
};

void apicall_init(struct apicall *c, const struct service *svc, const char *op);
void apicall_release(struct apicall *c);

/* Add a member; the strings are copied into the call's arena. */
void apicall_param(struct apicall *c, const char *name, const char *value);
void apicall_paramf(struct apicall *c, const char *value, const char *namefmt, ...)
    __attribute__((format(printf, 3, 4)));
/* REST-JSON: method and path; path is formatted then kept verbatim (escape labels
 * with apicall_escape()). */
void apicall_rest(struct apicall *c, const char *method, const char *pathfmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Take ownership of a JSON body. */
void apicall_json(struct apicall *c, json_t *body);
/* URI-escape s per RFC 3986 unreserved set, into the arena. */
const char *apicall_escape(struct apicall *c, const char *s);

/* Reset results so the same call can be sent again (pagination). */
void apicall_reset_result(struct apicall *c);

/*
 * Pagination: after a successful page, copy the output token at out_path
 * (XML path under the response root for query protocols, a top-level member
 * for JSON ones) into the input member in_name (a param for query and REST,
 * a body member for JSON). Returns 1 when there is another page to fetch,
 * 0 when this was the last one.
 *
 *   do { if (session_call(s, &c, d) != CALL_OK) break; ...use page... }
 *   while (apicall_next_page(&c, "NextToken", "nextToken"));
 */
int apicall_next_page(struct apicall *c, const char *in_name, const char *out_path);

#endif
