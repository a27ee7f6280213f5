#include "agent/resources/ec2util.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ec2util_stack_filter(struct apicall *c, int n, const char *stack)
{
    apicall_paramf(c, "tag:" RESUTIL_TAG_STACK, "Filter.%d.Name", n);
    apicall_paramf(c, stack, "Filter.%d.Value.1", n);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object in byte order (the caller frees the array, not the keys). */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
    const char **keys = xcalloc(json_object_size(obj) + 1, sizeof(*keys));
    const char *k;
    json_t *v;

    *n = 0;
    if (!json_is_object(obj))
        return keys;
    json_object_foreach((json_t *)obj, k, v)
    {
        keys[(*n)++] = k;
    }
    qsort(keys, *n, sizeof(*keys), cmp_str);
    return keys;
}

/* Tags (an object) as <prefix>.<i>.Key, and .Value unless values is 0, in key order. */
static void tag_params(struct apicall *c, const char *prefix, const json_t *tags, int values)
{
    size_t n;
    const char **keys = sorted_keys(tags, &n);

    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(tags, keys[i]));
        apicall_paramf(c, keys[i], "%s.%zu.Key", prefix, i + 1);
        if (values)
            apicall_paramf(c, v ? v : "", "%s.%zu.Value", prefix, i + 1);
    }
    free(keys);
}

void ec2util_tag_spec(struct apicall *c, const char *rtype, const json_t *tags)
{
    if (!json_is_object(tags) || json_object_size(tags) == 0)
        return;
    apicall_param(c, "TagSpecification.1.ResourceType", rtype);
    tag_params(c, "TagSpecification.1.Tag", tags, 1);
}

json_t *ec2util_tags(const struct xnode *item)
{
    json_t *tags = json_object();

    for (const struct xnode *t = xdoc_path(item, "tagSet/item"); t; t = xdoc_next(t)) {
        const char *k = xdoc_text(t, "key"), *v = xdoc_text(t, "value");
        if (k)
            json_object_set_new(tags, k, json_string(v ? v : ""));
    }
    return tags;
}

const char *ec2util_tag(const struct xnode *item, const char *key)
{
    for (const struct xnode *t = xdoc_path(item, "tagSet/item"); t; t = xdoc_next(t)) {
        const char *k = xdoc_text(t, "key");
        if (k && strcmp(k, key) == 0) {
            const char *v = xdoc_text(t, "value");
            return v ? v : "";
        }
    }
    return NULL;
}

json_t *ec2util_read(const struct attr *table, const struct xnode *item)
{
    json_t *attrs = json_object();

    for (const struct attr *a = table; a->name; a++) {
        const char *text = a->member ? xdoc_text(item, a->member) : NULL;
        if (!text || !*text)
            continue;
        if (a->type == VT_BOOL)
            json_object_set_new(attrs, a->name, json_boolean(strcmp(text, "true") == 0));
        else if (a->type == VT_INT || a->type == VT_PORT)
            json_object_set_new(attrs, a->name, json_integer(strtoll(text, NULL, 10)));
        else
            json_object_set_new(attrs, a->name, json_string(text));
    }
    if (xdoc_child(item, "tagSet"))
        json_object_set_new(attrs, "tags", ec2util_tags(item));
    return attrs;
}

void ec2util_create_params(struct apicall *c, const struct restype *t,
                           const struct restype_call *rc, const json_t *desired)
{
    for (const struct attr *a = t->attrs; a->name; a++) {
        json_t *v;
        const char *text;
        char buf[32];
        if (!resutil_create_value(t, a, rc, desired, &v) || !v)
            continue;
        if (!(text = json_string_value(v))) {
            if (json_is_integer(v))
                snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
            else
                snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "true" : "false");
            text = buf;
        }
        /* EC2 answers cidrBlock and is asked CidrBlock. */
        apicall_paramf(c, text, "%c%s", toupper((unsigned char)a->member[0]), a->member + 1);
        json_decref(v);
    }
}

/* What ec2util_describe hands each page. */
struct describe {
    const char *stack, *set;
    ec2util_item_fn fn;
    void *arg;
};

