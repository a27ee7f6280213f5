/*
 * One scrape's samples (Prometheus 2.42 scrape/scrape.go: append,
 * mutateSampleLabels, resolveConflictingExposedLabels, report).
 */
#include "scrape/scrapeappend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "metrics/sample.h"
#include "scrape/relabel.h"

void scrapeappend_init(struct scrapeappend_state *s)
{
    seriesset_init(&s->prev);
    seriesset_init(&s->pending);
    seriesset_init(&s->known_ts);
    s->has_pending = 0;
    s->skip_meta = 0;
    metacache_init(&s->meta);
    scrapecache_init(&s->cache);
}

void scrapeappend_invalidate(struct scrapeappend_state *s)
{
    scrapecache_clear(&s->cache);
}

void scrapeappend_release(struct scrapeappend_state *s)
{
    seriesset_release(&s->prev);
    seriesset_release(&s->pending);
    seriesset_release(&s->known_ts);
    metacache_release(&s->meta);
    scrapecache_release(&s->cache);
}

/* A TYPE, HELP or UNIT line: into the target's metadata, as Prometheus's scrapeCache. */
static void note_meta(struct metacache *m, const struct expo_parser *p, enum expo_entry e)
{
    size_t len, tlen;
    const char *name = expo_name(p, &len), *text;
    if (e == EXPO_TYPE) {
        metacache_set_type(m, name, len, expo_type(p));
        return;
    }
    text = expo_text(p, &tlen);
    if (e == EXPO_HELP)
        metacache_set_help(m, name, len, text, tlen);
    else
        metacache_set_unit(m, name, len, text, tlen);
}

static int has(const struct labels *ls, const char *name)
{
    const char *v = labels_get(ls, name);
    return v && *v;
}

struct conflict {
    const char *name, *value;
};

static int by_len(const void *a, const void *b)
{
    size_t la = strlen(((const struct conflict *)a)->name);
    size_t lb = strlen(((const struct conflict *)b)->name);
    return la < lb ? -1 : la > lb;
}

/* Target labels over the exposed ones (mutateSampleLabels). */
static void mutate(struct labels_builder *b, const struct labels *exposed,
                   const struct labels *target, int honor, struct arena *a)
{
    struct conflict cs[64];
    size_t nc = 0;

    labels_builder_reset(b, exposed);
    if (honor) {
        for (size_t i = 0; i < target->n; i++)
            if (!has(exposed, target->v[i].name))
                labels_builder_set(b, target->v[i].name, target->v[i].value);
        return;
    }
    for (size_t i = 0; i < target->n; i++) {
        const char *ev = labels_get(exposed, target->v[i].name);
        if (ev && *ev && nc < 64)
            cs[nc++] = (struct conflict){target->v[i].name, ev};
        labels_builder_set(b, target->v[i].name, target->v[i].value);
    }
    if (!nc)
        return;
    /* Stable by name length: insertion sort keeps order among equals. */
    for (size_t i = 1; i < nc; i++)
        for (size_t j = i; j > 0 && by_len(&cs[j - 1], &cs[j]) > 0; j--) {
            struct conflict t = cs[j];
            cs[j] = cs[j - 1];
            cs[j - 1] = t;
        }
    for (size_t i = 0; i < nc; i++) {
        const char *name = cs[i].name;
        for (;;) {
            int taken = 0;
            name = arena_printf(a, "exported_%s", name);
            taken = has(exposed, name) || has(target, name);
            for (size_t k = 0; k < i && !taken; k++)
                taken = !strcmp(cs[k].name, name);
            if (!taken)
                break;
        }
        cs[i].name = name;
    }
    for (size_t i = 0; i < nc; i++)
        labels_builder_set(b, cs[i].name, cs[i].value);
}

/*
 * The common case without a metric relabeling step: exposed and target
 * labels are both sorted, so merge them. Returns -1 on a name in both when
 * the exported_ renaming is needed (the general path handles it).
 */
static int merge(const struct labels *e, const struct labels *t, int honor, struct label **buf,
                 size_t *cap, struct labels *out)
{
    size_t i = 0, j = 0, k = 0;

    if (e->n + t->n > *cap) {
        *cap = 2 * (e->n + t->n);
        *buf = xrealloc(*buf, *cap * sizeof(**buf));
    }
    while (i < e->n || j < t->n) {
        const struct label *l;
        int c = i == e->n ? 1 : j == t->n ? -1 : strcmp(e->v[i].name, t->v[j].name);
        if (c == 0 && !honor)
            return -1;
        if (c <= 0) {
            l = &e->v[i++];
            j += c == 0; /* honor_labels: the exposed value wins */
        } else {
            l = &t->v[j++];
        }
        if (l->value[0]) /* an empty value is no label */
            (*buf)[k++] = *l;
    }
    *out = (struct labels){*buf, k};
    return 0;
}

