#include "agent/template.h"
#include "agent/param.h"
#include "agent/resources/registry.h"
#include "agent/subst.h"
#include "core/suggest.h"
#include "core/xmalloc.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const template_keys[] = {"template", "description", "parameters", "resources"};
static const char *const entry_keys[] = {"type", "properties", "depends_on"};

static void unknown_key(const struct ynode *k, const char *const *keys, size_t n, const char *in,
                        struct diag *d)
{
    char tail[160];

    diag_error(d, &k->loc, "unknown key '%s' in %s%s", k->str, in,
               suggest_tail(k->str, keys, n, "", tail, sizeof(tail)));
}

/* The names of the templates in the directory, for "did you mean". */
static size_t list_templates(struct stack *s, const char **names, size_t max)
{
    DIR *dir = opendir(s->template_dir);
    struct dirent *e;
    size_t n = 0;

    if (!dir)
        return 0;
    while ((e = readdir(dir)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
            names[n++] = arena_strndup(&s->arena, e->d_name, len - 5);
    }
    closedir(dir);
    return n;
}

static int check_template(struct stack *s, struct stack_template *t, struct diag *d)
{
    const struct ynode *root = t->root, *name, *res;
    size_t before = d->nraised;

    if (!root || root->kind != YNODE_MAP) {
        diag_error(d, root ? &root->loc : NULL, "template '%s' must be a map", t->name);
        return -1;
    }
    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i]->str;
        if (strcmp(k, "template") && strcmp(k, "description") && strcmp(k, "parameters") &&
            strcmp(k, "resources"))
            unknown_key(root->keys[i], template_keys, 4, "a template", d);
    }
    name = ydoc_get(root, "template");
    if (!name || name->kind != YNODE_SCALAR || strcmp(name->str, t->name) != 0)
        diag_error(d, name ? &name->loc : &root->loc,
                   "a template file says its own name first: 'template: %s'", t->name);
    param_parse_decls(&s->arena, ydoc_get(root, "parameters"), &t->params, &t->nparams, d);
    res = ydoc_get(root, "resources");
    if (!res || res->kind != YNODE_MAP || res->n == 0)
        diag_error(d, res ? &res->loc : &root->loc, "template '%s' needs a map of resources",
                   t->name);
    return d->nraised == before ? 0 : -1;
}

struct stack_template *template_get(struct stack *s, const char *name, const struct srcloc *loc,
                                    struct diag *d)
{
    struct stack_template *t;
    struct ydoc *y;
    char *path;

    for (size_t i = 0; i < s->ntemplates; i++)
        if (strcmp(s->templates[i].name, name) == 0)
            return s->templates[i].root ? &s->templates[i] : NULL;
    XGROW(s->templates, s->atemplates, s->ntemplates + 1);
    t = &s->templates[s->ntemplates++];
    memset(t, 0, sizeof(*t));
    t->name = arena_strdup(&s->arena, name);
    path = arena_printf(&s->arena, "%s/%s.yaml", s->template_dir, name);
    if (strchr(name, '/') || strchr(name, '.') || access(path, R_OK) != 0) {
        const char *names[64];
        char tail[160];
        diag_error(d, loc, "no template '%s' in %s%s", name, s->template_dir,
                   suggest_tail(name, names, list_templates(s, names, 64), "", tail, sizeof(tail)));
        return NULL;
    }
    if (!(y = stack_load_doc(s, path, d)))
        return NULL;
    t->root = y->root;
    if (check_template(s, t, d) < 0) {
        t->root = NULL;
        return NULL;
    }
    return t;
}

struct expansion {
    struct stack *s;
    struct stack_template *t;
    const char *instance;
    const struct srcloc *instance_loc;
    const struct ynode *resources; /* the template's resources map */
    int broken;                    /* the instance's parameters are wrong */
    int depth;                     /* defaults expanding defaults: bounded */
};

