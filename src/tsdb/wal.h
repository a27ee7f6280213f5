/*
 * wal: Prometheus's write-ahead log (tsdb/docs/format/wal.md, tsdb/wlog):
 * numbered segment files 00000000, 00000001, ... of at most 128 MiB, split
 * into 32 KiB pages. A record is written as one or more fragments, each
 *
 *   type <1b> | length <2b BE> | CRC32C of data <4b BE> | data
 *
 * where type's low bits say full (1), first (2), middle (3) or last (4), bit
 * 0x08 says the record is snappy-compressed (block format, only when that is
 * smaller), and 0 is padding to the end of the page. A fragment never spans a
 * page; a record never spans a segment.
 *
 * Durability (group commit): wal_write() returns only after the records are
 * written and fdatasync'd. Concurrent writers queue behind one fdatasync
 * that covers all of them, so a commit costs one sync however many run at
 * once. A failed write or sync truncates the segment back to where the commit
 * began and returns -1: the caller refuses the request and nothing half
 * written is replayed.
 */
#ifndef CAIRN_TSDB_WAL_H
#define CAIRN_TSDB_WAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

#define WAL_PAGE_SIZE    (32 * 1024)
#define WAL_SEGMENT_SIZE (128 * 1024 * 1024)
#define WAL_HEADER_SIZE  7

enum wal_rec_type {
    WAL_REC_PAGE_TERM = 0,
    WAL_REC_FULL,
    WAL_REC_FIRST,
    WAL_REC_MIDDLE,
    WAL_REC_LAST
};

struct wal {
    char *dir;
    int compress;
    int fd;
    int seg;           /* current segment number */
    size_t done_pages; /* full pages in the current segment */
    uint8_t page[WAL_PAGE_SIZE];
    size_t alloc, flushed; /* bytes used / already written of the page */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    uint64_t written, synced;
    int syncing;
    int broken; /* a failed write could not be undone: the next one cuts */
    uint64_t bytes_written;
    /* Newest sample timestamp logged in each segment (for checkpointing). */
    struct wal_segmax {
        int seg;
        int64_t maxt;
    } * segmax;
    size_t nsegmax, asegmax;
    uint64_t fsyncs, fsync_ns;
};

/* Open dir (created if absent) for writing a new segment after the last one. */
struct wal *wal_open(const char *dir, int compress, struct diag *d);
void wal_close(struct wal *w);
/* Log records whose newest sample is maxt and return once durable (group commit). */
int wal_write(struct wal *w, const uint8_t *const *recs, const size_t *lens, size_t n, int64_t maxt,
              struct diag *d);
/* Record that segment seg holds samples up to maxt (replay tells the writer). */
void wal_note_maxt(struct wal *w, int seg, int64_t maxt);
/* Newest sample in seg, INT64_MAX when unknown. */
int64_t wal_segment_maxt(struct wal *w, int seg);
/* Close the current segment and start the next; *closed gets the closed one. */
int wal_cut(struct wal *w, int *closed, struct diag *d);

/* Segment numbers present in dir: first and last, -1/-1 when none. */
int wal_segment_range(const char *dir, int *first, int *last);

/* Called with each complete, decompressed record; non-zero stops the read. */
typedef int (*wal_record_fn)(void *ctx, const uint8_t *rec, size_t n);

/*
 * Read one segment file. Returns 0 when it ends cleanly; 1 when it ends in a
 * torn or corrupt record, with *good_end the offset just past the last good
 * record (the caller truncates there); -1 when the file cannot be read.
 */
int wal_read_segment(const char *path, wal_record_fn fn, void *ctx, size_t *good_end,
                     struct diag *d);
/* Encode records into a fresh segment file (for checkpoints), fsync'd. */
int wal_write_segment_file(const char *path, const uint8_t *const *recs, const size_t *lens,
                           size_t n, int compress, struct diag *d);

#endif
