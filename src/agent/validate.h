/*
 * Checking a resource's properties against its type's attribute table, and
 * linking its ${...} references to the resources they name. Generic: it
 * only reads the tables in resources/.
 */
#ifndef CAIRN_VALIDATE_H
#define CAIRN_VALIDATE_H

#include "agent/stack.h"

/* Check r->props against r->type and record r's dependencies. Errors go to d. */
void validate_resource(struct stack *s, struct stack_res *r, struct diag *d);

#endif
