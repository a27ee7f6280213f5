/* hash: 8 bytes a step with a multiply-xorshift mix (in the manner of wyhash and
 * xxh3's finalizers), then a full avalanche, so short keys spread well too. */
#include "core/hash.h"

#include <string.h>

static inline uint64_t fmix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ull * (n + 1));
    uint64_t k;

    while (n >= 8) {
        memcpy(&k, s, 8);
        h = (h ^ fmix(k)) * 0x87c37b91114253d5ull;
        h = (h << 31) | (h >> 33);
        s += 8;
        n -= 8;
    }
    k = 0;
    memcpy(&k, s, n);
    h ^= fmix(k ^ ((uint64_t)n << 56));
    return fmix(h);
}

uint64_t hash_str(const char *s, uint64_t seed)
{
    return hash_bytes(s, strlen(s), seed);
}
