/* labels: Prometheus's ordering, hashing, lookup, formatting and the builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "metrics/labels.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void compare_is_prometheus_order(void **state)
{
    struct label a[] = {{"__name__", "up"}, {"job", "a"}};
    struct label b[] = {{"__name__", "up"}, {"job", "b"}};
    struct label c[] = {{"__name__", "up"}};
    struct labels la = {a, 2}, lb = {b, 2}, lc = {c, 1};
    assert_int_equal(labels_cmp(&la, &lb), -1);
    assert_int_equal(labels_cmp(&lb, &la), 1);
    assert_int_equal(labels_cmp(&lc, &la), -1); /* a prefix sorts first */
    assert_int_equal(labels_cmp(&la, &la), 0);
    assert_true(labels_equal(&la, &la));
    assert_false(labels_equal(&la, &lc));
}

static void hash_tells_sets_apart(void **state)
{
    /* Moving a character between name and value must change the hash. */
    struct label a[] = {{"ab", "c"}};
    struct label b[] = {{"a", "bc"}};
    struct label c[] = {{"__name__", "x"}, {"ab", "c"}};
    struct labels la = {a, 1}, lb = {b, 1}, lc = {c, 2};
    assert_true(labels_hash(&la) != labels_hash(&lb));
    assert_true(labels_hash(&la) != labels_hash(&lc));
    assert_true(labels_hash_without_name(&la) == labels_hash_without_name(&lc));
}

static void get_finds_by_name(void **state)
{
    struct label a[] = {{"__name__", "up"}, {"instance", "h:1"}, {"job", "a"}};
    struct labels la = {a, N(a)};
    assert_string_equal(labels_get(&la, "job"), "a");
    assert_string_equal(labels_get(&la, "__name__"), "up");
    assert_null(labels_get(&la, "zone"));
}

static void format_quotes_as_go(void **state)
{
    struct label a[] = {{"__name__", "up"}, {"path", "a\"b\\c\nd\xff"}};
    struct labels la = {a, N(a)};
    struct strbuf sb;
    strbuf_init(&sb, STRBUF_NOCAP);
    assert_int_equal(labels_format(&la, &sb), 0);
    assert_string_equal(sb.buf, "{__name__=\"up\", path=\"a\\\"b\\\\c\\nd\\xff\"}");
    strbuf_release(&sb);
}

static void names_are_validated(void **state)
{
    assert_true(labels_valid_name("job", 3));
    assert_true(labels_valid_name("_x9", 3));
    assert_false(labels_valid_name("9x", 2));
    assert_false(labels_valid_name("a:b", 3));
    assert_false(labels_valid_name("", 0));
    assert_true(labels_valid_metric_name("a:b_c", 5));
    assert_false(labels_valid_metric_name("a-b", 3));
}

static void builder_sorts_sets_deletes_and_finds_duplicates(void **state)
{
    struct labels_builder b;
    struct labels out;
    const char *dup = NULL;
    labels_builder_init(&b);
    labels_builder_push(&b, "job", "a");
    labels_builder_push(&b, "__name__", "up");
    labels_builder_push(&b, "empty", "");
    labels_builder_set(&b, "instance", "h:1");
    labels_builder_set(&b, "job", "b");
    assert_int_equal(labels_builder_finish(&b, &out, &dup), 0);
    assert_int_equal(out.n, 3);
    assert_string_equal(out.v[0].name, "__name__");
    assert_string_equal(out.v[1].name, "instance");
    assert_string_equal(out.v[2].value, "b");
    labels_builder_del(&b, "instance");
    labels_builder_push(&b, "job", "c");
    assert_int_equal(labels_builder_finish(&b, &out, &dup), -1);
    assert_string_equal(dup, "job");
    labels_builder_reset(&b, NULL);
    assert_int_equal(labels_builder_finish(&b, &out, NULL), 0);
    assert_int_equal(out.n, 0);
    labels_builder_release(&b);
}

static void dup_copies_into_arena(void **state)
{
    char name[] = "job", value[] = "a";
    struct label a[] = {{name, value}};
    struct labels la = {a, 1};
    struct arena ar;
    arena_init(&ar);
    struct labels d = labels_dup(&ar, &la);
    name[0] = 'x';
    assert_string_equal(d.v[0].name, "job");
    assert_string_equal(d.v[0].value, "a");
    arena_release(&ar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compare_is_prometheus_order),
        cmocka_unit_test(hash_tells_sets_apart),
        cmocka_unit_test(get_finds_by_name),
        cmocka_unit_test(format_quotes_as_go),
        cmocka_unit_test(names_are_validated),
        cmocka_unit_test(builder_sorts_sets_deletes_and_finds_duplicates),
        cmocka_unit_test(dup_copies_into_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
