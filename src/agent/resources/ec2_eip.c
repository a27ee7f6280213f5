/* ec2.eip: an Elastic IP address, the NAT gateway's public address. */
#include "agent/resources/types.h"

/* botocore also lists standard, which was EC2-Classic's. */
static const char *const domain_values[] = {"vpc", NULL};

static const struct attr attrs[] = {
    {.name = "domain",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "vpc",
     .values = domain_values,
     .doc = "The network the address is for."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The allocation ID (eipalloc-...), which a NAT gateway's allocation_id takes."},
    {.name = "public_ip",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The public IPv4 address."},
    {0},
};

const struct restype ec2_eip_type = {
    .name = "ec2.eip",
    .service = "ec2",
    .doc = "An Elastic IP address: a static public IPv4 address allocated to the account.",
    .attrs = attrs,
    .taggable = 1,
};
