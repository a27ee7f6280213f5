#include "agent/resources/tagindex.h"
#include "agent/resources/resutil.h"
#include "aws/apicall.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

int tagindex_read(struct session *s, const char *stack, json_t **out, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    *out = json_object();
    apicall_init(&c, service_lookup("tagging"), "GetResources");
    /* The same body from every type, so that the call cache answers all but the first; only the
     * types read this way (a service alone stands for all its types), so that the pages hold
     * nothing else (the stack's tasks and network interfaces carry its tags too). */
    apicall_json(&c,
                 json_pack("{s:[{s:s, s:[s]}], s:[sssss], s:i}", "TagFilters", "Key",
                           RESUTIL_TAG_STACK, "Values", stack, "ResourceTypeFilters", "logs",
                           "elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup",
                           "backup", "ecs:task-definition", "ResourcesPerPage", 100));
    do {
        size_t i;
        json_t *m;
        if (session_call(s, &c, d) != CALL_OK)
            goto out;
        json_array_foreach(json_object_get(c.out, "ResourceTagMappingList"), i, m)
        {
            const char *arn = json_string_value(json_object_get(m, "ResourceARN"));
            if (arn)
                json_object_set_new(
                    *out, arn, resutil_tags_from_list(json_object_get(m, "Tags"), "Key", "Value"));
        }
    } while (apicall_next_page(&c, "PaginationToken", "PaginationToken"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
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
