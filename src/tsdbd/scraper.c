/*
 * scraper: the scrape engine of src/scrape feeding cairn-tsdb's head
 * (scraper.h says where the configuration comes from).
 *
 * The engine's appender borrows labels only for the call, while a
 * db_appender borrows them until its commit: each sample is copied into an
 * arena that lives for one scrape. A commit that the head refuses (an
 * out-of-order or duplicate sample, possible only with honor_timestamps) is
 * refused whole, so it is retried in halves down to the bad samples: the rest
 * of the scrape is kept, as Prometheus keeps it, at a few commits per bad
 * sample.
 *
 * remote_write sections are sent as Prometheus sends them: what reached the
 * head (samples it refused are not forwarded, as they never reach
 * Prometheus's WAL) goes to every sender of src/scrape/rwsend after the
 * commit; a commit that failed in storage sends nothing. A reload swaps the
 * senders; the old ones flush what they hold.
 */
#include "tsdbd/scraper.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "scrape/appender.h"
#include "scrape/promcfg.h"
#include "scrape/rwsend.h"
#include "tsdbd/gofmt.h"
#include "scrape/scrapeloop.h"

struct sample {
    struct labels ls;
    int64_t t;
    double v;
    int refused; /* by the head: not forwarded */
};

/* How long stopping or a reload lets old senders flush, as cairn-scrape. */
#define SCRAPER_FLUSH_MS 5000

struct scraper {
    struct appender app; /* first: the engine hands back &app */
    struct db *db;
    struct scrapeloop *loop;
    struct arena arena; /* this scrape's label copies */
    struct sample *v;
    size_t n, alloc;
    uint64_t rejected, failed; /* atomics: /metrics reads them from another thread */
    struct rwsend_fanout *fan; /* remote_write senders */
    struct promcfg *rwcfg;     /* the configuration the senders borrow rules from */
    int forward;               /* any sender: the scrape thread reads it */
};

static int app_append(struct appender *app, const struct labels *ls, int64_t t, double v)
{
    struct scraper *s = (struct scraper *)app;
    xgrow((void **)&s->v, &s->alloc, s->n + 1, sizeof *s->v);
    s->v[s->n++] = (struct sample){labels_dup(&s->arena, ls), t, v, 0};
    return 0;
}

static void reset(struct scraper *s)
{
    s->n = 0;
    arena_release(&s->arena);
    arena_init(&s->arena);
}

/* Commit v[lo, hi); returns how many samples were refused, or -1 on a storage error. */
static long commit_range(struct scraper *s, size_t lo, size_t hi, struct diag *d)
{
    struct db_appender a;
    db_appender_init(&a, s->db);
    for (size_t i = lo; i < hi; i++)
        db_appender_add(&a, &s->v[i].ls, s->v[i].t, s->v[i].v);
    enum db_commit_result r = db_appender_commit(&a, d);
    db_appender_release(&a);
    if (r == DB_COMMIT_OK)
        return 0;
    if (r == DB_COMMIT_FAILED)
        return -1;
    if (hi - lo == 1) {
        s->v[lo].refused = 1;
        return 1;
    }
    size_t mid = lo + (hi - lo) / 2;
    long left = commit_range(s, lo, mid, d);
    if (left < 0)
        return -1;
    long right = commit_range(s, mid, hi, d);
    return right < 0 ? -1 : left + right;
}

static int app_commit(struct appender *app)
{
    struct scraper *s = (struct scraper *)app;
    struct diag d;
    diag_init(&d);
    long bad = s->n ? commit_range(s, 0, s->n, &d) : 0;
    if (bad < 0) {
        __atomic_add_fetch(&s->failed, 1, __ATOMIC_RELAXED);
        log_error("msg=\"Scrape commit failed\" err=\"%s\"", diag_last(&d));
    } else if (bad > 0) {
        __atomic_add_fetch(&s->rejected, (uint64_t)bad, __ATOMIC_RELAXED);
        log_warn("msg=\"Error on ingesting samples\" num_dropped=%ld err=\"%s\"", bad,
                 diag_last(&d));
    }
    diag_release(&d);
    if (bad >= 0 && __atomic_load_n(&s->forward, __ATOMIC_ACQUIRE)) {
        struct appender *f = rwsend_fanout_appender(s->fan);
        for (size_t i = 0; i < s->n; i++)
            if (!s->v[i].refused)
                f->append(f, &s->v[i].ls, s->v[i].t, s->v[i].v);
        f->commit(f);
    }
    reset(s);
    return bad < 0 ? -1 : 0;
}

static void app_rollback(struct appender *app)
{
    reset((struct scraper *)app);
}

struct scraper *scraper_new(struct db *db, const char *dns_server)
{
    struct scraper *s = xcalloc(1, sizeof *s);
    s->app.append = app_append;
    s->app.commit = app_commit;
    s->app.rollback = app_rollback;
    s->db = db;
    arena_init(&s->arena);
    s->fan = rwsend_fanout_new();
    s->loop = scrapeloop_new(&s->app, dns_server);
    return s;
}

static struct promcfg *load(const char *name, const char *text, size_t len, struct diag *d)
{
    struct promcfg *c = xmalloc(sizeof *c);
    promcfg_init(c);
    if (promcfg_load_buf(c, name, text, len, d) != 0) {
        promcfg_release(c);
        free(c);
        return NULL;
    }
    return c;
}

static void cfg_free(struct promcfg *c)
{
    if (c) {
        promcfg_release(c);
        free(c);
    }
}

