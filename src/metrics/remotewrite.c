/*
 * remotewrite: the remote-write 1.0 body (see remotewrite.h for the message
 * layout). protobuf-c does the wire encoding from remotewrite.proto, libsnappy
 * the block compression; this file maps our label sets and samples onto the
 * generated structs and validates what a receiver must not accept.
 */
#include "metrics/remotewrite.h"
#include "metrics/remotewrite.pb-c.h"
#include "metrics/expo_int.h"
#include "core/xmalloc.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

struct remotewrite_limits remotewrite_limits_default(void)
{
    return (struct remotewrite_limits){
        .max_compressed = 32u << 20,
        .max_uncompressed = 256u << 20,
        .max_labels = 1024,
        .max_label_bytes = 64u << 10,
    };
}

size_t remotewrite_count_samples(const struct remotewrite_request *req)
{
    size_t n = 0;
    for (size_t i = 0; i < req->nseries; i++)
        n += req->series[i].nsamples;
    return n;
}

static Prometheus__Label **pb_labels(struct arena *a, const struct labels *ls)
{
    Prometheus__Label **v = arena_alloc(a, (ls->n ? ls->n : 1) * sizeof(*v));
    Prometheus__Label *l = arena_alloc(a, (ls->n ? ls->n : 1) * sizeof(*l));
    for (size_t i = 0; i < ls->n; i++) {
        prometheus__label__init(&l[i]);
        l[i].name = (char *)ls->v[i].name;
        l[i].value = (char *)ls->v[i].value;
        v[i] = &l[i];
    }
    return v;
}

int remotewrite_encode(const struct remotewrite_request *req, struct strbuf *out, struct diag *d)
{
    struct arena a;
    Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
    int rc = -1;
    arena_init(&a);
    wr.n_timeseries = req->nseries;
    wr.timeseries = arena_alloc(&a, (req->nseries + 1) * sizeof(*wr.timeseries));
    for (size_t i = 0; i < req->nseries; i++) {
        const struct remotewrite_series *s = &req->series[i];
        Prometheus__TimeSeries *ts = arena_alloc(&a, sizeof(*ts));
        prometheus__time_series__init(ts);
        ts->n_labels = s->labels.n;
        ts->labels = pb_labels(&a, &s->labels);
        ts->n_samples = s->nsamples;
        ts->samples = arena_alloc(&a, (s->nsamples + 1) * sizeof(*ts->samples));
        Prometheus__Sample *sv = arena_alloc(&a, (s->nsamples + 1) * sizeof(*sv));
        for (size_t j = 0; j < s->nsamples; j++) {
            prometheus__sample__init(&sv[j]);
            sv[j].value = s->samples[j].v;
            sv[j].timestamp = s->samples[j].t;
            ts->samples[j] = &sv[j];
        }
        ts->n_exemplars = s->nexemplars;
        ts->exemplars = arena_alloc(&a, (s->nexemplars + 1) * sizeof(*ts->exemplars));
        for (size_t j = 0; j < s->nexemplars; j++) {
            Prometheus__Exemplar *ex = arena_alloc(&a, sizeof(*ex));
            prometheus__exemplar__init(ex);
            ex->n_labels = s->exemplars[j].labels.n;
            ex->labels = pb_labels(&a, &s->exemplars[j].labels);
            ex->value = s->exemplars[j].value;
            ex->timestamp = s->exemplars[j].t;
            ts->exemplars[j] = ex;
        }
        wr.timeseries[i] = ts;
    }
    wr.n_metadata = req->nmetadata;
    wr.metadata = arena_alloc(&a, (req->nmetadata + 1) * sizeof(*wr.metadata));
    for (size_t i = 0; i < req->nmetadata; i++) {
        const struct remotewrite_metadata *m = &req->metadata[i];
        Prometheus__MetricMetadata *md = arena_alloc(&a, sizeof(*md));
        prometheus__metric_metadata__init(md);
        /* enum expo_mtype is numbered as prompb's MetricType. */
        md->type = (Prometheus__MetricMetadata__MetricType)m->type;
        md->metric_family_name = (char *)(m->family ? m->family : "");
        md->help = (char *)(m->help ? m->help : "");
        md->unit = (char *)(m->unit ? m->unit : "");
        wr.metadata[i] = md;
    }
    size_t plen = prometheus__write_request__get_packed_size(&wr);
    uint8_t *pb = xmalloc(plen ? plen : 1);
    prometheus__write_request__pack(&wr, pb);
    rc = remotewrite_compress(pb, plen, out, d);
    free(pb);
    arena_release(&a);
    return rc;
}

