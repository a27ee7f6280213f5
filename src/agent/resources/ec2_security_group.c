/* ec2.security_group: a stateful firewall, with all its rules inline. */
#include "agent/resources/types.h"

static const char *const protocol_values[] = {"tcp", "udp", "icmp", "icmpv6", "-1", NULL};

/* One shape for ingress and egress: the group owns its rules whole. */
static const struct attr rule_fields[] = {
    {.name = "protocol",
     .type = VT_STRING,
     .def = "tcp",
     .values = protocol_values,
     .doc = "The IP protocol (IpProtocol); -1 means all traffic, on every port."},
    {.name = "port",
     .type = VT_PORT,
     .doc = "A single port: short for from_port and to_port both set to it."},
    {.name = "from_port",
     .type = VT_INT,
     .min = -1,
     .max = 65535,
     .doc = "The first port of the range, or the ICMP type (-1 for all)."},
    {.name = "to_port",
     .type = VT_INT,
     .min = -1,
     .max = 65535,
     .doc = "The last port of the range, or the ICMP code (-1 for all)."},
    {.name = "cidr_blocks",
     .type = VT_LIST,
     .elem = VT_CIDR,
     .doc = "IPv4 ranges the rule allows traffic from (ingress) or to (egress)."},
    {.name = "source_security_group",
     .type = VT_STRING,
     .ref_type = "ec2.security_group",
     .doc = "A security group whose members the rule allows (in an egress rule: the destination "
            "group)."},
    {.name = "description",
     .type = VT_STRING,
     .doc = "What the rule is for, up to 255 characters."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The group's name (GroupName), unique in the VPC; it may not start with sg-."},
    {.name = "description",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .doc = "What the group is for, up to 255 characters; AWS cannot change it later."},
    {.name = "vpc_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .doc = "The VPC the group belongs to."},
    {.name = "ingress",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = rule_fields,
     .doc = "The inbound rules: exactly these, so a rule added outside cairn is drift."},
    {.name = "egress",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = rule_fields,
     .doc = "The outbound rules; when omitted, AWS's default rule allowing all outbound traffic, "
            "and an empty list allows none."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The security group's ID (sg-...)."},
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The security group's ARN."},
    {0},
};

const struct restype ec2_security_group_type = {
    .name = "ec2.security_group",
    .service = "ec2",
    .doc = "A security group: a stateful firewall for network interfaces, with its inbound and "
           "outbound rules.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 255,
};
