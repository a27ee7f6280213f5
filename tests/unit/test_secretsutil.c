/* Passwords cairn generates for secrets: length, character classes, exclusions, uniformity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "agent/resources/secretsutil.h"

static char *gen(const struct secretsutil_gen *g)
{
    struct diag d;
    char *pw;

    diag_init(&d);
    pw = secretsutil_generate(g, &d);
    if (!pw)
        fail_msg("no password: %s", diag_last(&d));
    diag_release(&d);
    return pw;
}

static void refuses(const struct secretsutil_gen *g, const char *why)
{
    struct diag d;

    diag_init(&d);
    assert_null(secretsutil_generate(g, &d));
    if (!strstr(diag_last(&d), why))
        fail_msg("expected '%s' in: %s", why, diag_last(&d));
    diag_release(&d);
}

/* The seed's options: 32 letters and digits, at least one of each kind. */
static void seed_options(void **state)
{
    struct secretsutil_gen g = {
        .length = 32, .exclude_punctuation = 1, .require_each_included_type = 1};

    (void)state;
    for (int i = 0; i < 200; i++) {
        char *pw = gen(&g);
        int lower = 0, upper = 0, digit = 0;
        assert_int_equal(strlen(pw), 32);
        for (const char *p = pw; *p; p++) {
            assert_true(isalnum((unsigned char)*p));
            lower |= islower((unsigned char)*p) != 0;
            upper |= isupper((unsigned char)*p) != 0;
            digit |= isdigit((unsigned char)*p) != 0;
        }
        assert_true(lower && upper && digit);
        secretsutil_free(pw);
    }
}

static void exclusions_and_space(void **state)
{
    struct secretsutil_gen g = {.length = 4096,
                                .exclude_characters = "aeiou0O1lI",
                                .include_space = 1,
                                .require_each_included_type = 1};
    char *pw;
    int punct = 0, space = 0;

    (void)state;
    pw = gen(&g);
    assert_int_equal(strlen(pw), 4096);
    for (const char *p = pw; *p; p++) {
        assert_null(strchr("aeiou0O1lI", *p));
        assert_true(isprint((unsigned char)*p));
        punct |= strchr(SECRETSUTIL_PUNCTUATION, *p) != NULL;
        space |= *p == ' ';
    }
    /* Punctuation is required; the space is not (as GetRandomPassword's RequireEachIncludedType),
     * so it is left to chance: 4,096 draws from 85 characters miss it with probability
     * (84/85)^4096 < 1e-20. (400 draws, as this test had, miss it about once in 110 runs.) */
    assert_true(punct && space);
    secretsutil_free(pw);
}

/* Four characters, four kinds required: each password has exactly one of each. */
static void short_and_every_kind(void **state)
{
    struct secretsutil_gen g = {.length = 4, .require_each_included_type = 1};

    (void)state;
    for (int i = 0; i < 50; i++) {
        char *pw = gen(&g);
        int kinds = 0;
        for (const char *p = pw; *p; p++)
            kinds |= islower((unsigned char)*p)   ? 1
                     : isupper((unsigned char)*p) ? 2
                     : isdigit((unsigned char)*p) ? 4
                                                  : 8;
        assert_int_equal(kinds, 15);
        secretsutil_free(pw);
    }
}

/* Ten digits over 100000 draws: every digit within 5% of its share (about 10 sigma). */
static void uniform(void **state)
{
    struct secretsutil_gen g = {
        .length = 100000, .exclude_lowercase = 1, .exclude_uppercase = 1, .exclude_punctuation = 1};
    long count[10] = {0};
    char *pw;

    (void)state;
    pw = gen(&g);
    for (const char *p = pw; *p; p++) {
        assert_true(isdigit((unsigned char)*p));
        count[*p - '0']++;
    }
    for (int i = 0; i < 10; i++)
        if (count[i] < 9500 || count[i] > 10500)
            fail_msg("digit %d drawn %ld times of 100000", i, count[i]);
    secretsutil_free(pw);
}

static void impossible_options(void **state)
{
    struct secretsutil_gen none = {.length = 8,
                                   .exclude_lowercase = 1,
                                   .exclude_uppercase = 1,
                                   .exclude_numbers = 1,
                                   .exclude_punctuation = 1};
    struct secretsutil_gen too_short = {.length = 3, .require_each_included_type = 1};
    struct secretsutil_gen all_excluded = {.length = 8,
                                           .exclude_lowercase = 1,
                                           .exclude_uppercase = 1,
                                           .exclude_punctuation = 1,
                                           .exclude_characters = "0123456789"};

    (void)state;
    refuses(&none, "no character");
    refuses(&too_short, "cannot hold one of each of 4 kinds");
    refuses(&all_excluded, "no character");
    secretsutil_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_options),         cmocka_unit_test(exclusions_and_space),
        cmocka_unit_test(short_and_every_kind), cmocka_unit_test(uniform),
        cmocka_unit_test(impossible_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
