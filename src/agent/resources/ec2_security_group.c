/* ec2.security_group: a stateful firewall, with all its rules inline. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <string.h>

static const char *const protocol_values[] = {"tcp", "udp", "icmp", "icmpv6", "-1", NULL};

/* One shape for ingress and egress: the group owns its rules whole. */
static const struct attr rule_fields[] = {
    {.name = "protocol",
     .type = VT_STRING,
     .def = "tcp",
     .values = protocol_values,
     .doc = "The IP protocol (IpProtocol); -1 means all traffic, on every port."},
    {.name = "port",
     .type = VT_PORT,
     .doc = "A single port: short for from_port and to_port both set to it."},
    {.name = "from_port",
     .type = VT_INT,
     .min = -1,
     .max = 65535,
     .doc = "The first port of the range, or the ICMP type (-1 for all)."},
    {.name = "to_port",
     .type = VT_INT,
     .min = -1,
     .max = 65535,
     .doc = "The last port of the range, or the ICMP code (-1 for all)."},
    {.name = "cidr_blocks",
     .type = VT_LIST,
     .elem = VT_CIDR,
     .doc = "IPv4 ranges the rule allows traffic from (ingress) or to (egress)."},
    {.name = "source_security_group",
     .type = VT_STRING,
     .ref_type = "ec2.security_group",
     .doc = "A security group whose members the rule allows (in an egress rule: the destination "
            "group)."},
    {.name = "description",
     .type = VT_STRING,
     .doc = "What the rule is for, up to 255 characters."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .member = "groupName",
     .doc = "The group's name (GroupName), unique in the VPC; it may not start with sg-."},
    {.name = "description",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .member = "groupDescription",
     .doc = "What the group is for, up to 255 characters; AWS cannot change it later."},
    {.name = "vpc_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .member = "vpcId",
     .doc = "The VPC the group belongs to."},
    {.name = "ingress",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = rule_fields,
     .doc = "The inbound rules: exactly these, so a rule added outside cairn is drift."},
    {.name = "egress",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = rule_fields,
     .def = "[{\"protocol\": \"-1\", \"cidr_blocks\": [\"0.0.0.0/0\"]}]",
     .doc = "The outbound rules; when omitted, AWS's default rule allowing all outbound traffic, "
            "and an empty list allows none."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "groupId",
     .doc = "The security group's ID (sg-...)."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "securityGroupArn",
     .doc = "The security group's ARN."},
    {0},
};

/* The two directions: the attribute, and the API's names for them. */
static const struct direction {
    const char *attr, *xml, *authorize, *revoke;
} dirs[] = {
    {"ingress", "ipPermissions", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"},
    {"egress", "ipPermissionsEgress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"},
};
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))

/* The rules desired asks for in one direction, canonical. Egress left out is the table's
 * default: the allow-all rule AWS gives every new group. */
static json_t *want_rules(const json_t *desired, const struct direction *dir)
{
    json_t *v = resutil_want_json(&ec2_security_group_type, desired, dir->attr);
    json_t *out = ec2util_rules_normalize(json_is_array(v) ? v : NULL);

    json_decref(v);
    return out;
}

/* The read's item hook: the rules of a DescribeSecurityGroups item, in canonical form
 * (ec2util.h). */
static int read_rules(struct session *s, const struct xnode *item, json_t *got, struct diag *d)
{
    (void)s, (void)d;
    for (size_t i = 0; i < NDIRS; i++)
        json_object_set_new(got, dirs[i].attr, ec2util_rules_read(xdoc_child(item, dirs[i].xml)));
    return 1;
}

/* Authorize or revoke (op) rules on group id; no call when there are none. */
static int send_rules(struct session *s, const char *op, const char *id, const json_t *rules,
                      struct diag *d)
{
    struct apicall c;
    int ret = 0;

    apicall_init(&c, service_lookup("ec2"), op);
    apicall_param(&c, "GroupId", id);
    if (ec2util_ip_permissions(&c, "IpPermissions", rules) > 0 && session_call(s, &c, d) != CALL_OK)
        ret = -1;
    apicall_release(&c);
    return ret;
}

