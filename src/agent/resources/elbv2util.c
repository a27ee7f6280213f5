#include "agent/resources/elbv2util.h"
#include "agent/resources/dialect.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAGS_PER_CALL 20 /* DescribeTags takes at most 20 ARNs */

void elbv2util_init(struct apicall *c, const char *op)
{
    apicall_init(c, service_lookup("elbv2"), op);
}

int elbv2util_not_found(const struct apicall *c)
{
    return dialect_not_found(dialect_of("elbv2"), c->op, c->err.code);
}

/* Tags.member.<i>.Key/Value for every tag of tags (an object of strings) in key order,
 * aws:* keys left out. */
static void tag_params(struct apicall *c, const json_t *tags)
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

/*
 * The tags of every ARN of arns (an array of strings): DescribeTags, 20 ARNs a
 * call. *out gets an object ARN -> {key: value}. 0, or -1 with d saying why.
 */
static int describe_tags(struct session *s, const json_t *arns, json_t **out, struct diag *d)
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
        return describe_tags(s, arns, tags, d);
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
        if ((ret = describe_tags(s, missing, &more, d)) == 0)
            json_object_update(*tags, more);
        json_decref(more);
    }
    json_decref(missing);
    return ret;
}

/* One listing's pages (struct list_page's arg): each page's <list>/member (ARN in the element
 * arn_elem) with its tags goes to fn when they say cairn:stack=stack (every one when stack is
 * NULL). DescribeTags is sent only for pages with members. A listener's default rule (IsDefault
 * true) is left out: it belongs to the listener and is not tagged. With fn NULL, no tags are
 * read: the ARNs go onto arg (an array). */
struct listing {
    const char *list, *arn_elem, *stack;
    elbv2util_item_fn fn;
    void *arg;
    json_t *index; /* the stack's tag index, read at the first page that needs it */
};

static int list_page(struct session *s, struct apicall *c, void *arg, struct diag *d)
{
    struct listing *l = arg;
    const struct xnode *m;
    json_t *arns = json_array(), *tags = NULL;
    char members[128];
    int rc = 0;

    snprintf(members, sizeof(members), "%sResult/%s/member", c->op, l->list);
    for (m = xdoc_path(c->xml->root, members); m; m = xdoc_next(m))
        if (xdoc_text(m, l->arn_elem) && !is_default(m))
            json_array_append_new(arns, json_string(xdoc_text(m, l->arn_elem)));
    if (!l->fn)
        json_array_extend(l->arg, arns);
    else if (json_array_size(arns) && page_tags(s, c, l->stack, arns, &l->index, &tags, d) < 0)
        rc = -1;
    for (m = xdoc_path(c->xml->root, members); l->fn && rc == 0 && m; m = xdoc_next(m)) {
        const char *arn = is_default(m) ? NULL : xdoc_text(m, l->arn_elem);
        const json_t *t = arn ? json_object_get(tags, arn) : NULL;
        if (t && owned_by(t, l->stack))
            rc = l->fn(s, m, t, l->arg, d);
    }
    json_decref(arns);
    json_decref(tags);
    return rc;
}

/* Every page of c (an elbv2 Describe call with its members set), released after: 0, DIALECT_GONE
 * (with DIALECT_TELL_GONE in how: what c lists under is gone), or -1 with d saying why. */
static int list_pages(struct session *s, struct apicall *c, unsigned how, struct listing *l,
                      struct diag *d)
{
    int ret = dialect_pages(s, c, how, list_page, l, d);

    json_decref(l->index);
    return ret;
}

/*
 * list_pages (every one, whatever its tags) of what op with member = parent lists: the children
 * of a parent (DescribeListeners with LoadBalancerArn, DescribeRules with ListenerArn), or the
 * object of a name (Names.member.1). A parent deleted since it was listed has none; a name
 * nobody has, nothing.
 */
