/*
 * What `up` prints once the stack is applied: the ways in. The load
 * balancer URLs (each listener rule's path patterns on its listener's load
 * balancer) and the Cloud Map names (each service's name in its namespace's
 * domain), read from the live objects the plan ends with.
 */
#ifndef CAIRN_OUTPUTS_H
#define CAIRN_OUTPUTS_H

#include <stdio.h>

#include "agent/plan.h"

/* Print the URLs and names; nothing when the stack has neither. */
void outputs_print(const struct plan *p, FILE *out);

#endif
