/* suggest: edit distance and "did you mean" on the typos people make in stack files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/suggest.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void distance_is_optimal_string_alignment(void **state)
{
    static const struct {
        const char *a, *b;
        size_t d;
    } cases[] = {
        {"", "", 0},
        {"abc", "", 3},
        {"", "abc", 3},
        {"vpc", "vpc", 0},
        {"kitten", "sitting", 3},
        {"cidr_blok", "cidr_block", 1},
        {"ec2.vcp", "ec2.vpc", 1}, /* swapped neighbours count once */
        {"ca", "ac", 1},
        {"ca", "abc", 3}, /* OSA does not edit a swapped pair again */
        {"desired_cout", "desired_count", 1},
        {"Subnet", "subnet", 1},
        {"port", "ports", 1},
        {"abcdef", "badcfe", 3},
    };

    for (size_t i = 0; i < N(cases); i++) {
        size_t d = suggest_distance(cases[i].a, cases[i].b);
        if (d != cases[i].d)
            fail_msg("distance(%s, %s) = %zu, want %zu", cases[i].a, cases[i].b, d, cases[i].d);
        assert_int_equal(suggest_distance(cases[i].b, cases[i].a), cases[i].d);
    }
}

static const char *const attrs[] = {"cidr_block", "enable_dns_hostnames", "enable_dns_support",
                                    "tags",       "desired_count",        "task_definition"};
static const char *const types[] = {"ec2.vpc",          "ec2.subnet",  "ec2.security_group",
                                    "ecs.service",      "ecs.cluster", "efs.file_system",
                                    "efs.access_point", "backup.plan"};

static void typos_find_what_was_meant(void **state)
{
    static const struct {
        const char *word;
        const char *const *cands;
        size_t n;
        const char *want; /* NULL: no suggestion */
    } cases[] = {
        {"cidr_blok", attrs, N(attrs), "cidr_block"},
        {"cidrblock", attrs, N(attrs), "cidr_block"},
        {"desired_cout", attrs, N(attrs), "desired_count"},
        {"enable_dns_hostname", attrs, N(attrs), "enable_dns_hostnames"},
        {"tag", attrs, N(attrs), "tags"},
        {"zzz", attrs, N(attrs), NULL},
        {"taskdef", attrs, N(attrs), NULL},
        {"ec2.vcp", types, N(types), "ec2.vpc"},
        {"ecs.servce", types, N(types), "ecs.service"},
        {"efs.acess_point", types, N(types), "efs.access_point"},
        {"efs.filesystem", types, N(types), "efs.file_system"},
        {"zzz", types, N(types), NULL},
        {"s3.bucket", types, N(types), NULL},
        {"vpc", types, N(types), NULL},
        {"", types, N(types), NULL},
        {"x", types, 0, NULL},
    };

    for (size_t i = 0; i < N(cases); i++) {
        const char *got = suggest_closest(cases[i].word, cases[i].cands, cases[i].n);
        if (!got != !cases[i].want || (got && strcmp(got, cases[i].want)))
            fail_msg("suggest(%s) = %s, want %s", cases[i].word, got ? got : "NULL",
                     cases[i].want ? cases[i].want : "NULL");
    }
}

static void case_and_dashes_win_over_distance(void **state)
{
    static const char *const c1[] = {"VPN", "vpc"};
    static const char *const c2[] = {"desired_counts", "desired_count"};
    static const char *const c3[] = {"vpc_idx", "VPC_ID"};

    /* "VPN" is one edit from "VPC", "vpc" three, but only case tells them apart. */
    assert_string_equal(suggest_closest("VPC", c1, 2), "vpc");
    assert_string_equal(suggest_closest("Desired-Count", c2, 2), "desired_count");
    assert_string_equal(suggest_closest("vpc-id", c3, 2), "VPC_ID");
}

static void limit_grows_with_length(void **state)
{
    static const char *const c[] = {"ab", "abcdef", "abcdefghi"};

    /* max(1, len/3): two letters allow one edit, six allow two, nine allow three. */
    assert_string_equal(suggest_closest("xb", c, 1), "ab");
    assert_null(suggest_closest("xy", c, 1));
    assert_string_equal(suggest_closest("abcdxy", c + 1, 1), "abcdef");
    assert_null(suggest_closest("abcxyz", c + 1, 1));
    assert_string_equal(suggest_closest("abcdefxyz", c + 2, 1), "abcdefghi");
    assert_null(suggest_closest("abcdewxyz", c + 2, 1));
    /* Equally close: the first candidate wins. */
    static const char *const tie[] = {"port", "post"};
    assert_string_equal(suggest_closest("pot", tie, 2), "port");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distance_is_optimal_string_alignment),
        cmocka_unit_test(typos_find_what_was_meant),
        cmocka_unit_test(case_and_dashes_win_over_distance),
        cmocka_unit_test(limit_grows_with_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
