/*
 * Remote-write queues, shard threads and the fan-out appender
 * (Prometheus 2.42 storage/remote/queue_manager.go, with one shard).
 */
#include "scrape/rwsend.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/http.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "metrics/remotewrite.h"
#include "metrics/sample.h"
#include "scrape/relabel.h"
#include "scrape/seriesset.h"

/*
 * The samples of one commit share one block (a chunk) holding every label
 * array and string: one allocation per scrape instead of one per sample. The
 * chunk is freed when the last queued sample pointing into it is sent.
 */
struct qchunk {
    uint64_t refs; /* atomic; 8 bytes so data is aligned for the label arrays */
    char data[];
};

struct qentry {
    struct labels ls;     /* in chunk, or an owned block (seriesset_copy) when chunk is NULL */
    struct qchunk *chunk; /* counted reference */
    int64_t t;
    double v;
};

static void qentry_release(struct qentry *e)
{
    if (e->chunk) {
        if (__atomic_sub_fetch(&e->chunk->refs, 1, __ATOMIC_ACQ_REL) == 0)
            free(e->chunk);
    } else {
        free((void *)e->ls.v);
    }
    e->chunk = NULL;
    e->ls.v = NULL;
}

struct rwsend {
    const struct promcfg_rw *cfg; /* strings below are copies; cfg is only read in rwsend_new */
    char *url, *name, *auth;      /* auth: "Authorization: Basic ..." (never logged) */
    char **headers;
    size_t nheaders;
    struct relabel_rule *relabel; /* borrowed from the configuration, which outlives us */
    size_t nrelabel;
    struct labels external; /* owned block */
    uint64_t max_queue, max_per_send;
    int64_t deadline_ms, min_backoff_ms, max_backoff_ms, timeout_ms;
    int retry_429;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int running, stop;
    int64_t flush_until; /* monotonic ms; while stopping, give up after this */
    struct qentry *q;    /* ring */
    size_t qcap, qhead, qlen;
    int64_t oldest_ms; /* monotonic ms when the queue last went from empty to not */
    struct rwsend_stats stats;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

const char *rwsend_name(const struct rwsend *w)
{
    return w->name;
}

const char *rwsend_url(const struct rwsend *w)
{
    return w->url;
}

static char *basic_auth(const char *user, const char *pass)
{
    struct strbuf raw = STRBUF_INIT;
    unsigned char *enc;
    char *out;

    strbuf_addf(&raw, "%s:%s", user ? user : "", pass ? pass : "");
    enc = xmalloc(4 * (raw.len / 3 + 2) + 1);
    EVP_EncodeBlock(enc, (const unsigned char *)raw.buf, (int)raw.len);
    out = xmalloc(strlen((char *)enc) + 32);
    sprintf(out, "Authorization: Basic %s", (char *)enc);
    strbuf_wipe(&raw);
    free(enc);
    return out;
}

struct rwsend *rwsend_new(const struct promcfg_rw *cfg, const struct labels *external,
                          struct diag *d)
{
    struct rwsend *w = xcalloc(1, sizeof(*w));

