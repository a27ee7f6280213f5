/*
 * Access counters of httpd: requests per (route, status) with the seconds
 * spent, for the daemons' /metrics in the Prometheus text format 0.0.4
 * ("Exposition formats", prometheus.io). Few cells (routes x statuses seen),
 * so a linear scan under one mutex is cheaper than anything cleverer.
 */
#include "httpd/httpd_impl.h"

#include <string.h>

#include "core/xmalloc.h"

void httpd_stats_add(struct httpd *h, long route, int status, double seconds)
{
    size_t i;
    pthread_mutex_lock(&h->lock);
    for (i = 0; i < h->nstats; i++)
        if (h->stats[i].route == route && h->stats[i].status == status)
            break;
    if (i == h->nstats) {
        XGROW(h->stats, h->astats, h->nstats + 1);
        h->stats[i].route = route;
        h->stats[i].status = status;
        h->stats[i].count = 0;
        h->stats[i].seconds = 0;
        h->nstats++;
    }
    h->stats[i].count++;
    h->stats[i].seconds += seconds;
    pthread_mutex_unlock(&h->lock);
}

static int stat_cmp(const void *a, const void *b)
{
    const struct httpd_stat *x = a, *y = b;
    if (x->route != y->route)
        return x->route < y->route ? -1 : 1;
    return x->status - y->status;
}

void httpd_stats_foreach(struct httpd *h, httpd_stats_fn fn, void *arg)
{
    struct httpd_stat *copy;
    size_t n;
    pthread_mutex_lock(&h->lock);
    n = h->nstats;
    copy = xmalloc((n ? n : 1) * sizeof(*copy));
    if (n)
        memcpy(copy, h->stats, n * sizeof(*copy));
    pthread_mutex_unlock(&h->lock);
    qsort(copy, n, sizeof(*copy), stat_cmp);
    for (size_t i = 0; i < n; i++) {
        const struct httpd_route *r = copy[i].route >= 0 ? &h->opt.routes[copy[i].route] : NULL;
        fn(r ? r->method : "", r ? r->pattern : "", copy[i].status, copy[i].count, copy[i].seconds,
           arg);
    }
    free(copy);
}

struct write_ctx {
    struct strbuf *out;
    const char *name;
    int seconds;
};

static void write_one(const char *method, const char *pattern, int status, uint64_t count,
                      double seconds, void *arg)
{
    struct write_ctx *w = arg;
    strbuf_addf(w->out, "%s{code=\"%d\",handler=\"", w->name, status);
    httpd_label_escape(w->out, pattern);
    if (w->seconds)
        strbuf_addf(w->out, "\"} %.9g\n", seconds);
    else
        strbuf_addf(w->out, "\"} %llu\n", (unsigned long long)count);
}

void httpd_stats_write(struct httpd *h, struct strbuf *out, const char *name,
                       const char *seconds_name)
{
    struct write_ctx w = {out, name, 0};
    strbuf_addf(out, "# HELP %s Requests served, by status code and route.\n", name);
    strbuf_addf(out, "# TYPE %s counter\n", name);
    httpd_stats_foreach(h, write_one, &w);
    if (seconds_name) {
        w.name = seconds_name;
        w.seconds = 1;
        strbuf_addf(out, "# HELP %s Seconds spent serving requests, by status code and route.\n",
                    seconds_name);
        strbuf_addf(out, "# TYPE %s counter\n", seconds_name);
        httpd_stats_foreach(h, write_one, &w);
    }
}

unsigned httpd_inflight(struct httpd *h)
{
    unsigned n;
    pthread_mutex_lock(&h->lock);
    n = h->inflight;
    pthread_mutex_unlock(&h->lock);
    return n;
}
