#include "agent/resources/ecsutil.h"
#include "agent/diff.h"
#include "agent/resources/resmap.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ECS's spellings that are not the plain camelCase of the attribute. */
static const struct {
    const char *attr, *member;
} renames[] = {
    {"enable_ecs_managed_tags", "enableECSManagedTags"},
};

void ecsutil_member(const char *attr, char *out, size_t n)
{
    size_t k = 0;
    int up = 0;

    for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++)
        if (strcmp(attr, renames[i].attr) == 0) {
            snprintf(out, n, "%s", renames[i].member);
            return;
        }
    for (const char *p = attr; *p && k + 1 < n; p++) {
        if (*p == '_') {
            up = 1;
            continue;
        }
        out[k++] = up ? (char)toupper((unsigned char)*p) : *p;
        up = 0;
    }
    out[k] = '\0';
}

/* Maps the API takes as a list of {name, value} pairs rather than as a map. */
static int is_pairs(const struct attr *a)
{
    return a->type == VT_MAP && strcmp(a->name, "environment") == 0;
}

static int is_int_type(enum vtype t)
{
    return t == VT_INT || t == VT_PORT || t == VT_POSIX_ID;
}

/* A scalar of type t as the API takes it (new reference). */
static json_t *scalar_to_api(enum vtype t, const json_t *v)
{
    const char *s = json_string_value(v);
    json_t *text, *n;

    if (is_int_type(t) && s) {
        if ((n = resmap_int(v)))
            return n;
    } else if (t == VT_BOOL && s) {
        if (strcmp(s, "true") == 0)
            return json_true();
        if (strcmp(s, "false") == 0)
            return json_false();
    } else if (!is_int_type(t) && t != VT_BOOL && !s && (text = diff_as_text(v))) {
        return text;
    }
    return json_incref((json_t *)v);
}

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
                  json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

/* A map's values as text; as [{name, value}] sorted by name for the environment. */
static json_t *map_to_api(const struct attr *a, const json_t *map)
{
    json_t *out = json_object(), *v, **pairs, *list;
    const char *k;
    size_t n = 0;

    json_object_foreach((json_t *)map, k, v)
    {
        json_t *text = diff_as_text(v);
        json_object_set_new(out, k, text ? text : json_string(""));
    }
    if (!is_pairs(a))
        return out;
    pairs = xcalloc(json_object_size(out) + 1, sizeof(*pairs));
    json_object_foreach(out, k, v)
    {
        pairs[n++] = json_pack("{s:s, s:O}", "name", k, "value", v);
    }
    qsort(pairs, n, sizeof(*pairs), cmp_pair);
    list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, pairs[i]);
    free(pairs);
    json_decref(out);
    return list;
}

