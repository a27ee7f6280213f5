/*
 * What Cloud Map's types (private DNS namespace, service) share: tags by ARN
 * (ListTagsForResource, TagResource, UntagResource), the stack's private DNS
 * namespaces (which services are listed through), and the asynchronous
 * operations namespaces and service updates go through (GetOperation until
 * SUCCESS or FAIL).
 */
#ifndef CAIRN_SDUTIL_H
#define CAIRN_SDUTIL_H

#include <jansson.h>

#include "agent/live.h"
#include "agent/restype.h"
#include "core/diag.h"

struct session;
struct apicall;
struct resutil_setter;

/*
 * The tag that records a namespace's VPC. Cloud Map never says which VPC a private namespace
 * is in (only Route 53's GetHostedZone does), so cairn puts the VPC it asked for in this tag
 * when it creates the namespace, and reads the namespace's vpc from it.
 */
#define SDUTIL_TAG_VPC "cairn:vpc"

/* Bring live's tags (found by its "arn") to those c and desired want, with TagResource and
 * UntagResource; cairn:stack, cairn:id and the VPC tag are always kept. live's "tags" follow. */
int sdutil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_obj *live, const struct resutil_setter *row, struct diag *d);

/* Called for each item a listing finds, with its tags. Return -1 to stop (d says why). */
typedef int (*sdutil_item_fn)(struct session *s, const json_t *item, const json_t *tags, void *arg,
                              struct diag *d);

/*
 * Every page of a listing (ListNamespaces, ListServices: op) filtered by filter = value, and
 * ListTagsForResource per item of its list items: the lists carry no tags. fn is called for
 * each item with an ARN whose member check, when it has one, is value (the filter checked
 * again: moto applies none).
 */
int sdutil_list(struct session *s, const char *op, const char *filter, const char *value,
                const char *items, const char *check, sdutil_item_fn fn, void *arg, struct diag *d);

/* Every private DNS namespace tagged cairn:stack=stack: one ListNamespaces (type DNS_PRIVATE,
 * paginated) and one ListTagsForResource per namespace it lists. */
int sdutil_namespaces(struct session *s, const char *stack, sdutil_item_fn fn, void *arg,
                      struct diag *d);

/* What a create looks for among the stack's namespaces (by sdutil_namespaces) when Cloud Map
 * says it exists: the object tagged as this resource named name (a service: in namespace_id);
 * got its attributes. */
struct sdutil_wanted {
    const char *cairn_id, *name, *namespace_id;
    json_t *got;
};

/* How a type's create goes (sdutil_create). */
struct sdutil_kind {
    const struct restype *type;
    const char *create; /* "CreateService" */
    /* Called for each namespace of the stack with a struct sdutil_wanted: sets its got. */
    sdutil_item_fn find;
    /* The new object's attributes (tags: the tags it was given) from the create's answer,
     * with the calls that takes; NULL with d saying why. */
    json_t *(*made)(struct session *s, const struct restype_call *c, const struct apicall *call,
                    const json_t *desired, const json_t *tags, struct diag *d);
};

/*
 * k's create of type, after the checks every create makes (required attributes, a name): body
 * (taken over) with c's token as CreatorRequestId, and k's made of the answer. When Cloud Map
 * refuses because it exists (or the same request is still under way: a create sent again),
 * k's find looks for it among the stack's namespaces (this resource, by the name the create
 * gave and the desired namespace_id) and it is adopted. *out: the object, added to set.
 */
int sdutil_create(struct session *s, const struct sdutil_kind *k, const struct restype_call *c,
                  const json_t *desired, json_t *body, const json_t *tags, struct live_set *set,
                  struct live_obj **out, struct diag *d);

/* Send update op with body (taken over) for live, and wait for its operation (sdutil_wait) at
 * most limit seconds. 0, or -1 with d. */
int sdutil_update(struct session *s, const struct live_obj *live, const char *op, json_t *body,
                  unsigned limit, struct diag *d);

/* live's description as desired says (none: left out). */
void sdutil_set_description(struct live_obj *live, const json_t *desired);

/*
 * Wait for operation id (GetOperation, with pauses growing from 0.25 s to 5 s) for at most
 * limit seconds: 0 once it succeeded, with *targets (when not NULL) a new copy of its Targets
 * ({"NAMESPACE": "ns-..."}); -1 when it failed (with AWS's ErrorCode and ErrorMessage), could
 * not be read, or took too long. what names the object for the messages.
 */
int sdutil_wait(struct session *s, const char *what, const char *id, unsigned limit,
                json_t **targets, struct diag *d);

#endif
