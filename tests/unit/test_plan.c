/* The planner and the diff: desired against a live set built by hand, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/drift.h"
#include "agent/plan.h"
#include "agent/stackload.h"
#include "agent/resources/registry.h"

static const char *const stack_text =
    "stack: demo\n"
    "region: us-east-1\n"
    "tags: {Project: demo}\n"
    "resources:\n"
    "  vpc:\n"
    "    type: ec2.vpc\n"
    "    properties: {cidr_block: 10.0.0.0/16, enable_dns_hostnames: true}\n"
    "  subnet:\n"
    "    type: ec2.subnet\n"
    "    properties: {vpc_id: '${vpc.id}', cidr_block: 10.0.1.0/24}\n"
    "  sg:\n"
    "    type: ec2.security_group\n"
    "    properties:\n"
    "      description: web\n"
    "      vpc_id: ${vpc.id}\n"
    "      ingress:\n"
    "        - {port: 443, cidr_blocks: [0.0.0.0/0]}\n"
    "        - {port: 80, cidr_blocks: [10.0.0.0/8, 0.0.0.0/0]}\n";

struct fixture {
    struct stack s;
    struct live_set live;
    struct plan p;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct stack_options o = {"/nonexistent", NULL, NULL};
    struct diag d;

    diag_init(&d);
    stack_init(&f->s);
    if (stack_load_text(&f->s, "t.yaml", stack_text, strlen(stack_text), &o, &d) < 0) {
        diag_print(&d, stderr, "test");
        return -1;
    }
    diag_release(&d);
    live_set_init(&f->live);
    plan_init(&f->p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    plan_release(&f->p);
    live_set_release(&f->live);
    stack_release(&f->s);
    free(f);
    return 0;
}

static json_t *tags(const char *id)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "Project", "demo", "cairn:stack", "demo", "cairn:id",
                     id, "aws:cloudformation:stack-name", "ignored");
}

/* What a read of the stack as AWS reports it would give: defaults filled in, lists reordered. */
static void live_as_applied(struct live_set *live)
{
    live_set_add(live, registry_lookup("ec2.vpc"), "vpc-1", "vpc",
                 json_pack("{s:s, s:s, s:b, s:b, s:b, s:o, s:s}", "cidr_block", "10.0.0.0/16",
                           "instance_tenancy", "default", "enable_dns_support", 1,
                           "enable_dns_hostnames", 1, "enable_network_address_usage_metrics", 0,
                           "tags", tags("vpc"), "id", "vpc-1"));
    live_set_add(live, registry_lookup("ec2.subnet"), "subnet-1", "subnet",
                 json_pack("{s:s, s:s, s:s, s:b, s:o, s:s}", "vpc_id", "vpc-1", "cidr_block",
                           "10.0.1.0/24", "availability_zone", "us-east-1a",
                           "map_public_ip_on_launch", 0, "tags", tags("subnet"), "id", "subnet-1"));
    live_set_add(live, registry_lookup("ec2.security_group"), "sg-1", "sg",
                 json_pack("{s:s, s:s, s:s, s:[{s:s,s:i,s:[s,s]},{s:s,s:i,s:[s]}], s:o, s:s}",
                           "name", "demo-sg", "description", "web", "vpc_id", "vpc-1", "ingress",
                           "protocol", "tcp", "port", 80, "cidr_blocks", "0.0.0.0/0", "10.0.0.0/8",
                           "protocol", "tcp", "port", 443, "cidr_blocks", "0.0.0.0/0", "tags",
                           tags("sg"), "id", "sg-1"));
}

static void everything_is_created_from_nothing(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(plan_build(&f->p, &f->s, &f->live, NULL), 0);
    assert_int_equal(f->p.count[PLAN_CREATE], 3);
    assert_true(plan_has_changes(&f->p));
    /* The subnet's VPC id is known only after the VPC exists. */
    assert_string_equal(json_string_value(json_object_get(f->p.v[1].desired, "vpc_id")),
                        "${vpc.id}");
    /* Tags: the stack's, cairn:stack and cairn:id. */
    json_t *t = json_object_get(f->p.v[0].desired, "tags");
    assert_string_equal(json_string_value(json_object_get(t, "Project")), "demo");
    assert_string_equal(json_string_value(json_object_get(t, "cairn:stack")), "demo");
    assert_string_equal(json_string_value(json_object_get(t, "cairn:id")), "vpc");
}

