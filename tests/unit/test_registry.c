/* registry and symtab: concurrent updates, rendering both formats, interning and references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "metrics/registry.h"
#include "metrics/symtab.h"

#define THREADS 4
#define ROUNDS  20000

struct work {
    struct registry_metric *c, *h;
};

static void *hammer(void *arg)
{
    struct work *w = arg;
    for (int i = 0; i < ROUNDS; i++) {
        registry_inc(w->c);
        registry_observe(w->h, (i % 4) * 0.5); /* 0, 0.5, 1, 1.5 */
    }
    return NULL;
}

static void concurrent_updates_are_not_lost(void **state)
{
    (void)state;
    struct registry *r = registry_new();
    const double bounds[] = {0.5, 1};
    const char *const code[] = {"code", "200", NULL};
    struct work w = {registry_counter(r, "requests_total", "Requests.", code),
                     registry_histogram(r, "latency_seconds", "Latency.", NULL, bounds, 2)};
    assert_non_null(w.c);
    assert_non_null(w.h);
    /* Registering again gives the same metric; another type under the name is refused. */
    assert_ptr_equal(registry_counter(r, "requests_total", "Requests.", code), w.c);
    assert_null(registry_gauge(r, "requests_total", "x", NULL));
    assert_null(registry_counter(r, "requests", "no _total", NULL));
    assert_null(registry_gauge(r, "bad-name", "x", NULL));
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, &w);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_true(registry_value(w.c) == THREADS * ROUNDS);
    assert_true(registry_value(w.h) == THREADS * ROUNDS);

    struct registry_metric *g = registry_gauge(r, "temperature_celsius", "T.", NULL);
    registry_set(g, -3.5);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(registry_render(r, &sb, EXPO_TEXT), 0);
    char want[512];
    snprintf(want, sizeof(want),
             "# HELP latency_seconds Latency.\n"
             "# TYPE latency_seconds histogram\n"
             "latency_seconds_bucket{le=\"0.5\"} %d\n"
             "latency_seconds_bucket{le=\"1\"} %d\n"
             "latency_seconds_bucket{le=\"+Inf\"} %d\n"
             "latency_seconds_sum %d\n"
             "latency_seconds_count %d\n"
             "# HELP requests_total Requests.\n"
             "# TYPE requests_total counter\n"
             "requests_total{code=\"200\"} %d\n"
             "# HELP temperature_celsius T.\n"
             "# TYPE temperature_celsius gauge\n"
             "temperature_celsius -3.5\n",
             THREADS * ROUNDS / 2, THREADS * ROUNDS * 3 / 4, THREADS * ROUNDS,
             THREADS * ROUNDS * 3 / 4, THREADS * ROUNDS, THREADS * ROUNDS);
    assert_string_equal(sb.buf, want);
    struct diag d;
    diag_init(&d);
    assert_int_equal(expo_check(sb.buf, sb.len, EXPO_TEXT, &d, "text"), 0);
    strbuf_reset(&sb);
    assert_int_equal(registry_render(r, &sb, EXPO_OPENMETRICS), 0);
    assert_non_null(
        strstr(sb.buf, "# TYPE requests counter\nrequests_total{code=\"200\"} 80000.0\n"));
    assert_non_null(strstr(sb.buf, "latency_seconds_bucket{le=\"1.0\"} 60000.0\n"));
    if (expo_check(sb.buf, sb.len, EXPO_OPENMETRICS, &d, "om") < 0)
        fail_msg("%s\n%s", sb.buf, diag_last(&d));
    /* A capped buffer fails rather than serving half a page. */
    struct strbuf small;
    strbuf_init(&small, 64);
    assert_int_equal(registry_render(r, &small, EXPO_TEXT), -1);
    strbuf_release(&small);
    diag_release(&d);
    strbuf_release(&sb);
    registry_free(r);
}

static void symtab_interns_and_counts(void **state)
{
    (void)state;
    struct symtab *st = symtab_new();
    char buf[32];
    const char *a = symtab_intern(st, "job", 3);
    const char *b = symtab_intern(st, "jobx", 3);
    assert_ptr_equal(a, b);
    assert_string_equal(a, "job");
    assert_int_equal(symtab_count(st), 1);
    /* Many strings: the table grows and keeps them apart. */
    const char *keep[5000];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof(buf), "value-%d", i);
        keep[i] = symtab_intern(st, buf, (size_t)n);
    }
    assert_int_equal(symtab_count(st), 5001);
    for (int i = 0; i < 5000; i += 2)
        symtab_unref(st, keep[i]);
    assert_int_equal(symtab_count(st), 2501);
    for (int i = 1; i < 5000; i += 2) {
        int n = snprintf(buf, sizeof(buf), "value-%d", i);
        assert_ptr_equal(symtab_intern(st, buf, (size_t)n), keep[i]);
        symtab_unref(st, keep[i]);
    }
    /* References: the string lives until the last one goes. */
    symtab_ref(st, a);
    symtab_unref(st, a);
    symtab_unref(st, a);
    assert_int_equal(symtab_count(st), 2501);
    symtab_unref(st, a);
    assert_int_equal(symtab_count(st), 2500);
    struct label l[] = {{"__name__", "up"}, {"job", "node"}};
    struct labels ls = {l, 2};
    struct labels in = symtab_intern_labels(st, &ls);
    struct labels in2 = symtab_intern_labels(st, &ls);
    assert_true(labels_equal(&in, &ls));
    assert_ptr_equal(in.v[1].value, in2.v[1].value);
    symtab_unref_labels(st, &in);
    symtab_unref_labels(st, &in2);
    assert_int_equal(symtab_count(st), 2500);
    for (int i = 1; i < 5000; i += 2)
        symtab_unref(st, keep[i]);
    assert_int_equal(symtab_count(st), 0);
    assert_int_equal(symtab_bytes(st), 0);
    symtab_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_updates_are_not_lost),
        cmocka_unit_test(symtab_interns_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