int remotewrite_compress(const void *pb, size_t len, struct strbuf *out, struct diag *d)
{
    size_t clen = snappy_max_compressed_length(len);
    char *c = xmalloc(clen);
    int rc = -1;

    if (snappy_compress(pb, len, c, &clen) != SNAPPY_OK)
        diag_error(d, NULL, "snappy: compression failed");
    else if (strbuf_add(out, c, clen) < 0)
        diag_error(d, NULL, "remote-write request of %zu bytes exceeds the buffer's limit", clen);
    else
        rc = 0;
    free(c);
    return rc;
}

/* ---- pre-encoded records (see remotewrite.h) ---- */

static size_t varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* A length-delimited field: tag, varint length, bytes. */
static void put_field(struct strbuf *sb, unsigned char tag, const void *p, size_t n)
{
    unsigned char hdr[11];
    size_t h = 1;
    hdr[0] = tag;
    h += varint(hdr + 1, n);
    strbuf_add(sb, hdr, h);
    strbuf_add(sb, p, n);
}

void remotewrite_put_labels(struct strbuf *sb, const struct labels *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        size_t nl = strlen(ls->v[i].name), vl = strlen(ls->v[i].value);
        /* proto3 leaves out empty strings, as protobuf-c does */
        size_t body = (nl ? 1 + varint_len(nl) + nl : 0) + (vl ? 1 + varint_len(vl) + vl : 0);
        unsigned char hdr[11];
        hdr[0] = 0x0a; /* TimeSeries.labels */
        strbuf_add(sb, hdr, 1 + varint(hdr + 1, body));
        if (nl)
            put_field(sb, 0x0a, ls->v[i].name, nl);
        if (vl)
            put_field(sb, 0x12, ls->v[i].value, vl);
    }
}

void remotewrite_put_series(struct strbuf *sb, const void *labels, size_t len, int64_t t, double v)
{
    unsigned char s[32]; /* Sample: 0x09 fixed64 value, 0x10 varint timestamp */
    unsigned char hdr[24];
    uint64_t bits;
    size_t n = 0, h = 0;

    /* proto3 leaves out zero values (all bits zero), as protobuf-c does: the same bytes */
    memcpy(&bits, &v, sizeof(bits));
    if (bits) {
        s[n++] = 0x09;
        for (int i = 0; i < 8; i++)
            s[n++] = (unsigned char)(bits >> (8 * i));
    }
    if (t) {
        s[n++] = 0x10;
        n += varint(s + n, (uint64_t)t);
    }
    hdr[h++] = 0x0a; /* WriteRequest.timeseries */
    h += varint(hdr + h, len + 1 + varint_len(n) + n);
    strbuf_add(sb, hdr, h);
    strbuf_add(sb, labels, len);
    put_field(sb, 0x12, s, n); /* TimeSeries.samples */
}

/* A varint at *p (< end); advances *p. -1 when truncated or too long. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char c = *(*p)++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

/* A length-delimited field with the given tag at *p; *body and *n its bytes. */
static int get_field(const unsigned char **p, const unsigned char *end, unsigned char tag,
                     const unsigned char **body, size_t *n)
{
    uint64_t len;
    if (*p >= end || **p != tag)
        return -1;
    (*p)++;
    if (get_varint(p, end, &len) < 0 || len > (uint64_t)(end - *p))
        return -1;
    *body = *p;
    *n = (size_t)len;
    *p += len;
    return 0;
}

int remotewrite_labels_decode(const void *bytes, size_t len, struct label *out, size_t max,
                              struct arena *a)
{
    const unsigned char *p = bytes, *end = p + len;
    size_t k = 0;

    while (p < end && *p == 0x0a && k < max) {
        const unsigned char *lb, *lend, *f;
        size_t ln, fn;
        if (get_field(&p, end, 0x0a, &lb, &ln) < 0)
            return -1;
        lend = lb + ln;
        out[k].name = out[k].value = "";
        if (lb < lend && *lb == 0x0a) {
            if (get_field(&lb, lend, 0x0a, &f, &fn) < 0)
                return -1;
            out[k].name = arena_strndup(a, (const char *)f, fn);
        }
        if (lb < lend && *lb == 0x12) {
            if (get_field(&lb, lend, 0x12, &f, &fn) < 0)
                return -1;
            out[k].value = arena_strndup(a, (const char *)f, fn);
        }
        k++;
    }
    return (int)k;
}

