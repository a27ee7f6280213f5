/*
 * What the ECS types (ecs.cluster, ecs.task_definition, ecs.service) share:
 * the conversion between cairn's snake_case attributes and ECS's camelCase
 * members driven by the attribute tables, and the generic read of a cluster or
 * a service from its row (struct ecsutil_kind; services are listed per cluster).
 * Calls go through dialect_call, tags through resutil_retag ([{key, value}]).
 */
#ifndef CAIRN_ECSUTIL_H
#define CAIRN_ECSUTIL_H

#include <jansson.h>

#include "agent/live.h"
#include "agent/resources/resutil.h"
#include "agent/restype.h"
#include "core/diag.h"

struct session;

/* The API member of an attribute: its name in camelCase (memory_reservation ->
 * memoryReservation), but for the few ECS spells otherwise (enableECSManagedTags). */
void ecsutil_member(const char *attr, char *out, size_t n);

/*
 * An object of attributes named and typed as table says, as the API takes it: members in
 * camelCase, integers and booleans as JSON numbers and booleans even when the stack wrote
 * them as text, maps' values as text, the environment map as [{name, value}] sorted by name.
 * Computed attributes, tags and values left out, null or empty are not sent. New object.
 */
json_t *ecsutil_to_api(const struct attr *table, const json_t *obj);

/*
 * The reverse: the members of an API object that table has, as attributes (integers that
 * the API gives as text, such as a task's cpu, become numbers). Members the table does not
 * know (volumesFrom, systemControls...) are left out, and so are computed attributes and tags.
 * New object.
 */
json_t *ecsutil_from_api(const struct attr *table, const json_t *api);

/*
 * An ECS type as data, for the generic read (ecsutil_read_kind; the row is its ops' kind): its
 * List and Describe calls, how many names one Describe takes, and the attributes of an item.
 */
struct ecsutil_kind {
    const char *list, *listed;  /* "ListServices" and its answer's "serviceArns" */
    const char *describe;       /* "DescribeServices", whose request and answer name the list */
    const char *names;          /* "services" */
    const char *const *include; /* what the Describe includes: {"TAGS", NULL} */
    size_t batch;               /* how many names one Describe takes: 10 */
    const char *arn;            /* the item's ARN member, its id: "serviceArn" */
    int in_clusters;            /* listed per cluster of the stack (services) */
    json_t *(*parse)(const json_t *item); /* the attributes of an item but its tags */
};

/* k's Describe of names (at most k->batch; in cluster, NULL for none): the answer's list, a
 * new reference, or NULL with d saying why. */
json_t *ecsutil_describe(struct session *s, const struct ecsutil_kind *k, const char *cluster,
                         json_t *names, struct diag *d);

/*
 * Every object of k (in cluster, NULL for none) that is ACTIVE and tagged cairn:stack=stack:
 * k's List (paginated, 100 a page) and its Describe for each k->batch of them. fn gets each as
 * the API describes it; a non-zero return stops the walk with that value.
 */
int ecsutil_each(struct session *s, const struct ecsutil_kind *k, const char *cluster,
                 const char *stack, int (*fn)(const json_t *item, void *arg, struct diag *d),
                 void *arg, struct diag *d);

/* Every object of t's kind (t->ops->kind) of the stack, into set with its cairn:id tag as
 * cairn_id: services cluster by cluster of the stack's clusters (ecs.cluster's kind). */
int ecsutil_read_kind(struct session *s, const struct restype *t, const char *stack,
                      struct live_set *set, struct diag *d);

#endif
