#include "agent/stackload.h"
#include "agent/graph.h"
#include "agent/interp.h"
#include "agent/param.h"
#include "agent/resources/registry.h"
#include "agent/stackcheck.h"
#include "agent/subst.h"
#include "agent/template.h"
#include "agent/validate.h"
#include "aws/region.h"
#include "core/suggest.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACK_NAME_MAX 24

static const char *const top_keys[] = {"stack",      "description", "region", "tags",
                                       "parameters", "resources",   "drift"};
static const char *const entry_keys[] = {"type", "properties", "template", "parameters",
                                         "depends_on"};
static const char *const reserved[] = {"param", "stack", "instance", "file"};

static const char *unknown_key(const struct ynode *k, const char *const *keys, size_t n,
                               const char *in, struct diag *d)
{
    const char *hint = suggest_closest(k->str, keys, n);

    if (hint)
        diag_error(d, &k->loc, "unknown key '%s' %s; did you mean '%s'?", k->str, in, hint);
    else
        diag_error(d, &k->loc, "unknown key '%s' %s", k->str, in);
    return hint;
}

/* The key node of name in map m (errors about a whole value point at its key). */
static const struct ynode *key_of(const struct ynode *m, const char *name)
{
    for (size_t i = 0; m && m->kind == YNODE_MAP && i < m->n; i++)
        if (strcmp(m->keys[i]->str, name) == 0)
            return m->keys[i];
    return NULL;
}

static const char *scalar(const struct ynode *n, const char *what, struct diag *d)
{
    if (!n)
        return NULL;
    if (n->kind != YNODE_SCALAR) {
        diag_error(d, &n->loc, "%s must be a string, not %s", what, ydoc_kind_name(n));
        return NULL;
    }
    return n->str;
}

/* drift: {ignore: [pattern, ...]}: what `cairn drift` leaves alone, for every run. */
static void load_drift(struct stack *s, const struct ynode *drift, struct diag *d)
{
    static const char *const keys[] = {"ignore"};
    const struct ynode *ignore;

    if (!drift)
        return;
    if (drift->kind != YNODE_MAP) {
        diag_error(d, &drift->loc, "drift must be a map (ignore: [...]), not %s",
                   ydoc_kind_name(drift));
        return;
    }
    for (size_t i = 0; i < drift->n; i++)
        if (strcmp(drift->keys[i]->str, "ignore") != 0)
            unknown_key(drift->keys[i], keys, 1, "under drift", d);
    if (!(ignore = ydoc_get(drift, "ignore")))
        return;
    if (ignore->kind != YNODE_SEQ) {
        diag_error(d, &ignore->loc,
                   "drift.ignore must be a list of patterns such as backend.service.desired_count, "
                   "not %s",
                   ydoc_kind_name(ignore));
        return;
    }
    s->drift_ignore = arena_alloc(&s->arena, (ignore->n + 1) * sizeof(*s->drift_ignore));
    for (size_t i = 0; i < ignore->n; i++) {
        if (ignore->vals[i]->kind != YNODE_SCALAR || !*ignore->vals[i]->str) {
            diag_error(d, &ignore->vals[i]->loc,
                       "a drift.ignore pattern must be a non-empty string");
            continue;
        }
        s->drift_ignore[s->ndrift_ignore++] = ignore->vals[i]->str;
    }
}

