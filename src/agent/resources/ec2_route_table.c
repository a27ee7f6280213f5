/* ec2.route_table: routes shared by the subnets associated with it. */
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    {.name = "vpc_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .doc = "The VPC the route table belongs to."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The route table's ID (rtb-...)."},
    {0},
};

const struct restype ec2_route_table_type = {
    .name = "ec2.route_table",
    .service = "ec2",
    .doc = "A route table: where traffic leaving the subnets associated with it goes; the local "
           "route to the VPC is implicit.",
    .attrs = attrs,
    .taggable = 1,
};
