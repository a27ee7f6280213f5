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

/* Removal: recorded in order; "bad" ones fail. */
static int fake_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    struct timespec ts = {0, 20 * 1000000L};

    pthread_mutex_lock(&mu);
    if (++in_flight > max_in_flight)
        max_in_flight = in_flight;
    pthread_mutex_unlock(&mu);
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&mu);
    in_flight--;
    snprintf(order[norder++], sizeof(order[0]), "%s%s", live->id, how ? "!" : "");
    pthread_mutex_unlock(&mu);
    if (strstr(live->id, "bad")) {
        diag_error(d, NULL, "%s: DependencyViolation", live->id);
        return -1;
    }
    return 0;
}

static const struct restype_ops ops = {
    .create = fake_create, .remove = fake_remove, .ready = fake_ready};
static const struct attr attrs[] = {
    {.name = "id", .type = VT_STRING, .flags = ATTR_COMPUTED, .doc = "id"},
    {0},
};
static const struct restype fake = {.name = "test.fake",
                                    .service = "ec2",
                                    .doc = "fake",
                                    .attrs = attrs,
                                    .taggable = 1,
                                    .ops = &ops};

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
    struct session_options so = {NULL, "us-east-1", 0, 0};
    struct apply_options o = {4, NULL, &so, 0};
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

/* A live object of the fake type: id, cairn id, and attributes referring to others. */
static struct live_obj *obj(struct live_set *live, const char *id, const char *ref1,
                            const char *ref2)
{
    json_t *got = json_pack("{s:s}", "id", id);

    if (ref1)
        json_object_set_new(got, "parent_id", json_string(ref1));
    if (ref2)
        json_object_set_new(got, "sources", json_pack("[{s:s}]", "group", ref2));
    return live_set_add(live, &fake, id, id, got);
}

static void removals_wait_for_what_refers_to_them(void **state)
{
    struct session_options so = {NULL, "us-east-1", 0, 0};
    struct apply_options o = {4, NULL, &so, RESTYPE_REMOVE_NOW};
    struct apply_result r;
    struct stack s;
    struct live_set live;
    struct plan p;
    struct diag d;

    norder = in_flight = max_in_flight = 0;
    stack_init(&s);
    s.name = "demo";
    live_set_init(&live);
    /* Listed parents first, as reads do; the references decide the order, not the list. */
    obj(&live, "vpc", NULL, NULL);
    obj(&live, "subnet", "vpc", NULL);
    obj(&live, "nat", "subnet", NULL);
    obj(&live, "sg-a", "vpc", "sg-b"); /* the two groups allow each other: a cycle */
    obj(&live, "sg-b", "vpc", "sg-a");
    obj(&live, "lone", NULL, NULL);
    plan_init(&p);
    diag_init(&d);
    plan_build_destroy(&p, &live);
    assert_int_equal(p.count[PLAN_DELETE], 6);

    assert_int_equal(apply_plan(NULL, &s, &p, &o, &r, &d), 0);
    assert_int_equal(r.done[PLAN_DELETE], 6);
    assert_int_equal(norder, 6);
    assert_true(position("nat!") < position("subnet!"));
    assert_true(position("subnet!") < position("vpc!"));
    assert_true(position("sg-a!") < position("vpc!"));
    assert_true(position("sg-b!") < position("vpc!"));
    assert_true(max_in_flight > 1); /* lone and nat, at least, went together */

    plan_release(&p);
    live_set_release(&live);
    stack_release(&s);
    diag_release(&d);
}

static void failed_removal_keeps_what_it_refers_to(void **state)
{
    struct session_options so = {NULL, "us-east-1", 0, 0};
    struct apply_options o = {4, NULL, &so, 0};
    struct apply_result r;
    struct stack s;
    struct live_set live;
    struct plan p;
    struct diag d;

    norder = in_flight = max_in_flight = 0;
    stack_init(&s);
    s.name = "demo";
    live_set_init(&live);
    obj(&live, "vpc", NULL, NULL);
    obj(&live, "subnet", "vpc", NULL);
    obj(&live, "nat-bad", "subnet", NULL);
    obj(&live, "lone", NULL, NULL);
    plan_init(&p);
    diag_init(&d);
    plan_build_destroy(&p, &live);
    assert_int_equal(apply_plan(NULL, &s, &p, &o, &r, &d), -1);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.skipped, 2); /* the subnet, then the VPC */
    assert_int_equal(r.done[PLAN_DELETE], 1);
    assert_int_equal(position("subnet"), -1);
    assert_int_equal(position("vpc"), -1);
    assert_true(position("lone") >= 0);
    assert_non_null(strstr(diag_last(&d), "nat-bad: DependencyViolation"));

    plan_release(&p);
    live_set_release(&live);
    stack_release(&s);
    diag_release(&d);
}

static void adopted_pending_object_is_waited_for(void **state)
{
    struct session_options so = {NULL, "us-east-1", 0, 0};
    struct apply_options o = {4, NULL, &so, 0};
    struct apply_result r;
    struct stack s;
    struct live_set live;
    struct plan p;
    struct diag d;
    struct stack_res *root, *leaf;

    norder = in_flight = max_in_flight = ready_polls = 0;
    stack_init(&s);
    s.name = "demo";
    root = add(&s, "root");
    leaf = add(&s, "leaf");
    graph_add_dep(leaf, root);
    live_set_init(&live);
    /* A run cut short made root; it is still pending. */
    json_t *got = json_pack("{s:s, s:{s:s, s:s}}", "id", "root", "tags", "cairn:stack", "demo",
                            "cairn:id", "root");
    live_set_add(&live, &fake, "root", "root", got)->pending = 1;
    plan_init(&p);
    diag_init(&d);
    assert_int_equal(plan_build(&p, &s, &live, &d), 0);
    assert_int_equal(p.count[PLAN_NOOP], 1);
    assert_int_equal(p.count[PLAN_CREATE], 1);
    assert_int_equal(apply_plan(NULL, &s, &p, &o, &r, &d), 0);
    assert_int_equal(norder, 1);      /* only leaf was made */
    assert_int_equal(ready_polls, 4); /* root: not yet, ready; then leaf: not yet, ready */
    assert_int_equal(r.done[PLAN_CREATE], 1);

    plan_release(&p);
    live_set_release(&live);
    stack_release(&s);
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_in_parallel_in_dependency_order),
        cmocka_unit_test(removals_wait_for_what_refers_to_them),
        cmocka_unit_test(failed_removal_keeps_what_it_refers_to),
        cmocka_unit_test(adopted_pending_object_is_waited_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
