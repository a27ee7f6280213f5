/*
 * The scrape engine's loop: targets, their schedule and their HTTP requests
 * on one libcurl multi handle (Prometheus 2.42 scrape/scrape.go: scrapePool
 * sync, scrapeLoop run, targetScraper scrape).
 */
#include "scrape/scrapeloop.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "core/log.h"
#include "core/monotime.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "metrics/expo.h"
#include "scrape/duration.h"
#include "scrape/goerror.h"
#include "scrape/scrapeappend.h"
#include "scrape/sd.h"
#include "scrape/target.h"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "dev"
#endif

struct target {
    struct arena arena; /* info */
    struct target_info info;
    uint64_t hash;     /* of info.all: identity within a job */
    size_t job;        /* index in the current configuration */
    int64_t next_ms;   /* wall clock of the next scrape */
    int64_t start_ms;  /* wall clock of the scrape in flight (its timestamp) */
    double start_mono; /* for the duration */
    int scraped;       /* has completed a scrape (stale markers on removal) */
    int64_t last_ms;
    CURL *easy;
    struct curl_slist *headers;
    struct strbuf body;
    uint64_t limit;
    int exceeded, inflight, seen;
    struct scrapeappend_state st;
    int64_t start_ns; /* wall clock of the scrape in flight, for lastScrape */
    /* Published for scrapeloop_snapshot(), under scrapeloop.tmu: */
    char last_error[400];
    int64_t last_scrape_ns; /* 0: never scraped */
    double last_duration;
    enum scrapeloop_health health;
    struct arena meta_arena; /* meta */
    struct metacache_item *meta;
    size_t nmeta;
};

struct job_state {
    uint64_t sd_gen;
    struct target **targets;
    size_t n;
    struct arena dropped_arena; /* dropped: discovered labels of targets relabeled away */
    struct labels *dropped;
    size_t ndropped;
};

struct scrapeloop {
    struct appender *app;
    char *dns_server;
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t mu;
    /*
     * tmu guards what HTTP threads read through scrapeloop_snapshot(): jobs,
     * njobs, cfg's job names, each target's published status and metadata.
     * The loop thread alone writes them, so it reads them without the lock.
     */
    pthread_mutex_t tmu;
    int running, stop, ready;
    struct promcfg *cfg, *pending;
    size_t maxconnects; /* CURLMOPT_MAXCONNECTS set so far */
    int skip_metadata;  /* scrapeloop_keep_metadata(s, 0) */
    struct sd_manager *sd;
    struct job_state *jobs;
    size_t njobs;
    struct scrapeloop_stats stats;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void stat_add(uint64_t *c, uint64_t n)
{
    __atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static void wake(void *arg)
{
    struct scrapeloop *s = arg;
    curl_multi_wakeup(s->multi);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct target *t = arg;
    size_t n = size * nmemb;

    /* Prometheus refuses a body that reaches the limit (n >= limit). */
    if (t->limit && t->body.len + n >= t->limit) {
        t->exceeded = 1;
        return 0;
    }
    if (strbuf_add(&t->body, data, n) < 0)
        return 0;
    return n;
}

static void target_free(struct target *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    strbuf_release(&t->body);
    scrapeappend_release(&t->st);
    arena_release(&t->meta_arena);
    arena_release(&t->arena);
    free(t);
}

static struct target *target_new(struct scrapeloop *s, const struct target_info *info,
                                 uint64_t hash, size_t job)
{
    struct target *t = xcalloc(1, sizeof(*t));
    const struct promcfg_job *jc = &s->cfg->jobs[job];
    char tbuf[64];

    arena_init(&t->arena);
    t->info = *info;
    arena_init(&t->meta_arena);
    t->health = SCRAPELOOP_UNKNOWN;
    t->info.discovered = labels_dup(&t->arena, &info->discovered);
    t->info.all = labels_dup(&t->arena, &info->all);
    t->info.public = labels_dup(&t->arena, &info->public);
    t->info.url = arena_strdup(&t->arena, info->url);
    t->hash = hash;
    t->job = job;
    t->next_ms = wall_ms() + target_offset(hash, info->interval_ms, wall_ms());
    strbuf_init(&t->body, STRBUF_NOCAP);
    scrapeappend_init(&t->st);
    t->st.skip_meta = s->skip_metadata;
    t->limit = jc->body_size_limit;
    t->easy = curl_easy_init();
    duration_format_seconds(info->timeout_ms, tbuf, sizeof(tbuf));
    t->headers = curl_slist_append(NULL, "Accept: " EXPO_ACCEPT_HEADER);
    t->headers = curl_slist_append(
        t->headers, arena_printf(&t->arena, "X-Prometheus-Scrape-Timeout-Seconds: %s", tbuf));
    curl_easy_setopt(t->easy, CURLOPT_URL, t->info.url);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "cairn-scrape/" CAIRN_VERSION);
    curl_easy_setopt(t->easy, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)info->timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)info->timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_PROXY, ""); /* as Prometheus: no proxy from the env */
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    return t;
}