/* The rules without their descriptions: which (protocol, ports, source) slots they use. */
static json_t *slots(const json_t *rules)
{
    json_t *bare = json_deep_copy(rules), *r, *out;
    size_t i;

    json_array_foreach(bare, i, r)
    {
        json_object_del(r, "description");
    }
    out = ec2util_rules_normalize(bare);
    json_decref(bare);
    return out;
}

/*
 * Bring one direction of group o from its live rules to want (canonical), authorizing and
 * revoking only the difference. New rules go first, so traffic that stays allowed never
 * stops; when a rule changes only its description, AWS would call the new one a duplicate of
 * the old, so then the old ones are revoked first.
 */
static int set_rules(struct session *s, struct live_obj *o, const struct direction *dir,
                     const json_t *want, struct diag *d)
{
    const json_t *have = json_object_get(o->attrs, dir->attr);
    json_t *add = ec2util_rules_minus(want, have), *del = ec2util_rules_minus(have, want);
    json_t *add_slots = slots(add), *del_slots = slots(del);
    json_t *apart = ec2util_rules_minus(add_slots, del_slots);
    int revoke_first = !json_equal(apart, add_slots), ret = -1;

    if (revoke_first && send_rules(s, dir->revoke, o->id, del, d) < 0)
        goto out;
    if (send_rules(s, dir->authorize, o->id, add, d) < 0)
        goto out;
    if (!revoke_first && send_rules(s, dir->revoke, o->id, del, d) < 0)
        goto out;
    json_object_set_new(o->attrs, dir->attr, json_deep_copy(want));
    ret = 0;
out:
    json_decref(add);
    json_decref(del);
    json_decref(add_slots);
    json_decref(del_slots);
    json_decref(apart);
    return ret;
}

/* The setter of one direction (row->arg: its struct direction). */
static int set_direction(struct session *s, const struct restype_call *c, const json_t *desired,
                         struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    json_t *want = want_rules(desired, row->arg);
    int ret = set_rules(s, o, row->arg, want, d);

    (void)c;
    json_decref(want);
    return ret;
}

static const struct resutil_setter setters[] = {
    {"tags", ec2util_update_tags, RESUTIL_EACH, NULL},
    {"ingress", set_direction, RESUTIL_EACH, &dirs[0]},
    {"egress", set_direction, RESUTIL_EACH, &dirs[1]},
    {0},
};

/* The name CreateSecurityGroup gives: the physical name, or the stack file's. */
static const char *name_of(const struct restype_call *c, const json_t *desired)
{
    return c->physical_name ? c->physical_name
                            : resutil_want_str(&ec2_security_group_type, desired, "name");
}

/* Before CreateSecurityGroup (GroupName is the table's name attribute): a name to give. */
static int params(struct session *s, struct apicall *call, const struct restype_call *c,
                  const json_t *desired, struct diag *d)
{
    (void)s, (void)call;
    if (name_of(c, desired))
        return 0;
    diag_error(d, NULL, "ec2.security_group %s: no name to give it", c->cairn_id);
    return -1;
}

/* After CreateSecurityGroup, whose response has the id, the ARN and (in AWS, not moto) the tags:
 * the rules, ingress authorized, egress brought from AWS's default allow-all rule to the desired
 * rules (the default rule revoked unless desired keeps it). */
static int made(struct session *s, const struct restype_call *c, const json_t *desired,
                struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    (void)row;
    json_object_set_new(o->attrs, "name", json_string(name_of(c, desired)));
    json_object_set(o->attrs, "description", json_object_get(desired, "description"));
    json_object_set(o->attrs, "vpc_id", json_object_get(desired, "vpc_id"));
    json_object_set_new(o->attrs, "ingress", json_array());
    json_object_set_new(o->attrs, "egress", want_rules(NULL, &dirs[1]));
    for (size_t i = 0; i < NDIRS; i++)
        if (set_direction(s, c, desired, o, &setters[1 + i], d) < 0)
            return -1;
    return 0;
}

