/* ec2.subnet: a range of a VPC in one Availability Zone. */
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    {.name = "vpc_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .doc = "The VPC the subnet is in."},
    {.name = "cidr_block",
     .type = VT_CIDR,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .doc = "The subnet's IPv4 range, inside the VPC's, for example 10.0.1.0/24."},
    {.name = "availability_zone",
     .type = VT_AZ,
     .flags = ATTR_REPLACE,
     .doc = "The Availability Zone of the subnet, for example us-east-1a; AWS picks one when "
            "omitted."},
    {.name = "map_public_ip_on_launch",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Whether network interfaces created in the subnet get a public IPv4 address."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The subnet's ID (subnet-...)."},
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The subnet's ARN."},
    {0},
};

const struct restype ec2_subnet_type = {
    .name = "ec2.subnet",
    .service = "ec2",
    .doc = "A subnet: a range of a VPC's addresses in one Availability Zone, public or private "
           "depending on its route table.",
    .attrs = attrs,
    .taggable = 1,
};
