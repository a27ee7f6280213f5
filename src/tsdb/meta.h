/*
 * meta: a block's meta.json, as Prometheus's tsdb.BlockMeta marshals it
 * (json.MarshalIndent with a tab, fields in struct order, omitempty):
 *
 *   {"ulid", "minTime", "maxTime" (exclusive), "stats": {"numSamples",
 *    "numSeries", "numChunks", "numTombstones"}, "compaction": {"level",
 *    "sources", "deletable", "parents": [{"ulid","minTime","maxTime"}]},
 *    "version": 1}
 */
#ifndef CAIRN_TSDB_META_H
#define CAIRN_TSDB_META_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/strbuf.h"
#include "tsdb/ulid.h"

struct meta_parent {
    char ulid[ULID_LEN + 1];
    int64_t mint, maxt;
};

struct meta {
    char ulid[ULID_LEN + 1];
    int64_t mint, maxt;
    uint64_t nsamples, nseries, nchunks, ntombstones;
    int level;
    char (*sources)[ULID_LEN + 1];
    size_t nsources;
    struct meta_parent *parents;
    size_t nparents;
    int deletable;
    int version;
};

void meta_init(struct meta *m);
void meta_release(struct meta *m);
void meta_add_source(struct meta *m, const char *ulid);
void meta_add_parent(struct meta *m, const char *ulid, int64_t mint, int64_t maxt);
/* Prometheus's bytes for m. */
void meta_format(const struct meta *m, struct strbuf *out);
/* Write dir/meta.json through a temporary file and rename, fsync'd. */
int meta_write(const char *dir, const struct meta *m, struct diag *d);
int meta_read(const char *dir, struct meta *m, struct diag *d);

#endif
