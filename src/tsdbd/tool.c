/* tool: the `cairn-tsdb tsdb ...` commands (see tool.h). */
#include "tsdbd/tool.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "metrics/expo.h"
#include "tsdb/blockwriter.h"
#include "tsdb/db.h"
#include "tsdb/query.h"
#include "tsdb/xorchunk.h"
#include "tsdbd/gofmt.h"
#include "tsdbd/selector.h"

static const char usage[] =
    "usage: cairn-tsdb tsdb <command> [flags] DIR\n"
    "\n"
    "Commands:\n"
    "  list [-r|--human-readable] [DIR]      list the blocks (default DIR: data/)\n"
    "  analyze [--limit=N] [DIR] [BLOCK]     cardinality of a block (default: the newest)\n"
    "  dump [--min-time=MS] [--max-time=MS] [--match=SELECTOR] [DIR]\n"
    "                                        every sample of blocks and WAL\n"
    "  create-blocks-from openmetrics FILE [DIR]\n"
    "                                        backfill 2h blocks from an OpenMetrics file\n";

static int open_ro(const char *dir, struct db **db)
{
    struct db_options o;
    struct diag d;
    db_options_default(&o);
    o.readonly = 1;
    diag_init(&d);
    int rc = db_open(db, dir, &o, &d);
    if (rc != 0)
        diag_print(&d, stderr, "cairn-tsdb");
    diag_release(&d);
    return rc;
}

/* Go's tabwriter with minwidth 13, padding 2: every cell but the last of a row padded. */
static void table_print(char ***rows, size_t nrows, size_t ncols)
{
    size_t w[16] = {0};
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c + 1 < ncols; c++) {
            size_t l = strlen(rows[r][c]) + 2;
            if (l > w[c])
                w[c] = l;
        }
    for (size_t c = 0; c < ncols; c++)
        if (w[c] < 13)
            w[c] = 13;
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c + 1 < ncols; c++)
            printf("%-*s", (int)w[c], rows[r][c]);
        printf("%s\n", rows[r][ncols - 1]);
    }
}

static void go_duration(char *out, size_t n, int64_t ms)
{
    /* time.Duration.String for whole milliseconds: 2h0m0s, 1m30.5s, 250ms. */
    if (ms == 0) {
        snprintf(out, n, "0s");
        return;
    }
    int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
    char sec[32];
    if (ms < 1000) {
        snprintf(out, n, "%" PRId64 "ms", ms);
        return;
    }
    if (frac) {
        snprintf(sec, sizeof sec, "%" PRId64 ".%03" PRId64, s, frac);
        size_t l = strlen(sec);
        while (sec[l - 1] == '0')
            sec[--l] = 0;
    } else {
        snprintf(sec, sizeof sec, "%" PRId64, s);
    }
    if (h)
        snprintf(out, n, "%" PRId64 "h%" PRId64 "m%ss", h, m, sec);
    else if (m)
        snprintf(out, n, "%" PRId64 "m%ss", m, sec);
    else
        snprintf(out, n, "%ss", sec);
}

static void human_time(char *out, size_t n, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
}

static int cmd_list(int argc, char **argv)
{
    int human = 0;
    const char *dir = "data/";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-r") || !strcmp(argv[i], "--human-readable"))
            human = 1;
        else
            dir = argv[i];
    }
    struct db *db;
    if (open_ro(dir, &db) != 0)
        return 1;
    size_t n = db->nblocks + 1;
    char ***rows = xcalloc(n, sizeof *rows);
    static char *hdr[] = {"BLOCK ULID",  "MIN TIME",   "MAX TIME",   "DURATION",
                          "NUM SAMPLES", "NUM CHUNKS", "NUM SERIES", "SIZE"};
    rows[0] = hdr;
    for (size_t i = 0; i < db->nblocks; i++) {
        const struct meta *m = &db->blocks[i]->meta;
        char **r = xcalloc(8, sizeof *r);
        char buf[64];
        r[0] = xstrdup(m->ulid);
        if (human) {
            human_time(buf, sizeof buf, m->mint);
            r[1] = xstrdup(buf);
            human_time(buf, sizeof buf, m->maxt);
            r[2] = xstrdup(buf);
        } else {
            snprintf(buf, sizeof buf, "%" PRId64, m->mint);
            r[1] = xstrdup(buf);
            snprintf(buf, sizeof buf, "%" PRId64, m->maxt);
            r[2] = xstrdup(buf);
        }
        go_duration(buf, sizeof buf, m->maxt - m->mint);
        r[3] = xstrdup(buf);
        snprintf(buf, sizeof buf, "%" PRIu64, m->nsamples);
        r[4] = xstrdup(buf);
        snprintf(buf, sizeof buf, "%" PRIu64, m->nchunks);
        r[5] = xstrdup(buf);
        snprintf(buf, sizeof buf, "%" PRIu64, m->nseries);
        r[6] = xstrdup(buf);
        snprintf(buf, sizeof buf, "%lld", db->blocks[i]->size);
        r[7] = xstrdup(buf);
        rows[i + 1] = r;
    }
    table_print(rows, n, 8);
    for (size_t i = 1; i < n; i++) {
        for (int c = 0; c < 8; c++)
            free(rows[i][c]);
        free(rows[i]);
    }
    free(rows);
    db_close(db);
    return 0;
}

