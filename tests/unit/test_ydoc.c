/* ydoc: YAML loading with positions, and every input a stack file must not contain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ydoc.h"
#include "core/diag.h"
#include "core/strbuf.h"

struct bad_case {
    const char *text;
    size_t len; /* 0: strlen(text) */
    unsigned line, col;
    const char *msg;              /* substring of the first error */
    unsigned note_line, note_col; /* a note expected there, when note_line is not 0 */
};

static const struct bad_case bad_cases[] = {
    {"a: b: c\n", 0, 1, 5, "': ' inside an unquoted value starts a map; put the value in quotes", 0,
     0},
    {"stack: dev\nresources:\n  vpc:\n    type: ec2.vpc\n   props: {}\n", 0, 5, 4,
     "bad indentation: this key is at column 4, but the keys above it are at columns 5 and 3", 0,
     0},
    {"a:\n  b: 1\n c: 2\n", 0, 3, 2,
     "bad indentation: this key is at column 2, but the keys above it are at columns 3 and 1", 0,
     0},
    {"a: 'x\n", 0, 1, 4, "this quoted string is never closed; add the closing \"'\"", 0, 0},
    {"a: \"x\nb: 1\n", 0, 1, 4, "this quoted string is never closed; add the closing '\"'", 0, 0},
    {"a: [b,", 0, 1, 7, "YAML syntax: did not find expected node content", 0, 0},
    {"a: 'x", 0, 1, 6, "YAML syntax: found unexpected end of stream", 1, 4},
    {"a: [x, y\n", 0, 1, 4, "this '[' is never closed; add the closing ']'", 0, 0},
    {"a: {x: 1\nb: 2\n", 0, 1, 4, "this '{' is never closed; add the closing '}'", 0, 0},
    {"- a\nb: c\n", 0, 2, 1, "YAML syntax: did not find expected '-' indicator", 1, 1},
    {"\xc3\xa9t\xc3\xa9: b: c\n", 0, 1, 7, "starts a map; put the value in quotes", 0, 0},
    {"a:\n\tb: 1\n", 0, 2, 1, "tabs are not allowed for indentation in YAML", 0, 0},
    {"a:\n  b: 1\n\tc: 2\n", 0, 3, 1, "tabs are not allowed for indentation in YAML", 0, 0},
    {"a:\n  \tb: 1\n", 0, 2, 3, "tabs are not allowed for indentation in YAML", 0, 0},
    {"a: |\n\tfoo\n", 0, 2, 1, "tabs are not allowed for indentation in YAML", 0, 0},
    {"a:\n  - b\n  -\tc\n", 0, 3, 4, "tabs are not allowed for indentation in YAML", 0, 0},
    {"vpc: 1\nsubnet: 2\nvpc: 3\n", 0, 3, 1, "duplicate key 'vpc' (first at line 1)", 1, 1},
    {"r:\n  vpc:\n    a: 1\n    a: 2\n", 0, 4, 5, "duplicate key 'a' (first at line 3)", 3, 5},
    {"{a: 1, b: 2, a: 3}\n", 0, 1, 14, "duplicate key 'a' (first at line 1)", 1, 2},
    {"'vpc': 1\n\"vpc\": 2\n", 0, 2, 1, "duplicate key 'vpc'", 1, 1},
    {"a: &x b\n", 0, 1, 4, "anchors and aliases are not supported in stack files", 0, 0},
    {"a: b\nc: *x\n", 0, 2, 4, "anchors and aliases are not supported in stack files", 0, 0},
    {"a: &m\n  b: 1\n", 0, 1, 4, "anchors and aliases are not supported", 0, 0},
    {"a: !foo b\n", 0, 1, 4, "custom tag '!foo' is not supported in stack files", 0, 0},
    {"a: ! b\n", 0, 1, 4, "custom tag '!' is not supported", 0, 0},
    {"%TAG !e! tag:example.com,2000:\n---\na: !e!x b\n", 0, 3, 4,
     "custom tag 'tag:example.com,2000:x' is not supported", 0, 0},
    {"a: !!binary eA==\n", 0, 1, 4, "tag '!!binary' is not supported in stack files", 0, 0},
    {"a: !!map b\n", 0, 1, 4, "tag '!!map' does not fit a string", 0, 0},
    {"a: !!str [b]\n", 0, 1, 4, "tag '!!str' does not fit a list", 0, 0},
    {"a: !!int abc\n", 0, 1, 4, "'abc' is not a valid !!int", 0, 0},
    {"a: !!bool yes\n", 0, 1, 4, "'yes' is not a valid !!bool", 0, 0},
    {"a: !!float 1.2.3\n", 0, 1, 4, "'1.2.3' is not a valid !!float", 0, 0},
    {"a: 1\n---\nb: 2\n", 0, 2, 1, "a stack file holds one YAML document; this is a second one", 0,
     0},
    {"a: 1\n...\n--- b\n", 0, 3, 1, "this is a second one", 0, 0},
    {"? [a]\n: b\n", 0, 1, 3, "map keys must be strings, not a list", 0, 0},
    {"{{a: 1}: b}\n", 0, 1, 2, "map keys must be strings, not a map", 0, 0},
    {"a: \xff\n", 0, 1, 4, "invalid UTF-8: invalid leading UTF-8 octet", 0, 0},
    {"ab: c\xc3\n", 0, 1, 6, "invalid UTF-8", 0, 0},
    {"x: \xc3\xa9\xff\n", 0, 1, 5, "invalid UTF-8: invalid leading UTF-8 octet", 0, 0},
    {"x: 1\nname: \xc3\xa9\xe2\x82\n", 0, 2, 8, "invalid UTF-8", 0, 0},
    {"a: b\0c\n", 7, 1, 5, "NUL byte in the file", 0, 0},
    {"\xff\xfe"
     "a\0:\0",
     6, 1, 4, "NUL byte", 0, 0},
    {"a: \x01\n", 0, 1, 4, "control character U+0001 is not allowed in YAML", 0, 0},
    {"a: \"\xef\xbf\xbe\"\n", 0, 1, 5, "character U+FFFE is not allowed in YAML", 0, 0},
};