static void load_header(struct stack *s, const struct ynode *root, const struct stack_options *o,
                        struct diag *d)
{
    const struct ynode *name = ydoc_get(root, "stack"), *tags = ydoc_get(root, "tags");
    const char *region;
    char *env_region = NULL, *source = NULL;
    struct diag quiet;

    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i]->str;
        size_t j;
        for (j = 0; j < sizeof(top_keys) / sizeof(top_keys[0]); j++)
            if (strcmp(k, top_keys[j]) == 0)
                break;
        if (j == sizeof(top_keys) / sizeof(top_keys[0]))
            unknown_key(root->keys[i], top_keys, j, "at the top of a stack file", d);
    }
    if (!name) {
        diag_error(d, &root->loc, "a stack file needs 'stack: <name>'");
    } else if ((s->name = scalar(name, "stack", d))) {
        const char *p = s->name;
        int ok = *p >= 'a' && *p <= 'z' && strlen(p) <= STACK_NAME_MAX;
        for (; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
        if (!ok)
            diag_error(d, &name->loc,
                       "stack name '%s' must start with a lowercase letter, hold only lowercase "
                       "letters, digits and '-', and be at most %d characters",
                       s->name, STACK_NAME_MAX);
    }
    region = scalar(ydoc_get(root, "region"), "region", d);
    if (region && !region_valid(region))
        diag_error(d, &ydoc_get(root, "region")->loc, "'%s' is not a region name", region);
    /* The file's region, unless --region says otherwise; else the environment's, quietly. */
    if (o && o->region) {
        region = o->region;
    } else if (!region) {
        diag_init(&quiet);
        if (region_resolve(NULL, NULL, &env_region, &source, &quiet) == 0)
            region = arena_strdup(&s->arena, env_region);
        diag_release(&quiet);
        free(env_region);
        free(source);
    }
    s->region = region ? arena_strdup(&s->arena, region) : NULL;
    if (tags && tags->kind != YNODE_MAP) {
        diag_error(d, &tags->loc, "tags must be a map of key to value, not %s",
                   ydoc_kind_name(tags));
    } else if (tags) {
        for (size_t i = 0; i < tags->n; i++) {
            const char *k = tags->keys[i]->str;
            if (strncmp(k, "aws:", 4) == 0 || strncmp(k, "cairn:", 6) == 0)
                diag_error(d, &tags->keys[i]->loc, "tag keys starting with '%.*s' are reserved",
                           (int)(strchr(k, ':') - k + 1), k);
            if (tags->vals[i]->kind != YNODE_SCALAR)
                diag_error(d, &tags->vals[i]->loc, "tag '%s' must have a string value", k);
        }
        s->tags = tags;
    }
    load_drift(s, ydoc_get(root, "drift"), d);
}

/* --param name=value overrides, checked against the declarations. */
static void bind_cli_params(struct stack *s, const struct stack_options *o, struct diag *d)
{
    for (const char *const *p = o && o->params ? o->params : NULL; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        struct stack_param *sp;
        char *name;
        if (!eq) {
            diag_error(d, NULL, "--param '%s' must be name=value", *p);
            continue;
        }
        name = arena_strndup(&s->arena, *p, (size_t)(eq - *p));
        if (!(sp = param_find(s->params, s->nparams, name))) {
            diag_error(d, NULL, "--param %s: the stack has no parameter '%s'", *p, name);
            continue;
        }
        sp->value = ydoc_new_scalar(&s->arena, eq + 1, strlen(eq + 1), 0,
                                    &(struct srcloc){"--param", 0, 0});
        if (interp_has_expr(eq + 1)) {
            diag_error(d, NULL,
                       "--param %s: a value is used as written; ${...} is not resolved "
                       "in it",
                       *p);
            sp->bad = 1;
            continue;
        }
        sp->bad = param_check_value(sp, sp->value, d) < 0;
    }
    for (size_t i = 0; i < s->nparams; i++)
        if (!s->params[i].value)
            diag_error(d, &s->params[i].loc,
                       "parameter '%s' has no default and no value (pass --param %s=VALUE)",
                       s->params[i].name, s->params[i].name);
}