/* Finish a target that went away: stale markers for its series and synthetic series. */
static void target_retire(struct scrapeloop *s, struct target *t)
{
    if (t->inflight)
        curl_multi_remove_handle(s->multi, t->easy);
    if (t->scraped) {
        /* Prometheus writes these one interval after the last scrape. */
        int64_t when = t->last_ms + t->info.interval_ms;
        if (when > wall_ms())
            when = wall_ms();
        scrapeappend_stale(&t->st, when, s->app);
        scrapeappend_report_stale(&t->info.public, when, s->app);
        s->app->commit(s->app);
    }
    target_free(t);
}

/* Bring a job's targets in line with discovery; targets that stay keep their state. */
static void sync_job(struct scrapeloop *s, size_t ji, struct sd_targets *found)
{
    struct job_state *js = &s->jobs[ji];
    const struct promcfg_job *jc = &s->cfg->jobs[ji];
    struct target **next = xcalloc(found->n + 1, sizeof(*next)), **old = js->targets;
    size_t nn = 0, dropped = 0, nold = js->n;
    struct arena darena;
    struct labels *dlist = xcalloc(found->n + 1, sizeof(*dlist));

    arena_init(&darena);

    for (size_t i = 0; i < js->n; i++)
        js->targets[i]->seen = 0;
    for (size_t i = 0; i < found->n; i++) {
        struct arena a;
        struct target_info info;
        const char *err = NULL;
        uint64_t h;
        struct target *t = NULL;
        enum target_result r;

        arena_init(&a);
        r = target_populate(&found->sets[i], jc, &a, &info, &err);
        if (r == TARGET_ERROR)
            log_warn("component=\"scrape manager\" scrape_pool=%s msg=\"Creating target "
                     "failed\" err=\"%s\"",
                     jc->job_name, err);
        if (r == TARGET_DROPPED)
            dlist[dropped] = labels_dup(&darena, &info.discovered);
        if (r != TARGET_OK) {
            dropped += r == TARGET_DROPPED;
            arena_release(&a);
            continue;
        }
        h = hash_bytes(info.url, strlen(info.url), labels_hash(&info.all));
        int dup = 0;
        for (size_t k = 0; k < nn && !dup; k++)
            dup = next[k]->hash == h && labels_equal(&next[k]->info.all, &info.all);
        if (dup) { /* the same target twice: scraped once, as Prometheus does */
            arena_release(&a);
            continue;
        }
        for (size_t k = 0; k < js->n && !t; k++)
            if (js->targets[k]->hash == h && labels_equal(&js->targets[k]->info.all, &info.all))
                t = js->targets[k];
        if (t) {
            t->seen = 1;
            t->job = ji;
            next[nn++] = t;
        } else {
            next[nn++] = target_new(s, &info, h, ji);
        }
        arena_release(&a);
    }
    pthread_mutex_lock(&s->tmu);
    js->targets = next;
    js->n = nn;
    arena_release(&js->dropped_arena);
    free(js->dropped);
    js->dropped_arena = darena;
    js->dropped = dlist;
    js->ndropped = dropped;
    dropped = 0; /* a gauge: the sum over every job, not a count of syncs */
    for (size_t j = 0; j < s->njobs; j++)
        dropped += s->jobs[j].ndropped;
    __atomic_store_n(&s->stats.dropped_targets, dropped, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&s->tmu);
    /* Out of the readers' sight now: retire without holding the lock. */
    for (size_t i = 0; i < nold; i++)
        if (!old[i]->seen)
            target_retire(s, old[i]);
    free(old);
}

