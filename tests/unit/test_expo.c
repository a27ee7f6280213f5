/* expo: the two parsers' accessors and errors, the writer, content-type negotiation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "metrics/expo.h"
#include "metrics/expo_int.h"
#include "metrics/expo_write.h"
#include "metrics/sample.h"

static void text_samples_and_metadata(void **state)
{
    (void)state;
    static const char in[] =
        "# HELP http_requests_total Requests\\n by \\\\code.\n"
        "# TYPE http_requests_total counter\n"
        "http_requests_total{code=\"200\",path=\"/a\\\"b\\n\"} 1027 1395066363000\n"
        "\n"
        "  rpc_duration_seconds{quantile=\"0.5\",} NaN\n"
        "x +Inf";
    struct expo_parser p;
    size_t n;
    int64_t ts;
    expo_parser_init(&p, in, sizeof(in) - 1, EXPO_TEXT);
    assert_int_equal(expo_next(&p), EXPO_HELP);
    assert_string_equal(expo_name(&p, &n), "http_requests_total");
    assert_string_equal(expo_text(&p, NULL), "Requests\n by \\code.");
    assert_int_equal(expo_next(&p), EXPO_TYPE);
    assert_int_equal(expo_type(&p), EXPO_COUNTER);
    assert_int_equal(expo_next(&p), EXPO_SERIES);
    assert_int_equal(expo_line(&p), 3);
    struct labels ls = expo_labels(&p);
    assert_int_equal(ls.n, 3);
    assert_string_equal(labels_get(&ls, "__name__"), "http_requests_total");
    assert_string_equal(labels_get(&ls, "path"), "/a\"b\n");
    assert_true(expo_value(&p) == 1027);
    assert_true(expo_timestamp(&p, &ts));
    assert_int_equal(ts, 1395066363000);
    assert_int_equal(expo_type(&p), EXPO_COUNTER);
    assert_int_equal(expo_next(&p), EXPO_SERIES);
    assert_true(isnan(expo_value(&p)));
    double nan = expo_value(&p);
    uint64_t bits;
    memcpy(&bits, &nan, sizeof(bits));
    assert_int_equal(bits, SAMPLE_NORMAL_NAN_BITS);
    assert_false(sample_is_stale(nan));
    assert_false(expo_timestamp(&p, &ts));
    assert_int_equal(expo_type(&p), EXPO_UNKNOWN);
    assert_int_equal(expo_next(&p), EXPO_SERIES);
    assert_true(isinf(expo_value(&p)) && expo_value(&p) > 0);
    assert_int_equal(expo_next(&p), EXPO_EOF);
    assert_int_equal(expo_next(&p), EXPO_EOF);
    expo_parser_release(&p);
}

/* Exponents of any length read as Go's ParseFloat reads them, with no overflow on the way. */
static void long_exponents(void **state)
{
    double v;

    (void)state;
    assert_int_equal(expo_parse_float("1e12345678901234567890", 22, &v), -1); /* out of range */
    assert_int_equal(expo_parse_float("-1e-12345678901234567890", 24, &v), 0);
    assert_true(v == 0 && signbit(v));
    assert_int_equal(expo_parse_float("1.5e0003", 8, &v), 0);
    assert_true(v == 1500);
    assert_int_equal(expo_parse_float("25e-00001", 9, &v), 0);
    assert_true(v == 2.5);
}

/* Every entry of in, rendered: kind, line, series text, labels, value, timestamp, error. */
static void render(const char *in, int lazy, struct strbuf *out)
{
    struct expo_parser p;
    enum expo_entry e;
    int64_t ts;

    expo_parser_init(&p, in, strlen(in), EXPO_TEXT);
    expo_parser_set_lazy(&p, lazy);
    while ((e = expo_next(&p)) != EXPO_EOF && e != EXPO_ERROR) {
        if (e == EXPO_SERIES && expo_series_labels(&p) < 0) {
            e = EXPO_ERROR;
            break;
        }
        strbuf_addf(out, "%d@%u ", (int)e, expo_line(&p));
        if (e != EXPO_SERIES)
            continue;
        size_t n;
        const char *text = expo_series(&p, &n);
        strbuf_addf(out, "[%.*s] ", (int)n, text);
        struct labels ls = expo_labels(&p);
        labels_format(&ls, out);
        strbuf_addf(out, " %g %d", expo_value(&p), expo_timestamp(&p, &ts));
        strbuf_addf(out, " %lld\n", expo_timestamp(&p, &ts) ? (long long)ts : 0LL);
    }
    if (e == EXPO_ERROR)
        strbuf_addf(out, "error %s", expo_error(&p));
    expo_parser_release(&p);
}