static void load_entry(struct stack *s, const struct ynode *key, const struct ynode *entry,
                       struct diag *d)
{
    const struct ynode *type, *tmpl, *props, *deps;
    const struct restype *rt;
    struct stack_res *r;
    int props_bad = 0;

    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(key->str, reserved[i]) == 0) {
            diag_error(d, &key->loc, "'%s' is reserved (it starts ${%s.*}); choose another name",
                       key->str, key->str);
            return;
        }
    if (!interp_valid_name(key->str)) {
        diag_error(d, &key->loc,
                   "resource name '%s' must start with a lowercase letter and hold only lowercase "
                   "letters, digits and '_'",
                   key->str);
        return;
    }
    if (entry->kind != YNODE_MAP) {
        diag_error(d, &entry->loc, "resource '%s' must be a map with type and properties, not %s",
                   key->str, ydoc_kind_name(entry));
        return;
    }
    for (size_t i = 0; i < entry->n; i++) {
        const char *k = entry->keys[i]->str;
        size_t j;
        for (j = 0; j < sizeof(entry_keys) / sizeof(entry_keys[0]); j++)
            if (strcmp(k, entry_keys[j]) == 0)
                break;
        if (j == sizeof(entry_keys) / sizeof(entry_keys[0])) {
            const char *hint = unknown_key(entry->keys[i], entry_keys, j, "in a resource", d);
            if (hint && strcmp(hint, "properties") == 0)
                props_bad = 1;
        }
    }
    type = ydoc_get(entry, "type");
    tmpl = ydoc_get(entry, "template");
    deps = ydoc_get(entry, "depends_on");
    if (deps && deps->kind != YNODE_SEQ) {
        diag_error(d, &deps->loc, "depends_on must be a list of resource names");
        deps = NULL;
    }
    if (type && tmpl) {
        diag_error(d, &tmpl->loc,
                   "resource '%s' has both type and template; it is one or the other", key->str);
        return;
    }
    if (tmpl) {
        const struct ynode *params = ydoc_get(entry, "parameters");
        if (ydoc_get(entry, "properties")) {
            diag_error(d, &key_of(entry, "properties")->loc,
                       "a template instance takes parameters, not properties");
            /* Most likely meant as its parameters: read them so, not as missing ones. */
            if (!params)
                params = ydoc_get(entry, "properties");
        }
        template_expand(s, key, entry, params, d);
        return;
    }
    if (!type) {
        diag_error(d, &key->loc, "resource '%s' needs a type (such as ec2.vpc) or a template",
                   key->str);
        return;
    }
    if (!scalar(type, "type", d))
        return;
    if (!(rt = registry_lookup(type->str))) {
        const char *names[128];
        char tail[160];
        diag_error(d, &type->loc, "unknown resource type '%s'%s", type->str,
                   suggest_tail(type->str, names, registry_names(names, 128),
                                " (cairn types lists them)", tail, sizeof(tail)));
        return;
    }
    if (ydoc_get(entry, "parameters"))
        diag_error(d, &ydoc_get(entry, "parameters")->loc,
                   "a resource takes properties, not parameters (those are for templates)");
    props = ydoc_get(entry, "properties");
    if (props && props->kind != YNODE_MAP) {
        diag_error(d, &props->loc, "properties must be a map, not %s", ydoc_kind_name(props));
        props = NULL;
        props_bad = 1;
    }
    r = stack_add(s, arena_strdup(&s->arena, key->str), rt,
                  props ? (struct ynode *)props : ydoc_new_map(&s->arena, &key->loc), &key->loc);
    r->depends_on = (struct ynode *)deps;
    r->props_bad = props_bad;
}

/* The stack pass: ${param.*} and ${stack.*}; resource references are kept for the engine. */
static enum subst_action resolve(void *ctx, const char *expr, const struct srcloc *loc,
                                 const struct ynode **out, struct diag *d)
{
    struct stack *s = ctx;
    size_t len = strcspn(expr, ".");
    const char *rest = expr[len] ? expr + len + 1 : "";

    if (len == 5 && strncmp(expr, "param", 5) == 0) {
        struct stack_param *p = param_find(s->params, s->nparams, rest);
        const char *names[64];
        char tail[160];
        if (p && p->value && !p->bad) {
            *out = p->value;
            return SUBST_REPLACE;
        }
        if (p)
            return SUBST_ERROR; /* reported at its declaration */
        diag_error(d, loc, "the stack has no parameter '%s'%s", rest,
                   suggest_tail(rest, names, param_names(s->params, s->nparams, names, 64), "",
                                tail, sizeof(tail)));
        return SUBST_ERROR;
    }
    if (len == 5 && strncmp(expr, "stack", 5) == 0) {
        const char *v = strcmp(rest, "name") == 0     ? s->name
                        : strcmp(rest, "region") == 0 ? s->region
                                                      : NULL;
        if (strcmp(rest, "name") && strcmp(rest, "region")) {
            diag_error(d, loc, "${%s}: a stack has ${stack.name} and ${stack.region}", expr);
            return SUBST_ERROR;
        }
        if (!v) {
            diag_error(d, loc,
                       "${stack.region} is used but the region is unknown: set 'region:' in the "
                       "file, pass --region, or set AWS_REGION");
            return SUBST_ERROR;
        }
        *out = ydoc_new_scalar(&s->arena, v, strlen(v), 1, loc);
        return SUBST_REPLACE;
    }
    if (len == 8 && strncmp(expr, "instance", 8) == 0) {
        diag_error(d, loc, "${instance.name} only means something inside a template");
        return SUBST_ERROR;
    }
    if (len == 4 && strncmp(expr, "file", 4) == 0) {
        struct subst_ops ops = {resolve, s};
        s->file_depth++;
        *out = subst_file(&s->arena, s->template_dir, rest, loc, &ops, s->file_depth, d);
        s->file_depth--;
        return *out ? SUBST_REPLACE : SUBST_ERROR;
    }
    return SUBST_KEEP;
}