/* A new configuration: move targets of jobs that stay, retire the rest. */
static void swap_config(struct scrapeloop *s, struct promcfg *cfg)
{
    struct job_state *jobs = xcalloc(cfg->njobs + 1, sizeof(*jobs)), *old = s->jobs;
    size_t nold = s->njobs;
    struct promcfg *oldcfg = s->cfg;
    char *gone = xcalloc(nold + 1, 1);

    sd_free(s->sd);
    s->sd = NULL;
    for (size_t i = 0; i < nold; i++) {
        const struct promcfg_job *nj = promcfg_job(cfg, oldcfg->jobs[i].job_name);
        if (nj) {
            jobs[nj - cfg->jobs] = old[i];
            jobs[nj - cfg->jobs].sd_gen = 0;
            /* Its honor_labels or metric_relabel_configs may have changed. */
            for (size_t k = 0; k < old[i].n; k++)
                scrapeappend_invalidate(&old[i].targets[k]->st);
        } else {
            gone[i] = 1;
        }
    }
    for (size_t i = 0; i < cfg->njobs; i++)
        if (!jobs[i].dropped)
            arena_init(&jobs[i].dropped_arena);
    pthread_mutex_lock(&s->tmu);
    s->jobs = jobs;
    s->njobs = cfg->njobs;
    s->cfg = cfg;
    pthread_mutex_unlock(&s->tmu);
    for (size_t i = 0; i < nold; i++) {
        if (!gone[i])
            continue;
        for (size_t k = 0; k < old[i].n; k++)
            target_retire(s, old[i].targets[k]);
        free(old[i].targets);
        arena_release(&old[i].dropped_arena);
        free(old[i].dropped);
    }
    free(gone);
    free(old);
    if (oldcfg) {
        promcfg_release(oldcfg);
        free(oldcfg);
    }
    s->sd = sd_new(cfg, s->dns_server, wake, s);
    sd_start(s->sd);
}

static void start_scrape(struct scrapeloop *s, struct target *t, int64_t now)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    t->start_ms = now;
    t->start_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    t->start_mono = monotime_s();
    t->exceeded = 0;
    strbuf_reset(&t->body);
    t->inflight = 1;
    curl_multi_add_handle(s->multi, t->easy);
}

/* A failed request worded as Go's http.Client words it (goerror.h). */
static void request_error(struct target *t, CURLcode res, long status, char *err, size_t n)
{
    const char *ip = NULL;
    long port = 0;
    if (res == CURLE_COULDNT_CONNECT) {
        curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_IP, &ip);
        curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_PORT, &port);
    }
    goerror_request(err, n, res, status, t->info.url, ip, port,
                    labels_get(&t->info.all, "__address__"));
}

