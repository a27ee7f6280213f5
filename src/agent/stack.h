/*
 * The stack model: what a stack file becomes once loaded (stackload.h), its
 * templates expanded, every property checked against its resource type's
 * table, and every ${...} reference resolved into a dependency edge. What
 * comes out is what the engine sees: low-level resources only. All of it
 * lives in the stack's arena; the YAML trees are kept so every value still
 * knows its file:line:col. The loader, the template expander, the validator
 * and the graph build on this model; the model depends on none of them
 * (tools/check-structure).
 */
#ifndef CAIRN_STACK_H
#define CAIRN_STACK_H

#include <stddef.h>

#include "agent/restype.h"
#include "core/ydoc.h"
#include "core/arena.h"
#include "core/diag.h"

struct stack_param {
    const char *name;
    enum vtype type;
    const struct ynode *def;   /* default value, or NULL (then required) */
    const struct ynode *value; /* value in use: given, else the default */
    const char *doc;
    struct srcloc loc;
    int bad; /* its value failed the type check: reported once, then not used */
};

struct stack_res {
    const char *name;          /* logical: "vpc", "prometheus.service" */
    const char *physical_name; /* "<stack>-<logical>" or the ATTR_NAME property; NULL if unnamed */
    const struct restype *type;
    struct ynode *props;        /* properties map after template expansion (never NULL) */
    const char *instance;       /* template instance it came from, or NULL */
    const char *template_name;  /* that instance's template */
    struct srcloc loc;          /* the resource's key in the file it was written in */
    struct srcloc instance_loc; /* the instance's key in the stack file (template resources) */
    struct ynode *depends_on;   /* sequence of logical names, or NULL */
    int broken;                 /* its template expansion failed: kept for references only */
    int props_bad;              /* properties misspelled or not a map: claim nothing missing */
    struct stack_res **deps;    /* resources this one references or depends_on, no duplicates */
    size_t ndeps, adeps;
};

struct stack_template {
    const char *name;
    const struct ynode *root; /* NULL when the template could not be loaded */
    struct stack_param *params;
    size_t nparams;
};

struct stack {
    struct arena arena;
    struct ydoc *docs; /* the stack file first, then each template loaded */
    size_t ndocs, adocs;
    const char *file;
    const char *name;
    const char *region;       /* from the file or options; NULL when neither says */
    const struct ynode *tags; /* map or NULL */
    struct stack_param *params;
    size_t nparams;
    struct stack_res **res; /* in file order, template resources at their instance's place */
    size_t nres, ares;
    struct stack_template *templates; /* loaded once each */
    size_t ntemplates, atemplates;
    const char *template_dir;
    struct stack_res **order;  /* graph_order()'s result, once computed */
    int file_depth;            /* ${file.*} inside files: bounded */
    const char **drift_ignore; /* drift: ignore: patterns (in the arena) */
    size_t ndrift_ignore;
    const char **broken_instances; /* template instances whose template failed to load */
    size_t nbroken, abroken;
};

void stack_init(struct stack *s);
void stack_release(struct stack *s);

struct stack_res *stack_find(const struct stack *s, const char *name);
/* Up to max logical names into names, for "did you mean"; returns how many. */
size_t stack_names(const struct stack *s, const char **names, size_t max);

/* For template expansion: a new resource (name and strings already in s->arena). */
struct stack_res *stack_add(struct stack *s, const char *name, const struct restype *type,
                            struct ynode *props, const struct srcloc *loc);
/* For template expansion: load and parse another YAML file into the stack's documents. */
struct ydoc *stack_load_doc(struct stack *s, const char *path, struct diag *d);
/* The same from text (NULL: read the file at path). */
struct ydoc *stack_add_doc(struct stack *s, const char *path, const char *text, size_t len,
                           struct diag *d);

#endif
