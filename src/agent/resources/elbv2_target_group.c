/* elbv2.target_group: the tasks a load balancer forwards to, with their health check. */
#include "agent/live.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/elbv2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const protocol_values[] = {"HTTP",    "HTTPS",  "TCP",  "TLS",      "UDP",
                                              "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC", NULL};
static const char *const version_values[] = {"HTTP1", "HTTP2", "GRPC", NULL};
static const char *const target_type_values[] = {"instance", "ip", "lambda", "alb", NULL};
static const char *const hc_protocol_values[] = {"HTTP", "HTTPS", "TCP", NULL};

/* The API's HealthCheck* members, grouped; defaults are those of an HTTP target group. */
static const struct attr health_check_fields[] = {
    {.name = "enabled",
     .type = VT_BOOL,
     .def = "true",
     .member = "HealthCheckEnabled",
     .doc = "Whether targets are checked (always for ip and instance targets)."},
    {.name = "path",
     .type = VT_STRING,
     .def = "/",
     .member = "HealthCheckPath",
     .doc = "The path the check requests."},
    {.name = "port",
     .type = VT_STRING,
     .def = "traffic-port",
     .member = "HealthCheckPort",
     .doc = "The port checked: traffic-port (the target's own) or a number."},
    {.name = "protocol",
     .type = VT_STRING,
     .def = "HTTP",
     .values = hc_protocol_values,
     .member = "HealthCheckProtocol",
     .doc = "The protocol of the check."},
    {.name = "matcher",
     .type = VT_STRING,
     .def = "200",
     .member = "Matcher/HttpCode",
     .doc = "The HTTP codes that mean healthy, for example 200 or 200-299 (Matcher.HttpCode)."},
    {.name = "interval",
     .type = VT_INT,
     .def = "30",
     .min = 5,
     .max = 300,
     .member = "HealthCheckIntervalSeconds",
     .doc = "Seconds between checks of a target (HealthCheckIntervalSeconds)."},
    {.name = "timeout",
     .type = VT_INT,
     .def = "5",
     .min = 2,
     .max = 120,
     .member = "HealthCheckTimeoutSeconds",
     .doc = "Seconds without a response that fail a check (HealthCheckTimeoutSeconds)."},
    {.name = "healthy_threshold",
     .type = VT_INT,
     .def = "5",
     .min = 2,
     .max = 10,
     .member = "HealthyThresholdCount",
     .doc = "Successes in a row that make a target healthy (HealthyThresholdCount)."},
    {.name = "unhealthy_threshold",
     .type = VT_INT,
     .def = "2",
     .min = 2,
     .max = 10,
     .member = "UnhealthyThresholdCount",
     .doc = "Failures in a row that make a target unhealthy (UnhealthyThresholdCount)."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .member = "TargetGroupName",
     .doc = "The target group's name: letters, digits and hyphens."},
    {.name = "port",
     .type = VT_PORT,
     .flags = ATTR_REPLACE,
     .member = "Port",
     .doc = "The port targets receive traffic on; required unless target_type is lambda."},
    {.name = "protocol",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .values = protocol_values,
     .member = "Protocol",
     .doc = "The protocol to the targets, HTTP or HTTPS behind an Application Load Balancer."},
    {.name = "protocol_version",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "HTTP1",
     .values = version_values,
     .doc = "The HTTP version requests are sent to the targets with."},
    {.name = "target_type",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "instance",
     .values = target_type_values,
     .member = "TargetType",
     .doc = "How targets are registered; Fargate tasks need ip."},
    {.name = "vpc_id",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .member = "VpcId",
     .doc = "The VPC of the targets; required unless target_type is lambda."},
    {.name = "health_check",
     .type = VT_OBJECT,
     .fields = health_check_fields,
     .doc = "How the load balancer checks that a target is healthy."},
    {.name = "deregistration_delay_seconds",
     .type = VT_INT,
     .flags = ATTR_LATER,
     .def = "300",
     .min = 0,
     .max = 3600,
     .member = "deregistration_delay.timeout_seconds",
     .doc = "Seconds a deregistering target keeps its in-flight requests (the "
            "deregistration_delay.timeout_seconds attribute)."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "TargetGroupArn",
     .doc = "The target group's ARN (also its ID), which actions and ECS services take."},
    {0},
};

