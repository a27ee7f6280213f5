/*
 * funcs: PromQL's functions and aggregations as tables (name, argument
 * types, return type, variadic count, implementation), as in
 * promql/parser/functions.go and promql/functions.go of Prometheus 2.42.
 * Native-histogram functions (histogram_count, histogram_sum,
 * histogram_fraction) are listed so queries parse, and return nothing on
 * classic (float) series, as 2.42 does.
 */
#ifndef CAIRN_PROMQL_FUNCS_H
#define CAIRN_PROMQL_FUNCS_H

#include <stddef.h>
#include <stdint.h>

#include "promql/ast.h"

struct pq_eval;
struct pq_vec;
struct pq_call;

/* Instant-vector/scalar function: args evaluated at one step, result appended to out. */
typedef void (*pq_step_fn)(struct pq_call *c, struct pq_vec *out);
/*
 * Range-vector function over one series' window (samples t[0..n-1], v[...],
 * n >= 1) at step time ts; the scalar args are in c. Returns 1 and sets *out,
 * or 0 for no result.
 */
typedef int (*pq_range_fn)(struct pq_call *c, const int64_t *t, const double *v, size_t n,
                           double *out);

struct pq_func {
    const char *name;
    enum pq_type argt[5];
    int nargs;
    int variadic; /* 0: exactly nargs; >0: up to that many more; -1: any more */
    enum pq_type ret;
    pq_step_fn step;        /* functions of instant vectors and scalars */
    pq_range_fn range;      /* functions of a range vector */
    double (*math)(double); /* element-wise: drop the metric name, apply */
    int keep_name;          /* last_over_time keeps __name__ */
    /* A range function that reads only its window and the call's range, step time and reset
     * counts (no arena, no errors): its series can be computed on several threads (rangepar). */
    int pure;
};

const struct pq_func *pq_func_lookup(const char *name, size_t n);

/* The rows of the table by the file that implements them (rangefn.c, histfn.c, datefn.c;
 * funcs.c has the rest), each ended by a row without a name. */
extern const struct pq_func rangefn_funcs[], histfn_funcs[], datefn_funcs[];

#endif
