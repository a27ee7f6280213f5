/* ec2.route: one route of a route table. */
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    {.name = "route_table_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.route_table",
     .doc = "The route table the route is in."},
    {.name = "destination_cidr_block",
     .type = VT_CIDR,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .doc = "The destination range the route matches, for example 0.0.0.0/0."},
    /* Targets change in place (ReplaceRoute); exactly one is set. */
    {.name = "gateway_id",
     .type = VT_STRING,
     .ref_type = "ec2.internet_gateway",
     .doc = "The internet gateway matching traffic goes to; set this or nat_gateway_id."},
    {.name = "nat_gateway_id",
     .type = VT_STRING,
     .ref_type = "ec2.nat_gateway",
     .doc = "The NAT gateway matching traffic goes to; set this or gateway_id."},
    {0},
};

const struct restype ec2_route_type = {
    .name = "ec2.route",
    .service = "ec2",
    .doc = "A route in a route table, found through its table and destination (routes carry no "
           "tags).",
    .attrs = attrs,
};
