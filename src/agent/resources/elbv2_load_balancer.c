/* elbv2.load_balancer: an Application Load Balancer. */
#include "agent/live.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/elbv2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const scheme_values[] = {"internet-facing", "internal", NULL};
static const char *const type_values[] = {"application", "network", "gateway", NULL};
static const char *const ip_type_values[] = {"ipv4", "dualstack", "dualstack-without-public-ipv4",
                                             NULL};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The load balancer's name: letters, digits and hyphens, not starting with "
            "internal-."},
    {.name = "scheme",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "internet-facing",
     .values = scheme_values,
     .doc = "Whether the load balancer has public addresses (internet-facing) or only private "
            "ones."},
    {.name = "type",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "application",
     .values = type_values,
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
     .doc = "The security groups of the load balancer (SetSecurityGroups)."},
    {.name = "ip_address_type",
     .type = VT_STRING,
     .def = "ipv4",
     .values = ip_type_values,
     .doc = "The IP versions clients connect with (SetIpAddressType)."},
    {.name = "idle_timeout_seconds",
     .type = VT_INT,
     .def = "60",
     .min = 1,
     .max = 4000,
     .doc = "Seconds a connection may stay idle (the idle_timeout.timeout_seconds attribute)."},
    {.name = "deletion_protection",
     .type = VT_BOOL,
     .flags = ATTR_PROTECTS,
     .def = "false",
     .doc = "Whether AWS refuses to delete the load balancer (the deletion_protection.enabled "
            "attribute); cairn destroy then needs --allow-protected, which turns it off first."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The load balancer's ARN (also its ID), which a listener's load_balancer_arn "
            "takes."},
    {.name = "dns_name",
     .type = VT_DNS_NAME,
     .flags = ATTR_COMPUTED,
     .doc = "The public DNS name clients connect to."},
    {.name = "canonical_hosted_zone_id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The Route 53 zone of dns_name, for alias records."},
    {0},
};

#define T (&elbv2_load_balancer_type)

/* The attributes (DescribeLoadBalancerAttributes' keys) the table holds. */
#define KEY_IDLE    "idle_timeout.timeout_seconds"
#define KEY_PROTECT "deletion_protection.enabled"

/* The table's attributes of a LoadBalancers member (no load balancer attributes yet). */
static json_t *parse(const struct xnode *m)
{
    static const struct {
        const char *attr, *api;
    } texts[] = {{"arn", "LoadBalancerArn"},
                 {"name", "LoadBalancerName"},
                 {"scheme", "Scheme"},
                 {"type", "Type"},
                 {"ip_address_type", "IpAddressType"},
                 {"dns_name", "DNSName"},
                 {"canonical_hosted_zone_id", "CanonicalHostedZoneId"}};
    json_t *got = json_object();

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const char *v = xdoc_text(m, texts[i].api);
        if (v && *v)
            json_object_set_new(got, texts[i].attr, json_string(v));
    }
    json_object_set_new(got, "subnets", elbv2util_strings(m, "AvailabilityZones", "SubnetId"));
    json_object_set_new(got, "security_groups", elbv2util_strings(m, "SecurityGroups", NULL));
    return got;
}

/* idle_timeout_seconds and deletion_protection from an <Attributes> list (kv) into got. A key AWS
 * leaves out (moto has no idle timeout until one is set) stays out: the default. */
static void take_attributes(json_t *got, const json_t *kv)
{
    const char *idle = json_string_value(json_object_get(kv, KEY_IDLE));
    const char *prot = json_string_value(json_object_get(kv, KEY_PROTECT));

    if (idle && *idle)
        json_object_set_new(got, "idle_timeout_seconds", json_integer(strtoll(idle, NULL, 10)));
    if (prot && *prot)
        json_object_set_new(got, "deletion_protection", json_boolean(strcmp(prot, "true") == 0));
}

