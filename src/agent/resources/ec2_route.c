/* ec2.route: one route of a route table. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The targets a route can have in the table, and where DescribeRouteTables and the API put
 * them. */
static const struct target {
    const char *attr, *xml, *param;
} targets[] = {
    {"gateway_id", "gatewayId", "GatewayId"},
    {"nat_gateway_id", "natGatewayId", "NatGatewayId"},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* A route's id: "<route table id>|<destination>", the pair that names it in the API. */
static json_t *route_attrs(const char *rtb, const char *dest)
{
    json_t *got = json_object();
    char *id = xmalloc(strlen(rtb) + strlen(dest) + 2);

    sprintf(id, "%s|%s", rtb, dest);
    json_object_set_new(got, "route_table_id", json_string(rtb));
    json_object_set_new(got, "destination_cidr_block", json_string(dest));
    json_object_set_new(got, "id", json_string(id));
    free(id);
    return got;
}

/*
 * The routes cairn can own: made with CreateRoute (not the table's local route, not routes
 * propagated from a virtual private gateway) to an IPv4 destination. A target the table has
 * no name for (an instance, a peering connection) leaves the route with no target, which the
 * planner sees as a difference.
 */
static int read_table(struct session *s, const struct xnode *item, void *arg, struct diag *d)
{
    const char *rtb = xdoc_text(item, "routeTableId");

    (void)s, (void)d;
    if (!rtb || !*rtb)
        return 0;
    for (const struct xnode *r = xdoc_path(item, "routeSet/item"); r; r = xdoc_next(r)) {
        const char *origin = xdoc_text(r, "origin"), *dest = xdoc_text(r, "destinationCidrBlock");
        json_t *got;
        if (!dest || !*dest || !origin || strcmp(origin, "CreateRoute") != 0)
            continue;
        got = route_attrs(rtb, dest);
        for (size_t i = 0; i < NTARGETS; i++) {
            const char *t = xdoc_text(r, targets[i].xml);
            if (t && *t)
                json_object_set_new(got, targets[i].attr, json_string(t));
        }
        live_set_add(arg, &ec2_route_type, json_string_value(json_object_get(got, "id")), NULL,
                     got);
    }
    return 0;
}

/*
 * Routes carry no tags: they are found through the route tables tagged with the stack, with
 * one DescribeRouteTables of their own (paginated). Their cairn_id is NULL: the planner
 * matches them by route_table_id and destination_cidr_block.
 */
static int route_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    return ec2util_describe(s, "DescribeRouteTables", stack, "routeTableSet", read_table, set, d);
}

/* The one target desired sets, as the index in targets[]; -1 (and d says so) otherwise. */
static int target_of(const json_t *desired, const char *what, struct diag *d)
{
    int found = -1;

    for (size_t i = 0; i < NTARGETS; i++) {
        if (!json_string_value(json_object_get(desired, targets[i].attr)))
            continue;
        if (found >= 0) {
            diag_error(d, NULL, "ec2.route %s: set gateway_id or nat_gateway_id, not both", what);
            return -1;
        }
        found = (int)i;
    }
    if (found < 0)
        diag_error(d, NULL, "ec2.route %s: set gateway_id or nat_gateway_id", what);
    return found;
}

/* CreateRoute, or ReplaceRoute (op) to move an existing route to desired's target. */
static int send_route(struct session *s, const char *op, const json_t *desired, const char *what,
                      struct diag *d)
{
    int t = target_of(desired, what, d);

    if (t < 0)
        return -1;
    return ec2util_call(
        s, d, op, "RouteTableId", resutil_want_str(&ec2_route_type, desired, "route_table_id"),
        "DestinationCidrBlock",
        resutil_want_str(&ec2_route_type, desired, "destination_cidr_block"), targets[t].param,
        json_string_value(json_object_get(desired, targets[t].attr)), NULL);
}

/* CreateRoute; its response says only "true", so the new route's attributes are desired's.
 * Active at once (DescribeRouteTables' route state "active"; "blackhole" when its target is
 * gone). */
static int route_create(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_set *set, struct live_obj **out, struct diag *d)
{
    const char *rtb = json_string_value(json_object_get(desired, "route_table_id"));
    const char *dest = json_string_value(json_object_get(desired, "destination_cidr_block"));
    json_t *got;
    int t;

    *out = NULL;
    if (resutil_check_required(&ec2_route_type, c->cairn_id, desired, d) < 0)
        return -1;
    if ((t = target_of(desired, c->cairn_id, d)) < 0 ||
        send_route(s, "CreateRoute", desired, c->cairn_id, d) < 0)
        return -1;
    got = route_attrs(rtb, dest);
    json_object_set(got, targets[t].attr, json_object_get(desired, targets[t].attr));
    *out = live_set_add(set, &ec2_route_type, json_string_value(json_object_get(got, "id")),
                        c->cairn_id, got);
    return 0;
}

/* A new target is one ReplaceRoute. */
static int route_update(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *live, const char *const *changed, size_t nchanged,
                        struct diag *d)
{
    json_t *want;
    int t;

    (void)c;
    for (size_t i = 0; i < nchanged; i++) {
        if (strcmp(changed[i], "gateway_id") != 0 && strcmp(changed[i], "nat_gateway_id") != 0) {
            diag_error(d, NULL, "ec2.route %s: %s cannot change in place", live->id, changed[i]);
            return -1;
        }
    }
    /* The route keeps its table and destination, whatever desired says of them. */
    want = json_deep_copy(desired);
    json_object_set(want, "route_table_id", json_object_get(live->attrs, "route_table_id"));
    json_object_set(want, "destination_cidr_block",
                    json_object_get(live->attrs, "destination_cidr_block"));
    if ((t = target_of(want, live->id, d)) < 0 ||
        send_route(s, "ReplaceRoute", want, live->id, d) < 0) {
        json_decref(want);
        return -1;
    }
    for (size_t i = 0; i < NTARGETS; i++)
        json_object_del(live->attrs, targets[i].attr);
    json_object_set(live->attrs, targets[t].attr, json_object_get(want, targets[t].attr));
    json_decref(want);
    return 0;
}

static int route_remove(struct session *s, const struct live_obj *live, unsigned how,
                        struct diag *d)
{
    (void)how;
    return ec2util_call(
        s, d, "DeleteRoute", "RouteTableId",
        json_string_value(json_object_get(live->attrs, "route_table_id")), "DestinationCidrBlock",
        json_string_value(json_object_get(live->attrs, "destination_cidr_block")), NULL);
}

static const struct restype_ops ops = {
    .read = route_read,
    .create = route_create,
    .update = route_update,
    .remove = route_remove,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeRouteTables", NULL};
static const char *const write_actions[] = {"ec2:CreateRoute", "ec2:ReplaceRoute",
                                            "ec2:DeleteRoute", NULL};

const struct restype ec2_route_type = {
    .name = "ec2.route",
    .service = "ec2",
    .doc = "A route in a route table, found through its table and destination (routes carry no "
           "tags).",
    .attrs = attrs,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
