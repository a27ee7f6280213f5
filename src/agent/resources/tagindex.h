/*
 * The tags of everything a stack owns in a region, from one paginated pass of the Resource
 * Groups Tagging API (GetResources filtered by cairn:stack=<stack>) instead of one tag call per
 * object. Every type whose service the API covers asks for the same request, so the sessions of
 * one live read (sharing a call cache, aws/callcache.h) send it once between them.
 *
 * Covered, and read this way: CloudWatch Logs groups, ELBv2 load balancers and target groups,
 * AWS Backup vaults, ECS task definitions. Not covered (the API, or the emulator's copy of it,
 * lists none of them): Cloud Map, IAM, backup plans and selections, EFS mount targets, Elastic
 * IPs, ELBv2 listeners and rules: their types read tags with their own services' calls.
 *
 * The answer lists only the stack's objects. The API is eventually consistent: an object tagged
 * seconds ago may be missing from it. So an object a read finds that the index lacks has its
 * tags read with its service's own call (the stack's objects are all in the index once it has
 * caught up, so a no-op plan makes none of those calls; another stack's objects cost what they
 * did before the index).
 */
#ifndef CAIRN_TAGINDEX_H
#define CAIRN_TAGINDEX_H

#include <jansson.h>

#include "core/diag.h"

struct session;

/* The IAM action the pass needs, for the read_actions of the types that use it. */
#define TAGINDEX_ACTION "tagging:GetResources"

/*
 * Every object of the region tagged cairn:stack=stack: *out gets {arn: {key: value}} (a new
 * object). 0, or -1 with the AWS error in d.
 */
int tagindex_read(struct session *s, const char *stack, json_t **out, struct diag *d);

/* The tags of arn in an index (borrowed; NULL when arn is not the stack's). A log group's ARN
 * as DescribeLogGroups gives it ends in ":*", which the tagging API leaves off: either finds it. */
const json_t *tagindex_get(const json_t *index, const char *arn);

#endif