/* Make a finished scrape's outcome and metadata visible to scrapeloop_snapshot(). */
static void publish(struct scrapeloop *s, struct target *t, const char *err, double dur)
{
    struct arena old, na;
    struct metacache_item *items = NULL;
    size_t n = 0;
    int changed = t->st.meta.changed;

    if (changed) {
        arena_init(&na);
        items = metacache_copy(&t->st.meta, &na, &n);
    }
    pthread_mutex_lock(&s->tmu);
    snprintf(t->last_error, sizeof(t->last_error), "%s", err);
    t->last_scrape_ns = t->start_ns;
    t->last_duration = dur;
    t->health = *err ? SCRAPELOOP_DOWN : SCRAPELOOP_UP;
    if (changed) {
        old = t->meta_arena;
        t->meta_arena = na;
        t->meta = items;
        t->nmeta = n;
    }
    pthread_mutex_unlock(&s->tmu);
    if (changed)
        arena_release(&old);
}

static void finish_scrape(struct scrapeloop *s, struct target *t, CURLcode res)
{
    const struct promcfg_job *jc = &s->cfg->jobs[t->job];
    struct scrapeappend_result r;
    char err[400] = "";
    long status = 0;
    const char *ctype = NULL;
    double dur;

    curl_multi_remove_handle(s->multi, t->easy);
    t->inflight = 0;
    memset(&r, 0, sizeof(r));
    if (res != CURLE_OK) {
        if (t->exceeded) {
            stat_add(&s->stats.exceeded_body_size_limit, 1);
            snprintf(err, sizeof(err), "body size limit exceeded");
        } else {
            request_error(t, res, 0, err, sizeof(err));
        }
    } else {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ctype);
        if (status != 200)
            request_error(t, res, status, err, sizeof(err));
    }
    stat_add(&s->stats.scrapes, 1);
    if (!*err) {
        if (scrapeappend_body(&t->st, jc, &t->info.public, t->body.buf, t->body.len,
                              expo_format_from_content_type(ctype), t->start_ms, s->app, &r) < 0) {
            s->app->rollback(s->app);
            if (!strcmp(r.err, "sample limit exceeded"))
                stat_add(&s->stats.exceeded_sample_limit, 1);
            snprintf(err, sizeof(err), "%s", r.err);
        }
        stat_add(&s->stats.sample_duplicate_timestamp, r.duplicates ? 1 : 0);
        stat_add(&s->stats.samples_appended, r.added);
    }
    if (*err) {
        stat_add(&s->stats.scrape_failures, 1);
        scrapeappend_stale(&t->st, t->start_ms, s->app);
        log_debug("component=\"scrape manager\" scrape_pool=%s target=%s "
                  "msg=\"Scrape failed\" err=\"%s\"",
                  jc->job_name, t->info.url, err);
    }
    dur = monotime_s() - t->start_mono;
    scrapeappend_report(&t->info.public, t->start_ms, !*err, dur, &r, s->app);
    s->app->commit(s->app);
    metacache_iter_done(&t->st.meta, !*err);
    publish(s, t, err, dur);
    t->scraped = 1;
    t->last_ms = t->start_ms;
    /*
     * Give the body back: targets are scraped at spread phases, so few bodies
     * are in flight at once and the allocator reuses the same memory, where
     * one buffer kept per target would hold every target's page at once.
     */
    strbuf_release(&t->body);
    strbuf_init(&t->body, STRBUF_NOCAP);
}

static int64_t run_due(struct scrapeloop *s)
{
    int64_t now = wall_ms(), wait = 1000;
    uint64_t ntargets = 0;

    for (size_t j = 0; j < s->njobs; j++) {
        for (size_t i = 0; i < s->jobs[j].n; i++) {
            struct target *t = s->jobs[j].targets[i];
            int64_t iv = t->info.interval_ms;
            ntargets++;
            if (now >= t->next_ms) {
                if (!t->inflight)
                    start_scrape(s, t, now);
                /* The next slot on the same phase, skipping any that were missed. */
                t->next_ms += iv * ((now - t->next_ms) / iv + 1);
            }
            if (t->next_ms - now < wait)
                wait = t->next_ms - now;
        }
    }
    __atomic_store_n(&s->stats.targets, ntargets, __ATOMIC_RELAXED);
    if (ntargets + 8 > s->maxconnects) {
        /*
         * One idle connection per target, as Prometheus's per-target HTTP
         * clients keep theirs. libcurl's default cache holds 4 per easy
         * handle in the multi, and a target's handle is only there while it
         * is scraped, so with spread phases connections were closed and
         * reopened on nearly every scrape.
         */
        s->maxconnects = ntargets + 8;
        curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->maxconnects);
    }
    return wait < 0 ? 0 : wait;
}

