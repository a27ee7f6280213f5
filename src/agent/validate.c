#include "agent/validate.h"
#include "agent/graph.h"
#include "agent/interp.h"
#include "agent/param.h"
#include "agent/subst.h"
#include "agent/suggest.h"

#include <stdio.h>
#include <string.h>

struct ctx {
    struct stack *s;
    struct stack_res *r;
    struct diag *d;
};

static void unknown_attr(struct ctx *c, const struct ynode *key, const struct attr *table,
                         const char *where)
{
    const char *names[128], *hint;
    size_t n = 0;

    for (const struct attr *a = table; a->name && n < 128; a++)
        if (!(a->flags & ATTR_COMPUTED))
            names[n++] = a->name;
    hint = suggest_closest(key->str, names, n);
    if (hint)
        diag_error(c->d, &key->loc, "'%s' is not an attribute of %s; did you mean '%s'?", key->str,
                   where, hint);
    else
        diag_error(c->d, &key->loc, "'%s' is not an attribute of %s", key->str, where);
}

/* Find the resource an expression names: the longest dotted prefix that is a resource. */
static struct stack_res *resolve(struct ctx *c, const char *expr, const char **attr)
{
    char buf[256];
    size_t len = strlen(expr);

    if (len >= sizeof(buf))
        return NULL;
    memcpy(buf, expr, len + 1);
    for (;;) {
        char *dot = strrchr(buf, '.');
        struct stack_res *t;
        if (!dot)
            return NULL;
        *dot = '\0';
        if ((t = stack_find(c->s, buf))) {
            *attr = expr + (dot - buf) + 1;
            return t;
        }
    }
}

static void bad_ref(struct ctx *c, const char *expr, const struct srcloc *loc)
{
    const char *names[512], *hint;
    size_t n = 0, len = strcspn(expr, ".");
    char first[128];

    for (size_t i = 0; i < c->s->nres && n < 512; i++)
        names[n++] = c->s->res[i]->name;
    snprintf(first, sizeof(first), "%.*s", (int)len, expr);
    for (size_t i = 0; i < c->s->nbroken; i++)
        if (strcmp(c->s->broken_instances[i], first) == 0)
            return; /* its template failed to load: that error is the one to read */
    if (strchr(expr, '.') == NULL) {
        diag_error(c->d, loc, "${%s} needs an attribute, as in ${%s.id}", expr, expr);
        return;
    }
    hint = suggest_closest(first, names, n);
    if (!hint) {
        /* A template instance's resources: suggest on the longer prefix. */
        const char *dot2 = strchr(expr + len + 1, '.');
        if (dot2) {
            snprintf(first, sizeof(first), "%.*s", (int)(dot2 - expr), expr);
            hint = suggest_closest(first, names, n);
        }
    }
    if (hint)
        diag_error(c->d, loc, "${%s} refers to '%s', which is not a resource; did you mean '%s'?",
                   expr, first, hint);
    else
        diag_error(c->d, loc, "${%s} refers to '%s', which is not a resource of this stack", expr,
                   first);
}

/* Link every reference in scalar v; returns the target when v is exactly one reference. */
static struct stack_res *link_scalar(struct ctx *c, const struct ynode *v)
{
    struct strbuf why = STRBUF_INIT;
    struct interp in;
    struct stack_res *single = NULL;
    size_t off;

