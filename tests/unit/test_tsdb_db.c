/* tsdb head, WAL, db and compaction planning: Prometheus's rules, durability, replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "tsdb/compact.h"
#include "tsdb/crc32c.h"
#include "tsdb/db.h"
#include "tsdb/fsutil.h"
#include "tsdb/head.h"
#include "tsdb/query.h"
#include "tsdb/ulid.h"
#include "tsdb/wal.h"
#include "tsdb/walrec.h"
#include "tsdb/xorchunk.h"

#define H (3600 * 1000LL)

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/cairn-tsdb-unit-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return xstrdup(d);
}

static struct labels series_labels(struct label *lv, const char *name, const char *inst)
{
    lv[0] = (struct label){"__name__", name};
    lv[1] = (struct label){"instance", inst};
    return (struct labels){lv, 2};
}

static void head_cuts_chunks_as_prometheus(void **state)
{
    struct head h;
    struct label lv[2];
    head_init(&h, 2 * H);
    struct labels ls = series_labels(lv, "up", "a");
    struct head_series *s = head_create(&h, &ls, labels_hash(&ls), 0);
    /* 15 s scrapes from a range boundary: 480 samples per 2h, four chunks of 120. */
    for (int i = 0; i < 480; i++)
        assert_int_equal(head_append(&h, s, 4 * H + i * 15000LL, i), HEAD_OK);
    assert_int_equal(s->nchunks, 3);
    assert_int_equal(s->cur.n, 120);
    for (size_t c = 0; c < s->nchunks; c++)
        assert_int_equal(s->chunks[c].data[1], 120);
    /* The next range starts a new chunk at once. */
    assert_int_equal(head_append(&h, s, 6 * H, 1), HEAD_OK);
    assert_int_equal(s->nchunks, 4);
    assert_int_equal(s->cur_mint, 6 * H);
    /* The 30th sample predicts the chunk's end from the rate so far; when the rate then
     * jumps, the chunk is cut at 240 samples. */
    for (int i = 1; i < 30; i++)
        head_append(&h, s, 6 * H + i * 15000LL, i);
    for (int i = 0; i < 300; i++)
        head_append(&h, s, 6 * H + 29 * 15000LL + 1 + i, i);
    assert_int_equal(s->chunks[s->nchunks - 1].data[0] << 8 | s->chunks[s->nchunks - 1].data[1],
                     240);
    head_release(&h);
}

static int has(const struct headpost_list *l, const struct head_series *s)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (l->v[i] == s)
            return 1;
    return 0;
}

/* The postings list every series under each of its pairs, and truncation takes the
 * removed series out (the pair too when it is left empty). */
static void head_postings_follow_series(void **state)
{
    struct head h;
    struct label la[2], lb[2], lc[2];
    head_init(&h, 2 * H);
    struct labels a = series_labels(la, "up", "a"), b = series_labels(lb, "up", "b"),
                  c = series_labels(lc, "down", "a");
    struct head_series *sa = head_create(&h, &a, labels_hash(&a), 0);
    struct head_series *sb = head_create(&h, &b, labels_hash(&b), 0);
    struct head_series *sc = head_create(&h, &c, labels_hash(&c), 0);
    const struct headpost_list *up = headpost_get(&h.post, "__name__", "up");
    assert_non_null(up);
    assert_int_equal(up->n, 2);
    assert_true(has(up, sa) && has(up, sb));
    const struct headpost_list *ia = headpost_get(&h.post, "instance", "a");
    assert_int_equal(ia->n, 2);
    assert_true(has(ia, sa) && has(ia, sc));
    assert_null(headpost_get(&h.post, "instance", "c"));
    assert_null(headpost_get(&h.post, "up", "__name__"));
    /* b only has old samples: truncation removes it. */
    head_append(&h, sa, 10 * H, 1);
    head_append(&h, sb, 1 * H, 1);
    head_append(&h, sc, 10 * H, 1);
    head_truncate(&h, 4 * H);
    assert_int_equal(h.nseries, 2);
    up = headpost_get(&h.post, "__name__", "up");
    assert_int_equal(up->n, 1);
    assert_true(has(up, sa));
    assert_null(headpost_get(&h.post, "instance", "b"));
    assert_int_equal(headpost_get(&h.post, "instance", "a")->n, 2);
    head_release(&h);
}

