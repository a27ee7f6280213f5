/*
 * How each AWS service cairn manages speaks, as data: one row per service
 * naming how it says "not found" and "already exists", how it pages, how it
 * tags and untags, and which request member carries an idempotency token.
 * Generic operations read it instead of repeating each service's habits in
 * every type file: dialect_send() and dialect_call() (a call whose not-found
 * or exists answer is an outcome), the listings that page by the row's
 * members (dialect_pages() and those on it), resutil_remove() (a delete where
 * not-found means done) and resutil_retag() (TagResource and UntagResource of
 * the difference).
 *
 * The codes are those of the services' API references (botocore's models
 * list them under each operation's errors): every not-found code of a
 * service contains its not_found text (EC2 InvalidVpcID.NotFound and
 * NatGatewayNotFound, ELBv2 LoadBalancerNotFound, ECS
 * ClusterNotFoundException, IAM NoSuchEntity, ...), and likewise for exists.
 */
#ifndef CAIRN_DIALECT_H
#define CAIRN_DIALECT_H

#include "core/diag.h"

#include <jansson.h>

struct apicall;
struct session;
struct xnode;

struct dialect {
    const char *service;   /* the service id of aws/service.c: "ec2", "elbv2" */
    const char *not_found; /* text every "it does not exist" error code contains */
    const char *exists;    /* text every "it already exists" error code contains; NULL: none */
    /* Pagination: the request member that takes the next page's token, and the response
     * member (path for XML) that gives it. */
    const char *page_in, *page_out;
    const char *tag_op, *untag_op; /* "CreateTags"/"DeleteTags", "TagResource"/"UntagResource" */
    const char *token_member;      /* creates' idempotency token: "ClientToken"; NULL: none */
    /* TagResource and UntagResource (resutil_retag for JSON APIs, resutil_set_tags for JSON
     * and query APIs: IAM's TagRole): the member naming the object, the tags member and the
     * names of a tag's key and value in it (NULL: the tags are a map), and the member listing
     * the keys to take off. NULL tag_target: the service's types tag with their own helpers
     * (EC2 and REST APIs). */
    const char *tag_target, *tags_member, *tag_key, *tag_value, *untag_keys;
    int tag_target_list; /* tag_target takes a list of one: ELBv2's ResourceArns */
    /* Whole codes that say the same as not_found or exists where the text is not in them (NULL:
     * none): ECS's ServiceNotActiveException, Cloud Map's DuplicateRequest. */
    const struct dialect_code *gone_codes, *exists_codes;
};

/* The row of a service id; NULL for a service without one. */
const struct dialect *dialect_of(const char *service);
/* An error code of one operation (op NULL: of any); a list of them ends with a NULL code. */
struct dialect_code {
    const char *op, *code;
};

/* Whether an error code of op says the object does not exist: it contains the row's
 * not_found text, or it is one of the row's gone_codes for op (0 for NULL or ""). */
int dialect_not_found(const struct dialect *dl, const char *op, const char *code);
/* Likewise for "it already exists": the row's exists text, or one of its exists_codes. */
int dialect_exists(const struct dialect *dl, const char *op, const char *code);

/*
 * Calls sent by the dialect: how dialect_send takes an error the service's row names, and the
 * listings that page by its members.
 */
enum dialect_how {
    DIALECT_GONE_OK = 1 << 0,     /* "does not exist" means done: a delete, a detach */
    DIALECT_TELL_GONE = 1 << 1,   /* "does not exist" is an answer: DIALECT_GONE, d untouched
                                   * (the call's err says more) */
    DIALECT_TELL_EXISTS = 1 << 2, /* "already exists" likewise: DIALECT_EXISTS */
    DIALECT_JUST_MADE = 1 << 3    /* the object was just made, and the service (IAM) is eventually
                                   * consistent: "does not exist" is asked again after pauses,
                                   * 15 s in all */
};
enum { DIALECT_GONE = 1, DIALECT_EXISTS = 2 };

/* Send c (started, its input given) as how says: 0 done, DIALECT_GONE or DIALECT_EXISTS (with
 * DIALECT_TELL_*), or -1 with the AWS error in d. c keeps the answer, or the error. */
int dialect_send(struct session *s, struct apicall *c, unsigned how, struct diag *d);

/*
 * dialect_send of op of service with body (taken over; NULL: none): a JSON API's request, or
 * for a query API (IAM) its members flattened as the query protocol does (Tags.member.1.Key,
 * numbers and booleans as text). *out, when given, gets a JSON API's answer (a new reference;
 * NULL unless 0).
 */
int dialect_call(struct session *s, const char *service, const char *op, json_t *body, unsigned how,
                 json_t **out, struct diag *d);

/* The members of body (a JSON object) as a query request's (c started): a list's elements as
 * Name.member.N, an object's members as Name.Key, numbers and booleans as text. */
void dialect_params(struct apicall *c, const json_t *body);

/* After a page of c: whether there is another, the token moved from the answer to the request
 * by the members c's service's dialect names (under <Op>Result for query APIs). */
int dialect_next_page(struct apicall *c);

/* Called with each page of a listing (c holds the answer); -1 stops it (d says why). */
typedef int (*dialect_page_fn)(struct session *s, struct apicall *c, void *arg, struct diag *d);

/* Send c (started, its input given) as how says (dialect_send), then each next page
 * (dialect_next_page): fn for each answer. 0, DIALECT_GONE (with DIALECT_TELL_GONE: what c
 * lists under is gone), or -1 with d saying why; c is released either way. */
int dialect_pages(struct session *s, struct apicall *c, unsigned how, dialect_page_fn fn, void *arg,
                  struct diag *d);

/* Called for each item of a listing; -1 stops it (d says why). */
typedef int (*dialect_item_fn)(struct session *s, const json_t *item, void *arg, struct diag *d);

/* op of service (a JSON API) with body (taken over; NULL: {}), every page, fn for each item of
 * the answers' array items. 0, or -1 with d saying why. */
int dialect_list(struct session *s, const char *service, const char *op, json_t *body,
                 const char *items, dialect_item_fn fn, void *arg, struct diag *d);

/* dialect_list of a call already started (its input given: a REST path), released after. */
int dialect_each(struct session *s, struct apicall *c, const char *items, dialect_item_fn fn,
                 void *arg, struct diag *d);

/* Called for each item of a query API's listing (an XML element); -1 stops it (d says why). */
typedef int (*dialect_node_fn)(const struct xnode *item, void *arg, struct diag *d);

/* op of service (a query API) with the members of body (taken over; dialect_params), every
 * page: fn for each <member> of list (a path under <op>Result). 0, or -1 with d saying why. */
int dialect_query_list(struct session *s, const char *service, const char *op, json_t *body,
                       const char *list, dialect_node_fn fn, void *arg, struct diag *d);

/* dialect_send_codes' answer for an error it was told to expect. */
enum { DIALECT_CODE = 3 };

/*
 * dialect_send, and besides: an API error whose code is one of codes (NULL-terminated; NULL:
 * none) is DIALECT_CODE, d untouched (c's err says which). For a refusal the caller expects of
 * one call, which no code of the dialect names: EFS's MountTargetConflict of a create sent
 * again, a Backup plan that still has selections.
 */
int dialect_send_codes(struct session *s, struct apicall *c, unsigned how, const char *const *codes,
                       struct diag *d);

#endif
