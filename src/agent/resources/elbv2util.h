/*
 * What the Elastic Load Balancing (v2) types share. ELBv2 speaks the query
 * protocol with XML answers whose lists are <member> elements, and its
 * Describe calls take no tag filter: a stack's objects are found by listing
 * (Marker/NextMarker pages) and reading the tags of each page with
 * DescribeTags, at most 20 ARNs per call. Tags are AddTags/RemoveTags on
 * updates, Tags.member.N on creates. Listener default actions and listener
 * rule actions have one shape (elbv2_listener_action_fields), encoded and
 * read here.
 */
#ifndef CAIRN_ELBV2UTIL_H
#define CAIRN_ELBV2UTIL_H

#include <jansson.h>

#include "agent/live.h"
#include "agent/restype.h"
#include "agent/resources/resutil.h"
#include "aws/apicall.h"
#include "core/diag.h"
#include "core/xdoc.h"

struct session;

/* An apicall of the elbv2 service. */
void elbv2util_init(struct apicall *c, const char *op);

/*
 * Send op with the name/value pairs that follow, up to a NULL name, and drop
 * the response. 0, or -1 with the AWS error in d.
 */
int elbv2util_call(struct session *s, struct diag *d, const char *op, ...)
    __attribute__((sentinel));

/* Whether a failed call's error says the object does not exist (LoadBalancerNotFound,
 * TargetGroupNotFound, ListenerNotFound, RuleNotFound). */
int elbv2util_not_found(const struct apicall *c);

/* Tags.member.<i>.Key/Value for every tag of tags (an object of strings) in key order,
 * aws:* keys left out. */
void elbv2util_tag_params(struct apicall *c, const json_t *tags);

/*
 * The tags of every ARN of arns (an array of strings): DescribeTags, 20 ARNs a
 * call. *out gets an object ARN -> {key: value}. 0, or -1 with d saying why.
 */
int elbv2util_tags(struct session *s, const json_t *arns, json_t **out, struct diag *d);

/* Called for each object a listing finds, with its tags. */
typedef int (*elbv2util_item_fn)(struct session *s, const struct xnode *item, const json_t *tags,
                                 void *arg, struct diag *d);

/*
 * Every page of c (an elbv2 Describe call with its members set: DescribeRules'
 * ListenerArn...), with the tags of each page's <list>/member (ARN in the
 * element arn_elem): fn is called for each one whose tags say cairn:stack=stack
 * (every one when stack is NULL). DescribeTags is sent only for pages with
 * members. A listener's default rule (IsDefault true) is left out: it belongs
 * to the listener and is not tagged. 0, or -1 with d saying why; c keeps the
 * last answer (or error).
 */
int elbv2util_list(struct session *s, struct apicall *c, const char *list, const char *arn_elem,
                   const char *stack, elbv2util_item_fn fn, void *arg, struct diag *d);

/*
 * The ARNs of the stack's load balancers (a new array): every page of
 * DescribeLoadBalancers and DescribeTags of each page. What listeners and
 * rules are read through.
 */
int elbv2util_stack_load_balancers(struct session *s, const char *stack, json_t **arns,
                                   struct diag *d);

/*
 * Bring the tags of arn from have to want: RemoveTags for the keys want lacks,
 * AddTags for those new or changed; aws:* keys untouched; no call when nothing
 * differs.
 */
int elbv2util_retag(struct session *s, const char *arn, const json_t *have, const json_t *want,
                    struct diag *d);
/* Update for the changed attribute "tags": live's tags to c's (plus cairn:stack and cairn:id,
 * never dropped); live's attributes follow. */
int elbv2util_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                          struct live_obj *live, struct diag *d);

/* The texts of the members of the list at path under n ("SecurityGroups"), or of their
 * element field ("AvailabilityZones", "SubnetId"; NULL: the member's own text), as an
 * array. */
json_t *elbv2util_strings(const struct xnode *n, const char *path, const char *field);

/* The Key/Value pairs of an <Attributes> list as an object of strings (new; {} for NULL). */
json_t *elbv2util_attributes(const struct xnode *attributes);
/*
 * One Describe...Attributes call (op, with the object's ARN as member: "LoadBalancerArn"):
 * its Key/Value pairs in *kv (new), as elbv2util_attributes gives them. 0, or -1 with d.
 */
int elbv2util_read_attributes(struct session *s, const char *op, const char *member,
                              const char *arn, json_t **kv, struct diag *d);

/* The object a Describe or Create answer lists first: <Op>Result/<list>/member. */
const struct xnode *elbv2util_first(const struct apicall *c, const char *list);

/* How to find a load balancer or target group by name, to adopt it after a create that
 * says it exists (or repeats it). */
struct elbv2util_named {
    const char *describe; /* "DescribeLoadBalancers" */
    const char *list;     /* "LoadBalancers" */
    const char *arn;      /* "LoadBalancerArn" */
    json_t *(*parse)(const struct xnode *m);
    /* Adds what the Describe leaves out (the attributes call) to got. */
    int (*attributes)(struct session *s, const char *arn, json_t *got, struct diag *d);
};

/*
 * The object of that kind called name, if there is one (names are unique in an account and
 * region): 1 with *got (its attributes, tags and the attributes call's), 0 when there is
 * none, -1 on another error.
 */
int elbv2util_find_named(struct session *s, const struct elbv2util_named *k, const char *name,
                         json_t **got, struct diag *d);

/*
 * An action in the table's shape (elbv2_listener_action_fields) as
 * <prefix>.Type, .TargetGroupArn, .FixedResponseConfig.*, .RedirectConfig.*
 * (prefix "DefaultActions.member.1", "Actions.member.1").
 */
void elbv2util_action_params(struct apicall *c, const char *prefix, const json_t *action);

/*
 * The action of a <DefaultActions> or <Actions> list in the table's shape: the
 * last one (after an authenticate action comes the one that answers). A
 * forward action's target group is TargetGroupArn, or the only one of its
 * ForwardConfig. New object; NULL when the list is empty.
 */
json_t *elbv2util_action_read(const struct xnode *actions);

/* An action's canonical form: numbers AWS takes as text (status_code, redirect port) as
 * text. New reference. */
json_t *elbv2util_action_normalize(const json_t *action);

#endif
