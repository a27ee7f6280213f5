/* matcher: the four operators, absent labels as "", anchored regexes, bad regexes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "metrics/matcher.h"

static void operators(void **state)
{
    struct matcher m;
    struct diag d;
    diag_init(&d);
    assert_int_equal(matcher_init(&m, MATCH_EQ, "job", "api", &d), 0);
    assert_true(matcher_matches(&m, "api"));
    assert_false(matcher_matches(&m, "api2"));
    matcher_release(&m);
    assert_int_equal(matcher_init(&m, MATCH_NE, "job", "api", &d), 0);
    assert_true(matcher_matches(&m, NULL));
    assert_false(matcher_matches(&m, "api"));
    matcher_release(&m);
    assert_int_equal(matcher_init(&m, MATCH_RE, "job", "ap.|web", &d), 0);
    assert_true(matcher_matches(&m, "api"));
    assert_false(matcher_matches(&m, "apix")); /* anchored */
    assert_false(matcher_matches_empty(&m));
    matcher_release(&m);
    assert_int_equal(matcher_init(&m, MATCH_NRE, "zone", ".+", &d), 0);
    assert_true(matcher_matches(&m, NULL)); /* absent is "" */
    assert_true(matcher_matches_empty(&m));
    matcher_release(&m);
    diag_release(&d);
}

static void all_over_a_set(void **state)
{
    struct label a[] = {{"__name__", "up"}, {"job", "api"}};
    struct labels ls = {a, 2};
    struct matcher ms[2];
    struct diag d;
    diag_init(&d);
    assert_int_equal(matcher_init(&ms[0], MATCH_EQ, "__name__", "up", &d), 0);
    assert_int_equal(matcher_init(&ms[1], MATCH_EQ, "zone", "", &d), 0);
    assert_true(matcher_all(ms, 2, &ls));
    matcher_release(&ms[1]);
    assert_int_equal(matcher_init(&ms[1], MATCH_RE, "job", "a.*", &d), 0);
    assert_true(matcher_all(ms, 2, &ls));
    matcher_release(&ms[0]);
    matcher_release(&ms[1]);
    diag_release(&d);
}

static void bad_regex_is_an_error(void **state)
{
    struct matcher m;
    struct diag d;
    diag_init(&d);
    assert_int_equal(matcher_init(&m, MATCH_RE, "job", "a(", &d), -1);
    assert_int_equal(d.nerrors, 1);
    assert_non_null(strstr(d.v[0].msg, "error parsing regexp"));
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(operators),
        cmocka_unit_test(all_over_a_set),
        cmocka_unit_test(bad_regex_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
