#include "agent/diff.h"
#include "aws/sigv4.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

void diff_init(struct diff *df)
{
    memset(df, 0, sizeof(*df));
}

void diff_release(struct diff *df)
{
    for (size_t i = 0; i < df->n; i++) {
        free(df->v[i].path);
        json_decref(df->v[i].old);
        json_decref(df->v[i].new);
    }
    free(df->v);
    diff_init(df);
}

static json_t *scalar_of(enum vtype t, const json_t *v)
{
    const char *s = json_string_value(v);
    char *end;

    if (!s)
        return json_incref((json_t *)v);
    switch (t) {
    case VT_INT:
    case VT_PORT:
    case VT_POSIX_ID: {
        long long n = strtoll(s, &end, 10);
        return *s && !*end ? json_integer(n) : json_incref((json_t *)v);
    }
    case VT_BOOL:
        if (strcmp(s, "true") == 0)
            return json_true();
        if (strcmp(s, "false") == 0)
            return json_false();
        return json_incref((json_t *)v);
    default:
        return json_incref((json_t *)v);
    }
}

static int cmp_dump(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *diff_set(json_t *arr, int unique)
{
    size_t n = json_array_size(arr);
    char **dumps = xcalloc(n ? n : 1, sizeof(*dumps));
    json_t *out = json_array();

    for (size_t i = 0; i < n; i++)
        dumps[i] =
            json_dumps(json_array_get(arr, i), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    qsort(dumps, n, sizeof(*dumps), cmp_dump);
    for (size_t i = 0; i < n; i++)
        if (dumps[i] && !(unique && i > 0 && dumps[i - 1] && strcmp(dumps[i], dumps[i - 1]) == 0))
            json_array_append_new(out, json_loads(dumps[i], JSON_DECODE_ANY, NULL));
    for (size_t i = 0; i < n; i++)
        free(dumps[i]);
    free(dumps);
    json_decref(arr);
    return out;
}

json_t *diff_as_text(const json_t *v)
{
    char buf[64];

    if (json_is_string(v))
        return json_incref((json_t *)v);
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return json_string(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        return json_string(buf);
    }
    if (json_is_boolean(v))
        return json_string(json_is_true(v) ? "true" : "false");
    return NULL;
}

static json_t *normalize_fields(const struct attr *fields, const json_t *obj)
{
    json_t *out = json_object();

    for (const struct attr *f = fields; f->name; f++) {
        json_t *v;
        if (f->flags & ATTR_COMPUTED)
            continue;
        if ((v = diff_normalize(f, json_object_get(obj, f->name))))
            json_object_set_new(out, f->name, v);
    }
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *diff_normalize(const struct attr *a, const json_t *v)
{
    json_t *out;

    if (!v || json_is_null(v)) {
        if (a->fields && a->type == VT_OBJECT)
            return normalize_fields(a->fields, NULL); /* nested defaults still count */
        if (!a->def)
            return NULL;
        if (!vtype_is_scalar(a->type)) {
            /* A list or map default is written as JSON in the table. */
            json_t *parsed = json_loads(a->def, JSON_DECODE_ANY, NULL);
            out = parsed ? diff_normalize(a, parsed) : NULL;
            json_decref(parsed);
            return out;
        }
        out = json_string(a->def);
        v = out;
        out = scalar_of(a->type, v);
        json_decref((json_t *)v);
        return out;
    }
    switch (a->type) {
    case VT_OBJECT:
        return json_is_object(v) ? normalize_fields(a->fields, v) : json_incref((json_t *)v);
    case VT_LIST: {
        size_t i;
        json_t *e;
        if (!json_is_array(v))
            return json_incref((json_t *)v);
        if (json_array_size(v) == 0)
            return NULL;
        out = json_array();
        json_array_foreach(v, i, e)
        {
            json_t *ne = a->fields ? normalize_fields(a->fields, e) : scalar_of(a->elem, e);
            json_array_append_new(out, ne ? ne : json_object());
        }
        return (a->flags & ATTR_ORDERED) ? out : diff_set(out, 0);
    }
    case VT_MAP:
        if (json_is_object(v) && json_object_size(v) == 0)
            return NULL;
        return json_incref((json_t *)v);
    default:
        return scalar_of(a->type, v);
    }
}

/* Tags AWS adds (aws:*) are not ours to compare. */
static json_t *our_tags(const json_t *tags)
{
    json_t *out = json_object(), *v;
    const char *k;

    json_object_foreach((json_t *)tags, k, v)
    {
        if (strncmp(k, "aws:", 4) != 0)
            json_object_set(out, k, v);
    }
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static int has_unknown(const json_t *v)
{
    const char *k;
    size_t i;
    json_t *e;

    if (json_is_string(v))
        return strstr(json_string_value(v), "${") != NULL;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            if (has_unknown(e))
                return 1;
        }
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, e)
        {
            if (has_unknown(e))
                return 1;
        }
    }
    return 0;
}

static void diff_table(const struct restype *t, const struct attr *table, const json_t *desired,
                       const json_t *live, struct diff *out);

void diff_attrs(const struct attr *table, const json_t *desired, const json_t *live,
                struct diff *out)
{
    diff_table(NULL, table, desired, live, out);
}

void diff_resource(const struct restype *t, const json_t *desired, const json_t *live,
                   struct diff *out)
{
    diff_table(t, t->attrs, desired, live, out);
}

/* The type's own canonical form first (when it has one), then the generic one. */
static json_t *normalize_for(const struct restype *t, const struct attr *a, const json_t *v)
{
    json_t *own, *out;

    if (!t || !t->ops || !t->ops->normalize || !v || json_is_null(v))
        return diff_normalize(a, v);
    if (!(own = t->ops->normalize(a->name, v)))
        return diff_normalize(a, v);
    out = diff_normalize(a, own);
    json_decref(own);
    return out;
}

static void diff_table(const struct restype *t, const struct attr *table, const json_t *desired,
                       const json_t *live, struct diff *out)
{
    for (const struct attr *a = table; a->name; a++) {
        json_t *d, *l;
        int tags = strcmp(a->name, "tags") == 0 && a->type == VT_MAP, unknown;
        struct diff_change *c;

        if (a->flags & ATTR_COMPUTED)
            continue;
        if (tags) {
            d = our_tags(json_object_get(desired, a->name));
            l = our_tags(json_object_get(live, a->name));
        } else {
            d = normalize_for(t, a, json_object_get(desired, a->name));
            l = normalize_for(t, a, json_object_get(live, a->name));
        }
        /* Left out, no default, a single value: AWS chooses it (an availability zone, a
         * private IP), so there is nothing to hold it to. Left-out lists and maps still mean
         * "none": rules added by hand are differences. */
        if (!d && !a->def && vtype_is_scalar(a->type) && !json_object_get(desired, a->name)) {
            json_decref(l);
            continue;
        }
        unknown = d && has_unknown(d);
        if (!unknown && ((!d && !l) || (d && l && json_equal(d, l)))) {
            json_decref(d);
            json_decref(l);
            continue;
        }
        XGROW(out->v, out->alloc, out->n + 1);
        c = &out->v[out->n++];
        c->path = xstrdup(a->name);
        c->old = l;
        c->new = d;
        c->flags = a->flags;
        c->unknown = unknown;
    }
}

int diff_replaces(const struct diff *df)
{
    for (size_t i = 0; i < df->n; i++)
        if (df->v[i].flags & ATTR_REPLACE)
            return 1;
    return 0;
}

void diff_digest(const struct restype *t, const json_t *desired, char out[DIFF_DIGEST_LEN + 1])
{
    json_t *canon = json_object();
    char *text;

    for (const struct attr *a = t->attrs; a->name; a++) {
        json_t *v;
        if ((a->flags & ATTR_COMPUTED) || strcmp(a->name, "tags") == 0)
            continue;
        if ((v = normalize_for(t, a, json_object_get(desired, a->name))))
            json_object_set_new(canon, a->name, v);
    }
    text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    sigv4_sha256_hex(text ? text : "", text ? strlen(text) : 0, out);
    free(text);
    json_decref(canon);
}
