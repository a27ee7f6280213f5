/*
 * xorchunk: Gorilla XOR chunks, byte for byte as Prometheus's
 * tsdb/chunkenc/xor.go writes them (tsdb/docs/format/chunks.md, "XOR chunk
 * data"):
 *
 *   num_samples <uint16 BE> | ts_0 <varint> | v_0 <64 bits> |
 *   ts_1 - ts_0 <uvarint> | v_1 <xor> | ts_2 <dod> | v_2 <xor> | ... | padding
 *
 * A bit stream, most significant bit first. A timestamp after the second is
 * the delta of deltas in one of five buckets: '0' (dod 0), '10' + 14 bits,
 * '110' + 17 bits, '1110' + 20 bits, '1111' + 64 bits; an n-bit bucket holds
 * -(2^(n-1)-1) .. 2^(n-1). A value is XORed with the previous one: '0' for
 * the same bits; '10' + the meaningful bits when they fit in the previous
 * window of leading/trailing zeros; '11' + 5 bits leading zeros (capped at
 * 31) + 6 bits meaningful length (64 written as 0) + the meaningful bits.
 * Values are raw IEEE-754 bits, so NaN payloads (the stale marker
 * 0x7ff0000000000002) and infinities round-trip exactly.
 */
#ifndef CAIRN_TSDB_XORCHUNK_H
#define CAIRN_TSDB_XORCHUNK_H

#include <stddef.h>
#include <stdint.h>

/* The encoding byte of a chunk in a segment file (chunkenc.EncXOR). */
#define XORCHUNK_ENCODING 1

struct xorchunk {
    uint8_t *b;
    int64_t t, tdelta;
    uint64_t v;
    uint32_t len, alloc; /* a chunk holds at most 65535 samples of at most 18 bytes */
    uint16_t n;
    uint8_t nfree; /* unwritten bits in b[len-1] */
    uint8_t leading, trailing;
};

void xorchunk_init(struct xorchunk *c);
void xorchunk_release(struct xorchunk *c);
/* Append a sample; the caller keeps timestamps increasing. -1 when full (65535). */
int xorchunk_append(struct xorchunk *c, int64_t t, double v);
/* The chunk's bytes (header included), valid until the next append. */
static inline const uint8_t *xorchunk_bytes(const struct xorchunk *c, size_t *n)
{
    *n = c->len;
    return c->b;
}

struct xoriter {
    const uint8_t *b;
    size_t nbits, pos; /* in bits */
    uint16_t total, read;
    int err;
    int64_t t, tdelta;
    uint64_t vbits;
    double v;
    uint8_t leading, trailing;
};

void xoriter_init(struct xoriter *it, const uint8_t *b, size_t n);
/* 1 with it->t and it->v set, 0 at the end, -1 on a malformed chunk. */
int xoriter_next(struct xoriter *it);
/* Number of samples a chunk's header claims (0 if too short). */
uint16_t xorchunk_count(const uint8_t *b, size_t n);

#endif
