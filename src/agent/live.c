#include "agent/live.h"
#include "agent/resources/registry.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

void live_set_init(struct live_set *set)
{
    memset(set, 0, sizeof(*set));
}

void live_set_release(struct live_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        free(set->v[i].id);
        free(set->v[i].cairn_id);
        json_decref(set->v[i].attrs);
    }
    free(set->v);
    live_set_init(set);
}

struct live_obj *live_set_add(struct live_set *set, const struct restype *t, const char *id,
                              const char *cairn_id, json_t *attrs)
{
    struct live_obj *o;

    XGROW(set->v, set->alloc, set->n + 1);
    o = &set->v[set->n++];
    o->type = t;
    o->id = id ? xstrdup(id) : NULL;
    o->cairn_id = cairn_id ? xstrdup(cairn_id) : NULL;
    o->attrs = attrs ? attrs : json_object();
    return o;
}

struct live_obj *live_find(const struct live_set *set, const struct restype *t,
                           const char *cairn_id)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->v[i].type == t && set->v[i].cairn_id && strcmp(set->v[i].cairn_id, cairn_id) == 0)
            return &set->v[i];
    return NULL;
}

struct live_obj *live_find_id(const struct live_set *set, const struct restype *t, const char *id)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->v[i].type == t && set->v[i].id && strcmp(set->v[i].id, id) == 0)
            return &set->v[i];
    return NULL;
}

int live_read_all(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    for (const struct restype *const *t = registry_types; *t; t++)
        if ((*t)->ops && (*t)->ops->read && (*t)->ops->read(s, stack, set, d) < 0)
            return -1;
    return 0;
}
