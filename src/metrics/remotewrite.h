/*
 * remotewrite: the Prometheus remote-write 1.0 wire format ("Prometheus
 * Remote-Write Specification", version 1.0): the body of a POST is a
 * protobuf WriteRequest (prompb/remote.proto and types.proto of Prometheus;
 * our copy of the messages is src/metrics/remotewrite.proto, compiled by
 * protoc-c at build time) compressed with snappy's block format (not the
 * framed format), sent with
 *
 *   Content-Encoding: snappy
 *   Content-Type: application/x-protobuf
 *   X-Prometheus-Remote-Write-Version: 0.1.0
 *
 * WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 * TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
 *                repeated Exemplar exemplars = 3; }
 * Label        { string name = 1; string value = 2; }
 * Sample       { double value = 1; int64 timestamp = 2; }   (milliseconds)
 * Exemplar     { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
 * MetricMetadata { MetricType type = 1; string metric_family_name = 2;
 *                  string help = 4; string unit = 5; }
 *
 * The decoder validates as a receiver must before acknowledging: every
 * series has labels sorted by name with unique, valid names, a __name__,
 * values that are UTF-8 and non-empty, at least one sample or exemplar;
 * sizes are capped. Errors are one line suitable for an HTTP 400 body.
 * NaN values (the stale marker included, bit for bit) pass through.
 */
#ifndef CAIRN_REMOTEWRITE_H
#define CAIRN_REMOTEWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/strbuf.h"
#include "metrics/expo.h"
#include "metrics/labels.h"
#include "metrics/sample.h"

#define REMOTEWRITE_CONTENT_TYPE     "application/x-protobuf"
#define REMOTEWRITE_CONTENT_ENCODING "snappy"
#define REMOTEWRITE_VERSION_HEADER   "X-Prometheus-Remote-Write-Version"
#define REMOTEWRITE_VERSION          "0.1.0"

struct remotewrite_exemplar {
    struct labels labels;
    double value;
    int64_t t; /* milliseconds */
};

struct remotewrite_series {
    struct labels labels; /* sorted, with __name__ */
    const struct sample *samples;
    size_t nsamples;
    const struct remotewrite_exemplar *exemplars;
    size_t nexemplars;
};

struct remotewrite_metadata {
    enum expo_mtype type; /* same numbering as prompb's MetricType */
    const char *family;
    const char *help;
    const char *unit;
};

struct remotewrite_request {
    const struct remotewrite_series *series;
    size_t nseries;
    const struct remotewrite_metadata *metadata;
    size_t nmetadata;
};

/* Limits for decoding untrusted bodies; remotewrite_limits_default() has sane ones. */
struct remotewrite_limits {
    size_t max_compressed;   /* bytes of the snappy body */
    size_t max_uncompressed; /* bytes of the protobuf */
    size_t max_labels;       /* per series */
    size_t max_label_bytes;  /* name or value */
};

struct remotewrite_limits remotewrite_limits_default(void);

/*
 * Encode req as a snappy-compressed WriteRequest into out (appended). The
 * labels are written as given (the caller keeps them sorted). Returns 0, or
 * -1 with the reason in d (out's cap reached).
 */
int remotewrite_encode(const struct remotewrite_request *req, struct strbuf *out, struct diag *d);

/*
 * The hot path of a sender, without building protobuf-c structs per sample:
 * a WriteRequest body is the concatenation of its timeseries fields, so a
 * sender keeps each series' labels pre-encoded and appends one record per
 * sample. The bytes are the same wire format protobuf-c writes for
 * remotewrite_encode (field 1 records of Label / Sample messages; tag =
 * field << 3 | wire type, lengths as base-128 varints; "Protocol Buffers
 * Encoding", protobuf.dev); the unit test checks them with the decoder.
 *
 * remotewrite_put_labels: append ls as TimeSeries.labels fields (0x0a len Label).
 * remotewrite_put_series: append one WriteRequest.timeseries field (0x0a len
 *   TimeSeries) holding the pre-encoded labels and one Sample {value, timestamp}.
 * remotewrite_compress: snappy-compress a body made of such records into out.
 */
void remotewrite_put_labels(struct strbuf *sb, const struct labels *ls);
void remotewrite_put_series(struct strbuf *sb, const void *labels, size_t len, int64_t t, double v);
int remotewrite_compress(const void *pb, size_t len, struct strbuf *out, struct diag *d);
/*
 * The labels of a record made by remotewrite_put_series, strings copied into a
 * (NUL-terminated). Returns the number of labels (at most max), or -1 if the
 * record is not one.
 */
int remotewrite_record_labels(const void *rec, size_t len, struct label *out, size_t max,
                              struct arena *a);
/* The same for labels as written by remotewrite_put_labels. */
int remotewrite_labels_decode(const void *bytes, size_t len, struct label *out, size_t max,
                              struct arena *a);
/* 1 if the bytes of remotewrite_put_labels encode exactly ls. */
int remotewrite_labels_equal(const void *bytes, size_t len, const struct labels *ls);

/*
 * Decode a snappy-compressed WriteRequest. Everything in *out (arrays and
 * strings) lives in a. Returns 0, or -1 with a one-line reason in d
 * ("snappy: corrupt input", "series 3: labels not sorted: \"a\" after \"b\"", ...).
 */
int remotewrite_decode(const void *body, size_t len, const struct remotewrite_limits *lim,
                       struct arena *a, struct remotewrite_request *out, struct diag *d);

/* Total samples in a request (for counters). */
size_t remotewrite_count_samples(const struct remotewrite_request *req);

#endif
