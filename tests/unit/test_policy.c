/*
 * cairn policy's documents: the read policy holds every type's reads and only
 * reads; the write policy adds the writes of the given types and no others,
 * and iam:PassRole only for the services those types hand roles to; each
 * statement one prefix, sorted, without repeats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "agent/policy.h"
#include "agent/resources/registry.h"
#include "agent/resources/types.h"

/* Whether the document allows action (outside the PassRole statement). */
static int allows(const json_t *doc, const char *action)
{
    const json_t *st, *a;
    size_t i, j;

    json_array_foreach(json_object_get(doc, "Statement"), i, st)
    {
        json_array_foreach(json_object_get(st, "Action"), j, a)
        {
            if (strcmp(json_string_value(a), action) == 0)
                return 1;
        }
    }
    return 0;
}

static const json_t *statement(const json_t *doc, const char *sid)
{
    const json_t *st;
    size_t i;

    json_array_foreach(json_object_get(doc, "Statement"), i, st)
    {
        if (strcmp(json_string_value(json_object_get(st, "Sid")), sid) == 0)
            return st;
    }
    return NULL;
}

/* The shape IAM takes, and each statement one prefix, its actions sorted without repeats. */
static void check_shape(const json_t *doc)
{
    const json_t *st, *a;
    size_t i, j;

    assert_string_equal(json_string_value(json_object_get(doc, "Version")), "2012-10-17");
    assert_true(json_array_size(json_object_get(doc, "Statement")) > 0);
    json_array_foreach(json_object_get(doc, "Statement"), i, st)
    {
        const char *sid = json_string_value(json_object_get(st, "Sid")), *prev = NULL;
        const json_t *other;
        size_t k, plen = 0;
        assert_non_null(sid);
        for (const char *p = sid; *p; p++)
            assert_true(isalnum((unsigned char)*p));
        json_array_foreach(json_object_get(doc, "Statement"), k, other)
        {
            if (k != i)
                assert_string_not_equal(json_string_value(json_object_get(other, "Sid")), sid);
        }
        assert_string_equal(json_string_value(json_object_get(st, "Effect")), "Allow");
        assert_string_equal(json_string_value(json_object_get(st, "Resource")), "*");
        assert_true(json_array_size(json_object_get(st, "Action")) > 0);
        json_array_foreach(json_object_get(st, "Action"), j, a)
        {
            const char *s = json_string_value(a);
            assert_true(policy_action_valid(s));
            if (prev) {
                assert_int_equal(strcspn(s, ":"), plen);
                assert_memory_equal(s, prev, plen);
                assert_true(strcmp(prev, s) < 0);
            }
            prev = s;
            plen = strcspn(s, ":");
        }
    }
}

static void read_policy_is_every_read(void **state)
{
    json_t *doc = policy_document(NULL, 0, 0);
    const json_t *st, *a;
    size_t i, j;

    (void)state;
    check_shape(doc);
    for (const struct restype *const *t = registry_types; *t; t++)
        for (const char *const *r = (*t)->read_actions; r && *r; r++)
            assert_true(allows(doc, *r));
    assert_true(allows(doc, "sts:GetCallerIdentity"));
    json_array_foreach(json_object_get(doc, "Statement"), i, st)
    {
        assert_null(json_object_get(st, "Condition"));
        json_array_foreach(json_object_get(st, "Action"), j, a)
        {
            assert_true(policy_action_reads(json_string_value(a)));
        }
    }
    /* The types given change nothing. */
    {
        const struct restype *types[] = {&ecs_task_definition_type};
        json_t *again = policy_document(types, 1, 0);
        assert_true(json_equal(doc, again));
        json_decref(again);
    }
    json_decref(doc);
}

