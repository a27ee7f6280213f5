/*
 * PromQL parser, printer and API functions: texts checked against
 * Prometheus 2.42's answers (format_query and the error strings of
 * /api/v1/query, captured from /usr/bin/prometheus), nesting limits,
 * garbage input, timeouts and the sample limit.
 */
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
#include "promql/api.h"
#include "promql/json.h"
#include "promql/ast.h"
#include "promql/engine.h"
#include "promql/memstore.h"

static void check_format(const char *in, const char *want)
{
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    struct pq_node *n = promql_parse(&a, in, strlen(in), &err);
    if (!n)
        fail_msg("%s: %s", in, err.buf);
    promql_print(n, &out);
    if (strcmp(out.buf, want))
        fail_msg("%s: printed %s, want %s", in, out.buf, want);
    pq_node_release(n);
    strbuf_release(&err);
    strbuf_release(&out);
    arena_release(&a);
}

static void check_error(const char *in, const char *want)
{
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT;
    struct pq_node *n = promql_parse(&a, in, strlen(in), &err);
    if (n)
        fail_msg("%s: parsed, want error %s", in, want);
    if (strcmp(err.buf, want))
        fail_msg("%s: error %s, want %s", in, err.buf, want);
    strbuf_release(&err);
    arena_release(&a);
}

/* Outputs of Prometheus 2.42's /api/v1/format_query. */
static void test_printer(void **state)
{
    (void)state;
    check_format("sum by(job)(rate(x[5m]))", "sum by (job) (rate(x[5m]))");
    check_format("a+b*c", "a + b * c");
    check_format("- foo", "-foo");
    check_format("foo{b=\"2\",a=\"1\"}", "foo{a=\"1\",b=\"2\"}");
    check_format("foo offset 1h30m", "foo offset 1h30m");
    check_format("foo @ 1609746000", "foo @ 1609746000.000");
    check_format("foo[5m:] @ end()", "foo[5m:] @ end()");
    check_format("rate(foo[5m:1m] offset 2d)", "rate(foo[5m:1m] offset 2d)");
    check_format("topk(3, foo) by (a)", "topk by (a) (3, foo)");
    check_format("a / on(b) group_left(c) d", "a / on (b) group_left (c) d");
    check_format("1e-7", "1e-07");
    check_format("123456789012", "1.23456789012e+11");
    check_format("0x1F", "31");
    check_format("-Inf", "-Inf");
    check_format("'x'", "\"x\"");
    check_format("foo[1w1d]", "foo[8d]");
    check_format("foo[90s]", "foo[1m30s]");
    check_format("foo offset -5m", "foo offset -5m");
    check_format("{__name__=\"bar\",a=\"b\"}", "{__name__=\"bar\",a=\"b\"}");
    check_format("sum without () (x)", "sum without () (x)");
    check_format("sum by () (x)", "sum(x)");
    check_format("a ^ b ^ c", "a ^ b ^ c");
    check_format("-2 ^ 2", "-2 ^ 2");
    check_format("x > bool 1", "x > bool 1");
    check_format("SUM(x) BY (a)", "sum by (a) (x)");
}

/* Error texts of Prometheus 2.42 (without the API's "invalid parameter" prefix). */
static void test_errors(void **state)
{
    (void)state;
    check_error("sum(", "1:5: parse error: unclosed left parenthesis");
    check_error("foo{", "1:5: parse error: unexpected end of input inside braces");
    check_error("rate(foo[5m])[1m]", "1:14: parse error: ranges only allowed for vector selectors");
    check_error(
        "topk(foo, bar)",
        "1:6: parse error: expected type scalar in aggregation parameter, got instant vector");
    check_error("1 +", "1:4: parse error: unexpected end of input");
    check_error("a == b c", "1:8: parse error: unexpected identifier \"c\"");
    check_error("rate(node_load1)", "1:6: parse error: expected type range vector in call to "
                                    "function \"rate\", got instant vector");
    check_error("1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier");
    check_error("foo{a=~\"(\"}",
                "1:5: parse error: error parsing regexp: missing closing ): `^(?:()$`");
    check_error("foo)", "1:5: parse error: unexpected right parenthesis ')'");
    check_error("\"abc", "1:1: parse error: unterminated quoted string");
    check_error("foo{a=\"\\q\"}", "1:7: parse error: unknown escape sequence U+0071 'q'");
    check_error("{}",
                "1:1: parse error: vector selector must contain at least one non-empty matcher");
    check_error("", "1:1: parse error: no expression found in input");
    check_error("unknown_fn(foo)", "1:1: parse error: unknown function with name \"unknown_fn\"");
}

