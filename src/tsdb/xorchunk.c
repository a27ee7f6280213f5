/*
 * xorchunk: Gorilla XOR chunk appender and iterator, in Prometheus's exact
 * bit layout (see xorchunk.h and tsdb/docs/format/chunks.md).
 */
#include "tsdb/xorchunk.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

static uint64_t f2u(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double u2f(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

void xorchunk_init(struct xorchunk *c)
{
    memset(c, 0, sizeof *c);
    c->alloc = 32;
    c->b = xmalloc(c->alloc);
    c->b[0] = c->b[1] = 0;
    c->len = 2;
    c->leading = 0xff;
}

void xorchunk_release(struct xorchunk *c)
{
    free(c->b);
    memset(c, 0, sizeof *c);
}

static void put_bits(struct xorchunk *c, uint64_t v, unsigned nbits)
{
    while (nbits > 0) {
        if (c->nfree == 0) {
            if (c->len == c->alloc) {
                /* Linear steps: a head holds one open chunk per series, and doubling
                 * would leave up to half of each unused. */
                c->alloc += 32;
                c->b = xrealloc(c->b, c->alloc);
            }
            c->b[c->len++] = 0;
            c->nfree = 8;
        }
        unsigned take = nbits < c->nfree ? nbits : c->nfree;
        uint64_t chunk = (v >> (nbits - take)) & ((1u << take) - 1);
        c->b[c->len - 1] |= (uint8_t)(chunk << (c->nfree - take));
        c->nfree -= take;
        nbits -= take;
    }
}

static void put_uvarint(struct xorchunk *c, uint64_t v)
{
    while (v >= 0x80) {
        put_bits(c, (v & 0x7f) | 0x80, 8);
        v >>= 7;
    }
    put_bits(c, v, 8);
}

static int bit_range(int64_t x, unsigned nbits)
{
    int64_t lim = (int64_t)1 << (nbits - 1);
    return -(lim - 1) <= x && x <= lim;
}

static void put_value(struct xorchunk *c, uint64_t vbits)
{
    uint64_t delta = vbits ^ c->v;
    if (delta == 0) {
        put_bits(c, 0, 1);
        return;
    }
    put_bits(c, 1, 1);
    uint8_t lead = (uint8_t)__builtin_clzll(delta);
    uint8_t trail = (uint8_t)__builtin_ctzll(delta);
    if (lead >= 32)
        lead = 31; /* five bits hold at most 31 */
    if (c->leading != 0xff && lead >= c->leading && trail >= c->trailing) {
        put_bits(c, 0, 1);
        put_bits(c, delta >> c->trailing, 64u - c->leading - c->trailing);
        return;
    }
    c->leading = lead;
    c->trailing = trail;
    put_bits(c, 1, 1);
    put_bits(c, lead, 5);
    unsigned sig = 64u - lead - trail;
    put_bits(c, sig & 63, 6); /* 64 is written as 0 */
    put_bits(c, delta >> trail, sig);
}

int xorchunk_append(struct xorchunk *c, int64_t t, double v)
{
    uint64_t vb = f2u(v);
    if (c->n == UINT16_MAX)
        return -1;
    if (c->n == 0) {
        uint64_t u = (uint64_t)t << 1;
        if (t < 0)
            u = ~u;
        put_uvarint(c, u);
        put_bits(c, vb, 64);
    } else if (c->n == 1) {
        int64_t d = (int64_t)((uint64_t)t - (uint64_t)c->t);
        put_uvarint(c, (uint64_t)d);
        put_value(c, vb);
        c->tdelta = d;
    } else {
        int64_t d = (int64_t)((uint64_t)t - (uint64_t)c->t);
        int64_t dod = (int64_t)((uint64_t)d - (uint64_t)c->tdelta);
        if (dod == 0) {
            put_bits(c, 0, 1);
        } else if (bit_range(dod, 14)) {
            put_bits(c, 0x2, 2);
            put_bits(c, (uint64_t)dod, 14);
        } else if (bit_range(dod, 17)) {
            put_bits(c, 0x6, 3);
            put_bits(c, (uint64_t)dod, 17);
        } else if (bit_range(dod, 20)) {
            put_bits(c, 0xe, 4);
            put_bits(c, (uint64_t)dod, 20);
        } else {
            put_bits(c, 0xf, 4);
            put_bits(c, (uint64_t)dod, 64);
        }
        put_value(c, vb);
        c->tdelta = d;
    }
    c->t = t;
    c->v = vb;
    c->n++;
    c->b[0] = (uint8_t)(c->n >> 8);
    c->b[1] = (uint8_t)c->n;
    return 0;
}

uint16_t xorchunk_count(const uint8_t *b, size_t n)
{
    return n < 2 ? 0 : (uint16_t)(b[0] << 8 | b[1]);
}

void xoriter_init(struct xoriter *it, const uint8_t *b, size_t n)
{
    memset(it, 0, sizeof *it);
    it->b = b;
    it->total = xorchunk_count(b, n);
    it->nbits = n >= 2 ? n * 8 : 0;
    it->pos = 16;
    it->leading = 0xff;
    if (n < 2)
        it->err = 1;
}

/* The next bit: the control bits of every sample. */
static inline unsigned get_bit(struct xoriter *it)
{
    if (it->err || it->pos >= it->nbits) {
        it->err = 1;
        return 0;
    }
    unsigned bit = (unsigned)(it->b[it->pos >> 3] >> (7 - (it->pos & 7))) & 1;
    it->pos++;
    return bit;
}

/* The next nbits (1..64) bits, most significant first. */
static inline uint64_t get_bits(struct xoriter *it, unsigned nbits)
{
    uint64_t v = 0;
    if (nbits == 0)
        return 0;
    if (it->err || it->nbits - it->pos < nbits) {
        it->err = 1;
        return 0;
    }
    size_t byte = it->pos >> 3;
    unsigned off = it->pos & 7;
    if (byte + 8 <= it->nbits >> 3) {
        /* Eight bytes at once, big-endian; a ninth when the bits straddle it. */
        uint64_t w;
        memcpy(&w, it->b + byte, sizeof w);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        v = (w << off) >> (64 - nbits);
        if (off + nbits > 64) {
            unsigned need = off + nbits - 64;
            v |= (uint64_t)(it->b[byte + 8] >> (8 - need));
        }
        it->pos += nbits;
        return v;
    }
    while (nbits > 0) {
        off = it->pos & 7;
        unsigned avail = 8 - off;
        unsigned take = nbits < avail ? nbits : avail;
        uint8_t b = it->b[it->pos >> 3];
        uint64_t bits = (b >> (avail - take)) & ((1u << take) - 1);
        v = (v << take) | bits;
        it->pos += take;
        nbits -= take;
    }
    return v;
}

static uint64_t get_uvarint(struct xoriter *it)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint64_t b = get_bits(it, 8);
        if (it->err)
            return 0;
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    it->err = 1;
    return 0;
}

static void get_value(struct xoriter *it)
{
    if (get_bit(it) == 0)
        return;
    if (get_bit(it) == 1) {
        it->leading = (uint8_t)get_bits(it, 5);
        unsigned sig = (unsigned)get_bits(it, 6);
        if (sig == 0)
            sig = 64;
        if (it->leading + sig > 64) {
            it->err = 1;
            return;
        }
        it->trailing = (uint8_t)(64 - it->leading - sig);
    } else if (it->leading == 0xff) {
        it->err = 1; /* reuse of a window never set */
        return;
    }
    unsigned sig = 64u - it->leading - it->trailing;
    uint64_t bits = get_bits(it, sig);
    it->vbits ^= bits << it->trailing;
}

int xoriter_next(struct xoriter *it)
{
    if (it->err)
        return -1;
    if (it->read == it->total)
        return 0;
    if (it->read == 0) {
        uint64_t u = get_uvarint(it);
        it->t = (int64_t)(u >> 1);
        if (u & 1)
            it->t = ~it->t;
        it->vbits = get_bits(it, 64);
    } else if (it->read == 1) {
        it->tdelta = (int64_t)get_uvarint(it);
        it->t = (int64_t)((uint64_t)it->t + (uint64_t)it->tdelta);
        get_value(it);
    } else {
        unsigned prefix = 0, sz = 0;
        for (; prefix < 4; prefix++)
            if (get_bit(it) == 0)
                break;
        static const unsigned sizes[] = {0, 14, 17, 20, 64};
        sz = sizes[prefix];
        int64_t dod = 0;
        if (sz == 64) {
            dod = (int64_t)get_bits(it, 64);
        } else if (sz != 0) {
            uint64_t bits = get_bits(it, sz);
            if (bits > (1ull << (sz - 1)))
                bits -= 1ull << sz; /* negative values come back as large unsigned */
            dod = (int64_t)bits;
        }
        it->tdelta = (int64_t)((uint64_t)it->tdelta + (uint64_t)dod);
        it->t = (int64_t)((uint64_t)it->t + (uint64_t)it->tdelta);
        get_value(it);
    }
    if (it->err)
        return -1;
    it->v = u2f(it->vbits);
    it->read++;
    return 1;
}