static void *loop_thread(void *arg)
{
    struct scrapeloop *s = arg;

    for (;;) {
        struct promcfg *pending;
        int running = 0, left;
        CURLMsg *msg;
        int64_t wait;

        pthread_mutex_lock(&s->mu);
        pending = s->pending;
        s->pending = NULL;
        if (s->stop) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        pthread_mutex_unlock(&s->mu);
        if (pending) {
            swap_config(s, pending);
            stat_add(&s->stats.reloads, 1);
        }
        for (size_t j = 0; j < s->njobs && s->sd; j++) {
            struct sd_targets *found = sd_take(s->sd, j, &s->jobs[j].sd_gen);
            if (found) {
                sync_job(s, j, found);
                sd_targets_free(found);
            }
        }
        if (s->cfg)
            __atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
        wait = run_due(s);
        curl_multi_perform(s->multi, &running);
        while ((msg = curl_multi_info_read(s->multi, &left))) {
            struct target *t = NULL;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            finish_scrape(s, t, msg->data.result);
        }
        if (running && wait > 50)
            wait = 50; /* curl's own timers are checked by perform */
        curl_multi_poll(s->multi, NULL, 0, (int)wait, NULL);
    }
    return NULL;
}

struct scrapeloop *scrapeloop_new(struct appender *app, const char *dns_server)
{
    struct scrapeloop *s = xcalloc(1, sizeof(*s));

    s->app = app;
    s->dns_server = dns_server ? xstrdup(dns_server) : NULL;
    s->multi = curl_multi_init();
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->tmu, NULL);
    return s;
}

void scrapeloop_keep_metadata(struct scrapeloop *s, int keep)
{
    s->skip_metadata = !keep;
}

void scrapeloop_apply(struct scrapeloop *s, struct promcfg *cfg)
{
    pthread_mutex_lock(&s->mu);
    if (s->pending) {
        promcfg_release(s->pending);
        free(s->pending);
    }
    s->pending = cfg;
    pthread_mutex_unlock(&s->mu);
    curl_multi_wakeup(s->multi);
}

int scrapeloop_start(struct scrapeloop *s, struct diag *d)
{
    if (pthread_create(&s->thread, NULL, loop_thread, s) != 0) {
        diag_error(d, NULL, "cannot start the scrape thread");
        return -1;
    }
    s->running = 1;
    return 0;
}

void scrapeloop_stop(struct scrapeloop *s)
{
    if (!s->running)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_mutex_unlock(&s->mu);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    s->running = 0;
}

void scrapeloop_free(struct scrapeloop *s)
{
    if (!s)
        return;
    scrapeloop_stop(s);
    sd_free(s->sd);
    for (size_t j = 0; j < s->njobs; j++) {
        for (size_t i = 0; i < s->jobs[j].n; i++) {
            struct target *t = s->jobs[j].targets[i];
            if (t->inflight)
                curl_multi_remove_handle(s->multi, t->easy);
            target_free(t);
        }
        free(s->jobs[j].targets);
        arena_release(&s->jobs[j].dropped_arena);
        free(s->jobs[j].dropped);
    }
    free(s->jobs);
    if (s->cfg) {
        promcfg_release(s->cfg);
        free(s->cfg);
    }
    if (s->pending) {
        promcfg_release(s->pending);
        free(s->pending);
    }
    curl_multi_cleanup(s->multi);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->tmu);
    free(s->dns_server);
    free(s);
}

