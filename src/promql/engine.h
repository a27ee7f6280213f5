/*
 * engine: evaluates a parsed PromQL expression over a querier, with the
 * semantics of Prometheus 2.42's promql/engine.go: 5-minute lookback,
 * staleness markers, closed range windows [t-range, t], the @ modifier,
 * subqueries, a sample limit and a deadline. Range queries evaluate every
 * node over all steps at once (each series is read once per selector).
 */
#ifndef CAIRN_PROMQL_ENGINE_H
#define CAIRN_PROMQL_ENGINE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/arena.h"
#include "core/strbuf.h"
#include "metrics/labels.h"
#include "promql/ast.h"
#include "promql/querier.h"

/* The concurrency limit (gate.c), shared by every query of a server. */
struct promql_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active, max;
};

void promql_gate_init(struct promql_gate *g, int max);
void promql_gate_release(struct promql_gate *g);
/* Wait for a slot until deadline (CLOCK_MONOTONIC; NULL: forever): 0, or -1 on timeout. */
int promql_gate_enter(struct promql_gate *g, const struct timespec *deadline);
void promql_gate_leave(struct promql_gate *g);

struct pq_opts {
    int64_t lookback_ms;      /* --query.lookback-delta, 5m */
    size_t max_samples;       /* --query.max-samples, 50000000 */
    double timeout_s;         /* --query.timeout, 2m; 0: none */
    int64_t subquery_step_ms; /* subqueries without a step: the evaluation interval, 1m */
    struct promql_gate *gate; /* --query.max-concurrency; NULL: no limit */
    int per_step_stats;       /* stats=all reports samples per step (2.42: promql-per-step-stats) */
    size_t par_windows;       /* a pure range function's call takes a second thread from this many
                                 windows (series x steps) on; 0: never */
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
    /* Statistics (stats=...), as Prometheus's util/stats counts them. */
    int64_t total_samples; /* totalQueryableSamples */
    size_t peak_samples;   /* peakSamples */
    int64_t *per_step;     /* totalQueryableSamplesPerStep, nsteps entries, or NULL */
    size_t nsteps;
    int64_t start, interval; /* the steps' times */
    /* Timings in seconds (queryTimings). */
    double t_eval_total, t_result_sort, t_prepare, t_inner_eval, t_exec_queue;
};

/*
 * Evaluate expr (from promql_parse, in arena a) at [start, end] every step
 * ms (step 0: an instant query at start). The result is allocated in a.
 * Returns PQ_ERR_NONE, or the error class with Prometheus's message in err.
 * With o->per_step_stats, res->per_step is filled.
 */
enum pq_errtype promql_eval(struct arena *a, const struct querier *q, const struct pq_opts *o,
                            struct pq_node *expr, int64_t start, int64_t end, int64_t step,
                            struct pq_result *res, struct strbuf *err);

#endif
