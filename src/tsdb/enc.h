/*
 * enc: the integer encodings of Prometheus's tsdb/encoding package, appended
 * to a strbuf: big-endian fixed widths, Go's uvarint (LEB128) and varint
 * (zig-zag then uvarint), and uvarint-length-prefixed strings.
 */
#ifndef CAIRN_TSDB_ENC_H
#define CAIRN_TSDB_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

void enc_be32(struct strbuf *sb, uint32_t v);
void enc_be64(struct strbuf *sb, uint64_t v);
void enc_byte(struct strbuf *sb, uint8_t v);
void enc_uvarint(struct strbuf *sb, uint64_t v);
void enc_varint(struct strbuf *sb, int64_t v);
void enc_str(struct strbuf *sb, const char *s, size_t n);
/* Write v big-endian at p (for lengths patched after the fact). */
void enc_put_be32(void *p, uint32_t v);
/* Bytes uvarint v takes; and the uvarint at buf (at most 10 bytes), 0 if none fits. */
size_t enc_uvarint_put(uint8_t *buf, uint64_t v);

#endif
