/*
 * head: the in-memory part of the TSDB, as Prometheus's Head: series keyed by
 * label set (hash table) and by reference, each with closed XOR chunks and
 * one open chunk. Chunks are cut as memSeries.appendPreprocessor cuts them:
 * at the end of the 2-hour range the chunk started in, at a predicted end
 * time once a chunk holds 30 samples (so a range's chunks hold about 120
 * samples each), and at 240 samples at the latest.
 *
 * Locking: one rwlock. Writers (commit, replay, truncation) hold it
 * exclusively for short sections; readers copy what they need under the
 * shared lock and decode outside it.
 */
#ifndef CAIRN_TSDB_HEAD_H
#define CAIRN_TSDB_HEAD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/labels.h"
#include "metrics/matcher.h"
#include "tsdb/headchunks.h"
#include "tsdb/headpost.h"
#include "tsdb/headsyms.h"
#include "tsdb/xorchunk.h"

#define HEAD_SAMPLES_PER_CHUNK 120

enum head_append_result {
    HEAD_OK = 0,
    HEAD_OUT_OF_ORDER,  /* "out of order sample" */
    HEAD_DUPLICATE,     /* "duplicate sample for timestamp" */
    HEAD_OUT_OF_BOUNDS, /* "out of bounds" */
    HEAD_IGNORED,       /* same timestamp and value as the last sample: dropped silently */
};

extern const char *const head_append_error[];

/* 24 bytes: a 3-hour head holds about 7 per series. */
struct head_chunk {
    int64_t mint;
    const uint8_t *data; /* in a chunks_head/ file's mapping, or malloc'd */
    uint64_t packed;     /* maxt - mint (47 bits) | len << 47 (16 bits) | mapped << 63 */
};

static inline int64_t head_chunk_maxt(const struct head_chunk *c)
{
    return c->mint + (int64_t)(c->packed & ((1ull << 47) - 1));
}

static inline size_t head_chunk_len(const struct head_chunk *c)
{
    return (size_t)(c->packed >> 47) & 0xffff;
}

static inline int head_chunk_mapped(const struct head_chunk *c)
{
    return (int)(c->packed >> 63);
}

struct head_series {
    uint64_t ref, hash;
    struct labels ls; /* lv below, strings interned in the head's syms */
    struct head_chunk *chunks;
    size_t nchunks;
    struct xorchunk cur;
    int64_t cur_mint, next_at;
    int64_t maxt; /* INT64_MIN while empty */
    uint64_t last_bits;
    /* Commits validated but not yet applied (their WAL write is under way). */
    int64_t pending_maxt;
    uint64_t pending_bits;
    unsigned pending;
    uint8_t has_cur;
    uint8_t logged; /* its series record is in the WAL (2: being logged) */
    uint8_t dead;   /* being removed by head_truncate */
    struct head_series *next_hash, *next_ref;
    struct label lv[]; /* one allocation with the series */
};

struct head {
    pthread_rwlock_t lock;
    struct head_series **by_hash, **by_ref;
    size_t nbuckets, nseries;
    struct headpost post;  /* label pair -> series */
    struct headchunks *hc; /* full chunks go there when set (not in read-only opens) */
    struct headsyms syms;  /* label names and values, shared by the series */
    uint64_t last_ref;
    int64_t mint, maxt; /* of the samples in memory; INT64_MAX/INT64_MIN when empty */
    int64_t min_valid_time;
    int64_t chunk_range;
    uint64_t chunks, chunks_created, chunks_removed, series_created, series_removed;
    uint64_t samples_appended, out_of_order, out_of_bounds, duplicates;
};

void head_init(struct head *h, int64_t chunk_range);
void head_release(struct head *h);

/* With the write lock held. */
struct head_series *head_lookup(struct head *h, const struct labels *ls, uint64_t hash);
struct head_series *head_by_ref(struct head *h, uint64_t ref);
/* Create a series; ref 0 assigns the next one. */
struct head_series *head_create(struct head *h, const struct labels *ls, uint64_t hash,
                                uint64_t ref);
/* Would (t, v) be accepted, counting pending samples? Counts rejections. */
enum head_append_result head_appendable(struct head *h, const struct head_series *s, int64_t t,
                                        double v);
/* Append for real (after validation or during replay); HEAD_OK or a rejection. */
enum head_append_result head_append(struct head *h, struct head_series *s, int64_t t, double v);
/* Free a closed chunk's memory (nothing for an m-mapped one). */
void head_chunk_free(struct head_chunk *c);
/* Drop every chunk that ends before mint and the series left empty. */
void head_truncate(struct head *h, int64_t mint);

/*
 * Copy the samples of s in [mint, maxt] into *t and *v (malloc'd, grown as
 * needed, *n set). With at least the read lock held.
 */
void head_series_samples(const struct head_series *s, int64_t mint, int64_t maxt, int64_t **t,
                         double **v, size_t *n, size_t *alloc);

#endif