/*
 * Lazy labels (what a scrape uses) give the eager parse's entries, series
 * texts, labels and errors, the first error included when a line has two.
 */
static void lazy_labels_match_eager(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "a 1\nb{c=\"d\"} 2 1000\n# TYPE c counter\nc_total{x=\"}\\\"{\",y=\"\\n\"} 3\n",
        "a{b=\"1\",b=\"2\"} 1\n",
        "a 1\nb{c=\"d\" 2\n",
        "a{b=\"1\" c} 1\n",
        "a{b=} 1\n",
        "a{b=\"1\"} x\n",
        "a{b=} x\n",
        "a{b=\"1\"} 1 99999999999999999999999\n",
        "a{b=} 1 99999999999999999999999\n",
        "a{b=\"1\"} 1 -5\n",
        "a{b=} 1 -5\n",
        "a{b=\"x\ny\"} 1\nz 2\n",
        "a{b=\"x\\\ny\"} 1\nz{q=} 2\n",
        "a{b=\"\xff\"} 1\n",
        "a { b = \"1\" , } 1\na{b=\"1\"} 2\n",
        "a{b=\"1\"",
        "a{b=\"1\"}",
        "a{b=\"1\"} 1",
        "a{b=\"1\"}1\n",
        "a{} 1\nb{,} 2\n",
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct strbuf eager = STRBUF_INIT, lazy = STRBUF_INIT;
        render(inputs[i], 0, &eager);
        render(inputs[i], 1, &lazy);
        if (strcmp(eager.buf ? eager.buf : "", lazy.buf ? lazy.buf : "") != 0)
            fail_msg("input %zu: eager\n%s\nlazy\n%s", i, eager.buf, lazy.buf);
        strbuf_release(&eager);
        strbuf_release(&lazy);
    }
}

/*
 * Values as a text-format line carries them: every spelling the parse takes
 * gives the bits strtod gives (the fast path for short decimals included).
 */
static void values_parse_as_strtod(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    char num[64], line[96];
    for (int i = 0; i < 200000; i++) {
        size_t k = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (x & 1)
            num[k++] = (x & 2) ? '-' : '+';
        int nd = (int)((x >> 2) % 22) + 1, dot = (int)((x >> 8) % (nd + 2));
        uint64_t r = x >> 16;
        for (int d = 0; d < nd; d++) {
            if (d == dot && d)
                num[k++] = '.';
            num[k++] = (char)('0' + r % 10);
            r = r / 10 ? r / 10 : x * 0x2545f4914f6cdd1dull >> 3;
        }
        if ((x >> 40) % 3 == 0)
            k += (size_t)snprintf(num + k, sizeof(num) - k, "e%d", (int)((x >> 44) % 60) - 30);
        num[k] = '\0';
        snprintf(line, sizeof(line), "a %s\n", num);
        struct expo_parser p;
        expo_parser_init(&p, line, strlen(line), EXPO_TEXT);
        assert_int_equal(expo_next(&p), EXPO_SERIES);
        double got = expo_value(&p), want = strtod(num, NULL);
        if (memcmp(&got, &want, sizeof(got)) != 0)
            fail_msg("%s: got %.17g, want %.17g", num, got, want);
        expo_parser_release(&p);
    }
}

static void expect_error(const char *in, enum expo_format f, const char *want)
{
    struct expo_parser p;
    enum expo_entry e;
    expo_parser_init(&p, in, strlen(in), f);
    expo_parser_set_strict(&p, 1);
    while ((e = expo_next(&p)) != EXPO_EOF && e != EXPO_ERROR)
        ;
    assert_int_equal(e, EXPO_ERROR);
    if (strcmp(expo_error(&p), want) != 0)
        fail_msg("for %s: got \"%s\", want \"%s\"", in, expo_error(&p), want);
    assert_int_equal(expo_next(&p), EXPO_ERROR);
    expo_parser_release(&p);
}