/* One DescribeSecurityGroups (paginated): the rules come with the groups. CreateSecurityGroup
 * with its tags, then made(). Ready at once. */
static const struct ec2util_kind kind = {
    .describe = "DescribeSecurityGroups",
    .set = "securityGroupInfo",
    .create = "CreateSecurityGroup",
    .tag_type = "security-group",
    .item = read_rules,
    .params = params,
    .made = made,
};

/* What unreference_item() looks for. */
struct unref {
    const char *group; /* the group being deleted */
};

/* Revoke the rules of another group of the stack that name u->group as their source. */
static int unreference_item(struct session *s, const struct xnode *item, void *arg, struct diag *d)
{
    const struct unref *u = arg;
    const char *id = xdoc_text(item, "groupId");

    if (!id || strcmp(id, u->group) == 0)
        return 0;
    for (size_t i = 0; i < NDIRS; i++) {
        json_t *rules = ec2util_rules_read(xdoc_child(item, dirs[i].xml)), *r, *refs = json_array();
        size_t j;
        int rc;
        json_array_foreach(rules, j, r)
        {
            const char *src = json_string_value(json_object_get(r, "source_security_group"));
            if (src && strcmp(src, u->group) == 0)
                json_array_append(refs, r);
        }
        rc = send_rules(s, dirs[i].revoke, id, refs, d);
        json_decref(rules);
        json_decref(refs);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/*
 * DeleteSecurityGroup. AWS refuses (DependencyViolation) while a rule of another group names
 * this one; then the rules of the stack's other groups that do are revoked (one
 * DescribeSecurityGroups, one revoke per group and direction that has such rules) and the
 * delete is tried once more. Groups outside the stack are not touched: if one of them still
 * refers to this group, AWS's refusal is the answer.
 */
static int sg_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    struct apicall c;
    struct diag first;
    struct unref u = {live->id};
    const char *stack = resutil_stack_of(live->attrs);
    enum call_result rc;
    int ret = -1;

    (void)how;
    diag_init(&first);
    apicall_init(&c, service_lookup("ec2"), "DeleteSecurityGroup");
    apicall_param(&c, "GroupId", live->id);
    if ((rc = session_call(s, &c, &first)) == CALL_OK) {
        ret = 0;
        goto out;
    }
    if (rc != CALL_ERR_API || strcmp(c.err.code, "DependencyViolation") != 0 || !stack) {
        diag_error(d, NULL, "%s", diag_last(&first));
        goto out;
    }
    if (ec2util_describe(s, "DescribeSecurityGroups", stack, "securityGroupInfo", unreference_item,
                         &u, d) < 0)
        goto out;
    ret = ec2util_call(s, d, "DeleteSecurityGroup", "GroupId", live->id, NULL);
out:
    apicall_release(&c);
    diag_release(&first);
    return ret;
}

/* Rule lists compare in canonical form: one source per rule, port spelled one way. */
static json_t *sg_normalize(const char *attr, const json_t *v)
{
    if (strcmp(attr, "ingress") != 0 && strcmp(attr, "egress") != 0)
        return NULL;
    return ec2util_rules_normalize(v);
}

static const struct restype_ops ops = {
    .read = ec2util_read_kind,
    .kind = &kind,
    .create = ec2util_create,
    .setters = setters,
    .remove = sg_remove,
    .normalize = sg_normalize,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeSecurityGroups", NULL};
static const char *const write_actions[] = {"ec2:CreateSecurityGroup",
                                            "ec2:AuthorizeSecurityGroupIngress",
                                            "ec2:AuthorizeSecurityGroupEgress",
                                            "ec2:RevokeSecurityGroupIngress",
                                            "ec2:RevokeSecurityGroupEgress",
                                            "ec2:DeleteSecurityGroup",
                                            NULL};

const struct restype ec2_security_group_type = {
    .name = "ec2.security_group",
    .service = "ec2",
    .doc = "A security group: a stateful firewall for network interfaces, with its inbound and "
           "outbound rules.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 255,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
