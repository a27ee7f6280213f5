/*
 * Checks across the resources of a loaded stack (stackcheck.c): shared physical names,
 * subnets outside their VPC or overlapping, shared listener-rule priorities, tag lengths.
 */
#ifndef CAIRN_STACKCHECK_H
#define CAIRN_STACKCHECK_H

#include "agent/stack.h"

/* AWS's limits for every taggable service cairn uses (characters). */
#define STACKCHECK_TAG_KEY_MAX   128
#define STACKCHECK_TAG_VALUE_MAX 256

/* Every check; errors go to d. */
void stackcheck_run(struct stack *s, struct diag *d);
/* Tag keys and literal values of a tags map against AWS's limits. */
void stackcheck_tags(const struct ynode *tags, struct diag *d);

#endif
