/*
 * gate: at most N queries evaluate at once (--query.max-concurrency, 20 in
 * Prometheus 2.42); the others wait in line until their deadline, then fail
 * as Prometheus's do: "query timed out in query queue".
 */
#include "promql/engine.h"

#include <errno.h>

void promql_gate_init(struct promql_gate *g, int max)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    g->active = 0;
    g->max = max > 0 ? max : 1;
}

void promql_gate_release(struct promql_gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

int promql_gate_enter(struct promql_gate *g, const struct timespec *deadline)
{
    int rc = 0;
    pthread_mutex_lock(&g->mu);
    while (g->active >= g->max) {
        int r = deadline ? pthread_cond_timedwait(&g->cv, &g->mu, deadline)
                         : pthread_cond_wait(&g->cv, &g->mu);
        if (r == ETIMEDOUT && g->active >= g->max) {
            rc = -1;
            goto out;
        }
    }
    g->active++;
out:
    pthread_mutex_unlock(&g->mu);
    return rc;
}

void promql_gate_leave(struct promql_gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->active--;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}
