/*
 * relabel: the cases of Prometheus 2.42's model/relabel/relabel_test.go
 * (TestRelabel, TestTargetLabelValidity), restated as a table, plus Go's
 * regexp.Expand corner cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/rx.h"
#include "scrape/relabel.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct rule {
    const char *src; /* comma-separated source labels, NULL: none */
    const char *regex, *target, *replacement, *action, *separator;
    uint64_t modulus;
};

struct rcase {
    const char *input; /* "a=foo,b=bar" */
    struct rule rules[4];
    const char *output; /* labels_format() of the result; NULL: dropped */
};

static const struct rcase cases[] = {
    {"a=foo,b=bar,c=baz",
     {{"a", "f(.*)", "d", "ch${1}-ch${1}", NULL, NULL, 0}},
     "{a=\"foo\", b=\"bar\", c=\"baz\", d=\"choo-choo\"}"},
    {"a=foo,b=bar,c=baz",
     {{"a,b", "f(.*);(.*)r", "a", "b${1}${2}m", NULL, NULL, 0},
      {"c,a", "(b).*b(.*)ba(.*)", "d", "$1$2$2$3", NULL, NULL, 0}},
     "{a=\"boobam\", b=\"bar\", c=\"baz\", d=\"boooom\"}"},
    {"a=foo",
     {{"a", ".*o.*", NULL, NULL, "drop", NULL, 0}, {"a", "f(.*)", "d", "ch$1-ch$1", NULL, NULL, 0}},
     NULL},
    {"a=foo,b=bar", {{"a", ".*o.*", NULL, NULL, "drop", NULL, 0}}, NULL},
    {"a=abc", {{"a", ".*(b).*", "d", "$1", NULL, NULL, 0}}, "{a=\"abc\", d=\"b\"}"},
    {"a=foo", {{"a", "no-match", NULL, NULL, "drop", NULL, 0}}, "{a=\"foo\"}"},
    {"a=foo", {{"a", "f|o", NULL, NULL, "drop", NULL, 0}}, "{a=\"foo\"}"},
    {"a=foo", {{"a", "no-match", NULL, NULL, "keep", NULL, 0}}, NULL},
    {"a=foo", {{"a", "f.*", NULL, NULL, "keep", NULL, 0}}, "{a=\"foo\"}"},
    /* No replacement must be applied if there is no match. */
    {"a=boo", {{"a", "f", "b", "bar", NULL, NULL, 0}}, "{a=\"boo\"}"},
    {"a=foo,b=bar,c=baz",
     {{"c", NULL, "d", NULL, "hashmod", ";", 1000}},
     "{a=\"foo\", b=\"bar\", c=\"baz\", d=\"976\"}"},
    {"a=foo\nbar", {{"a", NULL, "b", NULL, "hashmod", ";", 1000}}, "{a=\"foo\\nbar\", b=\"734\"}"},
    {"a=foo,b1=bar,b2=baz",
     {{NULL, "(b.*)", NULL, "bar_${1}", "labelmap", NULL, 0}},
     "{a=\"foo\", b1=\"bar\", b2=\"baz\", bar_b1=\"bar\", bar_b2=\"baz\"}"},
    {"a=foo,__meta_my_bar=aaa,__meta_my_baz=bbb,__meta_other=ccc",
     {{NULL, "__meta_(my.*)", NULL, "${1}", "labelmap", NULL, 0}},
     "{__meta_my_bar=\"aaa\", __meta_my_baz=\"bbb\", __meta_other=\"ccc\", a=\"foo\", "
     "my_bar=\"aaa\", my_baz=\"bbb\"}"},
    {"a=some-name-value",
     {{"a", "some-([^-]+)-([^,]+)", "${1}", "${2}", NULL, NULL, 0}},
     "{a=\"some-name-value\", name=\"value\"}"},
    /* An empty replacement deletes. */
    {"a=some-name-value",
     {{"a", "some-([^-]+)-([^,]+)", "${1}", "${3}", NULL, NULL, 0}},
     "{a=\"some-name-value\"}"},
    /* Invalid target labels after expansion do nothing. */
    {"a=some-name-value",
     {{"a", "some-([^-]+)-([^,]+)", "${3}", "${1}", NULL, NULL, 0},
      {"a", "some-([^-]+)-([^,]+)", "0${3}", "${1}", NULL, NULL, 0},
      {"a", "some-([^-]+)-([^,]+)", "-${3}", "${1}", NULL, NULL, 0}},
     "{a=\"some-name-value\"}"},
    {"__meta_sd_tags=path:/secret;job:some-job;label:foo=bar",
     {{"__meta_sd_tags", "(?:.+;|^)path:(/[^;]+).*", "__metrics_path__", "${1}", NULL, NULL, 0},
      {"__meta_sd_tags", "(?:.+;|^)job:([^;]+).*", "job", "${1}", NULL, NULL, 0},
      {"__meta_sd_tags", "(?:.+;|^)label:([^=]+)=([^;]+).*", "${1}", "${2}", NULL, NULL, 0}},
     "{__meta_sd_tags=\"path:/secret;job:some-job;label:foo=bar\", __metrics_path__=\"/secret\", "
     "foo=\"bar\", job=\"some-job\"}"},
    {"a=foo,b1=bar,b2=baz",
     {{NULL, "(b.*)", NULL, NULL, "labelkeep", NULL, 0}},
     "{b1=\"bar\", b2=\"baz\"}"},
    {"a=foo,b1=bar,b2=baz", {{NULL, "(b.*)", NULL, NULL, "labeldrop", NULL, 0}}, "{a=\"foo\"}"},
    {"foo=bAr123Foo",
     {{"foo", NULL, "foo_uppercase", NULL, "uppercase", NULL, 0},
      {"foo", NULL, "foo_lowercase", NULL, "lowercase", NULL, 0}},
     "{foo=\"bAr123Foo\", foo_lowercase=\"bar123foo\", foo_uppercase=\"BAR123FOO\"}"},
    {"__tmp_port=1234,__port1=1234,__port2=5678",
     {{"__tmp_port", NULL, "__port1", NULL, "keepequal", NULL, 0}},
     "{__port1=\"1234\", __port2=\"5678\", __tmp_port=\"1234\"}"},
    {"__tmp_port=1234,__port1=1234,__port2=5678",
     {{"__tmp_port", NULL, "__port1", NULL, "dropequal", NULL, 0}},
     NULL},
    {"__tmp_port=1234,__port1=1234,__port2=5678",
     {{"__tmp_port", NULL, "__port2", NULL, "dropequal", NULL, 0}},
     "{__port1=\"1234\", __port2=\"5678\", __tmp_port=\"1234\"}"},
    {"__tmp_port=1234,__port1=1234,__port2=5678",
     {{"__tmp_port", NULL, "__port2", NULL, "KeepEqual", NULL, 0}},
     NULL},
    /* Defaults: a missing source label joins as "", replace with (.*) and $1. */
    {"a=x", {{"a,missing", NULL, "j", NULL, NULL, NULL, 0}}, "{a=\"x\", j=\"x;\"}"},
    {"a=x", {{NULL, NULL, "k", "static", NULL, NULL, 0}}, "{a=\"x\", k=\"static\"}"},
};

