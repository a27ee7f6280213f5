/*
 * eval: the evaluator's internal values, shared by engine.c, eval.c, selector.c, funcs.c,
 * binop.c and aggr.c. A value over the steps of an evaluation is a set of
 * series, each with a value slot per step (present or not), or a scalar
 * per step, or a string. One step's view of a vector is a pq_vec.
 */
#ifndef CAIRN_PROMQL_EVAL_H
#define CAIRN_PROMQL_EVAL_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "promql/engine.h"
#include "promql/funcs.h"

struct pq_ser {
    struct labels l;
    double *v;
    unsigned char *ok;
    int64_t *ts; /* sample timestamps per step (instant selectors only; for timestamp()) */
    size_t cnt;  /* steps present */
};

struct pq_val {
    enum pq_type type;
    struct pq_ser *s;
    size_t n, alloc;
    double *sc;      /* PQ_SCALAR: one value per step */
    const char *str; /* PQ_STRING */
};

/* Raw samples of one series (range selectors, subquery results). */
struct pq_raw {
    struct labels l;
    int64_t *t;
    double *v;
    size_t n;
};

struct pq_sample {
    struct labels l;
    double v;
    int64_t t;   /* sample time (instant selectors), else the step time */
    uint64_t gk; /* aggregation grouping key or binop signature of the series, 0: not computed */
    uint64_t lh; /* labels_hash(&l), 0 when not computed */
};

/* Result labels of binary operations per pair of input series, kept over the steps. */
struct pq_bincache {
    struct pq_bcent *e; /* open addressing by the pair's label pointers, in the arena */
    size_t cap, n;
};

struct pq_vec {
    struct pq_sample *v;
    size_t n, alloc;
};

struct pq_eval {
    struct arena *a;
    const struct querier *q;
    const struct pq_opts *o;
    int64_t start, end, interval; /* this (sub)evaluation's steps */
    size_t nsteps;
    int64_t qstart, qend; /* the query's, for start()/end() */
    size_t cur_samples, peak;
    int64_t total_samples; /* totalQueryableSamples */
    int64_t *per_step;     /* per step of this evaluation, or NULL (sub-evaluations) */
    double t_select;       /* seconds in the querier's select (queryPreparationTime) */
    struct timespec deadline;
    int has_deadline;
    unsigned checks;
    jmp_buf *jb;
    enum pq_errtype errtype;
    struct strbuf *err;
};

/* Everything a function implementation sees at one step. */
struct pq_call {
    struct pq_eval *ev;
    const struct pq_node *node;
    int64_t ts;              /* step time */
    struct pq_vec *vargs[5]; /* instant-vector arguments */
    double sargs[5];         /* scalar arguments */
    const char *strargs[5];  /* string arguments */
    size_t nargs;
    /* range functions */
    int64_t range, range_start, range_end;
    const struct labels *series;
    /* rate and increase: counter resets in the series up to each window sample, or NULL */
    const uint32_t *resets;
};