int remotewrite_labels_equal(const void *bytes, size_t len, const struct labels *ls)
{
    const unsigned char *p = bytes, *end = p + len;

    for (size_t i = 0; i < ls->n; i++) {
        const unsigned char *lb, *lend, *f;
        size_t ln, fn, nl = strlen(ls->v[i].name), vl = strlen(ls->v[i].value);
        if (get_field(&p, end, 0x0a, &lb, &ln) < 0)
            return 0;
        lend = lb + ln;
        if (nl &&
            (get_field(&lb, lend, 0x0a, &f, &fn) < 0 || fn != nl || memcmp(f, ls->v[i].name, nl)))
            return 0;
        if (vl &&
            (get_field(&lb, lend, 0x12, &f, &fn) < 0 || fn != vl || memcmp(f, ls->v[i].value, vl)))
            return 0;
        if (lb != lend)
            return 0;
    }
    return p == end;
}

int remotewrite_record_labels(const void *rec, size_t len, struct label *out, size_t max,
                              struct arena *a)
{
    const unsigned char *p = rec, *ts, *tend, *q;
    size_t tn;

    if (get_field(&p, p + len, 0x0a, &ts, &tn) < 0)
        return -1;
    /* The labels come first, up to the Sample field. */
    tend = ts + tn;
    q = ts;
    while (q < tend && *q == 0x0a) {
        const unsigned char *b;
        size_t n;
        if (get_field(&q, tend, 0x0a, &b, &n) < 0)
            return -1;
    }
    return remotewrite_labels_decode(ts, (size_t)(q - ts), out, max, a);
}

/* protobuf-c allocates every message of a request in the request's arena: one bump per
 * label instead of a malloc and a free (they dominated the ingestion profile). */
static void *pb_alloc(void *arena, size_t n)
{
    return arena_alloc(arena, n ? n : 1);
}

static void pb_free(void *arena, void *p)
{
    (void)arena;
    (void)p;
}

static const char *copy(struct arena *a, const char *s)
{
    return arena_strdup(a, s ? s : "");
}

static int decode_labels(Prometheus__Label **pl, size_t n, const struct remotewrite_limits *lim,
                         struct arena *a, struct labels *out, int need_name, const char *what,
                         size_t idx, struct diag *d)
{
    struct label *v = arena_alloc(a, (n ? n : 1) * sizeof(*v));
    int has_name = 0;
    if (n > lim->max_labels) {
        diag_error(d, NULL, "%s %zu: %zu labels, more than %zu", what, idx, n, lim->max_labels);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = pl[i]->name ? pl[i]->name : "",
                   *value = pl[i]->value ? pl[i]->value : "";
        size_t nl = strlen(name), vl = strlen(value);
        if (nl > lim->max_label_bytes || vl > lim->max_label_bytes) {
            diag_error(d, NULL, "%s %zu: label longer than %zu bytes", what, idx,
                       lim->max_label_bytes);
            return -1;
        }
        if (!labels_valid_name(name, nl)) {
            diag_error(d, NULL, "%s %zu: invalid label name \"%.64s\"", what, idx, name);
            return -1;
        }
        if (i > 0 && strcmp(v[i - 1].name, name) >= 0) {
            diag_error(d, NULL, "%s %zu: labels not sorted and unique: \"%.64s\" after \"%.64s\"",
                       what, idx, name, v[i - 1].name);
            return -1;
        }
        if (!expo_utf8_valid(value, vl)) {
            diag_error(d, NULL, "%s %zu: label %s has a value that is not UTF-8", what, idx, name);
            return -1;
        }
        if (vl == 0) {
            diag_error(d, NULL, "%s %zu: label %s has an empty value", what, idx, name);
            return -1;
        }
        if (strcmp(name, LABELS_METRIC_NAME) == 0) {
            if (!labels_valid_metric_name(value, vl)) {
                diag_error(d, NULL, "%s %zu: invalid metric name \"%.64s\"", what, idx, value);
                return -1;
            }
            has_name = 1;
        }
        /* The unpacked strings live in the arena already. */
        v[i].name = name;
        v[i].value = value;
    }
    if (need_name && !has_name) {
        diag_error(d, NULL, "%s %zu: no metric name (label __name__)", what, idx);
        return -1;
    }
    *out = (struct labels){v, n};
    return 0;
}

