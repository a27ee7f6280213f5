/*
 * headchunks: full head chunks written out to DIR/chunks_head/ and read back
 * through mmap, as Prometheus's ChunkDiskMapper does, so the head keeps in
 * RAM only each series' open chunk. The layout is Prometheus 2.42's
 * (tsdb/docs/format/head_chunks.md), so the directory stays one Prometheus
 * opens:
 *
 *   file 000001, 000002, ... (at most 128 MiB each):
 *     magic 0x0130BC91 <4 BE> | version 1 <1> | padding <3>
 *     chunk*: series ref <8 BE> | mint <8 BE> | maxt <8 BE> | encoding <1> |
 *             len <uvarint> | data <len> | CRC32C of all before <4 BE>
 *
 * The WAL alone rebuilds the head: cairn empties chunks_head/ when it opens a
 * directory and writes the chunks again as replay cuts them (Prometheus
 * reads them back instead; both are consistent with the WAL, whose replay
 * skips samples up to a series' last m-mapped chunk). Files are written with
 * pwrite and mapped read-only, so written chunks count in RSS only while a
 * query reads them. Locking is the head's: every call under its write lock.
 */
#ifndef CAIRN_TSDB_HEADCHUNKS_H
#define CAIRN_TSDB_HEADCHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

#define HEADCHUNKS_MAGIC    0x0130BC91u
#define HEADCHUNKS_FILE_MAX (128u * 1024 * 1024)

struct headchunks_file {
    uint32_t seq;
    uint32_t size;
    int64_t maxt;
    uint8_t *map; /* HEADCHUNKS_FILE_MAX bytes, read-only */
};

struct headchunks {
    char *dir;
    int fd; /* of the last file while chunks go there; -1 cuts a new one first */
    struct headchunks_file *files;
    size_t nfiles;
    uint32_t next_seq;
    uint64_t written, failed; /* chunks */
};

/* Create DIR (chunks_head) or empty it. */
int headchunks_open(struct headchunks *hc, const char *dir, struct diag *d);
void headchunks_release(struct headchunks *hc);
/*
 * Append a chunk of series ref; the mapped copy of its data (len bytes) or
 * NULL when it could not be written (disk full: the caller keeps it in RAM).
 */
const uint8_t *headchunks_write(struct headchunks *hc, uint64_t ref, int64_t mint, int64_t maxt,
                                const uint8_t *data, size_t len);
/* Remove the oldest files whose chunks all end before mint (none is referenced any more). */
void headchunks_truncate(struct headchunks *hc, int64_t mint);
/* Bytes on disk (for size retention and /metrics). */
long long headchunks_size(const struct headchunks *hc);

#endif
