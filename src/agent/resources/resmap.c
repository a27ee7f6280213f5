/*
 * resmap: a type's attributes to and from the members of the API objects that carry them, by
 * the attribute table's member (struct attr member): the generic read, the create's body, and
 * the objects nested in an attribute (an access point's posix_user).
 */
#include "agent/resources/resmap.h"
#include "agent/vtype.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_int(enum vtype t)
{
    return t == VT_INT || t == VT_PORT || t == VT_POSIX_ID;
}

/* The member at path (a/b/c) of an API object, or NULL. */
static const json_t *member_at(const json_t *api, const char *path)
{
    char part[128];
    const char *slash;

    while (api && (slash = strchr(path, '/'))) {
        snprintf(part, sizeof(part), "%.*s", (int)(slash - path), path);
        api = json_object_get(api, part);
        path = slash + 1;
    }
    return json_object_get(api, path);
}

json_t *resmap_read(const struct attr *table, const json_t *api)
{
    json_t *out = json_object();

    for (const struct attr *a = table; a && a->name; a++) {
        const json_t *v = a->member ? member_at(api, a->member) : NULL;
        const char *text = json_string_value(v);
        char *end = NULL;
        long long n = text && is_int(a->type) ? strtoll(text, &end, 10) : 0;
        if (!v || json_is_null(v) || (text && !*text))
            continue;
        if (end && !*end)
            json_object_set_new(out, a->name, json_integer(n));
        else if (text && a->type == VT_BOOL)
            json_object_set_new(out, a->name, json_boolean(strcmp(text, "true") == 0));
        else
            json_object_set(out, a->name, (json_t *)v);
    }
    return out;
}

/* Whether a table of fields maps to API members (any of them has one). */
static int has_members(const struct attr *fields)
{
    for (const struct attr *a = fields; a && a->name; a++)
        if (a->member)
            return 1;
    return 0;
}

/* Attribute a's value v as resmap_read_nested reads it; NULL for an empty list. */
static json_t *read_nested(const struct attr *a, json_t *v)
{
    json_t *out, *e;
    size_t i;

    if (json_is_array(v) && !json_array_size(v))
        return NULL;
    if (!has_members(a->fields))
        return json_incref(v);
    if (json_is_object(v))
        return resmap_read_nested(a->fields, v);
    if (!json_is_array(v))
        return json_incref(v);
    out = json_array();
    json_array_foreach(v, i, e)
    {
        json_array_append_new(out, resmap_read_nested(a->fields, e));
    }
    return out;
}

json_t *resmap_read_nested(const struct attr *table, const json_t *api)
{
    json_t *out = resmap_read(table, api), *v, *n;

    for (const struct attr *a = table; a && a->name; a++) {
        if (!(v = json_object_get(out, a->name)))
            continue;
        if ((n = read_nested(a, v)))
            json_object_set_new(out, a->name, n);
        else
            json_object_del(out, a->name);
    }
    return out;
}

/* An integer given as JSON or decimal text, as JSON; NULL when it is neither. */
static json_t *api_int(const json_t *v)
{
    const char *s = json_string_value(v);
    char *end;
    long long n;

    if (json_is_integer(v))
        return json_incref((json_t *)v);
    if (!s || !*s)
        return NULL;
    errno = 0;
    n = strtoll(s, &end, 10);
    return *end || errno ? NULL : json_integer(n);
}

/* Value v of attribute a (of type type: a list's elements are of a->elem) as the API takes it;
 * NULL for none. */
static json_t *api_value(const struct attr *a, enum vtype type, const json_t *v)
{
    char buf[32];
    json_t *out, *e, *x;
    size_t i;

    if (!v || json_is_null(v))
        return NULL;
    if (type == VT_LIST && json_is_array(v)) {
        out = json_array();
        json_array_foreach(v, i, e)
        {
            if ((x = api_value(a, a->elem, e)))
                json_array_append_new(out, x);
        }
        if (json_array_size(out))
            return out;
        json_decref(out);
        return NULL;
    }
    if (is_int(type))
        return api_int(v);
    if (has_members(a->fields) && json_is_object(v))
        return resmap_api_object(a->fields, v);
    if (json_is_integer(v) && vtype_is_scalar(type) && type != VT_BOOL) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return json_string(buf);
    }
    return json_incref((json_t *)v);
}

json_t *resmap_api_object(const struct attr *table, const json_t *v)
{
    json_t *out = json_object();
    char part[128];

    for (const struct attr *a = table; a && a->name; a++) {
        const json_t *x = json_object_get(v, a->name);
        const char *slash = a->member ? strchr(a->member, '/') : NULL;
        json_t *given = NULL, *put, *into = out;
        if (!a->member || (a->flags & (ATTR_COMPUTED | ATTR_LATER)))
            continue;
        if ((!x || json_is_null(x)) && a->def)
            x = given = vtype_is_scalar(a->type) ? json_string(a->def)
                                                 : json_loads(a->def, JSON_DECODE_ANY, NULL);
        put = api_value(a, a->type, x);
        json_decref(given);
        if (!put)
            continue;
        if (slash) {
            snprintf(part, sizeof(part), "%.*s", (int)(slash - a->member), a->member);
            if (!(into = json_object_get(out, part)))
                json_object_set_new(out, part, into = json_object());
        }
        json_object_set_new(into, slash ? slash + 1 : a->member, put);
    }
    return out;
}

json_t *resmap_api_value(const struct attr *a, const json_t *v)
{
    return api_value(a, a->type, v);
}

json_t *resmap_int(const json_t *v)
{
    return api_int(v);
}
