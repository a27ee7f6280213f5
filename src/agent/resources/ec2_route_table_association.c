/* ec2.route_table_association: which route table a subnet uses. */
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    /* ReplaceRouteTableAssociation moves a subnet to another table in place. */
    {.name = "route_table_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .ref_type = "ec2.route_table",
     .doc = "The route table the subnet uses."},
    {.name = "subnet_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.subnet",
     .doc = "The subnet associated with the route table."},
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The association's ID (rtbassoc-...)."},
    {0},
};

const struct restype ec2_route_table_association_type = {
    .name = "ec2.route_table_association",
    .service = "ec2",
    .doc = "The association of a subnet with a route table, found through the table (it carries "
           "no tags).",
    .attrs = attrs,
};
