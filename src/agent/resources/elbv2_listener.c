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
     .member = "StatusCode",
     .doc = "The HTTP status code, 2XX, 4XX or 5XX."},
    {.name = "content_type",
     .type = VT_STRING,
     .values = content_type_values,
     .member = "ContentType",
     .doc = "The content type of the body."},
    {.name = "message_body",
     .type = VT_STRING,
     .member = "MessageBody",
     .doc = "The body, up to 1024 characters."},
    {0},
};

/* #{...} keeps that part of the request, so the defaults redirect to the same URL. */
static const struct attr redirect_fields[] = {
    {.name = "protocol",
     .type = VT_STRING,
     .def = "#{protocol}",
     .member = "Protocol",
     .doc = "HTTP, HTTPS or #{protocol}."},
    {.name = "port",
     .type = VT_STRING,
     .def = "#{port}",
     .member = "Port",
     .doc = "A port number or #{port}."},
    {.name = "host",
     .type = VT_STRING,
     .def = "#{host}",
     .member = "Host",
     .doc = "The host name."},
    {.name = "path",
     .type = VT_STRING,
     .def = "/#{path}",
     .member = "Path",
     .doc = "The path, starting with /."},
    {.name = "query",
     .type = VT_STRING,
     .def = "#{query}",
     .member = "Query",
     .doc = "The query, without the ?."},
    {.name = "status_code",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = redirect_code_values,
     .member = "StatusCode",
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
     .member = "FixedResponseConfig",
     .doc = "With fixed-response: the response the load balancer sends itself."},
    {.name = "redirect",
     .type = VT_OBJECT,
     .fields = redirect_fields,
     .member = "RedirectConfig",
     .doc = "With redirect: where to send the client, for example from HTTP to HTTPS."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "load_balancer_arn",
     .type = VT_ARN,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "elbv2.load_balancer",
     .member = "LoadBalancerArn",
     .doc = "The load balancer the listener belongs to."},
    {.name = "port",
     .type = VT_PORT,
     .flags = ATTR_REQUIRED,
     .member = "Port",
     .doc = "The port the listener accepts connections on."},
    {.name = "protocol",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = protocol_values,
     .member = "Protocol",
     .doc = "The protocol clients speak to the listener."},
    {.name = "certificate_arn",
     .type = VT_ARN,
     .member = "Certificates/member/CertificateArn",
     .doc = "With HTTPS: the ARN of the server certificate (ACM)."},
    {.name = "ssl_policy",
     .type = VT_STRING,
     .member = "SslPolicy",
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
     .member = "ListenerArn",
     .doc = "The listener's ARN (also its ID), which a listener rule's listener_arn takes."},
    {0},
};

#define T (&elbv2_listener_type)

/* The table's attributes of a Listeners member (lb: its load balancer, which it names too). */
static json_t *parse(const struct xnode *m, const char *lb)
{
    json_t *got = elbv2util_read(T->attrs, m), *action;

    (void)lb;
    if ((action = elbv2util_action_read(xdoc_child(m, "DefaultActions"))))
        json_object_set_new(got, "default_action", action);
    return got;
}

/* Port, Protocol, SslPolicy, Certificates and DefaultActions from desired, as CreateListener
 * and ModifyListener both take them. */
static void params(struct apicall *c, const json_t *desired, int create)
{
    const char *cert = json_string_value(json_object_get(desired, "certificate_arn"));
    const char *policy = json_string_value(json_object_get(desired, "ssl_policy"));
    char port[32];

    (void)create;
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

static const struct elbv2util_child child = {T,
                                             "load_balancer_arn",
                                             "LoadBalancerArn",
                                             "Listeners",
                                             "ListenerArn",
                                             "DescribeListeners",
                                             "CreateListener",
                                             "ModifyListener",
                                             parse,
                                             params};

/* The stack's load balancers (DescribeLoadBalancers, DescribeTags per 20), then
 * DescribeListeners and DescribeTags per load balancer of the stack; untagged listeners there
 * are read too, as extras (the load balancer owns its listeners). */
static int listener_read(struct session *s, const struct restype *t, const char *stack,
                         struct live_set *set, struct diag *d)
{
    json_t *lbs;
    int ret = -1;

    if (elbv2util_stack_load_balancers(s, stack, &lbs, d) == 0)
        ret = elbv2util_read_children(s, &child, stack, lbs, set, d);
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
    const char *port = xdoc_text(m, "Port"), *arn = xdoc_text(m, "ListenerArn");

    (void)s, (void)d;
    if (!l->mine && resutil_owned(tags, l->c)) {
        l->mine = parse(m, NULL);
        json_object_set_new(l->mine, "tags", json_deep_copy(tags));
    } else if (port && strtoll(port, NULL, 10) == l->port && arn) {
        snprintf(l->other, sizeof(l->other), "%s", arn);
    }
    return 0;
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
    struct lookup l = {.c = c};
    const char *lb = json_string_value(json_object_get(desired, "load_balancer_arn"));
    int ret = -1;

    *out = NULL;
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        goto out;
    l.port = resutil_want_int(T, desired, "port", 0);
    if (elbv2util_each_child(s, &child, lb, lookup_item, &l, d) < 0)
        goto out;
    if (l.mine) {
        *out = live_set_add(set, T, json_string_value(json_object_get(l.mine, "arn")), c->cairn_id,
                            l.mine);
        l.mine = NULL;
        ret = 0;
    } else if (l.other[0]) {
        diag_error(d, NULL,
                   "elbv2.listener %s: port %lld of load balancer %s already has a listener "
                   "that is not this one: %s",
                   c->cairn_id, l.port, lb, l.other);
    } else {
        ret = elbv2util_create_child(s, &child, c, desired, set, out, d);
    }
out:
    json_decref(l.mine);
    return ret;
}

static const struct resutil_setter setters[] = {
    {"tags", resutil_set_tags, RESUTIL_EACH, NULL},
    {"port", elbv2util_modify_child, RESUTIL_AFTER, &child},
    {"protocol", elbv2util_modify_child, RESUTIL_AFTER, &child},
    {"certificate_arn", elbv2util_modify_child, RESUTIL_AFTER, &child},
    {"ssl_policy", elbv2util_modify_child, RESUTIL_AFTER, &child},
    {"default_action", elbv2util_modify_child, RESUTIL_AFTER, &child},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

static json_t *listener_normalize(const char *attr, const json_t *v)
{
    return strcmp(attr, "default_action") == 0 ? elbv2util_action_normalize(v) : NULL;
}

static const struct restype_ops ops = {
    .read = listener_read,
    .create = listener_create,
    .setters = setters,
    /* DeleteListener (its rules go with it); already gone is success. */
    .del = {.op = "DeleteListener", .member = "ListenerArn"},
    .normalize = listener_normalize,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeListeners", TAGINDEX_ACTION, NULL};
static const char *const write_actions[] = {"elasticloadbalancing:CreateListener",
                                            "elasticloadbalancing:ModifyListener",
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
