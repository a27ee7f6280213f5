#include "core/u64map.h"

#include <stdlib.h>

#include "core/arena.h"
#include "core/xmalloc.h"

void u64map_init(struct u64map *m, struct arena *a)
{
    *m = (struct u64map){.a = a};
}

void u64map_release(struct u64map *m)
{
    if (!m->a) {
        free(m->k);
        free(m->v);
    }
    u64map_init(m, m->a);
}

/* The slot of key: its own, or the empty one where it would go (cap > 0, never full). */
static size_t slot_of(const struct u64map *m, uint64_t key)
{
    size_t i = key & (m->cap - 1);

    while (m->k[i] && m->k[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

size_t *u64map_find(const struct u64map *m, uint64_t key)
{
    size_t i;

    if (!m->cap)
        return NULL;
    i = slot_of(m, key ? key : 1);
    return m->k[i] ? &m->v[i] : NULL;
}

/* Twice the room (64 slots the first time), every key moved over; at most half full after. */
static void grow(struct u64map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct u64map g = {.cap = cap, .n = m->n, .a = m->a};

    g.k = m->a ? arena_alloc(m->a, cap * sizeof(*g.k)) : xcalloc(cap, sizeof(*g.k));
    g.v = m->a ? arena_alloc(m->a, cap * sizeof(*g.v)) : xcalloc(cap, sizeof(*g.v));
    for (size_t i = 0; i < m->cap; i++)
        if (m->k[i]) {
            size_t j = slot_of(&g, m->k[i]);
            g.k[j] = m->k[i];
            g.v[j] = m->v[i];
        }
    u64map_release(m);
    *m = g;
}

size_t *u64map_put(struct u64map *m, uint64_t key, int *added)
{
    size_t i;

    if (!key)
        key = 1;
    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    i = slot_of(m, key);
    if (added)
        *added = !m->k[i];
    if (!m->k[i]) {
        m->k[i] = key;
        m->v[i] = 0;
        m->n++;
    }
    return &m->v[i];
}