static int list_under(struct session *s, const char *op, const char *member, const char *parent,
                      const char *list, const char *arn_elem, elbv2util_item_fn fn, void *arg,
                      struct diag *d)
{
    struct listing l = {.list = list, .arn_elem = arn_elem, .fn = fn, .arg = arg};
    struct apicall c;

    elbv2util_init(&c, op);
    apicall_param(&c, member, parent);
    return list_pages(s, &c, DIALECT_TELL_GONE, &l, d) < 0 ? -1 : 0;
}

int elbv2util_listeners(struct session *s, const char *lb, json_t *out, struct diag *d)
{
    return list_under(s, "DescribeListeners", "LoadBalancerArn", lb, "Listeners", "ListenerArn",
                      NULL, out, d);
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
    struct listing l = {"LoadBalancers", "LoadBalancerArn", stack, add_arn, NULL, NULL};
    struct apicall c;

    l.arg = *arns = json_array();
    elbv2util_init(&c, "DescribeLoadBalancers");
    return list_pages(s, &c, 0, &l, d);
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

const struct xnode *elbv2util_first(const struct apicall *c, const char *list)
{
    char path[128];

    if (!c->xml)
        return NULL;
    snprintf(path, sizeof(path), "%sResult/%s/member", c->op, list);
    return xdoc_path(c->xml->root, path);
}

/* ---- actions ---- */

/* A part of an action (fixed_response, redirect: attribute part of the action's table) as
 * <prefix>.<part's member>.<field's member>. */
static void part_params(struct apicall *c, const char *prefix, const char *part, const json_t *obj)
{
    const struct attr *p = restype_attr(elbv2_listener_action_fields, part);
    char buf[32];

    for (const struct attr *f = p->fields; f->name; f++) {
        const char *v = elbv2util_text(json_object_get(obj, f->name), buf, sizeof(buf));
        if (v)
            apicall_paramf(c, v, "%s.%s.%s", prefix, p->member, f->member);
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
        part_params(c, prefix, "fixed_response", fixed);
    if (type && strcmp(type, "redirect") == 0 && json_is_object(redirect))
        part_params(c, prefix, "redirect", redirect);
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
    for (const struct attr *a = elbv2_listener_action_fields; a->name; a++)
        if (a->fields && (n = xdoc_child(last, a->member)))
            json_object_set_new(out, a->name, elbv2util_read(a->fields, n));
    return out;
}

/* obj[name] as text when it is an integer. */
static void textify(json_t *obj, const char *name)
{
    char buf[32];
    const char *v;

    if (json_is_integer(json_object_get(obj, name)) &&
        (v = elbv2util_text(json_object_get(obj, name), buf, sizeof(buf))))
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

/* ---- the tables ---- */

const char *elbv2util_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return json_string_value(v);
}

/* The value of attribute a that text spells (NULL: empty, or no number where one belongs). */
static json_t *typed(const struct attr *a, const char *text)
{
    char *end;
    long long n;

    if (!text || !*text)
        return NULL;
    if (a->type == VT_BOOL)
        return json_boolean(strcmp(text, "true") == 0);
    if (a->type != VT_INT && a->type != VT_PORT)
        return json_string(text);
    n = strtoll(text, &end, 10);
    return *end ? NULL : json_integer(n);
}

void elbv2util_list_params(struct apicall *c, const char *name, const json_t *list)
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

json_t *elbv2util_read(const struct attr *table, const struct xnode *item)
{
    json_t *out = json_object(), *v;

    for (const struct attr *a = table; a->name; a++) {
        if (!a->member || (a->flags & ATTR_LATER))
            continue;
        if (a->type == VT_LIST)
            json_object_set_new(out, a->name, elbv2util_strings(item, a->member, NULL));
        else if ((v = typed(a, xdoc_text(item, a->member))))
            json_object_set_new(out, a->name, v);
    }
    return out;
}

/*
 * The create parameters of type t (resutil_create_value) as query members: the name
 * attribute as Name (every ELBv2 create calls it so), a list as <member>.member.<i>.
 */
static void create_params(struct apicall *c, const struct restype *t, const struct restype_call *rc,
                          const json_t *desired)
{
    for (const struct attr *a = t->attrs; a->name; a++) {
        const char *member = (a->flags & ATTR_NAME) ? "Name" : a->member, *text;
        json_t *v;
        char buf[32];
        if (!resutil_create_value(t, a, rc, desired, &v) || !v)
            continue;
        if (json_is_array(v))
            elbv2util_list_params(c, member, v);
        else if ((text = elbv2util_text(v, buf, sizeof(buf))))
            apicall_param(c, member, text);
        json_decref(v);
    }
}

json_t *elbv2util_parse(const struct elbv2util_kind *k, const struct xnode *m)
{
    json_t *got = elbv2util_read(k->type->attrs, m);

    if (k->parse)
        k->parse(m, got);
    return got;
}

/* The ATTR_LATER attributes of an <Attributes> list of Key/Value pairs into got; a key AWS
 * leaves out (moto has no idle timeout until one is set) stays out: the default. */
static void take_attributes(const struct attr *table, const struct xnode *list, json_t *got)
{
    for (const struct xnode *m = list ? xdoc_path(list, "member") : NULL; m; m = xdoc_next(m)) {
        const char *k = xdoc_text(m, "Key");
        json_t *v;
        for (const struct attr *a = table; k && a->name; a++)
            if ((a->flags & ATTR_LATER) && strcmp(a->member, k) == 0 &&
                (v = typed(a, xdoc_text(m, "Value"))))
                json_object_set_new(got, a->name, v);
    }
}

/* One Describe<attributes> for arn, into got. */
static int read_attributes(struct session *s, const struct elbv2util_kind *k, const char *arn,
                           json_t *got, struct diag *d)
{
    struct apicall c;
    char op[64], path[128];
    int ret = -1;

    snprintf(op, sizeof(op), "Describe%s", k->attributes);
    elbv2util_init(&c, op);
    apicall_param(&c, k->arn, arn);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    snprintf(path, sizeof(path), "%sResult/Attributes", op);
    take_attributes(k->type->attrs, xdoc_path(c.xml->root, path), got);
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* What read_item adds to. */
struct reading {
    struct live_set *set;
    const struct elbv2util_kind *k;
};

static int read_item(struct session *s, const struct xnode *m, const json_t *tags, void *arg,
                     struct diag *d)
{
    const struct reading *r = arg;
    const struct elbv2util_kind *k = r->k;
    json_t *got = elbv2util_parse(k, m);
    const char *arn = json_string_value(json_object_get(got, "arn"));

    if (read_attributes(s, k, arn, got, d) < 0) {
        json_decref(got);
        return -1;
    }
    json_object_set_new(got, "tags", json_deep_copy(tags));
    live_set_add(r->set, k->type, arn, json_string_value(json_object_get(tags, RESUTIL_TAG_ID)),
                 got);
    return 0;
}

int elbv2util_read_kind(struct session *s, const struct restype *t, const char *stack,
                        struct live_set *set, struct diag *d)
{
    const struct elbv2util_kind *k = t->ops->kind;
    struct reading r = {set, k};
    struct listing l = {k->list, k->arn, stack, read_item, &r, NULL};
    struct apicall c;

    elbv2util_init(&c, k->describe);
    return list_pages(s, &c, 0, &l, d);
}

int elbv2util_set_attributes(struct session *s, const struct elbv2util_kind *k, const char *arn,
                             const json_t *desired, const char *only, json_t *got, struct diag *d)
{
    const struct restype *t = k->type;
    json_t *sent = json_object(), *v;
    struct apicall c;
    char op[64], buf[32];
    int n = 0, ret = -1;

    snprintf(op, sizeof(op), "Modify%s", k->attributes);
    elbv2util_init(&c, op);
    apicall_param(&c, k->arn, arn);
    for (const struct attr *a = t->attrs; a->name; a++) {
        if (!(a->flags & ATTR_LATER) || (only && strcmp(a->name, only) != 0))
            continue;
        if (a->type == VT_BOOL)
            v = json_boolean(resutil_want_bool(t, desired, a->name));
        else if (a->type == VT_INT)
            v = json_integer(resutil_want_int(t, desired, a->name, 0));
        else
            v = json_string(resutil_want_str(t, desired, a->name));
        n++;
        apicall_paramf(&c, a->member, "Attributes.member.%d.Key", n);
        apicall_paramf(&c, elbv2util_text(v, buf, sizeof(buf)), "Attributes.member.%d.Value", n);
        json_object_set_new(sent, a->name, v);
    }
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    if (got)
        json_object_update(got, sent);
    ret = 0;
out:
    json_decref(sent);
    apicall_release(&c);
    return ret;
}

int elbv2util_update_attributes(struct session *s, const struct restype_call *c,
                                const json_t *desired, struct live_obj *live,
                                const struct resutil_setter *row, struct diag *d)
{
    return elbv2util_set_attributes(s, row->arg, live->id, desired, NULL, live->attrs, d);
}

/* The object of kind k called name, if there is one (names are unique in an account and
 * region): 1 with *got (its attributes and tags), 0 when there is none, -1 on another error. */
static int find_named(struct session *s, const struct elbv2util_kind *k, const char *name,
                      json_t **got, struct diag *d)
{
    struct live_set found;
    struct reading r = {&found, k};
    int ret;

    *got = NULL;
    live_set_init(&found);
    ret = list_under(s, k->describe, "Names.member.1", name, k->list, k->arn, read_item, &r, d);
    if (ret == 0 && found.n) {
        *got = json_incref(found.v[0].attrs);
        ret = 1;
    }
    live_set_release(&found);
    return ret;
}

/* Whether got, found by the name a create was to give, is this resource of this stack; an
 * error naming its owner if not. */
static int adoptable(const struct restype *t, const struct restype_call *c, const char *name,
                     const json_t *got, struct diag *d)
{
    const json_t *have = json_object_get(got, "tags");
    const char *st = json_string_value(json_object_get(have, RESUTIL_TAG_STACK));
    const char *id = json_string_value(json_object_get(have, RESUTIL_TAG_ID));
    char noun[64];

    if (resutil_owned(have, c))
        return 1;
    /* The type's name says what it is: elbv2.load_balancer a load balancer. */
    snprintf(noun, sizeof(noun), "%s", strchr(t->name, '.') + 1);
    for (char *p = noun; *p; p++)
        *p = *p == '_' ? ' ' : *p;
    diag_error(d, NULL,
               "%s %s: a %s named %s already exists and is not this one (its tags say "
               "cairn:stack=%s, cairn:id=%s)",
               t->name, c->cairn_id, noun, name, st ? st : "(none)", id ? id : "(none)");
    return 0;
}

int elbv2util_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct elbv2util_kind *k = c->type->ops->kind;
    const struct restype *t = k->type;
    const char *name = c->physical_name ? c->physical_name : resutil_want_str(t, desired, "name");
    json_t *tags = resutil_tags_want(c, desired), *got = NULL;
    const struct xnode *m;
    struct apicall call;
    int found, ret = -1;

    *out = NULL;
    elbv2util_init(&call, k->create);
    if (resutil_check_required(t, c->cairn_id, desired, d) < 0)
        goto out;
    if (!name) {
        diag_error(d, NULL, "%s %s: no name to give it", t->name, c->cairn_id);
        goto out;
    }
    if ((found = find_named(s, k, name, &got, d)) < 0 || (found && !adoptable(t, c, name, got, d)))
        goto out;
    if (!found) {
        create_params(&call, t, c, desired);
        k->params(&call, desired);
        tag_params(&call, tags);
        if (session_call(s, &call, d) != CALL_OK)
            goto out;
        if (!(m = elbv2util_first(&call, k->list)) || !xdoc_text(m, k->arn)) {
            diag_error(d, NULL, "%s %s: the response names no new object", t->name, c->cairn_id);
            goto out;
        }
        got = elbv2util_parse(k, m);
        json_object_set(got, "tags", tags);
    }
    /* Known from here on, even if setting its attributes fails. */
    *out = live_set_add(set, t, json_string_value(json_object_get(got, "arn")), c->cairn_id, got);
    got = NULL;
    ret = found ? 0 : elbv2util_set_attributes(s, k, (*out)->id, desired, NULL, (*out)->attrs, d);
out:
    json_decref(tags);
    json_decref(got);
    apicall_release(&call);
    return ret;
}

int elbv2util_each_child(struct session *s, const struct elbv2util_child *k, const char *parent,
                         elbv2util_item_fn fn, void *arg, struct diag *d)
{
    return list_under(s, k->describe, k->parent_member, parent, k->list, k->arn, fn, arg, d);
}

/* What child_item adds to. */
struct family {
    const struct elbv2util_child *k;
    struct live_set *set;
    const char *stack, *parent;
};

static int child_item(struct session *s, const struct xnode *m, const json_t *tags, void *arg,
                      struct diag *d)
{
    const struct family *f = arg;
    json_t *got = f->k->parse(m, f->parent);

    (void)s, (void)d;
    resutil_add_child(f->set, f->k->type, f->stack, json_string_value(json_object_get(got, "arn")),
                      tags, got);
    return 0;
}

int elbv2util_read_children(struct session *s, const struct elbv2util_child *k, const char *stack,
                            const json_t *parents, struct live_set *set, struct diag *d)
{
    json_t *v;
    size_t i;

    json_array_foreach(parents, i, v)
    {
        struct family f = {k, set, stack, json_string_value(v)};
        if (elbv2util_each_child(s, k, f.parent, child_item, &f, d) < 0)
            return -1;
    }
    return 0;
}

int elbv2util_create_child(struct session *s, const struct elbv2util_child *k,
                           const struct restype_call *c, const json_t *desired,
                           struct live_set *set, struct live_obj **out, struct diag *d)
{
    const char *parent = json_string_value(json_object_get(desired, k->parent_attr));
    json_t *tags = resutil_tags_want(c, desired), *got;
    const struct xnode *m;
    struct apicall call;
    int ret = -1;

    elbv2util_init(&call, k->create);
    apicall_param(&call, k->parent_member, parent);
    k->params(&call, desired, 1);
    tag_params(&call, tags);
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    if (!(m = elbv2util_first(&call, k->list)) || !xdoc_text(m, k->arn)) {
        diag_error(d, NULL, "%s %s: the response names no new object", k->type->name, c->cairn_id);
        goto out;
    }
    got = k->parse(m, parent);
    json_object_set(got, "tags", tags);
    *out = live_set_add(set, k->type, xdoc_text(m, k->arn), c->cairn_id, got);
    ret = 0;
out:
    json_decref(tags);
    apicall_release(&call);
    return ret;
}

int elbv2util_modify_child(struct session *s, const struct restype_call *rc, const json_t *desired,
                           struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    const struct elbv2util_child *k = row->arg;
    struct apicall c;
    const struct xnode *m;
    int ret = -1;

    elbv2util_init(&c, k->modify);
    apicall_param(&c, k->arn, live->id);
    k->params(&c, desired, 0);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    if ((m = elbv2util_first(&c, k->list))) {
        json_t *now = k->parse(m, json_string_value(json_object_get(live->attrs, k->parent_attr)));
        json_object_update(live->attrs, now);
        json_decref(now);
    }
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}