static void an_applied_stack_plans_no_change(void **state)
{
    struct fixture *f = *state;

    live_as_applied(&f->live);
    assert_int_equal(plan_build(&f->p, &f->s, &f->live, NULL), 0);
    for (size_t i = 0; i < f->p.n; i++)
        if (f->p.v[i].kind != PLAN_NOOP) {
            char *out = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&out, &len);
            plan_print(&f->p, m, 0);
            fclose(m);
            fail_msg("expected no change, got:\n%s", out);
        }
    assert_false(plan_has_changes(&f->p));
    assert_int_equal(f->p.count[PLAN_NOOP], 3);
}

/* A second VPC under the same cairn:id, found first by the read: the one the subnet and the
 * security group use is kept, the extra alone is deleted, and nothing is replaced. */
static void a_duplicate_deletes_only_the_extra(void **state)
{
    struct fixture *f = *state;
    char *out = NULL;
    size_t len = 0;
    FILE *m;

    live_set_add(&f->live, registry_lookup("ec2.vpc"), "vpc-0", "vpc",
                 json_pack("{s:s, s:o, s:s}", "cidr_block", "10.0.0.0/16", "tags", tags("vpc"),
                           "id", "vpc-0"));
    live_as_applied(&f->live);
    assert_int_equal(plan_build(&f->p, &f->s, &f->live, NULL), 0);
    m = open_memstream(&out, &len);
    plan_print(&f->p, m, 0);
    fclose(m);
    assert_int_equal(f->p.count[PLAN_REPLACE], 0);
    assert_int_equal(f->p.count[PLAN_UPDATE], 0);
    assert_int_equal(f->p.count[PLAN_NOOP], 3);
    assert_int_equal(f->p.count[PLAN_DELETE], 1);
    assert_string_equal(f->p.v[0].live->id, "vpc-1");
    assert_string_equal(f->p.v[3].live->id, "vpc-0");
    assert_string_equal(f->p.v[3].dup_of->id, "vpc-1");
    assert_non_null(strstr(out, "  - vpc (ec2.vpc) vpc-0  # a second object under cairn:id vpc: "
                                "vpc-1 is the one kept\n"));
    free(out);
}

static void changes_become_the_right_actions(void **state)
{
    struct fixture *f = *state;
    struct live_obj *sub, *sg;
    char *out = NULL;
    size_t len = 0;
    FILE *m;

    live_as_applied(&f->live);
    sub = live_find(&f->live, registry_lookup("ec2.subnet"), "subnet");
    json_object_set_new(sub->attrs, "cidr_block", json_string("10.0.9.0/24"));
    sg = live_find(&f->live, registry_lookup("ec2.security_group"), "sg");
    /* A rule added by hand: port 22 from anywhere. */
    json_array_append_new(
        json_object_get(sg->attrs, "ingress"),
        json_pack("{s:s,s:i,s:[s]}", "protocol", "tcp", "port", 22, "cidr_blocks", "0.0.0.0/0"));
    /* Tagged with the stack, gone from the file. */
    live_set_add(&f->live, registry_lookup("ec2.vpc"), "vpc-9", "old_vpc",
                 json_pack("{s:s}", "cidr_block", "10.9.0.0/16"));
    assert_int_equal(plan_build(&f->p, &f->s, &f->live, NULL), 0);
    assert_int_equal(f->p.count[PLAN_NOOP], 1);
    assert_int_equal(f->p.count[PLAN_REPLACE], 1);
    assert_int_equal(f->p.count[PLAN_UPDATE], 1);
    assert_int_equal(f->p.count[PLAN_DELETE], 1);
    assert_int_equal(f->p.v[1].kind, PLAN_REPLACE);
    assert_int_equal(f->p.v[1].changes.n, 1);
    assert_string_equal(f->p.v[1].changes.v[0].path, "cidr_block");
    assert_int_equal(f->p.v[2].kind, PLAN_UPDATE);
    assert_string_equal(f->p.v[2].changes.v[0].path, "ingress");
    assert_int_equal(f->p.v[3].kind, PLAN_DELETE);

    m = open_memstream(&out, &len);
    plan_print(&f->p, m, 0);
    fclose(m);
    assert_non_null(strstr(out, "-/+ subnet (ec2.subnet) subnet-1  # replaced: cidr_block cannot "
                                "change in place\n"
                                "      cidr_block: \"10.0.9.0/24\" -> \"10.0.1.0/24\"\n"));
    assert_non_null(strstr(out, "  ~ sg (ec2.security_group) sg-1\n"));
    assert_non_null(strstr(out, "  - old_vpc (ec2.vpc) vpc-9  # not in the stack file\n"));
    assert_non_null(strstr(out, "Plan: 0 to create, 1 to update, 1 to replace, 1 to delete, 1 "
                                "unchanged.\n"));
    free(out);

    json_t *j = plan_json(&f->p);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "replace")),
                     1);
    json_t *a = json_array_get(json_object_get(j, "actions"), 1);
    assert_string_equal(json_string_value(json_object_get(a, "action")), "replace");
    assert_true(json_is_true(
        json_object_get(json_array_get(json_object_get(a, "changes"), 0), "forces_replacement")));
    json_decref(j);
}

