/*
 * The stack loader: a stack file read, its header and parameters checked,
 * templates expanded (template.h), ${...} resolved (subst.h), every resource
 * validated against its type's table (validate.h), cross-resource checks
 * (stackcheck.h) and the dependency graph checked for cycles (graph.h), into
 * the model of stack.h.
 */
#ifndef CAIRN_STACKLOAD_H
#define CAIRN_STACKLOAD_H

#include <stddef.h>

#include "agent/stack.h"
#include "core/diag.h"

struct stack_options {
    const char *template_dir;  /* NULL: "templates" beside the stack file's stacks/ folder, or
                                  $CAIRN_TEMPLATE_DIR */
    const char *region;        /* --region overrides the file's region */
    const char *const *params; /* "name=value" strings from --param, NULL-terminated; may be NULL */
};

/* Load, expand, validate and link. Returns 0, or -1 when d holds errors (all of them, up to
 * d's cap). Makes no network call. */
int stack_load(struct stack *s, const char *path, const struct stack_options *opts, struct diag *d);

/* The same from text in memory (tests, the fuzzer); name is used in locations. */
int stack_load_text(struct stack *s, const char *name, const char *text, size_t len,
                    const struct stack_options *o, struct diag *d);

#endif
