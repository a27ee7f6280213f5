/* remotewrite: round trips through protobuf-c and snappy, and what the decoder refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/remotewrite.h"

static int encode(const struct remotewrite_request *req, struct strbuf *out)
{
    struct diag d;
    diag_init(&d);
    int rc = remotewrite_encode(req, out, &d);
    diag_release(&d);
    return rc;
}

static void round_trip(void **state)
{
    (void)state;
    struct label l1[] = {{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}};
    struct label l2[] = {{"__name__", "weird"}, {"v", "ünïcode \"q\"\n"}};
    struct label el[] = {{"trace_id", "abc"}};
    struct sample s1[] = {{1000, 1}, {2000, 0}, {3000, sample_stale_nan()}};
    struct sample s2[] = {{-5, NAN}, {INT64_MAX, INFINITY}};
    struct remotewrite_exemplar ex[] = {{{el, 1}, 0.25, 1500}};
    struct remotewrite_series series[] = {{{l1, 3}, s1, 3, ex, 1}, {{l2, 2}, s2, 2, NULL, 0}};
    struct remotewrite_metadata md[] = {{EXPO_COUNTER, "http_requests", "Requests.", ""}};
    struct remotewrite_request req = {series, 2, md, 1}, got;
    struct strbuf sb = STRBUF_INIT;
    struct arena a;
    struct diag d;
    arena_init(&a);
    diag_init(&d);
    assert_int_equal(encode(&req, &sb), 0);
    assert_int_equal(remotewrite_decode(sb.buf, sb.len, NULL, &a, &got, &d), 0);
    assert_int_equal(got.nseries, 2);
    assert_int_equal(remotewrite_count_samples(&got), 5);
    assert_true(labels_equal(&got.series[0].labels, &series[0].labels));
    assert_true(labels_equal(&got.series[1].labels, &series[1].labels));
    assert_int_equal(got.series[0].samples[1].t, 2000);
    assert_true(sample_is_stale(got.series[0].samples[2].v));
    assert_true(isnan(got.series[1].samples[0].v));
    assert_false(sample_is_stale(got.series[1].samples[0].v));
    assert_int_equal(got.series[1].samples[1].t, INT64_MAX);
    assert_int_equal(got.series[0].nexemplars, 1);
    assert_string_equal(got.series[0].exemplars[0].labels.v[0].value, "abc");
    assert_int_equal(got.nmetadata, 1);
    assert_int_equal(got.metadata[0].type, EXPO_COUNTER);
    assert_string_equal(got.metadata[0].help, "Requests.");
    diag_release(&d);
    arena_release(&a);
    strbuf_release(&sb);
}

static void expect_reject(const struct remotewrite_request *req, const char *want)
{
    struct strbuf sb = STRBUF_INIT;
    struct remotewrite_request got;
    struct arena a;
    struct diag d;
    arena_init(&a);
    diag_init(&d);
    assert_int_equal(encode(req, &sb), 0);
    assert_int_equal(remotewrite_decode(sb.buf, sb.len, NULL, &a, &got, &d), -1);
    if (!strstr(diag_last(&d), want))
        fail_msg("error \"%s\" does not mention \"%s\"", diag_last(&d), want);
    diag_release(&d);
    arena_release(&a);
    strbuf_release(&sb);
}

static void rejects_bad_series(void **state)
{
    (void)state;
    struct sample s[] = {{1, 1}};
    struct label unsorted[] = {{"__name__", "a"}, {"z", "1"}, {"b", "2"}};
    struct label dup[] = {{"__name__", "a"}, {"b", "1"}, {"b", "2"}};
    struct label badname[] = {{"__name__", "a"}, {"1b", "1"}};
    struct label noname[] = {{"job", "x"}};
    struct label badmetric[] = {{"__name__", "a-b"}};
    struct label empty[] = {{"__name__", "a"}, {"job", ""}};
    struct label badutf8[] = {{"__name__", "a"}, {"job", "\xff"}};
    struct {
        struct label *l;
        size_t n;
        const char *want;
    } cases[] = {
        {unsorted, 3, "not sorted"},
        {dup, 3, "not sorted and unique"},
        {badname, 2, "invalid label name"},
        {noname, 1, "no metric name"},
        {badmetric, 1, "invalid metric name"},
        {empty, 2, "empty value"},
        {badutf8, 2, "not UTF-8"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct remotewrite_series series = {{cases[i].l, cases[i].n}, s, 1, NULL, 0};
        struct remotewrite_request req = {&series, 1, NULL, 0};
        expect_reject(&req, cases[i].want);
    }
    struct label ok[] = {{"__name__", "a"}};
    struct remotewrite_series nosamples = {{ok, 1}, NULL, 0, NULL, 0};
    struct remotewrite_request req = {&nosamples, 1, NULL, 0};
    expect_reject(&req, "no samples");
}

static void rejects_bad_bodies(void **state)
{
    (void)state;
    struct remotewrite_request got;
    struct arena a;
    struct diag d;
    arena_init(&a);
    diag_init(&d);
    assert_int_equal(remotewrite_decode("\xff\xff\xff\xff\xff", 5, NULL, &a, &got, &d), -1);
    assert_non_null(strstr(diag_last(&d), "snappy"));
    /* Valid snappy around bytes that are not a WriteRequest. */
    const char junk[] = "\x0a\xff\xff\xff\xff\x0f";
    char c[64];
    size_t clen = sizeof(c);
    assert_int_equal(snappy_compress(junk, sizeof(junk) - 1, c, &clen), SNAPPY_OK);
    assert_int_equal(remotewrite_decode(c, clen, NULL, &a, &got, &d), -1);
    assert_non_null(strstr(diag_last(&d), "protobuf"));
    /* Size caps come before any allocation. */
    struct remotewrite_limits lim = remotewrite_limits_default();
    lim.max_uncompressed = 2;
    assert_int_equal(remotewrite_decode(c, clen, &lim, &a, &got, &d), -1);
    assert_non_null(strstr(diag_last(&d), "exceeds"));
    lim = remotewrite_limits_default();
    lim.max_compressed = 1;
    assert_int_equal(remotewrite_decode(c, clen, &lim, &a, &got, &d), -1);
    assert_non_null(strstr(diag_last(&d), "exceeds"));
    /* An empty request is valid. */
    assert_int_equal(remotewrite_decode("\x00", 1, NULL, &a, &got, &d), 0);
    assert_int_equal(got.nseries, 0);
    diag_release(&d);
    arena_release(&a);
}