static enum subst_action resolve(void *ctx, const char *expr, const struct srcloc *loc,
                                 const struct ynode **out, struct diag *d)
{
    struct expansion *x = ctx;
    size_t len = strcspn(expr, ".");
    const char *rest = expr[len] ? expr + len + 1 : "";

    if (strncmp(expr, "param", len) == 0 && len == 5) {
        struct stack_param *p = param_find(x->t->params, x->t->nparams, rest);
        if (!p) {
            const char *names[64];
            char tail[160];
            diag_error(d, loc, "template '%s' has no parameter '%s'%s", x->t->name, rest,
                       suggest_tail(rest, names,
                                    param_names(x->t->params, x->t->nparams, names, 64), "", tail,
                                    sizeof(tail)));
            return SUBST_ERROR;
        }
        if (!p->value || p->bad)
            return SUBST_ERROR; /* missing or wrong: reported once, at the instance */
        if (p->value == p->def) {
            /* A default is template text: its ${...} mean the template's parameters and
             * resources, so expand it here, not in the stack's scope. */
            struct subst_ops ops = {resolve, x};
            if (x->depth >= 8) {
                diag_error(d, loc, "the defaults of template '%s' refer to each other in a loop",
                           x->t->name);
                return SUBST_ERROR;
            }
            x->depth++;
            *out = subst_tree(&x->s->arena, p->def, &ops, d);
            x->depth--;
            return SUBST_REPLACE;
        }
        *out = p->value;
        return SUBST_REPLACE;
    }
    if (strncmp(expr, "instance", len) == 0 && len == 8) {
        if (strcmp(rest, "name") != 0) {
            diag_error(d, loc, "${%s}: an instance has only a name: ${instance.name}", expr);
            return SUBST_ERROR;
        }
        /* Names AWS accepts have dashes, not underscores: frontend_service -> frontend-service,
         * as in the default physical names. */
        char *name = arena_strdup(&x->s->arena, x->instance);
        for (char *p = name; *p; p++)
            if (*p == '_')
                *p = '-';
        *out = ydoc_new_scalar(&x->s->arena, name, strlen(name), 1, loc);
        return SUBST_REPLACE;
    }
    if (strncmp(expr, "stack", len) == 0 && len == 5)
        return SUBST_KEEP;
    if (strncmp(expr, "file", len) == 0 && len == 4) {
        /* A template's file is rendered in the template's scope: its parameters. */
        struct subst_ops ops = {resolve, x};
        x->depth++;
        *out = subst_file(&x->s->arena, x->s->template_dir, rest, loc, &ops, x->depth, d);
        x->depth--;
        return *out ? SUBST_REPLACE : SUBST_ERROR;
    }
    for (size_t i = 0; i < x->resources->n; i++) {
        const char *local = x->resources->keys[i]->str;
        if (strlen(local) == len && strncmp(expr, local, len) == 0) {
            char *e = arena_printf(&x->s->arena, "${%s.%s}", x->instance, expr);
            *out = ydoc_new_scalar(&x->s->arena, e, strlen(e), 0, loc);
            return SUBST_REPLACE;
        }
    }
    diag_error(d, loc,
               "${%s}: a template refers only to its own resources, ${param.*}, ${instance.name} "
               "and ${stack.*}; pass other resources in as parameters",
               expr);
    return SUBST_ERROR;
}

static void bind_params(struct expansion *x, const struct ynode *key, const struct ynode *given,
                        struct diag *d)
{
    struct stack_template *t = x->t;

    /* Each instance binds afresh: reset to the defaults. */
    for (size_t i = 0; i < t->nparams; i++) {
        t->params[i].value = t->params[i].def;
        t->params[i].bad = 0;
    }
    if (given && given->kind != YNODE_MAP) {
        diag_error(d, &given->loc, "parameters must be a map of name to value, not %s",
                   ydoc_kind_name(given));
        given = NULL;
    }
    for (size_t i = 0; given && i < given->n; i++) {
        struct stack_param *p = param_find(t->params, t->nparams, given->keys[i]->str);
        if (!p) {
            const char *names[64];
            char tail[160];
            diag_error(d, &given->keys[i]->loc, "template '%s' has no parameter '%s'%s", t->name,
                       given->keys[i]->str,
                       suggest_tail(given->keys[i]->str, names,
                                    param_names(t->params, t->nparams, names, 64), "", tail,
                                    sizeof(tail)));
            continue;
        }
        p->value = given->vals[i];
        p->bad = param_check_value(p, p->value, d) < 0;
    }
    for (size_t i = 0; i < t->nparams; i++)
        if (!t->params[i].value)
            diag_error(d, &key->loc, "'%s' (template %s) needs the parameter '%s'%s%s", key->str,
                       t->name, t->params[i].name, t->params[i].doc ? ": " : "",
                       t->params[i].doc ? t->params[i].doc : "");
}

