/* ec2.subnet: a range of a VPC in one Availability Zone. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"

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

/* The setter of map_public_ip_on_launch (ModifySubnetAttribute). */
static int set_public_ip(struct session *s, const struct restype_call *c, const json_t *desired,
                         struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    int want = resutil_want_bool(&ec2_subnet_type, desired, "map_public_ip_on_launch");

    (void)c, (void)row;
    if (ec2util_call(s, d, "ModifySubnetAttribute", "SubnetId", o->id, "MapPublicIpOnLaunch.Value",
                     want ? "true" : "false", NULL) < 0)
        return -1;
    json_object_set_new(o->attrs, "map_public_ip_on_launch", json_boolean(want));
    return 0;
}

/* After CreateSubnet: ModifySubnetAttribute when it maps public IPs. */
static int made(struct session *s, const struct restype_call *c, const json_t *desired,
                struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    int want = resutil_want_bool(&ec2_subnet_type, desired, "map_public_ip_on_launch");

    if (want == resutil_want_bool(&ec2_subnet_type, o->attrs, "map_public_ip_on_launch"))
        return 0;
    return set_public_ip(s, c, desired, o, row, d);
}

/* One DescribeSubnets (paginated) for all of the stack's subnets. CreateSubnet with its tags,
 * then made(). Ready when DescribeSubnets says state "available". */
static const struct ec2util_kind kind = {
    .describe = "DescribeSubnets",
    .set = "subnetSet",
    .create = "CreateSubnet",
    .created = "subnet",
    .tag_type = "subnet",
    .made = made,
};

static const struct resutil_setter setters[] = {
    {"tags", ec2util_update_tags, RESUTIL_EACH, NULL},
    {"map_public_ip_on_launch", set_public_ip, RESUTIL_EACH, NULL},
    {0},
};

static const struct restype_ops ops = {
    .read = ec2util_read_kind,
    .kind = &kind,
    .create = ec2util_create,
    .setters = setters,
    .del = {.op = "DeleteSubnet", .member = "SubnetId"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeSubnets", NULL};
static const char *const write_actions[] = {"ec2:CreateSubnet", "ec2:ModifySubnetAttribute",
                                            "ec2:DeleteSubnet", NULL};

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
