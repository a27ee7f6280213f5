/* enc: Prometheus's Encbuf encodings (tsdb/encoding) onto a strbuf. */
#include "tsdb/enc.h"

void enc_put_be32(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

void enc_be32(struct strbuf *sb, uint32_t v)
{
    uint8_t b[4];
    enc_put_be32(b, v);
    strbuf_add(sb, b, 4);
}

void enc_be64(struct strbuf *sb, uint64_t v)
{
    enc_be32(sb, (uint32_t)(v >> 32));
    enc_be32(sb, (uint32_t)v);
}

void enc_byte(struct strbuf *sb, uint8_t v)
{
    strbuf_add(sb, &v, 1);
}

size_t enc_uvarint_put(uint8_t *buf, uint64_t v)
{
    size_t i = 0;
    while (v >= 0x80) {
        buf[i++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    buf[i++] = (uint8_t)v;
    return i;
}

void enc_uvarint(struct strbuf *sb, uint64_t v)
{
    uint8_t b[10];
    strbuf_add(sb, b, enc_uvarint_put(b, v));
}

void enc_varint(struct strbuf *sb, int64_t v)
{
    uint64_t u = (uint64_t)v << 1;
    if (v < 0)
        u = ~u;
    enc_uvarint(sb, u);
}

void enc_str(struct strbuf *sb, const char *s, size_t n)
{
    enc_uvarint(sb, n);
    strbuf_add(sb, s, n);
}
