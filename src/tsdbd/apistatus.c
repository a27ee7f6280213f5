#define _XOPEN_SOURCE 700
/*
 * apistatus: cairn-tsdb's status endpoints as Prometheus 2.42 serves them:
 * /api/v1/status/{buildinfo,flags,config,tsdb}, the empty rules and alerts
 * lists, /-/healthy, /-/ready, and /metrics with the prometheus_tsdb_* and
 * process_* series that Prometheus's own dashboards read (text format 0.0.4).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "tsdbd/flags.h"
#include "tsdbd/gofmt.h"
#include "tsdbd/scraper.h"
#include "tsdbd/tsdbd.h"

void tsdbd_h_buildinfo(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    tsdbd_ok_raw(resp, "{\"version\":\"2.42.0\",\"revision\":\"cairn-tsdb-" CAIRN_VERSION
                       "\",\"branch\":\"cairn\",\"buildUser\":\"cairn\",\"buildDate\":\"\","
                       "\"goVersion\":\"none (C11)\"}");
}

void tsdbd_h_flags(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct strbuf *b = tsdbd_ok_begin(resp);
    /* Go marshals a map with sorted keys. */
    size_t idx[64], n = flags_count;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t k = i;
             k > 0 && strcmp(flags_table[idx[k - 1]].name, flags_table[idx[k]].name) > 0; k--) {
            size_t x = idx[k];
            idx[k] = idx[k - 1];
            idx[k - 1] = x;
        }
    strbuf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addc(b, ',');
        gofmt_json_str(b, flags_table[idx[i]].name);
        strbuf_addc(b, ':');
        gofmt_json_str(b, flags_value(&t->flags, idx[i]));
    }
    strbuf_addc(b, '}');
    tsdbd_ok_end(b);
}

void tsdbd_h_config(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct strbuf *b = tsdbd_ok_begin(resp);
    strbuf_adds(b, "{\"yaml\":");
    pthread_mutex_lock(&t->config_lock);
    gofmt_json_str(b, t->config_text ? t->config_text : "");
    pthread_mutex_unlock(&t->config_lock);
    strbuf_addc(b, '}');
    tsdbd_ok_end(b);
}

void tsdbd_h_rules(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    tsdbd_ok_raw(resp, "{\"groups\":[]}");
}

void tsdbd_h_alerts(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    tsdbd_ok_raw(resp, "{\"alerts\":[]}");
}

struct stat_count {
    const char *name;
    uint64_t n;
};

static int cmp_stat(const void *a, const void *b)
{
    const struct stat_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void stat_list(struct strbuf *b, const char *key, struct stat_count *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_stat);
    strbuf_addf(b, "\"%s\":[", key);
    for (size_t i = 0; i < n && i < 10; i++) {
        if (i)
            strbuf_addc(b, ',');
        strbuf_adds(b, "{\"name\":");
        gofmt_json_str(b, v[i].name);
        strbuf_addf(b, ",\"value\":%" PRIu64 "}", v[i].n);
    }
    strbuf_addc(b, ']');
}

/* A tiny string → count table for the status page. */
struct counter_set {
    struct arena arena;
    struct stat_count *v;
    size_t n, alloc;
};

static void cs_add(struct counter_set *c, const char *name, uint64_t by)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].name, name)) {
            c->v[i].n += by;
            return;
        }
    xgrow((void **)&c->v, &c->alloc, c->n + 1, sizeof *c->v);
    c->v[c->n].name = arena_strdup(&c->arena, name);
    c->v[c->n++].n = by;
}