static int cmd_dump(int argc, char **argv)
{
    const char *dir = "data/", *match = "{__name__=~'(?s:.*)'}";
    int64_t mint = INT64_MIN, maxt = INT64_MAX;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--min-time=", 11))
            mint = strtoll(argv[i] + 11, NULL, 10);
        else if (!strncmp(argv[i], "--max-time=", 11))
            maxt = strtoll(argv[i] + 11, NULL, 10);
        else if (!strncmp(argv[i], "--match=", 8))
            match = argv[i] + 8;
        else
            dir = argv[i];
    }
    struct diag d;
    diag_init(&d);
    struct selector sel;
    if (selector_parse(&sel, match, &d) != 0) {
        diag_print(&d, stderr, "cairn-tsdb");
        diag_release(&d);
        return 1;
    }
    struct db *db;
    if (open_ro(dir, &db) != 0) {
        selector_release(&sel);
        diag_release(&d);
        return 1;
    }
    struct query_result r;
    query_result_init(&r);
    int rc = query_select(db, mint, maxt, sel.m, sel.n, 1, &r, &d);
    if (rc == 0) {
        struct strbuf lb, line;
        strbuf_init(&lb, STRBUF_NOCAP);
        strbuf_init(&line, STRBUF_NOCAP);
        for (size_t i = 0; i < r.n; i++) {
            strbuf_reset(&lb);
            labels_format(&r.v[i].ls, &lb);
            for (size_t k = 0; k < r.v[i].n; k++) {
                strbuf_reset(&line);
                strbuf_add(&line, lb.buf, lb.len);
                strbuf_addc(&line, ' ');
                gofmt_g(&line, r.v[i].v[k]);
                strbuf_addf(&line, " %" PRId64 "\n", r.v[i].t[k]);
                fwrite(line.buf, 1, line.len, stdout);
            }
        }
        strbuf_release(&lb);
        strbuf_release(&line);
    } else {
        diag_print(&d, stderr, "cairn-tsdb");
    }
    query_result_release(&r);
    selector_release(&sel);
    db_close(db);
    diag_release(&d);
    return rc ? 1 : 0;
}

struct count {
    const char *key;
    uint64_t n;
};

