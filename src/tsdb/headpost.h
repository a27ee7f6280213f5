/*
 * headpost: the head's postings index, as Prometheus's MemPostings: for
 * every label pair (name, value) of a live head series, the series that
 * carry it. Queries start from the shortest list of their equality
 * matchers instead of scanning every series; label names and values come
 * from the pairs. Lists are unordered (results are sorted afterwards).
 * Locking is the head's: add and sweep under its write lock, reads under
 * at least its read lock.
 */
#ifndef CAIRN_TSDB_HEADPOST_H
#define CAIRN_TSDB_HEADPOST_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/labels.h"

struct head_series;

struct headpost_list {
    const char *name, *value; /* one allocation with the struct */
    uint64_t hash;
    struct head_series **v;
    size_t n, alloc;
    struct headpost_list *next;
};

struct headpost {
    struct headpost_list **b;
    size_t nbuckets, npairs;
};

void headpost_init(struct headpost *p);
void headpost_release(struct headpost *p);
/* Index s under every label of ls. */
void headpost_add(struct headpost *p, const struct labels *ls, struct head_series *s);
/* The series with name=value, NULL when none. */
const struct headpost_list *headpost_get(const struct headpost *p, const char *name,
                                         const char *value);
/* Drop every series for which gone(s) is true; pairs left empty go too. */
void headpost_sweep(struct headpost *p, int (*gone)(const struct head_series *s));
/* Call fn for every pair (in no order). */
void headpost_each(const struct headpost *p,
                   void (*fn)(void *ctx, const char *name, const char *value), void *ctx);

#endif
