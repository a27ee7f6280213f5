/* ec2.route_table_association: which route table a subnet uses. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

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

static int read_table(struct session *s, const struct xnode *item, void *arg, struct diag *d)
{
    (void)s, (void)d;
    for (const struct xnode *a = xdoc_path(item, "associationSet/item"); a; a = xdoc_next(a)) {
        const char *id = xdoc_text(a, "routeTableAssociationId");
        const char *rtb = xdoc_text(a, "routeTableId"), *subnet = xdoc_text(a, "subnetId");
        const char *is_main = xdoc_text(a, "main"), *state = xdoc_text(a, "associationState/state");
        json_t *got;
        /* The main association (the VPC's default table) and gateway associations are not
         * subnets'; disassociated ones are gone. */
        if (!id || !*id || !rtb || !subnet || !*subnet ||
            (is_main && strcmp(is_main, "true") == 0) ||
            (state && strcmp(state, "associated") != 0 && strcmp(state, "associating") != 0))
            continue;
        got = json_pack("{s:s, s:s, s:s}", "route_table_id", rtb, "subnet_id", subnet, "id", id);
        live_set_add(arg, &ec2_route_table_association_type, id, NULL, got);
    }
    return 0;
}

/*
 * Associations carry no tags: they are found through the route tables tagged with the stack,
 * with one DescribeRouteTables of their own (paginated). Their cairn_id is NULL: the planner
 * matches them by subnet_id (a subnet has one association).
 */
static int assoc_read(struct session *s, const struct restype *t, const char *stack,
                      struct live_set *set, struct diag *d)
{
    return ec2util_describe(s, "DescribeRouteTables", stack, "routeTableSet", read_table, set, d);
}

/* AssociateRouteTable; ready when its associationState is "associated". */
static int assoc_create(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    const char *rtb = json_string_value(json_object_get(desired, "route_table_id"));
    const char *subnet = json_string_value(json_object_get(desired, "subnet_id"));
    const char *id;
    int ret = -1;

    *out = NULL;
    if (resutil_check_required(&ec2_route_table_association_type, c->cairn_id, desired, d) < 0)
        return -1;
    apicall_init(&call, service_lookup("ec2"), "AssociateRouteTable");
    apicall_param(&call, "RouteTableId", rtb);
    apicall_param(&call, "SubnetId", subnet);
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    id = xdoc_text(call.xml->root, "associationId");
    if (!(*out = resutil_add_created(
              set, &ec2_route_table_association_type, c,
              json_pack("{s:s, s:s, s:s?}", "route_table_id", rtb, "subnet_id", subnet, "id", id),
              d)))
        goto out;
    ret = 0;
out:
    apicall_release(&call);
    return ret;
}

/* The setter of route_table_id, once every attribute is known to change in place: another route
 * table is ReplaceRouteTableAssociation, which gives the association a new id. */
static int set_table(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    struct apicall call;
    const char *rtb = json_string_value(json_object_get(desired, "route_table_id"));
    const char *id;
    int ret = -1;

    (void)c, (void)row;
    apicall_init(&call, service_lookup("ec2"), "ReplaceRouteTableAssociation");
    if (!rtb) {
        diag_error(d, NULL, "ec2.route_table_association %s: route_table_id is required", live->id);
        goto out;
    }
    apicall_param(&call, "AssociationId", live->id);
    apicall_param(&call, "RouteTableId", rtb);
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    if (!(id = xdoc_text(call.xml->root, "newAssociationId")) || !*id) {
        diag_error(d, NULL,
                   "ec2 ReplaceRouteTableAssociation: the response has no "
                   "newAssociationId");
        goto out;
    }
    free(live->id);
    live->id = xstrdup(id);
    json_object_set_new(live->attrs, "id", json_string(id));
    json_object_set_new(live->attrs, "route_table_id", json_string(rtb));
    ret = 0;
out:
    apicall_release(&call);
    return ret;
}

static const struct resutil_setter setters[] = {{"route_table_id", set_table, RESUTIL_AFTER, NULL},
                                                {0}};

static const struct restype_ops ops = {
    .read = assoc_read,
    .create = assoc_create,
    .setters = setters,
    .del = {.op = "DisassociateRouteTable", .member = "AssociationId"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeRouteTables", NULL};
static const char *const write_actions[] = {"ec2:AssociateRouteTable",
                                            "ec2:ReplaceRouteTableAssociation",
                                            "ec2:DisassociateRouteTable", NULL};

const struct restype ec2_route_table_association_type = {
    .name = "ec2.route_table_association",
    .service = "ec2",
    .doc = "The association of a subnet with a route table, found through the table (it carries "
           "no tags).",
    .attrs = attrs,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