static void a_replaced_dependency_makes_references_unknown(void **state)
{
    struct fixture *f = *state;
    struct live_obj *vpc;

    live_as_applied(&f->live);
    vpc = live_find(&f->live, registry_lookup("ec2.vpc"), "vpc");
    json_object_set_new(vpc->attrs, "cidr_block", json_string("10.1.0.0/16"));
    assert_int_equal(plan_build(&f->p, &f->s, &f->live, NULL), 0);
    assert_int_equal(f->p.v[0].kind, PLAN_REPLACE);
    /* vpc_id of the subnet and the group: known after apply, and both force replacement. */
    assert_int_equal(f->p.v[1].kind, PLAN_REPLACE);
    assert_true(f->p.v[1].changes.v[0].unknown);
    assert_int_equal(f->p.v[2].kind, PLAN_REPLACE);
}

/*
 * Besides the file's objects, the reads find objects tagged with the stack by hand (without a
 * cairn:id) and untagged children under the stack's parents (an access point added by hand on
 * its file system): both go in a plan and in a destroy, and drift calls them orphan and extra.
 */
static void untracked_objects_are_deleted_and_reported(void **state)
{
    struct fixture *f = *state;
    struct plan destroy;
    struct drift dr;

    live_as_applied(&f->live);
    live_set_add(&f->live, registry_lookup("logs.log_group"), "/by/hand", NULL,
                 json_pack("{s:s, s:{s:s}}", "name", "/by/hand", "tags", "cairn:stack", "demo"));
    live_set_add(&f->live, registry_lookup("efs.access_point"), "fsap-1", NULL,
                 json_pack("{s:s, s:{s:s}}", "id", "fsap-1", "tags", "Name", "debug"));
    assert_int_equal(plan_build(&f->p, &f->s, &f->live, NULL), 0);
    assert_int_equal(f->p.count[PLAN_NOOP], 3);
    assert_int_equal(f->p.count[PLAN_DELETE], 2);
    /* Dependants first: the reverse of the order read. */
    assert_string_equal(f->p.v[3].live->id, "fsap-1");
    assert_string_equal(f->p.v[4].live->id, "/by/hand");

    drift_init(&dr);
    drift_build(&dr, &f->p, NULL);
    assert_int_equal(dr.count[DRIFT_IN_SYNC], 3);
    assert_int_equal(dr.v[3].status, DRIFT_EXTRA);
    assert_string_equal(dr.v[3].resource, "fsap-1");
    assert_int_equal(dr.v[4].status, DRIFT_ORPHAN);
    assert_string_equal(dr.v[4].resource, "/by/hand");
    assert_true(drift_found(&dr));
    drift_release(&dr);
    /* Ignored by name, an extra is in sync. */
    drift_init(&dr);
    drift_build(&dr, &f->p, (const char *const[]){"fsap-*", "/by/hand", NULL});
    assert_false(drift_found(&dr));
    assert_int_equal(dr.ignored, 2);
    drift_release(&dr);

    plan_init(&destroy);
    plan_build_destroy(&destroy, &f->live);
    assert_int_equal(destroy.count[PLAN_DELETE], 5);
    plan_release(&destroy);
}

static void normalization_cases(void **state)
{
    /* Table-driven: attribute, desired, live, equal? */
    static const struct attr list = {.name = "l", .type = VT_LIST, .elem = VT_STRING};
    static const struct attr ordered = {
        .name = "c", .type = VT_LIST, .elem = VT_STRING, .flags = ATTR_ORDERED};
    static const struct attr port = {.name = "p", .type = VT_PORT};
    static const struct attr flag = {.name = "b", .type = VT_BOOL, .def = "false"};
    static const struct attr map = {.name = "m", .type = VT_MAP};
    static const struct attr doc = {.name = "d", .type = VT_DOCUMENT};
    static const struct {
        const struct attr *a;
        const char *desired, *live;
        int equal;
    } cases[] = {
        {&list, "[\"a\",\"b\"]", "[\"b\",\"a\"]", 1},
        {&list, "[]", "null", 1},
        {&list, "[\"a\"]", "[\"a\",\"a\"]", 0},
        {&ordered, "[\"a\",\"b\"]", "[\"b\",\"a\"]", 0},
        {&port, "\"80\"", "80", 1},
        {&port, "80", "8080", 0},
        {&flag, "null", "false", 1},
        {&flag, "\"true\"", "true", 1},
        {&flag, "null", "true", 0},
        {&map, "{}", "null", 1},
        {&doc, "{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":1}", 1},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *d = json_loads(cases[i].desired, JSON_DECODE_ANY, NULL);
        json_t *l = json_loads(cases[i].live, JSON_DECODE_ANY, NULL);
        json_t *nd = diff_normalize(cases[i].a, d), *nl = diff_normalize(cases[i].a, l);
        int eq = (!nd && !nl) || (nd && nl && json_equal(nd, nl));
        if (eq != cases[i].equal)
            fail_msg("case %zu: %s vs %s: expected %s", i, cases[i].desired, cases[i].live,
                     cases[i].equal ? "equal" : "different");
        json_decref(d);
        json_decref(l);
        json_decref(nd);
        json_decref(nl);
    }
}

