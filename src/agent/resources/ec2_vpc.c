/* ec2.vpc: a virtual private cloud, the network everything else sits in. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <string.h>

/* botocore lists host too, but CreateVpc refuses it. */
static const char *const tenancy_values[] = {"default", "dedicated", NULL};

static const struct attr attrs[] = {
    {.name = "cidr_block",
     .type = VT_CIDR,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .member = "cidrBlock",
     .doc = "The IPv4 network range of the VPC, for example 10.0.0.0/16."},
    {.name = "instance_tenancy",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "default",
     .values = tenancy_values,
     .member = "instanceTenancy",
     .doc = "The tenancy of instances launched into the VPC."},
    {.name = "enable_dns_support",
     .type = VT_BOOL,
     .def = "true",
     .doc = "Whether the Amazon-provided DNS server resolves names in the VPC."},
    {.name = "enable_dns_hostnames",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Whether network interfaces get DNS hostnames; a Cloud Map private DNS namespace "
            "needs this and enable_dns_support both true."},
    {.name = "enable_network_address_usage_metrics",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Whether CloudWatch gets Network Address Usage metrics for the VPC."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "vpcId",
     .doc = "The VPC's ID (vpc-...)."},
    {0},
};

/*
 * The settings DescribeVpcs does not return. Reading them costs one
 * DescribeVpcAttribute per setting and VPC (AWS has no batch form): three
 * calls per VPC, acceptable since a stack has one or two. Listed in the order
 * they are turned on (hostnames need DNS support); they are turned off in the
 * reverse order.
 */
static const struct vpc_flag {
    const char *attr;   /* the table's name */
    const char *name;   /* DescribeVpcAttribute's Attribute, and the response element */
    const char *modify; /* ModifyVpcAttribute's member */
} flags[] = {
    {"enable_dns_support", "enableDnsSupport", "EnableDnsSupport.Value"},
    {"enable_dns_hostnames", "enableDnsHostnames", "EnableDnsHostnames.Value"},
    {"enable_network_address_usage_metrics", "enableNetworkAddressUsageMetrics",
     "EnableNetworkAddressUsageMetrics.Value"},
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

/* The read's item hook: the settings DescribeVpcs leaves out, one DescribeVpcAttribute each. */
static int read_flags(struct session *s, const struct xnode *item, json_t *got, struct diag *d)
{
    const char *id = json_string_value(json_object_get(got, "id"));

    (void)item;
    for (size_t i = 0; i < NFLAGS; i++) {
        struct apicall c;
        enum call_result rc;
        apicall_init(&c, service_lookup("ec2"), "DescribeVpcAttribute");
        apicall_param(&c, "VpcId", id);
        apicall_param(&c, "Attribute", flags[i].name);
        if ((rc = session_call(s, &c, d)) == CALL_OK) {
            const char *v = xdoc_text(xdoc_child(c.xml->root, flags[i].name), "value");
            if (v)
                json_object_set_new(got, flags[i].attr, json_boolean(strcmp(v, "true") == 0));
        }
        apicall_release(&c);
        if (rc != CALL_OK)
            return -1;
    }
    return 1;
}

/* The setter of the settings: ModifyVpcAttribute, one setting per call (the API takes one), for
 * the settings that differ between live's attributes and desired; those follow each success. */
static int set_flags(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    (void)c, (void)row;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < NFLAGS; j++) {
            const struct vpc_flag *f = &flags[pass == 0 ? j : NFLAGS - 1 - j];
            int want = resutil_want_bool(&ec2_vpc_type, desired, f->attr);
            int have = resutil_want_bool(&ec2_vpc_type, live->attrs, f->attr);
            if (want == have || want != (pass == 0))
                continue;
            if (ec2util_call(s, d, "ModifyVpcAttribute", "VpcId", live->id, f->modify,
                             want ? "true" : "false", NULL) < 0)
                return -1;
            json_object_set_new(live->attrs, f->attr, json_boolean(want));
        }
    }
    return 0;
}

/* After CreateVpc: a new VPC has AWS's settings, which are the table's defaults. */
static int made(struct session *s, const struct restype_call *c, const json_t *desired,
                struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    for (size_t i = 0; i < NFLAGS; i++)
        json_object_set_new(o->attrs, flags[i].attr,
                            json_boolean(resutil_want_bool(&ec2_vpc_type, NULL, flags[i].attr)));
    return set_flags(s, c, desired, o, row, d);
}

/*
 * One DescribeVpcs, plus three DescribeVpcAttribute per VPC. CreateVpc with its tags, then
 * ModifyVpcAttribute for each setting that is not AWS's default. Ready when DescribeVpcs says
 * state "available". The settings are sent without waiting for it; should AWS refuse them on a
 * pending VPC, the VPC is in set with the settings it has, and the next plan updates them.
 */
static const struct ec2util_kind kind = {
    .describe = "DescribeVpcs",
    .set = "vpcSet",
    .create = "CreateVpc",
    .created = "vpc",
    .tag_type = "vpc",
    .item = read_flags,
    .made = made,
};

/* The settings are set once, after the tags, whichever of them changed. */
static const struct resutil_setter setters[] = {
    {"tags", ec2util_update_tags, RESUTIL_EACH, NULL},
    {"enable_dns_support", set_flags, RESUTIL_AFTER, NULL},
    {"enable_dns_hostnames", set_flags, RESUTIL_AFTER, NULL},
    {"enable_network_address_usage_metrics", set_flags, RESUTIL_AFTER, NULL},
    {0},
};

static const struct restype_ops ops = {
    .read = ec2util_read_kind,
    .kind = &kind,
    .create = ec2util_create,
    .setters = setters,
    .del = {.op = "DeleteVpc", .member = "VpcId"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", NULL};
static const char *const write_actions[] = {"ec2:CreateVpc", "ec2:ModifyVpcAttribute",
                                            "ec2:DeleteVpc", NULL};

const struct restype ec2_vpc_type = {
    .name = "ec2.vpc",
    .service = "ec2",
    .doc = "A virtual private cloud: an isolated IPv4 network for subnets, gateways and the "
           "resources in them.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