/*
 * The sender's pre-encoded records: a body made of remotewrite_put_series
 * records is a WriteRequest that protobuf-c decodes to the same series,
 * byte for byte the same as remotewrite_encode's, and the record's labels
 * read back.
 */
static void records(void **state)
{
    (void)state;
    struct label l1[] = {{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}};
    struct label l2[] = {{"__name__", "w"}, {"v", "ünïcode \"q\"\n"}};
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct label l3[] = {{"__name__", "long"}, {"le", big}};
    struct labels sets[] = {{l1, 3}, {l2, 2}, {l3, 2}, {l1, 3}};
    struct sample smp[] = {{1700000000123, 1}, {-5, sample_stale_nan()}, {0, -0.5}, {0, 0}};
    struct remotewrite_series series[4];
    struct strbuf lab = STRBUF_INIT, pb = STRBUF_INIT, body = STRBUF_INIT, ref = STRBUF_INIT;
    struct remotewrite_request req = {series, 4, NULL, 0}, got;
    struct arena a;
    struct diag d;
    size_t offs[5];
    arena_init(&a);
    diag_init(&d);
    for (size_t i = 0; i < 4; i++) {
        series[i] = (struct remotewrite_series){sets[i], &smp[i], 1, NULL, 0};
        strbuf_reset(&lab);
        remotewrite_put_labels(&lab, &sets[i]);
        offs[i] = pb.len;
        remotewrite_put_series(&pb, lab.buf, lab.len, smp[i].t, smp[i].v);
    }
    offs[4] = pb.len;
    assert_int_equal(remotewrite_compress(pb.buf, pb.len, &body, &d), 0);
    assert_int_equal(remotewrite_decode(body.buf, body.len, NULL, &a, &got, &d), 0);
    assert_int_equal(got.nseries, 4);
    for (size_t i = 0; i < 4; i++) {
        struct label out[8];
        assert_true(labels_equal(&got.series[i].labels, &sets[i]));
        assert_int_equal(got.series[i].nsamples, 1);
        assert_int_equal(got.series[i].samples[0].t, smp[i].t);
        assert_memory_equal(&got.series[i].samples[0].v, &smp[i].v, sizeof(double));
        int n = remotewrite_record_labels(pb.buf + offs[i], offs[i + 1] - offs[i], out, 8, &a);
        assert_int_equal(n, (int)sets[i].n);
        assert_true(labels_equal(&(struct labels){out, (size_t)n}, &sets[i]));
    }
    assert_int_equal(remotewrite_record_labels("\x0a\x05"
                                               "ab",
                                               4, NULL, 0, &a),
                     -1);
    /* The same bytes as protobuf-c's encoding of the request. */
    assert_int_equal(encode(&req, &ref), 0);
    assert_int_equal(ref.len, body.len);
    assert_memory_equal(ref.buf, body.buf, body.len);
    diag_release(&d);
    arena_release(&a);
    strbuf_release(&lab);
    strbuf_release(&pb);
    strbuf_release(&body);
    strbuf_release(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(records),
        cmocka_unit_test(rejects_bad_series),
        cmocka_unit_test(rejects_bad_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
