/* servicediscovery.private_dns_namespace: a Cloud Map domain inside a VPC. */
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_DNS_NAME,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The domain, for example davidshaevel.local: a service resolves as "
            "<service>.<name>."},
    {.name = "vpc",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .doc = "The VPC whose resolver answers for the namespace; it needs DNS support and "
            "hostnames enabled."},
    {.name = "description", .type = VT_STRING, .doc = "What the namespace is for."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The namespace's ID (ns-...), which a Cloud Map service's namespace_id takes."},
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The namespace's ARN."},
    {.name = "hosted_zone_id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The Route 53 private hosted zone Cloud Map created for the namespace."},
    {0},
};

const struct restype servicediscovery_private_dns_namespace_type = {
    .name = "servicediscovery.private_dns_namespace",
    .service = "servicediscovery",
    .doc = "An AWS Cloud Map private DNS namespace: a domain that resolves only inside one VPC, "
           "where services register their tasks.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 253,
};
