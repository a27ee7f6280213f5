/*
 * delete: Prometheus's DB.Delete (the admin API's delete_series): samples of
 * the matching series in [mint, maxt] disappear from queries at once.
 * Blocks get tombstones (their tombstones file rewritten through a
 * temporary file and rename, meta.json's numTombstones updated), applied
 * when they are read and dropped when they are compacted; head series are
 * re-encoded without the samples, and a tombstones record in the WAL makes
 * replay do the same.
 */
#ifndef CAIRN_TSDB_DELETE_H
#define CAIRN_TSDB_DELETE_H

#include <stdint.h>

#include "core/diag.h"
#include "metrics/matcher.h"
#include "tsdb/db.h"

int delete_series(struct db *db, int64_t mint, int64_t maxt, const struct matcher *ms, size_t nm,
                  struct diag *d);
/* Drop the samples of s in [mint, maxt] (head write lock held). */
void delete_head_range(struct head *h, struct head_series *s, int64_t mint, int64_t maxt);

#endif
