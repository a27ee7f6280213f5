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

/* Whether a failed call's error says the object does not exist (LoadBalancerNotFound,
 * TargetGroupNotFound, ListenerNotFound, RuleNotFound), as the dialect table says. */
int elbv2util_not_found(const struct apicall *c);

/* Called for each object a listing finds, with its tags. */
typedef int (*elbv2util_item_fn)(struct session *s, const struct xnode *item, const json_t *tags,
                                 void *arg, struct diag *d);

/*
 * The ARNs of the stack's load balancers (a new array): every page of
 * DescribeLoadBalancers and DescribeTags of each page. What listeners and
 * rules are read through.
 */
int elbv2util_stack_load_balancers(struct session *s, const char *stack, json_t **arns,
                                   struct diag *d);

/* The ARNs of the listeners of load balancer lb (DescribeListeners, every page; no tags) onto
 * out. A load balancer deleted since it was listed has none. */
int elbv2util_listeners(struct session *s, const char *lb, json_t *out, struct diag *d);

/* The texts of the members of the list at path under n ("SecurityGroups"), or of their
 * element field ("AvailabilityZones", "SubnetId"; NULL: the member's own text), as an
 * array. */
json_t *elbv2util_strings(const struct xnode *n, const char *path, const char *field);

/* The object a Describe or Create answer lists first: <Op>Result/<list>/member. */
const struct xnode *elbv2util_first(const struct apicall *c, const char *list);

/* A list of strings as <name>.member.<i>; an empty list as <name> alone (the query protocol's
 * spelling of []). */
void elbv2util_list_params(struct apicall *c, const char *name, const json_t *list);

/*
 * The attributes of a Describe or Create answer's member by the table's members (struct attr
 * member: an element or path under it, "Matcher/HttpCode"): scalars whose element is there and
 * not empty, typed as the table says; a list of strings (its <member> texts) always, [] when
 * absent. ATTR_LATER attributes are left out: their members are keys of the object's
 * attributes call (elbv2util_kind). A new object.
 */
json_t *elbv2util_read(const struct attr *table, const struct xnode *item);

/* A scalar as the text a query parameter takes (numbers and booleans spelled out); NULL for
 * anything else. buf holds what needs it. */
const char *elbv2util_text(const json_t *v, char *buf, size_t n);

/*
 * A named object with attributes of its own (a load balancer, a target group): found by
 * listing, by name when a create looks for one it made before, and with settings that are no
 * Describe's but its Describe<attributes> and Modify<attributes> calls' (the table's
 * ATTR_LATER attributes, whose members are those calls' keys).
 */
struct elbv2util_kind {
    const struct restype *type;
    const char *describe;   /* "DescribeLoadBalancers" */
    const char *list;       /* "LoadBalancers" */
    const char *arn;        /* "LoadBalancerArn": the answer's element and the requests' member */
    const char *create;     /* "CreateLoadBalancer" */
    const char *attributes; /* "LoadBalancerAttributes" */
    /* What the table's members do not map, from a member of list into got. */
    void (*parse)(const struct xnode *m, json_t *got);
    /* The create's parameters the table's members do not give. */
    void (*params)(struct apicall *c, const json_t *desired);
};

/* The attributes of a member of k's list (no ATTR_LATER ones yet). A new object. */
json_t *elbv2util_parse(const struct elbv2util_kind *k, const struct xnode *m);

/* Every object of kind k of the stack (listed and tagged as the load balancers are: every
 * page, DescribeTags per 20 or the tag index), with one Describe<attributes> each,
 * into set. */
int elbv2util_read_kind(struct session *s, const struct restype *t, const char *stack,
                        struct live_set *set, struct diag *d);

/*
 * One Modify<attributes> call for arn with the ATTR_LATER attributes of desired (or their
 * defaults): every one, or only the attribute only names. got (when not NULL) takes the values
 * sent.
 */
int elbv2util_set_attributes(struct session *s, const struct elbv2util_kind *k, const char *arn,
                             const json_t *desired, const char *only, json_t *got, struct diag *d);

/* The setter (resutil_setter; arg: the struct elbv2util_kind) of the ATTR_LATER attributes:
 * elbv2util_set_attributes of every one, into live's. */
int elbv2util_update_attributes(struct session *s, const struct restype_call *c,
                                const json_t *desired, struct live_obj *live,
                                const struct resutil_setter *row, struct diag *d);

/*
 * Create<k> with the table's parameters, k's own and the tags, then Modify<attributes>. AWS
 * answers a create repeated with the same settings with the same object, but moto makes a
 * second one (or refuses the name), so the name is looked up first (one Describe by name, and
 * DescribeTags when it exists): an object of that name tagged as this resource of this stack
 * is adopted as it is; one that is not is an error.
 */
int elbv2util_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d);

/*
 * A child of a load balancer (a listener) or of a listener (a rule): listed per parent (every
 * one: the parent owns them whole), made under it, and modified by one call that takes every
 * setting.
 */
struct elbv2util_child {
    const struct restype *type;
    const char *parent_attr;                /* "load_balancer_arn" */
    const char *parent_member;              /* "LoadBalancerArn": what Describe and Create take */
    const char *list, *arn;                 /* "Listeners", "ListenerArn" */
    const char *describe, *create, *modify; /* "DescribeListeners", ... */
    /* The attributes of a member of list under parent (no tags). */
    json_t *(*parse)(const struct xnode *m, const char *parent);
    /* The settings Create and Modify both take; with create, those only Create takes too. */
    void (*params)(struct apicall *c, const json_t *desired, int create);
};

/* Every child of parent (every page, DescribeTags per 20); a parent deleted since it was
 * listed has none. */
int elbv2util_each_child(struct session *s, const struct elbv2util_child *k, const char *parent,
                         elbv2util_item_fn fn, void *arg, struct diag *d);

/* The children of every parent of parents (an array of ARNs) into set: the stack's, and as
 * extras the untagged (resutil_add_child). */
int elbv2util_read_children(struct session *s, const struct elbv2util_child *k, const char *stack,
                            const json_t *parents, struct live_set *set, struct diag *d);

/* Create<k> under desired's parent with k's params and the tags, and add it to set. */
int elbv2util_create_child(struct session *s, const struct elbv2util_child *k,
                           const struct restype_call *c, const json_t *desired,
                           struct live_set *set, struct live_obj **out, struct diag *d);

/* The setter (resutil_setter; arg: the struct elbv2util_child) of a child's settings:
 * Modify<child> of live with its params from desired; live's attributes follow AWS's answer. */
int elbv2util_modify_child(struct session *s, const struct restype_call *c, const json_t *desired,
                           struct live_obj *live, const struct resutil_setter *row, struct diag *d);

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
