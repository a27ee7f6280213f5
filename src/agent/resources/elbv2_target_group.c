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
     .doc = "Whether targets are checked (always for ip and instance targets)."},
    {.name = "path", .type = VT_STRING, .def = "/", .doc = "The path the check requests."},
    {.name = "port",
     .type = VT_STRING,
     .def = "traffic-port",
     .doc = "The port checked: traffic-port (the target's own) or a number."},
    {.name = "protocol",
     .type = VT_STRING,
     .def = "HTTP",
     .values = hc_protocol_values,
     .doc = "The protocol of the check."},
    {.name = "matcher",
     .type = VT_STRING,
     .def = "200",
     .doc = "The HTTP codes that mean healthy, for example 200 or 200-299 (Matcher.HttpCode)."},
    {.name = "interval",
     .type = VT_INT,
     .def = "30",
     .min = 5,
     .max = 300,
     .doc = "Seconds between checks of a target (HealthCheckIntervalSeconds)."},
    {.name = "timeout",
     .type = VT_INT,
     .def = "5",
     .min = 2,
     .max = 120,
     .doc = "Seconds without a response that fail a check (HealthCheckTimeoutSeconds)."},
    {.name = "healthy_threshold",
     .type = VT_INT,
     .def = "5",
     .min = 2,
     .max = 10,
     .doc = "Successes in a row that make a target healthy (HealthyThresholdCount)."},
    {.name = "unhealthy_threshold",
     .type = VT_INT,
     .def = "2",
     .min = 2,
     .max = 10,
     .doc = "Failures in a row that make a target unhealthy (UnhealthyThresholdCount)."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The target group's name: letters, digits and hyphens."},
    {.name = "port",
     .type = VT_PORT,
     .flags = ATTR_REPLACE,
     .doc = "The port targets receive traffic on; required unless target_type is lambda."},
    {.name = "protocol",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .values = protocol_values,
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
     .doc = "How targets are registered; Fargate tasks need ip."},
    {.name = "vpc_id",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .doc = "The VPC of the targets; required unless target_type is lambda."},
    {.name = "health_check",
     .type = VT_OBJECT,
     .fields = health_check_fields,
     .doc = "How the load balancer checks that a target is healthy."},
    {.name = "deregistration_delay_seconds",
     .type = VT_INT,
     .def = "300",
     .min = 0,
     .max = 3600,
     .doc = "Seconds a deregistering target keeps its in-flight requests (the "
            "deregistration_delay.timeout_seconds attribute)."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The target group's ARN (also its ID), which actions and ECS services take."},
    {0},
};

#define T (&elbv2_target_group_type)

#define KEY_DEREG "deregistration_delay.timeout_seconds"

enum kind { TEXT, INT, BOOL };

/* The health_check fields and the HealthCheck* members they are. */
static const struct hc_member {
    const char *attr, *api;
    enum kind kind;
} hc_members[] = {
    {"enabled", "HealthCheckEnabled", BOOL},
    {"path", "HealthCheckPath", TEXT},
    {"port", "HealthCheckPort", TEXT},
    {"protocol", "HealthCheckProtocol", TEXT},
    {"matcher", "Matcher.HttpCode", TEXT},
    {"interval", "HealthCheckIntervalSeconds", INT},
    {"timeout", "HealthCheckTimeoutSeconds", INT},
    {"healthy_threshold", "HealthyThresholdCount", INT},
    {"unhealthy_threshold", "UnhealthyThresholdCount", INT},
    {NULL, NULL, TEXT},
};

static json_t *value_of(const char *text, enum kind kind)
{
    switch (kind) {
    case INT:
        return json_integer(strtoll(text, NULL, 10));
    case BOOL:
        return json_boolean(strcmp(text, "true") == 0);
    default:
        return json_string(text);
    }
}

/* The table's attributes of a TargetGroups member (deregistration delay aside). */
static json_t *parse(const struct xnode *m)
{
    static const struct {
        const char *attr, *api;
        enum kind kind;
    } top[] = {{"arn", "TargetGroupArn", TEXT},
               {"name", "TargetGroupName", TEXT},
               {"port", "Port", INT},
               {"protocol", "Protocol", TEXT},
               {"protocol_version", "ProtocolVersion", TEXT},
               {"target_type", "TargetType", TEXT},
               {"vpc_id", "VpcId", TEXT}};
    json_t *got = json_object(), *hc = json_object();

    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
        const char *v = xdoc_text(m, top[i].api);
        if (v && *v)
            json_object_set_new(got, top[i].attr, value_of(v, top[i].kind));
    }
    for (const struct hc_member *h = hc_members; h->attr; h++) {
        /* Matcher.HttpCode is the element Matcher/HttpCode. */
        const char *v = xdoc_text(m, strcmp(h->attr, "matcher") == 0 ? "Matcher/HttpCode" : h->api);
        if (v && *v)
            json_object_set_new(hc, h->attr, value_of(v, h->kind));
    }
    json_object_set_new(got, "health_check", hc);
    return got;
}