/*
 * A line whose series text the last scrape saw: its block moves from the last
 * scrape's set to this one's (the cache keeps blocks only while they are in
 * one of them). Returns 1 when done, 0 when the slow path must decide (the
 * block is in neither set, which the sweeps should make impossible).
 */
static int append_cached(struct scrapeappend_state *s, struct seriesset *cur,
                         const struct scrapecache_entry *ce, int64_t t, double v,
                         struct appender *app, struct scrapeappend_result *r)
{
    if (seriesset_take_block(&s->prev, ce->b, ce->hash)) {
        seriesset_add_new(cur, ce->b, ce->hash);
    } else if (seriesset_has_block(cur, ce->b, ce->hash)) {
        r->added++;
        r->duplicates++;
        return 1;
    } else {
        return 0;
    }
    r->added++;
    app->append_encoded(app, NULL, ce->b->bytes, ce->b->len, t, v);
    return 1;
}

static void stale_prev(struct scrapeappend_state *s, int64_t t, struct appender *app);

int scrapeappend_body(struct scrapeappend_state *s, const struct promcfg_job *job,
                      const struct labels *target, const char *buf, size_t len,
                      enum expo_format fmt, int64_t t, struct appender *app,
                      struct scrapeappend_result *r)
{
    struct expo_parser p;
    struct labels_builder b;
    struct seriesset cur, seen_ts;
    struct arena a;
    enum expo_entry e;
    struct label *mbuf = NULL;
    size_t mcap = 0;
    int rc = 0, use_cache;

    memset(r, 0, sizeof(*r));
    seriesset_init(&cur);
    seriesset_reserve(&cur, s->prev.n); /* scrapes of a target tend to look alike */
    seriesset_init(&seen_ts);
    labels_builder_init(&b);
    arena_init(&a);
    expo_parser_init(&p, buf, len, fmt);
    /* The cache hands out encoded records, so only with an appender that takes them. */
    use_cache = app->append_encoded != NULL;
    expo_parser_set_lazy(&p, use_cache);
    while ((e = expo_next(&p)) != EXPO_EOF) {
        struct labels exposed, final;
        int64_t ts, st;
        struct seriesset_block *enc = NULL; /* the kept copy (tracked series only) */
        int has_ts, cacheable = 0;
        uint64_t h;
        struct scrapecache_key key = {0, 0};
        const char *text;
        size_t tlen;
        double v;

        if (e == EXPO_ERROR) {
            snprintf(r->err, sizeof(r->err), "%s", expo_error(&p));
            rc = -1;
            break;
        }
        if ((e == EXPO_TYPE || e == EXPO_HELP || e == EXPO_UNIT) && !s->skip_meta)
            note_meta(&s->meta, &p, e);
        if (e != EXPO_SERIES)
            continue;
        r->total++;
        v = expo_value(&p);
        has_ts = expo_timestamp(&p, &ts) && job->honor_timestamps;
        st = has_ts ? ts : t;
        /*
         * Series with a timestamp are not kept between scrapes, and one seen
         * in this scrape makes every later series a possible duplicate of it:
         * both take the slow path.
         */
        if (use_cache && !has_ts && seen_ts.n == 0 && (text = expo_series(&p, &tlen)) != NULL) {
            struct scrapecache_entry *ce;
            key = scrapecache_key(text, tlen);
            ce = scrapecache_get(&s->cache, key);
            if (ce && !ce->b) {
                ce->iter = s->cache.iter; /* dropped by relabeling, again */
                continue;
            }
            if (ce && append_cached(s, &cur, ce, st, v, app, r)) {
                ce->iter = s->cache.iter;
                if (job->sample_limit && r->added > job->sample_limit) {
                    snprintf(r->err, sizeof(r->err), "sample limit exceeded");
                    rc = -1;
                    break;
                }
                continue;
            }
            cacheable = !ce;
        }
        if (expo_series_labels(&p) < 0) {
            snprintf(r->err, sizeof(r->err), "%s", expo_error(&p));
            rc = -1;
            break;
        }
        exposed = expo_labels(&p);
        if (job->nmetric_relabel ||
            merge(&exposed, target, job->honor_labels, &mbuf, &mcap, &final) < 0) {
            mutate(&b, &exposed, target, job->honor_labels, &a);
            if (!relabel_process(&b, job->metric_relabel, job->nmetric_relabel, &a) ||
                labels_builder_finish(&b, &final, NULL) < 0 || final.n == 0) {
                if (cacheable)
                    scrapecache_put(&s->cache, key, NULL, 0);
                continue;
            }
        }
        if (!labels_get(&final, LABELS_METRIC_NAME)) {
            snprintf(r->err, sizeof(r->err), "no metric name found");
            rc = -1;
            break;
        }
        h = labels_hash(&final);
        r->added++;
        if (seriesset_has(&cur, &final, h) || seriesset_has(&seen_ts, &final, h)) {
            r->duplicates++; /* the TSDB keeps the first sample at a timestamp */
            continue;
        }
        if (has_ts) {
            /* Not tracked for staleness; "added" only the first time, as Prometheus's cache. */
            seriesset_add(&seen_ts, &final, h);
            if (seriesset_add(&s->known_ts, &final, h))
                r->series_added++;
        } else {
            struct seriesset_block *blk;
            if (!seriesset_take(&s->prev, &final, h, &blk)) {
                blk = seriesset_block(&final);
                r->series_added++;
            }
            seriesset_add_new(&cur, blk, h); /* not there: duplicates were skipped */
            enc = blk;
            if (cacheable)
                scrapecache_put(&s->cache, key, blk, h);
        }
        if (enc && app->append_encoded)
            app->append_encoded(app, &final, enc->bytes, enc->len, st, v);
        else
            app->append(app, &final, st, v);
        if (job->sample_limit && r->added > job->sample_limit) {
            snprintf(r->err, sizeof(r->err), "sample limit exceeded");
            rc = -1;
            break;
        }
        /* Strings made by relabeling live until the next sample. */
        if (a.total > (1u << 20)) {
            arena_release(&a);
            arena_init(&a);
        }
    }
    if (rc == 0) {
        /* Series of the last scrape not seen now: stale at this scrape's time. */
        stale_prev(s, t, app);
        seriesset_release(&s->prev);
        s->prev = cur;
        /* The texts not seen point at blocks stale_prev freed. */
        scrapecache_sweep(&s->cache);
    } else {
        scrapecache_clear(&s->cache); /* the caller's scrapeappend_stale frees blocks */
        /*
         * As Prometheus: the caller rolls back, then stale markers go to the
         * series of the last scrape not seen before the error, and the
         * series seen before it count as the last scrape from now on.
         */
        seriesset_release(&s->pending);
        s->pending = cur;
        s->has_pending = 1;
    }
    seriesset_release(&seen_ts);
    expo_parser_release(&p);
    labels_builder_release(&b);
    arena_release(&a);
    free(mbuf);
    return rc;
}

