/* logs.log_group: a CloudWatch Logs log group. */
#include "agent/resources/types.h"

/* The only values PutRetentionPolicy accepts (botocore's Days shape). */
static const char *const retention_values[] = {
    "1",   "3",   "5",   "7",    "14",   "30",   "60",   "90",   "120",  "150",  "180", "365",
    "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653", NULL};

static const char *const class_values[] = {"STANDARD", "INFREQUENT_ACCESS", "DELIVERY", NULL};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The log group's name (logGroupName), for example /ecs/dev-davidshaevel-grafana."},
    {.name = "retention_in_days",
     .type = VT_INT,
     .values = retention_values,
     .doc = "How many days log events are kept; omitted, they never expire."},
    {.name = "kms_key_id",
     .type = VT_ARN,
     .doc = "The ARN of the KMS key that encrypts the log data."},
    {.name = "log_group_class",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "STANDARD",
     .values = class_values,
     .doc = "The log class, which sets the features and price of the group."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The log group's ARN, without the :* that DescribeLogGroups appends."},
    {0},
};

const struct restype logs_log_group_type = {
    .name = "logs.log_group",
    .service = "logs",
    .doc = "A CloudWatch Logs log group: where a container's awslogs driver sends its output.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 512,
};
