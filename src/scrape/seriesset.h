/*
 * seriesset: a hash set of label sets that owns its copies, for what a scrape
 * loop remembers between scrapes (the series of the last scrape, to write
 * stale markers for those that disappear).
 */
#ifndef CAIRN_SERIESSET_H
#define CAIRN_SERIESSET_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/labels.h"

struct seriesset_entry {
    uint64_t hash;
    struct labels ls; /* ls.v and its strings are one malloc'd block; NULL: empty slot */
    void *cache;      /* the appender's block for the series (appender.h), freed with it */
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
/*
 * Insert taking ownership of a block made by seriesset_copy and of cache
 * (both freed if present). Returns the entry's cache slot (valid until the set
 * changes), or NULL if the set was there.
 */
void **seriesset_add_owned(struct seriesset *s, struct labels ls, uint64_t hash, void *cache);
/* Remove and hand the owned copy and its cache to the caller (ls->v NULL when absent). */
int seriesset_take(struct seriesset *s, const struct labels *key, uint64_t hash, struct labels *out,
                   void **cache);
/* One malloc'd block holding the array and every string (free(ls.v) frees it). */
struct labels seriesset_copy(const struct labels *ls);

#endif
