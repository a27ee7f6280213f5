/*
 * `cairn render`: the stack with every template expanded and every
 * parameter substituted, as YAML (libyaml's emitter) or JSON (jansson).
 * References to other resources stay as ${...}: they are known after apply.
 * Sensitive attributes are printed as "(sensitive)".
 */
#ifndef CAIRN_RENDER_H
#define CAIRN_RENDER_H

#include <jansson.h>
#include <stdio.h>

#include "agent/stack.h"

#define RENDER_SENSITIVE "(sensitive)"

/* A properties map as JSON typed by its attribute table (integers, booleans, nested objects).
 * redact: sensitive values become RENDER_SENSITIVE. Caller decrefs. */
json_t *render_props(const struct attr *table, const struct ynode *props, int redact);
/* The expanded stack as a JSON value (typed by the attribute tables). Caller decrefs. */
json_t *render_json(const struct stack *s);
/* Write YAML to out. 0 or -1 (with d explaining the emitter's error). */
int render_yaml(const struct stack *s, FILE *out, struct diag *d);

#endif
