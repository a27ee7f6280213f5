/*
 * block: a persisted block opened read-only through mmap: the index
 * (indexwriter.h has the layout), chunk segments (blockwriter.h), meta.json
 * and tombstones. Every section read is bounds- and CRC-checked, so a
 * truncated or corrupt file gives an error naming the file and offset, never
 * a crash.
 */
#ifndef CAIRN_TSDB_BLOCK_H
#define CAIRN_TSDB_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "metrics/labels.h"
#include "metrics/matcher.h"
#include "tsdb/indexwriter.h"
#include "tsdb/meta.h"
#include "tsdb/tombstones.h"

struct block_posting {
    const char *name, *value; /* NUL-terminated copies */
    uint64_t off;             /* of the postings list in the index */
};

struct block_map {
    const uint8_t *p;
    size_t n;
};

struct block {
    char *dir;
    struct meta meta;
    struct tombstones stones;
    struct block_map index;
    struct block_map *segs;
    size_t nsegs;
    struct arena arena;
    const char **syms;
    size_t nsyms;
    struct block_posting *post; /* sorted by name, then value; [0] is "" "" */
    size_t npost;
    uint64_t toc[6];
    long long size; /* bytes on disk */
};

/* Open the block directory dir (meta.json, index, chunks/, tombstones). */
struct block *block_open(const char *dir, struct diag *d);
void block_close(struct block *b);

/* The series refs of the postings list for name=value (all series for "" ""). */
int block_postings(const struct block *b, const char *name, const char *value, uint32_t **refs,
                   size_t *n, struct diag *d);
/* Series refs matching every matcher, sorted. */
int block_select(const struct block *b, const struct matcher *ms, size_t nm, uint32_t **refs,
                 size_t *n, struct diag *d);
/* A series' labels (strings owned by the block, array from arena a) and chunk metas (malloc'd). */
int block_series(const struct block *b, uint32_t ref, struct arena *a, struct labels *ls,
                 struct index_chunk **chunks, size_t *nchunks, struct diag *d);
/* A chunk's XOR bytes (header included) from its reference, CRC-checked. */
int block_chunk(const struct block *b, uint64_t ref, const uint8_t **data, size_t *len,
                struct diag *d);
/* Range of postings entries with this name: [*lo, *hi). */
void block_name_range(const struct block *b, const char *name, size_t *lo, size_t *hi);

#endif
