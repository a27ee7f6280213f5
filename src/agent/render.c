#include "agent/render.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* YAML 1.2 core schema reading of an unquoted scalar, used where no table says the type. */
static json_t *plain_scalar(const struct ynode *n)
{
    char *end;
    long long v;

    if (n->quoted)
        return json_stringn(n->str, n->len);
    if (strcmp(n->str, "true") == 0)
        return json_true();
    if (strcmp(n->str, "false") == 0)
        return json_false();
    if (ydoc_is_null(n))
        return json_null();
    errno = 0;
    v = strtoll(n->str, &end, 10);
    if (*n->str && *end == '\0' && errno == 0 && (n->str[0] != '0' || n->len == 1))
        return json_integer(v);
    return json_stringn(n->str, n->len);
}

static json_t *typed_scalar(const struct ynode *n, enum vtype t)
{
    switch (t) {
    case VT_INT:
    case VT_PORT:
    case VT_POSIX_ID:
    case VT_BOOL: {
        json_t *j = plain_scalar(n);
        if (json_is_integer(j) || json_is_boolean(j))
            return j;
        json_decref(j);
        return json_stringn(n->str, n->len); /* a ${reference}: known after apply */
    }
    default:
        return json_stringn(n->str, n->len);
    }
}

static json_t *node_json(const struct ynode *n, const struct attr *a, enum vtype t, int redact);

static json_t *fields_json(const struct ynode *m, const struct attr *fields, int redact)
{
    json_t *o = json_object();

    for (size_t i = 0; i < m->n; i++) {
        const struct attr *f = fields ? restype_attr(fields, m->keys[i]->str) : NULL;
        json_t *v = redact && f && (f->flags & ATTR_SENSITIVE)
                        ? json_string(RENDER_SENSITIVE)
                        : node_json(m->vals[i], f, f ? f->type : VT_DOCUMENT, redact);
        json_object_set_new(o, m->keys[i]->str, v);
    }
    return o;
}

static json_t *node_json(const struct ynode *n, const struct attr *a, enum vtype t, int redact)
{
    json_t *arr;

    if (n->kind == YNODE_SCALAR)
        return a ? typed_scalar(n, t) : plain_scalar(n);
    if (n->kind == YNODE_MAP)
        return fields_json(n, t == VT_OBJECT && a ? a->fields : NULL, redact);
    arr = json_array();
    for (size_t i = 0; i < n->n; i++) {
        if (a && t == VT_LIST && a->fields)
            json_array_append_new(arr, fields_json(n->vals[i], a->fields, redact));
        else if (a && t == VT_LIST)
            json_array_append_new(arr, node_json(n->vals[i], a, a->elem, redact));
        else
            json_array_append_new(arr, node_json(n->vals[i], NULL, VT_DOCUMENT, redact));
    }
    return arr;
}

json_t *render_props(const struct attr *table, const struct ynode *props, int redact)
{
    return fields_json(props, table, redact);
}

json_t *render_json(const struct stack *s)
{
    json_t *root = json_object(), *res = json_object();

    json_object_set_new(root, "stack", json_string(s->name ? s->name : ""));
    json_object_set_new(root, "region", s->region ? json_string(s->region) : json_null());
    json_object_set_new(root, "tags",
                        s->tags ? node_json(s->tags, NULL, VT_MAP, 1) : json_object());
    for (size_t i = 0; i < s->nres; i++) {
        const struct stack_res *r = s->res[i];
        json_t *o = json_object(), *deps = json_array();
        json_object_set_new(o, "type", json_string(r->type->name));
        if (r->physical_name)
            json_object_set_new(o, "name", json_string(r->physical_name));
        if (r->instance)
            json_object_set_new(
                o, "from",
                json_pack("{s:s, s:s}", "template", r->template_name, "instance", r->instance));
        for (size_t j = 0; j < r->ndeps; j++)
            json_array_append_new(deps, json_string(r->deps[j]->name));
        json_object_set_new(o, "depends_on", deps);
        json_object_set_new(o, "properties", render_props(r->type->attrs, r->props, 1));
        json_object_set_new(res, r->name, o);
    }
    json_object_set_new(root, "resources", res);
    return root;
}

