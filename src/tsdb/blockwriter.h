/*
 * blockwriter: writes one block in Prometheus's directory layout:
 *
 *   <ulid>/chunks/000001, 000002, ...   segment files (chunks.md)
 *   <ulid>/index                        index v2 (indexwriter.h)
 *   <ulid>/meta.json                    (meta.h)
 *   <ulid>/tombstones                   (tombstones.h)
 *
 * Everything goes to <ulid>.tmp-for-creation first; finish fsyncs every file
 * and directory, then renames the directory into place and fsyncs the parent,
 * so a crash leaves either the whole block or a tmp directory that the next
 * open deletes.
 *
 * A segment file: magic 0x85BD40DD <4b> | version 1 <1b> | padding <3b> |
 * (len <uvarint> | encoding <1b> | data | CRC32C of encoding+data <4b>)...
 * A chunk's reference is segment index (0-based) << 32 | offset in the file.
 */
#ifndef CAIRN_TSDB_BLOCKWRITER_H
#define CAIRN_TSDB_BLOCKWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "metrics/labels.h"
#include "tsdb/meta.h"

#define CHUNKS_MAGIC        0x85BD40DDu
#define CHUNKS_HEADER_LEN   8
#define CHUNKS_SEGMENT_SIZE (512ull * 1024 * 1024)

/* A chunk to write: its XOR bytes (header included) and time range. */
struct blockwriter_chunk {
    int64_t mint, maxt;
    const uint8_t *data;
    size_t len;
};

struct blockwriter;

/* Start a block under dbdir. */
struct blockwriter *blockwriter_new(const char *dbdir, struct diag *d);
/*
 * Add a series (any order; each label set once) with chunks in time order.
 * A series without chunks is skipped, as Prometheus's compactor does.
 */
int blockwriter_add(struct blockwriter *w, const struct labels *ls,
                    const struct blockwriter_chunk *chunks, size_t n, struct diag *d);
/*
 * Write index, meta.json (from m: mint, maxt, level, sources, parents; stats
 * and ulid are filled in) and tombstones, then rename into place. On success
 * m->ulid names the block. An empty block is not written (returns 1).
 */
int blockwriter_finish(struct blockwriter *w, struct meta *m, struct diag *d);
/* Free; an unfinished block's tmp directory is removed. */
void blockwriter_free(struct blockwriter *w);

#endif