static void write_policy_is_the_types_writes(void **state)
{
    const struct restype *types[] = {&ec2_vpc_type, &ec2_subnet_type, &ec2_vpc_type};
    json_t *doc = policy_document(types, 3, 1);
    const json_t *st;
    size_t i;

    (void)state;
    check_shape(doc);
    assert_true(allows(doc, "ec2:CreateVpc"));
    assert_true(allows(doc, "ec2:ModifySubnetAttribute"));
    assert_true(allows(doc, "ec2:CreateTags"));
    assert_true(allows(doc, "iam:ListRoles")); /* every type's reads */
    assert_false(allows(doc, "iam:CreateRole"));
    assert_false(allows(doc, "ec2:CreateSecurityGroup"));
    assert_false(allows(doc, "iam:PassRole"));
    /* Whatever is not a read is EC2's. */
    json_array_foreach(json_object_get(doc, "Statement"), i, st)
    {
        const json_t *a;
        size_t j;
        json_array_foreach(json_object_get(st, "Action"), j, a)
        {
            const char *s = json_string_value(a);
            assert_true(policy_action_reads(s) || strncmp(s, "ec2:", 4) == 0);
        }
    }
    json_decref(doc);
}

static void pass_role_only_where_passed(void **state)
{
    const struct restype *types[] = {&ecs_task_definition_type, &iam_role_type,
                                     &backup_selection_type, &ecs_task_definition_type};
    json_t *doc = policy_document(types, 4, 1), *want;
    const json_t *st;

    (void)state;
    check_shape(doc);
    assert_true(allows(doc, "ecs:RegisterTaskDefinition"));
    assert_true(allows(doc, "iam:CreateRole"));
    assert_true(allows(doc, "backup:CreateBackupSelection"));
    st = statement(doc, "IamPassRole");
    assert_non_null(st);
    want = json_pack("[s]", "iam:PassRole");
    assert_true(json_equal(json_object_get(st, "Action"), want));
    json_decref(want);
    want = json_pack("{s:{s:[s,s]}}", "StringEquals", "iam:PassedToService", "backup.amazonaws.com",
                     "ecs-tasks.amazonaws.com");
    assert_true(json_equal(json_object_get(st, "Condition"), want));
    json_decref(want);
    /* Only that statement grants it: not the one of IAM's other actions. */
    st = statement(doc, "Iam");
    assert_non_null(st);
    assert_null(json_object_get(st, "Condition"));
    want = json_string("iam:PassRole");
    for (size_t i = 0; i < json_array_size(json_object_get(st, "Action")); i++)
        assert_false(json_equal(json_array_get(json_object_get(st, "Action"), i), want));
    json_decref(want);
    json_decref(doc);
}

static void actions_are_recognised(void **state)
{
    (void)state;
    assert_true(policy_action_valid("ec2:DescribeVpcs"));
    assert_true(policy_action_valid("elasticloadbalancing:AddTags"));
    assert_true(policy_action_valid("route53:CreateHostedZone"));
    assert_true(policy_action_valid("backup-storage:MountCapsule"));
    assert_false(policy_action_valid("elbv2:AddTags")); /* botocore's name, not IAM's */
    assert_false(policy_action_valid("efs:CreateFileSystem"));
    assert_false(policy_action_valid("ec2:"));
    assert_false(policy_action_valid(":DescribeVpcs"));
    assert_false(policy_action_valid("ec2:Describe*"));
    assert_false(policy_action_valid(NULL));
    assert_true(policy_action_reads("ec2:DescribeVpcs"));
    assert_true(policy_action_reads("backup:ListTags"));
    assert_true(policy_action_reads("iam:GetRole"));
    assert_false(policy_action_reads("ec2:CreateVpc"));
    assert_false(policy_action_reads("ec2:Describe"));
    assert_false(policy_action_reads("ec2:Listen"));
    assert_false(policy_action_reads("DescribeVpcs"));
}

static void size_leaves_whitespace_out(void **state)
{
    json_t *doc = json_pack("{s:s}", "a b", "c");

    (void)state;
    assert_int_equal(policy_size(doc), strlen("{\"ab\":\"c\"}"));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_policy_is_every_read),
        cmocka_unit_test(write_policy_is_the_types_writes),
        cmocka_unit_test(pass_role_only_where_passed),
        cmocka_unit_test(actions_are_recognised),
        cmocka_unit_test(size_leaves_whitespace_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
