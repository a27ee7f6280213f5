/*
 * compact: the background work of a db, as Prometheus's DB.Compact and
 * reloadBlocks do it:
 *
 *  - head compaction: while the head spans more than 1.5 block ranges, its
 *    oldest range [head mint, end of that 2h range) becomes a level-1
 *    block, the head drops those chunks, and the WAL keeps only what is
 *    still needed: a checkpoint.N holding the live series' records replaces
 *    segments 0..N whose samples are all in blocks now;
 *  - level compaction: LeveledCompactor.plan/selectDirs over the ranges of
 *    db_block_ranges() (2h, 6h, 18h, ... up to a tenth of the retention),
 *    never touching the newest block; the new block names its parents, and
 *    parents are deleted once it is in place (on the next open if a crash
 *    comes first);
 *  - retention: blocks whose end is more than the retention older than the
 *    newest block's end, then the oldest blocks while blocks + WAL exceed
 *    the size limit; a block is renamed to <ulid>.tmp-for-deletion first.
 *
 * Every step writes into temporary names and renames, so a crash at any
 * point leaves either the old or the new state.
 */
#ifndef CAIRN_TSDB_COMPACT_H
#define CAIRN_TSDB_COMPACT_H

#include <stdint.h>

#include "core/diag.h"
#include "tsdb/db.h"

/* Everything due: head compaction, level compaction, retention. */
int compact_run(struct db *db, struct diag *d);
/* Write head samples in [mint, maxt) as a block into dir (snapshots use it too). */
int compact_head_range(struct db *db, const char *dir, int64_t mint, int64_t maxt, struct diag *d);
/* The groups selectDirs would pick, exposed for tests: index range [*lo, *hi) or -1. */
int compact_plan(struct db *db, size_t *lo, size_t *hi);

#endif
