/*
 * memstore: an in-memory series store implementing the querier interface,
 * for the promqltest runner and for embedding small fixed data sets. Series
 * are kept sorted by labels; samples per series sorted by time (a sample at
 * an existing time replaces it).
 */
#ifndef CAIRN_PROMQL_MEMSTORE_H
#define CAIRN_PROMQL_MEMSTORE_H

#include "promql/querier.h"

struct memstore;

struct memstore *memstore_new(void);
void memstore_free(struct memstore *m);
/* Drop every series (the .test "clear" command). */
void memstore_clear(struct memstore *m);
/* Add one sample to the series with these labels (copied). */
void memstore_add(struct memstore *m, const struct labels *ls, int64_t t, double v);
/* The querier reading m. */
struct querier memstore_querier(struct memstore *m);
size_t memstore_nseries(const struct memstore *m);

#endif
