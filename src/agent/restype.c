#include "agent/restype.h"

#include <string.h>

const struct attr *restype_attr(const struct attr *table, const char *name)
{
    if (!table || !name)
        return NULL;
    for (const struct attr *a = table; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

const struct attr *restype_name_attr(const struct restype *t)
{
    for (const struct attr *a = t->attrs; a->name; a++)
        if (a->flags & ATTR_NAME)
            return a;
    return NULL;
}
