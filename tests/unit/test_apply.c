/* The executor's scheduling with a fake resource type: no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/apply.h"
#include "agent/graph.h"
#include "aws/session.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char order[64][32];
static int norder, in_flight, max_in_flight, ready_polls;

static int fake_create(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct timespec ts = {0, 20 * 1000000L};
    int fail = strstr(c->cairn_id, "bad") != NULL;

    pthread_mutex_lock(&mu);
    if (++in_flight > max_in_flight)
        max_in_flight = in_flight;
    pthread_mutex_unlock(&mu);
    nanosleep(&ts, NULL); /* long enough for others to start alongside */
    pthread_mutex_lock(&mu);
    in_flight--;
    snprintf(order[norder++], sizeof(order[0]), "%s", c->cairn_id);
    pthread_mutex_unlock(&mu);
    if (fail) {
        diag_error(d, NULL, "%s: AccessDenied", c->cairn_id);
        return -1;
    }
    *out = live_set_add(set, NULL, c->cairn_id, c->cairn_id, json_pack("{s:s}", "id", c->cairn_id));
    return 0;
}

/* Not ready on the first poll: the executor must wait before dependants start. */
static int fake_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    pthread_mutex_lock(&mu);
    int first = ready_polls++ % 2 == 0;
    pthread_mutex_unlock(&mu);
    return first ? 0 : 1;
}

static const struct restype_ops ops = {.create = fake_create, .ready = fake_ready};
static const struct attr attrs[] = {
    {.name = "id", .type = VT_STRING, .flags = ATTR_COMPUTED, .doc = "id"},
    {0},
};
static const struct restype fake = {
    .name = "test.fake", .service = "ec2", .doc = "fake", .attrs = attrs, .ops = &ops};

static int position(const char *name)
{
    for (int i = 0; i < norder; i++)
        if (strcmp(order[i], name) == 0)
            return i;
    return -1;
}

static struct stack_res *add(struct stack *s, const char *name)
{
    struct srcloc loc = {"t.yaml", 1, 1};
    struct stack_res *r = stack_add(s, name, &fake, ydoc_new_map(&s->arena, &loc), &loc);
    return r;
}

static void runs_in_parallel_in_dependency_order(void **state)
{
    struct session_options so = {NULL, "us-east-1", 0};
    struct apply_options o = {4, NULL, &so};
    struct apply_result r;
    struct stack s;
    struct live_set live;
    struct plan p;
    struct diag d;

    norder = in_flight = max_in_flight = ready_polls = 0;
    stack_init(&s);
    s.name = "demo";
    /* root <- a1..a4 <- leaf; bad <- after_bad; lone */
    struct stack_res *root = add(&s, "root"), *leaf = add(&s, "leaf");
    for (int i = 0; i < 4; i++) {
        struct stack_res *a = add(&s, (const char *[]){"a1", "a2", "a3", "a4"}[i]);
        graph_add_dep(a, root);
        graph_add_dep(leaf, a);
    }
    struct stack_res *bad = add(&s, "bad"), *after = add(&s, "after_bad");
    graph_add_dep(after, bad);
    add(&s, "lone");
    live_set_init(&live);
    plan_init(&p);
    diag_init(&d);
    assert_int_equal(plan_build(&p, &s, &live, &d), 0);
    assert_int_equal(p.count[PLAN_CREATE], 9);

    assert_int_equal(apply_plan(NULL, &s, &p, &o, &r, &d), -1);
    assert_int_equal(r.done[PLAN_CREATE], 7);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.skipped, 1);
    assert_int_equal(position("after_bad"), -1); /* skipped: never attempted */
    assert_true(position("root") < position("a1"));
    for (int i = 0; i < 4; i++)
        assert_true(position((const char *[]){"a1", "a2", "a3", "a4"}[i]) < position("leaf"));
    assert_true(max_in_flight > 1);  /* parallel */
    assert_true(max_in_flight <= 4); /* and bounded */
    assert_true(ready_polls >= 2 * 7);
    assert_non_null(strstr(diag_last(&d), "bad: AccessDenied"));

    plan_release(&p);
    live_set_release(&live);
    stack_release(&s);
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_in_parallel_in_dependency_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
