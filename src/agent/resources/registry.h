/* Every resource type cairn knows, in one list. */
#ifndef CAIRN_REGISTRY_H
#define CAIRN_REGISTRY_H

#include <stddef.h>

#include "agent/restype.h"

extern const struct restype *const registry_types[]; /* NULL-terminated */

const struct restype *registry_lookup(const char *name);
size_t registry_count(void);
/* Up to max type names into names, for "did you mean"; returns how many. */
size_t registry_names(const char **names, size_t max);

#endif
