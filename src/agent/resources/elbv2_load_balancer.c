/* elbv2.load_balancer: an Application Load Balancer. */
#include "agent/resources/types.h"

static const char *const scheme_values[] = {"internet-facing", "internal", NULL};
static const char *const type_values[] = {"application", "network", "gateway", NULL};
static const char *const ip_type_values[] = {"ipv4", "dualstack", "dualstack-without-public-ipv4",
                                             NULL};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The load balancer's name: letters, digits and hyphens, not starting with "
            "internal-."},
    {.name = "scheme",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "internet-facing",
     .values = scheme_values,
     .doc = "Whether the load balancer has public addresses (internet-facing) or only private "
            "ones."},
    {.name = "type",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "application",
     .values = type_values,
     .doc = "The kind of load balancer; cairn's listeners and rules are for application."},
    {.name = "subnets",
     .type = VT_LIST,
     .elem = VT_STRING,
     .flags = ATTR_REQUIRED,
     .ref_type = "ec2.subnet",
     .doc = "Subnets in at least two Availability Zones, one per zone (SetSubnets): public ones "
            "for internet-facing."},
    {.name = "security_groups",
     .type = VT_LIST,
     .elem = VT_STRING,
     .ref_type = "ec2.security_group",
     .doc = "The security groups of the load balancer (SetSecurityGroups)."},
    {.name = "ip_address_type",
     .type = VT_STRING,
     .def = "ipv4",
     .values = ip_type_values,
     .doc = "The IP versions clients connect with."},
    {.name = "idle_timeout_seconds",
     .type = VT_INT,
     .def = "60",
     .min = 1,
     .max = 4000,
     .doc = "Seconds a connection may stay idle (the idle_timeout.timeout_seconds attribute)."},
    {.name = "deletion_protection_enabled",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Whether AWS refuses to delete the load balancer (the deletion_protection.enabled "
            "attribute)."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The load balancer's ARN, which a listener's load_balancer_arn takes."},
    {.name = "dns_name",
     .type = VT_DNS_NAME,
     .flags = ATTR_COMPUTED,
     .doc = "The public DNS name clients connect to."},
    {.name = "canonical_hosted_zone_id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The Route 53 zone of dns_name, for alias records."},
    {0},
};

const struct restype elbv2_load_balancer_type = {
    .name = "elbv2.load_balancer",
    .service = "elbv2",
    .doc = "An Elastic Load Balancing (v2) load balancer: an Application Load Balancer routes "
           "HTTP requests to target groups by its listeners' rules.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 32,
};
