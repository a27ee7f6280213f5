#include "agent/outputs.h"
#include "agent/resources/registry.h"

#include <stdio.h>
#include <string.h>

/* The live object that reference attribute attr of o names: of the type the table's ref_type
 * says, among the plan's objects that stay; NULL when none. */
static const struct live_obj *follow(const struct restype_refs *r, const struct live_obj *o,
                                     const char *attr)
{
    const struct plan *p = r->ctx;
    const struct attr *a = o ? restype_attr(o->type->attrs, attr) : NULL;
    const char *id = a ? json_string_value(json_object_get(o->attrs, attr)) : NULL;

    for (size_t i = 0; id && a->ref_type && i < p->n; i++) {
        const struct live_obj *l = p->v[i].live;
        if (l && p->v[i].kind != PLAN_DELETE && strcmp(l->type->name, a->ref_type) == 0 && l->id &&
            strcmp(l->id, id) == 0)
            return l;
    }
    return NULL;
}

/* Every type with an output hook, one heading each; the types in front (load balancers' rules)
 * before those behind them (Cloud Map names): the registry's dependency order, backwards. */
void outputs_print(const struct plan *p, FILE *out)
{
    const struct restype_refs refs = {follow, p};
    size_t ntypes = 0;

    while (registry_types[ntypes])
        ntypes++;
    for (size_t k = ntypes; k > 0; k--) {
        const struct restype *t = registry_types[k - 1];
        int said = 0;
        if (!t->ops || !t->ops->output)
            continue;
        for (size_t i = 0; i < p->n; i++) {
            const struct live_obj *o = p->v[i].live;
            if (!o || p->v[i].kind == PLAN_DELETE || o->type != t)
                continue;
            if (!said++)
                fprintf(out, "\n%s:\n", t->ops->output_heading);
            t->ops->output(o, &refs, out);
        }
    }
}
