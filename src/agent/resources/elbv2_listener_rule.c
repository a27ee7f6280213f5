/* elbv2.listener_rule: routes matching requests of a listener. */
#include "agent/live.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/elbv2util.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/printable.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
     .member = "Priority",
     .min = 1,
     .max = 50000,
     .doc = "The order rules are evaluated in, lowest first, unique on the listener. When "
            "omitted, cairn gives the rule the first free priority from 10000 + (a fixed hash of "
            "its logical name mod 40000) upwards (wrapping within 10000-49999), and keeps it."},
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
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "RuleArn",
     .doc = "The rule's ARN (also its ID)."},
    {0},
};

#define T (&elbv2_listener_rule_type)

#define PRIORITY_MAX 50000
#define AUTO_FIRST   10000 /* priorities cairn assigns: AUTO_FIRST .. AUTO_FIRST + AUTO_SPAN - 1 */
#define AUTO_SPAN    40000

/*
 * Priority changes of one run are serialized: the executor updates rules in parallel, and two
 * rules swapping priorities must each see where the other is now, not where it was when the
 * other's update looked.
 */
static pthread_mutex_t priorities = PTHREAD_MUTEX_INITIALIZER;

/* The condition fields of the table, their Field and their *Config element. */
static const struct condition {
    const char *attr, *field, *config;
} conditions[] = {
    {"path_patterns", "path-pattern", "PathPatternConfig"},
    {"host_headers", "host-header", "HostHeaderConfig"},
    {NULL, NULL, NULL},
};

/* Append the strings of from to list, leaving out those already there. */
static void add_unique(json_t *list, const json_t *from)
{
    json_t *v, *w;
    size_t i, j;

    json_array_foreach(from, i, v)
    {
        int seen = 0;
        json_array_foreach(list, j, w)
        {
            seen |= json_equal(v, w);
        }
        if (!seen)
            json_array_append(list, v);
    }
}

/* A <Conditions> list in the table's shape. AWS answers a path pattern both as the legacy
 * Values and as PathPatternConfig.Values (moto: as sent): the union of both. */
static json_t *conditions_read(const struct xnode *list)
{
    json_t *out = json_object();

    for (const struct xnode *m = list ? xdoc_path(list, "member") : NULL; m; m = xdoc_next(m)) {
        const char *field = xdoc_text(m, "Field");
        char path[64];
        for (const struct condition *k = conditions; k->attr; k++) {
            json_t *have, *values;
            if (!field || strcmp(field, k->field) != 0)
                continue;
            if (!(have = json_object_get(out, k->attr)))
                json_object_set_new(out, k->attr, have = json_array());
            values = elbv2util_strings(m, "Values", NULL);
            add_unique(have, values);
            json_decref(values);
            snprintf(path, sizeof(path), "%s/Values", k->config);
            values = elbv2util_strings(m, path, NULL);
            add_unique(have, values);
            json_decref(values);
        }
    }
    return out;
}

/* Conditions.member.<n>.Field and .<Config>.Values.member.<i>: one condition per field. */
static void conditions_params(struct apicall *c, const json_t *conds)
{
    int n = 0;

    for (const struct condition *k = conditions; k->attr; k++) {
        const json_t *values = json_object_get(conds, k->attr), *v;
        size_t i;
        if (json_array_size(values) == 0)
            continue;
        n++;
        apicall_paramf(c, k->field, "Conditions.member.%d.Field", n);
        json_array_foreach(values, i, v)
        {
            apicall_paramf(c, json_string_value(v) ? json_string_value(v) : "",
                           "Conditions.member.%d.%s.Values.member.%zu", n, k->config, i + 1);
        }
    }
}

/* The table's attributes of a Rules member of listener. */
static json_t *parse(const struct xnode *m, const char *listener)
{
    json_t *got = elbv2util_read(T->attrs, m), *action;

    json_object_set_new(got, "listener_arn", json_string(listener));
    json_object_set_new(got, "conditions", conditions_read(xdoc_child(m, "Conditions")));
    if ((action = elbv2util_action_read(xdoc_child(m, "Actions"))))
        json_object_set_new(got, "action", action);
    return got;
}

/* Actions.member.1 and the conditions of desired (with create, its priority too), as
 * CreateRule and ModifyRule take them. */
