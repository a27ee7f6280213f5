/* elbv2.listener: a port of a load balancer and what it does by default. */
#include "agent/live.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/elbv2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const protocol_values[] = {"HTTP", "HTTPS", NULL};
static const char *const action_values[] = {"forward", "fixed-response", "redirect", NULL};
static const char *const content_type_values[] = {
    "text/plain", "text/css", "text/html", "application/javascript", "application/json", NULL};
static const char *const redirect_code_values[] = {"HTTP_301", "HTTP_302", NULL};

static const struct attr fixed_response_fields[] = {
    {.name = "status_code",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The HTTP status code, 2XX, 4XX or 5XX."},
    {.name = "content_type",
     .type = VT_STRING,
     .values = content_type_values,
     .doc = "The content type of the body."},
    {.name = "message_body", .type = VT_STRING, .doc = "The body, up to 1024 characters."},
    {0},
};

/* #{...} keeps that part of the request, so the defaults redirect to the same URL. */
static const struct attr redirect_fields[] = {
    {.name = "protocol",
     .type = VT_STRING,
     .def = "#{protocol}",
     .doc = "HTTP, HTTPS or #{protocol}."},
    {.name = "port", .type = VT_STRING, .def = "#{port}", .doc = "A port number or #{port}."},
    {.name = "host", .type = VT_STRING, .def = "#{host}", .doc = "The host name."},
    {.name = "path", .type = VT_STRING, .def = "/#{path}", .doc = "The path, starting with /."},
    {.name = "query", .type = VT_STRING, .def = "#{query}", .doc = "The query, without the ?."},
    {.name = "status_code",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = redirect_code_values,
     .doc = "Permanent (HTTP_301) or temporary (HTTP_302)."},
    {0},
};

const struct attr elbv2_listener_action_fields[] = {
    {.name = "type",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = action_values,
     .doc = "What to do with a request."},
    {.name = "target_group_arn",
     .type = VT_ARN,
     .ref_type = "elbv2.target_group",
     .doc = "With forward: the target group that receives the request."},
    {.name = "fixed_response",
     .type = VT_OBJECT,
     .fields = fixed_response_fields,
     .doc = "With fixed-response: the response the load balancer sends itself."},
    {.name = "redirect",
     .type = VT_OBJECT,
     .fields = redirect_fields,
     .doc = "With redirect: where to send the client, for example from HTTP to HTTPS."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "load_balancer_arn",
     .type = VT_ARN,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "elbv2.load_balancer",
     .doc = "The load balancer the listener belongs to."},
    {.name = "port",
     .type = VT_PORT,
     .flags = ATTR_REQUIRED,
     .doc = "The port the listener accepts connections on."},
    {.name = "protocol",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = protocol_values,
     .doc = "The protocol clients speak to the listener."},
    {.name = "certificate_arn",
     .type = VT_ARN,
     .doc = "With HTTPS: the ARN of the server certificate (ACM)."},
    {.name = "ssl_policy",
     .type = VT_STRING,
     .doc = "With HTTPS: the security policy (TLS versions and ciphers); AWS's default when "
            "omitted."},
    {.name = "default_action",
     .type = VT_OBJECT,
     .flags = ATTR_REQUIRED,
     .fields = elbv2_listener_action_fields,
     .doc = "What the listener does with a request no rule matches."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The listener's ARN (also its ID), which a listener rule's listener_arn takes."},
    {0},
};

#define T (&elbv2_listener_type)

/* The table's attributes of a Listeners member. */
static json_t *parse(const struct xnode *m)
{
    static const struct {
        const char *attr, *api;
    } texts[] = {{"arn", "ListenerArn"},
                 {"load_balancer_arn", "LoadBalancerArn"},
                 {"protocol", "Protocol"},
                 {"ssl_policy", "SslPolicy"},
                 {"certificate_arn", "Certificates/member/CertificateArn"}};
    json_t *got = json_object(), *action;
    const char *port = xdoc_text(m, "Port");

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const char *v = xdoc_text(m, texts[i].api);
        if (v && *v)
            json_object_set_new(got, texts[i].attr, json_string(v));
    }
    if (port && *port)
        json_object_set_new(got, "port", json_integer(strtoll(port, NULL, 10)));
    if ((action = elbv2util_action_read(xdoc_child(m, "DefaultActions"))))
        json_object_set_new(got, "default_action", action);
    return got;
}

struct reading {
    struct live_set *set;
    const char *stack;
};

/* A listener of one of the stack's load balancers: the stack's when tagged with it, an extra
 * (added by hand, untagged: the load balancer owns its listeners) when it carries no
 * cairn:stack tag, another stack's otherwise (left alone). */
static int read_item(struct session *s, const struct xnode *m, const json_t *tags, void *arg,
                     struct diag *d)
{
    struct reading *r = arg;
    json_t *got = parse(m);

    (void)s, (void)d;
    resutil_add_child(r->set, T, r->stack, json_string_value(json_object_get(got, "arn")), tags,
                      got);
    return 0;
}

/*
 * Every listener of load balancer lb (DescribeListeners, every page, and DescribeTags per 20),
 * fn called for those tagged cairn:stack=stack (all when stack is NULL). A load balancer
 * deleted since it was listed has none.
 */
static int each_listener(struct session *s, const char *lb, const char *stack, elbv2util_item_fn fn,
                         void *arg, struct diag *d)
{
    struct apicall c;
    struct diag quiet;
    int ret = 0;

    diag_init(&quiet);
    elbv2util_init(&c, "DescribeListeners");
    apicall_param(&c, "LoadBalancerArn", lb);
    if (elbv2util_list(s, &c, "Listeners", "ListenerArn", stack, fn, arg, &quiet) < 0 &&
        !(c.err.code[0] && elbv2util_not_found(&c))) {
        for (size_t i = 0; i < quiet.n; i++)
            diag_error(d, NULL, "%s", quiet.v[i].msg);
        ret = -1;
    }
    apicall_release(&c);
    diag_release(&quiet);
    return ret;
}

/* The stack's load balancers (DescribeLoadBalancers, DescribeTags per 20), then
 * DescribeListeners and DescribeTags per load balancer of the stack; untagged listeners there
 * are read too, as extras. */
static int listener_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    json_t *lbs, *lb;
    size_t i;
    int ret = -1;

    if (elbv2util_stack_load_balancers(s, stack, &lbs, d) < 0)
        goto out;
    json_array_foreach(lbs, i, lb)
    {
        struct reading r = {set, stack};
        if (each_listener(s, json_string_value(lb), NULL, read_item, &r, d) < 0)
            goto out;
    }
    ret = 0;
out:
    json_decref(lbs);
    return ret;
}

