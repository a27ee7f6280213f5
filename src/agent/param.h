/*
 * Parameters of stacks and templates: the declarations (name, type,
 * default, description) and the check that a value fits its type.
 */
#ifndef CAIRN_PARAM_H
#define CAIRN_PARAM_H

#include "agent/stack.h"

/* Parse a "parameters:" map. The array goes into a. Errors (bad names, unknown keys, unknown
 * types, defaults of the wrong type) go to d; bad entries are left out. */
void param_parse_decls(struct arena *a, const struct ynode *map, struct stack_param **out,
                       size_t *n, struct diag *d);
/* 0 if v fits p's type (expressions are not checked: they are resolved later), else -1 with
 * an error at v. */
int param_check_value(const struct stack_param *p, const struct ynode *v, struct diag *d);
/* Check a scalar against a value type; errors name what and where. 0 or -1. */
int param_check_scalar(enum vtype t, long long min, long long max, const char *what,
                       const struct ynode *v, struct diag *d);
struct stack_param *param_find(struct stack_param *v, size_t n, const char *name);
/* Up to max parameter names into names, for "did you mean"; returns how many. */
size_t param_names(const struct stack_param *v, size_t n, const char **names, size_t max);

#endif