void scrapeappend_stale(struct scrapeappend_state *s, int64_t t, struct appender *app)
{
    scrapecache_clear(&s->cache); /* it points at the blocks freed here */
    stale_prev(s, t, app);
}

static void stale_prev(struct scrapeappend_state *s, int64_t t, struct appender *app)
{
    double stale = sample_stale_nan();

    for (size_t i = 0; i < s->prev.cap; i++) {
        const struct seriesset_block *b = s->prev.v[i].b;
        struct arena a;
        struct labels ls;
        if (!b)
            continue;
        arena_init(&a);
        ls = seriesset_labels(b, &a);
        if (app->append_encoded)
            app->append_encoded(app, &ls, b->bytes, b->len, t, stale);
        else
            app->append(app, &ls, t, stale);
        arena_release(&a);
    }
    seriesset_clear(&s->prev);
    if (s->has_pending) {
        struct seriesset tmp = s->prev;
        s->prev = s->pending;
        s->pending = tmp;
        s->has_pending = 0;
    }
}

static const char *const report_names[] = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
};

static void report(const struct labels *target, int64_t t, const double *vals, struct appender *app)
{
    struct labels_builder b;

    labels_builder_init(&b);
    for (size_t i = 0; i < sizeof(report_names) / sizeof(report_names[0]); i++) {
        struct labels ls;
        labels_builder_reset(&b, target);
        labels_builder_set(&b, LABELS_METRIC_NAME, report_names[i]);
        labels_builder_finish(&b, &ls, NULL);
        app->append(app, &ls, t, vals[i]);
    }
    labels_builder_release(&b);
}

void scrapeappend_report(const struct labels *target, int64_t t, int up, double duration_s,
                         const struct scrapeappend_result *r, struct appender *app)
{
    double vals[5] = {up ? 1 : 0, duration_s, 0, 0, 0};

    if (r) {
        vals[2] = (double)r->total;
        vals[3] = (double)r->added;
        vals[4] = (double)r->series_added;
    }
    report(target, t, vals, app);
}

void scrapeappend_report_stale(const struct labels *target, int64_t t, struct appender *app)
{
    double s = sample_stale_nan();
    double vals[5] = {s, s, s, s, s};
    report(target, t, vals, app);
}
