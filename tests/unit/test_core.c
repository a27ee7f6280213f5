/* Core containers: arena, strbuf, diag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/monotime.h"
#include "core/strbuf.h"
#include "core/u64map.h"

static void arena_allocates_aligned_zeroed_memory(void **state)
{
    struct arena a;
    arena_init(&a);
    for (int i = 0; i < 2000; i++) {
        size_t n = (size_t)(i * 37 % 5000) + 1;
        unsigned char *p = arena_alloc(&a, n);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (size_t j = 0; j < n; j++)
            assert_int_equal(p[j], 0);
        memset(p, 0xab, n);
    }
    assert_string_equal(arena_printf(&a, "%s-%d", "x", 42), "x-42");
    assert_string_equal(arena_strndup(&a, "hello", 3), "hel");
    assert_null(arena_strdup(&a, NULL));
    arena_release(&a);
    assert_null(a.head);
}

static void strbuf_grows_and_respects_cap(void **state)
{
    struct strbuf sb;
    strbuf_init(&sb, 10);
    assert_string_equal(sb.buf, "");
    assert_int_equal(strbuf_adds(&sb, "hello"), 0);
    assert_int_equal(strbuf_addf(&sb, "%d", 1234), 0);
    assert_string_equal(sb.buf, "hello1234");
    /* 10 bytes is the cap: one more fits, two do not, and nothing is added. */
    assert_int_equal(strbuf_adds(&sb, "ab"), -1);
    assert_string_equal(sb.buf, "hello1234");
    assert_int_equal(strbuf_addc(&sb, '!'), 0);
    assert_int_equal(strbuf_addf(&sb, "%s", "x"), -1);
    assert_int_equal(sb.len, 10);
    strbuf_reset(&sb);
    assert_int_equal(sb.len, 0);
    assert_string_equal(sb.buf, "");
    strbuf_release(&sb);

    strbuf_init(&sb, STRBUF_NOCAP);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(strbuf_addc(&sb, (char)('a' + i % 26)), 0);
    assert_int_equal(sb.len, 10000);
    assert_int_equal(strlen(sb.buf), 10000);
    char *p = strbuf_detach(&sb, NULL);
    assert_int_equal(sb.len, 0);
    free(p);

    const unsigned char bytes[] = {0x00, 0x7f, 0xff};
    assert_int_equal(strbuf_addhex(&sb, bytes, 3), 0);
    assert_string_equal(sb.buf, "007fff");
    strbuf_wipe(&sb);
}

static void strbuf_read_file_caps(void **state)
{
    char path[] = "/tmp/cairn-test-XXXXXX";
    int fd = mkstemp(path);
    struct strbuf sb;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    close(fd);
    strbuf_init(&sb, 5);
    assert_int_equal(strbuf_read_file(&sb, path), -1);
    assert_int_equal(errno, EFBIG);
    strbuf_release(&sb);
    strbuf_init(&sb, 100);
    assert_int_equal(strbuf_read_file(&sb, path), 0);
    assert_string_equal(sb.buf, "0123456789");
    strbuf_release(&sb);
    unlink(path);
    assert_int_equal(strbuf_read_file(&sb, path), -1);
    assert_int_equal(errno, ENOENT);
}

static void diag_prints_gcc_style_with_caret(void **state)
{
    struct diag d;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    const char *src = "stack: dev\nresources:\n  vpc:\n    cidr: 10.0.0.0/33\n";
    struct srcloc loc = {"stack.yaml", 4, 11};

    diag_init(&d);
    diag_add_source(&d, "stack.yaml", src, strlen(src));
    diag_error(&d, &loc, "'%s' is not a CIDR block", "10.0.0.0/33");
    diag_error(&d, NULL, "no region");
    assert_true(diag_has_errors(&d));
    assert_string_equal(diag_last(&d), "no region");
    diag_print(&d, f, "cairn");
    fclose(f);
    assert_string_equal(out, "stack.yaml:4:11: error: '10.0.0.0/33' is not a CIDR block\n"
                             "     4 |     cidr: 10.0.0.0/33\n"
                             "       |           ^\n"
                             "cairn: error: no region\n");
    free(out);
    diag_release(&d);
}