/* deregistration_delay_seconds from an <Attributes> list (kv) into got (left out when absent). */
static void take_attributes(json_t *got, const json_t *kv)
{
    const char *v = json_string_value(json_object_get(kv, KEY_DEREG));

    if (v && *v)
        json_object_set_new(got, "deregistration_delay_seconds",
                            json_integer(strtoll(v, NULL, 10)));
}

static int read_attributes(struct session *s, const char *arn, json_t *got, struct diag *d)
{
    json_t *kv;

    if (elbv2util_read_attributes(s, "DescribeTargetGroupAttributes", "TargetGroupArn", arn, &kv,
                                  d) < 0)
        return -1;
    take_attributes(got, kv);
    json_decref(kv);
    return 0;
}

static int read_item(struct session *s, const struct xnode *m, const json_t *tags, void *arg,
                     struct diag *d)
{
    json_t *got = parse(m);
    const char *arn = json_string_value(json_object_get(got, "arn"));

    if (read_attributes(s, arn, got, d) < 0) {
        json_decref(got);
        return -1;
    }
    json_object_set_new(got, "tags", json_deep_copy(tags));
    live_set_add(arg, T, arn, json_string_value(json_object_get(tags, RESUTIL_TAG_ID)), got);
    return 0;
}

/* DescribeTargetGroups (every page), DescribeTags per 20 of them, and
 * DescribeTargetGroupAttributes per target group of the stack. */
static int tg_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    struct apicall c;
    int ret;

    elbv2util_init(&c, "DescribeTargetGroups");
    ret = elbv2util_list(s, &c, "TargetGroups", "TargetGroupArn", stack, read_item, set, d);
    apicall_release(&c);
    return ret;
}

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
    const struct attr *table = restype_attr(T->attrs, "health_check")->fields;
    const char *proto = json_string_value(json_object_get(hc, "protocol"));

    if (!proto && all)
        proto = restype_attr(table, "protocol")->def;
    for (const struct hc_member *h = hc_members; h->attr; h++) {
        const json_t *v = json_object_get(hc, h->attr);
        const char *def = restype_attr(table, h->attr)->def;
        char buf[32];
        const char *text = NULL;
        if (!is_http(proto) && (strcmp(h->attr, "path") == 0 || strcmp(h->attr, "matcher") == 0))
            continue;
        if (json_is_integer(v)) {
            snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
            text = buf;
        } else if (json_is_boolean(v)) {
            text = json_is_true(v) ? "true" : "false";
        } else if (json_is_string(v)) {
            text = json_string_value(v);
        } else if (all) {
            text = def;
        }
        if (text)
            apicall_param(c, h->api, text);
    }
}

/* ModifyTargetGroupAttributes with the desired deregistration delay; live attrs follow. */
static int set_attributes(struct session *s, const char *arn, const json_t *desired, json_t *got,
                          struct diag *d)
{
    char delay[32];
    long long n = resutil_want_int(T, desired, "deregistration_delay_seconds", 300);

    snprintf(delay, sizeof(delay), "%lld", n);
    if (elbv2util_call(s, d, "ModifyTargetGroupAttributes", "TargetGroupArn", arn,
                       "Attributes.member.1.Key", KEY_DEREG, "Attributes.member.1.Value", delay,
                       NULL) < 0)
        return -1;
    json_object_set_new(got, "deregistration_delay_seconds", json_integer(n));
    return 0;
}

static const struct elbv2util_named named = {"DescribeTargetGroups", "TargetGroups",
                                             "TargetGroupArn", parse, read_attributes};

static const char *text_of(const json_t *desired, const char *name, char *buf, size_t n)
{
    const json_t *v = json_object_get(desired, name);

    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return json_string_value(v);
}

/*
 * CreateTargetGroup with its tags and the health-check fields given (AWS's defaults, which the
 * table's are, for the rest), then ModifyTargetGroupAttributes with the deregistration delay.
 * AWS answers a create repeated with the same settings with the same group (moto: refuses
 * DuplicateTargetGroupName), so the name is looked up first: a group of that name tagged as
 * this resource of this stack is adopted as it is; one that is not is an error.
 */
