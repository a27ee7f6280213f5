/* Open addressing with linear probing and backward-shift deletion. */
#include "scrape/seriesset.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "metrics/remotewrite.h"

void seriesset_init(struct seriesset *s)
{
    memset(s, 0, sizeof(*s));
}

void seriesset_clear(struct seriesset *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free(s->v[i].b);
        s->v[i].b = NULL;
    }
    s->n = 0;
}

void seriesset_release(struct seriesset *s)
{
    seriesset_clear(s);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

struct seriesset_block *seriesset_block(const struct labels *ls)
{
    struct strbuf sb = STRBUF_INIT;
    struct seriesset_block *b;

    remotewrite_put_labels(&sb, ls);
    b = xmalloc(sizeof(*b) + sb.len);
    b->len = (uint32_t)sb.len;
    memcpy(b->bytes, sb.buf, sb.len);
    strbuf_release(&sb);
    return b;
}

struct labels seriesset_labels(const struct seriesset_block *b, struct arena *a)
{
    /* A label takes at least 2 bytes (an empty Label message). */
    struct label *v = arena_alloc(a, (b->len / 2 + 1) * sizeof(*v));
    int n = remotewrite_labels_decode(b->bytes, b->len, v, b->len / 2 + 1, a);
    return (struct labels){v, n < 0 ? 0 : (size_t)n};
}

struct labels seriesset_copy(const struct labels *ls)
{
    size_t bytes = ls->n * sizeof(struct label) + 1;
    struct label *v;
    char *p;

    for (size_t i = 0; i < ls->n; i++)
        bytes += strlen(ls->v[i].name) + strlen(ls->v[i].value) + 2;
    v = xmalloc(bytes);
    p = (char *)(v + ls->n);
    for (size_t i = 0; i < ls->n; i++) {
        size_t a = strlen(ls->v[i].name) + 1, b = strlen(ls->v[i].value) + 1;
        memcpy(p, ls->v[i].name, a);
        v[i].name = p;
        p += a;
        memcpy(p, ls->v[i].value, b);
        v[i].value = p;
        p += b;
    }
    return (struct labels){v, ls->n};
}

static size_t find(const struct seriesset *s, const struct labels *ls, uint64_t hash)
{
    size_t mask = s->cap - 1, i = hash & mask;

    while (s->v[i].b) {
        if (s->v[i].hash == hash && remotewrite_labels_equal(s->v[i].b->bytes, s->v[i].b->len, ls))
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

/* The free slot for a block known not to be in the set. */
static size_t find_free(const struct seriesset *s, uint64_t hash)
{
    size_t mask = s->cap - 1, i = hash & mask;

    while (s->v[i].b)
        i = (i + 1) & mask;
    return i;
}

int seriesset_has(const struct seriesset *s, const struct labels *ls, uint64_t hash)
{
    return s->cap && s->v[find(s, ls, hash)].b != NULL;
}

static void resize(struct seriesset *s, size_t cap)
{
    struct seriesset_entry *old = s->v;
    size_t oldcap = s->cap;

    s->cap = cap;
    s->v = xcalloc(s->cap, sizeof(*s->v));
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].b)
            s->v[find_free(s, old[i].hash)] = old[i];
    free(old);
}

void seriesset_reserve(struct seriesset *s, size_t n)
{
    size_t cap = 64;

    while (n * 4 > cap * 3)
        cap *= 2;
    if (cap > s->cap)
        resize(s, cap);
}

static int same_block(const struct seriesset_block *a, const struct seriesset_block *b)
{
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

int seriesset_add_block(struct seriesset *s, struct seriesset_block *b, uint64_t hash)
{
    size_t mask, i;

    if ((s->n + 1) * 4 > s->cap * 3)
        resize(s, s->cap ? s->cap * 2 : 64);
    mask = s->cap - 1;
    for (i = hash & mask; s->v[i].b; i = (i + 1) & mask) {
        if (s->v[i].hash == hash && same_block(s->v[i].b, b)) {
            free(b);
            return 0;
        }
    }
    s->v[i] = (struct seriesset_entry){hash, b};
    s->n++;
    return 1;
}

int seriesset_add(struct seriesset *s, const struct labels *ls, uint64_t hash)
{
    if (seriesset_has(s, ls, hash))
        return 0;
    return seriesset_add_block(s, seriesset_block(ls), hash);
}

/* Empty slot i, keeping every run reachable. */
static void remove_at(struct seriesset *s, size_t i)
{
    size_t mask = s->cap - 1, j;

    s->v[i].b = NULL;
    s->n--;
    /* Backward shift: move later entries of the run into the hole. */
    j = i;
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (!s->v[j].b)
            break;
        home = s->v[j].hash & mask;
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            s->v[i] = s->v[j];
            s->v[j].b = NULL;
            i = j;
        }
    }
}

int seriesset_take(struct seriesset *s, const struct labels *ls, uint64_t hash,
                   struct seriesset_block **out)
{
    size_t i;

    *out = NULL;
    if (!s->cap)
        return 0;
    i = find(s, ls, hash);
    if (!s->v[i].b)
        return 0;
    *out = s->v[i].b;
    remove_at(s, i);
    return 1;
}

/* The slot holding block b, or an empty one. */
static size_t find_ptr(const struct seriesset *s, const struct seriesset_block *b, uint64_t hash)
{
    size_t mask = s->cap - 1, i = hash & mask;

    while (s->v[i].b && s->v[i].b != b)
        i = (i + 1) & mask;
    return i;
}

int seriesset_has_block(const struct seriesset *s, const struct seriesset_block *b, uint64_t hash)
{
    return s->cap && s->v[find_ptr(s, b, hash)].b != NULL;
}

int seriesset_take_block(struct seriesset *s, const struct seriesset_block *b, uint64_t hash)
{
    size_t i;

    if (!s->cap)
        return 0;
    i = find_ptr(s, b, hash);
    if (!s->v[i].b)
        return 0;
    remove_at(s, i);
    return 1;
}

void seriesset_add_new(struct seriesset *s, struct seriesset_block *b, uint64_t hash)
{
    if ((s->n + 1) * 4 > s->cap * 3)
        resize(s, s->cap ? s->cap * 2 : 64);
    s->v[find_free(s, hash)] = (struct seriesset_entry){hash, b};
    s->n++;
}