/* One DescribeLoadBalancerAttributes into got. */
static int read_attributes(struct session *s, const char *arn, json_t *got, struct diag *d)
{
    json_t *kv;

    if (elbv2util_read_attributes(s, "DescribeLoadBalancerAttributes", "LoadBalancerArn", arn, &kv,
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

/* DescribeLoadBalancers (every page), DescribeTags per 20 of them, and
 * DescribeLoadBalancerAttributes per load balancer of the stack. */
static int lb_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    struct apicall c;
    int ret;

    elbv2util_init(&c, "DescribeLoadBalancers");
    ret = elbv2util_list(s, &c, "LoadBalancers", "LoadBalancerArn", stack, read_item, set, d);
    apicall_release(&c);
    return ret;
}

/* ModifyLoadBalancerAttributes with the pairs that follow (key, value, ..., NULL); got (when
 * not NULL) takes the attributes AWS answers with. */
static int modify(struct session *s, const char *arn, json_t *got, struct diag *d, ...)
    __attribute__((sentinel));
static int modify(struct session *s, const char *arn, json_t *got, struct diag *d, ...)
{
    struct apicall c;
    const char *key;
    va_list ap;
    int n = 0, ret = -1;

    elbv2util_init(&c, "ModifyLoadBalancerAttributes");
    apicall_param(&c, "LoadBalancerArn", arn);
    va_start(ap, d);
    while ((key = va_arg(ap, const char *)) != NULL) {
        n++;
        apicall_paramf(&c, key, "Attributes.member.%d.Key", n);
        apicall_paramf(&c, va_arg(ap, const char *), "Attributes.member.%d.Value", n);
    }
    va_end(ap);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    if (got) {
        json_t *kv = elbv2util_attributes(
            xdoc_path(c.xml->root, "ModifyLoadBalancerAttributesResult/Attributes"));
        take_attributes(got, kv);
        json_decref(kv);
    }
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* Both attributes of the table as desired says (or their defaults), in one call. */
static int set_attributes(struct session *s, const char *arn, const json_t *desired, json_t *got,
                          struct diag *d)
{
    char idle[32];

    snprintf(idle, sizeof(idle), "%lld", resutil_want_int(T, desired, "idle_timeout_seconds", 60));
    return modify(s, arn, got, d, KEY_IDLE, idle, KEY_PROTECT,
                  resutil_want_bool(T, desired, "deletion_protection") ? "true" : "false", NULL);
}

/* A list of strings as <name>.member.<i>; an empty list as <name> alone (the query protocol's
 * spelling of []). */
static void list_params(struct apicall *c, const char *name, const json_t *list)
{
    json_t *v;
    size_t i;

    if (json_array_size(list) == 0)
        apicall_param(c, name, "");
    json_array_foreach(list, i, v)
    {
        apicall_paramf(c, json_string_value(v) ? json_string_value(v) : "", "%s.member.%zu", name,
                       i + 1);
    }
}

static const struct elbv2util_named named = {"DescribeLoadBalancers", "LoadBalancers",
                                             "LoadBalancerArn", parse, read_attributes};

/*
 * CreateLoadBalancer with its tags, then ModifyLoadBalancerAttributes with its idle timeout and
 * deletion protection. AWS answers a create repeated with the same settings with the same load
 * balancer, but moto makes a second one, so the name is looked up first (one
 * DescribeLoadBalancers, and DescribeTags when it exists): a load balancer of that name
 * tagged as this resource of this stack is adopted as it is; one that is not is an error.
 * Not ready at once: "provisioning" until "active".
 */
static int lb_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    const char *name = c->physical_name ? c->physical_name : resutil_want_str(T, desired, "name");
    const char *arn;
    const json_t *sgs = json_object_get(desired, "security_groups");
    json_t *tags = resutil_tags_want(c, desired), *got = NULL;
    const struct xnode *m;
    int found, ret = -1;

    *out = NULL;
    elbv2util_init(&call, "CreateLoadBalancer");
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        goto out;
    if (!name) {
        diag_error(d, NULL, "elbv2.load_balancer %s: no name to give it", c->cairn_id);
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
                       "elbv2.load_balancer %s: a load balancer named %s already exists and is "
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
    list_params(&call, "Subnets", json_object_get(desired, "subnets"));
    if (json_array_size(sgs))
        list_params(&call, "SecurityGroups", sgs);
    apicall_param(&call, "Scheme", resutil_want_str(T, desired, "scheme"));
    apicall_param(&call, "Type", resutil_want_str(T, desired, "type"));
    apicall_param(&call, "IpAddressType", resutil_want_str(T, desired, "ip_address_type"));
    elbv2util_tag_params(&call, tags);
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    if (!(m = elbv2util_first(&call, "LoadBalancers")) ||
        !(arn = xdoc_text(m, "LoadBalancerArn"))) {
        diag_error(d, NULL, "elbv2.load_balancer %s: the response names no load balancer",
                   c->cairn_id);
        goto out;
    }
    got = parse(m);
    json_object_set(got, "tags", tags);
    /* Known from here on, even if setting its attributes fails. */
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

/* SetSubnets or SetSecurityGroups (op) with list (member name) from desired. */
static int set_list(struct session *s, struct live_obj *live, const json_t *desired, const char *op,
                    const char *member, const char *attr, struct diag *d)
{
    struct apicall c;
    json_t *want = json_object_get(desired, attr);
    int ret = -1;

    elbv2util_init(&c, op);
    apicall_param(&c, "LoadBalancerArn", live->id);
    list_params(&c, member, want);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    json_object_set_new(live->attrs, attr, want ? json_deep_copy(want) : json_array());
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

static int lb_update(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const char *const *changed, size_t nchanged,
                     struct diag *d)
{
    int attributes = 0;

    for (size_t i = 0; i < nchanged; i++) {
        const char *a = changed[i];
        int rc = 0;
        if (strcmp(a, "tags") == 0) {
            rc = elbv2util_update_tags(s, c, desired, live, d);
        } else if (strcmp(a, "subnets") == 0) {
            rc = set_list(s, live, desired, "SetSubnets", "Subnets", a, d);
        } else if (strcmp(a, "security_groups") == 0) {
            rc = set_list(s, live, desired, "SetSecurityGroups", "SecurityGroups", a, d);
        } else if (strcmp(a, "ip_address_type") == 0) {
            const char *want = resutil_want_str(T, desired, a);
            rc = elbv2util_call(s, d, "SetIpAddressType", "LoadBalancerArn", live->id,
                                "IpAddressType", want, NULL);
            if (rc == 0)
                json_object_set_new(live->attrs, a, json_string(want));
        } else if (strcmp(a, "idle_timeout_seconds") == 0 ||
                   strcmp(a, "deletion_protection") == 0) {
            attributes = 1;
        } else {
            diag_error(d, NULL, "elbv2.load_balancer %s: %s cannot change in place", live->id, a);
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    return attributes ? set_attributes(s, live->id, desired, live->attrs, d) : 0;
}

/* How long a removal waits for the load balancer and its network interfaces to go. */
#define GONE_SECONDS 600

/* 1 when DescribeLoadBalancers no longer lists arn, 0 while it does, -1 on another error. */
static int lb_gone(struct session *s, const char *arn, struct diag *d)
{
    struct apicall c;
    struct diag quiet;
    int ret = 0;

    diag_init(&quiet);
    elbv2util_init(&c, "DescribeLoadBalancers");
    apicall_param(&c, "LoadBalancerArns.member.1", arn);
    if (session_call(s, &c, &quiet) != CALL_OK) {
        ret = elbv2util_not_found(&c) ? 1 : -1;
        if (ret < 0)
            diag_error(d, NULL, "%s", diag_last(&quiet));
    } else if (!elbv2util_first(&c, "LoadBalancers")) {
        ret = 1;
    }
    apicall_release(&c);
    diag_release(&quiet);
    return ret;
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
    int unprotect = (how & RESTYPE_REMOVE_UNPROTECT) != 0, ret = -1;
    enum call_result rc;

    diag_init(&first);
    elbv2util_init(&c, "DeleteLoadBalancer");
    apicall_param(&c, "LoadBalancerArn", live->id);
    if (protected && !unprotect) {
        refuse_protected(live, d);
        goto out;
    }
    if (protected && modify(s, live->id, NULL, d, KEY_PROTECT, "false", NULL) < 0)
        goto out;
    rc = session_call(s, &c, &first);
    if (rc != CALL_OK && strcmp(c.err.code, "OperationNotPermitted") == 0 && !protected) {
        /* Protection turned on since the read. */
        if (!unprotect) {
            refuse_protected(live, d);
            goto out;
        }
        apicall_reset_result(&c);
        diag_clear(&first);
        if (modify(s, live->id, NULL, d, KEY_PROTECT, "false", NULL) < 0)
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
    struct diag quiet;
    const struct xnode *m;
    const char *state;
    int ret = -1;

    diag_init(&quiet);
    elbv2util_init(&c, "DescribeLoadBalancers");
    apicall_param(&c, "LoadBalancerArns.member.1", live->id);
    if (session_call(s, &c, &quiet) != CALL_OK) {
        if (elbv2util_not_found(&c))
            ret = 0;
        else
            diag_error(d, NULL, "%s", diag_last(&quiet));
        goto out;
    }
    m = elbv2util_first(&c, "LoadBalancers");
    state = m ? xdoc_text(m, "State/Code") : NULL;
    if (!state || strcmp(state, "provisioning") == 0) {
        ret = 0;
    } else if (strcmp(state, "active") == 0 || strcmp(state, "active_impaired") == 0) {
        json_t *now = parse(m);
        json_object_update(live->attrs, now);
        json_decref(now);
        ret = 1;
    } else {
        const char *why = xdoc_text(m, "State/Reason");
        diag_error(d, NULL, "elbv2.load_balancer %s (%s): state %s%s%s",
                   live->cairn_id ? live->cairn_id : "?", live->id, state, why && *why ? ": " : "",
                   why && *why ? why : "");
    }
out:
    apicall_release(&c);
    diag_release(&quiet);
    return ret;
}

static const struct restype_ops ops = {
    .read = lb_read,
    .create = lb_create,
    .update = lb_update,
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
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:AddTags",
    "elasticloadbalancing:RemoveTags",         "elasticloadbalancing:ModifyLoadBalancerAttributes",
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
