/*
 * The dependency graph of a stack: edges from references and depends_on,
 * cycle detection that names the whole cycle, the order to create things
 * in, and DOT output for `cairn graph`.
 */
#ifndef CAIRN_GRAPH_H
#define CAIRN_GRAPH_H

#include <stdio.h>

#include "agent/stack.h"

/* r depends on dep (ignored when already recorded or dep == r). */
void graph_add_dep(struct stack_res *r, struct stack_res *dep);
/* Report every cycle once, as "a -> b -> c -> a", at the first resource's location. 0 or -1. */
int graph_check_cycles(struct stack *s, struct diag *d);
/* Dependencies first; among ready resources, file order. Array in s->arena, computed once
 * (kept in s->order). Only valid after a successful stack_load (the graph is acyclic). */
struct stack_res **graph_order(struct stack *s);
/* Graphviz DOT: one node per resource (label: logical name and type), one cluster per template
 * instance, an edge from each resource to what it depends on. */
void graph_dot(struct stack *s, FILE *out);

#endif