/* Abort evaluation with an error (longjmp to promql_eval). */
void pq_fail(struct pq_eval *ev, enum pq_errtype t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void pq_check_deadline(struct pq_eval *ev);
void pq_add_samples(struct pq_eval *ev, size_t n);
/* Note the peak of cur_samples (Prometheus's UpdatePeak). */
static inline void pq_peak(struct pq_eval *ev, size_t extra)
{
    if (ev->cur_samples + extra > ev->peak)
        ev->peak = ev->cur_samples + extra;
}
/* IncrementSamplesAtStep: n queryable samples read at step k. */
static inline void pq_count(struct pq_eval *ev, size_t k, int64_t n)
{
    ev->total_samples += n;
    if (ev->per_step)
        ev->per_step[k] += n;
}

/* Seconds on the monotonic clock. */
double pq_now(void);
/* A new value of type t: for a scalar, a slot per step of ev. */
struct pq_val *pq_val_new(struct pq_eval *ev, enum pq_type t);
/* A new series of v with a value slot per step of ev. */
struct pq_ser *pq_val_add(struct pq_eval *ev, struct pq_val *v, const struct labels *l);
/* A series of v whose values live in shared arrays (a range function feeding pq_colagg). */
struct pq_ser *pq_val_add_shared(struct pq_eval *ev, struct pq_val *v, const struct labels *l,
                                 double *sv, unsigned char *sok);
/* Fail as Prometheus does when two series of v have the same labels. */
void pq_check_dup_labelsets(struct pq_eval *ev, struct pq_val *v);

/* The value of node n over the steps of ev (engine.c). */
struct pq_val *pq_eval_node(struct pq_eval *ev, const struct pq_node *n);
/* An instant-vector selector over the steps of ev (selector.c). */
struct pq_val *pq_eval_selector(struct pq_eval *ev, const struct pq_node *vs);
/* n without the parentheses around it. */
const struct pq_node *pq_unparen(const struct pq_node *n);
/* The raw samples of a range selector or subquery asked for at the top (an instant query). */
void pq_matrix_result(struct pq_eval *ev, const struct pq_node *n, struct pq_result *res);
/* The index of a call's range-vector argument, or SIZE_MAX. */
size_t pq_matrix_arg(const struct pq_node *n);
/*
 * Call n, whose argument mi is a range vector: each series once, a sliding window. agg: an
 * aggregation of the call that pq_colagg can do (else NULL), which then takes each series as it
 * is computed and whose result is returned (held: samples before the call).
 */
struct pq_val *pq_eval_range_call(struct pq_eval *ev, const struct pq_node *n, size_t mi,
                                  const struct pq_node *agg, size_t held);
/*
 * sum, avg, count, group, min, max, stddev and stdvar over all steps at
 * once (gkeys: each input series' grouping key), with the results, series
 * order and sample accounting of step-by-step evaluation (held: samples
 * before the inputs, temp: with them). 0: the operator needs the steps.
 */
int pq_aggr_columns(struct pq_eval *ev, const struct pq_node *n, const struct pq_val *in,
                    const uint64_t *gkeys, size_t held, size_t temp, struct pq_val *out);
/*
 * The same, one input series at a time (a range function's series straight
 * into the aggregation, no value arrays kept): ok (and new) say whether
 * the operator can; add takes the series in input order (at most
 * max_series, key from pq_colagg_key); finish writes out.
 */
struct pq_colagg;
int pq_colagg_ok(const struct pq_node *n);
struct pq_colagg *pq_colagg_new(struct pq_eval *ev, const struct pq_node *n, size_t max_series);
uint64_t pq_colagg_key(const struct pq_colagg *ca, const struct labels *l);
void pq_colagg_add(struct pq_colagg *ca, const struct pq_ser *s, uint64_t gkey);
void pq_colagg_finish(struct pq_colagg *ca, size_t held, size_t temp, struct pq_val *out);
void pq_vec_push(struct pq_eval *ev, struct pq_vec *out, const struct labels *l, double v,
                 int64_t t);
/* A copy of l without __name__ (in the arena). */
struct labels pq_drop_name(struct pq_eval *ev, const struct labels *l);
struct labels pq_labels_from_builder(struct pq_eval *ev, struct labels_builder *b);
uint64_t pq_sig(const struct labels *l, int on, const struct pq_strlist *names);

void pq_binop_step(struct pq_eval *ev, const struct pq_node *n, struct pq_vec *l, struct pq_vec *r,
                   double ls, double rs, struct pq_vec *out, struct pq_bincache *cache);
double pq_scalar_binop(int op, double l, double r, int *keep);
void pq_aggr_step(struct pq_eval *ev, const struct pq_node *n, struct pq_vec *in, double param,
                  const char *sparam, struct pq_vec *out);
void pq_absent_labels(struct labels_builder *b, const struct pq_node *vs);
/* Hash of the labels an aggregation groups by (extra: count_values' label). */
uint64_t pq_group_key(const struct labels *l, const struct pq_strlist *g, int without,
                      const char *extra);
/* Prometheus's quantile over values (sorted in place). */
double pq_quantile(double q, double *v, size_t n);

/*
 * A pure range function over many series, on two threads.
 *
 * A pure function (struct pq_func's pure) gives each series' values from that
 * series' windows alone, so a large matrix call can compute the second half
 * of its series on a helper thread while the caller computes the first. Only
 * the values are computed here; the evaluator then walks the windows again on
 * its own thread for what the evaluation shares (sample counts, the peak, the
 * output series). The values equal one thread's bit for bit: each window goes
 * through the same function in the same order. (rangepar.c; declared here, not in a
 * header of its own, so that it stays out of the evaluator's include cycle.)
 */
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
