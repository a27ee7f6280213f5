/* ec2.internet_gateway: the VPC's way to the internet, with its attachment. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <string.h>

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
     .member = "internetGatewayId",
     .doc = "The internet gateway's ID (igw-...)."},
    {0},
};

/* The read's item hook: the attachment, when it is one (AWS lists detaching and detached ones
 * for a while). */
static int attachment(struct session *s, const struct xnode *item, json_t *got, struct diag *d)
{
    (void)s, (void)d;
    for (const struct xnode *a = xdoc_path(item, "attachmentSet/item"); a; a = xdoc_next(a)) {
        const char *state = xdoc_text(a, "state"), *vpc = xdoc_text(a, "vpcId");
        if (vpc && *vpc && state &&
            (strcmp(state, "available") == 0 || strcmp(state, "attached") == 0 ||
             strcmp(state, "attaching") == 0)) {
            json_object_set_new(got, "vpc_id", json_string(vpc));
            break;
        }
    }
    return 1;
}

static int detach(struct session *s, const char *id, const char *vpc, struct diag *d)
{
    return ec2util_call(s, d, "DetachInternetGateway", "InternetGatewayId", id, "VpcId", vpc, NULL);
}

/* The setter of vpc_id, which is also what a create does after: the attachment moves, detached
 * from the old VPC and attached to the new one. */
static int set_vpc(struct session *s, const struct restype_call *c, const json_t *desired,
                   struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    const char *want = json_string_value(json_object_get(desired, "vpc_id"));
    const char *have = json_string_value(json_object_get(live->attrs, "vpc_id"));

    (void)c, (void)row;
    if (have && want && strcmp(have, want) == 0)
        return 0;
    if (have) {
        if (detach(s, live->id, have, d) < 0)
            return -1;
        json_object_del(live->attrs, "vpc_id");
    }
    if (want && ec2util_call(s, d, "AttachInternetGateway", "InternetGatewayId", live->id, "VpcId",
                             want, NULL) < 0)
        return -1;
    if (want)
        json_object_set_new(live->attrs, "vpc_id", json_string(want));
    return 0;
}

/* One DescribeInternetGateways (paginated); the attachment comes with it. CreateInternetGateway
 * with its tags, then AttachInternetGateway when vpc_id is set. Ready at once; the attachment
 * is ready when its state is "available". */
static const struct ec2util_kind kind = {
    .describe = "DescribeInternetGateways",
    .set = "internetGatewaySet",
    .create = "CreateInternetGateway",
    .created = "internetGateway",
    .tag_type = "internet-gateway",
    .item = attachment,
    .made = set_vpc,
};

static const struct resutil_setter setters[] = {
    {"tags", ec2util_update_tags, RESUTIL_EACH, NULL},
    {"vpc_id", set_vpc, RESUTIL_EACH, NULL},
    {0},
};

/* DetachInternetGateway first: AWS refuses to delete an attached gateway. */
static int igw_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    const char *vpc = json_string_value(json_object_get(live->attrs, "vpc_id"));

    if (vpc && detach(s, live->id, vpc, d) < 0)
        return -1;
    return resutil_remove(s, live, how, d);
}

static const struct restype_ops ops = {
    .read = ec2util_read_kind,
    .kind = &kind,
    .create = ec2util_create,
    .setters = setters,
    .remove = igw_remove,
    .del = {.op = "DeleteInternetGateway", .member = "InternetGatewayId"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeInternetGateways", NULL};
static const char *const write_actions[] = {
    "ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway",
    "ec2:DeleteInternetGateway", NULL};

const struct restype ec2_internet_gateway_type = {
    .name = "ec2.internet_gateway",
    .service = "ec2",
    .doc = "An internet gateway attached to a VPC, the target of public subnets' default route.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