static int describe_page(struct session *s, struct apicall *c, void *arg, struct diag *d)
{
    struct describe *w = arg;

    for (const struct xnode *item = xdoc_path(xdoc_child(c->xml->root, w->set), "item"); item;
         item = xdoc_next(item)) {
        const char *v = ec2util_tag(item, RESUTIL_TAG_STACK);
        if (v && strcmp(v, w->stack) == 0 && w->fn(s, item, w->arg, d) < 0)
            return -1;
    }
    return 0;
}

int ec2util_describe(struct session *s, const char *op, const char *stack, const char *set,
                     ec2util_item_fn fn, void *arg, struct diag *d)
{
    struct apicall c;
    struct describe w = {stack, set, fn, arg};

    apicall_init(&c, service_lookup("ec2"), op);
    ec2util_stack_filter(&c, 1, stack);
    return dialect_pages(s, &c, 0, describe_page, &w, d);
}

/* One item of ec2util_read_kind: arg is a struct read_kind. */
struct read_kind {
    const struct restype *t;
    struct live_set *set;
};

static int read_kind_item(struct session *s, const struct xnode *item, void *arg, struct diag *d)
{
    const struct read_kind *r = arg;
    const struct ec2util_kind *k = r->t->ops->kind;
    json_t *got = ec2util_read(r->t->attrs, item);
    const char *id = json_string_value(json_object_get(got, "id"));
    const char *state = xdoc_text(item, "state");
    struct live_obj *o;
    int keep = id ? 1 : 0;

    if (keep && k->item)
        keep = k->item(s, item, got, d);
    if (keep <= 0) {
        json_decref(got);
        return keep;
    }
    o = live_set_add(r->set, r->t, id, ec2util_tag(item, RESUTIL_TAG_ID), got);
    /* Made by a run cut short before it was ready: what depends on it waits. */
    if (o && k->pending && state && strcmp(state, k->pending) == 0)
        o->pending = 1;
    return 0;
}

int ec2util_read_kind(struct session *s, const struct restype *t, const char *stack,
                      struct live_set *set, struct diag *d)
{
    const struct ec2util_kind *k = t->ops->kind;
    struct read_kind r = {t, set};

    return ec2util_describe(s, k->describe, stack, k->set, read_kind_item, &r, d);
}

int ec2util_create(struct session *s, const struct restype_call *c, const json_t *desired,
                   struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct restype *t = c->type;
    const struct ec2util_kind *k = t->ops->kind;
    struct apicall call;
    const struct xnode *made;
    int ret = -1;

    *out = NULL;
    if (resutil_check_required(t, c->cairn_id, desired, d) < 0)
        return -1;
    apicall_init(&call, service_lookup("ec2"), k->create);
    ec2util_create_params(&call, t, c, desired);
    if (k->params && k->params(s, &call, c, desired, d) < 0)
        goto out;
    if (k->token && c->token)
        apicall_param(&call, "ClientToken", c->token);
    ec2util_tag_spec(&call, k->tag_type, c->tags);
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    made = k->created ? xdoc_child(call.xml->root, k->created) : call.xml->root;
    if (!(*out = resutil_add_created(set, t, c, ec2util_read(t->attrs, made), d)))
        goto out;
    if (k->made && k->made(s, c, desired, *out, NULL, d) < 0)
        goto out;
    ret = 0;
out:
    apicall_release(&call);
    return ret;
}