static int is_empty(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

/* The API form of value v of attribute a, or NULL when there is nothing to send. */
static json_t *value_to_api(const struct attr *a, const json_t *v)
{
    json_t *out, *e;
    size_t i;

    if (is_empty(v))
        return NULL;
    switch (a->type) {
    case VT_OBJECT:
        out = json_is_object(v) ? ecsutil_to_api(a->fields, v) : json_incref((json_t *)v);
        break;
    case VT_LIST:
        if (!json_is_array(v))
            return json_incref((json_t *)v);
        out = json_array();
        json_array_foreach(v, i, e)
        {
            json_t *ne = a->fields ? (json_is_object(e) ? ecsutil_to_api(a->fields, e) : NULL)
                                   : scalar_to_api(a->elem, e);
            json_array_append_new(out, ne ? ne : json_incref(e));
        }
        break;
    case VT_MAP:
        out = json_is_object(v) ? map_to_api(a, v) : json_incref((json_t *)v);
        break;
    default:
        out = scalar_to_api(a->type, v);
    }
    if (is_empty(out)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *ecsutil_to_api(const struct attr *table, const json_t *obj)
{
    json_t *out = json_object();
    char member[128];

    for (const struct attr *a = table; a && a->name; a++) {
        json_t *v;
        if ((a->flags & ATTR_COMPUTED) || strcmp(a->name, "tags") == 0)
            continue;
        if (!(v = value_to_api(a, json_object_get(obj, a->name))))
            continue;
        ecsutil_member(a->name, member, sizeof(member));
        json_object_set_new(out, member, v);
    }
    return out;
}

/* A scalar of type t as an attribute: integers the API gives as text become numbers. */
static json_t *scalar_from_api(enum vtype t, const json_t *v)
{
    return is_int_type(t) && json_is_string(v) ? scalar_to_api(t, v) : json_incref((json_t *)v);
}

static json_t *value_from_api(const struct attr *a, const json_t *v)
{
    json_t *out, *e;
    size_t i;

    switch (a->type) {
    case VT_OBJECT:
        return json_is_object(v) ? ecsutil_from_api(a->fields, v) : json_incref((json_t *)v);
    case VT_LIST:
        if (!json_is_array(v))
            return json_incref((json_t *)v);
        out = json_array();
        json_array_foreach(v, i, e)
        {
            json_array_append_new(
                out, a->fields
                         ? (json_is_object(e) ? ecsutil_from_api(a->fields, e) : json_incref(e))
                         : scalar_from_api(a->elem, e));
        }
        return out;
    case VT_MAP:
        if (!is_pairs(a) || !json_is_array(v))
            return json_incref((json_t *)v);
        out = json_object();
        json_array_foreach(v, i, e)
        {
            const char *k = json_string_value(json_object_get(e, "name"));
            json_t *val = json_object_get(e, "value");
            if (k)
                json_object_set_new(out, k,
                                    json_is_string(val) ? json_incref(val) : json_string(""));
        }
        return out;
    default:
        return scalar_from_api(a->type, v);
    }
}

json_t *ecsutil_from_api(const struct attr *table, const json_t *api)
{
    json_t *out = json_object();
    char member[128];

    for (const struct attr *a = table; a && a->name; a++) {
        const json_t *v;
        if ((a->flags & ATTR_COMPUTED) || strcmp(a->name, "tags") == 0)
            continue;
        ecsutil_member(a->name, member, sizeof(member));
        if (!(v = json_object_get(api, member)) || json_is_null(v))
            continue;
        json_object_set_new(out, a->name, value_from_api(a, v));
    }
    return out;
}

json_t *ecsutil_describe(struct session *s, const struct ecsutil_kind *k, const char *cluster,
                         json_t *names, struct diag *d)
{
    json_t *body = cluster ? json_pack("{s:s}", "cluster", cluster) : json_object(), *out, *list;
    json_t *include = json_array();

    for (const char *const *i = k->include; i && *i; i++)
        json_array_append_new(include, json_string(*i));
    json_object_set(body, k->names, names);
    json_object_set_new(body, "include", include);
    if (dialect_call(s, "ecs", k->describe, body, 0, &out, d) != 0)
        return NULL;
    list = json_incref(json_object_get(out, k->names));
    json_decref(out);
    return list ? list : json_array();
}

/* Whether an item is ACTIVE and tagged cairn:stack=stack (any ACTIVE one when stack is NULL). */
static int is_mine(const json_t *item, const char *stack)
{
    const char *status = json_string_value(json_object_get(item, "status"));
    json_t *tags = resutil_tags_from_list(json_object_get(item, "tags"), "key", "value");
    const char *st = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));
    int mine =
        status && strcmp(status, "ACTIVE") == 0 && (!stack || (st && strcmp(st, stack) == 0));

    json_decref(tags);
    return mine;
}

int ecsutil_each(struct session *s, const struct ecsutil_kind *k, const char *cluster,
                 const char *stack, int (*fn)(const json_t *item, void *arg, struct diag *d),
                 void *arg, struct diag *d)
{
    json_t *arns = json_array(), *got, *item;
    int ret;

    ret = dialect_list(s, "ecs", k->list,
                       cluster ? json_pack("{s:s, s:i}", "cluster", cluster, "maxResults", 100)
                               : json_pack("{s:i}", "maxResults", 100),
                       k->listed, resutil_collect, arns, d);
    for (size_t at = 0; at < json_array_size(arns) && !ret; at += k->batch) {
        json_t *chunk = json_array();
        size_t i;
        for (i = at; i < at + k->batch && i < json_array_size(arns); i++)
            json_array_append(chunk, json_array_get(arns, i));
        got = ecsutil_describe(s, k, cluster, chunk, d);
        json_decref(chunk);
        if (!got) {
            ret = -1;
            break;
        }
        json_array_foreach(got, i, item)
        {
            if (is_mine(item, stack) && (ret = fn(item, arg, d)) != 0)
                break;
        }
        json_decref(got);
    }
    json_decref(arns);
    return ret;
}

/* What ecsutil_read_kind reads, and into what. */
struct reading {
    struct session *s;
    const struct restype *t;
    const char *stack;
    struct live_set *set;
};

static int add_item(const json_t *item, void *arg, struct diag *d)
{
    const struct reading *r = arg;
    const struct ecsutil_kind *k = r->t->ops->kind;
    json_t *tags = resutil_tags_from_list(json_object_get(item, "tags"), "key", "value");

    (void)d;
    resutil_add_read(r->set, r->t, r->stack, json_string_value(json_object_get(item, k->arn)), tags,
                     k->parse(item));
    json_decref(tags);
    return 0;
}

static int read_cluster(const json_t *cl, void *arg, struct diag *d)
{
    const struct reading *r = arg;
    const char *cluster = json_string_value(json_object_get(cl, "clusterArn"));

    return cluster ? ecsutil_each(r->s, r->t->ops->kind, cluster, r->stack, add_item, arg, d) : 0;
}

/* A service of the stack in a cluster that is not the stack's is not found. The reads run in
 * parallel, each on its own, so the service read lists the clusters again. */
int ecsutil_read_kind(struct session *s, const struct restype *t, const char *stack,
                      struct live_set *set, struct diag *d)
{
    const struct ecsutil_kind *k = t->ops->kind;
    struct reading r = {s, t, stack, set};

    return ecsutil_each(s, ecs_cluster_type.ops->kind, NULL, stack,
                        k->in_clusters ? read_cluster : add_item, &r, d);
}
