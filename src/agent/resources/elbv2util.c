#include "agent/resources/elbv2util.h"
#include "agent/resources/tagindex.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAGS_PER_CALL 20 /* DescribeTags takes at most 20 ARNs */

void elbv2util_init(struct apicall *c, const char *op)
{
    apicall_init(c, service_lookup("elbv2"), op);
}

int elbv2util_call(struct session *s, struct diag *d, const char *op, ...)
{
    struct apicall c;
    const char *name;
    va_list ap;
    int ret;

    elbv2util_init(&c, op);
    va_start(ap, op);
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        if (!value) {
            diag_error(d, NULL, "elbv2 %s: no value for %s", op, name);
            ret = -1;
            goto out;
        }
        apicall_param(&c, name, value);
    }
    ret = session_call(s, &c, d) == CALL_OK ? 0 : -1;
out:
    va_end(ap);
    apicall_release(&c);
    return ret;
}

int elbv2util_not_found(const struct apicall *c)
{
    static const char *const codes[] = {"LoadBalancerNotFound", "TargetGroupNotFound",
                                        "ListenerNotFound", "RuleNotFound", NULL};

    for (size_t i = 0; codes[i]; i++)
        if (strcmp(c->err.code, codes[i]) == 0)
            return 1;
    return 0;
}

void elbv2util_tag_params(struct apicall *c, const json_t *tags)
{
    json_t *list = resutil_tags_to_list(tags, "Key", "Value"), *t;
    size_t i;

    json_array_foreach(list, i, t)
    {
        apicall_paramf(c, json_string_value(json_object_get(t, "Key")), "Tags.member.%zu.Key",
                       i + 1);
        apicall_paramf(c, json_string_value(json_object_get(t, "Value")), "Tags.member.%zu.Value",
                       i + 1);
    }
    json_decref(list);
}

/* One DescribeTags for arns[from, to), into out. */
static int tags_batch(struct session *s, const json_t *arns, size_t from, size_t to, json_t *out,
                      struct diag *d)
{
    struct apicall c;
    const struct xnode *m;
    int ret = -1;

    elbv2util_init(&c, "DescribeTags");
    for (size_t i = from; i < to; i++)
        apicall_paramf(&c, json_string_value(json_array_get(arns, i)), "ResourceArns.member.%zu",
                       i - from + 1);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    for (m = xdoc_path(c.xml->root, "DescribeTagsResult/TagDescriptions/member"); m;
         m = xdoc_next(m)) {
        const char *arn = xdoc_text(m, "ResourceArn");
        json_t *tags = json_object();
        for (const struct xnode *t = xdoc_path(m, "Tags/member"); t; t = xdoc_next(t)) {
            const char *k = xdoc_text(t, "Key"), *v = xdoc_text(t, "Value");
            if (k)
                json_object_set_new(tags, k, json_string(v ? v : ""));
        }
        if (arn)
            json_object_set_new(out, arn, tags);
        else
            json_decref(tags);
    }
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

int elbv2util_tags(struct session *s, const json_t *arns, json_t **out, struct diag *d)
{
    size_t n = json_array_size(arns);

    *out = json_object();
    for (size_t i = 0; i < n; i += TAGS_PER_CALL)
        if (tags_batch(s, arns, i, i + TAGS_PER_CALL < n ? i + TAGS_PER_CALL : n, *out, d) < 0)
            return -1;
    return 0;
}

static int owned_by(const json_t *tags, const char *stack)
{
    const char *v = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));

    return !stack || (v && strcmp(v, stack) == 0);
}

static int is_default(const struct xnode *m)
{
    const char *v = xdoc_text(m, "IsDefault");

    return v && strcmp(v, "true") == 0;
}

/* Whether the tagging API lists what op lists: load balancers and target groups, not
 * listeners and rules (resources/tagindex.h). */
static int indexed(const char *op)
{
    return strcmp(op, "DescribeLoadBalancers") == 0 || strcmp(op, "DescribeTargetGroups") == 0;
}

/* The tags of arns, from the stack's tag index where it covers them (*index read once), else
 * DescribeTags per 20: for the ARNs the index lacks too, since the tagging API is eventually
 * consistent (an object made seconds ago may be missing). *tags: {arn: {key: value}}. */
