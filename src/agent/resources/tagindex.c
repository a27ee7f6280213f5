#include "agent/resources/tagindex.h"
#include "agent/resources/resutil.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

static int add_mapping(struct session *s, const json_t *m, void *arg, struct diag *d)
{
    const char *arn = json_string_value(json_object_get(m, "ResourceARN"));

    (void)s, (void)d;
    if (arn)
        json_object_set_new(arg, arn,
                            resutil_tags_from_list(json_object_get(m, "Tags"), "Key", "Value"));
    return 0;
}

int tagindex_read(struct session *s, const char *stack, json_t **out, struct diag *d)
{
    *out = json_object();
    /* The same body from every type, so that the call cache answers all but the first; only the
     * types read this way (a service alone stands for all its types), so that the pages hold
     * nothing else (the stack's tasks and network interfaces carry its tags too). */
    return dialect_list(s, "tagging", "GetResources",
                        json_pack("{s:[{s:s, s:[s]}], s:[sssss], s:i}", "TagFilters", "Key",
                                  RESUTIL_TAG_STACK, "Values", stack, "ResourceTypeFilters", "logs",
                                  "elasticloadbalancing:loadbalancer",
                                  "elasticloadbalancing:targetgroup", "backup",
                                  "ecs:task-definition", "ResourcesPerPage", 100),
                        "ResourceTagMappingList", add_mapping, *out, d);
}

const json_t *tagindex_get(const json_t *index, const char *arn)
{
    size_t n = arn ? strlen(arn) : 0;
    const json_t *t;
    char *bare;

    if (!arn)
        return NULL;
    if ((t = json_object_get(index, arn)) || n < 2 || strcmp(arn + n - 2, ":*") != 0)
        return t;
    bare = xstrndup(arn, n - 2);
    t = json_object_get(index, bare);
    free(bare);
    return t;
}