/* What a create looks for among the listeners already on its load balancer. */
struct lookup {
    const struct restype_call *c;
    long long port;
    json_t *mine;    /* the listener tagged as this resource of this stack (attributes) */
    char other[512]; /* the ARN of another listener on the same port */
};

static int lookup_item(struct session *s, const struct xnode *m, const json_t *tags, void *arg,
                       struct diag *d)
{
    struct lookup *l = arg;
    const char *st = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));
    const char *id = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));
    const char *port = xdoc_text(m, "Port"), *arn = xdoc_text(m, "ListenerArn");

    (void)s, (void)d;
    if (!l->mine && st && id && strcmp(st, l->c->stack) == 0 && strcmp(id, l->c->cairn_id) == 0) {
        l->mine = parse(m);
        json_object_set_new(l->mine, "tags", json_deep_copy(tags));
    } else if (port && strtoll(port, NULL, 10) == l->port && arn) {
        snprintf(l->other, sizeof(l->other), "%s", arn);
    }
    return 0;
}

/* Port, Protocol, SslPolicy, Certificates and DefaultActions from desired, as CreateListener
 * and ModifyListener both take them. */
static void listener_params(struct apicall *c, const json_t *desired)
{
    const char *cert = json_string_value(json_object_get(desired, "certificate_arn"));
    const char *policy = json_string_value(json_object_get(desired, "ssl_policy"));
    char port[32];

    snprintf(port, sizeof(port), "%lld", resutil_want_int(T, desired, "port", 0));
    apicall_param(c, "Port", port);
    apicall_param(c, "Protocol", resutil_want_str(T, desired, "protocol"));
    if (policy)
        apicall_param(c, "SslPolicy", policy);
    if (cert)
        apicall_param(c, "Certificates.member.1.CertificateArn", cert);
    elbv2util_action_params(c, "DefaultActions.member.1",
                            json_object_get(desired, "default_action"));
}

/*
 * CreateListener with its tags. AWS answers a create repeated with the same settings with the
 * same listener, but moto makes a second one, so the load balancer's listeners are looked up
 * first (DescribeListeners, DescribeTags): the one tagged as this resource of this stack is
 * adopted as it is; another on the same port is an error (AWS: DuplicateListener).
 */
