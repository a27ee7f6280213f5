/*
 * querier: how the PromQL engine reads series, whatever stores them (the
 * TSDB, or the in-memory memstore the tests load). Deliberately small, the
 * shape of Prometheus's storage.Querier: select(matchers, mint, maxt, hints)
 * gives a set of series, each its labels and an iterator over its float
 * samples (milliseconds, value) in increasing time order.
 *
 * Staleness markers are returned as they are stored (the NaN with bits
 * 0x7ff0000000000002, PQ_STALE_NAN); the engine interprets them.
 *
 * Lifetime: everything select() returns (labels, iterators) is allocated in
 * the arena given to it or owned by the set, and lives until the set's
 * release() (called by the engine when the query ends).
 */
#ifndef CAIRN_PROMQL_QUERIER_H
#define CAIRN_PROMQL_QUERIER_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "metrics/labels.h"
#include "metrics/matcher.h"

#define PQ_STALE_NAN_BITS 0x7ff0000000000002ULL

int pq_is_stale(double v);

struct querier_iter;

struct querier_iter_ops {
    /*
     * Move to the first sample with timestamp >= t (never backwards: a seek
     * to an earlier time stays where it is). 1: there is one, 0: exhausted,
     * -1: error (reason in d).
     */
    int (*seek)(struct querier_iter *it, int64_t t, struct diag *d);
    /* Move to the next sample: 1, 0 or -1 as seek. */
    int (*next)(struct querier_iter *it, struct diag *d);
    /* The current sample (after seek or next returned 1). */
    void (*at)(const struct querier_iter *it, int64_t *t, double *v);
};

struct querier_iter {
    const struct querier_iter_ops *ops;
};

struct querier_series {
    struct labels labels;
    struct querier_iter *it;
};

/* What the engine will read of the selected series (storage.SelectHints). */
struct querier_hints {
    int64_t start, end; /* ms; samples outside need not be returned */
    int64_t step;       /* ms; 0 for instant queries */
    int64_t range;      /* ms of the range selector, 0 for instant vectors */
    const char *func;   /* surrounding function ("rate"), or NULL */
};

struct querier_set {
    struct querier_series *v; /* sorted by labels (labels_cmp) */
    size_t n;
    void (*release)(struct querier_set *set); /* may be NULL */
    void *priv;
};

struct querier {
    void *ctx;
    /*
     * Series matching every matcher (at least one matches a non-empty
     * value), with samples in [mint, maxt] reachable through their
     * iterators. 0, or -1 with the reason in d (an execution error).
     */
    int (*select)(void *ctx, struct arena *a, const struct matcher *ms, size_t nms, int64_t mint,
                  int64_t maxt, const struct querier_hints *hints, struct querier_set *out,
                  struct diag *d);
};

#endif