static int page_tags(struct session *s, const struct apicall *c, const char *stack,
                     const json_t *arns, json_t **index, json_t **tags, struct diag *d)
{
    size_t i;
    json_t *arn, *missing, *more = NULL;
    int ret = 0;

    if (!stack || !indexed(c->op))
        return elbv2util_tags(s, arns, tags, d);
    *tags = json_object();
    if (!*index && tagindex_read(s, stack, index, d) < 0)
        return -1;
    missing = json_array();
    json_array_foreach(arns, i, arn)
    {
        const json_t *t = tagindex_get(*index, json_string_value(arn));
        if (t)
            json_object_set_new(*tags, json_string_value(arn), json_deep_copy(t));
        else
            json_array_append(missing, arn);
    }
    if (json_array_size(missing)) {
        if ((ret = elbv2util_tags(s, missing, &more, d)) == 0)
            json_object_update(*tags, more);
        json_decref(more);
    }
    json_decref(missing);
    return ret;
}

int elbv2util_list(struct session *s, struct apicall *c, const char *list, const char *arn_elem,
                   const char *stack, elbv2util_item_fn fn, void *arg, struct diag *d)
{
    char members[128], marker[128];
    json_t *index = NULL;
    int ret = -1;

    snprintf(members, sizeof(members), "%sResult/%s/member", c->op, list);
    snprintf(marker, sizeof(marker), "%sResult/NextMarker", c->op);
    do {
        const struct xnode *m;
        json_t *arns = json_array(), *tags = NULL;
        int rc = 0;
        if (session_call(s, c, d) != CALL_OK) {
            json_decref(arns);
            goto out;
        }
        for (m = xdoc_path(c->xml->root, members); m; m = xdoc_next(m))
            if (xdoc_text(m, arn_elem) && !is_default(m))
                json_array_append_new(arns, json_string(xdoc_text(m, arn_elem)));
        if (json_array_size(arns) && page_tags(s, c, stack, arns, &index, &tags, d) < 0)
            rc = -1;
        for (m = xdoc_path(c->xml->root, members); rc == 0 && m; m = xdoc_next(m)) {
            const char *arn = is_default(m) ? NULL : xdoc_text(m, arn_elem);
            const json_t *t = arn ? json_object_get(tags, arn) : NULL;
            if (t && owned_by(t, stack))
                rc = fn(s, m, t, arg, d);
        }
        json_decref(arns);
        json_decref(tags);
        if (rc < 0)
            goto out;
    } while (apicall_next_page(c, "Marker", marker));
    ret = 0;
out:
    json_decref(index);
    return ret;
}

static int add_arn(struct session *s, const struct xnode *item, const json_t *tags, void *arg,
                   struct diag *d)
{
    (void)s, (void)tags, (void)d;
    json_array_append_new(arg, json_string(xdoc_text(item, "LoadBalancerArn")));
    return 0;
}

int elbv2util_stack_load_balancers(struct session *s, const char *stack, json_t **arns,
                                   struct diag *d)
{
    struct apicall c;
    int ret;

    *arns = json_array();
    elbv2util_init(&c, "DescribeLoadBalancers");
    ret = elbv2util_list(s, &c, "LoadBalancers", "LoadBalancerArn", stack, add_arn, *arns, d);
    apicall_release(&c);
    return ret;
}

int elbv2util_retag(struct session *s, const char *arn, const json_t *have, const json_t *want,
                    struct diag *d)
{
    struct apicall del, add;
    json_t *plus, *minus, *k;
    size_t i;
    int ret = -1;

    elbv2util_init(&del, "RemoveTags");
    elbv2util_init(&add, "AddTags");
    resutil_tags_delta(have, want, &plus, &minus);
    if (json_array_size(minus)) {
        apicall_param(&del, "ResourceArns.member.1", arn);
        json_array_foreach(minus, i, k)
        {
            apicall_paramf(&del, json_string_value(k), "TagKeys.member.%zu", i + 1);
        }
        if (session_call(s, &del, d) != CALL_OK)
            goto out;
    }
    if (json_object_size(plus)) {
        apicall_param(&add, "ResourceArns.member.1", arn);
        elbv2util_tag_params(&add, plus);
        if (session_call(s, &add, d) != CALL_OK)
            goto out;
    }
    ret = 0;
out:
    json_decref(plus);
    json_decref(minus);
    apicall_release(&del);
    apicall_release(&add);
    return ret;
}

