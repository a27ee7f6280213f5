/* ec2.internet_gateway: the VPC's way to the internet, with its attachment. */
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    /* The attachment is part of the gateway: one VPC at most, changed in place. */
    {.name = "vpc_id",
     .type = VT_STRING,
     .ref_type = "ec2.vpc",
     .doc = "The VPC the gateway is attached to (AttachInternetGateway); detached when omitted."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The internet gateway's ID (igw-...)."},
    {0},
};

const struct restype ec2_internet_gateway_type = {
    .name = "ec2.internet_gateway",
    .service = "ec2",
    .doc = "An internet gateway attached to a VPC, the target of public subnets' default route.",
    .attrs = attrs,
    .taggable = 1,
};