/* Split "a=foo,b=bar" (values may hold '\n' but not ',') into the builder. */
static void parse_input(struct arena *a, struct labels_builder *b, const char *s)
{
    char *copy = arena_strdup(a, s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        *eq = 0;
        labels_builder_set(b, tok, eq + 1);
    }
}

static void build_rule(struct arena *a, struct relabel_rule *r, const struct rule *in)
{
    struct diag d;

    relabel_rule_defaults(r);
    if (in->src) {
        char *copy = arena_strdup(a, in->src), *save = NULL;
        r->source_labels = arena_alloc(a, 8 * sizeof(char *));
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            r->source_labels[r->nsource++] = t;
    }
    if (in->regex)
        r->regex = in->regex;
    if (in->target)
        r->target_label = in->target;
    if (in->replacement)
        r->replacement = in->replacement;
    if (in->action)
        r->action = in->action;
    if (in->separator)
        r->separator = in->separator;
    r->modulus = in->modulus;
    diag_init(&d);
    if (relabel_rule_compile(r, &d) < 0) {
        /* The Go test bypasses validation for invalid target templates; so do we. */
        char err[128];
        assert_string_equal(r->action, "replace");
        r->act = RELABEL_REPLACE;
        r->rx = rx_new(r->regex, strlen(r->regex), RX_ANCHORED, err, sizeof(err));
        assert_non_null(r->rx);
    }
    diag_release(&d);
}

static void prometheus_relabel_table(void **state)
{
    for (size_t i = 0; i < N(cases); i++) {
        struct arena a;
        struct labels_builder b;
        struct relabel_rule rules[4];
        size_t n = 0;
        struct labels out;
        struct strbuf sb = STRBUF_INIT;
        int keep;

        arena_init(&a);
        labels_builder_init(&b);
        parse_input(&a, &b, cases[i].input);
        for (; n < 4 && (cases[i].rules[n].src || cases[i].rules[n].regex ||
                         cases[i].rules[n].target || cases[i].rules[n].action);
             n++)
            build_rule(&a, &rules[n], &cases[i].rules[n]);
        keep = relabel_process(&b, rules, n, &a);
        if (!cases[i].output) {
            if (keep)
                fail_msg("case %zu: kept, expected a drop", i);
        } else {
            if (!keep)
                fail_msg("case %zu: dropped", i);
            assert_int_equal(labels_builder_finish(&b, &out, NULL), 0);
            labels_format(&out, &sb);
            if (strcmp(sb.buf, cases[i].output) != 0)
                fail_msg("case %zu: got %s, want %s", i, sb.buf, cases[i].output);
        }
        for (size_t k = 0; k < n; k++)
            relabel_rule_release(&rules[k]);
        strbuf_release(&sb);
        labels_builder_release(&b);
        arena_release(&a);
    }
}