static void test_nesting_and_garbage(void **state)
{
    (void)state;
    /* Deep nesting is an error, not a stack overflow. */
    size_t n = 200000;
    char *q = malloc(2 * n + 2);
    memset(q, '(', n);
    q[n] = '1';
    memset(q + n + 1, ')', n);
    q[2 * n + 1] = 0;
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT;
    assert_null(promql_parse(&a, q, strlen(q), &err));
    assert_non_null(strstr(err.buf, "nesting too deep"));
    memset(q, '-', n);
    strbuf_reset(&err);
    assert_null(promql_parse(&a, q, n + 1, &err));
    free(q);
    /* Mutations of valid queries: never a crash (ASan/UBSan watch the rest). */
    static const char *const seeds[] = {
        "sum by (job) (rate(http_requests_total{a=~\"x.*\"}[5m] offset 1m))",
        "histogram_quantile(0.9, sum(rate(x_bucket[5m:30s] @ start())) by (le))",
        "a / on (b) group_left (c) -d ^ 2 ^ -3 unless e{f!~\"g\"}",
        "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\") > bool 0x1F",
        "count_values(\"v\", topk(3, x)) or vector(time()) and 'str' # c",
    };
    unsigned seed = 12345;
    char buf[256];
    static const char alphabet[] = "()[]{}\"'`,:@=!~+-*/^<>#\\0123456789abcxyz _.\n\x80\xff";
    for (int i = 0; i < 30000; i++) {
        const char *s = seeds[i % 5];
        size_t len = strlen(s);
        memcpy(buf, s, len + 1);
        int edits = 1 + i % 4;
        for (int k = 0; k < edits; k++) {
            seed = seed * 1103515245 + 12345;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245 + 12345;
            buf[pos] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
        }
        strbuf_reset(&err);
        struct pq_node *nd = promql_parse(&a, buf, len, &err);
        if (nd) {
            struct strbuf out = STRBUF_INIT;
            promql_print(nd, &out);
            pq_node_release(nd);
            strbuf_release(&out);
        } else {
            assert_true(strstr(err.buf, "parse error") != NULL);
        }
    }
    strbuf_release(&err);
    arena_release(&a);
}

static struct memstore *sample_store(void)
{
    struct memstore *ms = memstore_new();
    struct label lv[2] = {{"__name__", "m"}, {"i", ""}};
    char name[16];
    for (int s = 0; s < 200; s++) {
        snprintf(name, sizeof(name), "%d", s);
        lv[1].value = name;
        struct labels l = {lv, 2};
        for (int t = 0; t < 2000; t++)
            memstore_add(ms, &l, (int64_t)t * 15000, t + s);
    }
    return ms;
}

