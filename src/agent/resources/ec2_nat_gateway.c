/* ec2.nat_gateway: outbound internet access for private subnets. */
#include "agent/resources/types.h"

static const char *const connectivity_values[] = {"private", "public", NULL};

static const struct attr attrs[] = {
    {.name = "subnet_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.subnet",
     .doc = "The subnet the gateway sits in: a public one for a public gateway."},
    {.name = "allocation_id",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .ref_type = "ec2.eip",
     .doc = "The Elastic IP allocation that gives a public gateway its address."},
    {.name = "connectivity_type",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "public",
     .values = connectivity_values,
     .doc = "Whether the gateway reaches the internet (public) or only other networks."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The NAT gateway's ID (nat-...)."},
    {0},
};

const struct restype ec2_nat_gateway_type = {
    .name = "ec2.nat_gateway",
    .service = "ec2",
    .doc = "A NAT gateway: lets resources in private subnets open connections to the internet "
           "while nothing can connect to them from it.",
    .attrs = attrs,
    .taggable = 1,
};