/* Values from AWS or a file cannot forge a line or reach the terminal as a control. */
static void strbuf_printable_escapes_controls(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    strbuf_add_printable(&sb,
                         "a\nb\r\tc\x1b[31m\x7f"
                         "d\xc2\x9b"
                         "2J\xe2\x80\xa8"
                         "e\xff\xc3\xa9",
                         SIZE_MAX);
    assert_string_equal(sb.buf, "a\\nb\\r\\tc\\x1b[31m\\x7fd\\u009b2J\\u2028e\\xff\xc3\xa9");
    strbuf_reset(&sb);
    strbuf_add_printable(&sb, "0123456789", 4);
    assert_string_equal(sb.buf, "0123...");
    strbuf_release(&sb);
}

/* A hostile message is escaped; a long one and a long source line are cut. */
static void diag_escapes_and_cuts(void **state)
{
    struct diag d;
    char *out = NULL, *src = malloc(601), msg[1500];
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct srcloc loc = {"long.yaml", 1, 301};

    (void)state;
    memset(src, 'x', 600);
    src[600] = '\0';
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    diag_init(&d);
    diag_add_source(&d, "long.yaml", src, 600);
    diag_error(&d, NULL, "iam GetRole: %s", "bad\n::error::x");
    diag_error(&d, &loc, "%s", msg);
    diag_print(&d, f, "cairn");
    fclose(f);
    assert_non_null(strstr(out, "cairn: error: iam GetRole: bad\\n::error::x\n"));
    assert_null(strstr(out, "\n::error::"));
    /* The message: 1000 bytes and "..."; the line: a 160-byte window around column 301. */
    assert_non_null(strstr(out, "long.yaml:1:301: error: mmmm"));
    assert_non_null(strstr(out, "mmm...\n"));
    assert_int_equal(strchr(strstr(out, "long.yaml:1:301: error: "), '\n') -
                         strstr(out, "long.yaml:1:301: error: "),
                     strlen("long.yaml:1:301: error: ") + 1000 + 3);
    assert_non_null(strstr(out, "     1 | ...xxxx"));
    assert_non_null(strstr(out, "xxxx...\n"));
    assert_non_null(strstr(out, "       |    " /* the "..." */));
    free(out);
    free(src);
    diag_release(&d);
}

/* A column past the line's end (a NUL in the line ends it early): the window shows the end. */
static void diag_column_past_line_end(void **state)
{
    struct diag d;
    char *out = NULL, src[600];
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct srcloc loc = {"nul.yaml", 1, 501};

    (void)state;
    memset(src, 'x', sizeof(src));
    src[199] = 'y';
    src[200] = '\0';
    diag_init(&d);
    diag_add_source(&d, "nul.yaml", src, sizeof(src));
    diag_error(&d, &loc, "past the end");
    diag_print(&d, f, "cairn");
    fclose(f);
    assert_non_null(strstr(out, "nul.yaml:1:501: error: past the end\n"));
    assert_non_null(strstr(out, "     1 | ...xxxx"));
    assert_non_null(strstr(out, "xxxxy\n       |    "));
    free(out);
    diag_release(&d);
}

static void diag_caps_errors(void **state)
{
    struct diag d;
    diag_init(&d);
    d.max_errors = 3;
    for (int i = 0; i < 10; i++)
        diag_error(&d, NULL, "error %d", i);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.dropped, 7);
    assert_int_equal(d.nerrors, 10);
    diag_release(&d);
}

static void hex_digits_both_ways(void **state)
{
    const unsigned char bytes[] = {0x00, 0x9f, 0xa0, 0xff};
    char text[2 * sizeof(bytes) + 1];

    (void)state;
    hex_encode(bytes, sizeof(bytes), text);
    assert_string_equal(text, "009fa0ff");
    assert_int_equal(hex_digit('0'), 0);
    assert_int_equal(hex_digit('9'), 9);
    assert_int_equal(hex_digit('a'), 10);
    assert_int_equal(hex_digit('F'), 15);
    assert_int_equal(hex_digit('g'), -1);
    assert_int_equal(hex_digit('/'), -1);
    assert_int_equal(hex_digit(':'), -1);
    assert_int_equal(hex_digit('@'), -1);
    assert_int_equal(hex_digit('G'), -1);
    assert_int_equal(hex_digit(0x80 | 'a'), -1);
}

