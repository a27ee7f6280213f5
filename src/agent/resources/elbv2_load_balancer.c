/* elbv2.load_balancer: an Application Load Balancer. */
#include "agent/live.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/elbv2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const scheme_values[] = {"internet-facing", "internal", NULL};
static const char *const type_values[] = {"application", "network", "gateway", NULL};
static const char *const ip_type_values[] = {"ipv4", "dualstack", "dualstack-without-public-ipv4",
                                             NULL};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .member = "LoadBalancerName",
     .doc = "The load balancer's name: letters, digits and hyphens, not starting with "
            "internal-."},
    {.name = "scheme",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "internet-facing",
     .values = scheme_values,
     .member = "Scheme",
     .doc = "Whether the load balancer has public addresses (internet-facing) or only private "
            "ones."},
    {.name = "type",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "application",
     .values = type_values,
     .member = "Type",
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
     .member = "SecurityGroups",
     .doc = "The security groups of the load balancer (SetSecurityGroups)."},
    {.name = "ip_address_type",
     .type = VT_STRING,
     .def = "ipv4",
     .values = ip_type_values,
     .member = "IpAddressType",
     .doc = "The IP versions clients connect with (SetIpAddressType)."},
    {.name = "idle_timeout_seconds",
     .type = VT_INT,
     .flags = ATTR_LATER,
     .def = "60",
     .min = 1,
     .max = 4000,
     .member = "idle_timeout.timeout_seconds",
     .doc = "Seconds a connection may stay idle (the idle_timeout.timeout_seconds attribute)."},
    {.name = "deletion_protection",
     .type = VT_BOOL,
     .flags = ATTR_PROTECTS | ATTR_LATER,
     .def = "false",
     .member = "deletion_protection.enabled",
     .doc = "Whether AWS refuses to delete the load balancer (the deletion_protection.enabled "
            "attribute); cairn destroy then needs --allow-protected, which turns it off first."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "LoadBalancerArn",
     .doc = "The load balancer's ARN (also its ID), which a listener's load_balancer_arn "
            "takes."},
    {.name = "dns_name",
     .type = VT_DNS_NAME,
     .flags = ATTR_COMPUTED,
     .member = "DNSName",
     .doc = "The public DNS name clients connect to."},
    {.name = "canonical_hosted_zone_id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "CanonicalHostedZoneId",
     .doc = "The Route 53 zone of dns_name, for alias records."},
    {0},
};

#define T (&elbv2_load_balancer_type)

/* The subnets: asked for as Subnets, answered as AvailabilityZones. */
static void parse(const struct xnode *m, json_t *got)
{
    json_object_set_new(got, "subnets", elbv2util_strings(m, "AvailabilityZones", "SubnetId"));
}

static void params(struct apicall *c, const json_t *desired)
{
    elbv2util_list_params(c, "Subnets", json_object_get(desired, "subnets"));
}

static const struct elbv2util_kind kind = {T,
                                           "DescribeLoadBalancers",
                                           "LoadBalancers",
                                           "LoadBalancerArn",
                                           "CreateLoadBalancer",
                                           "LoadBalancerAttributes",
                                           parse,
                                           params};

/* The setter of subnets, security_groups and ip_address_type: Set<member> (arg: SetSubnets,
 * SetSecurityGroups, SetIpAddressType) with the desired value, a list or a string; live's
 * follows. */