#define T (&elbv2_target_group_type)

/* Whether a health check of this protocol has a path and a status-code matcher. */
static int is_http(const char *protocol)
{
    return !protocol || strcmp(protocol, "HTTP") == 0 || strcmp(protocol, "HTTPS") == 0;
}

/*
 * The HealthCheck* members of hc (the desired health_check). all: every field, omitted ones at
 * their defaults (an update, so that a field left out goes back to AWS's default); else only
 * those given (a create: AWS fills in the rest as the defaults say). Path and matcher only go
 * with an HTTP or HTTPS check.
 */
static void hc_params(struct apicall *c, const json_t *hc, int all)
{
    const char *proto = json_string_value(json_object_get(hc, "protocol"));

    if (!proto && all)
        proto = restype_attr(health_check_fields, "protocol")->def;
    for (const struct attr *f = health_check_fields; f->name; f++) {
        char buf[32], member[64];
        const char *text = elbv2util_text(json_object_get(hc, f->name), buf, sizeof(buf));
        if (!is_http(proto) && (strcmp(f->name, "path") == 0 || strcmp(f->name, "matcher") == 0))
            continue;
        if (!text && all)
            text = f->def;
        /* The answer's Matcher/HttpCode is asked for as Matcher.HttpCode. */
        snprintf(member, sizeof(member), "%s", f->member);
        for (char *p = member; *p; p++)
            *p = *p == '/' ? '.' : *p;
        if (text)
            apicall_param(c, member, text);
    }
}

/* The health check and the protocol version, which the table's members do not map. */
static void parse(const struct xnode *m, json_t *got)
{
    const char *v = xdoc_text(m, "ProtocolVersion");

    if (v && *v)
        json_object_set_new(got, "protocol_version", json_string(v));
    json_object_set_new(got, "health_check", elbv2util_read(health_check_fields, m));
}

/* The protocol version goes only with HTTP and HTTPS; the health-check fields given (AWS's
 * defaults, which the table's are, for the rest). */
static void params(struct apicall *c, const json_t *desired)
{
    const char *proto = json_string_value(json_object_get(desired, "protocol"));

    if (proto && is_http(proto))
        apicall_param(c, "ProtocolVersion", resutil_want_str(T, desired, "protocol_version"));
    hc_params(c, json_object_get(desired, "health_check"), 0);
}

static const struct elbv2util_kind kind = {T,
                                           "DescribeTargetGroups",
                                           "TargetGroups",
                                           "TargetGroupArn",
                                           "CreateTargetGroup",
                                           "TargetGroupAttributes",
                                           parse,
                                           params};

/* ModifyTargetGroup with every health-check field (omitted ones at their defaults); live's
 * health_check becomes what AWS answers. */
