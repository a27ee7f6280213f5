/* A pure range function over many series on two threads: see struct rangepar in eval.h. */
#include "promql/eval.h"
#include "core/par.h"
#include "core/xmalloc.h"

#include <stdatomic.h>
#include <stdlib.h>

struct half {
    const struct rangepar *p;
    size_t from, to;
    atomic_int *late; /* set by either half when the deadline passed */
};

static int past(const struct timespec *d)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec > d->tv_nsec);
}

static void run_half(void *arg)
{
    const struct half *h = arg;
    const struct rangepar *p = h->p;
    struct pq_call c = p->proto;
    uint32_t *resets = NULL;

    if (p->resets) {
        size_t maxn = 0;
        for (size_t i = h->from; i < h->to; i++)
            if (p->s[i].n > maxn)
                maxn = p->s[i].n;
        resets = xmalloc((maxn + 1) * sizeof(*resets));
    }
    for (size_t i = h->from; i < h->to; i++) {
        const struct pq_raw *r = &p->s[i];
        size_t lo = 0, hi = 0;
        /* Both halves look: the one that sees the deadline stops the other. */
        if (((i - h->from) & 15) == 0 && p->dline && (atomic_load(h->late) || past(p->dline))) {
            atomic_store(h->late, 1);
            break;
        }
        c.series = &r->l;
        if (resets)
            for (size_t j = 0; j < r->n; j++)
                resets[j] = (j ? resets[j - 1] : 0) + (j && r->v[j] < r->v[j - 1]);
        for (size_t k = 0; k < p->nsteps; k++) {
            double v;
            while (hi < r->n && r->t[hi] <= p->maxt[k])
                hi++;
            while (lo < hi && r->t[lo] < p->mint[k])
                lo++;
            if (hi == lo)
                continue;
            c.ts = p->ts[k];
            c.range_start = p->mint[k];
            c.range_end = p->maxt[k];
            c.resets = resets ? resets + lo : NULL;
            if (p->f->range(&c, r->t + lo, r->v + lo, hi - lo, &v)) {
                p->v[i][k] = v;
                p->ok[i][k] = 1;
            }
        }
    }
    free(resets);
}

int rangepar_run(const struct rangepar *p)
{
    atomic_int late = 0;
    size_t total = 0, acc = 0, mid = 0;

    /* Split by samples, not series: the work of a window grows with its samples. */
    for (size_t i = 0; i < p->n; i++)
        total += p->s[i].n;
    while (mid < p->n && acc < total / 2)
        acc += p->s[mid++].n;
    struct half first = {p, 0, mid, &late}, second = {p, mid, p->n, &late};
    par_pair(run_half, &first, &second);
    return atomic_load(&late) ? -1 : 0;
}
