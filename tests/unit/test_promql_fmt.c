/*
 * pq_fmt_float's shortest digits (Go's strconv with precision -1) against
 * an independent oracle: the fewest significant digits p for which glibc's
 * correctly rounded "%.*e" reads back through strtod as the same double.
 * The engine's exact 128-bit path and its snprintf fallback must both give
 * that; the doubles are random bit patterns, rates of counters (n/60,
 * n/300), neighbours of powers of ten and of short decimals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "promql/api.h"
#include "promql/json.h"
#include "promql/ast.h"
#include "promql/engine.h"

static uint64_t rs = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* Significant digits of a decimal text, without leading and trailing zeros. */
static void sig_digits(const char *s, char *out)
{
    size_t n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9' && (n || *s != '0'))
            out[n++] = *s;
    while (n > 1 && out[n - 1] == '0')
        n--;
    out[n] = 0;
}

static void oracle(double v, char *out)
{
    char buf[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v || p == 17)
            break;
    }
    sig_digits(buf, out);
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static uint64_t to_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static void test_shortest(void **state)
{
    (void)state;
    for (long i = 0; i < 400000; i++) {
        double v;
        switch (i % 5) {
        case 0:
            v = from_bits(rnd());
            break;
        case 1:
            v = (double)(rnd() % 10000000) / (i & 8 ? 60.0 : 300.0);
            break;
        case 2:
            v = ldexp((double)(rnd() >> 11), -(int)(rnd() % 120));
            break;
        case 3:
            v = from_bits(to_bits(pow(10, (double)(rnd() % 25) - 7)) + rnd() % 9 - 4);
            break;
        default:
            v = from_bits(to_bits((double)(rnd() % 100000) / 1000.0) + rnd() % 5 - 2);
        }
        if (isnan(v) || isinf(v) || v == 0)
            continue;
        struct strbuf sb = STRBUF_INIT;
        pq_fmt_float(&sb, v, i & 1 ? 'f' : 'v');
        char got[512], want[64];
        sig_digits(sb.buf, got);
        oracle(v, want);
        if (strtod(sb.buf, NULL) != v || strcmp(got, want))
            fail_msg("%a: printed %s (digits %s), shortest digits %s", v, sb.buf, got, want);
        strbuf_release(&sb);
    }
}

static void test_known(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *f, *g;
    } cases[] = {
        {0.21666666666666667, "0.21666666666666667", "0.21666666666666667"},
        {0.09999999999999998, "0.09999999999999998", "0.09999999999999998"},
        {1e-05, "0.00001", "1e-05"},
        {123456.789, "123456.789", "123456.789"},
        {1e15, "1000000000000000", "1e+15"},
        {2.0 / 3, "0.6666666666666666", "0.6666666666666666"},
        {-1.5e-7, "-0.00000015", "-1.5e-07"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
        pq_fmt_float(&a, cases[i].v, 'f');
        pq_fmt_float(&b, cases[i].v, 'v');
        assert_string_equal(a.buf, cases[i].f);
        assert_string_equal(b.buf, cases[i].g);
        strbuf_release(&a);
        strbuf_release(&b);
    }
}

/*
 * A matrix large enough to be written on two threads (api.c's json_matrix)
 * gives the text that writing each point on its own does: the halves join
 * with one comma, in series order, and the per-thread caches of step times
 * and values change nothing. Series of unequal lengths (so the split falls
 * inside the list) with values that repeat, differ, and need exponents.
 */
static void test_matrix_halves(void **state)
{
    (void)state;
    enum { NSER = 7, STEP = 15000 };
    static const size_t lens[NSER] = {90000, 3, 40000, 70000, 1, 60000, 20000};
    static char names[NSER][8];
    struct label lab[NSER];
    struct pq_series ser[NSER];
    struct pq_result r = {.type = PQ_MATRIX,
                          .s = ser,
                          .n = NSER,
                          .interval = STEP,
                          .start = 1700000000000,
                          .nsteps = 100000};
    struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;

    strbuf_adds(&want, "{\"resultType\":\"matrix\",\"result\":[");
    for (size_t i = 0; i < NSER; i++) {
        snprintf(names[i], sizeof names[i], "s%zu", i);
        lab[i] = (struct label){"instance", names[i]};
        ser[i] =
            (struct pq_series){{&lab[i], 1}, calloc(lens[i], sizeof(struct pq_point)), lens[i]};
        strbuf_addf(&want, "%s{\"metric\":{\"instance\":\"%s\"},\"values\":[", i ? "," : "",
                    names[i]);
        for (size_t k = 0; k < lens[i]; k++) {
            uint64_t x = rnd();
            double v = x % 3 == 0   ? (double)(k % 50) / 10
                       : x % 3 == 1 ? (double)(x >> 11) * 0x1p-53 * 1e-9
                                    : (double)(int64_t)(x >> 12);
            /* Every other series off the step grid, as a raw matrix's samples are. */
            ser[i].p[k] = (struct pq_point){r.start + (int64_t)k * STEP + (i & 1) * 7, v};
            strbuf_adds(&want, k ? ",[" : "[");
            promql_json_time(&want, ser[i].p[k].t);
            strbuf_addc(&want, ',');
            promql_json_value(&want, v);
            strbuf_addc(&want, ']');
        }
        strbuf_adds(&want, "]}");
    }
    strbuf_adds(&want, "]}");
    promql_json_result(&got, &r);
    assert_int_equal(got.len, want.len);
    assert_true(memcmp(got.buf, want.buf, want.len) == 0);
    for (size_t i = 0; i < NSER; i++)
        free(ser[i].p);
    strbuf_release(&got);
    strbuf_release(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shortest),
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_matrix_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
