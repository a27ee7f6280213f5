/*
 * scrapeappend: what one scrape hands to the appender, apart from the HTTP
 * side so it can be tested on a buffer: Prometheus 2.42's scrapeLoop.append
 * and report. Samples get the target's labels (honor_labels: the exposed
 * value wins; otherwise the target's, and a conflicting exposed label is
 * kept as exported_<name>, repeated until it is free), then
 * metric_relabel_configs. A series seen twice in one scrape keeps its first
 * value (the second is counted as a duplicate, as the TSDB refuses it).
 * Series without an explicit timestamp are remembered for staleness: those
 * missing from the next scrape get a stale marker at its start time.
 */
#ifndef CAIRN_SCRAPEAPPEND_H
#define CAIRN_SCRAPEAPPEND_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "metrics/expo.h"
#include "metrics/labels.h"
#include "scrape/appender.h"
#include "scrape/metacache.h"
#include "scrape/promcfg.h"
#include "scrape/scrapecache.h"
#include "scrape/seriesset.h"

struct scrapeappend_state {
    struct seriesset prev;     /* series of the last scrape, for stale markers */
    struct seriesset pending;  /* series seen before a failed body's error */
    struct seriesset known_ts; /* series with explicit timestamps seen so far */
    int has_pending;
    struct metacache meta;    /* TYPE/HELP/UNIT seen, for the metadata API */
    int skip_meta;            /* set by the owner: nobody reads meta */
    struct scrapecache cache; /* series texts of the last scrape (blocks in prev) */
};

struct scrapeappend_result {
    uint64_t total;        /* scrape_samples_scraped */
    uint64_t added;        /* scrape_samples_post_metric_relabeling */
    uint64_t series_added; /* scrape_series_added */
    uint64_t duplicates;
    char err[256]; /* "" or why the body was refused */
};

void scrapeappend_init(struct scrapeappend_state *s);
void scrapeappend_release(struct scrapeappend_state *s);

/*
 * Parse and append one body scraped at t (ms). Returns 0, or -1 with r->err
 * set: a parse error or the sample limit; the caller then rolls back and
 * calls scrapeappend_stale().
 */
int scrapeappend_body(struct scrapeappend_state *s, const struct promcfg_job *job,
                      const struct labels *target, const char *buf, size_t len,
                      enum expo_format fmt, int64_t t, struct appender *app,
                      struct scrapeappend_result *r);

/*
 * The target's labels or its job's configuration changed (a reload): what
 * the last scrapes made of each series text no longer holds.
 */
void scrapeappend_invalidate(struct scrapeappend_state *s);

/* Stale markers at t for every series of the last scrape, which is forgotten. */
void scrapeappend_stale(struct scrapeappend_state *s, int64_t t, struct appender *app);

/* The five synthetic series of a scrape at t. */
void scrapeappend_report(const struct labels *target, int64_t t, int up, double duration_s,
                         const struct scrapeappend_result *r, struct appender *app);
/* Stale markers for the five synthetic series (a target that went away). */
void scrapeappend_report_stale(const struct labels *target, int64_t t, struct appender *app);

#endif
