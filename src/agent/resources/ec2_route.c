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
     .member = "routeTableId",
     .doc = "The route table the route is in."},
    {.name = "destination_cidr_block",
     .type = VT_CIDR,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .member = "destinationCidrBlock",
     .doc = "The destination range the route matches, for example 0.0.0.0/0."},
    /* Targets change in place (ReplaceRoute); exactly one is set. */
    {.name = "gateway_id",
     .type = VT_STRING,
     .ref_type = "ec2.internet_gateway",
     .member = "gatewayId",
     .doc = "The internet gateway matching traffic goes to; set this or nat_gateway_id."},
    {.name = "nat_gateway_id",
     .type = VT_STRING,
     .ref_type = "ec2.nat_gateway",
     .member = "natGatewayId",
     .doc = "The NAT gateway matching traffic goes to; set this or gateway_id."},
    {0},
};

/* The targets a route can have in the table (their members say where DescribeRouteTables and
 * the API put them). */
static const char *const targets[] = {"gateway_id", "nat_gateway_id"};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* A route's attributes: got (taken over) with its table, and its id "<route table
 * id>|<destination>", the pair that names it in the API. */
static json_t *route_attrs(json_t *got, const char *rtb)
{
    const char *dest = json_string_value(json_object_get(got, "destination_cidr_block"));
    char *id = xmalloc(strlen(rtb) + strlen(dest) + 2);

    sprintf(id, "%s|%s", rtb, dest);
    json_object_set_new(got, "route_table_id", json_string(rtb));
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
        got = route_attrs(ec2util_read(attrs, r), rtb);
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
static int route_read(struct session *s, const struct restype *t, const char *stack,
                      struct live_set *set, struct diag *d)
{
    return ec2util_describe(s, "DescribeRouteTables", stack, "routeTableSet", read_table, set, d);
}

/* The one target desired sets, as the index in targets[]; -1 (and d says so) otherwise. */
static int target_of(const json_t *desired, const char *what, struct diag *d)
{
    int found = -1;

    for (size_t i = 0; i < NTARGETS; i++) {
        if (!json_string_value(json_object_get(desired, targets[i])))
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

/*
 * CreateRoute, or ReplaceRoute (op) to move an existing route to want's target: the route's
 * attributes after it (a new object), or NULL with d saying why. The response says only "true",
 * so they are want's.
 */
static json_t *put_route(struct session *s, const char *op, const json_t *want, const char *what,
                         struct diag *d)
{
    struct apicall c;
    json_t *got = NULL;
    int t = target_of(want, what, d);

    if (t < 0)
        return NULL;
    apicall_init(&c, service_lookup("ec2"), op);
    ec2util_create_params(&c, &ec2_route_type, NULL, want);
    if (session_call(s, &c, d) == CALL_OK) {
        got = json_pack("{s:O}", "destination_cidr_block",
                        json_object_get(want, "destination_cidr_block"));
        json_object_set(got, targets[t], json_object_get(want, targets[t]));
        route_attrs(got, json_string_value(json_object_get(want, "route_table_id")));
    }
    apicall_release(&c);
    return got;
}

/* CreateRoute. Active at once (DescribeRouteTables' route state "active"; "blackhole" when its
 * target is gone). */
static int route_create(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_set *set, struct live_obj **out, struct diag *d)
{
    json_t *got;

    *out = NULL;
    if (resutil_check_required(&ec2_route_type, c->cairn_id, desired, d) < 0 ||
        !(got = put_route(s, "CreateRoute", desired, c->cairn_id, d)))
        return -1;
    *out = live_set_add(set, &ec2_route_type, json_string_value(json_object_get(got, "id")),
                        c->cairn_id, got);
    return 0;
}

/* The setter of the targets: a new target is one ReplaceRoute, after every attribute is known
 * to change in place. The route keeps its table and destination, whatever desired says of
 * them. */
static int set_target(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    json_t *want = json_deep_copy(desired), *got;

    (void)c, (void)row;
    json_object_set(want, "route_table_id", json_object_get(live->attrs, "route_table_id"));
    json_object_set(want, "destination_cidr_block",
                    json_object_get(live->attrs, "destination_cidr_block"));
    got = put_route(s, "ReplaceRoute", want, live->id, d);
    json_decref(want);
    if (!got)
        return -1;
    for (size_t i = 0; i < NTARGETS; i++)
        json_object_del(live->attrs, targets[i]);
    json_object_update(live->attrs, got);
    json_decref(got);
    return 0;
}

static const struct resutil_setter setters[] = {
    {"gateway_id", set_target, RESUTIL_AFTER, NULL},
    {"nat_gateway_id", set_target, RESUTIL_AFTER, NULL},
    {0},
};

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
    .setters = setters,
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