static void head_rejects_as_prometheus(void **state)
{
    struct head h;
    struct label lv[2];
    head_init(&h, 2 * H);
    struct labels ls = series_labels(lv, "up", "a");
    struct head_series *s = head_create(&h, &ls, labels_hash(&ls), 0);
    assert_int_equal(head_appendable(&h, s, 10 * H, 1), HEAD_OK);
    head_append(&h, s, 10 * H, 1);
    assert_int_equal(head_appendable(&h, s, 10 * H, 1), HEAD_IGNORED);
    assert_int_equal(head_appendable(&h, s, 10 * H, 2), HEAD_DUPLICATE);
    assert_int_equal(head_appendable(&h, s, 10 * H - 1, 2), HEAD_OUT_OF_ORDER);
    /* More than half a block range behind the head's newest sample: out of bounds. */
    assert_int_equal(head_appendable(&h, s, 9 * H - 1, 2), HEAD_OUT_OF_BOUNDS);
    assert_int_equal(h.out_of_order, 1);
    assert_int_equal(h.out_of_bounds, 1);
    assert_int_equal(h.duplicates, 1);
    assert_string_equal(head_append_error[HEAD_OUT_OF_ORDER], "out of order sample");
    assert_string_equal(head_append_error[HEAD_DUPLICATE], "duplicate sample for timestamp");
    assert_string_equal(head_append_error[HEAD_OUT_OF_BOUNDS], "out of bounds");
    head_release(&h);
}

struct collect {
    int series, samples;
    int64_t last_t;
};

static int on_series(void *ctx, uint64_t ref, const struct labels *ls)
{
    ((struct collect *)ctx)->series++;
    return 0;
}

static int on_sample(void *ctx, uint64_t ref, int64_t t, double v)
{
    struct collect *c = ctx;
    c->samples++;
    c->last_t = t;
    return 0;
}

static int on_record(void *ctx, const uint8_t *rec, size_t n)
{
    struct walrec_handler h = {ctx, on_series, on_sample, NULL};
    assert_int_equal(walrec_decode(rec, n, &h), 0);
    return 0;
}

static void wal_round_trip_and_torn_tail(void **state)
{
    char *dir = tmpdir();
    struct diag d;
    diag_init(&d);
    for (int compress = 0; compress < 2; compress++) {
        char wdir[4200], seg[4300];
        snprintf(wdir, sizeof wdir, "%s/wal%d", dir, compress);
        struct wal *w = wal_open(wdir, compress, &d);
        assert_non_null(w);
        struct strbuf sr, ss;
        strbuf_init(&sr, STRBUF_NOCAP);
        strbuf_init(&ss, STRBUF_NOCAP);
        struct label lv[2];
        struct labels ls = series_labels(lv, "up", "a");
        walrec_series_begin(&sr);
        walrec_series_add(&sr, 1, &ls);
        /* Records larger than a page span pages as first/middle/last fragments. */
        static struct walrec_sample smp[5000];
        for (int i = 0; i < 5000; i++)
            smp[i] = (struct walrec_sample){1, 1000 + i, sin(i) * 1e6};
        walrec_samples(&ss, smp, 5000);
        const uint8_t *recs[] = {(const uint8_t *)sr.buf, (const uint8_t *)ss.buf};
        size_t lens[] = {sr.len, ss.len};
        for (int k = 0; k < 10; k++)
            assert_int_equal(wal_write(w, recs, lens, 2, 6000, &d), 0);
        wal_close(w);
        snprintf(seg, sizeof seg, "%s/00000000", wdir);
        struct collect c = {0};
        size_t good;
        assert_int_equal(wal_read_segment(seg, on_record, &c, &good, &d), 0);
        assert_int_equal(c.series, 10);
        assert_int_equal(c.samples, 50000);
        assert_int_equal(c.last_t, 5999);
        /* Tear the last record: the reader stops at the last whole one. */
        struct stat st;
        stat(seg, &st);
        assert_int_equal(truncate(seg, st.st_size - 100), 0);
        memset(&c, 0, sizeof c);
        assert_int_equal(wal_read_segment(seg, on_record, &c, &good, &d), 1);
        assert_int_equal(c.samples, 45000);
        assert_true(good > 0 && (off_t)good < st.st_size - 100);
        strbuf_release(&sr);
        strbuf_release(&ss);
    }
    fsutil_rmtree(dir);
    free(dir);
    diag_release(&d);
}

