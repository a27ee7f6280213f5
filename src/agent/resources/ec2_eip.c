/* ec2.eip: an Elastic IP address, the NAT gateway's public address. */
#include "agent/live.h"
#include "agent/resources/ec2util.h"
#include "agent/resources/types.h"

/* botocore also lists standard, which was EC2-Classic's. */
static const char *const domain_values[] = {"vpc", NULL};

static const struct attr attrs[] = {
    {.name = "domain",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "vpc",
     .values = domain_values,
     .member = "domain",
     .doc = "The network the address is for."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "allocationId",
     .doc = "The allocation ID (eipalloc-...), which a NAT gateway's allocation_id takes."},
    {.name = "public_ip",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "publicIp",
     .doc = "The public IPv4 address."},
    {0},
};

/* One DescribeAddresses (the API does not paginate it). AllocateAddress with its tags; ready at
 * once. The response lists no tags: they are c's. */
static const struct ec2util_kind kind = {
    .describe = "DescribeAddresses",
    .set = "addressesSet",
    .create = "AllocateAddress",
    .tag_type = "elastic-ip",
};

static const struct restype_ops ops = {
    .read = ec2util_read_kind,
    .kind = &kind,
    .create = ec2util_create,
    .setters = ec2util_tags_only,
    /* ReleaseAddress. AWS refuses while a NAT gateway still holds the address: the executor waits
     * for the NAT gateway to be "deleted" first. */
    .del = {.op = "ReleaseAddress", .member = "AllocationId"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ec2:DescribeAddresses", NULL};
static const char *const write_actions[] = {"ec2:AllocateAddress", "ec2:ReleaseAddress", NULL};

const struct restype ec2_eip_type = {
    .name = "ec2.eip",
    .service = "ec2",
    .doc = "An Elastic IP address: a static public IPv4 address allocated to the account.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
