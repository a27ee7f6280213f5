/*
 * What the ECS types (ecs.cluster, ecs.task_definition, ecs.service) share:
 * the conversion between cairn's snake_case attributes and ECS's camelCase
 * members driven by the attribute tables, and the stack's clusters, which both
 * the cluster read and the service read (services are listed per cluster) need.
 * Calls go through resutil_call, tags through resutil_retag ([{key, value}]).
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
 * DescribeClusters with TAGS and SETTINGS for names (names or ARNs, at most 100): fn on each
 * ACTIVE one tagged cairn:stack=stack (any ACTIVE one when stack is NULL). A non-zero return of
 * fn stops the walk with that value.
 */
int ecsutil_describe_clusters(struct session *s, const char *stack, json_t *names,
                              int (*fn)(const json_t *cluster, void *arg, struct diag *d),
                              void *arg, struct diag *d);

/*
 * Every ACTIVE cluster tagged cairn:stack=stack: ListClusters (paginated, 100 a page) and
 * DescribeClusters with TAGS and SETTINGS for each 100 of them. fn gets each cluster as the
 * API describes it; a non-zero return stops the walk with that value.
 */
int ecsutil_clusters(struct session *s, const char *stack,
                     int (*fn)(const json_t *cluster, void *arg, struct diag *d), void *arg,
                     struct diag *d);

#endif
