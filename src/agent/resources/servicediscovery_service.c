/* servicediscovery.service: a Cloud Map name that ECS registers tasks under. */
#include "agent/resources/types.h"

static const char *const record_type_values[] = {"A", "AAAA", "SRV", "CNAME", NULL};
static const char *const routing_values[] = {"MULTIVALUE", "WEIGHTED", NULL};

static const struct attr dns_record_fields[] = {
    {.name = "type",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = record_type_values,
     .doc = "The record type; tasks with awsvpc networking register A records."},
    {.name = "ttl",
     .type = VT_INT,
     .flags = ATTR_REQUIRED,
     .min = 0,
     .max = 2147483647,
     .doc = "Seconds resolvers may cache the record."},
    {0},
};

static const struct attr custom_health_fields[] = {
    {.name = "failure_threshold",
     .type = VT_INT,
     .def = "1",
     .min = 1,
     .max = 10,
     .doc = "Kept for the API's sake: Cloud Map now always uses 1."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The service's name, the first label of its DNS name <name>.<namespace>."},
    {.name = "namespace_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "servicediscovery.private_dns_namespace",
     .doc = "The namespace the service is in."},
    {.name = "description", .type = VT_STRING, .doc = "What the service is for."},
    {.name = "dns_records",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = dns_record_fields,
     .flags = ATTR_REQUIRED,
     .doc = "The records Cloud Map creates for each registered instance (DnsConfig.DnsRecords)."},
    {.name = "routing_policy",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "MULTIVALUE",
     .values = routing_values,
     .doc = "How answers are chosen: MULTIVALUE returns up to eight healthy instances."},
    {.name = "health_check_custom_config",
     .type = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = custom_health_fields,
     .doc = "Lets ECS report task health to Cloud Map, so only healthy tasks resolve; set it "
            "(even as {}) for services ECS registers."},
    RESTYPE_TAGS,
    {.name = "id", .type = VT_STRING, .flags = ATTR_COMPUTED, .doc = "The service's ID (srv-...)."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The service's ARN, which an ECS service's service_registries take."},
    {0},
};

const struct restype servicediscovery_service_type = {
    .name = "servicediscovery.service",
    .service = "servicediscovery",
    .doc = "An AWS Cloud Map service: a DNS name in a namespace under which ECS registers the "
           "IP addresses of a service's tasks.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 63,
};
