/*
 * The executor: carries out a plan with the resource types' AWS calls.
 * Removals first (deletes and the old half of replacements, dependants
 * before what they depend on), then creates and updates in dependency order,
 * each with its references resolved against what now exists. When one
 * resource fails, what depends on it is skipped and everything else goes on;
 * running again converges, since creates carry idempotency tokens and live
 * state is re-read.
 */
#ifndef CAIRN_APPLY_H
#define CAIRN_APPLY_H

#include <stdio.h>

#include "agent/plan.h"

struct session;

struct apply_result {
    size_t done[PLAN__KINDS];
    size_t failed;
    size_t skipped;
};

/* progress: one line per resource as it finishes (NULL: quiet). 0 when every action succeeded,
 * -1 when some failed (each failure is in d with the AWS error). */
int apply_plan(struct session *s, struct stack *st, struct plan *p, FILE *progress,
               struct apply_result *r, struct diag *d);

#endif
