/* headpost: the head's label-pair postings (see headpost.h). */
#include "tsdb/headpost.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xmalloc.h"

static uint64_t pair_hash(const char *name, const char *value)
{
    return hash_mix(hash_str(name, 0), hash_str(value, 0));
}

void headpost_init(struct headpost *p)
{
    p->nbuckets = 256;
    p->npairs = 0;
    p->b = xcalloc(p->nbuckets, sizeof *p->b);
}

void headpost_release(struct headpost *p)
{
    for (size_t i = 0; i < p->nbuckets; i++) {
        struct headpost_list *l = p->b[i], *next;
        for (; l; l = next) {
            next = l->next;
            free(l->v);
            free(l);
        }
    }
    free(p->b);
    memset(p, 0, sizeof *p);
}

static void grow(struct headpost *p)
{
    size_t nb = p->nbuckets * 2;
    struct headpost_list **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < p->nbuckets; i++) {
        struct headpost_list *l = p->b[i], *next;
        for (; l; l = next) {
            next = l->next;
            l->next = b[l->hash & (nb - 1)];
            b[l->hash & (nb - 1)] = l;
        }
    }
    free(p->b);
    p->b = b;
    p->nbuckets = nb;
}

static struct headpost_list *find(const struct headpost *p, const char *name, const char *value,
                                  uint64_t h)
{
    for (struct headpost_list *l = p->b[h & (p->nbuckets - 1)]; l; l = l->next)
        if (l->hash == h && strcmp(l->name, name) == 0 && strcmp(l->value, value) == 0)
            return l;
    return NULL;
}

void headpost_add(struct headpost *p, const struct labels *ls, struct head_series *s)
{
    for (size_t i = 0; i < ls->n; i++) {
        const char *name = ls->v[i].name, *value = ls->v[i].value;
        uint64_t h = pair_hash(name, value);
        struct headpost_list *l = find(p, name, value, h);
        if (!l) {
            if (p->npairs + 1 > p->nbuckets)
                grow(p);
            size_t a = strlen(name) + 1, b = strlen(value) + 1;
            l = xcalloc(1, sizeof *l + a + b);
            char *str = (char *)(l + 1);
            memcpy(str, name, a);
            memcpy(str + a, value, b);
            l->name = str;
            l->value = str + a;
            l->hash = h;
            l->next = p->b[h & (p->nbuckets - 1)];
            p->b[h & (p->nbuckets - 1)] = l;
            p->npairs++;
        }
        xgrow((void **)&l->v, &l->alloc, l->n + 1, sizeof *l->v);
        l->v[l->n++] = s;
    }
}

const struct headpost_list *headpost_get(const struct headpost *p, const char *name,
                                         const char *value)
{
    return find(p, name, value, pair_hash(name, value));
}

void headpost_sweep(struct headpost *p, int (*gone)(const struct head_series *s))
{
    for (size_t i = 0; i < p->nbuckets; i++) {
        struct headpost_list **pp = &p->b[i];
        while (*pp) {
            struct headpost_list *l = *pp;
            size_t k = 0;
            for (size_t j = 0; j < l->n; j++)
                if (!gone(l->v[j]))
                    l->v[k++] = l->v[j];
            l->n = k;
            if (k == 0) {
                *pp = l->next;
                free(l->v);
                free(l);
                p->npairs--;
                continue;
            }
            pp = &l->next;
        }
    }
}

void headpost_each(const struct headpost *p,
                   void (*fn)(void *ctx, const char *name, const char *value), void *ctx)
{
    for (size_t i = 0; i < p->nbuckets; i++)
        for (const struct headpost_list *l = p->b[i]; l; l = l->next)
            fn(ctx, l->name, l->value);
}
