/*
 * What AWS Backup's types (vault, plan, selection) share: tags by ARN
 * (ListTags, TagResource, UntagResource), the stack's backup plans (which
 * the plan and its untaggable selections are both read through), listings
 * page by page, and creates with their CreatorRequestId.
 */
#ifndef CAIRN_BACKUPUTIL_H
#define CAIRN_BACKUPUTIL_H

#include <jansson.h>

#include "agent/live.h"
#include "agent/restype.h"
#include "agent/resources/resutil.h"
#include "core/diag.h"

struct session;
struct apicall;

/* Start a call of operation op; apicall_rest() then gives its method and path (labels escaped
 * with apicall_escape(), which needs the call started). */
void backuputil_init(struct apicall *c, const char *op);

/* The tags of the resource named arn (ListTags, paginated), as a new object of strings. */
int backuputil_tags(struct session *s, const char *arn, json_t **tags, struct diag *d);

/* The setter of "tags" (row unused, may be NULL): live's tags (found by its "arn") to those c
 * and desired want, with TagResource and UntagResource; cairn:stack and cairn:id are always
 * kept. live's "tags" follow. */
int backuputil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                           struct live_obj *live, const struct resutil_setter *row, struct diag *d);

/*
 * Whether an item of ListBackupVaults or ListBackupPlans can be cairn's: cairn creates every
 * vault and plan with a CreatorRequestId, so one without (made in the console, or by a tool
 * that sends none) is not asked for its tags.
 */
int backuputil_may_be_ours(const json_t *item);

/* What backuputil_stack_plans() hands each plan of the stack: its ListBackupPlans item and
 * its tags. Return -1 to stop (d says why). */
typedef int (*backuputil_plan_fn)(struct session *s, const json_t *item, const json_t *tags,
                                  void *arg, struct diag *d);

/* Every backup plan tagged cairn:stack=stack: one ListBackupPlans (paginated) and one
 * ListTags per plan that may be cairn's. */
int backuputil_stack_plans(struct session *s, const char *stack, backuputil_plan_fn fn, void *arg,
                           struct diag *d);

/*
 * Send a create (call started, its path given) with body (taken over) and c's token as its
 * CreatorRequestId. 0 made; 1 when AWS answers that it exists already (a create sent again)
 * and c says whose it would be, d untouched; -1 with the error in d.
 */
int backuputil_create(struct session *s, struct apicall *call, const struct restype_call *c,
                      json_t *body, struct diag *d);

/* The setters (with resutil_update) of a type whose tags alone change in place. */
extern const struct resutil_setter backuputil_tags_only[];

#endif
