/* The read cache shared by a live read's sessions: one request, one call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/callcache.h"

static void first_claims_then_others_hit(void **state)
{
    struct callcache *cc = callcache_new();
    char *body = NULL;
    size_t len = 0;
    long status = 0;

    (void)state;
    assert_int_equal(callcache_claim(cc, "GET /a", 6, &body, &len, &status), CALLCACHE_MINE);
    callcache_fill(cc, "GET /a", 6, "{\"x\":1}", 7, 200);
    assert_int_equal(callcache_claim(cc, "GET /a", 6, &body, &len, &status), CALLCACHE_HIT);
    assert_int_equal(len, 7);
    assert_int_equal(status, 200);
    assert_memory_equal(body, "{\"x\":1}", 7);
    free(body);
    /* Another request (a prefix of the first, even) is its own. */
    assert_int_equal(callcache_claim(cc, "GET /", 5, &body, &len, &status), CALLCACHE_MINE);
    callcache_abandon(cc, "GET /", 5);
    /* Abandoned: whoever comes next sends it. */
    assert_int_equal(callcache_claim(cc, "GET /", 5, &body, &len, &status), CALLCACHE_MINE);
    callcache_fill(cc, "GET /", 5, "", 0, 200);
    assert_int_equal(callcache_hits(cc), 1);
    callcache_free(cc);
}

struct waiter {
    struct callcache *cc;
    enum callcache_result r;
    char *body;
};

static void *wait_for_answer(void *arg)
{
    struct waiter *w = arg;
    size_t len;
    long status;

    w->r = callcache_claim(w->cc, "POST /\nDescribeVpcs", 19, &w->body, &len, &status);
    return NULL;
}

static void concurrent_claims_wait_for_the_first(void **state)
{
    struct callcache *cc = callcache_new();
    struct waiter w[4];
    pthread_t t[4];
    char *body;
    size_t len;
    long status;
    struct timespec ts = {0, 50 * 1000000L};

    (void)state;
    assert_int_equal(callcache_claim(cc, "POST /\nDescribeVpcs", 19, &body, &len, &status),
                     CALLCACHE_MINE);
    for (int i = 0; i < 4; i++) {
        w[i] = (struct waiter){cc, CALLCACHE_MINE, NULL};
        assert_int_equal(pthread_create(&t[i], NULL, wait_for_answer, &w[i]), 0);
    }
    nanosleep(&ts, NULL); /* they are waiting now: the answer is not there yet */
    callcache_fill(cc, "POST /\nDescribeVpcs", 19, "<ok/>", 5, 200);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].r, CALLCACHE_HIT);
        assert_string_equal(w[i].body, "<ok/>");
        free(w[i].body);
    }
    assert_int_equal(callcache_hits(cc), 4);
    callcache_free(cc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_claims_then_others_hit),
        cmocka_unit_test(concurrent_claims_wait_for_the_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
