/*
 * u64map: a map from 64-bit keys (already hashes: label-set hashes, grouping keys, matching
 * signatures) to size_t values, by open addressing with linear probing. Key 0 is taken as 1,
 * so 0 can mark an empty slot: the keys are hashes, and one more collision in 2^64 is already
 * what every such key risks.
 */
#ifndef CAIRN_U64MAP_H
#define CAIRN_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct arena;

struct u64map {
    uint64_t *k;
    size_t *v;
    size_t cap, n;
    struct arena *a; /* when set, memory comes from it: nothing to free, even on a longjmp */
};

/* An empty map; its memory from a (NULL: the heap, freed by u64map_release). A zeroed
 * struct u64map is an empty map on the heap too. */
void u64map_init(struct u64map *m, struct arena *a);
void u64map_release(struct u64map *m);

/* The value slot of key, or NULL when it is not in the map. */
size_t *u64map_find(const struct u64map *m, uint64_t key);

/* The value slot of key, added with the value 0 when it is not in the map (*added says
 * which, when added is not NULL). */
size_t *u64map_put(struct u64map *m, uint64_t key, int *added);

#endif