/* Load text; it must fail with the case's first error and leave nothing behind. */
static void expect_bad(const struct bad_case *c, size_t idx)
{
    struct ydoc y;
    struct diag d;
    size_t len = c->len ? c->len : strlen(c->text);
    const struct diag_entry *err = NULL, *note = NULL;

    ydoc_init(&y);
    diag_init(&d);
    if (ydoc_load_buf(&y, "stack.yaml", c->text, len, &d) != -1)
        fail_msg("case %zu: %s: loaded", idx, c->text);
    assert_null(y.root);
    assert_null(y.arena.head);
    for (size_t i = 0; i < d.n; i++) {
        if (!err && d.v[i].severity == DIAG_ERROR)
            err = &d.v[i];
        else if (err && !note && d.v[i].severity == DIAG_NOTE)
            note = &d.v[i];
    }
    if (!err)
        fail_msg("case %zu: no error", idx);
    if (err->loc.line != c->line || err->loc.col != c->col || !strstr(err->msg, c->msg))
        fail_msg("case %zu: got %u:%u: %s; want %u:%u: %s", idx, err->loc.line, err->loc.col,
                 err->msg, c->line, c->col, c->msg);
    assert_string_equal(err->loc.file, "stack.yaml");
    if (c->note_line) {
        if (!note || note->loc.line != c->note_line || note->loc.col != c->note_col)
            fail_msg("case %zu: want a note at %u:%u, got %u:%u", idx, c->note_line, c->note_col,
                     note ? note->loc.line : 0, note ? note->loc.col : 0);
    }
    diag_release(&d);
    ydoc_release(&y);
}

static void bad_inputs_give_exact_diagnostics(void **state)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
        expect_bad(&bad_cases[i], i);
}

static void expect_bad_text(const char *text, size_t len, unsigned line, unsigned col,
                            const char *msg)
{
    struct bad_case c = {text, len, line, col, msg, 0, 0};
    expect_bad(&c, 0);
}

