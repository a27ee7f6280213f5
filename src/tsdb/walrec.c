/* walrec: encode and decode WAL record bodies (layout in walrec.h). */
#include "tsdb/walrec.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tsdb/dec.h"
#include "tsdb/enc.h"

void walrec_series_begin(struct strbuf *sb)
{
    enc_byte(sb, WALREC_SERIES);
}

void walrec_series_add(struct strbuf *sb, uint64_t ref, const struct labels *ls)
{
    enc_be64(sb, ref);
    enc_uvarint(sb, ls->n);
    for (size_t i = 0; i < ls->n; i++) {
        enc_str(sb, ls->v[i].name, strlen(ls->v[i].name));
        enc_str(sb, ls->v[i].value, strlen(ls->v[i].value));
    }
}

void walrec_samples(struct strbuf *sb, const struct walrec_sample *s, size_t n)
{
    enc_byte(sb, WALREC_SAMPLES);
    if (n == 0)
        return;
    enc_be64(sb, s[0].ref);
    enc_be64(sb, (uint64_t)s[0].t);
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &s[i].v, sizeof bits);
        enc_varint(sb, (int64_t)(s[i].ref - s[0].ref));
        enc_varint(sb, (int64_t)((uint64_t)s[i].t - (uint64_t)s[0].t));
        enc_be64(sb, bits);
    }
}

void walrec_tombstone_begin(struct strbuf *sb)
{
    enc_byte(sb, WALREC_TOMBSTONES);
}

void walrec_tombstone_add(struct strbuf *sb, uint64_t ref, int64_t mint, int64_t maxt)
{
    enc_be64(sb, ref);
    enc_varint(sb, mint);
    enc_varint(sb, maxt);
}

static int decode_series(struct dec *d, const struct walrec_handler *h)
{
    struct label *lv = NULL;
    char *strs = NULL;
    size_t alv = 0, astr = 0, aoffs = 0, *offs = NULL;
    int rc = 0;
    while (dec_len(d) > 0 && !d->err && rc == 0) {
        uint64_t ref = dec_be64(d);
        uint64_t nl = dec_uvarint(d);
        if (nl > dec_len(d)) {
            d->err = 1;
            break;
        }
        xgrow((void **)&lv, &alv, nl + 1, sizeof *lv);
        /* Copy the strings NUL-terminated; offsets first, pointers after growth. */
        size_t used = 0;
        xgrow((void **)&offs, &aoffs, 2 * nl + 1, sizeof *offs);
        for (uint64_t i = 0; i < 2 * nl; i++) {
            size_t l;
            const char *s = dec_str(d, &l);
            xgrow((void **)&strs, &astr, used + l + 1, 1);
            memcpy(strs + used, s, l);
            strs[used + l] = 0;
            offs[i] = used;
            used += l + 1;
        }
        if (d->err)
            break;
        for (uint64_t i = 0; i < nl; i++) {
            lv[i].name = strs + offs[2 * i];
            lv[i].value = strs + offs[2 * i + 1];
        }
        struct labels ls = {lv, nl};
        if (h->series)
            rc = h->series(h->ctx, ref, &ls);
    }
    free(lv);
    free(strs);
    free(offs);
    return d->err ? -1 : rc;
}

int walrec_decode(const uint8_t *rec, size_t n, const struct walrec_handler *h)
{
    struct dec d;
    dec_init(&d, rec, n);
    uint8_t typ = dec_byte(&d);
    switch (typ) {
    case WALREC_SERIES:
        return decode_series(&d, h) < 0 ? -1 : 0;
    case WALREC_SAMPLES: {
        if (dec_len(&d) == 0)
            return 0;
        uint64_t ref0 = dec_be64(&d);
        int64_t t0 = (int64_t)dec_be64(&d);
        while (dec_len(&d) > 0 && !d.err) {
            uint64_t ref = ref0 + (uint64_t)dec_varint(&d);
            int64_t t = (int64_t)((uint64_t)t0 + (uint64_t)dec_varint(&d));
            uint64_t bits = dec_be64(&d);
            double v;
            memcpy(&v, &bits, sizeof v);
            if (!d.err && h->sample && h->sample(h->ctx, ref, t, v))
                break;
        }
        return d.err ? -1 : 0;
    }
    case WALREC_TOMBSTONES:
        while (dec_len(&d) > 0 && !d.err) {
            uint64_t ref = dec_be64(&d);
            int64_t mint = dec_varint(&d), maxt = dec_varint(&d);
            if (!d.err && h->tombstone && h->tombstone(h->ctx, ref, mint, maxt))
                break;
        }
        return d.err ? -1 : 0;
    default:
        return d.err ? -1 : 0; /* exemplars, metadata, histograms: not stored */
    }
}
