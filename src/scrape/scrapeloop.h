/*
 * scrapeloop: the scrape engine. One thread runs one libcurl multi handle
 * for every target of every job: each target is scraped on its interval at
 * a fixed phase (target_offset, Prometheus's spreading), with the Accept
 * header of Prometheus 2.42, Accept-Encoding: gzip,
 * X-Prometheus-Scrape-Timeout-Seconds, the job's timeout and body size limit.
 * The body is parsed (metrics/expo.h, text or OpenMetrics by Content-Type),
 * labels are merged with the target's (honor_labels, or exported_ on
 * conflict), metric_relabel_configs applied, and every sample goes to the
 * appender, followed by stale markers for series that disappeared and the
 * synthetic series up, scrape_duration_seconds, scrape_samples_scraped,
 * scrape_samples_post_metric_relabeling and scrape_series_added, all with
 * the scrape's start time (or the exposition's timestamp with
 * honor_timestamps). A failed scrape writes up 0 and stale markers for
 * every series of the last good one; so does a target that goes away.
 *
 * Discovery (sd.h) runs on its own thread and wakes the loop when a job's
 * targets change. scrapeloop_apply() swaps in a new configuration (reload):
 * targets that stay keep their state, so no sample or stale marker is lost.
 */
#ifndef CAIRN_SCRAPELOOP_H
#define CAIRN_SCRAPELOOP_H

#include <stdint.h>

#include "core/diag.h"
#include "core/arena.h"
#include "metrics/labels.h"
#include "scrape/appender.h"
#include "scrape/metacache.h"
#include "scrape/promcfg.h"

struct scrapeloop;

/* Counters in Prometheus's names (docs/scrape.md lists them). */
struct scrapeloop_stats {
    uint64_t scrapes;         /* cairn_scrape_scrapes_total */
    uint64_t scrape_failures; /* cairn_scrape_scrape_failures_total */
    uint64_t
        exceeded_body_size_limit;   /* prometheus_target_scrapes_exceeded_body_size_limit_total */
    uint64_t exceeded_sample_limit; /* prometheus_target_scrapes_exceeded_sample_limit_total */
    uint64_t
        sample_duplicate_timestamp; /* prometheus_target_scrapes_sample_duplicate_timestamp_total */
    uint64_t samples_appended;      /* cairn_scrape_samples_appended_total */
    uint64_t targets;               /* gauge: active targets */
    uint64_t dropped_targets;       /* gauge: targets dropped by relabeling */
    uint64_t reloads;
};

/* dns_server: "ip:port" for DNS-SD, NULL for /etc/resolv.conf. */
struct scrapeloop *scrapeloop_new(struct appender *app, const char *dns_server);
/*
 * Keep each target's metadata (TYPE, HELP, UNIT) for SCRAPELOOP_SNAP_META
 * (the default) or not: cairn-scrape serves no metadata API and sends no
 * metadata by remote write, so it saves the memory and the work. Call
 * before the first scrapeloop_apply.
 */
void scrapeloop_keep_metadata(struct scrapeloop *s, int keep);
/* Take ownership of cfg (heap-allocated, promcfg_init'ed and loaded) and use it from now on. */
void scrapeloop_apply(struct scrapeloop *s, struct promcfg *cfg);
int scrapeloop_start(struct scrapeloop *s, struct diag *d);
/* Stop scraping (no stale markers: a restart continues where this left off). */
void scrapeloop_stop(struct scrapeloop *s);
void scrapeloop_free(struct scrapeloop *s);
void scrapeloop_get_stats(struct scrapeloop *s, struct scrapeloop_stats *out);
/* 1 once the first configuration's targets have been synced (for /-/ready). */
int scrapeloop_ready(struct scrapeloop *s);

/*
 * A snapshot of the targets for the HTTP API (Prometheus's /api/v1/targets,
 * /targets/metadata, /metadata, /scrape_pools): copies in the snapshot's own
 * arena, taken under a lock the scrape thread holds only to publish a
 * finished scrape, so a slow HTTP client never stalls scraping.
 */
enum scrapeloop_health { SCRAPELOOP_UNKNOWN, SCRAPELOOP_UP, SCRAPELOOP_DOWN };

struct scrapeloop_target {
    const char *pool;                 /* the job name */
    struct labels discovered, labels; /* before relabeling; the samples' labels */
    const char *url;
    const char *interval, *timeout; /* __scrape_interval__, __scrape_timeout__ as labelled */
    const char *last_error;         /* "" when none */
    int64_t last_scrape_ns;         /* wall clock of the last scrape's start; 0: never */
    double last_duration;           /* seconds */
    enum scrapeloop_health health;
    const struct metacache_item *meta; /* sorted by metric (SCRAPELOOP_SNAP_META) */
    size_t nmeta;
};

struct scrapeloop_dropped {
    const char *pool;
    struct labels discovered;
};

struct scrapeloop_snapshot {
    struct arena arena;
    const char **pools; /* every job of the configuration, sorted */
    size_t npools;
    struct scrapeloop_target *active; /* by pool name, then in discovery order */
    size_t nactive;
    struct scrapeloop_dropped *dropped; /* likewise */
    size_t ndropped;
};

#define SCRAPELOOP_SNAP_ACTIVE  1u
#define SCRAPELOOP_SNAP_DROPPED 2u
#define SCRAPELOOP_SNAP_META    4u /* with ACTIVE: each target's metadata too */

void scrapeloop_snapshot(struct scrapeloop *s, unsigned what, struct scrapeloop_snapshot *out);
void scrapeloop_snapshot_release(struct scrapeloop_snapshot *snap);

#endif
