/* ec2.route_table: routes shared by the subnets associated with it. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    {.name = "vpc_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .member = "vpcId",
     .doc = "The VPC the route table belongs to."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "routeTableId",
     .doc = "The route table's ID (rtb-...)."},
    {0},
};

/*
 * One DescribeRouteTables (paginated). Its response also holds the tables' routes and
 * associations; ec2.route and ec2.route_table_association make their own filtered call so that
 * each type reads on its own (three calls in all, whatever the number of tables).
 * CreateRouteTable with its tags and ClientToken c->token; ready at once.
 */
static const struct ec2util_kind kind = {
    .describe = "DescribeRouteTables",
    .set = "routeTableSet",
    .create = "CreateRouteTable",
    .created = "routeTable",
    .tag_type = "route-table",
    .token = 1,
};

static const struct restype_ops ops = {
    .read = ec2util_read_kind,
    .kind = &kind,
    .create = ec2util_create,
    .setters = ec2util_tags_only,
    /* DeleteRouteTable: AWS refuses while subnets are associated with it (the associations are
     * removed first, as they depend on the table). */
    .del = {.op = "DeleteRouteTable", .member = "RouteTableId"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeRouteTables", NULL};
static const char *const write_actions[] = {"ec2:CreateRouteTable", "ec2:DeleteRouteTable", NULL};

const struct restype ec2_route_table_type = {
    .name = "ec2.route_table",
    .service = "ec2",
    .doc = "A route table: where traffic leaving the subnets associated with it goes; the local "
           "route to the VPC is implicit.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
