/*
 * rwsend: the remote-write sender (Prometheus remote-write 1.0; the wire
 * format is metrics/remotewrite.h). Each remote_write entry of the
 * configuration gets a sender: a bounded in-memory queue and one shard
 * thread that sends batches of up to max_samples_per_send samples, or fewer
 * once batch_send_deadline has passed since the oldest queued sample.
 *
 * A batch that fails with 5xx, 429 (retry_on_http_429) or a network error is
 * retried with exponential backoff from min_backoff to max_backoff, or after
 * the Retry-After the endpoint asked for; it stays at the head of the queue
 * meanwhile, so an endpoint that is briefly down loses nothing queued. Any
 * other 4xx drops the batch (failed). When the queue is full new samples are
 * dropped and counted. The queue holds capacity × max_shards samples, the
 * most Prometheus keeps in memory across its shards (its WAL holds the rest).
 *
 * Samples pass write_relabel_configs and get the external labels (a label
 * the series has already wins). rwsend_fanout is the appender the scrape
 * engine writes to: it hands every sample to every sender.
 */
#ifndef CAIRN_RWSEND_H
#define CAIRN_RWSEND_H

#include <stdint.h>

#include "core/diag.h"
#include "metrics/labels.h"
#include "scrape/appender.h"
#include "scrape/promcfg.h"

struct rwsend;

struct rwsend_stats {
    uint64_t sent;           /* prometheus_remote_storage_samples_total (acknowledged) */
    uint64_t failed;         /* prometheus_remote_storage_samples_failed_total */
    uint64_t retried;        /* prometheus_remote_storage_samples_retried_total */
    uint64_t dropped;        /* prometheus_remote_storage_samples_dropped_total (queue full) */
    uint64_t pending;        /* prometheus_remote_storage_samples_pending */
    uint64_t bytes;          /* prometheus_remote_storage_bytes_total */
    uint64_t batches;        /* cairn_remote_storage_batches_total */
    int64_t highest_sent_ms; /* prometheus_remote_storage_queue_highest_sent_timestamp_seconds */
};

/* Copies what it needs from cfg and external. Returns NULL with the reason in d. */
struct rwsend *rwsend_new(const struct promcfg_rw *cfg, const struct labels *external,
                          struct diag *d);
int rwsend_start(struct rwsend *w, struct diag *d);
/*
 * Stop: send what is queued (retrying as usual) for up to flush_ms, then
 * drop the rest (counted), stop the thread and free.
 */
void rwsend_free(struct rwsend *w, long flush_ms);
void rwsend_get_stats(struct rwsend *w, struct rwsend_stats *out);
const char *rwsend_name(const struct rwsend *w);
const char *rwsend_url(const struct rwsend *w);

/*
 * The appender over a set of senders. Appends are staged and reach the
 * queues on commit. Senders can be swapped (reload) while scraping goes on.
 */
struct rwsend_fanout;
struct rwsend_fanout *rwsend_fanout_new(void);
struct appender *rwsend_fanout_appender(struct rwsend_fanout *f);
/* Install senders (taking ownership); returns the old ones through old and nold. */
void rwsend_fanout_set(struct rwsend_fanout *f, struct rwsend **w, size_t n, struct rwsend ***old,
                       size_t *nold);
/* Visit the current senders (for /metrics) under the fanout's lock. */
void rwsend_fanout_each(struct rwsend_fanout *f, void (*fn)(struct rwsend *w, void *arg),
                        void *arg);
void rwsend_fanout_free(struct rwsend_fanout *f, long flush_ms);

#endif