int scraper_load(struct scraper *s, const char *name, const char *text, size_t len, struct diag *d)
{
    /* Two copies: the engine takes one, the senders borrow the other's rules. */
    struct promcfg *c = load(name, text, len, d), *rc = c ? load(name, text, len, d) : NULL;
    struct rwsend **w, **old = NULL;
    size_t nold = 0;
    if (!rc) {
        cfg_free(c);
        return -1;
    }
    w = xcalloc(rc->nrws + 1, sizeof *w);
    for (size_t i = 0; i < rc->nrws; i++) {
        w[i] = rwsend_new(&rc->rws[i], &rc->external_labels, d);
        if (!w[i] || rwsend_start(w[i], d) != 0) {
            for (size_t k = 0; k <= i; k++)
                rwsend_free(w[k], 0);
            free(w);
            cfg_free(c);
            cfg_free(rc);
            return -1;
        }
    }
    rwsend_fanout_set(s->fan, w, rc->nrws, &old, &nold);
    __atomic_store_n(&s->forward, rc->nrws > 0, __ATOMIC_RELEASE);
    scrapeloop_apply(s->loop, c); /* the engine owns c now */
    for (size_t i = 0; i < nold; i++)
        rwsend_free(old[i], SCRAPER_FLUSH_MS);
    free(old);
    cfg_free(s->rwcfg);
    s->rwcfg = rc;
    return 0;
}

int scraper_start(struct scraper *s, struct diag *d)
{
    return scrapeloop_start(s->loop, d);
}

void scraper_free(struct scraper *s)
{
    if (!s)
        return;
    scrapeloop_free(s->loop);                     /* joins the engine: no append after this */
    rwsend_fanout_free(s->fan, SCRAPER_FLUSH_MS); /* then flush what is queued */
    cfg_free(s->rwcfg);
    arena_release(&s->arena);
    free(s->v);
    free(s);
}

void scraper_get_stats(struct scraper *s, struct scraper_stats *out)
{
    struct scrapeloop_stats st;
    scrapeloop_get_stats(s->loop, &st);
    memset(out, 0, sizeof *out);
    out->scrapes = st.scrapes;
    out->scrape_failures = st.scrape_failures;
    out->samples_appended = st.samples_appended;
    out->targets = st.targets;
    out->samples_rejected = __atomic_load_n(&s->rejected, __ATOMIC_RELAXED);
    out->commits_failed = __atomic_load_n(&s->failed, __ATOMIC_RELAXED);
}

void scraper_snapshot(struct scraper *s, unsigned what, struct scrapeloop_snapshot *out)
{
    scrapeloop_snapshot(s->loop, what, out);
}

/* The remote-write queue series of Prometheus 2.42, one per sender. */
static const struct {
    const char *name, *type, *help;
    size_t field;
} rw_series[] = {
    {"prometheus_remote_storage_samples_total", "counter",
     "Total number of samples sent to remote storage.", offsetof(struct rwsend_stats, sent)},
    {"prometheus_remote_storage_samples_failed_total", "counter",
     "Total number of samples which failed on send to remote storage, non-recoverable errors.",
     offsetof(struct rwsend_stats, failed)},
    {"prometheus_remote_storage_samples_retried_total", "counter",
     "Total number of samples which failed on send to remote storage but were retried because "
     "the send error was recoverable.",
     offsetof(struct rwsend_stats, retried)},
    {"prometheus_remote_storage_samples_dropped_total", "counter",
     "Total number of samples which were dropped after being read from the WAL before being "
     "sent via remote write, either via relabelling or unintentionally because of an unknown "
     "reference ID.",
     offsetof(struct rwsend_stats, dropped)},
    {"prometheus_remote_storage_samples_pending", "gauge",
     "The number of samples pending in the queues shards to be sent to the remote storage.",
     offsetof(struct rwsend_stats, pending)},
    {"prometheus_remote_storage_bytes_total", "counter",
     "The total number of bytes of data (not metadata) sent by the queue after compression.",
     offsetof(struct rwsend_stats, bytes)},
    {"prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "gauge",
     "Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in "
     "seconds since epoch.",
     offsetof(struct rwsend_stats, highest_sent_ms)},
};

struct rw_render {
    struct strbuf *b;
    size_t i;
};

static void rw_line(struct rwsend *w, void *arg)
{
    struct rw_render *r = arg;
    struct rwsend_stats st;
    double v;
    rwsend_get_stats(w, &st);
    if (rw_series[r->i].field == offsetof(struct rwsend_stats, highest_sent_ms))
        v = (double)st.highest_sent_ms / 1000.0;
    else
        v = (double)*(uint64_t *)((char *)&st + rw_series[r->i].field);
    strbuf_adds(r->b, rw_series[r->i].name);
    strbuf_adds(r->b, "{remote_name=");
    labels_quote(r->b, rwsend_name(w), strlen(rwsend_name(w)));
    strbuf_adds(r->b, ",url=");
    labels_quote(r->b, rwsend_url(w), strlen(rwsend_url(w)));
    strbuf_adds(r->b, "} ");
    gofmt_g(r->b, v);
    strbuf_addc(r->b, '\n');
}

void scraper_write_metrics(struct scraper *s, struct strbuf *b)
{
    if (!__atomic_load_n(&s->forward, __ATOMIC_ACQUIRE))
        return;
    for (size_t i = 0; i < sizeof rw_series / sizeof rw_series[0]; i++) {
        struct rw_render r = {b, i};
        strbuf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", rw_series[i].name, rw_series[i].help,
                    rw_series[i].name, rw_series[i].type);
        rwsend_fanout_each(s->fan, rw_line, &r);
    }
}