static void errors_say_where(void **state)
{
    (void)state;
    expect_error("a 1\nb{c=\"d\" 2\n", EXPO_TEXT, "2:9: expected label name or '}'");
    expect_error("a 1\nb 0x10\n", EXPO_TEXT, "2:3: invalid value \"0x10\"");
    expect_error("a{b=\"1\",b=\"2\"} 1\n", EXPO_TEXT, "1:1: label name \"b\" occurs twice");
    expect_error("# TYPE a countr\n", EXPO_TEXT, "1:10: invalid metric type \"countr\"");
    expect_error("a 1 -5\n", EXPO_TEXT, "1:5: expected timestamp or end of line");
    expect_error("a 1\n", EXPO_OPENMETRICS, "2:1: data does not end with # EOF");
    expect_error("a  1\n# EOF\n", EXPO_OPENMETRICS, "1:3: expected value");
    expect_error("# TYPE a counter\na 1\n# EOF\n", EXPO_OPENMETRICS,
                 "2:1: metric family a appears twice or clashes with another family");
    expect_error("# TYPE a counter\na_total -1\n# EOF\n", EXPO_OPENMETRICS,
                 "2:1: a_total cannot be NaN or negative");
}

static void openmetrics_exemplars_and_created(void **state)
{
    (void)state;
    static const char in[] = "# TYPE foo counter\n"
                             "# UNIT foo seconds\n"
                             "foo_seconds_total 1 # {trace_id=\"x\"} 0.5 1.25\n"
                             "# TYPE foo_seconds counter\n"
                             "# UNIT foo_seconds seconds\n"
                             "foo_seconds_total 3.5 1700000000.5 # {} 1\n"
                             "foo_seconds_created 1699999999.123\n"
                             "# EOF\n";
    struct expo_parser p;
    struct expo_exemplar ex;
    int64_t ms;
    expo_parser_init(&p, in, sizeof(in) - 1, EXPO_OPENMETRICS);
    /* "foo" with unit seconds is refused: the unit must be a suffix of the name. */
    assert_int_equal(expo_next(&p), EXPO_TYPE);
    assert_int_equal(expo_next(&p), EXPO_ERROR);
    assert_string_equal(expo_error(&p), "2:12: unit \"seconds\" is not a suffix of metric \"foo\"");
    expo_parser_release(&p);

    const char *good = strstr(in, "# TYPE foo_seconds");
    expo_parser_init(&p, good, strlen(good), EXPO_OPENMETRICS);
    expo_parser_set_strict(&p, 1);
    assert_int_equal(expo_next(&p), EXPO_TYPE);
    assert_int_equal(expo_next(&p), EXPO_UNIT);
    assert_string_equal(expo_text(&p, NULL), "seconds");
    assert_int_equal(expo_next(&p), EXPO_SERIES);
    assert_int_equal(expo_type(&p), EXPO_COUNTER);
    assert_true(expo_timestamp(&p, &ms));
    assert_int_equal(ms, 1700000000500);
    assert_true(expo_exemplar(&p, &ex));
    assert_int_equal(ex.labels.n, 0);
    assert_true(ex.value == 1);
    assert_false(ex.has_ts);
    assert_false(expo_created(&p, &ms));
    assert_int_equal(expo_next(&p), EXPO_SERIES);
    assert_true(expo_created(&p, &ms));
    assert_int_equal(ms, 1699999999123);
    assert_int_equal(expo_next(&p), EXPO_EOF);
    expo_parser_release(&p);
}

static void lenient_openmetrics_is_prometheus(void **state)
{
    (void)state;
    /* Not strict: a negative counter passes (Prometheus 2.42 ingests it). */
    static const char in[] = "# TYPE a counter\na_total -1\n# EOF\n";
    struct expo_parser p;
    expo_parser_init(&p, in, sizeof(in) - 1, EXPO_OPENMETRICS);
    assert_int_equal(expo_next(&p), EXPO_TYPE);
    assert_int_equal(expo_next(&p), EXPO_SERIES);
    assert_int_equal(expo_next(&p), EXPO_EOF);
    expo_parser_release(&p);
}

static const char *value(double v, enum expo_format f)
{
    static struct strbuf sb = STRBUF_INIT;
    strbuf_reset(&sb);
    expo_write_value(&sb, v, f);
    return sb.buf;
}