void tsdbd_h_status_tsdb(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct head *h = &t->db->head;
    struct counter_set by_metric, by_name_values, by_name_bytes, by_pair, names_seen;
    struct counter_set *all[] = {&by_metric, &by_name_values, &by_name_bytes, &by_pair,
                                 &names_seen};
    for (size_t i = 0; i < 5; i++) {
        memset(all[i], 0, sizeof *all[i]);
        arena_init(&all[i]->arena);
    }
    struct strbuf pair;
    strbuf_init(&pair, STRBUF_NOCAP);
    pthread_rwlock_rdlock(&h->lock);
    uint64_t nseries = h->nseries, chunks = h->chunks;
    int64_t mint = h->mint, maxt = h->maxt;
    for (size_t bk = 0; bk < h->nbuckets; bk++)
        for (struct head_series *s = h->by_hash[bk]; s; s = s->next_hash) {
            const char *mn = labels_get(&s->ls, "__name__");
            if (mn)
                cs_add(&by_metric, mn, 1);
            for (size_t k = 0; k < s->ls.n; k++) {
                strbuf_reset(&pair);
                strbuf_addf(&pair, "%s=%s", s->ls.v[k].name, s->ls.v[k].value);
                size_t before = by_pair.n;
                cs_add(&by_pair, pair.buf, 1);
                if (by_pair.n > before) {
                    cs_add(&by_name_values, s->ls.v[k].name, 1);
                    cs_add(&by_name_bytes, s->ls.v[k].name, strlen(s->ls.v[k].value));
                }
            }
        }
    pthread_rwlock_unlock(&h->lock);
    struct strbuf *b = tsdbd_ok_begin(resp);
    if (mint == INT64_MAX) {
        mint = INT64_MAX;
        maxt = INT64_MIN;
    }
    strbuf_addf(b,
                "{\"headStats\":{\"numSeries\":%" PRIu64
                ",\"numLabelPairs\":%zu,\"chunkCount\":%" PRIu64 ",\"minTime\":%" PRId64
                ",\"maxTime\":%" PRId64 "},",
                nseries, by_pair.n, chunks, mint, maxt);
    stat_list(b, "seriesCountByMetricName", by_metric.v, by_metric.n);
    strbuf_addc(b, ',');
    stat_list(b, "labelValueCountByLabelName", by_name_values.v, by_name_values.n);
    strbuf_addc(b, ',');
    stat_list(b, "memoryInBytesByLabelName", by_name_bytes.v, by_name_bytes.n);
    strbuf_addc(b, ',');
    stat_list(b, "seriesCountByLabelValuePair", by_pair.v, by_pair.n);
    strbuf_addc(b, '}');
    tsdbd_ok_end(b);
    for (size_t i = 0; i < 5; i++) {
        free(all[i]->v);
        arena_release(&all[i]->arena);
    }
    strbuf_release(&pair);
}

void tsdbd_h_healthy(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    httpd_resp_text(resp, 200, "text/plain; charset=utf-8", "Prometheus Server is Healthy.\n");
}

void tsdbd_h_ready(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    /* As Prometheus: not ready until the scrape manager runs (a reload would find none). */
    if (!__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE)) {
        httpd_resp_text(resp, 503, "text/plain; charset=utf-8", "Service Unavailable");
        return;
    }
    httpd_resp_text(resp, 200, "text/plain; charset=utf-8", "Prometheus Server is Ready.\n");
}

static void metric(struct strbuf *b, const char *name, const char *type, const char *help,
                   const char *labels, double v)
{
    strbuf_addf(b, "# HELP %s %s\n# TYPE %s %s\n%s%s ", name, help, name, type, name,
                labels ? labels : "");
    gofmt_g(b, v);
    strbuf_addc(b, '\n');
}

