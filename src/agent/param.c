#include "agent/param.h"
#include "agent/interp.h"
#include "core/suggest.h"

#include <stdio.h>
#include <string.h>

static const char *const decl_keys[] = {"type", "default", "description"};

struct stack_param *param_find(struct stack_param *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

int param_check_scalar(enum vtype t, long long min, long long max, const char *what,
                       const struct ynode *v, struct diag *d)
{
    struct strbuf why = STRBUF_INIT;
    int ret = 0;

    if (v->kind != YNODE_SCALAR) {
        diag_error(d, &v->loc, "%s must be %s %s, not %s", what,
                   t == VT_INT || t == VT_ARN || t == VT_AZ ? "an" : "a", vtype_name(t),
                   ydoc_kind_name(v));
        return -1;
    }
    if (interp_has_expr(v->str))
        return 0;
    if (vtype_check(t, v->str, min, max, &why) < 0) {
        diag_error(d, &v->loc, "'%s' is not a valid %s for %s: %s", v->str, vtype_name(t), what,
                   why.buf);
        ret = -1;
    }
    strbuf_release(&why);
    return ret;
}

int param_check_value(const struct stack_param *p, const struct ynode *v, struct diag *d)
{
    char what[160];

    snprintf(what, sizeof(what), "parameter '%s'", p->name);
    if (ydoc_is_null(v))
        return 0; /* ~: leave out the properties that use it */
    switch (p->type) {
    case VT_LIST:
        if (v->kind == YNODE_SEQ || (v->kind == YNODE_SCALAR && interp_has_expr(v->str)))
            return 0;
        break;
    case VT_MAP:
    case VT_OBJECT:
    case VT_DOCUMENT:
        if (v->kind == YNODE_MAP || (v->kind == YNODE_SCALAR && interp_has_expr(v->str)))
            return 0;
        break;
    default:
        return param_check_scalar(p->type, 0, 0, what, v, d);
    }
    diag_error(d, &v->loc, "%s must be a %s, not %s", what, vtype_name(p->type), ydoc_kind_name(v));
    return -1;
}

/* 1 when t names a value type; else an error with the closest name. */
size_t param_names(const struct stack_param *v, size_t n, const char **names, size_t max)
{
    size_t i = 0;

    for (; i < n && i < max; i++)
        names[i] = v[i].name;
    return i;
}

static int parse_type(const struct ynode *t, enum vtype *out, struct diag *d)
{
    const char *names[VT__COUNT];
    char tail[160];

    if (t->kind == YNODE_SCALAR && vtype_parse(t->str, out) == 0)
        return 1;
    if (t->kind != YNODE_SCALAR) {
        diag_error(d, &t->loc, "a parameter's type must be a word such as string or port");
        return 0;
    }
    for (int i = 0; i < VT__COUNT; i++)
        names[i] = vtype_name((enum vtype)i);
    diag_error(
        d, &t->loc, "unknown parameter type '%s'%s", t->str,
        suggest_tail(t->str, names, VT__COUNT, " (see docs/stack-format.md)", tail, sizeof(tail)));
    return 0;
}

static int parse_decl(struct arena *a, const struct ynode *key, const struct ynode *val,
                      struct stack_param *p, struct diag *d)
{
    const struct ynode *t, *desc;
    int ret = 0, ok_type = 1;

    memset(p, 0, sizeof(*p));
    p->name = arena_strdup(a, key->str);
    p->loc = key->loc;
    p->type = VT_STRING;
    if (!interp_valid_name(key->str)) {
        diag_error(d, &key->loc,
                   "parameter name '%s' must start with a lowercase letter and hold only "
                   "lowercase letters, digits and '_'",
                   key->str);
        return -1;
    }
    if (val->kind != YNODE_MAP) {
        diag_error(d, &val->loc,
                   "parameter '%s' must be a map with type, default and description, not %s",
                   key->str, ydoc_kind_name(val));
        return -1;
    }
    for (size_t i = 0; i < val->n; i++) {
        const char *k = val->keys[i]->str;
        char tail[160];
        if (strcmp(k, "type") == 0 || strcmp(k, "default") == 0 || strcmp(k, "description") == 0)
            continue;
        diag_error(d, &val->keys[i]->loc, "unknown key '%s' in parameter '%s'%s", k, p->name,
                   suggest_tail(k, decl_keys, 3, " (expected type, default, description)", tail,
                                sizeof(tail)));
    }
    if ((t = ydoc_get(val, "type")) && !parse_type(t, &p->type, d))
        ok_type = 0;
    if ((desc = ydoc_get(val, "description")) && desc->kind == YNODE_SCALAR)
        p->doc = arena_strdup(a, desc->str);
    /* A bad default is reported once, against its declaration, but the parameter stays known
     * so references to it do not pile up errors. */
    if ((p->def = ydoc_get(val, "default")) && ok_type)
        p->bad = param_check_value(p, p->def, d) < 0;
    p->value = p->def;
    return ret;
}

void param_parse_decls(struct arena *a, const struct ynode *map, struct stack_param **out,
                       size_t *n, struct diag *d)
{
    *out = NULL;
    *n = 0;
    if (!map)
        return;
    if (map->kind != YNODE_MAP) {
        diag_error(d, &map->loc, "parameters must be a map of name to declaration, not %s",
                   ydoc_kind_name(map));
        return;
    }
    *out = arena_alloc(a, (map->n ? map->n : 1) * sizeof(**out));
    for (size_t i = 0; i < map->n; i++)
        if (parse_decl(a, map->keys[i], map->vals[i], &(*out)[*n], d) == 0)
            (*n)++;
}