int elbv2util_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                          struct live_obj *live, struct diag *d)
{
    json_t *want = resutil_tags_want(c, desired);
    int ret = -1;

    if (elbv2util_retag(s, live->id, json_object_get(live->attrs, "tags"), want, d) < 0)
        goto out;
    json_object_set_new(live->attrs, "tags", json_incref(want));
    ret = 0;
out:
    json_decref(want);
    return ret;
}

json_t *elbv2util_strings(const struct xnode *n, const char *path, const char *field)
{
    const struct xnode *list = n ? xdoc_path(n, path) : NULL;
    json_t *out = json_array();

    for (const struct xnode *m = list ? xdoc_child(list, "member") : NULL; m; m = xdoc_next(m)) {
        const char *v = field ? xdoc_text(m, field) : m->text;
        if (v)
            json_array_append_new(out, json_string(v));
    }
    return out;
}

json_t *elbv2util_attributes(const struct xnode *attributes)
{
    json_t *out = json_object();

    for (const struct xnode *m = attributes ? xdoc_path(attributes, "member") : NULL; m;
         m = xdoc_next(m)) {
        const char *k = xdoc_text(m, "Key"), *v = xdoc_text(m, "Value");
        if (k)
            json_object_set_new(out, k, json_string(v ? v : ""));
    }
    return out;
}

