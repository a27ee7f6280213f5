/*
 * dec: a bounds-checked reader over bytes in Prometheus's encodings (the
 * counterpart of enc.h, like Go's encoding.Decbuf). The first failure sets
 * err and every later read returns 0, so callers check once at the end.
 */
#ifndef CAIRN_TSDB_DEC_H
#define CAIRN_TSDB_DEC_H

#include <stddef.h>
#include <stdint.h>

struct dec {
    const uint8_t *p, *end;
    int err; /* 1 once a read ran past the end or a varint overflowed */
};

void dec_init(struct dec *d, const void *p, size_t n);
size_t dec_len(const struct dec *d);
uint8_t dec_byte(struct dec *d);
uint32_t dec_be32(struct dec *d);
uint64_t dec_be64(struct dec *d);
uint64_t dec_uvarint(struct dec *d);
int64_t dec_varint(struct dec *d);
/* A uvarint-prefixed string: a view into the buffer (not NUL-terminated). */
const char *dec_str(struct dec *d, size_t *n);
void dec_skip(struct dec *d, size_t n);
uint32_t dec_get_be32(const void *p);
uint64_t dec_get_be64(const void *p);

#endif
