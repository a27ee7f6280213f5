/*
 * scraper: cairn-tsdb's in-process scrape engine, as Prometheus runs its
 * scrape manager beside its TSDB. The engine is src/scrape's (the same one
 * cairn-scrape runs); its samples go straight into the head through a
 * db_appender, one commit (one WAL group) per scrape.
 *
 * The configuration is the text of CAIRN_SCRAPE_CONFIG when that variable is
 * set (the stack passes prometheus.yml this way, since a task's image carries
 * no such file), else the file of --config.file. As Prometheus, what is
 * scraped and stored is also sent to the remote_write URLs of the
 * configuration (src/scrape/rwsend), with their queue and relabel settings.
 */
#ifndef CAIRN_TSDBD_SCRAPER_H
#define CAIRN_TSDBD_SCRAPER_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "scrape/scrapeloop.h"
#include "tsdb/db.h"

struct scraper;

/* dns_server: "ip:port" for dns_sd_configs, NULL for /etc/resolv.conf. */
struct scraper *scraper_new(struct db *db, const char *dns_server);
/* Parse and validate a configuration (name for diagnostics) and use it from now on. */
int scraper_load(struct scraper *s, const char *name, const char *text, size_t len, struct diag *d);
int scraper_start(struct scraper *s, struct diag *d);
/* Stops scraping (joins the engine's threads) and frees everything. */
void scraper_free(struct scraper *s);

/* For /metrics: the engine's counters and the samples the head refused. */
struct scraper_stats {
    uint64_t scrapes, scrape_failures, samples_appended, targets;
    uint64_t samples_rejected, commits_failed;
};
void scraper_get_stats(struct scraper *s, struct scraper_stats *out);

/* The remote_write queues' series for /metrics (prometheus_remote_storage_*). */
struct strbuf;
void scraper_write_metrics(struct scraper *s, struct strbuf *b);

/* The engine's targets for the HTTP API (scrapeloop_snapshot: copies, any thread). */
void scraper_snapshot(struct scraper *s, unsigned what, struct scrapeloop_snapshot *out);

#endif
