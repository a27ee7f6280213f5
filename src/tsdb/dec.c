/* dec: bounds-checked decoding of Prometheus's tsdb encodings. */
#include "tsdb/dec.h"

void dec_init(struct dec *d, const void *p, size_t n)
{
    d->p = p;
    d->end = d->p + n;
    d->err = 0;
}

size_t dec_len(const struct dec *d)
{
    return (size_t)(d->end - d->p);
}

uint32_t dec_get_be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t dec_get_be64(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)dec_get_be32(b) << 32 | dec_get_be32(b + 4);
}

uint8_t dec_byte(struct dec *d)
{
    if (d->err || d->p >= d->end) {
        d->err = 1;
        return 0;
    }
    return *d->p++;
}

uint32_t dec_be32(struct dec *d)
{
    if (d->err || dec_len(d) < 4) {
        d->err = 1;
        return 0;
    }
    d->p += 4;
    return dec_get_be32(d->p - 4);
}

uint64_t dec_be64(struct dec *d)
{
    if (d->err || dec_len(d) < 8) {
        d->err = 1;
        return 0;
    }
    d->p += 8;
    return dec_get_be64(d->p - 8);
}

uint64_t dec_uvarint(struct dec *d)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (d->err || d->p >= d->end) {
            d->err = 1;
            return 0;
        }
        uint8_t b = *d->p++;
        if (shift == 63 && b > 1) {
            d->err = 1;
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    d->err = 1;
    return 0;
}

int64_t dec_varint(struct dec *d)
{
    uint64_t u = dec_uvarint(d);
    int64_t v = (int64_t)(u >> 1);
    if (u & 1)
        v = ~v;
    return v;
}

const char *dec_str(struct dec *d, size_t *n)
{
    uint64_t l = dec_uvarint(d);
    if (d->err || l > dec_len(d)) {
        d->err = 1;
        *n = 0;
        return "";
    }
    const char *s = (const char *)d->p;
    d->p += l;
    *n = (size_t)l;
    return s;
}

void dec_skip(struct dec *d, size_t n)
{
    if (d->err || n > dec_len(d)) {
        d->err = 1;
        return;
    }
    d->p += n;
}
