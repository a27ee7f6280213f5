/*
 * tsdb_synth: writes deterministic synthetic series as 2-hour blocks with
 * the block writer (no head, no WAL) and prints every sample as promtool
 * tsdb dump prints it ("{labels} value ts"), so tests can compare.
 *
 *   tsdb_synth DIR NSERIES NSAMPLES START_MS STEP_MS
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "tsdb/blockwriter.h"
#include "tsdb/xorchunk.h"

#define RANGE (2 * 3600 * 1000LL)

static double value_at(int s, int i)
{
    if (s % 7 == 3 && i % 50 == 49)
        return NAN;
    if (s % 11 == 5 && i == 10)
        return INFINITY;
    if (s % 5 == 0)
        return (double)(i * (s + 1)); /* a counter */
    return sin(i * 0.1 + s) * 1000.0 / (s + 1);
}

static int64_t ts_at(int64_t start, int64_t step, int s, int i)
{
    /* Mostly regular, with jitter, as scrapes are. */
    return start + (int64_t)i * step + ((s + i) % 13 == 0 ? (i % 3) * 7 : 0) + s % 10;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: tsdb_synth DIR NSERIES NSAMPLES START_MS STEP_MS\n");
        return 2;
    }
    const char *dir = argv[1];
    int nseries = atoi(argv[2]), nsamples = atoi(argv[3]);
    int64_t start = strtoll(argv[4], NULL, 10), step = strtoll(argv[5], NULL, 10);
    int64_t first = ts_at(start, step, 0, 0), last = ts_at(start, step, 9, nsamples - 1) + 100;
    struct diag d;
    diag_init(&d);
    struct strbuf sb;
    strbuf_init(&sb, STRBUF_NOCAP);
    char inst[64], code[16];
    for (int64_t lo = first - ((first % RANGE) + RANGE) % RANGE; lo <= last; lo += RANGE) {
        struct blockwriter *w = blockwriter_new(dir, &d);
        if (!w)
            goto fail;
        for (int s = 0; s < nseries; s++) {
            snprintf(inst, sizeof inst, "host-%d:9100", s / 4);
            snprintf(code, sizeof code, "%d", 200 + (s % 4) * 100);
            struct label lv[] = {{"__name__", s % 3 ? "synth_requests_total" : "synth_temp"},
                                 {"code", code},
                                 {"instance", inst},
                                 {"job", "synth"}};
            struct labels ls = {lv, 4};
            struct blockwriter_chunk *ch = NULL;
            struct xorchunk *xc = NULL;
            size_t nch = 0, ach = 0;
            for (int i = 0; i < nsamples; i++) {
                int64_t t = ts_at(start, step, s, i);
                if (t < lo || t >= lo + RANGE)
                    continue;
                if (nch == 0 || xc[nch - 1].n >= 120) {
                    xgrow((void **)&ch, &ach, nch + 1, sizeof *ch);
                    xc = xrealloc(xc, ach * sizeof *xc);
                    xorchunk_init(&xc[nch]);
                    ch[nch].mint = t;
                    nch++;
                }
                double v = value_at(s, i);
                xorchunk_append(&xc[nch - 1], t, v);
                ch[nch - 1].maxt = t;
                strbuf_reset(&sb);
                labels_format(&ls, &sb);
                printf("%s %.17g %" PRId64 "\n", sb.buf, v, t);
            }
            for (size_t c = 0; c < nch; c++)
                ch[c].data = xorchunk_bytes(&xc[c], &ch[c].len);
            int rc = blockwriter_add(w, &ls, ch, nch, &d);
            for (size_t c = 0; c < nch; c++)
                xorchunk_release(&xc[c]);
            free(ch);
            free(xc);
            if (rc != 0)
                goto fail;
        }
        struct meta m;
        meta_init(&m);
        m.mint = lo;
        m.maxt = lo + RANGE;
        int rc = blockwriter_finish(w, &m, &d);
        if (rc == 0)
            fprintf(stderr, "block %s\n", m.ulid);
        meta_release(&m);
        blockwriter_free(w);
        if (rc < 0)
            goto fail;
    }
    strbuf_release(&sb);
    diag_release(&d);
    return 0;
fail:
    diag_print(&d, stderr, "tsdb_synth");
    return 1;
}
