/*
 * Templates: reusable YAML building blocks in templates/<name>.yaml with
 * typed parameters, expanded into low-level resources before anything else
 * looks at the stack. See docs/stack-format.md.
 */
#ifndef CAIRN_TEMPLATE_H
#define CAIRN_TEMPLATE_H

#include "agent/stack.h"

/* Expand the instance written as key: entry (a map with template, parameters, depends_on)
 * into resources named "<instance>.<local>", with params as its parameter values (a map, or
 * NULL). Errors go to d. */
void template_expand(struct stack *s, const struct ynode *key, const struct ynode *entry,
                     const struct ynode *params, struct diag *d);
/* Load (once) and check the template file; NULL when it is missing or broken. */
struct stack_template *template_get(struct stack *s, const char *name, const struct srcloc *loc,
                                    struct diag *d);

#endif
