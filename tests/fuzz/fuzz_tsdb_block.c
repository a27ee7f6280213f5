/*
 * fuzz_tsdb_block: the TSDB's readers on hostile bytes. The input is
 * [index length <4 bytes BE>][index][chunks segment]: written as a block
 * directory (with a valid meta.json), opened with block_open() and read
 * through every postings list, series and chunk; the whole input is also
 * read as a WAL segment, each record decoded. Must never crash, leak or hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/diag.h"
#include "tsdb/block.h"
#include "tsdb/fsutil.h"
#include "tsdb/wal.h"
#include "tsdb/walrec.h"
#include "tsdb/xorchunk.h"

static char dir[64];

static int on_series(void *ctx, uint64_t ref, const struct labels *ls)
{
    return 0;
}

static int on_sample(void *ctx, uint64_t ref, int64_t t, double v)
{
    return 0;
}

static int on_record(void *ctx, const uint8_t *rec, size_t n)
{
    struct walrec_handler h = {NULL, on_series, on_sample, NULL};
    walrec_decode(rec, n, &h);
    return 0;
}

static void put(const char *name, const uint8_t *p, size_t n)
{
    char path[128];
    struct diag d;
    diag_init(&d);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fsutil_write_file(path, p, n, &d);
    diag_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char meta[] = "{\"ulid\":\"01BKGV7JC0RY8A6MACW02A2PJD\",\"minTime\":0,"
                               "\"maxTime\":1000,\"stats\":{},\"compaction\":{\"level\":1},"
                               "\"version\":1}";
    char path[128];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz-tsdb-%d", (int)getpid());
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/chunks", dir);
        mkdir(path, 0755);
        put("meta.json", (const uint8_t *)meta, sizeof meta - 1);
    }
    if (size < 4)
        return 0;
    size_t il = (size_t)data[0] << 24 | (size_t)data[1] << 16 | (size_t)data[2] << 8 | data[3];
    if (il > size - 4)
        il = size - 4;
    put("index", data + 4, il);
    put("chunks/000001", data + 4 + il, size - 4 - il);
    struct diag d;
    diag_init(&d);
    struct block *b = block_open(dir, &d);
    if (b) {
        uint32_t *refs;
        size_t n;
        if (block_postings(b, "", "", &refs, &n, &d) == 0) {
            struct arena a;
            arena_init(&a);
            for (size_t i = 0; i < n && i < 1000; i++) {
                struct labels ls;
                struct index_chunk *ch;
                size_t nch;
                if (block_series(b, refs[i], &a, &ls, &ch, &nch, &d) != 0)
                    continue;
                for (size_t c = 0; c < nch && c < 100; c++) {
                    const uint8_t *cd;
                    size_t cl;
                    if (block_chunk(b, ch[c].ref, &cd, &cl, &d) != 0)
                        continue;
                    struct xoriter it;
                    xoriter_init(&it, cd, cl);
                    while (xoriter_next(&it) == 1)
                        ;
                }
                free(ch);
            }
            arena_release(&a);
            free(refs);
        }
        for (size_t p = 0; p < b->npost && p < 100; p++)
            if (block_postings(b, b->post[p].name, b->post[p].value, &refs, &n, &d) == 0)
                free(refs);
        block_close(b);
    }
    snprintf(path, sizeof path, "%s/wal-seg", dir);
    put("wal-seg", data, size);
    size_t good;
    wal_read_segment(path, on_record, NULL, &good, &d);
    diag_release(&d);
    return 0;
}