static void nesting_is_limited(void **state)
{
    char flow[2 * (YDOC_MAX_DEPTH + 1) + 2];
    struct ydoc y;
    struct diag d;
    size_t n = 0;

    /* 64 levels load, 65 do not. */
    for (int i = 0; i < YDOC_MAX_DEPTH; i++)
        flow[n++] = '[';
    for (int i = 0; i < YDOC_MAX_DEPTH; i++)
        flow[n++] = ']';
    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_buf(&y, "stack.yaml", flow, n, &d), 0);
    assert_int_equal(y.root->kind, YNODE_SEQ);
    ydoc_release(&y);
    diag_release(&d);

    n = 0;
    for (int i = 0; i <= YDOC_MAX_DEPTH; i++)
        flow[n++] = '[';
    for (int i = 0; i <= YDOC_MAX_DEPTH; i++)
        flow[n++] = ']';
    expect_bad_text(flow, n, 1, YDOC_MAX_DEPTH + 1, "nested too deeply (more than 64 levels)");

    /* Block style, one map per line, each two spaces further in. */
    char *block = malloc(80 * 200);
    n = 0;
    for (int i = 0; i <= YDOC_MAX_DEPTH; i++)
        n += (size_t)sprintf(block + n, "%*sk%d:\n", 2 * i, "", i);
    n += (size_t)sprintf(block + n, "%*sleaf: 1\n", 2 * (YDOC_MAX_DEPTH + 1), "");
    expect_bad_text(block, n, YDOC_MAX_DEPTH + 1, 2 * YDOC_MAX_DEPTH + 1, "nested too deeply");
    free(block);
}

static void large_input_is_refused(void **state)
{
    size_t n = YDOC_MAX_BYTES + 1;
    char *big = malloc(n);

    memset(big, '#', n);
    big[n - 1] = '\n';
    expect_bad_text(big, n, 0, 0, "file is larger than 4194304 bytes");
    free(big);
}

static void duplicates_found_in_large_maps(void **state)
{
    char text[4096];
    size_t n = 0;
    struct ydoc y;
    struct diag d;

    /* Past the linear scan: the hash table must find them, each at its place. */
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(text + n, "key%d: %d\n", i, i);
    n += (size_t)sprintf(text + n, "key42: again\nkey7: again\nkey100: new\nkey80: again\n");
    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_buf(&y, "s.yaml", text, n, &d), -1);
    assert_int_equal(d.nerrors, 3);
    assert_int_equal(d.n, 6);
    assert_string_equal(d.v[0].msg, "duplicate key 'key42' (first at line 43)");
    assert_int_equal(d.v[0].loc.line, 101);
    assert_int_equal(d.v[1].severity, DIAG_NOTE);
    assert_int_equal(d.v[1].loc.line, 43);
    assert_string_equal(d.v[2].msg, "duplicate key 'key7' (first at line 8)");
    assert_int_equal(d.v[2].loc.line, 102);
    assert_string_equal(d.v[4].msg, "duplicate key 'key80' (first at line 81)");
    diag_release(&d);
    ydoc_release(&y);
}

static void errors_after_the_first_are_reported_too(void **state)
{
    const char *text = "a: &x 1\nb: *x\nc: !t 2\na: 3\n";
    struct ydoc y;
    struct diag d;

    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_buf(&y, "s.yaml", text, strlen(text), &d), -1);
    assert_int_equal(d.nerrors, 4);
    assert_int_equal(d.v[0].loc.line, 1);
    assert_int_equal(d.v[1].loc.line, 2);
    assert_int_equal(d.v[2].loc.line, 3);
    assert_string_equal(d.v[3].msg, "duplicate key 'a' (first at line 1)");
    diag_release(&d);
    ydoc_release(&y);
}

static void unreadable_file_says_why(void **state)
{
    struct ydoc y;
    struct diag d;

    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_file(&y, "/nonexistent/x.yaml", &d), -1);
    assert_string_equal(diag_last(&d),
                        "cannot read '/nonexistent/x.yaml': No such file or directory");
    assert_int_equal(ydoc_load_file(&y, "/tmp", &d), -1);
    assert_string_equal(diag_last(&d), "cannot read '/tmp': Is a directory");
    assert_null(y.root);
    diag_release(&d);
    ydoc_release(&y);
}