static size_t count_samples(struct db *db, const char *metric)
{
    struct matcher m;
    struct diag d;
    struct query_result r;
    diag_init(&d);
    assert_int_equal(matcher_init(&m, MATCH_EQ, "__name__", metric, &d), 0);
    query_result_init(&r);
    assert_int_equal(query_select(db, INT64_MIN, INT64_MAX, &m, 1, 1, &r, &d), 0);
    size_t n = 0;
    for (size_t i = 0; i < r.n; i++) {
        for (size_t k = 1; k < r.v[i].n; k++)
            assert_true(r.v[i].t[k] > r.v[i].t[k - 1]);
        n += r.v[i].n;
    }
    query_result_release(&r);
    matcher_release(&m);
    diag_release(&d);
    return n;
}

static void db_commit_replay_compact(void **state)
{
    char *dir = tmpdir();
    struct db_options o;
    struct db *db;
    struct diag d;
    diag_init(&d);
    db_options_default(&o);
    o.wal_compression = 1;
    assert_int_equal(db_open(&db, dir, &o, &d), 0);
    struct db_appender a;
    struct label lv[2], lvs[5][2];
    char inst[5][16];
    /* 20 hours of 5 series at 1 minute. */
    for (int i = 0; i < 1200; i++) {
        db_appender_init(&a, db);
        for (int s = 0; s < 5; s++) {
            /* Labels are borrowed until the commit: one array per series. */
            snprintf(inst[s], sizeof inst[s], "i%d", s);
            struct labels ls = series_labels(lvs[s], "m", inst[s]);
            db_appender_add(&a, &ls, 100 * H + i * 60000LL, i + s);
        }
        assert_int_equal(db_appender_commit(&a, &d), DB_COMMIT_OK);
        db_appender_release(&a);
    }
    /* A commit with one bad sample stores nothing. */
    db_appender_init(&a, db);
    struct labels ls = series_labels(lv, "m2", "x");
    db_appender_add(&a, &ls, 120 * H, 1);
    ls = series_labels(lvs[0], "m", "i0");
    db_appender_add(&a, &ls, 100 * H + 1198 * 60000LL - 1, 1);
    assert_int_equal(db_appender_commit(&a, &d), DB_COMMIT_REJECTED);
    assert_string_equal(d.v[0].msg, "out of order sample");
    db_appender_release(&a);
    assert_int_equal(count_samples(db, "m"), 6000);
    assert_int_equal(count_samples(db, "m2"), 0);
    db_close(db);

    /* Replay. */
    assert_int_equal(db_open(&db, dir, &o, &d), 0);
    assert_int_equal(count_samples(db, "m"), 6000);
    /* Compaction: 2h blocks out of the head, 6h block from three of them. */
    assert_int_equal(compact_run(db, &d), 0);
    assert_true(db->nblocks >= 2);
    assert_true(db->head.mint >= db->blocks[db->nblocks - 1]->meta.maxt);
    assert_int_equal(count_samples(db, "m"), 6000);
    int leveled = 0;
    for (size_t i = 0; i < db->nblocks; i++)
        leveled |= db->blocks[i]->meta.level >= 2;
    assert_true(leveled);
    db_close(db);
    /* And once more from blocks + checkpoint + WAL. */
    assert_int_equal(db_open(&db, dir, &o, &d), 0);
    assert_int_equal(count_samples(db, "m"), 6000);
    db_close(db);
    fsutil_rmtree(dir);
    free(dir);
    diag_release(&d);
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/*
 * Parse DIR/chunks_head/NNNNNN as Prometheus's ChunkDiskMapper reads it
 * (head_chunks.md) and check every chunk against the head: its series, its
 * time range and its bytes, which the head reads through the mapping.
 * Returns the number of chunks.
 */
static size_t check_head_chunks_file(struct db *db, const char *path)
{
    char *buf;
    size_t n;
    struct diag d;
    diag_init(&d);
    assert_int_equal(fsutil_read_file(path, &buf, &n, &d), 0);
    const uint8_t *b = (const uint8_t *)buf;
    assert_true(n >= 8);
    assert_int_equal((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | b[2] << 8 | b[3], 0x0130BC91);
    assert_int_equal(b[4], 1);
    size_t off = 8, nchunks = 0;
    while (off < n) {
        uint64_t ref = be64(b + off);
        int64_t mint = (int64_t)be64(b + off + 8), maxt = (int64_t)be64(b + off + 16);
        assert_int_equal(b[off + 24], 1);
        size_t p = off + 25, len = 0;
        for (int sh = 0;; sh += 7) {
            len |= (size_t)(b[p] & 0x7f) << sh;
            if (!(b[p++] & 0x80))
                break;
        }
        assert_true(p + len + 4 <= n);
        uint32_t crc = crc32c(b + off, p - off + len);
        const uint8_t *c = b + p + len;
        assert_int_equal((uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3],
                         crc);
        struct head_series *s = head_by_ref(&db->head, ref);
        if (s) { /* the chunks of series the head still holds: the same, m-mapped */
            int found = 0;
            for (size_t i = 0; i < s->nchunks; i++)
                if (s->chunks[i].mint == mint) {
                    assert_int_equal(head_chunk_maxt(&s->chunks[i]), maxt);
                    assert_int_equal(head_chunk_len(&s->chunks[i]), len);
                    assert_true(head_chunk_mapped(&s->chunks[i]));
                    assert_memory_equal(s->chunks[i].data, b + p, len);
                    found = 1;
                }
            assert_true(found || maxt < db->head.mint);
        }
        assert_true(xorchunk_count(b + p, len) > 0);
        off = p + len + 4;
        nchunks++;
    }
    free(buf);
    diag_release(&d);
    return nchunks;
}

static size_t head_chunks_on_disk(struct db *db, const char *dir)
{
    size_t total = 0, files = 0;
    char path[512];
    for (unsigned seq = 1; seq < 100; seq++) {
        snprintf(path, sizeof path, "%s/chunks_head/%06u", dir, seq);
        if (access(path, F_OK) != 0) {
            if (files)
                break; /* no gaps: Prometheus refuses them */
            continue;
        }
        files++;
        total += check_head_chunks_file(db, path);
    }
    return total;
}

static void append_15s(struct db *db, int from, int to)
{
    struct label lvs[3][2];
    char inst[3][16];
    struct diag d;
    diag_init(&d);
    for (int i = from; i < to; i++) {
        struct db_appender a;
        db_appender_init(&a, db);
        for (int s = 0; s < 3; s++) {
            snprintf(inst[s], sizeof inst[s], "i%d", s);
            struct labels ls = series_labels(lvs[s], "m", inst[s]);
            db_appender_add(&a, &ls, 100 * H + i * 15000LL, (i / 7) * (s + 1));
        }
        assert_int_equal(db_appender_commit(&a, &d), DB_COMMIT_OK);
        db_appender_release(&a);
    }
    diag_release(&d);
}

static void head_chunks_are_mmapped_in_prometheus_format(void **state)
{
    char *dir = tmpdir();
    struct db_options o;
    struct db *db;
    struct diag d;
    diag_init(&d);
    db_options_default(&o);
    assert_int_equal(db_open(&db, dir, &o, &d), 0);
    /* 5 hours of 3 series at 15 s: full chunks go to chunks_head/, the open one stays. */
    append_15s(db, 0, 1200);
    size_t inmem = 0;
    for (uint64_t r = 1; r <= 3; r++)
        inmem += head_by_ref(&db->head, r)->nchunks;
    assert_true(inmem >= 3 * 8);
    assert_int_equal(head_chunks_on_disk(db, dir), inmem);
    assert_int_equal(count_samples(db, "m"), 3600);
    db_close(db);
    /* Reopen: chunks_head/ is rewritten from the WAL, the same chunks. */
    assert_int_equal(db_open(&db, dir, &o, &d), 0);
    assert_int_equal(head_chunks_on_disk(db, dir), inmem);
    assert_int_equal(count_samples(db, "m"), 3600);
    /* Head compaction truncates; the file being written is closed, and removed at a later
     * truncation once its chunks all went to blocks. */
    assert_int_equal(compact_run(db, &d), 0);
    assert_true(db->nblocks >= 1);
    append_15s(db, 1200, 2400);
    assert_int_equal(compact_run(db, &d), 0);
    char first[512];
    snprintf(first, sizeof first, "%s/chunks_head/000001", dir);
    assert_int_equal(access(first, F_OK), -1);
    assert_true(head_chunks_on_disk(db, dir) > 0);
    assert_int_equal(count_samples(db, "m"), 7200);
    db_close(db);
    fsutil_rmtree(dir);
    free(dir);
    diag_release(&d);
}

static struct block *fake(int64_t mint, int64_t maxt)
{
    struct block *b = xcalloc(1, sizeof *b);
    meta_init(&b->meta);
    b->meta.mint = mint;
    b->meta.maxt = maxt;
    return b;
}

static void plan_is_prometheus_select_dirs(void **state)
{
    /* Cases from Prometheus's TestLeveledCompactor_plan, ranges 20, 60, 180, 540, 1620. */
    static const struct {
        int64_t b[8][2];
        size_t n;
        int lo, hi; /* expected group, -1 none */
    } cases[] = {
        {{{0, 20}}, 1, -1, -1},
        {{{0, 20}, {20, 40}, {40, 60}}, 3, -1, -1},
        {{{0, 20}, {20, 40}, {40, 60}, {60, 80}}, 4, 0, 3},
        {{{0, 60}, {60, 120}, {120, 180}, {180, 200}}, 4, 0, 3},
        {{{0, 60}, {60, 120}, {120, 180}, {180, 200}, {200, 220}}, 5, 0, 3},
        {{{0, 20}, {60, 80}, {80, 100}, {100, 120}}, 4, -1, -1},
        {{{0, 20}, {20, 40}, {60, 80}, {80, 100}}, 4, 0, 2},
    };
    struct db db;
    memset(&db, 0, sizeof db);
    int64_t r[] = {20, 60, 180, 540, 1620};
    memcpy(db.ranges, r, sizeof r);
    db.nranges = 5;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct block *bl[8];
        for (size_t i = 0; i < cases[c].n; i++)
            bl[i] = fake(cases[c].b[i][0], cases[c].b[i][1]);
        db.blocks = bl;
        db.nblocks = cases[c].n;
        size_t lo, hi;
        int got = compact_plan(&db, &lo, &hi);
        if (cases[c].lo < 0) {
            assert_int_equal(got, -1);
        } else {
            assert_int_equal(got, 0);
            assert_int_equal(lo, cases[c].lo);
            assert_int_equal(hi, cases[c].hi);
        }
        for (size_t i = 0; i < cases[c].n; i++) {
            meta_release(&bl[i]->meta);
            free(bl[i]);
        }
    }
    int64_t out[10];
    assert_int_equal(db_block_ranges(2 * H, 15 * 24 * H, out), 3);
    assert_true(out[0] == 2 * H && out[1] == 6 * H && out[2] == 18 * H);
    assert_int_equal(db_block_ranges(2 * H, 0, out), 6);
    assert_true(out[5] == 486 * H);
}

static void ulid_encoding(void **state)
{
    uint8_t rnd[10] = {0};
    char u[27];
    ulid_encode(u, 1469918176385ull, rnd);
    /* oklog/ulid's documented example time prefix. */
    assert_memory_equal(u, "01ARYZ6S41", 10);
    assert_true(ulid_valid(u));
    assert_true(ulid_time(u) == 1469918176385ull);
    assert_false(ulid_valid("01ARYZ6S41-0000000000000000"));
    assert_false(ulid_valid("81ARYZ6S410000000000000000"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(head_cuts_chunks_as_prometheus),
        cmocka_unit_test(head_rejects_as_prometheus),
        cmocka_unit_test(head_postings_follow_series),
        cmocka_unit_test(wal_round_trip_and_torn_tail),
        cmocka_unit_test(db_commit_replay_compact),
        cmocka_unit_test(head_chunks_are_mmapped_in_prometheus_format),
        cmocka_unit_test(plan_is_prometheus_select_dirs),
        cmocka_unit_test(ulid_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