int ec2util_call(struct session *s, struct diag *d, const char *op, ...)
{
    struct apicall c;
    const char *name;
    va_list ap;
    int ret;

    apicall_init(&c, service_lookup("ec2"), op);
    va_start(ap, op);
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        if (!value) {
            diag_error(d, NULL, "ec2 %s: no value for %s", op, name);
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

/* CreateTags or DeleteTags (op) of tags (an object; values: with their values) on id. */
static int send_tags(struct session *s, const char *op, const char *id, const json_t *tags,
                     int values, struct diag *d)
{
    struct apicall c;
    int ret;

    apicall_init(&c, service_lookup("ec2"), op);
    tag_params(&c, "Tag", tags, values);
    apicall_param(&c, "ResourceId.1", id);
    ret = session_call(s, &c, d) == CALL_OK ? 0 : -1;
    apicall_release(&c);
    return ret;
}

int ec2util_retag(struct session *s, const char *id, const json_t *have, const json_t *want,
                  struct diag *d)
{
    json_t *add, *del, *gone = json_object(), *k;
    size_t i;
    int ret = 0;

    resutil_tags_delta(have, want, &add, &del);
    json_array_foreach(del, i, k)
    {
        json_object_set_new(gone, json_string_value(k), json_null());
    }
    if (json_object_size(gone))
        ret = send_tags(s, "DeleteTags", id, gone, 0, d);
    if (ret == 0 && json_object_size(add))
        ret = send_tags(s, "CreateTags", id, add, 1, d);
    json_decref(add);
    json_decref(del);
    json_decref(gone);
    return ret;
}

const struct resutil_setter ec2util_tags_only[] = {
    {"tags", ec2util_update_tags, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

int ec2util_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    json_t *want = resutil_tags_want(c, desired);
    int ret = -1;

    (void)row;
    if (ec2util_retag(s, live->id, json_object_get(live->attrs, "tags"), want, d) < 0)
        goto out;
    json_object_set_new(live->attrs, "tags", json_incref(want));
    ret = 0;
out:
    json_decref(want);
    return ret;
}

/* ---- security-group rules ---- */

/* The kinds of source, in the order canonical rules sort by: the rule's key, and the list and
 * member of an IpPermission as DescribeSecurityGroups names them (requests capitalize them:
 * IpRanges.<j>.CidrIp). */
static const struct source {
    const char *key, *list, *member;
} sources[] = {
    {"cidr_blocks", "ipRanges", "cidrIp"},
    {"ipv6_cidr_blocks", "ipv6Ranges", "cidrIpv6"},
    {"prefix_list_ids", "prefixListIds", "prefixListId"},
    {"source_security_group", "groups", "groupId"},
};
#define NSOURCES     4
#define SOURCE_GROUP 3 /* sources[] index of the one that is a string, not a list */

/* An integer written as JSON or as text; 0 when v is neither. */
static int int_of(const json_t *v, long long *out)
{
    const char *s;
    char *end;

    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (!(s = json_string_value(v)) || !*s)
        return 0;
    *out = strtoll(s, &end, 10);
    return *end == '\0';
}

/* AWS answers protocol numbers it knows by name. */
static const char *protocol_of(const json_t *v)
{
    static const char *const names[][2] = {
        {"6", "tcp"}, {"17", "udp"}, {"1", "icmp"}, {"58", "icmpv6"}, {"all", "-1"}};
    const char *p = json_string_value(v);
    long long n;

    if (!p && int_of(v, &n))
        p = n == -1 ? "-1" : n == 6 ? "tcp" : n == 17 ? "udp" : n == 1 ? "icmp" : NULL;
    if (!p)
        return "tcp";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(p, names[i][0]) == 0)
            return names[i][1];
    return p;
}

/* A rule without its sources: protocol, ports and description in canonical form. */
static json_t *rule_base(const json_t *r)
{
    json_t *b = json_object();
    const char *proto = protocol_of(json_object_get(r, "protocol"));
    const char *desc = json_string_value(json_object_get(r, "description"));
    long long port = 0, from = 0, to = 0; /* -O3 cannot see the has_* guards */
    int has_port = int_of(json_object_get(r, "port"), &port);
    int has_from = int_of(json_object_get(r, "from_port"), &from);
    int has_to = int_of(json_object_get(r, "to_port"), &to);

    json_object_set_new(b, "protocol", json_string(proto));
    if (strcmp(proto, "-1") != 0) {
        if (!has_from && has_port)
            from = port, has_from = 1;
        if (!has_to && has_port)
            to = port, has_to = 1;
        if ((strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0) && has_from && has_to &&
            from == to) {
            json_object_set_new(b, "port", json_integer(from));
        } else {
            if (has_from)
                json_object_set_new(b, "from_port", json_integer(from));
            if (has_to)
                json_object_set_new(b, "to_port", json_integer(to));
        }
    }
    if (desc && *desc)
        json_object_set_new(b, "description", json_string(desc));
    return b;
}

/* Append base plus one source to atoms. */
static void add_atom(json_t *atoms, const json_t *base, size_t kind, const char *source)
{
    json_t *a = json_deep_copy(base);

    if (kind == SOURCE_GROUP)
        json_object_set_new(a, sources[kind].key, json_string(source));
    else
        json_object_set_new(a, sources[kind].key, json_pack("[s]", source));
    json_array_append_new(atoms, a);
}

/* How many sources of kind k rule r has, and the j-th. */
static size_t source_count(const json_t *r, size_t k)
{
    return k == SOURCE_GROUP ? 1 : json_array_size(json_object_get(r, sources[k].key));
}

static const char *source_at(const json_t *r, size_t k, size_t j)
{
    const json_t *v = json_object_get(r, sources[k].key);

    return json_string_value(k == SOURCE_GROUP ? v : json_array_get(v, j));
}

/* Every rule split into atoms: base plus exactly one source (or none, if a rule has none). */
static json_t *explode(const json_t *rules)
{
    json_t *atoms = json_array(), *r;
    size_t i;

    json_array_foreach((json_t *)rules, i, r)
    {
        json_t *base;
        int any = 0;
        if (!json_is_object(r))
            continue;
        base = rule_base(r);
        for (size_t k = 0; k < NSOURCES; k++) {
            for (size_t j = 0; j < source_count(r, k); j++) {
                const char *src = source_at(r, k, j);
                if (src && (*src || k != SOURCE_GROUP)) {
                    add_atom(atoms, base, k, src);
                    any = 1;
                }
            }
        }
        if (!any)
            json_array_append(atoms, base);
        json_decref(base);
    }
    return atoms;
}

/* Which sources[] entry a canonical rule or atom has; NSOURCES for none. */
static size_t kind_of(const json_t *r)
{
    size_t k;

    for (k = 0; k < NSOURCES; k++)
        if (json_object_get(r, sources[k].key))
            break;
    return k;
}

static long long port_key(const json_t *r, const char *name)
{
    long long v;

    if (int_of(json_object_get(r, "port"), &v) || int_of(json_object_get(r, name), &v))
        return v;
    return -2;
}

static int cmp_rule(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    const char *da, *db;
    char *sa, *sb;
    size_t ka = kind_of(a), kb = kind_of(b);
    int c;

    if ((c = strcmp(json_string_value(json_object_get(a, "protocol")),
                    json_string_value(json_object_get(b, "protocol")))) != 0)
        return c;
    if (port_key(a, "from_port") != port_key(b, "from_port"))
        return port_key(a, "from_port") < port_key(b, "from_port") ? -1 : 1;
    if (port_key(a, "to_port") != port_key(b, "to_port"))
        return port_key(a, "to_port") < port_key(b, "to_port") ? -1 : 1;
    if (ka != kb)
        return ka < kb ? -1 : 1;
    da = json_string_value(json_object_get(a, "description"));
    db = json_string_value(json_object_get(b, "description"));
    sa = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    sb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    c = strcmp(da ? da : "", db ? db : "");
    if (c == 0)
        c = strcmp(sa, sb);
    free(sa);
    free(sb);
    return c;
}

/* Add s to a sorted list of strings, where it goes, unless it is there. */
static void add_sorted(json_t *list, const char *s)
{
    size_t j = 0, n = json_array_size(list);
    int c = 1;

    while (j < n && (c = strcmp(json_string_value(json_array_get(list, j)), s)) < 0)
        j++;
    if (j == n || c != 0)
        json_array_insert_new(list, j, json_string(s));
}

/* Atoms grouped into canonical rules: list sources merged (sorted, without duplicates) when
 * everything else is equal. */
static json_t *group(const json_t *atoms)
{
    size_t n = json_array_size(atoms), nout = 0;
    json_t **out = xcalloc(n + 1, sizeof(*out)), *list, *a;
    size_t i;

    json_array_foreach((json_t *)atoms, i, a)
    {
        size_t k = kind_of(a), j;
        const char *src;
        json_t *base;
        if (k >= SOURCE_GROUP) {
            for (j = 0; j < nout && !json_equal(out[j], a); j++)
                ;
            if (j == nout)
                out[nout++] = json_deep_copy(a);
            continue;
        }
        src = json_string_value(json_array_get(json_object_get(a, sources[k].key), 0));
        base = json_deep_copy(a);
        json_object_del(base, sources[k].key);
        for (j = 0; j < nout; j++) {
            json_t *cand;
            int same;
            if (kind_of(out[j]) != k)
                continue;
            cand = json_deep_copy(out[j]);
            json_object_del(cand, sources[k].key);
            same = json_equal(cand, base);
            json_decref(cand);
            if (same)
                break;
        }
        if (j == nout) {
            out[nout++] = json_deep_copy(a);
        } else {
            add_sorted(json_object_get(out[j], sources[k].key), src);
        }
        json_decref(base);
    }
    qsort(out, nout, sizeof(*out), cmp_rule);
    list = json_array();
    for (i = 0; i < nout; i++)
        json_array_append_new(list, out[i]);
    free(out);
    return list;
}

json_t *ec2util_rules_normalize(const json_t *rules)
{
    json_t *atoms = explode(rules), *out = group(atoms);

    json_decref(atoms);
    return out;
}

static void set_xml_int(json_t *r, const char *name, const struct xnode *perm, const char *path)
{
    const char *s = xdoc_text(perm, path);

    if (s && *s)
        json_object_set_new(r, name, json_integer(strtoll(s, NULL, 10)));
}

json_t *ec2util_rules_read(const struct xnode *perms)
{
    json_t *rules = json_array(), *out;

    for (const struct xnode *p = xdoc_child(perms, "item"); p; p = xdoc_next(p)) {
        const char *proto = xdoc_text(p, "ipProtocol");
        json_t *base = json_object();
        json_object_set_new(base, "protocol", json_string(proto ? proto : "-1"));
        set_xml_int(base, "from_port", p, "fromPort");
        set_xml_int(base, "to_port", p, "toPort");
        for (size_t k = 0; k < NSOURCES; k++) {
            const struct xnode *e = xdoc_path(xdoc_child(p, sources[k].list), "item");
            for (; e; e = xdoc_next(e)) {
                const char *src = xdoc_text(e, sources[k].member);
                const char *desc = xdoc_text(e, "description");
                json_t *r;
                if (!src || !*src)
                    continue;
                r = json_deep_copy(base);
                if (desc && *desc)
                    json_object_set_new(r, "description", json_string(desc));
                add_atom(rules, r, k, src);
                json_decref(r);
            }
        }
        json_decref(base);
    }
    out = ec2util_rules_normalize(rules);
    json_decref(rules);
    return out;
}

json_t *ec2util_rules_minus(const json_t *a, const json_t *b)
{
    json_t *aa = explode(a), *bb = explode(b), *keep = json_array(), *out, *x, *y;
    size_t i, j;

    json_array_foreach(aa, i, x)
    {
        int found = 0;
        json_array_foreach(bb, j, y)
        {
            if (json_equal(x, y)) {
                found = 1;
                break;
            }
        }
        if (!found)
            json_array_append(keep, x);
    }
    out = group(keep);
    json_decref(aa);
    json_decref(bb);
    json_decref(keep);
    return out;
}

int ec2util_rules_equal(const json_t *a, const json_t *b)
{
    json_t *na = ec2util_rules_normalize(a), *nb = ec2util_rules_normalize(b);
    int eq = json_equal(na, nb);

    json_decref(na);
    json_decref(nb);
    return eq;
}

int ec2util_ip_permissions(struct apicall *c, const char *prefix, const json_t *rules)
{
    static const char *const ports[][2] = {{"from_port", "FromPort"}, {"to_port", "ToPort"}};
    json_t *canon = ec2util_rules_normalize(rules), *r;
    size_t i;
    char num[32];

    json_array_foreach(canon, i, r)
    {
        size_t k = kind_of(r);
        const char *desc = json_string_value(json_object_get(r, "description"));
        apicall_paramf(c, json_string_value(json_object_get(r, "protocol")), "%s.%zu.IpProtocol",
                       prefix, i + 1);
        for (size_t p = 0; p < 2; p++) {
            long long v = port_key(r, ports[p][0]);
            snprintf(num, sizeof(num), "%lld", v);
            if (v != -2)
                apicall_paramf(c, num, "%s.%zu.%s", prefix, i + 1, ports[p][1]);
        }
        for (size_t j = 0; k < NSOURCES && j < source_count(r, k); j++) {
            /* The request's names are the answer's capitalized. */
            const char *list = sources[k].list, *member = sources[k].member;
            int l = toupper((unsigned char)list[0]), m = toupper((unsigned char)member[0]);
            apicall_paramf(c, source_at(r, k, j), "%s.%zu.%c%s.%zu.%c%s", prefix, i + 1, l,
                           list + 1, j + 1, m, member + 1);
            if (desc)
                apicall_paramf(c, desc, "%s.%zu.%c%s.%zu.Description", prefix, i + 1, l, list + 1,
                               j + 1);
        }
    }
    i = json_array_size(canon);
    json_decref(canon);
    return (int)i;
}