static void file_errors_print_with_caret(void **state)
{
    char path[] = "/tmp/cairn-ydoc-XXXXXX";
    const char *text = "stack: dev\nresources:\n  vpc: {type: ec2.vpc, type: x}\n";
    int fd = mkstemp(path);
    struct ydoc y;
    struct diag d;
    char *out = NULL;
    struct strbuf want = STRBUF_INIT;
    size_t outlen = 0;
    FILE *f;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_file(&y, path, &d), -1);
    f = open_memstream(&out, &outlen);
    diag_print(&d, f, "cairn");
    fclose(f);
    assert_int_equal(strbuf_addf(&want,
                                 "%s:3:24: error: duplicate key 'type' (first at line 3)\n"
                                 "     3 |   vpc: {type: ec2.vpc, type: x}\n"
                                 "       |                        ^\n"
                                 "%s:3:9: note: 'type' first defined here\n"
                                 "     3 |   vpc: {type: ec2.vpc, type: x}\n"
                                 "       |         ^\n",
                                 path, path),
                     0);
    assert_string_equal(out, want.buf);
    strbuf_release(&want);
    free(out);
    diag_release(&d);
    ydoc_release(&y);
    unlink(path);
}

static void check(const struct ynode *n, enum ynode_kind kind, unsigned line, unsigned col)
{
    assert_non_null(n);
    assert_int_equal(n->kind, kind);
    if (n->loc.line != line || n->loc.col != col)
        fail_msg("node at %u:%u, want %u:%u", n->loc.line, n->loc.col, line, col);
    assert_string_equal(n->loc.file, "stack.yaml");
}

static void check_str(const struct ynode *n, const char *s, int quoted, unsigned line, unsigned col)
{
    check(n, YNODE_SCALAR, line, col);
    assert_string_equal(n->str, s);
    assert_int_equal(n->len, strlen(s));
    assert_int_equal(n->quoted, quoted);
}

static const char good[] = "stack: dev\n"
                           "resources:\n"
                           "  vpc:\n"
                           "    type: ec2.vpc\n"
                           "    properties:\n"
                           "      cidr_block: \"10.0.0.0/16\"\n"
                           "      tags: {a: 1, b: [x, y]}\n"
                           "  list:\n"
                           "  - one\n"
                           "  - 'it''s'\n"
                           "  -\n"
                           "  - - nested\n"
                           "script: |\n"
                           "  line 1\n"
                           "    line 2\n"
                           "folded: >-\n"
                           "  a\n"
                           "  b\n"
                           "esc: \"t\\tu\\u00e9\\0!\"\n"
                           "empty:\n"
                           "tab:\tafter colon\n"
                           "str: !!str 42\n"
                           "int: !!int \"42\"\n";