    w->url = xstrdup(cfg->url);
    w->name = xstrdup(cfg->name);
    if (cfg->username || cfg->password || cfg->password_file) {
        const char *pass = cfg->password;
        struct strbuf pf = STRBUF_INIT;
        if (cfg->password_file) {
            pf.cap = 4096;
            if (strbuf_read_file(&pf, cfg->password_file) < 0) {
                diag_error(d, NULL, "remote_write %s: cannot read password_file %s: %s", w->name,
                           cfg->password_file, strerror(errno));
                strbuf_release(&pf);
                rwsend_free(w, 0);
                return NULL;
            }
            strbuf_trim(&pf);
            pass = pf.buf;
        }
        w->auth = basic_auth(cfg->username, pass);
        strbuf_wipe(&pf);
    }
    w->headers = xcalloc(cfg->nheaders + 1, sizeof(char *));
    for (size_t i = 0; i < cfg->nheaders; i++) {
        size_t n = strlen(cfg->headers[i].name) + strlen(cfg->headers[i].value) + 3;
        w->headers[i] = xmalloc(n);
        snprintf(w->headers[i], n, "%s: %s", cfg->headers[i].name, cfg->headers[i].value);
    }
    w->nheaders = cfg->nheaders;
    w->relabel = cfg->relabel;
    w->nrelabel = cfg->nrelabel;
    w->external = seriesset_copy(external);
    w->max_queue = cfg->capacity * (cfg->max_shards ? cfg->max_shards : 1);
    w->max_per_send = cfg->max_samples_per_send;
    w->deadline_ms = cfg->batch_send_deadline_ms;
    w->min_backoff_ms = cfg->min_backoff_ms ? cfg->min_backoff_ms : 1;
    w->max_backoff_ms = cfg->max_backoff_ms;
    w->timeout_ms = cfg->remote_timeout_ms;
    w->retry_429 = cfg->retry_on_429;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    return w;
}

/* ---- queue (callers hold w->mu) ---- */

static void q_push(struct rwsend *w, struct qentry e)
{
    if (w->qlen >= w->max_queue) {
        w->stats.dropped++;
        qentry_release(&e);
        return;
    }
    if (w->qlen == w->qcap) {
        size_t ncap = w->qcap ? w->qcap * 2 : 1024;
        struct qentry *nq = xmalloc(ncap * sizeof(*nq));
        for (size_t i = 0; i < w->qlen; i++)
            nq[i] = w->q[(w->qhead + i) % w->qcap];
        free(w->q);
        w->q = nq;
        w->qcap = ncap;
        w->qhead = 0;
    }
    if (w->qlen == 0)
        w->oldest_ms = mono_ms();
    w->q[(w->qhead + w->qlen) % w->qcap] = e;
    w->qlen++;
}

/* ---- sending ---- */

static int64_t retry_after_ms(const struct http_response *resp)
{
    const char *ra = http_response_header(resp, "retry-after");
    char *end;
    long v;

    if (!ra)
        return -1;
    v = strtol(ra, &end, 10);
    if (end != ra && !*end && v >= 0)
        return v * 1000;
    return -1; /* an HTTP date: fall back to the backoff */
}

/* Send one batch until it is acknowledged, refused, or we are told to give up. */
static void send_batch(struct rwsend *w, struct http_client *c, struct qentry *b, size_t n)
{
    struct remotewrite_series *ser = xcalloc(n + 1, sizeof(*ser));
    struct sample *smp = xcalloc(n + 1, sizeof(*smp));
    struct remotewrite_request req = {ser, n, NULL, 0};
    struct strbuf body = STRBUF_INIT;
    struct diag d;
    int64_t backoff = w->min_backoff_ms, hi = INT64_MIN;
    struct http_header hdrs[40];
    size_t nh = 0;

    for (size_t i = 0; i < n; i++) {
        smp[i] = (struct sample){b[i].t, b[i].v};
        ser[i] = (struct remotewrite_series){b[i].ls, &smp[i], 1, NULL, 0};
        if (b[i].t > hi)
            hi = b[i].t;
    }
    diag_init(&d);
    if (remotewrite_encode(&req, &body, &d) < 0) {
        log_error("component=remote remote_name=%s msg=\"cannot encode\" err=\"%s\"", w->name,
                  diag_last(&d));
        pthread_mutex_lock(&w->mu);
        w->stats.failed += n;
        pthread_mutex_unlock(&w->mu);
        goto out;
    }
    hdrs[nh++] = (struct http_header){"Content-Encoding", REMOTEWRITE_CONTENT_ENCODING};
    hdrs[nh++] = (struct http_header){"Content-Type", REMOTEWRITE_CONTENT_TYPE};
    hdrs[nh++] = (struct http_header){REMOTEWRITE_VERSION_HEADER, REMOTEWRITE_VERSION};
    if (w->auth)
        hdrs[nh++] = (struct http_header){"Authorization", w->auth + strlen("Authorization: ")};
    for (size_t i = 0; i < w->nheaders && nh < 40; i++) {
        const char *colon = strchr(w->headers[i], ':');
        hdrs[nh].name = xstrndup(w->headers[i], (size_t)(colon - w->headers[i]));
        hdrs[nh++].value = colon + 2;
    }
    for (;;) {
        struct http_request hr = {
            "POST", w->url, hdrs, nh, body.buf, body.len, (long)w->timeout_ms};
        struct http_response resp;
        enum http_result r;
        int retry = 0;
        int64_t wait = backoff;

        http_response_init(&resp);
        diag_clear(&d);
        r = http_send(c, &hr, &resp, &d);
        if (r == HTTP_OK && resp.status / 100 == 2) {
            pthread_mutex_lock(&w->mu);
            w->stats.sent += n;
            w->stats.bytes += body.len;
            w->stats.batches++;
            if (hi > w->stats.highest_sent_ms)
                w->stats.highest_sent_ms = hi;
            pthread_mutex_unlock(&w->mu);
            http_response_release(&resp);
            break;
        }
        if (r != HTTP_OK) {
            retry = http_result_transient(r);
            log_warn("component=remote remote_name=%s url=%s msg=\"Failed to send "
                     "batch, retrying\" err=\"%s\"",
                     w->name, w->url, diag_last(&d));
        } else {
            retry = resp.status / 100 == 5 || (resp.status == 429 && w->retry_429);
            int64_t ra = retry_after_ms(&resp);
            if (retry && ra >= 0)
                wait = ra;
            log_warn("component=remote remote_name=%s url=%s msg=\"%s\" status=%ld", w->name,
                     w->url, retry ? "Failed to send batch, retrying" : "non-recoverable error",
                     resp.status);
        }
        http_response_release(&resp);
        pthread_mutex_lock(&w->mu);
        if (!retry || (w->stop && mono_ms() + wait > w->flush_until)) {
            w->stats.failed += n;
            pthread_mutex_unlock(&w->mu);
            break;
        }
        w->stats.retried += n;
        pthread_mutex_unlock(&w->mu);
        sleep_ms(wait);
        backoff = backoff * 2 > w->max_backoff_ms ? w->max_backoff_ms : backoff * 2;
    }
out:
    for (size_t i = 3 + (w->auth != NULL); i < nh; i++)
        free((void *)hdrs[i].name);
    strbuf_release(&body);
    diag_release(&d);
    free(ser);
    free(smp);
}

static void *shard_thread(void *arg)
{
    struct rwsend *w = arg;
    struct http_options ho = {0};
    struct http_client *c;
    struct qentry *batch = xcalloc(w->max_per_send + 1, sizeof(*batch));

    ho.timeout_ms = (long)w->timeout_ms;
    ho.max_body = 1 << 20;
    ho.user_agent = "cairn-scrape/" CAIRN_VERSION;
    c = http_client_new(&ho);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        size_t n = 0;
        int64_t now = mono_ms();
        if (w->qlen == 0 && w->stop)
            break;
        if (w->qlen < w->max_per_send && !w->stop &&
            (w->qlen == 0 || now < w->oldest_ms + w->deadline_ms)) {
            struct timespec ts;
            int64_t wait = w->qlen ? w->oldest_ms + w->deadline_ms - now : 1000;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
            continue;
        }
        while (n < w->max_per_send && w->qlen) {
            batch[n++] = w->q[w->qhead];
            w->qhead = (w->qhead + 1) % w->qcap;
            w->qlen--;
        }
        w->oldest_ms = mono_ms();
        w->stats.pending = w->qlen + n;
        pthread_mutex_unlock(&w->mu);
        send_batch(w, c, batch, n);
        for (size_t i = 0; i < n; i++)
            qentry_release(&batch[i]);
        pthread_mutex_lock(&w->mu);
        w->stats.pending = w->qlen;
    }
    pthread_mutex_unlock(&w->mu);
    http_client_free(c);
    free(batch);
    return NULL;
}

