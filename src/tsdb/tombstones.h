/*
 * tombstones: a block's deleted intervals (tsdb/docs/format/tombstones.md):
 *
 *   magic 0x0130BA30 <4b> | version 1 <1b> |
 *   (series ref <uvarint64> | mint <varint64> | maxt <varint64>)... |
 *   CRC32C <4b> over the entries (not the magic or version)
 */
#ifndef CAIRN_TSDB_TOMBSTONES_H
#define CAIRN_TSDB_TOMBSTONES_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

#define TOMBSTONES_MAGIC 0x0130BA30u

struct tombstone {
    uint64_t ref;
    int64_t mint, maxt; /* inclusive */
};

struct tombstones {
    struct tombstone *v;
    size_t n, alloc;
};

void tombstones_init(struct tombstones *t);
void tombstones_release(struct tombstones *t);
void tombstones_add(struct tombstones *t, uint64_t ref, int64_t mint, int64_t maxt);
/* Is (ref, ts) deleted? Linear in the intervals of ref (kept sorted by ref). */
int tombstones_covers(const struct tombstones *t, uint64_t ref, int64_t ts);
/* Does ref have any interval at all? */
int tombstones_has(const struct tombstones *t, uint64_t ref);
int tombstones_write(const char *dir, const struct tombstones *t, struct diag *d);
/* A missing file is no tombstones, as in Prometheus. */
int tombstones_read(const char *dir, struct tombstones *t, struct diag *d);

#endif