/* arena_grow: the same array while there is room, then a copy twice as large with the
 * elements kept. */
static void arena_grow_doubles_and_keeps(void **state)
{
    struct arena a;
    int *v = NULL, *first;
    size_t n = 0, alloc = 0;

    (void)state;
    arena_init(&a);
    v = arena_grow(&a, v, n, &alloc, sizeof(*v), 4);
    assert_int_equal(alloc, 4);
    first = v;
    for (n = 0; n < 4; n++)
        v[n] = (int)n * 10;
    assert_ptr_equal(arena_grow(&a, v, 3, &alloc, sizeof(*v), 4), first);
    v = arena_grow(&a, v, n, &alloc, sizeof(*v), 4);
    assert_int_equal(alloc, 8);
    assert_ptr_not_equal(v, first);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(v[i], (int)i * 10);
    arena_release(&a);
}

/* hash_str is hash_bytes over the string's length, so either may key the same table. */
static void hash_str_is_hash_bytes(void **state)
{
    (void)state;
    assert_true(hash_str("foobar", 0) == hash_bytes("foobar", 6, 0));
    assert_true(hash_str("", 7) == hash_bytes("", 0, 7));
}

/* Keys spread over the table and packed into one probe run; growth keeps every value. */
static void u64map_keeps_every_key(void **state)
{
    struct arena a;
    struct u64map heap = {0}, in_arena;
    int added;

    (void)state;
    arena_init(&a);
    u64map_init(&in_arena, &a);
    for (int pass = 0; pass < 2; pass++) {
        struct u64map *m = pass ? &in_arena : &heap;
        assert_null(u64map_find(m, 7));
        for (uint64_t i = 1; i <= 5000; i++) {
            uint64_t key = i % 2 ? i * 0x9e3779b97f4a7c15ull : i << 20; /* low bits alike */
            *u64map_put(m, key, &added) = (size_t)i;
            assert_int_equal(added, 1);
        }
        assert_int_equal(m->n, 5000);
        for (uint64_t i = 1; i <= 5000; i++) {
            uint64_t key = i % 2 ? i * 0x9e3779b97f4a7c15ull : i << 20;
            assert_non_null(u64map_find(m, key));
            assert_int_equal(*u64map_find(m, key), i);
            assert_int_equal(*u64map_put(m, key, &added), i);
            assert_int_equal(added, 0);
        }
        assert_null(u64map_find(m, 3));
        /* 0 is taken as 1. */
        *u64map_put(m, 0, &added) = 99;
        assert_int_equal(*u64map_find(m, 1), 99);
    }
    u64map_release(&heap);
    assert_null(u64map_find(&heap, 2 << 20));
    u64map_release(&in_arena);
    arena_release(&a);
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* A sleep cut short by a signal goes on for the rest; the two clocks agree. */
static void monotime_sleeps_through_signals(void **state)
{
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    double t0 = monotime_s();
    int64_t m0 = monotime_ms();

    (void)state;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    ualarm(20000, 0); /* 20 ms into a 120 ms sleep */
    monotime_sleep_ms(120);
    sigaction(SIGALRM, &old, NULL);
    assert_true(monotime_s() - t0 >= 0.119);
    assert_true(monotime_ms() - m0 >= 119);
    t0 = monotime_s();
    monotime_sleep_ms(0);
    monotime_sleep_ms(-5);
    assert_true(monotime_s() - t0 < 0.05);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_allocates_aligned_zeroed_memory),
        cmocka_unit_test(hash_str_is_hash_bytes),
        cmocka_unit_test(u64map_keeps_every_key),
        cmocka_unit_test(arena_grow_doubles_and_keeps),
        cmocka_unit_test(strbuf_grows_and_respects_cap),
        cmocka_unit_test(strbuf_read_file_caps),
        cmocka_unit_test(diag_prints_gcc_style_with_caret),
        cmocka_unit_test(diag_column_past_line_end),
        cmocka_unit_test(diag_caps_errors),
        cmocka_unit_test(strbuf_printable_escapes_controls),
        cmocka_unit_test(diag_escapes_and_cuts),
        cmocka_unit_test(hex_digits_both_ways),
        cmocka_unit_test(monotime_sleeps_through_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