static int cmp_count(const void *a, const void *b)
{
    const struct count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int cmd_analyze(int argc, char **argv)
{
    const char *dir = "data/", *want = NULL;
    int limit = 20, pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--limit=", 8))
            limit = atoi(argv[i] + 8);
        else if (pos++ == 0)
            dir = argv[i];
        else
            want = argv[i];
    }
    struct db *db;
    if (open_ro(dir, &db) != 0)
        return 1;
    const struct block *b = NULL;
    for (size_t i = 0; i < db->nblocks; i++)
        if (!want || !strcmp(db->blocks[i]->meta.ulid, want))
            b = db->blocks[i];
    if (!b) {
        fprintf(stderr, "cairn-tsdb: %s: no such block\n", want ? want : dir);
        db_close(db);
        return 1;
    }
    char dur[64];
    go_duration(dur, sizeof dur, b->meta.maxt - b->meta.mint);
    printf("Block ID: %s\nDuration: %s\nSeries: %" PRIu64 "\n", b->meta.ulid, dur, b->meta.nseries);
    size_t names = 0, entries = 0;
    struct count *pairs = xcalloc(b->npost + 1, sizeof *pairs);
    struct count *byname = xcalloc(b->npost + 1, sizeof *byname);
    struct diag d;
    diag_init(&d);
    int rc = 0;
    for (size_t p = 1; p < b->npost; p++) {
        uint32_t *refs;
        size_t n;
        if (block_postings(b, b->post[p].name, b->post[p].value, &refs, &n, &d) != 0) {
            rc = 1;
            break;
        }
        free(refs);
        pairs[p - 1].key = b->post[p].value;
        pairs[p - 1].n = n;
        entries += n;
        if (p == 1 || strcmp(b->post[p].name, b->post[p - 1].name) != 0)
            byname[names++].key = b->post[p].name;
        byname[names - 1].n++;
    }
    printf("Label names: %zu\nPostings (unique label pairs): %zu\n"
           "Postings entries (total label pairs): %zu\n",
           names, b->npost ? b->npost - 1 : 0, entries);
    qsort(byname, names, sizeof *byname, cmp_count);
    printf("\nHighest cardinality labels:\n");
    for (size_t i = 0; i < names && (int)i < limit; i++)
        printf("%" PRIu64 " %s\n", byname[i].n, byname[i].key);
    /* Verify every series and chunk: the check promtool analyze implies by reading them. */
    uint32_t *all;
    size_t nall;
    if (rc == 0 && block_postings(b, "", "", &all, &nall, &d) == 0) {
        struct arena a;
        arena_init(&a);
        uint64_t samples = 0;
        for (size_t i = 0; i < nall && rc == 0; i++) {
            struct labels ls;
            struct index_chunk *ch;
            size_t nch;
            if (block_series(b, all[i], &a, &ls, &ch, &nch, &d) != 0) {
                rc = 1;
                break;
            }
            for (size_t c = 0; c < nch && rc == 0; c++) {
                const uint8_t *data;
                size_t len;
                if (block_chunk(b, ch[c].ref, &data, &len, &d) != 0)
                    rc = 1;
                else
                    samples += xorchunk_count(data, len);
            }
            free(ch);
        }
        free(all);
        arena_release(&a);
        if (rc == 0 && samples != b->meta.nsamples) {
            diag_error(&d, NULL, "%s: meta.json says %" PRIu64 " samples, chunks hold %" PRIu64,
                       b->dir, b->meta.nsamples, samples);
            rc = 1;
        }
    } else {
        rc = 1;
    }
    if (rc)
        diag_print(&d, stderr, "cairn-tsdb");
    diag_release(&d);
    free(pairs);
    free(byname);
    db_close(db);
    return rc;
}

struct bf_series {
    struct labels ls;
    uint64_t hash;
};

struct bf_sample {
    uint32_t series;
    int64_t t;
    double v;
};

static int cmp_bf(const void *pa, const void *pb)
{
    const struct bf_sample *a = pa, *b = pb;
    if (a->series != b->series)
        return a->series < b->series ? -1 : 1;
    return a->t < b->t ? -1 : a->t > b->t;
}