static int tg_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    const char *name = c->physical_name ? c->physical_name : resutil_want_str(T, desired, "name");
    const char *proto = json_string_value(json_object_get(desired, "protocol"));
    const char *arn, *v;
    json_t *tags = resutil_tags_want(c, desired), *got = NULL;
    const struct xnode *m;
    char buf[32];
    int found, ret = -1;

    *out = NULL;
    elbv2util_init(&call, "CreateTargetGroup");
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        goto out;
    if (!name) {
        diag_error(d, NULL, "elbv2.target_group %s: no name to give it", c->cairn_id);
        goto out;
    }
    if ((found = elbv2util_find_named(s, &named, name, &got, d)) < 0)
        goto out;
    if (found) {
        const json_t *have = json_object_get(got, "tags");
        const char *st = json_string_value(json_object_get(have, RESUTIL_TAG_STACK));
        const char *id = json_string_value(json_object_get(have, RESUTIL_TAG_ID));
        if (!st || !id || strcmp(st, c->stack) != 0 || strcmp(id, c->cairn_id) != 0) {
            diag_error(d, NULL,
                       "elbv2.target_group %s: a target group named %s already exists and is "
                       "not this one (its tags say cairn:stack=%s, cairn:id=%s)",
                       c->cairn_id, name, st ? st : "(none)", id ? id : "(none)");
            goto out;
        }
        *out =
            live_set_add(set, T, json_string_value(json_object_get(got, "arn")), c->cairn_id, got);
        got = NULL;
        ret = 0;
        goto out;
    }
    apicall_param(&call, "Name", name);
    if (proto)
        apicall_param(&call, "Protocol", proto);
    if (proto && is_http(proto))
        apicall_param(&call, "ProtocolVersion", resutil_want_str(T, desired, "protocol_version"));
    if ((v = text_of(desired, "port", buf, sizeof(buf))))
        apicall_param(&call, "Port", v);
    if ((v = json_string_value(json_object_get(desired, "vpc_id"))))
        apicall_param(&call, "VpcId", v);
    apicall_param(&call, "TargetType", resutil_want_str(T, desired, "target_type"));
    hc_params(&call, json_object_get(desired, "health_check"), 0);
    elbv2util_tag_params(&call, tags);
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    if (!(m = elbv2util_first(&call, "TargetGroups")) || !(arn = xdoc_text(m, "TargetGroupArn"))) {
        diag_error(d, NULL, "elbv2.target_group %s: the response names no target group",
                   c->cairn_id);
        goto out;
    }
    got = parse(m);
    json_object_set(got, "tags", tags);
    /* Known from here on, even if setting the delay fails. */
    *out = live_set_add(set, T, arn, c->cairn_id, got);
    got = NULL;
    if (set_attributes(s, arn, desired, (*out)->attrs, d) < 0)
        goto out;
    ret = 0;
out:
    json_decref(tags);
    json_decref(got);
    apicall_release(&call);
    return ret;
}

/* ModifyTargetGroup with every health-check field (omitted ones at their defaults); live's
 * health_check becomes what AWS answers. */
static int set_health_check(struct session *s, struct live_obj *live, const json_t *desired,
                            struct diag *d)
{
    struct apicall c;
    const struct xnode *m;
    int ret = -1;

    elbv2util_init(&c, "ModifyTargetGroup");
    apicall_param(&c, "TargetGroupArn", live->id);
    hc_params(&c, json_object_get(desired, "health_check"), 1);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    if ((m = elbv2util_first(&c, "TargetGroups"))) {
        json_t *now = parse(m);
        json_object_set(live->attrs, "health_check", json_object_get(now, "health_check"));
        json_decref(now);
    }
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

static int tg_update(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const char *const *changed, size_t nchanged,
                     struct diag *d)
{
    for (size_t i = 0; i < nchanged; i++) {
        const char *a = changed[i];
        int rc;
        if (strcmp(a, "tags") == 0) {
            rc = elbv2util_update_tags(s, c, desired, live, d);
        } else if (strcmp(a, "health_check") == 0) {
            rc = set_health_check(s, live, desired, d);
        } else if (strcmp(a, "deregistration_delay_seconds") == 0) {
            rc = set_attributes(s, live->id, desired, live->attrs, d);
        } else {
            diag_error(d, NULL, "elbv2.target_group %s: %s cannot change in place", live->id, a);
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

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
    .read = tg_read,
    .create = tg_create,
    .update = tg_update,
    /* DeleteTargetGroup; already gone is success. AWS refuses (ResourceInUse) while a listener or
     * rule forwards to it: those go first, as they depend on it. */
    .remove = resutil_remove,
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
                                            "elasticloadbalancing:AddTags",
                                            "elasticloadbalancing:RemoveTags",
                                            "elasticloadbalancing:ModifyTargetGroup",
                                            "elasticloadbalancing:ModifyTargetGroupAttributes",
                                            "elasticloadbalancing:DeleteTargetGroup",
                                            NULL};

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
