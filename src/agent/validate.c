#include "agent/validate.h"
#include "agent/graph.h"
#include "agent/interp.h"
#include "agent/param.h"
#include "agent/stackcheck.h"
#include "agent/subst.h"
#include "core/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_NAMES 512

struct ctx {
    struct stack *s;
    struct stack_res *r;
    struct diag *d;
};

/* The names of a table's settable attributes, for "did you mean". */
static size_t settable(const struct attr *table, const char **names)
{
    size_t n = 0;

    for (const struct attr *a = table; a->name && n < MAX_NAMES; a++)
        if (!(a->flags & ATTR_COMPUTED))
            names[n++] = a->name;
    return n;
}

/* Reports the unknown key; returns the suggestion so a "needs X" for it is not said twice. */
static const char *unknown_attr(struct ctx *c, const struct ynode *key, const struct attr *table,
                                const char *where)
{
    const char *names[MAX_NAMES];
    const char *hint = suggest_closest(key->str, names, settable(table, names));

    if (hint)
        diag_error(c->d, &key->loc, "'%s' is not an attribute of %s; did you mean '%s'?", key->str,
                   where, hint);
    else
        diag_error(c->d, &key->loc, "'%s' is not an attribute of %s", key->str, where);
    return hint;
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

/* The resources of instance inst, "a, b, c", for a message. */
static void instance_members(struct ctx *c, const char *inst, char *buf, size_t n)
{
    size_t len = strlen(inst), used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < c->s->nres && used + 2 < n; i++) {
        const char *name = c->s->res[i]->name;
        if (strncmp(name, inst, len) == 0 && name[len] == '.')
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", name);
    }
}

static void bad_ref(struct ctx *c, const char *expr, const struct srcloc *loc)
{
    const char *names[MAX_NAMES];
    size_t n = stack_names(c->s, names, MAX_NAMES), len = strcspn(expr, ".");
    char first[128], members[512], tail[160];

    snprintf(first, sizeof(first), "%.*s", (int)len, expr);
    for (size_t i = 0; i < c->s->nbroken; i++)
        if (strcmp(c->s->broken_instances[i], first) == 0)
            return; /* its template failed to load: that error is the one to read */
    if (strchr(expr, '.') == NULL) {
        diag_error(c->d, loc, "${%s} needs an attribute, as in ${%s.id}", expr, expr);
        return;
    }
    instance_members(c, first, members, sizeof(members));
    if (members[0] && !strchr(expr + len + 1, '.')) {
        const struct stack_res *any = NULL;
        for (size_t i = 0; i < c->s->nres && !any; i++)
            if (c->s->res[i]->instance && strcmp(c->s->res[i]->instance, first) == 0)
                any = c->s->res[i];
        diag_error(c->d, loc,
                   "${%s}: '%s' is an instance of template %s, not a resource; refer to one of "
                   "its resources: %s",
                   expr, first, any ? any->template_name : "?", members);
        return;
    }
    if (members[0]) {
        /* Inside an instance: suggest on "instance.local". */
        const char *dot2 = strchr(expr + len + 1, '.');
        snprintf(first, sizeof(first), "%.*s", (int)(dot2 - expr), expr);
    }
    diag_error(c->d, loc, "${%s} refers to '%s', which is not a resource%s", expr, first,
               suggest_tail(first, names, n, " of this stack", tail, sizeof(tail)));
}