void scrapeloop_get_stats(struct scrapeloop *s, struct scrapeloop_stats *out)
{
    __atomic_load(&s->stats.scrapes, &out->scrapes, __ATOMIC_RELAXED);
    *out = s->stats; /* counters only grow; a torn read is off by one scrape at most */
}

int scrapeloop_ready(struct scrapeloop *s)
{
    return __atomic_load_n(&s->ready, __ATOMIC_ACQUIRE);
}

static int cmp_pool(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

static void copy_target(struct arena *a, const char *pool, const struct target *t, int meta,
                        struct scrapeloop_target *o)
{
    const char *iv = labels_get(&t->info.all, "__scrape_interval__");
    const char *to = labels_get(&t->info.all, "__scrape_timeout__");
    o->pool = pool;
    o->discovered = labels_dup(a, &t->info.discovered);
    o->labels = labels_dup(a, &t->info.public);
    o->url = arena_strdup(a, t->info.url);
    o->interval = arena_strdup(a, iv ? iv : "");
    o->timeout = arena_strdup(a, to ? to : "");
    o->last_error = arena_strdup(a, t->last_error);
    o->last_scrape_ns = t->last_scrape_ns;
    o->last_duration = t->last_duration;
    o->health = t->health;
    if (meta) {
        struct metacache_item *m = arena_alloc(a, (t->nmeta + 1) * sizeof(*m));
        for (size_t i = 0; i < t->nmeta; i++) {
            m[i].metric = arena_strdup(a, t->meta[i].metric);
            m[i].help = arena_strdup(a, t->meta[i].help);
            m[i].unit = arena_strdup(a, t->meta[i].unit);
            m[i].type = t->meta[i].type;
        }
        o->meta = m;
        o->nmeta = t->nmeta;
    }
}

void scrapeloop_snapshot(struct scrapeloop *s, unsigned what, struct scrapeloop_snapshot *out)
{
    struct arena *a = &out->arena;
    size_t na = 0, nd = 0;

    memset(out, 0, sizeof(*out));
    arena_init(a);
    pthread_mutex_lock(&s->tmu);
    out->pools = arena_alloc(a, (s->njobs + 1) * sizeof(*out->pools));
    for (size_t j = 0; j < s->njobs; j++) {
        out->pools[j] = arena_strdup(a, s->cfg->jobs[j].job_name);
        na += s->jobs[j].n;
        nd += s->jobs[j].ndropped;
    }
    out->npools = s->njobs;
    qsort(out->pools, out->npools, sizeof(*out->pools), cmp_pool);
    out->active = arena_alloc(a, (na + 1) * sizeof(*out->active));
    out->dropped = arena_alloc(a, (nd + 1) * sizeof(*out->dropped));
    for (size_t p = 0; p < out->npools; p++) {
        const struct promcfg_job *jc = promcfg_job(s->cfg, out->pools[p]);
        const struct job_state *js = &s->jobs[jc - s->cfg->jobs];
        if (what & SCRAPELOOP_SNAP_ACTIVE)
            for (size_t i = 0; i < js->n; i++)
                copy_target(a, out->pools[p], js->targets[i], !!(what & SCRAPELOOP_SNAP_META),
                            &out->active[out->nactive++]);
        if (what & SCRAPELOOP_SNAP_DROPPED)
            for (size_t i = 0; i < js->ndropped; i++) {
                struct scrapeloop_dropped *d = &out->dropped[out->ndropped++];
                d->pool = out->pools[p];
                d->discovered = labels_dup(a, &js->dropped[i]);
            }
    }
    pthread_mutex_unlock(&s->tmu);
}

void scrapeloop_snapshot_release(struct scrapeloop_snapshot *snap)
{
    arena_release(&snap->arena);
    memset(snap, 0, sizeof(*snap));
}
