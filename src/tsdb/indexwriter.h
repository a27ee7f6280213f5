/*
 * indexwriter: a block's index file, format v2 of Prometheus's
 * tsdb/docs/format/index.md:
 *
 *   magic 0xBAAAD700 <4b> | version 2 <1b>
 *   symbols:  len <4b> | #symbols <4b> | (len <uvarint> | bytes)... | CRC32C <4b>
 *   series:   each 16-byte aligned, ref = offset / 16:
 *             len <uvarint> | #labels <uvarint> | (name sym, value sym <uvarint>)... |
 *             #chunks <uvarint> | mint <varint> | maxt-mint <uvarint> | ref <uvarint> |
 *             (mint-prev maxt <uvarint> | maxt-mint <uvarint> | ref-prev ref <varint>)... |
 *             CRC32C <4b>
 *   label indices (one per name, 4-byte aligned):
 *             len <4b> | #names=1 <4b> | #values <4b> | value sym <4b>... | CRC32C <4b>
 *   postings (4-byte aligned; first the all-series list for name "" value ""):
 *             len <4b> | #refs <4b> | series ref <4b>... | CRC32C <4b>
 *   label offset table:    len <4b> | #entries <4b> | (1 <uvarint> | name | offset <uvarint>)... |
 * CRC postings offset table: len <4b> | #entries <4b> | (2 <uvarint> | name | value | offset)... |
 * CRC TOC: six offsets <8b each> (symbols, series, label indices, label offset table, postings,
 * postings offset table) | CRC32C <4b>
 *
 * Symbols are sorted strings, referenced by their position. Series are sorted
 * by labels; section starts recorded in the TOC are before alignment padding,
 * as Prometheus's writer records them.
 */
#ifndef CAIRN_TSDB_INDEXWRITER_H
#define CAIRN_TSDB_INDEXWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/strbuf.h"
#include "metrics/labels.h"

#define INDEX_MAGIC     0xBAAAD700u
#define INDEX_FORMAT_V2 2
#define INDEX_TOC_LEN   (6 * 8 + 4)

struct index_chunk {
    int64_t mint, maxt; /* inclusive, as chunks.Meta */
    uint64_t ref;       /* segment sequence << 32 | offset */
};

struct index_series {
    struct labels ls;
    const struct index_chunk *chunks;
    size_t nchunks;
};

/* Encode the index of series (sorted by labels_cmp, unique) into out. */
int indexwriter_build(struct strbuf *out, const struct index_series *series, size_t n,
                      struct diag *d);

#endif
