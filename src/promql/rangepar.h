/*
 * A pure range function over many series, on two threads.
 *
 * A pure function (struct pq_func's pure) gives each series' values from that
 * series' windows alone, so a large matrix call can compute the second half
 * of its series on a helper thread while the caller computes the first. Only
 * the values are computed here; the evaluator then walks the windows again on
 * its own thread for what the evaluation shares (sample counts, the peak, the
 * output series). The values equal one thread's bit for bit: each window goes
 * through the same function in the same order.
 */
#ifndef CAIRN_PROMQL_RANGEPAR_H
#define CAIRN_PROMQL_RANGEPAR_H

#include "promql/eval.h"
#include "promql/funcs.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Below this many windows (series x steps) a second thread costs more than it saves. */
#define RANGEPAR_MIN_WINDOWS 200000

struct rangepar {
    const struct pq_func *f;
    struct pq_call proto;         /* node, nargs and range of the call */
    const struct pq_raw *s;       /* the series */
    size_t n;                     /* how many */
    size_t nsteps;                /* steps of the evaluation */
    const int64_t *ts;            /* each step's time */
    const int64_t *mint, *maxt;   /* each step's window, closed at both ends */
    int resets;                   /* rate and increase: give the function reset counts */
    const struct timespec *dline; /* CLOCK_MONOTONIC deadline, or NULL */
    double **v;                   /* out: per series, nsteps values */
    unsigned char **ok;           /* out: per series, nsteps flags (zeroed by the caller) */
};

/* Fill v and ok of every series: 0, or -1 when the deadline passed first. */
int rangepar_run(const struct rangepar *p);

#endif