int elbv2util_read_attributes(struct session *s, const char *op, const char *member,
                              const char *arn, json_t **kv, struct diag *d)
{
    struct apicall c;
    char path[128];
    int ret = -1;

    *kv = NULL;
    elbv2util_init(&c, op);
    apicall_param(&c, member, arn);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    snprintf(path, sizeof(path), "%sResult/Attributes", op);
    *kv = elbv2util_attributes(xdoc_path(c.xml->root, path));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

const struct xnode *elbv2util_first(const struct apicall *c, const char *list)
{
    char path[128];

    if (!c->xml)
        return NULL;
    snprintf(path, sizeof(path), "%sResult/%s/member", c->op, list);
    return xdoc_path(c->xml->root, path);
}

/* ---- actions ---- */

/* A field of an action's part, as the text the API takes (numbers written as JSON too). */
static const char *text_of(const json_t *obj, const char *name, char *buf, size_t n)
{
    const json_t *v = json_object_get(obj, name);

    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return json_string_value(v);
}

/* The members of a part: the table's field and the API's name for it. */
struct member {
    const char *attr, *api;
};

static const struct member fixed_members[] = {{"status_code", "StatusCode"},
                                              {"content_type", "ContentType"},
                                              {"message_body", "MessageBody"},
                                              {NULL, NULL}};
static const struct member redirect_members[] = {{"protocol", "Protocol"},
                                                 {"port", "Port"},
                                                 {"host", "Host"},
                                                 {"path", "Path"},
                                                 {"query", "Query"},
                                                 {"status_code", "StatusCode"},
                                                 {NULL, NULL}};

static void part_params(struct apicall *c, const char *prefix, const char *part, const json_t *obj,
                        const struct member *members)
{
    char buf[32];

    for (const struct member *m = members; m->attr; m++) {
        const char *v = text_of(obj, m->attr, buf, sizeof(buf));
        if (v)
            apicall_paramf(c, v, "%s.%s.%s", prefix, part, m->api);
    }
}

void elbv2util_action_params(struct apicall *c, const char *prefix, const json_t *action)
{
    const char *type = json_string_value(json_object_get(action, "type"));
    const char *tg = json_string_value(json_object_get(action, "target_group_arn"));
    const json_t *fixed = json_object_get(action, "fixed_response");
    const json_t *redirect = json_object_get(action, "redirect");

    apicall_paramf(c, type ? type : "", "%s.Type", prefix);
    if (type && strcmp(type, "forward") == 0 && tg)
        apicall_paramf(c, tg, "%s.TargetGroupArn", prefix);
    if (type && strcmp(type, "fixed-response") == 0 && json_is_object(fixed))
        part_params(c, prefix, "FixedResponseConfig", fixed, fixed_members);
    if (type && strcmp(type, "redirect") == 0 && json_is_object(redirect))
        part_params(c, prefix, "RedirectConfig", redirect, redirect_members);
}

static json_t *part_read(const struct xnode *n, const struct member *members)
{
    json_t *out = json_object();

    for (const struct member *m = members; m->attr; m++) {
        const char *v = xdoc_text(n, m->api);
        if (v && *v)
            json_object_set_new(out, m->attr, json_string(v));
    }
    return out;
}

json_t *elbv2util_action_read(const struct xnode *actions)
{
    const struct xnode *m = actions ? xdoc_path(actions, "member") : NULL, *last = NULL, *n;
    const char *type, *tg;
    json_t *out;

    for (; m; m = xdoc_next(m))
        last = m;
    if (!last || !(type = xdoc_text(last, "Type")))
        return NULL;
    out = json_pack("{s:s}", "type", type);
    tg = xdoc_text(last, "TargetGroupArn");
    if (!tg || !*tg) {
        const struct xnode *g = xdoc_path(last, "ForwardConfig/TargetGroups/member");
        tg = g && !xdoc_next(g) ? xdoc_text(g, "TargetGroupArn") : NULL;
    }
    if (tg && *tg)
        json_object_set_new(out, "target_group_arn", json_string(tg));
    if ((n = xdoc_child(last, "FixedResponseConfig")))
        json_object_set_new(out, "fixed_response", part_read(n, fixed_members));
    if ((n = xdoc_child(last, "RedirectConfig")))
        json_object_set_new(out, "redirect", part_read(n, redirect_members));
    return out;
}

/* obj[name] as text when it is an integer. */
static void textify(json_t *obj, const char *name)
{
    char buf[32];
    const char *v;

    if (json_is_integer(json_object_get(obj, name)) && (v = text_of(obj, name, buf, sizeof(buf))))
        json_object_set_new(obj, name, json_string(v));
}

json_t *elbv2util_action_normalize(const json_t *action)
{
    json_t *out = json_deep_copy(action), *part;

    if (!json_is_object(out))
        return out;
    if (json_is_object(part = json_object_get(out, "fixed_response")))
        textify(part, "status_code");
    if (json_is_object(part = json_object_get(out, "redirect")))
        textify(part, "port");
    return out;
}

int elbv2util_find_named(struct session *s, const struct elbv2util_named *k, const char *name,
                         json_t **got, struct diag *d)
{
    struct apicall c;
    struct diag quiet;
    json_t *arns = NULL, *tags = NULL;
    const struct xnode *m;
    const char *arn;
    int ret = -1;

    *got = NULL;
    diag_init(&quiet);
    elbv2util_init(&c, k->describe);
    apicall_param(&c, "Names.member.1", name);
    if (session_call(s, &c, &quiet) != CALL_OK) {
        if (elbv2util_not_found(&c))
            ret = 0;
        else
            diag_error(d, NULL, "%s", diag_last(&quiet));
        goto out;
    }
    if (!(m = elbv2util_first(&c, k->list)) || !(arn = xdoc_text(m, k->arn))) {
        ret = 0;
        goto out;
    }
    *got = k->parse(m);
    arns = json_pack("[s]", arn);
    if (elbv2util_tags(s, arns, &tags, d) < 0 || k->attributes(s, arn, *got, d) < 0)
        goto out;
    json_object_set_new(*got, "tags",
                        json_object_get(tags, arn) ? json_deep_copy(json_object_get(tags, arn))
                                                   : json_object());
    ret = 1;
out:
    if (ret < 0) {
        json_decref(*got);
        *got = NULL;
    }
    json_decref(arns);
    json_decref(tags);
    apicall_release(&c);
    diag_release(&quiet);
    return ret;
}