static int decode(const Prometheus__WriteRequest *wr, const struct remotewrite_limits *lim,
                  struct arena *a, struct remotewrite_request *out, struct diag *d)
{
    struct remotewrite_series *series = arena_alloc(a, (wr->n_timeseries + 1) * sizeof(*series));
    for (size_t i = 0; i < wr->n_timeseries; i++) {
        const Prometheus__TimeSeries *ts = wr->timeseries[i];
        struct remotewrite_series *s = &series[i];
        if (decode_labels(ts->labels, ts->n_labels, lim, a, &s->labels, 1, "series", i, d) < 0)
            return -1;
        if (ts->n_samples == 0 && ts->n_exemplars == 0) {
            diag_error(d, NULL, "series %zu: no samples", i);
            return -1;
        }
        struct sample *sv = arena_alloc(a, (ts->n_samples + 1) * sizeof(*sv));
        for (size_t j = 0; j < ts->n_samples; j++)
            sv[j] = (struct sample){ts->samples[j]->timestamp, ts->samples[j]->value};
        s->samples = sv;
        s->nsamples = ts->n_samples;
        struct remotewrite_exemplar *ev = arena_alloc(a, (ts->n_exemplars + 1) * sizeof(*ev));
        for (size_t j = 0; j < ts->n_exemplars; j++) {
            const Prometheus__Exemplar *ex = ts->exemplars[j];
            if (decode_labels(ex->labels, ex->n_labels, lim, a, &ev[j].labels, 0,
                              "exemplar of series", i, d) < 0)
                return -1;
            ev[j].value = ex->value;
            ev[j].t = ex->timestamp;
        }
        s->exemplars = ev;
        s->nexemplars = ts->n_exemplars;
    }
    struct remotewrite_metadata *md = arena_alloc(a, (wr->n_metadata + 1) * sizeof(*md));
    for (size_t i = 0; i < wr->n_metadata; i++) {
        const Prometheus__MetricMetadata *m = wr->metadata[i];
        if ((unsigned)m->type > EXPO_STATESET) {
            diag_error(d, NULL, "metadata %zu: unknown metric type %d", i, (int)m->type);
            return -1;
        }
        md[i].type = (enum expo_mtype)m->type;
        md[i].family = copy(a, m->metric_family_name);
        md[i].help = copy(a, m->help);
        md[i].unit = copy(a, m->unit);
        if (!expo_utf8_valid(md[i].help, strlen(md[i].help))) {
            diag_error(d, NULL, "metadata %zu: help is not UTF-8", i);
            return -1;
        }
    }
    *out = (struct remotewrite_request){series, wr->n_timeseries, md, wr->n_metadata};
    return 0;
}

int remotewrite_decode(const void *body, size_t len, const struct remotewrite_limits *lim,
                       struct arena *a, struct remotewrite_request *out, struct diag *d)
{
    struct remotewrite_limits def = remotewrite_limits_default();
    size_t ulen;
    char *pb = NULL;
    Prometheus__WriteRequest *wr = NULL;
    int rc = -1;
    if (!lim)
        lim = &def;
    memset(out, 0, sizeof(*out));
    if (len > lim->max_compressed) {
        diag_error(d, NULL, "request body of %zu bytes exceeds the limit of %zu", len,
                   lim->max_compressed);
        goto out;
    }
    if (snappy_uncompressed_length(body, len, &ulen) != SNAPPY_OK) {
        diag_error(d, NULL, "snappy: corrupt input");
        goto out;
    }
    if (ulen > lim->max_uncompressed) {
        diag_error(d, NULL, "decompressed request of %zu bytes exceeds the limit of %zu", ulen,
                   lim->max_uncompressed);
        goto out;
    }
    pb = xmalloc(ulen ? ulen : 1);
    if (snappy_uncompress(body, len, pb, &ulen) != SNAPPY_OK) {
        diag_error(d, NULL, "snappy: corrupt input");
        goto out;
    }
    ProtobufCAllocator al = {pb_alloc, pb_free, a};
    wr = prometheus__write_request__unpack(&al, ulen, (const uint8_t *)pb);
    if (!wr) {
        diag_error(d, NULL, "protobuf: not a valid WriteRequest");
        goto out;
    }
    rc = decode(wr, lim, a, out, d);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
out:
    /* wr is in the arena: nothing to free. */
    free(pb);
    return rc;
}
