/* rx: RE2 syntax as Prometheus uses it: anchored matching, groups, bad patterns, no blow-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/rx.h"

static struct rx *compile(const char *p, int flags)
{
    char err[256];
    struct rx *rx = rx_new(p, strlen(p), flags, err, sizeof err);
    assert_non_null(rx);
    return rx;
}

static void anchored_matches_whole_subject(void **state)
{
    struct rx *rx = compile("foo|bar", RX_ANCHORED);
    assert_int_equal(rx_match(rx, "foo", 3), 1);
    assert_int_equal(rx_match(rx, "bar", 3), 1);
    assert_int_equal(rx_match(rx, "foobar", 6), 0);
    assert_int_equal(rx_match(rx, "xfoo", 4), 0);
    rx_free(rx);
    rx = compile("foo", 0);
    assert_int_equal(rx_match(rx, "xfoox", 5), 1);
    rx_free(rx);
}

static void empty_pattern_matches_empty_only_when_anchored(void **state)
{
    struct rx *rx = compile("", RX_ANCHORED);
    assert_int_equal(rx_match(rx, "", 0), 1);
    assert_int_equal(rx_match(rx, "a", 1), 0);
    rx_free(rx);
}

static void groups_and_named_groups(void **state)
{
    struct rx *rx = compile("(?P<host>[^:]+):(\\d+)?", RX_ANCHORED);
    struct rx_span g[3];
    assert_int_equal(rx_ngroups(rx), 2);
    assert_int_equal(rx_group_index(rx, "host"), 1);
    assert_int_equal(rx_group_index(rx, "port"), -1);
    assert_int_equal(rx_match_groups(rx, "node:9100", 9, g, 3), 1);
    assert_int_equal(g[1].start, 0);
    assert_int_equal(g[1].end, 4);
    assert_int_equal(g[2].start, 5);
    assert_int_equal(rx_match_groups(rx, "node:", 5, g, 3), 1);
    assert_true(g[2].start < 0);
    rx_free(rx);
}

static void bad_pattern_reports_re2_error(void **state)
{
    char err[256] = "";
    assert_null(rx_new("a(b", 3, RX_ANCHORED, err, sizeof err));
    assert_non_null(strstr(err, "missing )"));
    /* Backreferences are not RE2 syntax, as in Go. */
    assert_null(rx_new("(a)\\1", 5, 0, err, sizeof err));
}

static void pathological_pattern_is_linear(void **state)
{
    /* (a+)+b against a long run of a's is exponential in a backtracking engine. */
    char s[20001];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    struct rx *rx = compile("(a+)+b", RX_ANCHORED);
    assert_int_equal(rx_match(rx, s, sizeof s - 1), 0);
    rx_free(rx);
}

static void dot_does_not_match_newline(void **state)
{
    struct rx *rx = compile("a.b", RX_ANCHORED);
    assert_int_equal(rx_match(rx, "a\nb", 3), 0);
    assert_int_equal(rx_match(rx, "a-b", 3), 1);
    rx_free(rx);
}

static void literal_detection(void **state)
{
    assert_int_equal(rx_is_literal("node_exporter", 13), 1);
    assert_int_equal(rx_is_literal("node.*", 6), 0);
    assert_int_equal(rx_is_literal("a|b", 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(anchored_matches_whole_subject),
        cmocka_unit_test(empty_pattern_matches_empty_only_when_anchored),
        cmocka_unit_test(groups_and_named_groups),
        cmocka_unit_test(bad_pattern_reports_re2_error),
        cmocka_unit_test(pathological_pattern_is_linear),
        cmocka_unit_test(dot_does_not_match_newline),
        cmocka_unit_test(literal_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
