/* ec2.subnet: a range of a VPC in one Availability Zone. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <string.h>

static const struct attr attrs[] = {
    {.name = "vpc_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .member = "vpcId",
     .doc = "The VPC the subnet is in."},
    {.name = "cidr_block",
     .type = VT_CIDR,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .member = "cidrBlock",
     .doc = "The subnet's IPv4 range, inside the VPC's, for example 10.0.1.0/24."},
    {.name = "availability_zone",
     .type = VT_AZ,
     .flags = ATTR_REPLACE,
     .member = "availabilityZone",
     .doc = "The Availability Zone of the subnet, for example us-east-1a; AWS picks one when "
            "omitted."},
    {.name = "map_public_ip_on_launch",
     .type = VT_BOOL,
     .flags = ATTR_LATER,
     .def = "false",
     .member = "mapPublicIpOnLaunch",
     .doc = "Whether network interfaces created in the subnet get a public IPv4 address."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "subnetId",
     .doc = "The subnet's ID (subnet-...)."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "subnetArn",
     .doc = "The subnet's ARN."},
    {0},
};

static int read_item(struct session *s, const struct xnode *item, void *arg, struct diag *d)
{
    (void)s, (void)d;
    ec2util_add_read(arg, &ec2_subnet_type, item, ec2util_read(attrs, item));
    return 0;
}

/* One DescribeSubnets (paginated) for all of the stack's subnets. */
static int subnet_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    return ec2util_describe(s, "DescribeSubnets", stack, "subnetSet", read_item, set, d);
}

static int set_public_ip(struct session *s, struct live_obj *o, int want, struct diag *d)
{
    if (ec2util_call(s, d, "ModifySubnetAttribute", "SubnetId", o->id, "MapPublicIpOnLaunch.Value",
                     want ? "true" : "false", NULL) < 0)
        return -1;
    json_object_set_new(o->attrs, "map_public_ip_on_launch", json_boolean(want));
    return 0;
}

/* CreateSubnet with its tags, then ModifySubnetAttribute when it maps public IPs. Ready when
 * DescribeSubnets says state "available". */
static int subnet_create(struct session *s, const struct restype_call *c, const json_t *desired,
                         struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    int want = resutil_want_bool(&ec2_subnet_type, desired, "map_public_ip_on_launch");
    int ret = -1;

    *out = NULL;
    if (resutil_check_required(&ec2_subnet_type, c->cairn_id, desired, d) < 0)
        return -1;
    apicall_init(&call, service_lookup("ec2"), "CreateSubnet");
    ec2util_create_params(&call, &ec2_subnet_type, c, desired);
    ec2util_tag_spec(&call, "subnet", c->tags);
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    if (!(*out = resutil_add_created(set, &ec2_subnet_type, c,
                                     ec2util_read(attrs, xdoc_child(call.xml->root, "subnet")), d)))
        goto out;
    if (want != resutil_want_bool(&ec2_subnet_type, (*out)->attrs, "map_public_ip_on_launch") &&
        set_public_ip(s, *out, want, d) < 0)
        goto out;
    ret = 0;
out:
    apicall_release(&call);
    return ret;
}

static int subnet_update(struct session *s, const struct restype_call *c, const json_t *desired,
                         struct live_obj *live, const char *const *changed, size_t nchanged,
                         struct diag *d)
{
    for (size_t i = 0; i < nchanged; i++) {
        if (strcmp(changed[i], "tags") == 0) {
            if (ec2util_update_tags(s, c, desired, live, d) < 0)
                return -1;
        } else if (strcmp(changed[i], "map_public_ip_on_launch") == 0) {
            if (set_public_ip(s, live, resutil_want_bool(&ec2_subnet_type, desired, changed[i]),
                              d) < 0)
                return -1;
        } else {
            diag_error(d, NULL, "ec2.subnet %s: %s cannot change in place", live->id, changed[i]);
            return -1;
        }
    }
    return 0;
}

static const struct restype_ops ops = {
    .read = subnet_read,
    .create = subnet_create,
    .update = subnet_update,
    .remove = resutil_remove,
    .del = {.op = "DeleteSubnet", .member = "SubnetId"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeSubnets", NULL};
static const char *const write_actions[] = {"ec2:CreateSubnet", "ec2:ModifySubnetAttribute",
                                            "ec2:DeleteSubnet", "ec2:CreateTags",
                                            "ec2:DeleteTags",   NULL};

const struct restype ec2_subnet_type = {
    .name = "ec2.subnet",
    .service = "ec2",
    .doc = "A subnet: a range of a VPC's addresses in one Availability Zone, public or private "
           "depending on its route table.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