static void test_api(void **state)
{
    (void)state;
    struct memstore *ms = sample_store();
    struct querier q = memstore_querier(ms);
    struct pq_opts o;
    pq_opts_default(&o);
    struct strbuf out = STRBUF_INIT;
    struct promql_api_params p = {.query = "m{i=\"3\"}", .time = "150", .now_ms = 0};
    assert_int_equal(promql_api_query(&q, &o, &p, &out), 200);
    assert_string_equal(out.buf,
                        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                        "[{\"metric\":{\"__name__\":\"m\",\"i\":\"3\"},\"value\":[150,\"13\"]}]}}");
    p.query = "1/3";
    p.time = "2021-01-01T00:00:00.5Z";
    assert_int_equal(promql_api_query(&q, &o, &p, &out), 200);
    assert_string_equal(out.buf,
                        "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":"
                        "[1609459200.5,\"0.3333333333333333\"]}}");
    /* The 11,000 points limit and bad parameters. */
    struct promql_api_params r = {.query = "m", .start = "0", .end = "11001", .step = "1"};
    assert_int_equal(promql_api_query_range(&q, &o, &r, &out), 400);
    assert_non_null(strstr(out.buf, "exceeded maximum resolution of 11,000 points"));
    r.end = "10";
    r.step = "0";
    assert_int_equal(promql_api_query_range(&q, &o, &r, &out), 400);
    /* The sample limit: an execution error (422). */
    o.max_samples = 1000;
    r.start = "0";
    r.end = "29000";
    r.step = "15";
    r.query = "sum(m)";
    assert_int_equal(promql_api_query_range(&q, &o, &r, &out), 422);
    assert_non_null(strstr(out.buf, "query processing would load too many samples"));
    /* A timeout: 503 with errorType timeout. */
    pq_opts_default(&o);
    o.timeout_s = 1e-9;
    r.query = "sum by (i) (rate(m[10m]))";
    assert_int_equal(promql_api_query_range(&q, &o, &r, &out), 503);
    assert_non_null(strstr(out.buf, "\"errorType\":\"timeout\""));
    /* The concurrency gate: with its only slot taken, a query times out in the queue. */
    struct promql_gate gate;
    promql_gate_init(&gate, 1);
    assert_int_equal(promql_gate_enter(&gate, NULL), 0);
    pq_opts_default(&o);
    o.timeout_s = 0.05;
    o.gate = &gate;
    p.query = "1";
    assert_int_equal(promql_api_query(&q, &o, &p, &out), 503);
    assert_string_equal(out.buf, "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":"
                                 "\"query timed out in query queue\"}");
    promql_gate_leave(&gate);
    assert_int_equal(promql_api_query(&q, &o, &p, &out), 200);
    assert_int_equal(gate.active, 0);
    promql_gate_release(&gate);
    /* Hostile ranges and subqueries end in an error or a result, never a hang. */
    pq_opts_default(&o);
    p.query = "rate(m[100000000y])";
    p.time = "100";
    promql_api_query(&q, &o, &p, &out);
    p.query = "max_over_time(m[1000y:1ms])";
    assert_int_equal(promql_api_query(&q, &o, &p, &out), 422);
    p.query = "m{i=~\"(a+)+$\"}";
    assert_int_equal(promql_api_query(&q, &o, &p, &out), 200);
    strbuf_release(&out);
    memstore_free(ms);
}

static void test_json_values(void **state)
{
    (void)state;
    struct {
        double v;
        const char *want;
    } cases[] = {{1, "\"1\""},
                 {0.1, "\"0.1\""},
                 {1e-7, "\"1e-07\""},
                 {1e21, "\"1e+21\""},
                 {123456789, "\"123456789\""},
                 {-0.5, "\"-0.5\""},
                 {NAN, "\"NaN\""},
                 {INFINITY, "\"+Inf\""},
                 {-INFINITY, "\"-Inf\""}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf sb = STRBUF_INIT;
        promql_json_value(&sb, cases[i].v);
        assert_string_equal(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
    struct strbuf sb = STRBUF_INIT;
    promql_json_time(&sb, 1500);
    assert_string_equal(sb.buf, "1.500");
    strbuf_reset(&sb);
    promql_json_time(&sb, -1);
    assert_string_equal(sb.buf, "-0.001");
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printer),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nesting_and_garbage),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_json_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