static int set_health_check(struct session *s, const struct restype_call *rc, const json_t *desired,
                            struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    struct apicall c;
    const struct xnode *m;
    int ret = -1;

    elbv2util_init(&c, "ModifyTargetGroup");
    apicall_param(&c, "TargetGroupArn", live->id);
    hc_params(&c, json_object_get(desired, "health_check"), 1);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    if ((m = elbv2util_first(&c, "TargetGroups")))
        json_object_set_new(live->attrs, "health_check", elbv2util_read(health_check_fields, m));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

static const struct resutil_setter setters[] = {
    {"tags", resutil_set_tags, RESUTIL_EACH, NULL},
    {"health_check", set_health_check, RESUTIL_EACH, NULL},
    {"deregistration_delay_seconds", elbv2util_update_attributes, RESUTIL_EACH, &kind},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/* A health-check port written as a number is the text AWS answers with. */
static json_t *tg_normalize(const char *attr, const json_t *v)
{
    json_t *out;
    char buf[32];

    if (strcmp(attr, "health_check") != 0 || !json_is_integer(json_object_get(v, "port")))
        return NULL;
    out = json_deep_copy(v);
    snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(json_object_get(v, "port")));
    json_object_set_new(out, "port", json_string(buf));
    return out;
}

/* Target health as ELB sees it (DescribeTargetHealth): each registered target, its state and
 * why; ok when every target is healthy and there is at least one. */
static int tg_status(struct session *s, const struct live_obj *tg, json_t **out, struct diag *d)
{
    struct apicall c;
    const struct xnode *m;
    json_t *targets = json_array(), *details = json_array();
    long healthy = 0, n = 0;
    char summary[64];
    int ret = -1;

    elbv2util_init(&c, "DescribeTargetHealth");
    apicall_param(&c, "TargetGroupArn", tg->id);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    m = xdoc_path(c.xml->root, "DescribeTargetHealthResult/TargetHealthDescriptions/member");
    for (; m; m = xdoc_next(m), n++) {
        const char *id = xdoc_text(m, "Target/Id"), *port = xdoc_text(m, "Target/Port");
        const char *state = xdoc_text(m, "TargetHealth/State");
        const char *reason = xdoc_text(m, "TargetHealth/Reason");
        const char *why = xdoc_text(m, "TargetHealth/Description");
        json_t *t =
            json_pack("{s:s, s:I, s:s}", "id", id ? id : "", "port",
                      (json_int_t)(port ? atoll(port) : 0), "state", state ? state : "unknown");
        char line[512];
        if (reason)
            json_object_set_new(t, "reason", json_string(reason));
        if (why)
            json_object_set_new(t, "description", json_string(why));
        json_array_append_new(targets, t);
        healthy += state && strcmp(state, "healthy") == 0;
        snprintf(line, sizeof(line), "%s:%s %s%s%s%s", id ? id : "?", port ? port : "?",
                 state ? state : "unknown", reason ? " (" : "", reason ? reason : "",
                 reason ? ")" : "");
        json_array_append_new(details, json_string(line));
    }
    snprintf(summary, sizeof(summary), n ? "%ld of %ld healthy" : "no targets registered", healthy,
             n);
    *out = json_pack("{s:b, s:s, s:o, s:I, s:o}", "ok", n > 0 && healthy == n, "summary", summary,
                     "details", details, "healthy", (json_int_t)healthy, "targets", targets);
    details = targets = NULL;
    ret = 0;
out:
    json_decref(details);
    json_decref(targets);
    apicall_release(&c);
    return ret;
}

static const struct restype_ops ops = {
    .normalize = tg_normalize,
    .read = elbv2util_read_kind,
    .kind = &kind,
    .create = elbv2util_create,
    .setters = setters,
    /* DeleteTargetGroup; already gone is success. AWS refuses (ResourceInUse) while a listener or
     * rule forwards to it: those go first, as they depend on it. */
    .del = {.op = "DeleteTargetGroup", .member = "TargetGroupArn"},
    .status_heading = "Target health",
    .status = tg_status,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    TAGINDEX_ACTION,
    "elasticloadbalancing:DescribeTargetHealth", /* cairn status */
    NULL};
static const char *const write_actions[] = {"elasticloadbalancing:CreateTargetGroup",
                                            "elasticloadbalancing:ModifyTargetGroup",
                                            "elasticloadbalancing:ModifyTargetGroupAttributes",
                                            "elasticloadbalancing:DeleteTargetGroup", NULL};

const struct restype elbv2_target_group_type = {
    .name = "elbv2.target_group",
    .service = "elbv2",
    .doc = "An Elastic Load Balancing (v2) target group: the targets, such as an ECS service's "
           "tasks, that a listener forwards to, and their health check.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 32,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