static void good_input_gives_tree_with_positions(void **state)
{
    struct ydoc y;
    struct diag d;
    const struct ynode *r, *res, *vpc, *props, *tags, *b, *list, *v;

    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_buf(&y, "stack.yaml", good, strlen(good), &d), 0);
    assert_int_equal(d.n, 0);
    r = y.root;
    check(r, YNODE_MAP, 1, 1);
    assert_int_equal(r->n, 9);
    check_str(r->keys[0], "stack", 0, 1, 1);
    check_str(r->vals[0], "dev", 0, 1, 8);
    check_str(r->keys[1], "resources", 0, 2, 1);
    res = ydoc_get(r, "resources");
    check(res, YNODE_MAP, 3, 3);
    check_str(res->keys[0], "vpc", 0, 3, 3);
    vpc = ydoc_get(res, "vpc");
    check(vpc, YNODE_MAP, 4, 5);
    check_str(ydoc_get(vpc, "type"), "ec2.vpc", 0, 4, 11);
    props = ydoc_get(vpc, "properties");
    check(props, YNODE_MAP, 6, 7);
    check_str(ydoc_get(props, "cidr_block"), "10.0.0.0/16", 1, 6, 19);
    tags = ydoc_get(props, "tags");
    check(tags, YNODE_MAP, 7, 13);
    check_str(tags->keys[0], "a", 0, 7, 14);
    check_str(tags->vals[0], "1", 0, 7, 17);
    check_str(tags->keys[1], "b", 0, 7, 20);
    b = ydoc_get(tags, "b");
    check(b, YNODE_SEQ, 7, 23);
    assert_int_equal(b->n, 2);
    assert_null(b->keys);
    check_str(b->vals[0], "x", 0, 7, 24);
    check_str(b->vals[1], "y", 0, 7, 27);

    list = ydoc_get(res, "list");
    check(list, YNODE_SEQ, 9, 3);
    assert_int_equal(list->n, 4);
    check_str(list->vals[0], "one", 0, 9, 5);
    check_str(list->vals[1], "it's", 1, 10, 5);
    assert_true(ydoc_is_null(list->vals[2]));
    check(list->vals[3], YNODE_SEQ, 12, 5);
    check_str(list->vals[3]->vals[0], "nested", 0, 12, 7);

    check_str(ydoc_get(r, "script"), "line 1\n  line 2\n", 1, 13, 9);
    check_str(ydoc_get(r, "folded"), "a b", 1, 16, 9);
    v = ydoc_get(r, "esc");
    check(v, YNODE_SCALAR, 19, 6);
    assert_int_equal(v->len, 7);
    assert_memory_equal(v->str, "t\tu\xc3\xa9\0!", 8);
    assert_int_equal(v->quoted, 1);
    /* An empty value sits just after its colon. */
    check_str(ydoc_get(r, "empty"), "", 0, 20, 7);
    assert_true(ydoc_is_null(ydoc_get(r, "empty")));
    check_str(ydoc_get(r, "tab"), "after colon", 0, 21, 6);
    check_str(ydoc_get(r, "str"), "42", 1, 22, 6);
    check_str(ydoc_get(r, "int"), "42", 0, 23, 6);

    assert_null(ydoc_get(r, "missing"));
    assert_null(ydoc_get(b, "x"));
    assert_null(ydoc_get(NULL, "x"));
    assert_string_equal(ydoc_kind_name(r), "a map");
    assert_string_equal(ydoc_kind_name(b), "a list");
    assert_string_equal(ydoc_kind_name(b->vals[0]), "a string");
    diag_release(&d);
    ydoc_release(&y);
}

static void empty_documents_have_no_root(void **state)
{
    static const char *const empties[] = {"", "\n\n", "# only a comment\n", "---\n", "---\n...\n"};
    struct ydoc y;
    struct diag d;

    diag_init(&d);
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        ydoc_init(&y);
        assert_int_equal(ydoc_load_buf(&y, "e.yaml", empties[i], strlen(empties[i]), &d), 0);
        assert_null(y.root);
        ydoc_release(&y);
    }
    /* A quoted empty string is a value, not an empty document. */
    ydoc_init(&y);
    assert_int_equal(ydoc_load_buf(&y, "e.yaml", "''", 2, &d), 0);
    assert_non_null(y.root);
    assert_false(ydoc_is_null(y.root));
    ydoc_release(&y);
    assert_int_equal(d.n, 0);
    diag_release(&d);
}

static void positions_count_characters_and_crlf(void **state)
{
    const char *text = "# \xc3\xa9\xc3\xa9\r\n\xc3\xa9t\xc3\xa9: v\r\n---x: \"q\"\r\n";
    struct ydoc y;
    struct diag d;

    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_buf(&y, "stack.yaml", text, strlen(text), &d), 0);
    check_str(y.root->keys[0], "\xc3\xa9t\xc3\xa9", 0, 2, 1);
    check_str(y.root->vals[0], "v", 0, 2, 6);
    check_str(y.root->keys[1], "---x", 0, 3, 1);
    check_str(y.root->vals[1], "q", 1, 3, 7);
    ydoc_release(&y);
    diag_release(&d);
}

static void byte_order_mark_is_not_a_column(void **state)
{
    const char *text = "\xef\xbb\xbfkey: v\nnext: w\n";
    struct ydoc y;
    struct diag d;

    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_buf(&y, "stack.yaml", text, strlen(text), &d), 0);
    check_str(y.root->keys[0], "key", 0, 1, 1);
    check_str(y.root->vals[0], "v", 0, 1, 6);
    check_str(y.root->keys[1], "next", 0, 2, 1);
    ydoc_release(&y);
    expect_bad_text("\xef\xbb\xbf\tkey: v\n", 0, 1, 1, "tabs are not allowed");
    diag_release(&d);
}