static void link_depends_on(struct stack *s, struct stack_res *r, struct diag *d)
{
    for (size_t i = 0; r->depends_on && i < r->depends_on->n; i++) {
        const struct ynode *v = r->depends_on->vals[i];
        struct stack_res *t;
        if (v->kind != YNODE_SCALAR) {
            diag_error(d, &v->loc, "depends_on lists resource names, not %s", ydoc_kind_name(v));
            continue;
        }
        if (!(t = stack_find(s, v->str))) {
            /* An instance's name stands for all its resources. */
            size_t len = strlen(v->str), found = 0;
            for (size_t j = 0; j < s->nres; j++) {
                if (strncmp(s->res[j]->name, v->str, len) == 0 && s->res[j]->name[len] == '.') {
                    graph_add_dep(r, s->res[j]);
                    found++;
                }
            }
            if (!found) {
                const char *names[512];
                char tail[160];
                diag_error(d, &v->loc, "depends_on: '%s' is not a resource of this stack%s", v->str,
                           suggest_tail(v->str, names, stack_names(s, names, 512), "", tail,
                                        sizeof(tail)));
            }
            continue;
        }
        graph_add_dep(r, t);
    }
}

static void set_physical_name(struct stack *s, struct stack_res *r, struct diag *d)
{
    const struct attr *na = restype_name_attr(r->type);
    const struct ynode *v;
    char *p;
    int given = 0;

    if (!na || !s->name)
        return;
    if ((v = ydoc_get(r->props, na->name)) && v->kind == YNODE_SCALAR) {
        r->physical_name = v->str;
        given = 1;
        if (strstr(v->str, "${"))
            return; /* known after apply */
    } else {
        r->physical_name = p = arena_printf(&s->arena, "%s-%s", s->name, r->name);
        for (; *p; p++)
            if (*p == '.' || *p == '_')
                *p = '-';
    }
    if (!r->type->name_max || strlen(r->physical_name) <= r->type->name_max)
        return;
    /* Point where the user can change it: the instance for a template's name, the value for a
     * name written out, the resource for a derived one. */
    if (r->instance)
        diag_error(d, &r->instance_loc,
                   "the name '%s' of %s is longer than the %u characters %s allows",
                   r->physical_name, r->name, r->type->name_max, r->type->name);
    else if (given)
        diag_error(d, &v->loc, "the name '%s' is longer than the %u characters %s allows",
                   r->physical_name, r->type->name_max, r->type->name);
    else
        diag_error(d, &r->loc,
                   "the name '%s' is longer than the %u characters %s allows; set '%s' to a "
                   "shorter one",
                   r->physical_name, r->type->name_max, r->type->name, na->name);
}

/*
 * References to values the file already fixes (a literal property, a physical name) are known
 * before apply: fill them in, so render shows them and the planner compares real values. The
 * dependency edge stays. Resources go in dependency order, so chains resolve in one pass.
 */
static enum subst_action resolve_known(void *ctx, const char *expr, const struct srcloc *loc,
                                       const struct ynode **out, struct diag *d)
{
    struct stack *s = ctx;
    char name[256];
    const char *dot = strrchr(expr, '.');
    const struct stack_res *t;
    const struct attr *a;
    const struct ynode *v;

    if (!dot || (size_t)(dot - expr) >= sizeof(name))
        return SUBST_KEEP;
    snprintf(name, sizeof(name), "%.*s", (int)(dot - expr), expr);
    if (!(t = stack_find(s, name)) || !(a = restype_attr(t->type->attrs, dot + 1)) ||
        (a->flags & (ATTR_COMPUTED | ATTR_SENSITIVE)))
        return SUBST_KEEP;
    v = ydoc_get(t->props, a->name);
    if (v && v->kind == YNODE_SCALAR && !strstr(v->str, "${")) {
        *out = v;
        return SUBST_REPLACE;
    }
    if (!v && (a->flags & ATTR_NAME) && t->physical_name) {
        *out = ydoc_new_scalar(&s->arena, t->physical_name, strlen(t->physical_name), 1, loc);
        return SUBST_REPLACE;
    }
    return SUBST_KEEP;
}

