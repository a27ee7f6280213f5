/*
 * query: reads across the persisted blocks and the head of a db, merged per
 * series (label sets equal across sources are one series; samples merged by
 * time, a timestamp present twice kept once), deleted intervals
 * (tombstones) left out. Results are copies: a query never holds a lock
 * while its caller formats the answer.
 */
#ifndef CAIRN_TSDB_QUERY_H
#define CAIRN_TSDB_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "metrics/labels.h"
#include "metrics/matcher.h"
#include "tsdb/db.h"

struct query_series {
    struct labels ls;
    uint64_t hash;
    int64_t *t;
    double *v;
    size_t n, alloc;
};

struct query_result {
    struct arena arena;
    struct query_series *v;
    size_t n, alloc;
    size_t *buckets; /* open hash of indexes + 1 */
    size_t nbuckets;
};

void query_result_init(struct query_result *r);
void query_result_release(struct query_result *r);

/* Series matching every matcher with data in [mint, maxt], sorted by labels. */
int query_select(struct db *db, int64_t mint, int64_t maxt, const struct matcher *ms, size_t nm,
                 int with_samples, struct query_result *out, struct diag *d);

/* Sorted unique strings. */
struct query_strings {
    struct arena arena;
    const char **v;
    size_t n, alloc;
};
void query_strings_init(struct query_strings *s);
void query_strings_release(struct query_strings *s);

/* Label names (name NULL) or the values of name, over [mint, maxt], optionally by matchers. */
int query_labels(struct db *db, const char *name, int64_t mint, int64_t maxt,
                 const struct matcher *ms, size_t nm, struct query_strings *out, struct diag *d);

#endif
