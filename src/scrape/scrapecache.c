/* A dense entry array under an open-addressing index (linear probing, load at most 1/2). */
#include "scrape/scrapecache.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xmalloc.h"

void scrapecache_init(struct scrapecache *c)
{
    memset(c, 0, sizeof(*c));
    c->iter = 1;
}

void scrapecache_clear(struct scrapecache *c)
{
    c->n = 0;
    if (c->cap)
        memset(c->idx, 0, c->cap * sizeof(*c->idx));
}

void scrapecache_release(struct scrapecache *c)
{
    free(c->v);
    free(c->idx);
    memset(c, 0, sizeof(*c));
}

struct scrapecache_key scrapecache_key(const char *text, size_t len)
{
    return (struct scrapecache_key){hash_bytes(text, len, 0x5c7a9ec0ffee1234ull),
                                    hash_bytes(text, len, 0x243f6a8885a308d3ull)};
}

struct scrapecache_entry *scrapecache_get(const struct scrapecache *c, struct scrapecache_key k)
{
    size_t mask = c->cap - 1;

    if (!c->cap)
        return NULL;
    for (size_t i = k.a & mask; c->idx[i]; i = (i + 1) & mask) {
        struct scrapecache_entry *e = &c->v[c->idx[i] - 1];
        if (e->key.a == k.a && e->key.b == k.b)
            return e;
    }
    return NULL;
}

/* The index over v[0..n), in a table of cap slots. */
static void reindex(struct scrapecache *c, size_t cap)
{
    size_t mask = cap - 1;

    if (cap != c->cap) {
        free(c->idx);
        c->idx = xmalloc(cap * sizeof(*c->idx));
        c->cap = cap;
    }
    memset(c->idx, 0, cap * sizeof(*c->idx));
    for (size_t k = 0; k < c->n; k++) {
        size_t i = c->v[k].key.a & mask;
        while (c->idx[i])
            i = (i + 1) & mask;
        c->idx[i] = (uint32_t)(k + 1);
    }
}

static size_t cap_for(size_t n)
{
    size_t cap = 64;
    while (cap < 2 * n)
        cap *= 2;
    return cap;
}

void scrapecache_put(struct scrapecache *c, struct scrapecache_key k, struct seriesset_block *b,
                     uint64_t hash)
{
    size_t mask, i;

    if (c->n >= UINT32_MAX - 1)
        return; /* a cache, not a store: beyond this, the slow path */
    XGROW(c->v, c->alloc, c->n + 1);
    c->v[c->n++] = (struct scrapecache_entry){k, b, hash, c->iter};
    if (2 * c->n > c->cap) {
        reindex(c, cap_for(c->n));
        return;
    }
    mask = c->cap - 1;
    for (i = k.a & mask; c->idx[i]; i = (i + 1) & mask)
        ;
    c->idx[i] = (uint32_t)c->n;
}

void scrapecache_sweep(struct scrapecache *c)
{
    size_t kept = 0;

    for (size_t k = 0; k < c->n; k++)
        if (c->v[k].iter == c->iter)
            c->v[kept++] = c->v[k];
    if (kept != c->n || c->alloc > kept + kept / 8 + 16) {
        c->n = kept;
        /* Give back what growing by doubling left over: scrapes of a target look alike. */
        if (c->alloc > kept + kept / 8 + 16) {
            c->alloc = kept + kept / 8 + 16;
            c->v = xrealloc(c->v, c->alloc * sizeof(*c->v));
        }
        reindex(c, cap_for(kept));
    }
    c->iter++;
}
