/*
 * ast: the names types have in error messages, and the release of a tree (the regexes its
 * matchers own). The static type of an expression is the parser's (parse.c), which knows the
 * function table.
 */
#include <stddef.h>

#include "promql/ast.h"

/* By enum pq_type: as parse errors name them, and as results and raw errors do. */
static const char *const type_names[] = {"none", "scalar", "instant vector", "range vector",
                                         "string"};
static const char *const raw_type_names[] = {"none", "scalar", "vector", "matrix", "string"};

const char *pq_type_name(enum pq_type t)
{
    return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "none";
}

const char *pq_type_raw_name(enum pq_type t)
{
    return (unsigned)t < sizeof(raw_type_names) / sizeof(raw_type_names[0]) ? raw_type_names[t]
                                                                            : "none";
}

void pq_node_release(struct pq_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nms; i++)
        matcher_release(&n->ms[i]);
    n->nms = 0;
    pq_node_release(n->expr);
    pq_node_release(n->lhs);
    pq_node_release(n->rhs);
    pq_node_release(n->param);
    for (size_t i = 0; i < n->nargs; i++)
        pq_node_release(n->args[i]);
}