    if (!interp_has_expr(v->str))
        return NULL;
    if (interp_parse(&c->s->arena, v->str, &in, &off, &why) < 0)
        goto out; /* reported when parameters were substituted */
    for (size_t i = 0; i < in.n; i++) {
        const struct interp_part *p = &in.parts[i];
        struct srcloc loc;
        struct stack_res *t;
        const char *attr = NULL;
        char first[128];

        if (!p->is_expr)
            continue;
        loc = subst_loc(v, p->offset);
        if (!(t = resolve(c, p->text, &attr))) {
            bad_ref(c, p->text, &loc);
            continue;
        }
        snprintf(first, sizeof(first), "%.*s", (int)strcspn(attr, "."), attr);
        if (!restype_attr(t->type->attrs, first)) {
            const char *names[128], *hint;
            size_t n = 0;
            for (const struct attr *a = t->type->attrs; a->name && n < 128; a++)
                names[n++] = a->name;
            hint = suggest_closest(first, names, n);
            diag_error(c->d, &loc, "%s (%s) has no attribute '%s'%s%s%s", t->name, t->type->name,
                       first, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            continue;
        }
        graph_add_dep(c->r, t);
        if (interp_is_single(&in))
            single = t;
    }
out:
    strbuf_release(&why);
    return single;
}

static void check_value(struct ctx *c, const struct attr *a, const struct ynode *v, enum vtype t,
                        const char *path);

static void link_tree(struct ctx *c, const struct ynode *v)
{
    if (v->kind == YNODE_SCALAR) {
        link_scalar(c, v);
        return;
    }
    for (size_t i = 0; i < v->n; i++)
        link_tree(c, v->vals[i]);
}

static void check_fields(struct ctx *c, const struct attr *fields, const struct ynode *m,
                         const char *path)
{
    char sub[256];

    for (size_t i = 0; i < m->n; i++) {
        const struct attr *f = restype_attr(fields, m->keys[i]->str);
        if (!f) {
            char where[300];
            snprintf(where, sizeof(where), "%s (in %s)", path, c->r->type->name);
            unknown_attr(c, m->keys[i], fields, where);
            continue;
        }
        if (f->flags & ATTR_COMPUTED) {
            diag_error(c->d, &m->keys[i]->loc, "'%s' is computed by AWS and cannot be set",
                       f->name);
            continue;
        }
        snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
        check_value(c, f, m->vals[i], f->type, sub);
    }
    for (const struct attr *f = fields; f->name; f++)
        if ((f->flags & ATTR_REQUIRED) && !ydoc_get(m, f->name))
            diag_error(c->d, &m->loc, "%s of %s needs '%s'", path, c->r->name, f->name);
}

static void check_enum(struct ctx *c, const struct attr *a, const struct ynode *v, const char *path)
{
    size_t n = 0;
    const char *hint;

    for (n = 0; a->values[n]; n++)
        if (strcmp(a->values[n], v->str) == 0)
            return;
    hint = suggest_closest(v->str, a->values, n);
    diag_error(c->d, &v->loc, "'%s' is not a valid value for %s%s%s%s", v->str, path,
               hint ? "; did you mean '" : " (see docs/stack-reference.md)", hint ? hint : "",
               hint ? "'?" : "");
}

static void check_value(struct ctx *c, const struct attr *a, const struct ynode *v, enum vtype t,
                        const char *path)
{
    struct stack_res *target;

    if (v->kind == YNODE_SCALAR && interp_has_expr(v->str)) {
        target = link_scalar(c, v);
        if (target && a->ref_type && strcmp(target->type->name, a->ref_type) != 0)
            diag_error(c->d, &v->loc, "%s must refer to %s %s, but '%s' is %s %s", path,
                       strchr("aeiou", a->ref_type[0]) ? "an" : "a", a->ref_type, target->name,
                       strchr("aeiou", target->type->name[0]) ? "an" : "a", target->type->name);
        return;
    }
    switch (t) {
    case VT_LIST:
        if (v->kind != YNODE_SEQ) {
            diag_error(c->d, &v->loc, "%s must be a list, not %s", path, ydoc_kind_name(v));
            return;
        }
        if (a->min < a->max && ((long long)v->n < a->min || (long long)v->n > a->max))
            diag_error(c->d, &v->loc, "%s must have between %lld and %lld items, not %zu", path,
                       a->min, a->max, v->n);
        for (size_t i = 0; i < v->n; i++) {
            char sub[256];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (a->fields)
                check_value(c, &(struct attr){.fields = a->fields, .ref_type = a->ref_type},
                            v->vals[i], VT_OBJECT, sub);
            else
                check_value(c, &(struct attr){.values = a->values, .ref_type = a->ref_type},
                            v->vals[i], a->elem, sub);
        }
        return;
    case VT_OBJECT:
        if (v->kind != YNODE_MAP) {
            diag_error(c->d, &v->loc, "%s must be a map, not %s", path, ydoc_kind_name(v));
            return;
        }
        check_fields(c, a->fields, v, path);
        return;
    case VT_MAP:
        if (v->kind != YNODE_MAP) {
            diag_error(c->d, &v->loc, "%s must be a map, not %s", path, ydoc_kind_name(v));
            return;
        }
        for (size_t i = 0; i < v->n; i++)
            if (v->vals[i]->kind != YNODE_SCALAR)
                diag_error(c->d, &v->vals[i]->loc, "%s.%s must be a string, not %s", path,
                           v->keys[i]->str, ydoc_kind_name(v->vals[i]));
            else
                link_scalar(c, v->vals[i]);
        return;
    case VT_DOCUMENT:
        if (v->kind != YNODE_MAP) {
            diag_error(c->d, &v->loc, "%s must be a map (a JSON document written as YAML), not %s",
                       path, ydoc_kind_name(v));
            return;
        }
        /* Any shape inside; values may hold references (a policy naming a log group's ARN). */
        link_tree(c, v);
        return;
    default:
        if (param_check_scalar(t, a->min, a->max, path, v, c->d) == 0 && a->values)
            check_enum(c, a, v, path);
    }
}

void validate_resource(struct stack *s, struct stack_res *r, struct diag *d)
{
    struct ctx c = {s, r, d};
    char where[160];

    snprintf(where, sizeof(where), "%s", r->type->name);
    for (size_t i = 0; i < r->props->n; i++) {
        const struct ynode *k = r->props->keys[i];
        const struct attr *a = restype_attr(r->type->attrs, k->str);
        if (!a) {
            unknown_attr(&c, k, r->type->attrs, where);
            continue;
        }
        if (a->flags & ATTR_COMPUTED) {
            diag_error(d, &k->loc, "'%s' of %s is computed by AWS and cannot be set", a->name,
                       r->type->name);
            continue;
        }
        check_value(&c, a, r->props->vals[i], a->type, a->name);
    }
    for (const struct attr *a = r->type->attrs; a->name; a++)
        if ((a->flags & ATTR_REQUIRED) && !ydoc_get(r->props, a->name))
            diag_error(d, &r->loc, "%s '%s' needs the property '%s'", r->type->name, r->name,
                       a->name);
}
