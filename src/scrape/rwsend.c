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
#include "core/monotime.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "metrics/remotewrite.h"
#include "metrics/sample.h"
#include "scrape/relabel.h"
#include "scrape/seriesset.h"

/*
 * A queued sample is its WriteRequest.timeseries record, already encoded
 * (remotewrite_put_series): a batch's body is the concatenation of its
 * records. The records of one commit share one block (a chunk): one
 * allocation per scrape instead of one per sample. The chunk is freed when
 * the last queued sample pointing into it is sent.
 */
struct qchunk {
    uint64_t refs; /* atomic */
    char data[];
};

struct qentry {
    struct qchunk *chunk; /* counted reference */
    uint32_t off, len;    /* the record in chunk->data */
    int64_t t;
};

static void qentry_release(struct qentry *e)
{
    if (e->chunk && __atomic_sub_fetch(&e->chunk->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(e->chunk);
    e->chunk = NULL;
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
    struct strbuf pb; /* the shard's protobuf buffer for a batch */

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
    strbuf_init(&w->pb, STRBUF_NOCAP);
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
        w->oldest_ms = monotime_ms();
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
    struct strbuf *pb = &w->pb, body = STRBUF_INIT;
    struct diag d;
    int64_t backoff = w->min_backoff_ms, hi = INT64_MIN;
    struct http_header hdrs[40];
    size_t nh = 0;

    strbuf_reset(pb);
    for (size_t i = 0; i < n; i++) {
        strbuf_add(pb, b[i].chunk->data + b[i].off, b[i].len);
        if (b[i].t > hi)
            hi = b[i].t;
    }
    diag_init(&d);
    if (remotewrite_compress(pb->buf, pb->len, &body, &d) < 0) {
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
        if (!retry || (w->stop && monotime_ms() + wait > w->flush_until)) {
            w->stats.failed += n;
            pthread_mutex_unlock(&w->mu);
            break;
        }
        w->stats.retried += n;
        pthread_mutex_unlock(&w->mu);
        monotime_sleep_ms(wait);
        backoff = backoff * 2 > w->max_backoff_ms ? w->max_backoff_ms : backoff * 2;
    }
out:
    for (size_t i = 3 + (w->auth != NULL); i < nh; i++)
        free((void *)hdrs[i].name);
    strbuf_release(&body);
    diag_release(&d);
    /* Keep the buffer for the next batch unless one was unusually large. */
    if (pb->alloc > (8u << 20))
        strbuf_release(pb);
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
        int64_t now = monotime_ms();
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
        w->oldest_ms = monotime_ms();
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
        w->flush_until = monotime_ms() + flush_ms;
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
    strbuf_release(&w->pb);
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

/*
 * The record (remotewrite_put_series) as this sender writes it: relabeled,
 * external labels added, appended to out. 0 when relabeling drops it.
 */
static int transform(struct rwsend *w, const char *rec, size_t len, int64_t t, double v,
                     struct strbuf *lab, struct strbuf *out)
{
    struct labels_builder b;
    struct arena a;
    struct labels ls;
    struct label *arr;
    int n, keep = 1;

    labels_builder_init(&b);
    arena_init(&a);
    arr = arena_alloc(&a, (len / 2 + 1) * sizeof(*arr));
    n = remotewrite_record_labels(rec, len, arr, len / 2 + 1, &a);
    ls = (struct labels){arr, n < 0 ? 0 : (size_t)n};
    labels_builder_reset(&b, &ls);
    if (w->nrelabel)
        keep = relabel_process(&b, w->relabel, w->nrelabel, &a);
    for (size_t i = 0; keep && i < w->external.n; i++)
        if (!*relabel_builder_get(&b, w->external.v[i].name))
            labels_builder_set(&b, w->external.v[i].name, w->external.v[i].value);
    if (n >= 0 && keep && labels_builder_finish(&b, &ls, NULL) == 0 && ls.n) {
        strbuf_reset(lab);
        remotewrite_put_labels(lab, &ls);
        remotewrite_put_series(out, lab->buf, lab->len, t, v);
    } else {
        keep = 0;
    }
    labels_builder_release(&b);
    arena_release(&a);
    return keep;
}

/* ---- fan-out appender ---- */

struct staged {
    size_t off, len; /* the record in the staging buffer */
    int64_t t;
    double v;
};

struct rwsend_fanout {
    struct appender app; /* first: the appender callbacks get this pointer */
    pthread_mutex_t mu;
    struct rwsend **w;
    size_t n;
    struct strbuf buf; /* the records of the staged samples */
    struct strbuf lab; /* scratch: one label set, encoded */
    struct staged *staged;
    size_t nstaged, astaged;
};

static void stage(struct rwsend_fanout *f, const void *labels, size_t len, int64_t t, double v)
{
    size_t off = f->buf.len;

    remotewrite_put_series(&f->buf, labels, len, t, v);
    XGROW(f->staged, f->astaged, f->nstaged + 1);
    f->staged[f->nstaged++] = (struct staged){off, f->buf.len - off, t, v};
}

static int fan_append(struct appender *app, const struct labels *ls, int64_t t, double v)
{
    struct rwsend_fanout *f = (struct rwsend_fanout *)app;

    strbuf_reset(&f->lab);
    remotewrite_put_labels(&f->lab, ls);
    stage(f, f->lab.buf, f->lab.len, t, v);
    return 0;
}

static int fan_append_encoded(struct appender *app, const struct labels *ls, const void *enc,
                              size_t len, int64_t t, double v)
{
    (void)ls;
    stage((struct rwsend_fanout *)app, enc, len, t, v);
    return 0;
}

static void fan_rollback(struct appender *app)
{
    struct rwsend_fanout *f = (struct rwsend_fanout *)app;

    strbuf_reset(&f->buf);
    f->nstaged = 0;
}

static struct qchunk *chunk_of(const struct strbuf *sb)
{
    struct qchunk *c = xmalloc(sizeof(*c) + sb->len);

    memcpy(c->data, sb->buf, sb->len);
    c->refs = 1; /* ours, until every queue has its references */
    return c;
}

static void chunk_unref(struct qchunk *c)
{
    if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(c);
}

/* Queue the records of chunk c at the staged offsets; wake the shard when a batch is full. */
static void push_all(struct rwsend *w, struct qchunk *c, const struct staged *st, size_t n)
{
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < n; i++) {
        struct qentry e = {c, (uint32_t)st[i].off, (uint32_t)st[i].len, st[i].t};
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
        q_push(w, e);
    }
    if (w->qlen >= w->max_per_send)
        pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* A sender with write_relabel_configs or external labels: its own records. */
static void push_transformed(struct rwsend_fanout *f, struct rwsend *w)
{
    struct strbuf tb = STRBUF_INIT;
    struct staged *st = xmalloc((f->nstaged + 1) * sizeof(*st));
    struct qchunk *c;
    size_t n = 0;

    for (size_t i = 0; i < f->nstaged; i++) {
        size_t off = tb.len;
        if (transform(w, f->buf.buf + f->staged[i].off, f->staged[i].len, f->staged[i].t,
                      f->staged[i].v, &f->lab, &tb))
            st[n++] = (struct staged){off, tb.len - off, f->staged[i].t, 0};
    }
    if (n) {
        c = chunk_of(&tb);
        push_all(w, c, st, n);
        chunk_unref(c);
    }
    free(st);
    strbuf_release(&tb);
}

static int fan_commit(struct appender *app)
{
    struct rwsend_fanout *f = (struct rwsend_fanout *)app;
    struct qchunk *chunk;

    if (!f->nstaged)
        return 0;
    chunk = chunk_of(&f->buf);
    pthread_mutex_lock(&f->mu);
    for (size_t k = 0; k < f->n; k++) {
        struct rwsend *w = f->w[k];
        if (!w->nrelabel && !w->external.n)
            push_all(w, chunk, f->staged, f->nstaged);
        else
            push_transformed(f, w);
    }
    pthread_mutex_unlock(&f->mu);
    chunk_unref(chunk);
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
    f->app.append_encoded = fan_append_encoded;
    strbuf_init(&f->buf, STRBUF_NOCAP);
    strbuf_init(&f->lab, STRBUF_NOCAP);
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
    strbuf_release(&f->lab);
    free(f->staged);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
