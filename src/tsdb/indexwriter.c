/*
 * indexwriter: encodes a whole index v2 in memory (layout in indexwriter.h,
 * after Prometheus's tsdb/docs/format/index.md), in the section order and
 * with the padding Prometheus 2.42's index.Writer produces.
 */
#include "tsdb/indexwriter.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tsdb/crc32c.h"
#include "tsdb/enc.h"

struct posting_key {
    uint32_t name, value, ref;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_posting(const void *pa, const void *pb)
{
    const struct posting_key *a = pa, *b = pb;
    if (a->name != b->name)
        return a->name < b->name ? -1 : 1;
    if (a->value != b->value)
        return a->value < b->value ? -1 : 1;
    return a->ref < b->ref ? -1 : a->ref > b->ref;
}

static uint32_t sym_ref(const char **syms, size_t n, const char *s)
{
    const char **p = bsearch(&s, syms, n, sizeof *syms, cmp_str);
    return (uint32_t)(p - syms);
}

static void pad(struct strbuf *out, size_t align)
{
    static const char zeros[16];
    size_t r = out->len % align;
    if (r)
        strbuf_add(out, zeros, align - r);
}

/* Patch the 4-byte length at start, then append the CRC of what follows it. */
static void close_section(struct strbuf *out, size_t start)
{
    enc_put_be32(out->buf + start, (uint32_t)(out->len - start - 4));
    enc_be32(out, crc32c(out->buf + start + 4, out->len - start - 4));
}

int indexwriter_build(struct strbuf *out, const struct index_series *series, size_t n,
                      struct diag *d)
{
    int rc = -1;
    uint64_t toc[6];
    size_t nsyms = 0, asyms = 0, npost = 0, apost = 0;
    const char **syms = NULL;
    struct posting_key *post = NULL;
    uint32_t *refs = xmalloc((n + 1) * sizeof *refs);
    struct strbuf sb;
    strbuf_init(&sb, STRBUF_NOCAP);

    for (size_t i = 0; i < n; i++) {
        if (i > 0 && labels_cmp(&series[i - 1].ls, &series[i].ls) >= 0) {
            diag_error(d, NULL, "index: series %zu out of order or duplicate", i);
            goto out;
        }
        for (size_t k = 0; k < series[i].ls.n; k++) {
            xgrow((void **)&syms, &asyms, nsyms + 2, sizeof *syms);
            syms[nsyms++] = series[i].ls.v[k].name;
            syms[nsyms++] = series[i].ls.v[k].value;
        }
    }
    if (nsyms)
        qsort(syms, nsyms, sizeof *syms, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < nsyms; i++)
        if (u == 0 || strcmp(syms[u - 1], syms[i]) != 0)
            syms[u++] = syms[i];
    nsyms = u;

    enc_be32(out, INDEX_MAGIC);
    enc_byte(out, INDEX_FORMAT_V2);

    toc[0] = out->len;
    size_t start = out->len;
    enc_be32(out, 0);
    enc_be32(out, (uint32_t)nsyms);
    for (size_t i = 0; i < nsyms; i++)
        enc_str(out, syms[i], strlen(syms[i]));
    close_section(out, start);

    toc[1] = out->len;
    for (size_t i = 0; i < n; i++) {
        const struct index_series *s = &series[i];
        pad(out, 16);
        uint64_t ref = out->len / 16;
        if (ref > UINT32_MAX) {
            diag_error(d, NULL, "index: series section exceeds 64 GiB");
            goto out;
        }
        refs[i] = (uint32_t)ref;
        strbuf_reset(&sb);
        enc_uvarint(&sb, s->ls.n);
        for (size_t k = 0; k < s->ls.n; k++) {
            uint32_t nr = sym_ref(syms, nsyms, s->ls.v[k].name);
            uint32_t vr = sym_ref(syms, nsyms, s->ls.v[k].value);
            enc_uvarint(&sb, nr);
            enc_uvarint(&sb, vr);
            xgrow((void **)&post, &apost, npost + 1, sizeof *post);
            post[npost++] = (struct posting_key){nr, vr, (uint32_t)ref};
        }
        enc_uvarint(&sb, s->nchunks);
        for (size_t c = 0; c < s->nchunks; c++) {
            const struct index_chunk *ch = &s->chunks[c];
            if (c == 0) {
                enc_varint(&sb, ch->mint);
                enc_uvarint(&sb, (uint64_t)(ch->maxt - ch->mint));
                enc_uvarint(&sb, ch->ref);
            } else {
                const struct index_chunk *pr = &s->chunks[c - 1];
                enc_uvarint(&sb, (uint64_t)(ch->mint - pr->maxt));
                enc_uvarint(&sb, (uint64_t)(ch->maxt - ch->mint));
                enc_varint(&sb, (int64_t)(ch->ref - pr->ref));
            }
        }
        enc_uvarint(out, sb.len);
        strbuf_add(out, sb.buf, sb.len);
        enc_be32(out, crc32c(sb.buf, sb.len));
    }
    if (npost)
        qsort(post, npost, sizeof *post, cmp_posting);