static void values_are_spelled_as_go(void **state)
{
    (void)state;
    assert_string_equal(value(1, EXPO_TEXT), "1");
    assert_string_equal(value(0.5, EXPO_TEXT), "0.5");
    assert_string_equal(value(100000, EXPO_TEXT), "100000");
    assert_string_equal(value(1e6, EXPO_TEXT), "1e+06");
    assert_string_equal(value(1234567, EXPO_TEXT), "1.234567e+06");
    assert_string_equal(value(0.0001, EXPO_TEXT), "0.0001");
    assert_string_equal(value(0.00001, EXPO_TEXT), "1e-05");
    assert_string_equal(value(7.424100000000001e-05, EXPO_TEXT), "7.424100000000001e-05");
    assert_string_equal(value(-2.5, EXPO_TEXT), "-2.5");
    assert_string_equal(value(INFINITY, EXPO_TEXT), "+Inf");
    assert_string_equal(value(-INFINITY, EXPO_TEXT), "-Inf");
    assert_string_equal(value(NAN, EXPO_TEXT), "NaN");
    assert_string_equal(value(1, EXPO_OPENMETRICS), "1.0");
    assert_string_equal(value(0, EXPO_OPENMETRICS), "0.0");
    assert_string_equal(value(1e6, EXPO_OPENMETRICS), "1e+06");
    assert_string_equal(value(0.25, EXPO_OPENMETRICS), "0.25");
}

static void writer_output_parses_back(void **state)
{
    (void)state;
    struct label l[] = {{"code", "2\"0\\0\n"}};
    struct labels ls = {l, 1};
    struct label el[] = {{"trace_id", "abc"}};
    struct expo_exemplar ex = {{el, 1}, 0.5, 1, 1500};
    int64_t ts;
    for (int f = EXPO_TEXT; f <= EXPO_OPENMETRICS; f++) {
        struct strbuf sb = STRBUF_INIT;
        struct expo_writer w;
        struct diag d;
        /* Text timestamps are digits only, as Prometheus reads them; OpenMetrics may go negative.
         */
        ts = f == EXPO_OPENMETRICS ? -1500 : 1500;
        expo_write_init(&w, &sb, (enum expo_format)f);
        assert_int_equal(expo_write_family(&w, f ? "req" : "req_total", EXPO_COUNTER,
                                           "Requests \"served\"\\\n.", NULL),
                         0);
        assert_int_equal(expo_write_sample(&w, "req_total", &ls, 3, &ts, &ex), 0);
        assert_int_equal(expo_write_end(&w), 0);
        diag_init(&d);
        if (expo_check(sb.buf, sb.len, (enum expo_format)f, &d, "out") < 0)
            fail_msg("%s: %s", sb.buf, diag_last(&d));
        struct expo_parser p;
        expo_parser_init(&p, sb.buf, sb.len, (enum expo_format)f);
        assert_int_equal(expo_next(&p), EXPO_HELP);
        assert_string_equal(expo_text(&p, NULL), "Requests \"served\"\\\n.");
        assert_int_equal(expo_next(&p), EXPO_TYPE);
        assert_int_equal(expo_next(&p), EXPO_SERIES);
        struct labels got = expo_labels(&p);
        assert_string_equal(labels_get(&got, "code"), l[0].value);
        int64_t back;
        assert_true(expo_timestamp(&p, &back));
        assert_int_equal(back, ts);
        assert_int_equal(expo_exemplar(&p, NULL), f == EXPO_OPENMETRICS);
        expo_parser_release(&p);
        diag_release(&d);
        strbuf_release(&sb);
    }
}

static void content_type_negotiation(void **state)
{
    (void)state;
    assert_int_equal(expo_format_from_content_type(NULL), EXPO_TEXT);
    assert_int_equal(expo_format_from_content_type("text/plain; version=0.0.4"), EXPO_TEXT);
    assert_int_equal(
        expo_format_from_content_type("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        EXPO_OPENMETRICS);
    assert_int_equal(expo_format_from_content_type("Application/OpenMetrics-Text;version=0.0.1"),
                     EXPO_OPENMETRICS);
    assert_int_equal(expo_format_from_content_type("application/json"), EXPO_TEXT);
    assert_string_equal(EXPO_ACCEPT_HEADER,
                        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
    assert_int_equal(expo_format_from_content_type(expo_content_type(EXPO_OPENMETRICS)),
                     EXPO_OPENMETRICS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_samples_and_metadata),
        cmocka_unit_test(long_exponents),
        cmocka_unit_test(errors_say_where),
        cmocka_unit_test(lazy_labels_match_eager),
        cmocka_unit_test(values_parse_as_strtod),
        cmocka_unit_test(openmetrics_exemplars_and_created),
        cmocka_unit_test(lenient_openmetrics_is_prometheus),
        cmocka_unit_test(values_are_spelled_as_go),
        cmocka_unit_test(writer_output_parses_back),
        cmocka_unit_test(content_type_negotiation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
