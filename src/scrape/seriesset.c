/* Open addressing with linear probing and backward-shift deletion. */
#include "scrape/seriesset.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

void seriesset_init(struct seriesset *s)
{
    memset(s, 0, sizeof(*s));
}

void seriesset_clear(struct seriesset *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free((void *)s->v[i].ls.v);
        free(s->v[i].cache);
        s->v[i].ls.v = NULL;
        s->v[i].cache = NULL;
    }
    s->n = 0;
}

void seriesset_release(struct seriesset *s)
{
    seriesset_clear(s);
    free(s->v);
    memset(s, 0, sizeof(*s));
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

    while (s->v[i].ls.v) {
        if (s->v[i].hash == hash && labels_equal(&s->v[i].ls, ls))
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

int seriesset_has(const struct seriesset *s, const struct labels *ls, uint64_t hash)
{
    return s->cap && s->v[find(s, ls, hash)].ls.v != NULL;
}

static void resize(struct seriesset *s, size_t cap)
{
    struct seriesset_entry *old = s->v;
    size_t oldcap = s->cap;

    s->cap = cap;
    s->v = xcalloc(s->cap, sizeof(*s->v));
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].ls.v)
            s->v[find(s, &old[i].ls, old[i].hash)] = old[i];
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

void **seriesset_add_owned(struct seriesset *s, struct labels ls, uint64_t hash, void *cache)
{
    size_t i;

    if ((s->n + 1) * 4 > s->cap * 3)
        resize(s, s->cap ? s->cap * 2 : 64);
    i = find(s, &ls, hash);
    if (s->v[i].ls.v) {
        free((void *)ls.v);
        free(cache);
        return NULL;
    }
    s->v[i] = (struct seriesset_entry){hash, ls, cache};
    s->n++;
    return &s->v[i].cache;
}

int seriesset_add(struct seriesset *s, const struct labels *ls, uint64_t hash)
{
    if (seriesset_has(s, ls, hash))
        return 0;
    return seriesset_add_owned(s, seriesset_copy(ls), hash, NULL) != NULL;
}

int seriesset_take(struct seriesset *s, const struct labels *key, uint64_t hash, struct labels *out,
                   void **cache)
{
    size_t mask, i, j;

    out->v = NULL;
    out->n = 0;
    *cache = NULL;
    if (!s->cap)
        return 0;
    mask = s->cap - 1;
    i = find(s, key, hash);
    if (!s->v[i].ls.v)
        return 0;
    *out = s->v[i].ls;
    *cache = s->v[i].cache;
    s->v[i].ls.v = NULL;
    s->v[i].cache = NULL;
    s->n--;
    /* Backward shift: move later entries of the run into the hole. */
    j = i;
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (!s->v[j].ls.v)
            break;
        home = s->v[j].hash & mask;
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            s->v[i] = s->v[j];
            s->v[j].ls.v = NULL;
            s->v[j].cache = NULL;
            i = j;
        }
    }
    return 1;
}
