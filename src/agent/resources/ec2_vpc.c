/* ec2.vpc: a virtual private cloud, the network everything else sits in. */
#include "agent/resources/types.h"

/* botocore lists host too, but CreateVpc refuses it. */
static const char *const tenancy_values[] = {"default", "dedicated", NULL};

static const struct attr attrs[] = {
    {.name = "cidr_block",
     .type = VT_CIDR,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .doc = "The IPv4 network range of the VPC, for example 10.0.0.0/16."},
    {.name = "instance_tenancy",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "default",
     .values = tenancy_values,
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
    {.name = "id", .type = VT_STRING, .flags = ATTR_COMPUTED, .doc = "The VPC's ID (vpc-...)."},
    {0},
};

const struct restype ec2_vpc_type = {
    .name = "ec2.vpc",
    .service = "ec2",
    .doc = "A virtual private cloud: an isolated IPv4 network for subnets, gateways and the "
           "resources in them.",
    .attrs = attrs,
    .taggable = 1,
};
