/*
 * tsdbquerier: the glue between the storage (tsdb/query.h) and the PromQL
 * engine's querier interface (promql/querier.h): a select copies the
 * matching series' samples in [mint, maxt] out of blocks and head, and the
 * engine iterates the copies, so a query holds no storage lock while it
 * evaluates.
 */
#ifndef CAIRN_TSDBD_TSDBQUERIER_H
#define CAIRN_TSDBD_TSDBQUERIER_H

#include "promql/querier.h"
#include "tsdb/db.h"

void tsdbquerier_init(struct querier *q, struct db *db);

#endif
