/* ec2.nat_gateway: outbound internet access for private subnets. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <string.h>

static const char *const connectivity_values[] = {"private", "public", NULL};

static const struct attr attrs[] = {
    {.name = "subnet_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.subnet",
     .member = "subnetId",
     .doc = "The subnet the gateway sits in: a public one for a public gateway."},
    {.name = "allocation_id",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .ref_type = "ec2.eip",
     .member = "natGatewayAddressSet/item/allocationId",
     .doc = "The Elastic IP allocation that gives a public gateway its address."},
    {.name = "connectivity_type",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "public",
     .values = connectivity_values,
     .member = "connectivityType",
     .doc = "Whether the gateway reaches the internet (public) or only other networks."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "natGatewayId",
     .doc = "The NAT gateway's ID (nat-...)."},
    {0},
};

/* Whether a gateway in this state is gone or going for good. Deleted and failed gateways stay
 * listed for about an hour (AWS deletes failed ones itself); a deleting one is on its way. */
static int is_gone(const char *state)
{
    return state && (strcmp(state, "deleted") == 0 || strcmp(state, "deleting") == 0 ||
                     strcmp(state, "failed") == 0);
}

/* The read's item hook: deleted, deleting and failed gateways are left out (a failed one cannot
 * carry traffic, so the stack's gateway is still to be made). */
static int read_item(struct session *s, const struct xnode *item, json_t *got, struct diag *d)
{
    (void)s, (void)got, (void)d;
    return !is_gone(xdoc_text(item, "state"));
}

/* The newest failed gateway of the stack named cairn_id, while DescribeNatGateways lists it. */
struct last_failed {
    const char *cairn_id;
    char id[64];
    char created[64];
};

static int failed_item(struct session *s, const struct xnode *item, void *arg, struct diag *d)
{
    struct last_failed *f = arg;
    const char *state = xdoc_text(item, "state"), *id = xdoc_text(item, "natGatewayId");
    const char *cid = ec2util_tag(item, RESUTIL_TAG_ID), *when = xdoc_text(item, "createTime");

    (void)s, (void)d;
    if (!state || strcmp(state, "failed") != 0 || !id || !cid || strcmp(cid, f->cairn_id) != 0)
        return 0;
    when = when ? when : "";
    if (!f->id[0] || strcmp(when, f->created) > 0 ||
        (strcmp(when, f->created) == 0 && strcmp(id, f->id) > 0)) {
        snprintf(f->id, sizeof(f->id), "%s", id);
        snprintf(f->created, sizeof(f->created), "%s", when);
    }
    return 0;
}

/*
 * CreateNatGateway with its tags and a ClientToken, so that a create sent again (a retry after
 * a lost response, a run after a crash) returns the same gateway instead of a second one. The
 * token is c->token, unless an earlier gateway of this resource failed: AWS would answer that
 * token with the failed gateway again, so the token then also names the newest failed one
 * (which costs one DescribeNatGateways, on creates only). Not ready at once:
 * DescribeNatGateways' state goes from "pending" to "available" (or "failed", with failureCode
 * and failureMessage saying why).
 */
static int params(struct session *s, struct apicall *call, const struct restype_call *c,
                  const json_t *desired, struct diag *d)
{
    const char *alloc = json_string_value(json_object_get(desired, "allocation_id"));
    struct last_failed f = {.cairn_id = c->cairn_id};
    char token[65]; /* AWS takes at most 64 characters */

    if (alloc) /* read from natGatewayAddressSet, sent as AllocationId */
        apicall_param(call, "AllocationId", alloc);
    if (!c->token)
        return 0;
    if (c->stack && c->cairn_id &&
        ec2util_describe(s, "DescribeNatGateways", c->stack, "natGatewaySet", failed_item, &f, d) <
            0)
        return -1;
    snprintf(token, sizeof(token), "%.31s%s%.32s", c->token, f.id[0] ? "-" : "", f.id);
    apicall_param(call, "ClientToken", f.id[0] ? token : c->token);
    return 0;
}

/* One DescribeNatGateways (paginated); a gateway read while "pending" was made by a run cut
 * short before it became available: what routes through it waits. */
static const struct ec2util_kind kind = {
    .describe = "DescribeNatGateways",
    .set = "natGatewaySet",
    .create = "CreateNatGateway",
    .created = "natGateway",
    .tag_type = "natgateway",
    .pending = "pending",
    .item = read_item,
    .params = params,
};

/*
 * Whether a gateway just created is ready: one DescribeNatGateways for its id. "available":
 * ready, and live's attributes are refreshed from the answer; "pending" (or not listed yet:
 * DescribeNatGateways is eventually consistent right after a create): not yet; "failed",
 * "deleting" or "deleted": failed for good, with the failure code and message AWS gives.
 */
static int nat_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    struct apicall call;
    struct diag why;
    const struct xnode *item;
    const char *state, *code, *msg;
    const char *name = live->cairn_id ? live->cairn_id : "NAT gateway";
    int ret = -1;

    apicall_init(&call, service_lookup("ec2"), "DescribeNatGateways");
    apicall_param(&call, "NatGatewayId.1", live->id);
    diag_init(&why);
    if (session_call(s, &call, &why) != CALL_OK) {
        if (strcmp(call.err.code, "NatGatewayNotFound") == 0 ||
            strcmp(call.err.code, "InvalidNatGatewayID.NotFound") == 0)
            ret = 0; /* not listed yet */
        else
            diag_error(d, NULL, "%s (ec2.nat_gateway) %s: %s", name, live->id,
                       *diag_last(&why) ? diag_last(&why) : "ec2 DescribeNatGateways failed");
        goto out;
    }
    for (item = xdoc_path(xdoc_child(call.xml->root, "natGatewaySet"), "item"); item;
         item = xdoc_next(item)) {
        const char *id = xdoc_text(item, "natGatewayId");
        if (id && strcmp(id, live->id) == 0)
            break;
    }
    state = item ? xdoc_text(item, "state") : NULL;
    if (!item || !state || strcmp(state, "pending") == 0) {
        ret = 0;
    } else if (strcmp(state, "available") == 0) {
        json_t *now = ec2util_read(attrs, item);
        json_object_update_missing(now, live->attrs);
        json_decref(live->attrs);
        live->attrs = now;
        ret = 1;
    } else {
        code = xdoc_text(item, "failureCode");
        msg = xdoc_text(item, "failureMessage");
        diag_error(d, NULL, "%s (ec2.nat_gateway) %s: state %s: %s%s%s", name, live->id, state,
                   code && *code ? code : "no failure code given", msg && *msg ? ": " : "",
                   msg && *msg ? msg : "");
    }
out:
    diag_release(&why);
    apicall_release(&call);
    return ret;
}

static const struct restype_ops ops = {
    .read = ec2util_read_kind,
    .kind = &kind,
    .create = ec2util_create,
    .setters = ec2util_tags_only,
    /* DeleteNatGateway. Gone when DescribeNatGateways says state "deleted"; until then its
     * Elastic IP cannot be released nor its subnet deleted. */
    .del = {.op = "DeleteNatGateway", .member = "NatGatewayId"},
    .ready = nat_ready,
    .wait_seconds = 600, /* minutes on real AWS */
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeNatGateways", NULL};
static const char *const write_actions[] = {"ec2:CreateNatGateway", "ec2:DeleteNatGateway", NULL};

const struct restype ec2_nat_gateway_type = {
    .name = "ec2.nat_gateway",
    .service = "ec2",
    .doc = "A NAT gateway: lets resources in private subnets open connections to the internet "
           "while nothing can connect to them from it.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
