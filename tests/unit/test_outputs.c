/* What up prints as the ways in to the stack (outputs.c and the types' output hooks): a plan of
 * live objects built by hand, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/outputs.h"
#include "agent/plan.h"
#include "agent/resources/types.h"

static void add(struct live_set *set, struct plan *p, const struct restype *t, const char *id,
                const char *json, enum plan_kind kind)
{
    /* The set grows by realloc: the plan points into it once it is complete (link). */
    live_set_add(set, t, id, NULL, json_loads(json, 0, NULL));
    p->v[p->n++].kind = kind;
}

static void link(struct plan *p, struct live_set *set)
{
    for (size_t i = 0; i < p->n; i++)
        p->v[i].live = &set->v[i];
}

static char *print(const struct plan *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);

    outputs_print(p, m);
    fclose(m);
    return text;
}

static void test_ways_in(void **state)
{
    struct live_set set;
    struct plan p;
    char *text;

    (void)state;
    live_set_init(&set);
    plan_init(&p);
    p.v = calloc(16, sizeof(*p.v));
    p.alloc = 16;
    add(&set, &p, &servicediscovery_service_type, "srv-1",
        "{\"name\": \"api\", \"namespace_id\": \"ns-1\"}", PLAN_NOOP);
    add(&set, &p, &servicediscovery_private_dns_namespace_type, "ns-1",
        "{\"name\": \"demo.local\"}", PLAN_NOOP);
    add(&set, &p, &servicediscovery_service_type, "srv-2", "{\"name\": \"orphan\"}", PLAN_NOOP);
    add(&set, &p, &servicediscovery_service_type, "srv-3", "{\"name\": \"going\"}", PLAN_DELETE);
    add(&set, &p, &elbv2_load_balancer_type, "arn:lb", "{\"dns_name\": \"lb.example\"}", PLAN_NOOP);
    add(&set, &p, &elbv2_listener_type, "arn:ln",
        "{\"load_balancer_arn\": \"arn:lb\", \"protocol\": \"HTTP\", \"port\": 8080}", PLAN_NOOP);
    add(&set, &p, &elbv2_listener_type, "arn:ln443",
        "{\"load_balancer_arn\": \"arn:lb\", \"protocol\": \"HTTPS\", \"port\": 443}", PLAN_NOOP);
    add(&set, &p, &elbv2_listener_rule_type, "arn:r1",
        "{\"listener_arn\": \"arn:ln\", \"conditions\": {\"path_patterns\": [\"/grafana*\", "
        "\"/api/?x\"]}}",
        PLAN_NOOP);
    add(&set, &p, &elbv2_listener_rule_type, "arn:r2",
        "{\"listener_arn\": \"arn:ln443\", \"conditions\": {\"path_patterns\": [\"/p\"]}}",
        PLAN_NOOP);
    add(&set, &p, &elbv2_listener_rule_type, "arn:r3",
        "{\"listener_arn\": \"arn:none\", \"conditions\": {\"path_patterns\": [\"/x\"]}}",
        PLAN_NOOP);
    link(&p, &set);
    text = print(&p);
    assert_string_equal(text, "\nLoad balancer:\n"
                              "  http://lb.example:8080/grafana\n"
                              "  http://lb.example:8080/api/\n"
                              "  https://lb.example/p\n"
                              "\nCloud Map names:\n"
                              "  api.demo.local\n"
                              "  orphan.(namespace unknown)\n");
    free(text);
    p.n = 0;
    text = print(&p);
    assert_string_equal(text, "");
    free(text);
    free(p.v);
    live_set_release(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ways_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
