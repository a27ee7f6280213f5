/* Every resource type cairn knows, in one list. */
#ifndef CAIRN_REGISTRY_H
#define CAIRN_REGISTRY_H

#include <stddef.h>

#include "agent/restype.h"

extern const struct restype *const registry_types[]; /* NULL-terminated */

const struct restype *registry_lookup(const char *name);
size_t registry_count(void);

#endif