    /* Label indices: one per name, its values in symbol order. */
    toc[2] = out->len;
    size_t nnames = 0;
    uint64_t *name_off = xmalloc((npost + 1) * sizeof *name_off);
    uint32_t *name_sym = xmalloc((npost + 1) * sizeof *name_sym);
    for (size_t i = 0; i < npost;) {
        size_t j = i;
        while (j < npost && post[j].name == post[i].name)
            j++;
        pad(out, 4);
        name_off[nnames] = out->len;
        name_sym[nnames++] = post[i].name;
        start = out->len;
        enc_be32(out, 0);
        enc_be32(out, 1);
        size_t cnt_at = out->len, cnt = 0;
        enc_be32(out, 0);
        for (size_t k = i; k < j; k++)
            if (k == i || post[k].value != post[k - 1].value) {
                enc_be32(out, post[k].value);
                cnt++;
            }
        enc_put_be32(out->buf + cnt_at, (uint32_t)cnt);
        close_section(out, start);
        i = j;
    }

    /* Postings: the all-series list first, then by name and value. */
    toc[4] = out->len;
    pad(out, 4);
    size_t npl = 0, apl = 0;
    struct {
        uint32_t name, value;
        uint64_t off;
    } *pl = NULL;
    xgrow((void **)&pl, &apl, 1, sizeof *pl);
    pl[npl].name = pl[npl].value = UINT32_MAX;
    pl[npl++].off = out->len;
    start = out->len;
    enc_be32(out, 0);
    enc_be32(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        enc_be32(out, refs[i]);
    close_section(out, start);
    for (size_t i = 0; i < npost;) {
        size_t j = i;
        while (j < npost && post[j].name == post[i].name && post[j].value == post[i].value)
            j++;
        pad(out, 4);
        xgrow((void **)&pl, &apl, npl + 1, sizeof *pl);
        pl[npl].name = post[i].name;
        pl[npl].value = post[i].value;
        pl[npl++].off = out->len;
        start = out->len;
        enc_be32(out, 0);
        enc_be32(out, (uint32_t)(j - i));
        for (size_t k = i; k < j; k++)
            enc_be32(out, post[k].ref);
        close_section(out, start);
        i = j;
    }

    toc[3] = out->len;
    start = out->len;
    enc_be32(out, 0);
    enc_be32(out, (uint32_t)nnames);
    for (size_t i = 0; i < nnames; i++) {
        enc_uvarint(out, 1);
        enc_str(out, syms[name_sym[i]], strlen(syms[name_sym[i]]));
        enc_uvarint(out, name_off[i]);
    }
    close_section(out, start);

    toc[5] = out->len;
    start = out->len;
    enc_be32(out, 0);
    enc_be32(out, (uint32_t)npl);
    for (size_t i = 0; i < npl; i++) {
        const char *nm = pl[i].name == UINT32_MAX ? "" : syms[pl[i].name];
        const char *vl = pl[i].value == UINT32_MAX ? "" : syms[pl[i].value];
        enc_uvarint(out, 2);
        enc_str(out, nm, strlen(nm));
        enc_str(out, vl, strlen(vl));
        enc_uvarint(out, pl[i].off);
    }
    close_section(out, start);

    start = out->len;
    for (int i = 0; i < 6; i++)
        enc_be64(out, toc[i]);
    enc_be32(out, crc32c(out->buf + start, out->len - start));
    free(pl);
    free(name_off);
    free(name_sym);
    rc = 0;
out:
    free(syms);
    free(post);
    free(refs);
    strbuf_release(&sb);
    return rc;
}
