/*
 * metacache (a target's TYPE/HELP/UNIT, as Prometheus's scrapeCache) and
 * goerror (Go's wording of scrape request errors, shown as lastError).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/arena.h"
#include "scrape/goerror.h"
#include "scrape/metacache.h"

static void entries_sorted_and_merged(void **state)
{
    (void)state;
    struct metacache m;
    struct arena a;
    size_t n;
    metacache_init(&m);
    arena_init(&a);
    metacache_set_help(&m, "zeta", 4, "Z.", 2); /* HELP before TYPE: "unknown" */
    metacache_set_type(&m, "alpha_total", 11, EXPO_COUNTER);
    metacache_set_unit(&m, "mid", 3, "seconds", 7);
    metacache_set_type(&m, "zeta", 4, EXPO_GAUGE);
    assert_true(m.changed);
    struct metacache_item *v = metacache_copy(&m, &a, &n);
    assert_int_equal(n, 3);
    assert_false(m.changed);
    assert_string_equal(v[0].metric, "alpha_total");
    assert_int_equal(v[0].type, EXPO_COUNTER);
    assert_string_equal(v[0].help, "");
    assert_string_equal(v[1].metric, "mid");
    assert_int_equal(v[1].type, EXPO_UNKNOWN);
    assert_string_equal(v[1].unit, "seconds");
    assert_string_equal(v[2].metric, "zeta");
    assert_int_equal(v[2].type, EXPO_GAUGE);
    assert_string_equal(v[2].help, "Z.");
    /* The same lines again change nothing. */
    metacache_set_type(&m, "zeta", 4, EXPO_GAUGE);
    metacache_set_help(&m, "zeta", 4, "Z.", 2);
    assert_false(m.changed);
    metacache_set_help(&m, "zeta", 4, "Other.", 6);
    assert_true(m.changed);
    arena_release(&a);
    metacache_release(&m);
}

static void forgotten_after_ten_successful_scrapes(void **state)
{
    (void)state;
    struct metacache m;
    struct arena a;
    size_t n;
    metacache_init(&m);
    arena_init(&a);
    metacache_set_type(&m, "gone", 4, EXPO_GAUGE);
    metacache_set_type(&m, "kept", 4, EXPO_GAUGE);
    metacache_iter_done(&m, 1);
    for (int i = 0; i < 30; i++)
        metacache_iter_done(&m, 0); /* failed scrapes do not age entries */
    metacache_copy(&m, &a, &n);
    for (int i = 0; i < 10; i++) {
        metacache_set_type(&m, "kept", 4, EXPO_GAUGE);
        metacache_iter_done(&m, 1);
    }
    assert_false(m.changed);
    metacache_copy(&m, &a, &n);
    assert_int_equal(n, 2);
    metacache_set_type(&m, "kept", 4, EXPO_GAUGE);
    metacache_iter_done(&m, 1); /* "gone" last seen 11 scrapes ago */
    assert_true(m.changed);
    struct metacache_item *v = metacache_copy(&m, &a, &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].metric, "kept");
    arena_release(&a);
    metacache_release(&m);
}

static void go_wording(void **state)
{
    (void)state;
    char e[300];
    const char *u = "http://127.0.0.1:9/metrics";
    goerror_request(e, sizeof e, CURLE_OK, 500, u, NULL, 0, "127.0.0.1:9");
    assert_string_equal(e, "server returned HTTP status 500 Internal Server Error");
    goerror_request(e, sizeof e, CURLE_OK, 418, u, NULL, 0, "127.0.0.1:9");
    assert_string_equal(e, "server returned HTTP status 418");
    goerror_request(e, sizeof e, CURLE_COULDNT_CONNECT, 0, u, "127.0.0.1", 9, "127.0.0.1:9");
    assert_string_equal(
        e, "Get \"http://127.0.0.1:9/metrics\": dial tcp 127.0.0.1:9: connect: connection refused");
    goerror_request(e, sizeof e, CURLE_COULDNT_CONNECT, 0, u, "::1", 9, "localhost:9");
    assert_string_equal(
        e, "Get \"http://127.0.0.1:9/metrics\": dial tcp [::1]:9: connect: connection refused");
    goerror_request(e, sizeof e, CURLE_OPERATION_TIMEDOUT, 0, u, NULL, 0, "127.0.0.1:9");
    assert_string_equal(e, "Get \"http://127.0.0.1:9/metrics\": context deadline exceeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entries_sorted_and_merged),
        cmocka_unit_test(forgotten_after_ten_successful_scrapes),
        cmocka_unit_test(go_wording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