/* YAML output: the JSON value above, emitted with libyaml so quoting is always right. */
static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
    return yaml_emitter_emit(e, ev) ? 0 : -1;
}

/* Strings that a YAML reader would take for something else unless quoted: booleans of YAML
 * 1.1 and 1.2, nulls, numbers. libyaml's emitter checks syntax only, so cairn says so. */
static int reads_as_non_string(const char *s)
{
    static const char *const words[] = {"true", "false", "yes",  "no", "on", "off",
                                        "y",    "n",     "null", "~",  ""};
    char *end;

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(s, words[i]) == 0)
            return 1;
    strtod(s, &end);
    if (*end == '\0' || strcasecmp(s, ".inf") == 0 || strcasecmp(s, ".nan") == 0)
        return 1;
    if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0o", 2) == 0)
        return 1;
    /* YAML 1.1 also has dates (2012-10-17), base-60 (1:30) and 1_000: all digits and marks. */
    return isdigit((unsigned char)s[0]) && strspn(s, "0123456789-:_.+ T") == strlen(s);
}

/* plain: a key or a number/boolean; else a string, quoted only when it must be. */
static int emit_scalar(yaml_emitter_t *e, const char *s, int plain)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

    if (!plain && strchr(s, '\n'))
        style = YAML_LITERAL_SCALAR_STYLE;
    else if (!plain && reads_as_non_string(s))
        style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style);
    return emit(e, &ev);
}

static int emit_json(yaml_emitter_t *e, const json_t *j)
{
    yaml_event_t ev;
    char num[32];

    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        if (emit(e, &ev) < 0)
            return -1;
        json_object_foreach((json_t *)j, k, v)
        {
            if (emit_scalar(e, k, 1) < 0 || emit_json(e, v) < 0)
                return -1;
        }
        yaml_mapping_end_event_initialize(&ev);
        return emit(e, &ev);
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *v;
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                             json_array_size(j) ? YAML_BLOCK_SEQUENCE_STYLE
                                                                : YAML_FLOW_SEQUENCE_STYLE);
        if (emit(e, &ev) < 0)
            return -1;
        json_array_foreach(j, i, v)
        {
            if (emit_json(e, v) < 0)
                return -1;
        }
        yaml_sequence_end_event_initialize(&ev);
        return emit(e, &ev);
    }
    case JSON_STRING:
        /* Not plain: the emitter quotes "true", "512", "" so they read back as strings. */
        return emit_scalar(e, json_string_value(j), 0);
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return emit_scalar(e, num, 1);
    case JSON_TRUE:
        return emit_scalar(e, "true", 1);
    case JSON_FALSE:
        return emit_scalar(e, "false", 1);
    default:
        return emit_scalar(e, "null", 1);
    }
}

static int write_out(void *data, unsigned char *buf, size_t size)
{
    return fwrite(buf, 1, size, data) == size;
}

int render_yaml(const struct stack *s, FILE *out, struct diag *d)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    json_t *j = render_json(s);
    int ret = -1;

    yaml_emitter_initialize(&e);
    yaml_emitter_set_output(&e, write_out, out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, 100);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (emit(&e, &ev) < 0)
        goto out;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if (emit(&e, &ev) < 0 || emit_json(&e, j) < 0)
        goto out;
    yaml_document_end_event_initialize(&ev, 1);
    if (emit(&e, &ev) < 0)
        goto out;
    yaml_stream_end_event_initialize(&ev);
    if (emit(&e, &ev) < 0)
        goto out;
    ret = 0;
out:
    if (ret < 0)
        diag_error(d, NULL, "cannot write YAML: %s", e.problem ? e.problem : "output error");
    yaml_emitter_delete(&e);
    json_decref(j);
    return ret;
}
