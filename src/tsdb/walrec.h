/*
 * walrec: the WAL record bodies of Prometheus's tsdb/record package:
 *
 *   series (1):     1 | (ref <8b BE> | #labels <uvarint> | (name | value <uvarint str>)...)...
 *   samples (2):    2 | first ref <8b> | first t <8b> |
 *                   (ref - first ref <varint> | t - first t <varint> | value bits <8b>)...
 *   tombstones (3): 3 | (ref <8b> | mint <varint> | maxt <varint>)...
 *
 * Other types (exemplars, mmap markers, metadata, histograms) are skipped on
 * replay.
 */
#ifndef CAIRN_TSDB_WALREC_H
#define CAIRN_TSDB_WALREC_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/strbuf.h"
#include "metrics/labels.h"

enum walrec_type { WALREC_SERIES = 1, WALREC_SAMPLES = 2, WALREC_TOMBSTONES = 3 };

struct walrec_sample {
    uint64_t ref;
    int64_t t;
    double v;
};

void walrec_series_begin(struct strbuf *sb);
void walrec_series_add(struct strbuf *sb, uint64_t ref, const struct labels *ls);
void walrec_samples(struct strbuf *sb, const struct walrec_sample *s, size_t n);
void walrec_tombstone_begin(struct strbuf *sb);
void walrec_tombstone_add(struct strbuf *sb, uint64_t ref, int64_t mint, int64_t maxt);

/* Callbacks for walrec_decode; NULL skips a kind. Return non-zero to stop. */
struct walrec_handler {
    void *ctx;
    int (*series)(void *ctx, uint64_t ref, const struct labels *ls);
    int (*sample)(void *ctx, uint64_t ref, int64_t t, double v);
    int (*tombstone)(void *ctx, uint64_t ref, int64_t mint, int64_t maxt);
};

/* Decode one record; -1 if it is malformed, 0 otherwise (unknown types included). */
int walrec_decode(const uint8_t *rec, size_t n, const struct walrec_handler *h);

#endif