static void expand_entry(struct expansion *x, const struct ynode *key, const struct ynode *entry,
                         const struct ynode *deps, struct diag *d)
{
    const struct ynode *type, *props, *own_deps;
    const struct restype *rt;
    struct subst_ops ops = {resolve, x};
    struct ynode *copy;
    struct stack_res *r;
    size_t before = d->nraised;
    char *name;

    if (entry->kind != YNODE_MAP) {
        diag_error(d, &entry->loc, "a template resource must be a map with type and properties");
        return;
    }
    for (size_t i = 0; i < entry->n; i++)
        if (strcmp(entry->keys[i]->str, "type") && strcmp(entry->keys[i]->str, "properties") &&
            strcmp(entry->keys[i]->str, "depends_on"))
            unknown_key(entry->keys[i], entry_keys, 3, "a template resource", d);
    type = ydoc_get(entry, "type");
    if (!type || type->kind != YNODE_SCALAR || !(rt = registry_lookup(type->str))) {
        diag_error(d, type ? &type->loc : &key->loc,
                   "template resources need a resource type (templates do not nest)");
        return;
    }
    props = ydoc_get(entry, "properties");
    copy = props && props->kind == YNODE_MAP ? subst_tree(&x->s->arena, props, &ops, d)
                                             : ydoc_new_map(&x->s->arena, &key->loc);
    if (props && props->kind != YNODE_MAP)
        diag_error(d, &props->loc, "properties must be a map, not %s", ydoc_kind_name(props));
    name = arena_printf(&x->s->arena, "%s.%s", x->instance, key->str);
    r = stack_add(x->s, name, rt, copy, &key->loc);
    /* Errors already said what is wrong; checking the half-expanded result would only repeat
     * them in other words. */
    r->broken = x->broken || d->nraised != before;
    r->instance = x->instance;
    r->instance_loc = *x->instance_loc;
    r->template_name = x->t->name;
    /* depends_on is kept as full logical names; stack.c links it with the references. */
    own_deps = ydoc_get(entry, "depends_on");
    if (own_deps || deps)
        r->depends_on = ydoc_new_seq(&x->s->arena, own_deps ? &own_deps->loc : &deps->loc);
    if (own_deps && own_deps->kind != YNODE_SEQ)
        diag_error(d, &own_deps->loc, "depends_on must be a list of resource names");
    for (size_t i = 0; own_deps && own_deps->kind == YNODE_SEQ && i < own_deps->n; i++) {
        const struct ynode *v = own_deps->vals[i];
        char *full;
        if (v->kind != YNODE_SCALAR) {
            diag_error(d, &v->loc, "depends_on lists resource names, not %s", ydoc_kind_name(v));
            continue;
        }
        full = arena_printf(&x->s->arena, "%s.%s", x->instance, v->str);
        ydoc_append(&x->s->arena, r->depends_on, NULL,
                    ydoc_new_scalar(&x->s->arena, full, strlen(full), 1, &v->loc));
    }
    for (size_t i = 0; deps && deps->kind == YNODE_SEQ && i < deps->n; i++)
        ydoc_append(&x->s->arena, r->depends_on, NULL, subst_copy(&x->s->arena, deps->vals[i]));
}

void template_expand(struct stack *s, const struct ynode *key, const struct ynode *entry,
                     const struct ynode *params, struct diag *d)
{
    const struct ynode *name = ydoc_get(entry, "template");
    struct expansion x = {s, NULL, key->str, &key->loc, NULL, 0, 0};
    const struct ynode *res;
    size_t before = d->nraised;

    if (!name || name->kind != YNODE_SCALAR) {
        diag_error(d, name ? &name->loc : &key->loc, "template must be a template's name");
        return;
    }
    if (!(x.t = template_get(s, name->str, &name->loc, d))) {
        /* References to its resources would only repeat this error in other words. */
        XGROW(s->broken_instances, s->abroken, s->nbroken + 1);
        s->broken_instances[s->nbroken++] = key->str;
        return;
    }
    res = ydoc_get(x.t->root, "resources");
    x.resources = res;
    bind_params(&x, key, params, d);
    x.broken = d->nraised != before;
    for (size_t i = 0; i < res->n; i++)
        expand_entry(&x, res->keys[i], res->vals[i], ydoc_get(entry, "depends_on"), d);
}