static int cmd_backfill(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "openmetrics") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    const char *file = argv[2], *dir = argc > 3 ? argv[3] : "data/";
    struct diag d;
    struct strbuf body;
    diag_init(&d);
    strbuf_init(&body, STRBUF_NOCAP);
    if (strbuf_read_file(&body, file) != 0) {
        fprintf(stderr, "cairn-tsdb: %s: cannot read\n", file);
        return 1;
    }
    struct expo_parser p;
    expo_parser_init(&p, body.buf, body.len, EXPO_OPENMETRICS);
    struct arena a;
    arena_init(&a);
    struct bf_series *ser = NULL;
    struct bf_sample *smp = NULL;
    size_t nser = 0, aser = 0, nsmp = 0, asmp = 0, nb = 1024;
    size_t *bucket = xcalloc(nb, sizeof *bucket);
    int rc = 1;
    enum expo_entry e;
    while ((e = expo_next(&p)) != EXPO_EOF) {
        if (e == EXPO_ERROR) {
            fprintf(stderr, "%s:%s\n", file, expo_error(&p));
            goto out;
        }
        if (e != EXPO_SERIES)
            continue;
        int64_t t;
        if (!expo_timestamp(&p, &t)) {
            fprintf(stderr, "%s:%u: sample without a timestamp (backfill needs one)\n", file,
                    expo_line(&p));
            goto out;
        }
        struct labels ls = expo_labels(&p);
        uint64_t h = labels_hash(&ls);
        if (nser * 2 >= nb) {
            nb *= 2;
            free(bucket);
            bucket = xcalloc(nb, sizeof *bucket);
            for (size_t i = 0; i < nser; i++) {
                size_t k = ser[i].hash & (nb - 1);
                while (bucket[k])
                    k = (k + 1) & (nb - 1);
                bucket[k] = i + 1;
            }
        }
        size_t k = h & (nb - 1);
        while (bucket[k] &&
               !(ser[bucket[k] - 1].hash == h && labels_equal(&ser[bucket[k] - 1].ls, &ls)))
            k = (k + 1) & (nb - 1);
        if (!bucket[k]) {
            xgrow((void **)&ser, &aser, nser + 1, sizeof *ser);
            ser[nser].ls = labels_dup(&a, &ls);
            ser[nser].hash = h;
            bucket[k] = ++nser;
        }
        xgrow((void **)&smp, &asmp, nsmp + 1, sizeof *smp);
        smp[nsmp++] = (struct bf_sample){(uint32_t)(bucket[k] - 1), t, expo_value(&p)};
    }
    if (nsmp)
        qsort(smp, nsmp, sizeof *smp, cmp_bf);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < nsmp; i++) {
        if (smp[i].t < lo)
            lo = smp[i].t;
        if (smp[i].t > hi)
            hi = smp[i].t;
    }
    const int64_t range = DB_DEFAULT_BLOCK_RANGE;
    struct xorchunk *xc = NULL;
    struct blockwriter_chunk *ch = NULL;
    size_t ach = 0;
    rc = 0;
    for (int64_t w0 = nsmp ? lo - ((lo % range) + range) % range : 1; nsmp && w0 <= hi && !rc;
         w0 += range) {
        struct blockwriter *w = blockwriter_new(dir, &d);
        if (!w) {
            rc = 1;
            break;
        }
        int64_t bmin = INT64_MAX, bmax = INT64_MIN;
        for (size_t i = 0; i < nsmp && !rc;) {
            size_t j = i;
            size_t nch = 0;
            int64_t last = INT64_MIN;
            while (j < nsmp && smp[j].series == smp[i].series) {
                const struct bf_sample *s = &smp[j++];
                if (s->t < w0 || s->t >= w0 + range || s->t == last)
                    continue;
                last = s->t;
                if (nch == 0 || xc[nch - 1].n >= HEAD_SAMPLES_PER_CHUNK) {
                    if (nch == ach) {
                        size_t aa = ach;
                        xgrow((void **)&ch, &aa, nch + 1, sizeof *ch);
                        xc = xrealloc(xc, aa * sizeof *xc);
                        ach = aa;
                    }
                    xorchunk_init(&xc[nch]);
                    ch[nch].mint = s->t;
                    nch++;
                }
                xorchunk_append(&xc[nch - 1], s->t, s->v);
                ch[nch - 1].maxt = s->t;
                if (s->t < bmin)
                    bmin = s->t;
                if (s->t > bmax)
                    bmax = s->t;
            }
            for (size_t c = 0; c < nch; c++)
                ch[c].data = xorchunk_bytes(&xc[c], &ch[c].len);
            if (blockwriter_add(w, &ser[smp[i].series].ls, ch, nch, &d) != 0)
                rc = 1;
            for (size_t c = 0; c < nch; c++)
                xorchunk_release(&xc[c]);
            i = j;
        }
        struct meta m;
        meta_init(&m);
        m.mint = bmin;
        m.maxt = bmax + 1;
        if (!rc && blockwriter_finish(w, &m, &d) < 0)
            rc = 1;
        else if (!rc && bmin != INT64_MAX)
            printf("BLOCK ULID %s\n", m.ulid);
        meta_release(&m);
        blockwriter_free(w);
    }
    free(xc);
    free(ch);
    if (rc)
        diag_print(&d, stderr, "cairn-tsdb");
out:
    expo_parser_release(&p);
    free(ser);
    free(smp);
    free(bucket);
    arena_release(&a);
    strbuf_release(&body);
    diag_release(&d);
    return rc;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} cmds[] = {
    {"list", cmd_list},
    {"ls", cmd_list},
    {"analyze", cmd_analyze},
    {"dump", cmd_dump},
    {"create-blocks-from", cmd_backfill},
};

int tool_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "cairn-tsdb: unknown tsdb command %s\n%s", argv[1], usage);
    return 2;
}
