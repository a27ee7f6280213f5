/*
 * engine: evaluates a parsed PromQL expression over a querier, with the
 * semantics of Prometheus 2.42's promql/engine.go: 5-minute lookback,
 * staleness markers, closed range windows [t-range, t], the @ modifier,
 * subqueries, a sample limit and a deadline. Range queries evaluate every
 * node over all steps at once (each series is read once per selector).
 */
#ifndef CAIRN_PROMQL_ENGINE_H
#define CAIRN_PROMQL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/strbuf.h"
#include "metrics/labels.h"
#include "promql/ast.h"
#include "promql/querier.h"

struct pq_opts {
    int64_t lookback_ms;      /* --query.lookback-delta, 5m */
    size_t max_samples;       /* --query.max-samples, 50000000 */
    double timeout_s;         /* --query.timeout, 2m; 0: none */
    int64_t subquery_step_ms; /* subqueries without a step: the evaluation interval, 1m */
};

void pq_opts_default(struct pq_opts *o);

/* Error classes of Prometheus's API (errorType). */
enum pq_errtype { PQ_ERR_NONE, PQ_ERR_BAD_DATA, PQ_ERR_EXECUTION, PQ_ERR_TIMEOUT, PQ_ERR_CANCELED };

struct pq_point {
    int64_t t;
    double v;
};

struct pq_series {
    struct labels labels;
    struct pq_point *p;
    size_t n;
};

/* A query result: PQ_SCALAR and PQ_STRING at one time, PQ_VECTOR (one point each), PQ_MATRIX. */
struct pq_result {
    enum pq_type type;
    struct pq_series *s;
    size_t n;
    double scalar;
    const char *str;
    int64_t t;
    size_t total_samples; /* samples loaded from storage, for stats */
};

/*
 * Evaluate expr (from promql_parse, in arena a) at [start, end] every step
 * ms (step 0: an instant query at start). The result is allocated in a.
 * Returns PQ_ERR_NONE, or the error class with Prometheus's message in err.
 */
enum pq_errtype promql_eval(struct arena *a, const struct querier *q, const struct pq_opts *o,
                            struct pq_node *expr, int64_t start, int64_t end, int64_t step,
                            struct pq_result *res, struct strbuf *err);

#endif
