/*
 * live_parallel, the per-parent reads of one type: every job runs once, each on a session of
 * its own when the caller's was made by session_new (serially on it otherwise), a failure
 * stops what has not started and reaches the caller's diagnostics; and live_set_take moves
 * objects in order. No network: the jobs make no calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/live.h"
#include "agent/resources/registry.h"
#include "agent/resources/tagindex.h"
#include "aws/session.h"
#include "core/diag.h"

#define NJOBS 40

struct jobs {
    pthread_mutex_t mu;
    int ran[NJOBS];
    struct session *seen[NJOBS];
    size_t fail_at; /* NJOBS: none fails */
    long others_ns; /* how long every other job takes */
};

static int job(struct session *s, size_t i, void *arg, struct diag *d)
{
    struct jobs *j = arg;

    pthread_mutex_lock(&j->mu);
    j->ran[i]++;
    j->seen[i] = s;
    pthread_mutex_unlock(&j->mu);
    if (i == j->fail_at) {
        diag_error(d, NULL, "job %zu failed", i);
        return -1;
    }
    if (j->others_ns) {
        struct timespec ts = {0, j->others_ns};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void test_every_job_once_on_sessions_of_their_own(void **state)
{
    struct session_options so = {NULL, "us-east-1", 0, 0};
    struct jobs j = {.fail_at = NJOBS};
    struct diag d;
    struct session *s;

    (void)state;
    diag_init(&d);
    pthread_mutex_init(&j.mu, NULL);
    s = session_new(&so, &d);
    assert_non_null(s);
    assert_int_equal(live_parallel(s, NJOBS, job, &j, &d), 0);
    for (size_t i = 0; i < NJOBS; i++) {
        assert_int_equal(j.ran[i], 1);
        assert_non_null(j.seen[i]);
        assert_ptr_not_equal(j.seen[i], s);
    }
    assert_int_equal(d.nerrors, 0);
    session_free(s);
    pthread_mutex_destroy(&j.mu);
    diag_release(&d);
}

static void test_failure_reaches_the_caller(void **state)
{
    struct session_options so = {NULL, "us-east-1", 0, 0};
    /* The others take 10 ms, so the failure is seen long before they could all have run: on a
     * loaded machine instant jobs could all finish while the failing one's thread waits. */
    struct jobs j = {.fail_at = 3, .others_ns = 10 * 1000 * 1000};
    struct diag d;
    struct session *s;
    int ran = 0;

    (void)state;
    diag_init(&d);
    pthread_mutex_init(&j.mu, NULL);
    s = session_new(&so, &d);
    assert_non_null(s);
    assert_int_equal(live_parallel(s, NJOBS, job, &j, &d), -1);
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(d.v[0].msg, "job 3 failed");
    for (size_t i = 0; i < NJOBS; i++) {
        assert_true(j.ran[i] <= 1);
        ran += j.ran[i];
    }
    /* The failure stops what had not started: at most one job per other worker after it. */
    assert_true(ran < NJOBS);
    session_free(s);
    pthread_mutex_destroy(&j.mu);
    diag_release(&d);
}

/* A session not made by session_new (a test's) runs the jobs here, in order. */
static void test_serial_without_options(void **state)
{
    struct session s = {0};
    struct jobs j = {.fail_at = 5};
    struct diag d;

    (void)state;
    diag_init(&d);
    pthread_mutex_init(&j.mu, NULL);
    assert_int_equal(live_parallel(&s, NJOBS, job, &j, &d), -1);
    for (size_t i = 0; i < NJOBS; i++) {
        assert_int_equal(j.ran[i], i <= 5);
        if (i <= 5)
            assert_ptr_equal(j.seen[i], &s);
    }
    pthread_mutex_destroy(&j.mu);
    diag_release(&d);
}

static void test_take_moves_in_order(void **state)
{
    const struct restype *t = registry_lookup("ec2.vpc");
    struct live_set a, b;

    (void)state;
    live_set_init(&a);
    live_set_init(&b);
    live_set_add(&a, t, "vpc-1", "one", NULL);
    live_set_add(&b, t, "vpc-2", "two", NULL);
    live_set_add(&b, t, "vpc-3", NULL, NULL);
    live_set_take(&a, &b);
    assert_int_equal(a.n, 3);
    assert_int_equal(b.n, 0);
    assert_string_equal(a.v[1].id, "vpc-2");
    assert_string_equal(a.v[2].id, "vpc-3");
    assert_string_equal(live_find(&a, t, "two")->id, "vpc-2");
    live_set_release(&a);
    live_set_release(&b);
}

/* The tag index finds an object by its ARN as the tagging API gives it, and a log group by the
 * ARN DescribeLogGroups gives (":*" appended); what is not in it is not the stack's. */
static void test_tag_index_lookup(void **state)
{
    json_t *index =
        json_pack("{s:{s:s}, s:{s:s}}", "arn:aws:logs:us-east-1:1:log-group:/ecs/a", "cairn:id",
                  "a", "arn:aws:elasticloadbalancing:us-east-1:1:lb/b", "cairn:id", "b");
    const json_t *t;

    (void)state;
    t = tagindex_get(index, "arn:aws:logs:us-east-1:1:log-group:/ecs/a:*");
    assert_string_equal(json_string_value(json_object_get(t, "cairn:id")), "a");
    t = tagindex_get(index, "arn:aws:logs:us-east-1:1:log-group:/ecs/a");
    assert_string_equal(json_string_value(json_object_get(t, "cairn:id")), "a");
    t = tagindex_get(index, "arn:aws:elasticloadbalancing:us-east-1:1:lb/b");
    assert_string_equal(json_string_value(json_object_get(t, "cairn:id")), "b");
    assert_null(tagindex_get(index, "arn:aws:logs:us-east-1:1:log-group:/ecs/other:*"));
    assert_null(tagindex_get(index, ":*"));
    assert_null(tagindex_get(index, NULL));
    assert_null(tagindex_get(NULL, "arn:aws:logs:us-east-1:1:log-group:/ecs/a"));
    json_decref(index);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_job_once_on_sessions_of_their_own),
        cmocka_unit_test(test_failure_reaches_the_caller),
        cmocka_unit_test(test_serial_without_options),
        cmocka_unit_test(test_take_moves_in_order),
        cmocka_unit_test(test_tag_index_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
