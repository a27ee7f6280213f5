/*
 * crc32c: the SSE4.2 crc32 instruction where the CPU has it (every read of
 * a chunk or an index series checks one), else a slicing-by-1 table.
 */
#include "tsdb/crc32c.h"

#include <pthread.h>
#include <string.h>

static uint32_t table[256];
static int have_hw;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_fill(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[i] = c;
    }
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    have_hw = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same polynomial and bit order as the table (the instruction is CRC-32C). */
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const unsigned char *b,
                                                         size_t n)
{
    uint64_t c = crc;
    for (; n >= 8; n -= 8, b += 8) {
        uint64_t w;
        memcpy(&w, b, sizeof w);
        c = __builtin_ia32_crc32di(c, w);
    }
    uint32_t c32 = (uint32_t)c;
    for (; n; n--)
        c32 = __builtin_ia32_crc32qi(c32, *b++);
    return c32;
}
#endif

uint32_t crc32c_update(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    pthread_once(&table_once, table_fill);
    crc = ~crc;
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_hw)
        return ~crc_hw(crc, b, n);
#endif
    while (n--)
        crc = table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}