int rwsend_start(struct rwsend *w, struct diag *d)
{
    if (pthread_create(&w->thread, NULL, shard_thread, w) != 0) {
        diag_error(d, NULL, "remote_write %s: cannot start the shard thread", w->name);
        return -1;
    }
    w->running = 1;
    return 0;
}

void rwsend_free(struct rwsend *w, long flush_ms)
{
    if (!w)
        return;
    if (w->running) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        w->flush_until = mono_ms() + flush_ms;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    for (size_t i = 0; i < w->qlen; i++)
        qentry_release(&w->q[(w->qhead + i) % w->qcap]);
    free(w->q);
    for (size_t i = 0; i < w->nheaders; i++)
        free(w->headers[i]);
    free(w->headers);
    if (w->auth) {
        memset(w->auth, 0, strlen(w->auth));
        free(w->auth);
    }
    free((void *)w->external.v);
    free(w->url);
    free(w->name);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

void rwsend_get_stats(struct rwsend *w, struct rwsend_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    out->pending = w->qlen;
    pthread_mutex_unlock(&w->mu);
}

/* The sample's labels as this sender writes them: relabeled, external labels added. */
static int transform(struct rwsend *w, const struct labels *in, struct labels *out)
{
    struct labels_builder b;
    struct arena a;
    struct labels ls;
    int keep = 1;

    if (!w->nrelabel && !w->external.n) {
        *out = seriesset_copy(in);
        return 1;
    }
    labels_builder_init(&b);
    arena_init(&a);
    labels_builder_reset(&b, in);
    if (w->nrelabel)
        keep = relabel_process(&b, w->relabel, w->nrelabel, &a);
    for (size_t i = 0; keep && i < w->external.n; i++)
        if (!*relabel_builder_get(&b, w->external.v[i].name))
            labels_builder_set(&b, w->external.v[i].name, w->external.v[i].value);
    if (keep && labels_builder_finish(&b, &ls, NULL) == 0 && ls.n)
        *out = seriesset_copy(&ls);
    else
        keep = 0;
    labels_builder_release(&b);
    arena_release(&a);
    return keep;
}

/* ---- fan-out appender ---- */

struct staged {
    size_t off, n; /* label array at off in the staging buffer, strings as offsets */
    int64_t t;
    double v;
};

struct rwsend_fanout {
    struct appender app; /* first: the appender callbacks get this pointer */
    pthread_mutex_t mu;
    struct rwsend **w;
    size_t n;
    struct strbuf buf; /* the labels of the staged samples, offsets instead of pointers */
    struct staged *staged;
    size_t nstaged, astaged;
};

static size_t stage_bytes(struct strbuf *b, const void *p, size_t n)
{
    size_t off = b->len;
    strbuf_add(b, p, n);
    return off;
}

static int fan_append(struct appender *app, const struct labels *ls, int64_t t, double v)
{
    struct rwsend_fanout *f = (struct rwsend_fanout *)app;
    size_t off, pad = (8 - f->buf.len % 8) % 8;
    struct label *arr;

    strbuf_add(&f->buf, "\0\0\0\0\0\0\0\0", pad);
    off = f->buf.len;
    for (size_t i = 0; i < ls->n; i++)
        strbuf_add(&f->buf, &(struct label){NULL, NULL}, sizeof(struct label));
    for (size_t i = 0; i < ls->n; i++) {
        size_t name = stage_bytes(&f->buf, ls->v[i].name, strlen(ls->v[i].name) + 1);
        size_t value = stage_bytes(&f->buf, ls->v[i].value, strlen(ls->v[i].value) + 1);
        arr = (struct label *)(f->buf.buf + off);
        arr[i].name = (const char *)(uintptr_t)name;
        arr[i].value = (const char *)(uintptr_t)value;
    }
    XGROW(f->staged, f->astaged, f->nstaged + 1);
    f->staged[f->nstaged++] = (struct staged){off, ls->n, t, v};
    return 0;
}

static void fan_rollback(struct appender *app)
{
    struct rwsend_fanout *f = (struct rwsend_fanout *)app;

    strbuf_reset(&f->buf);
    f->nstaged = 0;
}

static int fan_commit(struct appender *app)
{
    struct rwsend_fanout *f = (struct rwsend_fanout *)app;
    struct qchunk *chunk;

    if (!f->nstaged)
        return 0;
    chunk = xmalloc(sizeof(*chunk) + f->buf.len);
    memcpy(chunk->data, f->buf.buf, f->buf.len);
    chunk->refs = 1; /* ours, until every sender has its references */
    for (size_t i = 0; i < f->nstaged; i++) {
        struct label *arr = (struct label *)(chunk->data + f->staged[i].off);
        for (size_t k = 0; k < f->staged[i].n; k++) {
            arr[k].name = chunk->data + (uintptr_t)arr[k].name;
            arr[k].value = chunk->data + (uintptr_t)arr[k].value;
        }
    }
    pthread_mutex_lock(&f->mu);
    for (size_t k = 0; k < f->n; k++) {
        struct rwsend *w = f->w[k];
        int shared = !w->nrelabel && !w->external.n;
        pthread_mutex_lock(&w->mu);
        for (size_t i = 0; i < f->nstaged; i++) {
            struct labels ls = {(struct label *)(chunk->data + f->staged[i].off), f->staged[i].n};
            struct qentry e = {ls, NULL, f->staged[i].t, f->staged[i].v};
            if (shared) {
                e.chunk = chunk;
                __atomic_add_fetch(&chunk->refs, 1, __ATOMIC_RELAXED);
            } else if (!transform(w, &ls, &e.ls)) {
                continue;
            }
            q_push(w, e);
        }
        if (w->qlen >= w->max_per_send)
            pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    pthread_mutex_unlock(&f->mu);
    if (__atomic_sub_fetch(&chunk->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(chunk);
    fan_rollback(app);
    /* A very large scrape should not pin its staging memory forever. */
    if (f->buf.alloc > (64u << 20)) {
        strbuf_release(&f->buf);
        strbuf_init(&f->buf, STRBUF_NOCAP);
    }
    return 0;
}

struct rwsend_fanout *rwsend_fanout_new(void)
{
    struct rwsend_fanout *f = xcalloc(1, sizeof(*f));

    f->app.append = fan_append;
    f->app.commit = fan_commit;
    f->app.rollback = fan_rollback;
    strbuf_init(&f->buf, STRBUF_NOCAP);
    pthread_mutex_init(&f->mu, NULL);
    return f;
}

struct appender *rwsend_fanout_appender(struct rwsend_fanout *f)
{
    return &f->app;
}

void rwsend_fanout_set(struct rwsend_fanout *f, struct rwsend **w, size_t n, struct rwsend ***old,
                       size_t *nold)
{
    pthread_mutex_lock(&f->mu);
    *old = f->w;
    *nold = f->n;
    f->w = w;
    f->n = n;
    pthread_mutex_unlock(&f->mu);
}

void rwsend_fanout_each(struct rwsend_fanout *f, void (*fn)(struct rwsend *w, void *arg), void *arg)
{
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->n; i++)
        fn(f->w[i], arg);
    pthread_mutex_unlock(&f->mu);
}

void rwsend_fanout_free(struct rwsend_fanout *f, long flush_ms)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        rwsend_free(f->w[i], flush_ms);
    free(f->w);
    fan_rollback(&f->app);
    strbuf_release(&f->buf);
    free(f->staged);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
