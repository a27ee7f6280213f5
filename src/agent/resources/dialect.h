/*
 * How each AWS service cairn manages speaks, as data: one row per service
 * naming how it says "not found" and "already exists", how it pages, how it
 * tags and untags, and which request member carries an idempotency token.
 * Generic operations read it instead of repeating each service's habits in
 * every type file: resutil_remove() (a delete where not-found means done)
 * and resutil_retag() (TagResource and UntagResource of the difference).
 *
 * The codes are those of the services' API references (botocore's models
 * list them under each operation's errors): every not-found code of a
 * service contains its not_found text (EC2 InvalidVpcID.NotFound and
 * NatGatewayNotFound, ELBv2 LoadBalancerNotFound, ECS
 * ClusterNotFoundException, IAM NoSuchEntity, ...), and likewise for exists.
 */
#ifndef CAIRN_DIALECT_H
#define CAIRN_DIALECT_H

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

#endif