void tsdbd_h_metrics(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct tsdbd *t = ctx;
    struct db *db = t->db;
    struct head *h = &db->head;
    struct strbuf *b = httpd_resp_body(resp);
    pthread_rwlock_rdlock(&h->lock);
    double series = (double)h->nseries, chunks = (double)h->chunks;
    double created = (double)h->series_created, removed = (double)h->series_removed;
    double appended = (double)h->samples_appended, ooo = (double)h->out_of_order;
    double oob = (double)h->out_of_bounds, mint = (double)h->mint, maxt = (double)h->maxt;
    double ccreated = (double)h->chunks_created, cremoved = (double)h->chunks_removed;
    pthread_rwlock_unlock(&h->lock);
    if (h->mint == INT64_MAX)
        mint = (double)INT64_MAX;
    double blocks_bytes = 0, lowest = NAN;
    size_t nblocks;
    pthread_rwlock_rdlock(&db->blocks_lock);
    nblocks = db->nblocks;
    for (size_t i = 0; i < db->nblocks; i++)
        blocks_bytes += (double)db->blocks[i]->size;
    if (db->nblocks)
        lowest = (double)db->blocks[0]->meta.mint;
    pthread_rwlock_unlock(&db->blocks_lock);
    if (isnan(lowest))
        lowest = mint;
    metric(b, "prometheus_tsdb_head_series", "gauge", "Total number of series in the head block.",
           NULL, series);
    metric(b, "prometheus_tsdb_head_chunks", "gauge", "Total number of chunks in the head block.",
           NULL, chunks);
    metric(b, "prometheus_tsdb_head_chunks_created_total", "counter",
           "Total number of chunks created in the head", NULL, ccreated);
    metric(b, "prometheus_tsdb_head_chunks_removed_total", "counter",
           "Total number of chunks removed in the head", NULL, cremoved);
    metric(b, "prometheus_tsdb_head_series_created_total", "counter",
           "Total number of series created in the head", NULL, created);
    metric(b, "prometheus_tsdb_head_series_removed_total", "counter",
           "Total number of series removed in the head", NULL, removed);
    metric(b, "prometheus_tsdb_head_samples_appended_total", "counter",
           "Total number of appended samples.", "{type=\"float\"}", appended);
    metric(b, "prometheus_tsdb_out_of_order_samples_total", "counter",
           "Total number of out of order samples ingestion failed attempts due to out of order "
           "being disabled.",
           "{type=\"float\"}", ooo);
    metric(b, "prometheus_tsdb_out_of_bound_samples_total", "counter",
           "Total number of out of bound samples ingestion failed attempts with out of order "
           "support disabled.",
           "{type=\"float\"}", oob);
    metric(b, "prometheus_tsdb_head_min_time", "gauge",
           "Minimum time bound of the head block. The unit is decided by the library consumer.",
           NULL, mint);
    metric(b, "prometheus_tsdb_head_max_time", "gauge",
           "Maximum timestamp of the head block. The unit is decided by the library consumer.",
           NULL, maxt);
    metric(b, "prometheus_tsdb_head_truncations_total", "counter",
           "Total number of head truncations attempted.", NULL, (double)db->head_truncations);
    metric(b, "prometheus_tsdb_blocks_loaded", "gauge", "Number of currently loaded data blocks",
           NULL, (double)nblocks);
    metric(b, "prometheus_tsdb_storage_blocks_bytes", "gauge",
           "The number of bytes that are currently used for local storage by all blocks.", NULL,
           blocks_bytes);
    metric(b, "prometheus_tsdb_compactions_total", "counter",
           "Total number of compactions that were executed for the partition.", NULL,
           (double)db->compactions);
    metric(b, "prometheus_tsdb_compactions_failed_total", "counter",
           "Total number of compactions that failed for the partition.", NULL,
           (double)db->compactions_failed);
    metric(b, "prometheus_tsdb_checkpoint_creations_total", "counter",
           "Total number of checkpoint creations attempted.", NULL, (double)db->checkpoints);
    metric(b, "prometheus_tsdb_wal_writes_failed_total", "counter",
           "Total number of write log writes that failed.", NULL, (double)db->commits_failed);
    metric(b, "prometheus_tsdb_wal_corruptions_total", "counter",
           "Total number of WAL corruptions.", NULL, (double)db->wal_corruptions);
    metric(b, "prometheus_tsdb_wal_storage_size_bytes", "gauge", "Size of the write log directory.",
           NULL, (double)db_wal_size(db));
    pthread_mutex_lock(&db->wal->mu);
    double fs = (double)db->wal->fsyncs, fsns = (double)db->wal->fsync_ns;
    pthread_mutex_unlock(&db->wal->mu);
    strbuf_adds(b, "# HELP prometheus_tsdb_wal_fsync_duration_seconds Duration of write log "
                   "fsync.\n# TYPE prometheus_tsdb_wal_fsync_duration_seconds summary\n");
    strbuf_adds(b, "prometheus_tsdb_wal_fsync_duration_seconds_sum ");
    gofmt_g(b, fsns / 1e9);
    strbuf_adds(b, "\nprometheus_tsdb_wal_fsync_duration_seconds_count ");
    gofmt_g(b, fs);
    strbuf_addc(b, '\n');
    metric(b, "prometheus_tsdb_time_retentions_total", "counter",
           "The number of times that blocks were deleted because the maximum time limit was "
           "exceeded.",
           NULL, (double)db->retention_time);
    metric(b, "prometheus_tsdb_size_retentions_total", "counter",
           "The number of times that blocks were deleted because the maximum number of bytes was "
           "exceeded.",
           NULL, (double)db->retention_size);
    metric(b, "prometheus_tsdb_retention_limit_bytes", "gauge",
           "Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled",
           NULL, (double)db->opts.retention_bytes);
    metric(b, "prometheus_tsdb_lowest_timestamp", "gauge",
           "Lowest timestamp value stored in the database. The unit is decided by the library "
           "consumer.",
           NULL, lowest);
    metric(b, "prometheus_tsdb_reloads_total", "counter",
           "Number of times the database reloaded block data from disk.", NULL,
           (double)db->reloads);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    metric(b, "process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.", NULL,
           (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6);
    long rss_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        long vm;
        if (fscanf(f, "%ld %ld", &vm, &rss_pages) != 2)
            rss_pages = 0;
        fclose(f);
    }
    metric(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", NULL,
           (double)rss_pages * (double)sysconf(_SC_PAGESIZE));
    metric(b, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.", NULL, t->start_time);
    metric(b, "prometheus_remote_storage_samples_in_total", "counter",
           "Samples received through remote write.", NULL, (double)t->rw_samples);
    if (tsdbd_scraper(t))
        scraper_write_metrics(tsdbd_scraper(t), b);
    if (t->httpd)
        httpd_stats_write(t->httpd, b, "prometheus_http_requests_total", NULL);
    httpd_resp_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
}
