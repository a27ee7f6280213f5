/* xorchunk: Prometheus's Gorilla XOR chunk layout, bit for bit, and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "tsdb/crc32c.h"
#include "tsdb/dec.h"
#include "tsdb/enc.h"
#include "tsdb/xorchunk.h"

static uint64_t bits_of(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double from_bits(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void bytes_are_prometheus_layout(void **state)
{
    /* Worked by hand from xor.go: header 3; varint(1000); 1.0; uvarint(1000); '0';
     * dod '0'; xor 2.0^1.0 = 0x7ff0.. -> '1' '1' 00001 001011 then 11 ones. */
    static const uint8_t want[] = {0x00, 0x03, 0xD0, 0x0F, 0x3F, 0xF0, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0xE8, 0x07, 0x30, 0x97, 0xFF, 0xC0};
    struct xorchunk c;
    xorchunk_init(&c);
    assert_int_equal(xorchunk_append(&c, 1000, 1.0), 0);
    assert_int_equal(xorchunk_append(&c, 2000, 1.0), 0);
    assert_int_equal(xorchunk_append(&c, 3000, 2.0), 0);
    size_t n;
    const uint8_t *b = xorchunk_bytes(&c, &n);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(b, want, sizeof want);
    xorchunk_release(&c);
}

static size_t bits_for_third(int64_t dod)
{
    struct xorchunk c;
    xorchunk_init(&c);
    xorchunk_append(&c, 0, 1);
    xorchunk_append(&c, 100000, 1);
    size_t before = c.len * 8 - c.nfree;
    xorchunk_append(&c, 200000 + dod, 1);
    size_t after = c.len * 8 - c.nfree;
    xorchunk_release(&c);
    return after - before - 1; /* minus the value's '0' bit */
}

static void dod_buckets_match_prometheus(void **state)
{
    /* An n-bit bucket holds -(2^(n-1)-1) .. 2^(n-1), as bitRange in xor.go. */
    assert_int_equal(bits_for_third(0), 1);
    assert_int_equal(bits_for_third(1), 2 + 14);
    assert_int_equal(bits_for_third(8192), 2 + 14);
    assert_int_equal(bits_for_third(-8191), 2 + 14);
    assert_int_equal(bits_for_third(-8192), 3 + 17);
    assert_int_equal(bits_for_third(8193), 3 + 17);
    assert_int_equal(bits_for_third(65536), 3 + 17);
    assert_int_equal(bits_for_third(65537), 4 + 20);
    assert_int_equal(bits_for_third(-524287), 4 + 20);
    assert_int_equal(bits_for_third(524288), 4 + 20);
    assert_int_equal(bits_for_third(524289), 4 + 64);
    assert_int_equal(bits_for_third(-524288), 4 + 64);
}

static void check_round_trip(const int64_t *ts, const uint64_t *vs, size_t n)
{
    struct xorchunk c;
    struct xoriter it;
    xorchunk_init(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(xorchunk_append(&c, ts[i], from_bits(vs[i])), 0);
    size_t len;
    const uint8_t *b = xorchunk_bytes(&c, &len);
    assert_int_equal(xorchunk_count(b, len), n);
    xoriter_init(&it, b, len);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(xoriter_next(&it), 1);
        assert_int_equal(it.t, ts[i]);
        assert_int_equal(bits_of(it.v), vs[i]);
    }
    assert_int_equal(xoriter_next(&it), 0);
    xorchunk_release(&c);
}

static void special_values_round_trip(void **state)
{
    int64_t ts[] = {-5000, 0, 15000, 30000, 45001, 59999, 75000, 90000, 105000, 120000};
    uint64_t vs[] = {
        bits_of(NAN),      0x7ff0000000000002ull, /* Prometheus's stale marker */
        bits_of(INFINITY), bits_of(-INFINITY),    bits_of(0.0),          bits_of(-0.0),
        bits_of(1e-300),   bits_of(4.9e-324),     0x7ff0000000000002ull, bits_of(123456.789),
    };
    check_round_trip(ts, vs, 10);
}

static void large_and_irregular_deltas_round_trip(void **state)
{
    enum { N = 2000 };
    static int64_t ts[N];
    static uint64_t vs[N];
    int64_t t = INT64_MIN / 4;
    uint64_t seed = 42;
    for (size_t i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int64_t step;
        switch (i % 7) {
        case 0:
            step = 15000;
            break;
        case 1:
            step = 1;
            break;
        case 2:
            step = (int64_t)(seed >> 40);
            break;
        case 3:
            step = (int64_t)1 << 40;
            break;
        default:
            step = 15000 + (int64_t)(seed >> 60) - 8;
            break;
        }
        t += step;
        ts[i] = t;
        vs[i] = (i % 5 == 0) ? seed : bits_of((double)(i / 3) * 0.5);
    }
    check_round_trip(ts, vs, N);
    int64_t one[] = {INT64_MAX};
    uint64_t onev[] = {bits_of(-1.5)};
    check_round_trip(one, onev, 1);
}

static void truncated_chunk_is_an_error(void **state)
{
    struct xorchunk c;
    struct xoriter it;
    xorchunk_init(&c);
    for (int i = 0; i < 50; i++)
        xorchunk_append(&c, i * 1000 + (i % 3), i * 1.25);
    size_t len;
    const uint8_t *b = xorchunk_bytes(&c, &len);
    xoriter_init(&it, b, len / 2);
    int r, n = 0;
    while ((r = xoriter_next(&it)) == 1)
        n++;
    assert_int_equal(r, -1);
    assert_true(n < 50);
    xoriter_init(&it, b, 1);
    assert_int_equal(xoriter_next(&it), -1);
    xorchunk_release(&c);
}

static void crc32c_and_varints(void **state)
{
    /* The standard check value of CRC-32C. */
    assert_int_equal(crc32c("123456789", 9), 0xE3069283u);
    /* RFC 3720 B.4's vectors (32 bytes: the 8-byte steps), and continuing over any split. */
    unsigned char buf[32];
    memset(buf, 0, sizeof buf);
    assert_int_equal(crc32c(buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    assert_int_equal(crc32c(buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)i;
    assert_int_equal(crc32c(buf, 32), 0x46DD794Eu);
    for (size_t k = 0; k <= 32; k++)
        assert_int_equal(crc32c_update(crc32c(buf, k), buf + k, 32 - k), 0x46DD794Eu);
    struct strbuf sb;
    strbuf_init(&sb, STRBUF_NOCAP);
    enc_varint(&sb, -1);
    enc_varint(&sb, INT64_MIN);
    enc_uvarint(&sb, UINT64_MAX);
    enc_be32(&sb, 0xBAAAD700u);
    enc_str(&sb, "job", 3);
    struct dec d;
    dec_init(&d, sb.buf, sb.len);
    assert_int_equal(dec_varint(&d), -1);
    assert_true(dec_varint(&d) == INT64_MIN);
    assert_true(dec_uvarint(&d) == UINT64_MAX);
    assert_int_equal(dec_be32(&d), 0xBAAAD700u);
    size_t n;
    const char *s = dec_str(&d, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "job", 3);
    assert_int_equal(d.err, 0);
    dec_be32(&d);
    assert_int_equal(d.err, 1);
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bytes_are_prometheus_layout),
        cmocka_unit_test(dod_buckets_match_prometheus),
        cmocka_unit_test(special_values_round_trip),
        cmocka_unit_test(large_and_irregular_deltas_round_trip),
        cmocka_unit_test(truncated_chunk_is_an_error),
        cmocka_unit_test(crc32c_and_varints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
