/*
 * db: a Prometheus-compatible TSDB directory:
 *
 *   DIR/<ulid>/...            persisted blocks (blockwriter.h, block.h)
 *   DIR/wal/00000000...       write-ahead log (wal.h, walrec.h)
 *   DIR/wal/checkpoint.NNNNNNNN/00000000   series records as of segment N
 *   DIR/lock                  flock'd while open
 *
 * Open removes leftovers of interrupted work (*.tmp-for-creation,
 * *.tmp-for-deletion, blocks already merged into a compacted block,
 * unfinished checkpoints), loads the blocks, replays checkpoint and WAL into
 * the head (a torn or corrupt tail is truncated, with a warning), then logs
 * into a new segment.
 *
 * Appends go through an appender: commit validates every sample against
 * the head (out of order, duplicate timestamp, out of bounds reject the whole
 * commit, as Prometheus's remote-write handler does), logs series and
 * samples records to the WAL with group commit, and only then applies them
 * to the head. A commit that returned DB_COMMIT_OK is durable.
 */
#ifndef CAIRN_TSDB_DB_H
#define CAIRN_TSDB_DB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "metrics/labels.h"
#include "metrics/matcher.h"
#include "tsdb/block.h"
#include "tsdb/head.h"
#include "tsdb/wal.h"

#define DB_DEFAULT_BLOCK_RANGE (2 * 3600 * 1000LL)
#define DB_MAX_BLOCK_DURATION  (31 * 24 * 3600 * 1000LL)

struct db_options {
    int64_t retention_ms;    /* 0: none */
    int64_t retention_bytes; /* 0: none */
    int64_t block_range;     /* the head's chunk range and the smallest block: 2h */
    int wal_compression;
    int readonly; /* tools: no lock, no cleanup, no WAL writer, torn WAL not repaired */
};

void db_options_default(struct db_options *o);

struct db {
    char *dir, *waldir;
    struct db_options opts;
    int lock_fd;
    struct head head;
    struct headchunks hc; /* the head's full chunks (hc.dir NULL in read-only opens) */
    struct wal *wal;
    pthread_rwlock_t blocks_lock;
    struct block **blocks; /* sorted by mint */
    size_t nblocks;
    pthread_mutex_t compact_mu;
    int64_t ranges[10];
    size_t nranges;
    /* Counters for /metrics (prometheus_tsdb_*). */
    uint64_t compactions, compactions_failed, head_truncations, checkpoints, wal_corruptions,
        retention_time, retention_size, reloads, commits_failed;
    double last_compaction_seconds;
};

int db_open(struct db **out, const char *dir, const struct db_options *o, struct diag *d);
void db_close(struct db *db);

/* Prometheus's ExponentialBlockRanges(range, 10, 3) capped by retention/10 and 31 days. */
size_t db_block_ranges(int64_t block_range, int64_t retention_ms, int64_t *out);

enum db_commit_result {
    DB_COMMIT_OK = 0,
    DB_COMMIT_REJECTED, /* bad samples: the error names which (400 for remote-write) */
    DB_COMMIT_FAILED,   /* storage error: nothing acknowledged (500, the sender retries) */
};

struct db_pending {
    struct labels ls;
    uint64_t hash;
    int64_t t;
    double v;
    struct head_series *s;
    int skip;
};

struct db_appender {
    struct db *db;
    struct arena arena;
    struct db_pending *v;
    size_t n, alloc;
};

void db_appender_init(struct db_appender *a, struct db *db);
void db_appender_release(struct db_appender *a);
/* Queue a sample. The labels are borrowed: they must stay valid until the commit. */
void db_appender_add(struct db_appender *a, const struct labels *ls, int64_t t, double v);
/* Validate, log and apply everything queued; the appender is empty afterwards. */
enum db_commit_result db_appender_commit(struct db_appender *a, struct diag *d);

/* Size of the WAL directory in bytes. */
long long db_wal_size(const struct db *db);
/* Add a block directory that appeared on disk (after compaction). With compact_mu held. */
int db_reload_blocks(struct db *db, struct diag *d);

#endif