static int reserved(const char *expr)
{
    size_t len = strcspn(expr, ".");

    return (len == 5 && (strncmp(expr, "param", 5) == 0 || strncmp(expr, "stack", 5) == 0)) ||
           (len == 8 && strncmp(expr, "instance", 8) == 0) ||
           (len == 4 && strncmp(expr, "file", 4) == 0);
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
        const char *attr = NULL, *names[MAX_NAMES];
        struct srcloc loc;
        struct stack_res *t;
        char first[128], tail[160];
        size_t n = 0;

        /* ${param.*}, ${stack.*} and ${instance.*} left here failed to resolve: reported. */
        if (!p->is_expr || reserved(p->text))
            continue;
        loc = subst_loc(v, p->offset);
        if (!(t = resolve(c, p->text, &attr))) {
            bad_ref(c, p->text, &loc);
            continue;
        }
        snprintf(first, sizeof(first), "%.*s", (int)strcspn(attr, "."), attr);
        if (!restype_attr(t->type->attrs, first)) {
            for (const struct attr *a = t->type->attrs; a->name && n < MAX_NAMES; a++)
                names[n++] = a->name;
            diag_error(c->d, &loc, "%s (%s) has no attribute '%s'%s", t->name, t->type->name, first,
                       suggest_tail(first, names, n, "", tail, sizeof(tail)));
            continue;
        }
        if (t == c->r) {
            diag_error(c->d, &loc,
                       "${%s}: '%s' refers to itself; its attributes exist only once it is made",
                       p->text, t->name);
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

static void link_tree(struct ctx *c, const struct ynode *v)
{
    if (v->kind == YNODE_SCALAR) {
        link_scalar(c, v);
        return;
    }
    for (size_t i = 0; i < v->n; i++)
        link_tree(c, v->vals[i]);
}

static void check_value(struct ctx *c, const struct attr *a, const struct ynode *v,
                        const struct srcloc *owner, enum vtype t, const char *path);

/* The fields of map m; owner is the key the map hangs under (where "needs X" points). */
static void check_fields(struct ctx *c, const struct attr *fields, const struct ynode *m,
                         const struct srcloc *owner, const char *path, const char *where)
{
    const char *hints[64];
    size_t nhints = 0;
    char sub[256];

    for (size_t i = 0; i < m->n; i++) {
        const struct attr *f = restype_attr(fields, m->keys[i]->str);
        const char *hint;
        if (!f) {
            if ((hint = unknown_attr(c, m->keys[i], fields, where)) && nhints < 64)
                hints[nhints++] = hint;
            continue;
        }
        if (f->flags & ATTR_COMPUTED) {
            diag_error(c->d, &m->keys[i]->loc, "'%s' of %s is computed by AWS and cannot be set",
                       f->name, c->r->type->name);
            continue;
        }
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->name);
        check_value(c, f, m->vals[i], &m->keys[i]->loc, f->type, sub);
    }
    for (const struct attr *f = fields; f->name; f++) {
        size_t j;
        if (!(f->flags & ATTR_REQUIRED) || ydoc_get(m, f->name))
            continue;
        for (j = 0; j < nhints && strcmp(hints[j], f->name) != 0; j++)
            ;
        if (j < nhints)
            continue; /* a misspelling of it was reported */
        if (*path)
            diag_error(c->d, owner, "%s of %s needs '%s'", path, c->r->name, f->name);
        else
            diag_error(c->d, owner, "%s '%s' needs the property '%s'", c->r->type->name, c->r->name,
                       f->name);
    }
}

static int numeric_values(const char *const *values)
{
    for (; *values; values++)
        if (!isdigit((unsigned char)**values))
            return 0;
    return 1;
}

static void check_enum(struct ctx *c, const struct attr *a, const struct ynode *v, const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    char tail[160];
    size_t n;

    for (n = 0; a->values[n]; n++)
        if (strcmp(a->values[n], v->str) == 0)
            return;
    /* "did you mean '1'" for 10 would mislead: numbers get the whole list. */
    if (numeric_values(a->values)) {
        for (size_t i = 0; i < n; i++)
            strbuf_addf(&sb, "%s%s", i ? ", " : "", a->values[i]);
        diag_error(c->d, &v->loc, "'%s' is not a valid value for %s; valid values are %s", v->str,
                   path, sb.buf);
        strbuf_release(&sb);
        return;
    }
    diag_error(
        c->d, &v->loc, "'%s' is not a valid value for %s%s", v->str, path,
        suggest_tail(v->str, a->values, n, " (see docs/stack-reference.md)", tail, sizeof(tail)));
}

static void check_value(struct ctx *c, const struct attr *a, const struct ynode *v,
                        const struct srcloc *owner, enum vtype t, const char *path)
{
    struct stack_res *target;
    char where[300];

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
                            v->vals[i], &v->vals[i]->loc, VT_OBJECT, sub);
            else
                check_value(c, &(struct attr){.values = a->values, .ref_type = a->ref_type},
                            v->vals[i], &v->vals[i]->loc, a->elem, sub);
        }
        return;
    case VT_OBJECT:
        if (v->kind != YNODE_MAP) {
            diag_error(c->d, &v->loc, "%s must be a map, not %s", path, ydoc_kind_name(v));
            return;
        }
        snprintf(where, sizeof(where), "%s (in %s)", path, c->r->type->name);
        check_fields(c, a->fields, v, owner, path, where);
        return;
    case VT_MAP:
        if (v->kind != YNODE_MAP) {
            diag_error(c->d, &v->loc, "%s must be a map, not %s", path, ydoc_kind_name(v));
            return;
        }
        if (strcmp(path, "tags") == 0)
            stackcheck_tags(v, c->d);
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

    if (r->props_bad) {
        /* The properties were not readable: only link what is there, claim nothing missing. */
        link_tree(&c, r->props);
        return;
    }
    check_fields(&c, r->type->attrs, r->props, &r->loc, "", r->type->name);
}
