/* elbv2.listener_rule: routes matching requests of a listener. */
#include "agent/resources/types.h"

/* The API's list of conditions, one field per kind; all given must match. */
static const struct attr condition_fields[] = {
    {.name = "path_patterns",
     .type = VT_LIST,
     .elem = VT_ALB_PATH,
     .doc = "URL paths, any of which matches, for example /grafana/* (* and ? are wildcards)."},
    {.name = "host_headers",
     .type = VT_LIST,
     .elem = VT_STRING,
     .doc = "Host names, any of which matches, for example *.davidshaevel.com."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "listener_arn",
     .type = VT_ARN,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "elbv2.listener",
     .doc = "The listener the rule belongs to."},
    {.name = "priority",
     .type = VT_INT,
     .min = 1,
     .max = 50000,
     .doc = "The order rules are evaluated in, lowest first; when omitted cairn assigns a free "
            "one deterministically."},
    {.name = "conditions",
     .type = VT_OBJECT,
     .flags = ATTR_REQUIRED,
     .fields = condition_fields,
     .doc = "What requests the rule matches."},
    {.name = "action",
     .type = VT_OBJECT,
     .flags = ATTR_REQUIRED,
     .fields = elbv2_listener_action_fields,
     .doc = "What the rule does with a matching request."},
    RESTYPE_TAGS,
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The rule's ARN."},
    {0},
};

const struct restype elbv2_listener_rule_type = {
    .name = "elbv2.listener_rule",
    .service = "elbv2",
    .doc = "A rule of a listener: requests matching its conditions get its action instead of "
           "the listener's default.",
    .attrs = attrs,
    .taggable = 1,
};
