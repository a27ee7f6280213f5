/*
 * crc32c: CRC-32 with the Castagnoli polynomial (reflected 0x82F63B78), the
 * checksum every Prometheus TSDB file uses (index, chunks, tombstones, WAL).
 */
#ifndef CAIRN_TSDB_CRC32C_H
#define CAIRN_TSDB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc (0 to start) over p[0..n). */
uint32_t crc32c_update(uint32_t crc, const void *p, size_t n);
static inline uint32_t crc32c(const void *p, size_t n)
{
    return crc32c_update(0, p, n);
}

#endif