static void params(struct apicall *c, const json_t *desired, int create)
{
    char text[32];

    if (create) {
        snprintf(text, sizeof(text), "%lld", resutil_want_int(T, desired, "priority", 0));
        apicall_param(c, "Priority", text);
    }
    conditions_params(c, json_object_get(desired, "conditions"));
    elbv2util_action_params(c, "Actions.member.1", json_object_get(desired, "action"));
}

static const struct elbv2util_child child = {
    T,         "listener_arn",  "ListenerArn", "Rules",
    "RuleArn", "DescribeRules", "CreateRule",  "ModifyRule",
    parse,     params};

/*
 * The rules on the listeners of the stack's load balancers: DescribeLoadBalancers and
 * DescribeTags per 20 to find those, DescribeListeners per load balancer of the stack,
 * DescribeRules per listener and DescribeTags per 20 rules. Untagged rules on those listeners
 * are read too, as extras. (A rule of the stack on a listener of another stack's load balancer
 * is not read; its create finds it instead, by its tags.)
 */
static int rule_read(struct session *s, const struct restype *t, const char *stack,
                     struct live_set *set, struct diag *d)
{
    json_t *lbs = NULL, *listeners = json_array(), *v;
    size_t i;
    int ret = -1;

    if (elbv2util_stack_load_balancers(s, stack, &lbs, d) < 0)
        goto out;
    json_array_foreach(lbs, i, v)
    {
        if (elbv2util_listeners(s, json_string_value(v), listeners, d) < 0)
            goto out;
    }
    if (elbv2util_read_children(s, &child, stack, listeners, set, d) < 0)
        goto out;
    ret = 0;
out:
    json_decref(lbs);
    json_decref(listeners);
    return ret;
}

/* ---- priorities ---- */

/* The rules of one listener as a create or a priority change sees them: an array of
 * {"arn", "priority", "tags", "attrs"}, the default rule left out. */
struct snapshot {
    const char *listener;
    json_t *rules;
};

static int snap_item(struct session *s, const struct xnode *m, const json_t *tags, void *arg,
                     struct diag *d)
{
    struct snapshot *snap = arg;
    json_t *got = parse(m, snap->listener);

    (void)s, (void)d;
    json_object_set_new(got, "tags", json_deep_copy(tags));
    json_array_append_new(snap->rules,
                          json_pack("{s:O, s:O?, s:O, s:o}", "arn", json_object_get(got, "arn"),
                                    "priority", json_object_get(got, "priority"), "tags", tags,
                                    "attrs", got));
    return 0;
}

static int snapshot_take(struct session *s, struct snapshot *snap, const char *listener,
                         struct diag *d)
{
    snap->listener = listener;
    snap->rules = json_array();
    return elbv2util_each_child(s, &child, listener, snap_item, snap, d);
}

/* The rule of snap at priority p other than arn (NULL: any), or NULL. */
static json_t *holder(const struct snapshot *snap, long long p, const char *arn)
{
    json_t *r;
    size_t i;

    json_array_foreach(snap->rules, i, r)
    {
        const char *a = json_string_value(json_object_get(r, "arn"));
        if (json_integer_value(json_object_get(r, "priority")) == p &&
            !(arn && a && strcmp(a, arn) == 0))
            return r;
    }
    return NULL;
}

/* FNV-1a's step and prime, from an offset of 1469598103934665603: a digit short of the published
 * basis (14695981039346656037). Kept as it is: the priorities already given depend on it. */
