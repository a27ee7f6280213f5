/* headsyms: refcounted interned label strings of the head (see headsyms.h). */
#include "tsdb/headsyms.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xmalloc.h"

struct headsyms_entry {
    struct headsyms_entry *next;
    uint32_t hash, refs;
    char s[];
};

void headsyms_init(struct headsyms *t)
{
    t->nbuckets = 256;
    t->b = xcalloc(t->nbuckets, sizeof *t->b);
    t->n = 0;
}

void headsyms_release(struct headsyms *t)
{
    for (size_t i = 0; i < t->nbuckets; i++)
        for (struct headsyms_entry *e = t->b[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(t->b);
    memset(t, 0, sizeof *t);
}

static void grow(struct headsyms *t)
{
    size_t nb = t->nbuckets * 2;
    struct headsyms_entry **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < t->nbuckets; i++)
        for (struct headsyms_entry *e = t->b[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    free(t->b);
    t->b = b;
    t->nbuckets = nb;
}

const char *headsyms_ref(struct headsyms *t, const char *s)
{
    uint32_t h = (uint32_t)hash_str(s, 0);
    for (struct headsyms_entry *e = t->b[h & (t->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->s, s) == 0) {
            e->refs++;
            return e->s;
        }
    if (t->n + 1 > t->nbuckets)
        grow(t);
    size_t len = strlen(s) + 1;
    struct headsyms_entry *e = xmalloc(sizeof *e + len);
    memcpy(e->s, s, len);
    e->hash = h;
    e->refs = 1;
    e->next = t->b[h & (t->nbuckets - 1)];
    t->b[h & (t->nbuckets - 1)] = e;
    t->n++;
    return e->s;
}

void headsyms_unref(struct headsyms *t, const char *s)
{
    struct headsyms_entry *e =
        (struct headsyms_entry *)(void *)(s - offsetof(struct headsyms_entry, s));
    if (--e->refs > 0)
        return;
    struct headsyms_entry **pp = &t->b[e->hash & (t->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    t->n--;
    free(e);
}
