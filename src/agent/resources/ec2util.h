/*
 * What the EC2 resource types share: finding a stack's objects with one
 * tag-filtered, paginated Describe; TagSpecifications on creates and
 * CreateTags/DeleteTags on updates; reading an item of a Describe response
 * into attributes named as the type's table; and security-group rules, which
 * AWS groups by protocol and ports while cairn compares them one source at a
 * time.
 *
 * Rules in canonical form (ec2util_rules_normalize, ec2util_rules_read): each
 * rule has exactly one kind of source (cidr_blocks, ipv6_cidr_blocks,
 * prefix_list_ids or source_security_group); protocol is always present and
 * spelled as AWS answers it ("tcp", "udp", "icmp", "icmpv6", "-1", or a
 * number); "-1" has no ports; tcp and udp with one port say `port`, ranges and
 * other protocols say from_port/to_port; an empty description is none; rules
 * that differ only in their CIDR-like sources are merged (sorted, without
 * duplicates); the list is sorted by protocol, ports, source and description.
 * Two rule lists allow the same traffic exactly when their canonical forms
 * are json_equal. ipv6_cidr_blocks and prefix_list_ids are not in the table:
 * they appear only in rules read from AWS (added outside cairn), so that
 * such a rule is a difference and can be revoked.
 */
#ifndef CAIRN_EC2UTIL_H
#define CAIRN_EC2UTIL_H

#include <jansson.h>

#include "agent/live.h"
#include "agent/restype.h"
#include "agent/resources/resutil.h"
#include "aws/apicall.h"
#include "core/diag.h"
#include "core/xdoc.h"

struct session;

/* Filter.<n>.Name=tag:cairn:stack, Filter.<n>.Value.1=<stack>. */
void ec2util_stack_filter(struct apicall *c, int n, const char *stack);

/*
 * TagSpecification.1.ResourceType=<rtype> and TagSpecification.1.Tag.<i>.Key/Value
 * for every tag of tags (an object of strings), in key order. Nothing when tags
 * is NULL or empty.
 */
void ec2util_tag_spec(struct apicall *c, const char *rtype, const json_t *tags);

/* The item's tagSet as an object of strings (new reference; {} when none). */
json_t *ec2util_tags(const struct xnode *item);
/* The value of the tag key in the item's tagSet, or NULL. */
const char *ec2util_tag(const struct xnode *item, const char *key);

/*
 * The attributes of a Describe item by the table's members (struct attr member: an element
 * under the item, "cidrBlock", "attachmentSet/item/vpcId"): each whose element is present and
 * not empty, booleans and integers as the table types them, and "tags" when the item has a
 * tagSet. A new object.
 */
json_t *ec2util_read(const struct attr *table, const struct xnode *item);

/* The create parameters of type t (resutil_create_value) as query members: the attribute's
 * member capitalized (cidrBlock -> CidrBlock), booleans and integers spelled out. */
void ec2util_create_params(struct apicall *c, const struct restype *t,
                           const struct restype_call *rc, const json_t *desired);

/* Called for each object a Describe returns. */
typedef int (*ec2util_item_fn)(struct session *s, const struct xnode *item, void *arg,
                               struct diag *d);

/*
 * One Describe operation op filtered by cairn:stack=stack, every page of it
 * (NextToken), fn called for each <set>/<item> whose tags do say
 * cairn:stack=stack (checked again here: the filter is the API's promise, not
 * ours, and moto's DescribeNatGateways ignores tag filters).
 */
int ec2util_describe(struct session *s, const char *op, const char *stack, const char *set,
                     ec2util_item_fn fn, void *arg, struct diag *d);

/*
 * A tagged EC2 type as data, for the generic read and create (ec2util_read_kind,
 * ec2util_create): its Describe and the answer's list, its Create and where the answer puts the
 * new object, and hooks for what the table's members do not say.
 */