static void reference_in_flow_gets_a_hint(void **state)
{
    const char *text = "ports: [{port: ${param.port}}]\n";
    struct ydoc y;
    struct diag d;

    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_buf(&y, "stack.yaml", text, strlen(text), &d), -1);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.v[0].msg, "YAML syntax: did not find expected ',' or '}'");
    assert_int_equal(d.v[0].loc.col, 17);
    assert_string_equal(d.v[1].msg, "while parsing a flow mapping");
    assert_int_equal(d.v[1].loc.col, 9);
    assert_string_equal(d.v[2].msg, "inside [ ] or { }, quote a value that holds '${': \"${...}\"");
    assert_int_equal(d.v[2].loc.col, 16);
    diag_release(&d);
    ydoc_release(&y);
}

static void null_and_core_tags(void **state)
{
    const char *text = "a: ~\nb: null\nc: NULL\nd: 'null'\ne: nil\nf: !!null ''\n"
                       "g: !!float -1.5e3\nh: !!bool True\ni: !!int 0x1F\nj: !!map {}\n"
                       "k: !!seq []\nl: !!float .inf\n";
    struct ydoc y;
    struct diag d;
    const struct ynode *r;

    ydoc_init(&y);
    diag_init(&d);
    assert_int_equal(ydoc_load_buf(&y, "stack.yaml", text, strlen(text), &d), 0);
    r = y.root;
    assert_true(ydoc_is_null(ydoc_get(r, "a")));
    assert_true(ydoc_is_null(ydoc_get(r, "b")));
    assert_true(ydoc_is_null(ydoc_get(r, "c")));
    assert_false(ydoc_is_null(ydoc_get(r, "d")));
    assert_false(ydoc_is_null(ydoc_get(r, "e")));
    assert_true(ydoc_is_null(ydoc_get(r, "f")));
    assert_false(ydoc_get(r, "g")->quoted);
    assert_int_equal(ydoc_get(r, "j")->kind, YNODE_MAP);
    assert_int_equal(ydoc_get(r, "k")->kind, YNODE_SEQ);
    assert_false(ydoc_is_null(NULL));
    ydoc_release(&y);
    diag_release(&d);
}

static void trees_built_by_hand(void **state)
{
    struct arena a;
    struct srcloc loc = {"t.yaml", 4, 2};
    struct ynode *m, *s, *k;
    char key[16];

    arena_init(&a);
    m = ydoc_new_map(&a, &loc);
    s = ydoc_new_seq(&a, NULL);
    assert_int_equal(m->loc.line, 4);
    assert_null(s->loc.file);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        k = ydoc_new_scalar(&a, key, strlen(key), 0, &loc);
        ydoc_append(&a, m, k, ydoc_new_scalar(&a, "v", 1, i ? 1 : YDOC_VERBATIM, NULL));
        ydoc_append(&a, s, NULL, k);
    }
    assert_int_equal(m->n, 1000);
    assert_int_equal(s->n, 1000);
    assert_string_equal(m->keys[999]->str, "k999");
    assert_string_equal(s->vals[500]->str, "k500");
    assert_ptr_equal(ydoc_get(m, "k123"), m->vals[123]);
    assert_int_equal(m->vals[0]->quoted, YDOC_VERBATIM); /* kept: positions map from it */
    assert_int_equal(m->vals[1]->quoted, 1);
    /* A string with a NUL inside keeps its length. */
    s = ydoc_new_scalar(&a, "a\0b", 3, 1, &loc);
    assert_int_equal(s->len, 3);
    assert_memory_equal(s->str, "a\0b", 4);
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_inputs_give_exact_diagnostics),
        cmocka_unit_test(nesting_is_limited),
        cmocka_unit_test(large_input_is_refused),
        cmocka_unit_test(duplicates_found_in_large_maps),
        cmocka_unit_test(errors_after_the_first_are_reported_too),
        cmocka_unit_test(unreadable_file_says_why),
        cmocka_unit_test(file_errors_print_with_caret),
        cmocka_unit_test(good_input_gives_tree_with_positions),
        cmocka_unit_test(empty_documents_have_no_root),
        cmocka_unit_test(positions_count_characters_and_crlf),
        cmocka_unit_test(byte_order_mark_is_not_a_column),
        cmocka_unit_test(reference_in_flow_gets_a_hint),
        cmocka_unit_test(null_and_core_tags),
        cmocka_unit_test(trees_built_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