static void fill_known(struct stack *s, struct diag *d)
{
    struct subst_ops ops = {resolve_known, s};
    struct stack_res **order = graph_order(s);

    for (size_t i = 0; i < s->nres; i++)
        order[i]->props = subst_tree(&s->arena, order[i]->props, &ops, d);
}

static int load(struct stack *s, const char *path, const char *text, size_t len,
                const struct stack_options *o, struct diag *d)
{
    const struct ynode *root, *res;
    struct subst_ops ops = {resolve, s};
    struct ydoc *y;
    size_t before = d->nraised;

    s->file = arena_strdup(&s->arena, path);
    s->template_dir = o && o->template_dir ? arena_strdup(&s->arena, o->template_dir) : NULL;
    if (!s->template_dir && getenv("CAIRN_TEMPLATE_DIR"))
        s->template_dir = arena_strdup(&s->arena, getenv("CAIRN_TEMPLATE_DIR"));
    if (!s->template_dir) {
        /* stacks/x.yaml -> templates/ beside stacks/; x.yaml -> ./templates */
        const char *slash = strrchr(path, '/');
        s->template_dir =
            slash ? arena_printf(&s->arena, "%.*s/../templates", (int)(slash - path), path)
                  : "templates";
    }
    if (!(y = stack_add_doc(s, path, text, len, d)))
        return -1;
    root = y->root;
    if (!root || root->kind != YNODE_MAP) {
        diag_error(d, root ? &root->loc : &(struct srcloc){path, 1, 1},
                   "a stack file is a map with 'stack:' and 'resources:'");
        return -1;
    }
    load_header(s, root, o, d);
    param_parse_decls(&s->arena, ydoc_get(root, "parameters"), &s->params, &s->nparams, d);
    for (size_t i = 0; i < s->nparams; i++) {
        const struct ynode *def = s->params[i].def;
        if (def && def->kind == YNODE_SCALAR && interp_has_expr(def->str) && !s->params[i].bad) {
            diag_error(d, &def->loc,
                       "the default of parameter '%s' is used as written; ${...} is not resolved "
                       "in it (refer to the resource where the parameter is used)",
                       s->params[i].name);
            s->params[i].bad = 1;
        }
    }
    bind_cli_params(s, o, d);
    res = ydoc_get(root, "resources");
    if (!res || res->kind != YNODE_MAP || res->n == 0) {
        diag_error(d, res ? &res->loc : &root->loc, "a stack needs a map of resources");
        return -1;
    }
    for (size_t i = 0; i < res->n; i++)
        load_entry(s, res->keys[i], res->vals[i], d);
    for (size_t i = 0; i < s->nres; i++) {
        struct stack_res *r = s->res[i];
        if (!r->broken) {
            size_t errors = d->nraised;
            r->props = subst_tree(&s->arena, r->props, &ops, d);
            /* Unresolved parameters were reported; do not report them again as references. */
            if (d->nraised == errors)
                validate_resource(s, r, d);
        }
        link_depends_on(s, r, d);
        set_physical_name(s, r, d);
    }
    stackcheck_run(s, d);
    /* Cycles are checked even after other errors: bad references add no edges, so a cycle
     * found is a real one, and it is worth knowing in the same run. */
    if (graph_check_cycles(s, d) == 0 && d->nraised == before)
        fill_known(s, d);
    return d->nraised == before ? 0 : -1;
}

int stack_load(struct stack *s, const char *path, const struct stack_options *o, struct diag *d)
{
    return load(s, path, NULL, 0, o, d);
}

int stack_load_text(struct stack *s, const char *name, const char *text, size_t len,
                    const struct stack_options *o, struct diag *d)
{
    return load(s, name, text, len, o, d);
}
