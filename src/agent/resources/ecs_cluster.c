/* ecs.cluster: an ECS cluster for Fargate services. */
#include "agent/resources/types.h"

static const char *const insights_values[] = {"enhanced", "enabled", "disabled", NULL};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The cluster's name (clusterName)."},
    /* The API's settings list has this one entry: flattened. */
    {.name = "container_insights",
     .type = VT_STRING,
     .def = "disabled",
     .values = insights_values,
     .doc = "CloudWatch Container Insights for the cluster (the containerInsights setting)."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The cluster's ARN, which an ECS service's cluster takes."},
    {0},
};

const struct restype ecs_cluster_type = {
    .name = "ecs.cluster",
    .service = "ecs",
    .doc = "An ECS cluster: the logical group the services and their Fargate tasks run in.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 255,
};