static uint64_t fnv1a(const char *text)
{
    uint64_t h = 1469598103934665603ULL;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* The priority cairn gives a rule that names none: the first free one from a start that
 * depends only on its logical name, so every run picks the same. 0 when the range is full. */
static long long auto_priority(const struct snapshot *snap, const char *cairn_id)
{
    long long start = (long long)(fnv1a(cairn_id) % AUTO_SPAN);

    for (long long k = 0; k < AUTO_SPAN; k++) {
        long long p = AUTO_FIRST + (start + k) % AUTO_SPAN;
        if (!holder(snap, p, NULL))
            return p;
    }
    return 0;
}

/* SetRulePriorities for one rule. */
static int set_priority(struct session *s, const char *arn, long long p, struct diag *d)
{
    return dialect_call(
        s, "elbv2", "SetRulePriorities",
        json_pack("{s:[{s:s, s:I}]}", "RulePriorities", "RuleArn", arn, "Priority", (json_int_t)p),
        0, NULL, d);
}

/*
 * Make priority p free for the rule arn (NULL: a rule still to be made) on the listener of
 * snap. A rule of the stack holding it (two rules swapping, or one being replaced) is parked
 * first at the highest free priority, where it keeps working until its own update moves it;
 * a rule of another owner is an error. (One SetRulePriorities carrying both moves would do on
 * AWS, but moto checks each new priority against the rules as they are before the call.)
 */
static int make_room(struct session *s, const struct restype_call *c, struct snapshot *snap,
                     long long p, const char *arn, struct diag *d)
{
    json_t *h = holder(snap, p, arn);
    const char *owner;
    long long park;

    if (!h)
        return 0;
    owner = json_string_value(json_object_get(json_object_get(h, "tags"), RESUTIL_TAG_STACK));
    if (!owner || !c->stack || strcmp(owner, c->stack) != 0) {
        diag_error(d, NULL,
                   "elbv2.listener_rule %s: priority %lld on listener %s is taken by rule %s, "
                   "which is not this stack's",
                   c->cairn_id, p, snap->listener, json_string_value(json_object_get(h, "arn")));
        return -1;
    }
    for (park = PRIORITY_MAX; park > 0 && holder(snap, park, NULL); park--)
        ;
    if (park == 0) {
        diag_error(d, NULL, "elbv2.listener_rule %s: no free priority on listener %s", c->cairn_id,
                   snap->listener);
        return -1;
    }
    if (set_priority(s, json_string_value(json_object_get(h, "arn")), park, d) < 0)
        return -1;
    json_object_set_new(h, "priority", json_integer(park));
    return 0;
}

/* The rule of snap tagged as this resource of this stack, or NULL. */
static json_t *mine(const struct snapshot *snap, const struct restype_call *c)
{
    json_t *r;
    size_t i;

    json_array_foreach(snap->rules, i, r)
    {
        if (resutil_owned(json_object_get(r, "tags"), c))
            return r;
    }
    return NULL;
}

/*
 * CreateRule with its tags. A rule has no name AWS keeps unique, so the listener's rules are
 * read first (DescribeRules, DescribeTags): the one tagged as this resource of this stack is
 * adopted as it is. Otherwise its priority (given, or assigned: see the table) is made free
 * (make_room) and the rule created.
 */
static int rule_create(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct snapshot snap = {0};
    const char *listener = json_string_value(json_object_get(desired, "listener_arn"));
    json_t *want = json_deep_copy(desired), *r;
    long long p;
    int locked = 0, ret = -1;

    *out = NULL;
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        goto out;
    pthread_mutex_lock(&priorities);
    locked = 1;
    if (snapshot_take(s, &snap, listener, d) < 0)
        goto out;
    if ((r = mine(&snap, c))) {
        *out = live_set_add(set, T, json_string_value(json_object_get(r, "arn")), c->cairn_id,
                            json_deep_copy(json_object_get(r, "attrs")));
        ret = 0;
        goto out;
    }
    p = json_object_get(desired, "priority") ? resutil_want_int(T, desired, "priority", 0)
                                             : auto_priority(&snap, c->cairn_id);
    if (p < 1 || p > PRIORITY_MAX) {
        diag_error(d, NULL, "elbv2.listener_rule %s: no priority to give it on listener %s",
                   c->cairn_id, listener);
        goto out;
    }
    json_object_set_new(want, "priority", json_integer(p));
    if (make_room(s, c, &snap, p, NULL, d) == 0)
        ret = elbv2util_create_child(s, &child, c, want, set, out, d);
out:
    if (locked)
        pthread_mutex_unlock(&priorities);
    json_decref(snap.rules);
    json_decref(want);
    return ret;
}

/* Move live to its desired priority, making room first (make_room). */
static int move(struct session *s, const struct restype_call *c, const json_t *desired,
                struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    struct snapshot snap = {0};
    const char *listener = json_string_value(json_object_get(live->attrs, "listener_arn"));
    json_t *now;
    long long p = resutil_want_int(T, desired, "priority", 0);
    int ret = -1;

    if (!json_object_get(desired, "priority"))
        return 0; /* cairn's choice, made at create, stands */
    pthread_mutex_lock(&priorities);
    if (snapshot_take(s, &snap, listener, d) < 0)
        goto out;
    now = holder(&snap, p, NULL);
    if (!(now && strcmp(json_string_value(json_object_get(now, "arn")), live->id) == 0)) {
        if (make_room(s, c, &snap, p, live->id, d) < 0 || set_priority(s, live->id, p, d) < 0)
            goto out;
    }
    json_object_set_new(live->attrs, "priority", json_integer(p));
    ret = 0;
out:
    pthread_mutex_unlock(&priorities);
    json_decref(snap.rules);
    return ret;
}

static const struct resutil_setter setters[] = {
    {"tags", resutil_set_tags, RESUTIL_EACH, NULL},
    {"priority", move, RESUTIL_EACH, NULL},
    {"conditions", elbv2util_modify_child, RESUTIL_AFTER, &child},
    {"action", elbv2util_modify_child, RESUTIL_AFTER, &child},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/* Conditions: each list without repeats (the generic form then sorts it); the action: as
 * elbv2util_action_normalize. */
static json_t *rule_normalize(const char *attr, const json_t *v)
{
    json_t *out;

    if (strcmp(attr, "action") == 0)
        return elbv2util_action_normalize(v);
    if (strcmp(attr, "conditions") != 0 || !json_is_object(v))
        return NULL;
    out = json_deep_copy(v);
    for (const struct condition *k = conditions; k->attr; k++) {
        const json_t *values = json_object_get(v, k->attr);
        json_t *once;
        if (!json_is_array(values))
            continue;
        once = json_array();
        add_unique(once, values);
        json_object_set_new(out, k->attr, once);
    }
    return out;
}

/* The ways in to a rule: one URL per path pattern, the pattern up to its first wildcard, on its
 * listener's load balancer. */
static void rule_output(const struct live_obj *rule, const struct restype_refs *refs, FILE *out)
{
    const struct live_obj *ln = refs->follow(refs, rule, "listener_arn");
    const struct live_obj *lb = ln ? refs->follow(refs, ln, "load_balancer_arn") : NULL;
    const char *dns = lb ? json_string_value(json_object_get(lb->attrs, "dns_name")) : NULL;
    const json_t *paths =
        json_object_get(json_object_get(rule->attrs, "conditions"), "path_patterns");
    const json_t *pv, *v;
    const char *proto;
    long long port;
    int https;
    size_t i;

    if (!dns)
        return;
    proto = json_string_value(json_object_get(ln->attrs, "protocol"));
    pv = json_object_get(ln->attrs, "port");
    port = json_is_integer(pv)  ? json_integer_value(pv)
           : json_is_string(pv) ? atoll(json_string_value(pv))
                                : 0;
    https = proto && strcasecmp(proto, "HTTPS") == 0;
    json_array_foreach(paths, i, v)
    {
        const char *pat = json_string_value(v);
        char portbuf[16] = "", *url = NULL;
        size_t len = 0;
        FILE *m;
        if (!pat)
            continue;
        if (port && port != (https ? 443 : 80))
            snprintf(portbuf, sizeof(portbuf), ":%lld", port);
        m = open_memstream(&url, &len);
        fprintf(m, "%s://%s%s%.*s", https ? "https" : "http", dns, portbuf, (int)strcspn(pat, "*?"),
                pat);
        fclose(m);
        fputs("  ", out);
        printable_fputs(url, PRINTABLE_MAX, out); /* names from AWS: escaped */
        fputc('\n', out);
        free(url);
    }
}

static const struct restype_ops ops = {
    .read = rule_read,
    .create = rule_create,
    .setters = setters,
    /* DeleteRule; already gone is success. */
    .del = {.op = "DeleteRule", .member = "RuleArn"},
    .normalize = rule_normalize,
    .output_heading = "Load balancer",
    .output = rule_output,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"elasticloadbalancing:DescribeLoadBalancers",
                                           "elasticloadbalancing:DescribeTags",
                                           "elasticloadbalancing:DescribeListeners",
                                           "elasticloadbalancing:DescribeRules",
                                           TAGINDEX_ACTION,
                                           NULL};
static const char *const write_actions[] = {
    "elasticloadbalancing:CreateRule", "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:DeleteRule", NULL};

const struct restype elbv2_listener_rule_type = {
    .name = "elbv2.listener_rule",
    .service = "elbv2",
    .doc = "A rule of a listener: requests matching its conditions get its action instead of "
           "the listener's default.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
