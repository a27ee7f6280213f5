/*
 * seriesset: a hash set of label sets that owns its copies, for what a scrape
 * loop remembers between scrapes (the series of the last scrape, to write
 * stale markers for those that disappear).
 *
 * A copy is one malloc'd block holding the set as remote-write encodes it
 * (remotewrite_put_labels): compact, and what the remote-write appender sends
 * as is, so a series seen again costs no encoding and no second copy (as
 * Prometheus's scrape cache keeps a series' ref between scrapes).
 */
#ifndef CAIRN_SERIESSET_H
#define CAIRN_SERIESSET_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "metrics/labels.h"

/* An owned copy: len bytes of encoded labels. */
struct seriesset_block {
    uint32_t len;
    char bytes[];
};

struct seriesset_entry {
    uint64_t hash;
    struct seriesset_block *b; /* NULL: empty slot */
};

struct seriesset {
    struct seriesset_entry *v;
    size_t n, cap; /* cap is a power of two or 0 */
};

void seriesset_init(struct seriesset *s);
void seriesset_release(struct seriesset *s);
/* Make room for n sets without growing. */
void seriesset_reserve(struct seriesset *s, size_t n);
/* Forget every set (frees the copies, keeps the table). */
void seriesset_clear(struct seriesset *s);
/* 1 if present. */
int seriesset_has(const struct seriesset *s, const struct labels *ls, uint64_t hash);
/* Insert a copy; 1 if added, 0 if it was there. */
int seriesset_add(struct seriesset *s, const struct labels *ls, uint64_t hash);
/* Insert taking ownership of b (freed if the set is there); 1 if added. */
int seriesset_add_block(struct seriesset *s, struct seriesset_block *b, uint64_t hash);
/* Remove ls and hand its block to the caller: 1, or 0 (*out NULL) when absent. */
int seriesset_take(struct seriesset *s, const struct labels *ls, uint64_t hash,
                   struct seriesset_block **out);
/* Is block b itself (not an equal copy) in the set, under hash? */
int seriesset_has_block(const struct seriesset *s, const struct seriesset_block *b, uint64_t hash);
/* Remove block b itself (the caller keeps it): 1, or 0 when absent. */
int seriesset_take_block(struct seriesset *s, const struct seriesset_block *b, uint64_t hash);
/* Insert b, known not to be in the set (no comparison), taking ownership. */
void seriesset_add_new(struct seriesset *s, struct seriesset_block *b, uint64_t hash);
/* The block of ls (free() frees it). */
struct seriesset_block *seriesset_block(const struct labels *ls);
/* A block's labels, strings in a. */
struct labels seriesset_labels(const struct seriesset_block *b, struct arena *a);
/* One malloc'd block holding the array and every string (free(ls.v) frees it). */
struct labels seriesset_copy(const struct labels *ls);

#endif