static void target_label_validity(void **state)
{
    static const struct {
        const char *s;
        int valid;
    } t[] = {{"-label", 0}, {"label", 1},       {"label${1}", 1}, {"${1}label", 1},
             {"${1}", 1},   {"${", 0},          {"$", 0},         {"${}", 0},
             {"foo${", 0},  {"$1", 1},          {"asd$2asd", 1},  {"-foo${1}bar-", 0},
             {"_${1}_", 1}, {"foo${bar}foo", 1}};
    for (size_t i = 0; i < N(t); i++) {
        struct relabel_rule r;
        struct diag d;
        int rc;
        relabel_rule_defaults(&r);
        r.target_label = t[i].s;
        diag_init(&d);
        rc = relabel_rule_compile(&r, &d);
        if ((rc == 0) != t[i].valid)
            fail_msg("%s: got %d (%s)", t[i].s, rc, diag_last(&d));
        relabel_rule_release(&r);
        diag_release(&d);
    }
}

static void go_expand(void **state)
{
    static const struct {
        const char *tmpl, *want;
    } t[] = {{"$1", "ab"},    {"${1}x", "abx"}, {"$1x", ""},
             {"$$1", "$1"},   {"$", "$"},       {"${", "${"},
             {"${}", "${}"},  {"$name", "cd"},  {"${name}!", "cd!"},
             {"$2$3", "cd"},  {"$01", ""},      {"x$9y", "x"},
             {"$0", "ab-cd"}, {"a$-b", "a$-b"}, {"${1}${name}", "abcd"}};
    char err[64];
    struct rx *rx = rx_new("(ab)-(?P<name>cd)", 17, RX_ANCHORED, err, sizeof(err));
    struct rx_span g[4];

    assert_non_null(rx);
    assert_int_equal(rx_match_groups(rx, "ab-cd", 5, g, 3), 1);
    for (size_t i = 0; i < N(t); i++) {
        struct strbuf sb = STRBUF_INIT;
        relabel_expand(&sb, t[i].tmpl, rx, "ab-cd", g, 3);
        if (strcmp(sb.buf, t[i].want) != 0)
            fail_msg("%s: got '%s', want '%s'", t[i].tmpl, sb.buf, t[i].want);
        strbuf_release(&sb);
    }
    rx_free(rx);
}

static void validation_messages(void **state)
{
    static const struct {
        struct rule r;
        const char *msg;
    } t[] = {
        {{NULL, NULL, NULL, NULL, "hashmod", NULL, 0},
         "relabel configuration for hashmod requires non-zero modulus"},
        {{NULL, NULL, NULL, NULL, "replace", NULL, 0},
         "relabel configuration for replace action requires 'target_label' value"},
        {{NULL, NULL, "x", "y", "lowercase", NULL, 0},
         "'replacement' can not be set for lowercase action"},
        {{"a", NULL, NULL, NULL, "labeldrop", NULL, 0},
         "labeldrop action requires only 'regex', and no other fields"},
        {{NULL, NULL, NULL, NULL, "frobnicate", NULL, 0}, "unknown relabel action \"frobnicate\""},
        {{NULL, "(", "x", NULL, NULL, NULL, 0}, "error parsing regexp: missing ): ^(?:()$"},
        {{NULL, NULL, NULL, "-bad", "labelmap", NULL, 0},
         "\"-bad\" is invalid 'replacement' for labelmap action"},
    };
    for (size_t i = 0; i < N(t); i++) {
        struct relabel_rule r;
        struct diag d;
        relabel_rule_defaults(&r);
        if (t[i].r.src) {
            static const char *one[1];
            one[0] = t[i].r.src;
            r.source_labels = one;
            r.nsource = 1;
        }
        if (t[i].r.regex)
            r.regex = t[i].r.regex;
        if (t[i].r.target)
            r.target_label = t[i].r.target;
        if (t[i].r.replacement)
            r.replacement = t[i].r.replacement;
        if (t[i].r.action)
            r.action = t[i].r.action;
        diag_init(&d);
        assert_int_equal(relabel_rule_compile(&r, &d), -1);
        assert_string_equal(diag_last(&d), t[i].msg);
        relabel_rule_release(&r);
        diag_release(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prometheus_relabel_table),
        cmocka_unit_test(target_label_validity),
        cmocka_unit_test(go_expand),
        cmocka_unit_test(validation_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