/* A secret cairn generates: the plan says a value will be made, and shows nothing of one. */
static void a_generated_secret_plans_as_sensitive(void **state)
{
    static const char text[] = "stack: demo\n"
                               "resources:\n"
                               "  pw:\n"
                               "    type: secretsmanager.secret\n"
                               "    properties:\n"
                               "      generate: {length: 32}\n";
    struct stack_options o = {"/nonexistent", NULL, NULL};
    struct stack s;
    struct live_set live;
    struct plan p;
    struct diag d;
    char *out = NULL;
    size_t len = 0;
    FILE *m;

    (void)state;
    diag_init(&d);
    stack_init(&s);
    live_set_init(&live);
    plan_init(&p);
    assert_int_equal(stack_load_text(&s, "s.yaml", text, strlen(text), &o, &d), 0);
    assert_int_equal(plan_build(&p, &s, &live, &d), 0);
    m = open_memstream(&out, &len);
    plan_print(&p, m, 0);
    fclose(m);
    assert_non_null(strstr(out, "      value: (sensitive, made when created)\n"));
    free(out);
    plan_release(&p);
    live_set_release(&live);
    stack_release(&s);
    diag_release(&d);
}

/* A file system cairn restore made: its access point opens inside the restore directory, and
 * the cairn:restore* tags stay (neither is a change). */
static const char *const td_text =
    "stack: demo\n"
    "region: us-east-1\n"
    "resources:\n"
    "  td:\n"
    "    type: ecs.task_definition\n"
    "    properties:\n"
    "      cpu: 256\n"
    "      memory: '512'\n"
    "      container_definitions:\n"
    "        - {name: web, image: 'nginx:1', port_mappings: [{container_port: 80}]}\n";

/* The desired attributes of the one resource of text, as the planner resolves them. */
static json_t *desired_of_text(const char *text, struct stack *s)
{
    struct stack_options o = {"/nonexistent", NULL, NULL};
    struct live_set none;
    struct plan p;
    struct diag d;
    json_t *out;

    diag_init(&d);
    stack_init(s);
    if (stack_load_text(s, "td.yaml", text, strlen(text), &o, &d) < 0)
        diag_print(&d, stderr, "test");
    assert_int_equal(d.n, 0);
    diag_release(&d);
    live_set_init(&none);
    plan_init(&p);
    assert_int_equal(plan_build(&p, s, &none, NULL), 0);
    out = json_incref(p.v[0].desired);
    plan_release(&p);
    live_set_release(&none);
    return out;
}

/* A task definition read with only its digest (live_obj digest): the planner takes desired's
 * values as its attributes when the digests agree (no change, no DescribeTaskDefinition), and
 * leaves it for live_detail when they do not. Defaults written out or left out, and numbers
 * as text, digest alike. */
