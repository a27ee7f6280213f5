#include "agent/resources/registry.h"
#include "agent/resources/types.h"

#include <string.h>

#define REGISTRY_ENTRY(p) &p##_type,
const struct restype *const registry_types[] = {TYPES_LIST(REGISTRY_ENTRY) NULL};
#undef REGISTRY_ENTRY

const struct restype *registry_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (const struct restype *const *t = registry_types; *t; t++)
        if (strcmp((*t)->name, name) == 0)
            return *t;
    return NULL;
}

size_t registry_count(void)
{
    return sizeof(registry_types) / sizeof(registry_types[0]) - 1;
}

size_t registry_names(const char **names, size_t max)
{
    size_t n = 0;

    for (const struct restype *const *t = registry_types; *t && n < max; t++)
        names[n++] = (*t)->name;
    return n;
}
