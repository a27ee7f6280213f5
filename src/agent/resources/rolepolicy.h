/*
 * An IAM role's inline policies ({name, document}) and attached managed policies (ARNs), as
 * iam.role reads, sets and removes them. Each returns 0, or -1 with d saying why.
 */
#ifndef CAIRN_ROLEPOLICY_H
#define CAIRN_ROLEPOLICY_H

#include "core/diag.h"

#include <jansson.h>

struct session;

/* The names of role's inline policies and the ARNs of its attached managed ones, appended to
 * inl and managed (ListRolePolicies, ListAttachedRolePolicies: every page). */
int rolepolicy_list(struct session *s, const char *role, json_t *inl, json_t *managed,
                    struct diag *d);

/* The role's inline policies with their documents (GetRolePolicy each) and its managed ones,
 * set on attrs as inline_policies and managed_policy_arns. */
int rolepolicy_get(struct session *s, const char *role, json_t *attrs, struct diag *d);

/* role's inline policies from have to exactly want: new and changed ones put first (as how,
 * dialect_send's, says), so that no permission the role keeps lapses; then the others
 * deleted. */
int rolepolicy_put_inline(struct session *s, const char *role, const json_t *have,
                          const json_t *want, unsigned how, struct diag *d);

/* role's managed policies from have to exactly want: attach the missing (as how says), then
 * detach the others. */
int rolepolicy_put_managed(struct session *s, const char *role, const json_t *have,
                           const json_t *want, unsigned how, struct diag *d);

/* Detach the managed policies and delete the inline ones; gone counts as done. */
int rolepolicy_remove(struct session *s, const char *role, const json_t *inl, const json_t *managed,
                      struct diag *d);

#endif
