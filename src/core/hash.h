/*
 * hash: a fast 64-bit hash for in-memory tables (label sets, symbol tables,
 * series maps). Not cryptographic and not a stable on-disk format: nothing
 * written to disk or sent over the wire depends on its value.
 */
#ifndef CAIRN_HASH_H
#define CAIRN_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

/* A string's length and hash_bytes, for the tables keyed by C strings. */
uint64_t hash_str(const char *s, uint64_t seed);

/* Fold another 64-bit value into h (order matters). */
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

#endif