static int listener_create(struct session *s, const struct restype_call *c, const json_t *desired,
                           struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    struct lookup l = {.c = c};
    const char *lb = json_string_value(json_object_get(desired, "load_balancer_arn")), *arn;
    json_t *tags = resutil_tags_want(c, desired), *got;
    const struct xnode *m;
    int ret = -1;

    *out = NULL;
    elbv2util_init(&call, "CreateListener");
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        goto out;
    l.port = resutil_want_int(T, desired, "port", 0);
    if (each_listener(s, lb, NULL, lookup_item, &l, d) < 0)
        goto out;
    if (l.mine) {
        *out = live_set_add(set, T, json_string_value(json_object_get(l.mine, "arn")), c->cairn_id,
                            l.mine);
        l.mine = NULL;
        ret = 0;
        goto out;
    }
    if (l.other[0]) {
        diag_error(d, NULL,
                   "elbv2.listener %s: port %lld of load balancer %s already has a listener "
                   "that is not this one: %s",
                   c->cairn_id, l.port, lb, l.other);
        goto out;
    }
    apicall_param(&call, "LoadBalancerArn", lb);
    listener_params(&call, desired);
    elbv2util_tag_params(&call, tags);
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    if (!(m = elbv2util_first(&call, "Listeners")) || !(arn = xdoc_text(m, "ListenerArn"))) {
        diag_error(d, NULL, "elbv2.listener %s: the response names no listener", c->cairn_id);
        goto out;
    }
    got = parse(m);
    json_object_set(got, "tags", tags);
    *out = live_set_add(set, T, arn, c->cairn_id, got);
    ret = 0;
out:
    json_decref(l.mine);
    json_decref(tags);
    apicall_release(&call);
    return ret;
}

/* ModifyListener with everything desired says; live's attributes become AWS's answer. */
static int modify(struct session *s, struct live_obj *live, const json_t *desired, struct diag *d)
{
    struct apicall c;
    const struct xnode *m;
    int ret = -1;

    elbv2util_init(&c, "ModifyListener");
    apicall_param(&c, "ListenerArn", live->id);
    listener_params(&c, desired);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    if ((m = elbv2util_first(&c, "Listeners"))) {
        json_t *now = parse(m);
        json_object_update(live->attrs, now);
        json_decref(now);
    }
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

static int listener_update(struct session *s, const struct restype_call *c, const json_t *desired,
                           struct live_obj *live, const char *const *changed, size_t nchanged,
                           struct diag *d)
{
    static const char *const in_place[] = {"port",       "protocol",       "certificate_arn",
                                           "ssl_policy", "default_action", NULL};
    int settings = 0;

    for (size_t i = 0; i < nchanged; i++) {
        size_t k;
        if (strcmp(changed[i], "tags") == 0) {
            if (elbv2util_update_tags(s, c, desired, live, d) < 0)
                return -1;
            continue;
        }
        for (k = 0; in_place[k] && strcmp(changed[i], in_place[k]) != 0; k++)
            ;
        if (!in_place[k]) {
            diag_error(d, NULL, "elbv2.listener %s: %s cannot change in place", live->id,
                       changed[i]);
            return -1;
        }
        settings = 1;
    }
    return settings ? modify(s, live, desired, d) : 0;
}

static json_t *listener_normalize(const char *attr, const json_t *v)
{
    return strcmp(attr, "default_action") == 0 ? elbv2util_action_normalize(v) : NULL;
}

static const struct restype_ops ops = {
    .read = listener_read,
    .create = listener_create,
    .update = listener_update,
    /* DeleteListener (its rules go with it); already gone is success. */
    .remove = resutil_remove,
    .del = {.op = "DeleteListener", .member = "ListenerArn"},
    .normalize = listener_normalize,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeListeners", TAGINDEX_ACTION, NULL};
static const char *const write_actions[] = {
    "elasticloadbalancing:CreateListener", "elasticloadbalancing:AddTags",
    "elasticloadbalancing:RemoveTags",     "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:DeleteListener", NULL};

const struct restype elbv2_listener_type = {
    .name = "elbv2.listener",
    .service = "elbv2",
    .doc = "A listener of a load balancer: a port and protocol clients connect to, with the "
           "action for requests no rule matches.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