struct ec2util_kind {
    const char *describe, *set;   /* "DescribeVpcs", "vpcSet" */
    const char *create, *created; /* "CreateVpc", "vpc": the answer's element (NULL: its root) */
    const char *tag_type;         /* TagSpecification's ResourceType: "vpc" */
    int token;                    /* the create takes ClientToken: c->token */
    /* An item's <state> while the object is still being made (a NAT gateway's "pending"): an
     * object read in it is pending, and what depends on it waits. NULL: none. */
    const char *pending;
    /* A read's item beyond the table's members, into got: 1 keep it, 0 leave it out, -1
     * failed (d says why). NULL: the table's members are all. */
    int (*item)(struct session *s, const struct xnode *item, json_t *got, struct diag *d);
    /* Create parameters beyond the table's (sent before the token and tags): 0, or -1 with d
     * saying why and nothing sent. */
    int (*params)(struct session *s, struct apicall *call, const struct restype_call *c,
                  const json_t *desired, struct diag *d);
    /* After the create, on the new object in the set: what the create does not take (often
     * the setter an update uses for it; called with no row). */
    resutil_set_fn made;
};

/* Every object of kind k of the stack (ec2util_describe), read by the table's members and k's
 * item hook, into set with its cairn:id tag as cairn_id. */
int ec2util_read_kind(struct session *s, const struct restype *t, const char *stack,
                      struct live_set *set, struct diag *d);

/*
 * Create<k>: the required attributes checked, then the table's parameters
 * (ec2util_create_params), k's own, ClientToken when k takes one and the tags
 * (TagSpecification); the answer's object, read by the table's members, is added to set (*out)
 * and k's made hook finishes it.
 */
int ec2util_create(struct session *s, const struct restype_call *c, const json_t *desired,
                   struct live_set *set, struct live_obj **out, struct diag *d);

/*
 * Send op with the name/value pairs that follow, up to a NULL name, and drop
 * the response. Returns 0, or -1 with the AWS error in d.
 */
int ec2util_call(struct session *s, struct diag *d, const char *op, ...) __attribute__((sentinel));

/*
 * Bring the tags of resource id from have to want (objects of strings, NULL
 * for none): DeleteTags for the keys want lacks, CreateTags for the keys whose
 * value is new or differs. Keys starting with aws: are never touched. No call
 * when nothing differs.
 */
int ec2util_retag(struct session *s, const char *id, const json_t *have, const json_t *want,
                  struct diag *d);

/*
 * The setter (resutil_setter) of "tags": ec2util_retag from live's tags to c->tags (or
 * desired's tags when c has none) plus cairn:stack and cairn:id from c, which are never
 * dropped; live's attributes follow.
 */
int ec2util_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *live, const struct resutil_setter *row, struct diag *d);

/* The setters (struct restype_ops setters, with resutil_update) of a type whose only attribute
 * that changes in place is tags (an EIP, a route table): ec2util_update_tags. */
extern const struct resutil_setter ec2util_tags_only[];

/* Canonical form of a list of rules in the table's shape (new reference; [] for NULL). */
json_t *ec2util_rules_normalize(const json_t *rules);
/* The rules of an ipPermissions or ipPermissionsEgress element, in canonical form. */
json_t *ec2util_rules_read(const struct xnode *perms);
/* What a allows that b does not, source by source, in canonical form. */
json_t *ec2util_rules_minus(const json_t *a, const json_t *b);
/* Whether two rule lists allow exactly the same traffic. */
int ec2util_rules_equal(const json_t *a, const json_t *b);
/*
 * Encode rules as <prefix>.<i>.IpProtocol, FromPort, ToPort, IpRanges.<j>.CidrIp,
 * Groups.<j>.GroupId, ... (Authorize/RevokeSecurityGroupIngress/Egress take
 * "IpPermissions"). Returns how many permissions were added.
 */
int ec2util_ip_permissions(struct apicall *c, const char *prefix, const json_t *rules);

#endif