static int set_one(struct session *s, const struct restype_call *rc, const json_t *desired,
                   struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    struct apicall c;
    const char *member = row->arg, *attr = row->attr;
    const char *text = resutil_want_str(T, desired, attr); /* NULL: a list */
    const json_t *list = json_object_get(desired, attr);
    char op[64];
    int ret = -1;

    snprintf(op, sizeof(op), "Set%s", member);
    elbv2util_init(&c, op);
    apicall_param(&c, "LoadBalancerArn", live->id);
    if (text)
        apicall_param(&c, member, text);
    else
        elbv2util_list_params(&c, member, list);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    json_object_set_new(live->attrs, attr,
                        text   ? json_string(text)
                        : list ? json_deep_copy(list)
                               : json_array());
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* Idle timeout and deletion protection go in one call, after the others. */
static const struct resutil_setter setters[] = {
    {"tags", resutil_set_tags, RESUTIL_EACH, NULL},
    {"subnets", set_one, RESUTIL_EACH, "Subnets"},
    {"security_groups", set_one, RESUTIL_EACH, "SecurityGroups"},
    {"ip_address_type", set_one, RESUTIL_EACH, "IpAddressType"},
    {"idle_timeout_seconds", elbv2util_update_attributes, RESUTIL_AFTER, &kind},
    {"deletion_protection", elbv2util_update_attributes, RESUTIL_AFTER, &kind},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/* How long a removal waits for the load balancer and its network interfaces to go. */
#define GONE_SECONDS 600

/* One DescribeLoadBalancers of arn: 1 when it lists it (c holds the answer), 0 when it does
 * not (not yet, or no longer), -1 on another error. */
static int describe(struct session *s, const char *arn, struct apicall *c, struct diag *d)
{
    struct diag quiet;
    int ret = 1;

    diag_init(&quiet);
    elbv2util_init(c, "DescribeLoadBalancers");
    apicall_param(c, "LoadBalancerArns.member.1", arn);
    if (session_call(s, c, &quiet) != CALL_OK) {
        ret = elbv2util_not_found(c) ? 0 : -1;
        if (ret < 0)
            diag_error(d, NULL, "%s", diag_last(&quiet));
    } else if (!elbv2util_first(c, "LoadBalancers")) {
        ret = 0;
    }
    diag_release(&quiet);
    return ret;
}

/* 1 when DescribeLoadBalancers no longer lists arn, 0 while it does, -1 on another error. */
static int lb_gone(struct session *s, const char *arn, struct diag *d)
{
    struct apicall c;
    int r = describe(s, arn, &c, d);

    apicall_release(&c);
    return r < 0 ? -1 : !r;
}

/* 1 when no network interface is left that AWS made for the load balancer (described
 * "ELB app/<name>/<id>", the end of its ARN), 0 while one is, -1 on error. */
static int enis_gone(struct session *s, const char *arn, struct diag *d)
{
    struct apicall c;
    const char *tail = strstr(arn, ":loadbalancer/");
    char desc[512];
    int ret = -1;

    if (!tail)
        return 1;
    snprintf(desc, sizeof(desc), "ELB %s", tail + strlen(":loadbalancer/"));
    apicall_init(&c, service_lookup("ec2"), "DescribeNetworkInterfaces");
    apicall_param(&c, "Filter.1.Name", "description");
    apicall_param(&c, "Filter.1.Value.1", desc);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    ret = xdoc_path(c.xml->root, "networkInterfaceSet/item") ? 0 : 1;
out:
    apicall_release(&c);
    return ret;
}

/* The deleted load balancer's phase of going, as a probe of resutil_poll: listed, then its
 * network interfaces still there, then gone. */
struct going {
    const char *arn;
    int phase;
};

static int gone_probe(struct session *s, void *arg, struct diag *d)
{
    struct going *g = arg;
    int r;

    while ((r = g->phase == 0 ? lb_gone(s, g->arn, d) : enis_gone(s, g->arn, d)) == 1)
        if (++g->phase == 2)
            return 1;
    return r;
}

/* Poll until the deleted load balancer is gone, then its network interfaces: the subnets and
 * security groups it was in cannot be deleted before. At most GONE_SECONDS. */
static int wait_gone(struct session *s, const struct live_obj *live, struct diag *d)
{
    struct going g = {live->id, 0};
    int rc = resutil_poll(s, gone_probe, &g, 1000, 15000, GONE_SECONDS, d);

    if (rc == 0)
        diag_error(d, NULL,
                   "elbv2.load_balancer %s: deleted, but %s after %d s; run the command again "
                   "later",
                   live->id,
                   g.phase == 0 ? "still listed" : "its network interfaces are still there",
                   GONE_SECONDS);
    return rc == 1 ? 0 : -1;
}

static int refuse_protected(const struct live_obj *live, struct diag *d)
{
    diag_error(d, NULL,
               "elbv2.load_balancer %s (%s): deletion protection is on, so it was not deleted; "
               "use --allow-protected to turn it off and delete it, or set "
               "deletion_protection: false and apply first",
               live->cairn_id ? live->cairn_id : "?", live->id);
    return -1;
}

/* Deletion protection off (ModifyLoadBalancerAttributes), for a removal asked to lift it. */
static int unprotect(struct session *s, const struct live_obj *live, struct diag *d)
{
    json_t *off = json_pack("{s:b}", "deletion_protection", 0);
    int ret = elbv2util_set_attributes(s, &kind, live->id, off, "deletion_protection", NULL, d);

    json_decref(off);
    return ret;
}

/*
 * DeleteLoadBalancer, then wait until it and its network interfaces are gone. With deletion
 * protection on (as read, or as AWS answers: OperationNotPermitted) it is refused unless how
 * has RESTYPE_REMOVE_UNPROTECT, which turns protection off first. Already gone is success.
 */
static int lb_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    struct apicall c;
    struct diag first;
    int protected = json_is_true(json_object_get(live->attrs, "deletion_protection"));
    int lift = (how & RESTYPE_REMOVE_UNPROTECT) != 0, ret = -1;
    enum call_result rc;

    diag_init(&first);
    elbv2util_init(&c, "DeleteLoadBalancer");
    apicall_param(&c, "LoadBalancerArn", live->id);
    if (protected && !lift) {
        refuse_protected(live, d);
        goto out;
    }
    if (protected && unprotect(s, live, d) < 0)
        goto out;
    rc = session_call(s, &c, &first);
    if (rc != CALL_OK && strcmp(c.err.code, "OperationNotPermitted") == 0 && !protected) {
        /* Protection turned on since the read. */
        if (!lift) {
            refuse_protected(live, d);
            goto out;
        }
        apicall_reset_result(&c);
        diag_clear(&first);
        if (unprotect(s, live, d) < 0)
            goto out;
        rc = session_call(s, &c, &first);
    }
    if (rc != CALL_OK && !elbv2util_not_found(&c)) {
        diag_error(d, NULL, "%s", diag_last(&first));
        goto out;
    }
    ret = wait_gone(s, live, d);
out:
    apicall_release(&c);
    diag_release(&first);
    return ret;
}

/*
 * Whether a load balancer just created is ready: one DescribeLoadBalancers for it. "active"
 * (or "active_impaired": serving, short of capacity in a zone) is ready, and live's attributes
 * are refreshed; "provisioning", or not listed yet, is not; "failed" is failed for good.
 */
static int lb_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    struct apicall c;
    const struct xnode *m;
    const char *state;
    int ret = describe(s, live->id, &c, d);

    m = ret > 0 ? elbv2util_first(&c, "LoadBalancers") : NULL;
    state = m ? xdoc_text(m, "State/Code") : NULL;
    if (ret <= 0 || !state || strcmp(state, "provisioning") == 0) {
        ret = ret < 0 ? -1 : 0;
    } else if (strcmp(state, "active") == 0 || strcmp(state, "active_impaired") == 0) {
        json_t *now = elbv2util_parse(&kind, m);
        json_object_update(live->attrs, now);
        json_decref(now);
    } else {
        const char *why = xdoc_text(m, "State/Reason");
        diag_error(d, NULL, "elbv2.load_balancer %s (%s): state %s%s%s",
                   live->cairn_id ? live->cairn_id : "?", live->id, state, why && *why ? ": " : "",
                   why && *why ? why : "");
        ret = -1;
    }
    apicall_release(&c);
    return ret;
}

static const struct restype_ops ops = {
    .read = elbv2util_read_kind,
    .kind = &kind,
    .create = elbv2util_create,
    .setters = setters,
    .remove = lb_remove,
    .ready = lb_ready,
    .wait_seconds = 600, /* a few minutes on AWS */
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add.
 * ec2:DescribeNetworkInterfaces: a removal waits until the load balancer's interfaces are gone. */
static const char *const read_actions[] = {
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeLoadBalancerAttributes", TAGINDEX_ACTION, NULL};
static const char *const write_actions[] = {
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetSubnets",         "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetIpAddressType",   "elasticloadbalancing:DeleteLoadBalancer",
    "ec2:DescribeNetworkInterfaces",           NULL};

const struct restype elbv2_load_balancer_type = {
    .name = "elbv2.load_balancer",
    .service = "elbv2",
    .doc = "An Elastic Load Balancing (v2) load balancer: an Application Load Balancer routes "
           "HTTP requests to target groups by its listeners' rules.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 32,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