static void a_digest_stands_for_an_immutable_objects_attributes(void **state)
{
    const struct restype *t = registry_lookup("ecs.task_definition");
    const char *arn = "arn:aws:ecs:us-east-1:1:task-definition/demo-td:1";
    char digest[DIFF_DIGEST_LEN + 1], other[DIFF_DIGEST_LEN + 1];
    struct stack s;
    json_t *desired = desired_of_text(td_text, &s), *spelled;
    struct live_set live;
    struct live_obj *o;
    struct plan p;

    (void)state;
    diff_digest(t, desired, digest);
    spelled = json_deep_copy(desired);
    json_object_set_new(spelled, "network_mode", json_string("awsvpc"));
    json_object_set_new(spelled, "cpu", json_string("256"));
    diff_digest(t, spelled, other);
    assert_string_equal(digest, other);
    json_object_set_new(spelled, "memory", json_string("1024"));
    diff_digest(t, spelled, other);
    assert_string_not_equal(digest, other);

    live_set_init(&live);
    o = live_set_add(&live, t, arn, "td",
                     json_pack("{s:s, s:s, s:s, s:i, s:o}", "arn", arn, "id", arn, "family",
                               "demo-td", "revision", 1, "tags",
                               json_pack("{s:s, s:s}", "cairn:stack", "demo", "cairn:id", "td")));
    o->digest = strdup(digest);
    plan_init(&p);
    assert_int_equal(plan_build(&p, &s, &live, NULL), 0);
    assert_int_equal(p.v[0].kind, PLAN_NOOP);
    assert_null(o->digest);
    assert_non_null(json_object_get(o->attrs, "container_definitions"));
    plan_release(&p);

    /* Another image: the digest does not stand for it; the object is left to be read. */
    json_object_set_new(o->attrs, "container_definitions", json_array());
    json_object_del(o->attrs, "cpu");
    json_object_del(o->attrs, "memory");
    o->digest = strdup(other);
    plan_init(&p);
    assert_int_equal(plan_build(&p, &s, &live, NULL), 0);
    assert_string_equal(o->digest, other);
    assert_int_not_equal(p.v[0].kind, PLAN_NOOP);
    plan_release(&p);

    live_set_release(&live);
    json_decref(spelled);
    json_decref(desired);
    stack_release(&s);
}

static void a_restored_file_system_moves_access_point_roots(void **state)
{
    static const char text[] = "stack: demo\n"
                               "region: us-east-1\n"
                               "resources:\n"
                               "  fs:\n"
                               "    type: efs.file_system\n"
                               "  ap:\n"
                               "    type: efs.access_point\n"
                               "    properties:\n"
                               "      file_system_id: ${fs.id}\n"
                               "      root_directory: {path: /prometheus}\n"
                               "  ap_root:\n"
                               "    type: efs.access_point\n"
                               "    properties: {file_system_id: '${fs.id}'}\n";
    struct stack_options o = {"/nonexistent", NULL, NULL};
    struct stack s;
    struct live_set live;
    struct plan p;
    struct diag d;
    json_t *fs_tags;

    (void)state;
    diag_init(&d);
    stack_init(&s);
    live_set_init(&live);
    plan_init(&p);
    assert_int_equal(stack_load_text(&s, "t.yaml", text, strlen(text), &o, &d), 0);
    fs_tags = json_pack("{s:s, s:s, s:s, s:s}", "cairn:stack", "demo", "cairn:id", "fs",
                        PLAN_TAG_RESTORE_DIR, "aws-backup-restore_2026-11-24T06-00-00",
                        PLAN_TAG_RESTORE_FROM, "arn:aws:backup:rp");
    live_set_add(&live, registry_lookup("efs.file_system"), "fs-1", "fs",
                 json_pack("{s:s, s:o}", "id", "fs-1", "tags", fs_tags));
    assert_int_equal(plan_build(&p, &s, &live, &d), 0);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(plan_action_of(&p, stack_find(&s, "ap"))->desired, "root_directory"),
            "path")),
        "/aws-backup-restore_2026-11-24T06-00-00/prometheus");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(plan_action_of(&p, stack_find(&s, "ap_root"))->desired,
                                            "root_directory"),
                            "path")),
                        "/aws-backup-restore_2026-11-24T06-00-00");
    /* The file system's restore tags are desired too: no tag change. */
    for (size_t i = 0; i < p.n; i++)
        if (p.v[i].res && strcmp(p.v[i].res->name, "fs") == 0)
            for (size_t k = 0; k < p.v[i].changes.n; k++)
                assert_true(strncmp(p.v[i].changes.v[k].path, "tags", 4) != 0);
    plan_release(&p);
    live_set_release(&live);
    stack_release(&s);
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_generated_secret_plans_as_sensitive),
        cmocka_unit_test_setup_teardown(everything_is_created_from_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(an_applied_stack_plans_no_change, setup, teardown),
        cmocka_unit_test_setup_teardown(a_duplicate_deletes_only_the_extra, setup, teardown),
        cmocka_unit_test_setup_teardown(changes_become_the_right_actions, setup, teardown),
        cmocka_unit_test_setup_teardown(a_replaced_dependency_makes_references_unknown, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(untracked_objects_are_deleted_and_reported, setup,
                                        teardown),
        cmocka_unit_test(normalization_cases),
        cmocka_unit_test(a_restored_file_system_moves_access_point_roots),
        cmocka_unit_test(a_digest_stands_for_an_immutable_objects_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
