/*
 * scrapecache: what a target's last scrape made of each series text, as
 * Prometheus 2.42's scrapeCache (scrape/scrape.go): keyed by the bytes of an
 * exposition line before its value (expo_series), the series' final label
 * set after the target's labels and metric_relabel_configs, as the kept
 * block of seriesset (encoded for remote write) and its hash, or "dropped"
 * when relabeling dropped it. A line seen again is appended without parsing
 * its labels, relabeling or hashing them.
 *
 * Memory: the text is not kept, only two independent 64-bit hashes of it (a
 * 128-bit key); entries sit in one dense array indexed by a table of 32-bit
 * slots, about 48 bytes a series. Prometheus keeps the text; a 128-bit
 * fingerprint is as good for texts that are not made to collide, and one
 * that is (a target that crafts its exposition) can only get labels that
 * the same target's own lines produce under the same configuration, which
 * it could have written itself.
 *
 * The answers depend on the target's labels and the job's configuration: the
 * owner clears the cache when either may have changed (a reload), and
 * whenever blocks it points at may be freed (scrapecache_sweep after each
 * scrape, scrapecache_clear when the last scrape's series are dropped).
 */
#ifndef CAIRN_SCRAPECACHE_H
#define CAIRN_SCRAPECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "scrape/seriesset.h"

struct scrapecache_key {
    uint64_t a, b;
};

struct scrapecache_entry {
    struct scrapecache_key key;
    struct seriesset_block *b; /* NULL: dropped by relabeling */
    uint64_t hash;             /* of the final labels (seriesset's hash) */
    uint64_t iter;             /* last scrape that saw the text */
};

struct scrapecache {
    struct scrapecache_entry *v; /* dense, in insertion order */
    size_t n, alloc;
    uint32_t *idx; /* 0: empty, else 1 + index in v */
    size_t cap;    /* of idx: a power of two, at least twice n, or 0 */
    uint64_t iter; /* the scrape in progress */
};

void scrapecache_init(struct scrapecache *c);
void scrapecache_release(struct scrapecache *c);
/* Forget every entry. */
void scrapecache_clear(struct scrapecache *c);
struct scrapecache_key scrapecache_key(const char *text, size_t len);
/* The entry of a series text, or NULL; valid until the next put, sweep or clear. */
struct scrapecache_entry *scrapecache_get(const struct scrapecache *c, struct scrapecache_key k);
/* Remember a series text (not in the cache): its block (NULL: dropped) and label hash. */
void scrapecache_put(struct scrapecache *c, struct scrapecache_key k, struct seriesset_block *b,
                     uint64_t hash);
/* End of a scrape: forget the texts it did not see; the next scrape starts. */
void scrapecache_sweep(struct scrapecache *c);

#endif
